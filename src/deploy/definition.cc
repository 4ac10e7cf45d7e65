// Reading and validating application definitions: each format becomes a JSON tree, and one
// validator walks it, collecting every problem with the path of the field at fault.
#include "deploy/definition.h"

extern "C" {  // libjsonnet.h has no C++ guards
#include <libjsonnet.h>
}
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

namespace steady::deploy {
namespace {

using nlohmann::json;

// ---- formats → JSON ----

std::string EvaluateJsonnet(const std::string& text, const std::string& source_name,
                            const LoadOptions& options, const std::string& app_id, bool from_file,
                            Status* status) {
  JsonnetVm* vm = jsonnet_make();
  std::map<std::string, std::string> vars = options.ext_vars;
  vars.emplace("appId", app_id);  // the caller's wins
  for (const auto& [k, v] : vars) jsonnet_ext_var(vm, k.c_str(), v.c_str());
  for (const auto& p : options.jsonnet_paths) jsonnet_jpath_add(vm, p.c_str());
  int error = 0;
  char* out = from_file ? jsonnet_evaluate_file(vm, source_name.c_str(), &error)
                        : jsonnet_evaluate_snippet(vm, source_name.c_str(), text.c_str(), &error);
  std::string result = out ? out : "";
  jsonnet_realloc(vm, out, 0);
  jsonnet_destroy(vm);
  if (error) {
    while (!result.empty() && result.back() == '\n') result.pop_back();
    *status = InvalidArgumentError(source_name + ": jsonnet: " + result);
    return "";
  }
  return result;
}

bool IsIntegerText(std::string_view s) {
  static const std::regex re("[-+]?[0-9]+");
  return std::regex_match(s.begin(), s.end(), re);
}

bool IsFloatText(std::string_view s) {
  static const std::regex re(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  return std::regex_match(s.begin(), s.end(), re);
}

// YAML 1.2 core schema for plain scalars; quoted scalars are always strings.
json YamlToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;
      if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      if (IsIntegerText(s)) {
        int64_t v = 0;
        std::string_view d = s;
        if (!d.empty() && d.front() == '+') d.remove_prefix(1);
        auto [p, ec] = std::from_chars(d.data(), d.data() + d.size(), v);
        if (ec == std::errc() && p == d.data() + d.size()) return v;
        return s;  // out of range: leave it to the validator to complain
      }
      if (IsFloatText(s)) return std::strtod(s.c_str(), nullptr);
      return s;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(YamlToJson(e));
      return a;
    }
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) {
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : kv.first.as<std::string>("");
        o[key] = YamlToJson(kv.second);
      }
      return o;
    }
  }
  return nullptr;
}

Result<json> ParseTree(const std::string& text, DefinitionFormat format,
                       const std::string& source_name, const LoadOptions& options,
                       const std::string& app_id, bool from_file) {
  std::string json_text;
  switch (format) {
    case DefinitionFormat::kYaml: try { return YamlToJson(YAML::Load(text));
      } catch (const YAML::Exception& e) {
        return InvalidArgumentError(source_name + ": yaml: " + e.what());
      }
    case DefinitionFormat::kJsonnet: {
      Status status;
      json_text = EvaluateJsonnet(text, source_name, options, app_id, from_file, &status);
      if (!status.ok()) return status;
      break;
    }
    case DefinitionFormat::kJson: json_text = text; break;
  }
  try {
    return json::parse(json_text);
  } catch (const json::exception& e) {
    return InvalidArgumentError(source_name + ": json: " + e.what());
  }
}

// ---- validation ----

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// How a value reads in an error: strings quoted (and cut short), containers by kind.
std::string Got(const json& v) {
  switch (v.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "a list";
    case json::value_t::null: return "null";
    case json::value_t::string: {
      std::string s = v.get<std::string>();
      if (s.size() > 40) s = s.substr(0, 37) + "...";
      return json(s).dump();
    }
    default: return v.dump();
  }
}

bool ToInt64(const json& v, int64_t* out) {
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return true;
  }
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > uint64_t{std::numeric_limits<int64_t>::max()}) return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  if (v.is_number_float()) {  // Jsonnet numbers are doubles; 128.0 is 128
    double d = v.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

bool MatchName(const std::string& s) {  // ECS family, container and service names
  static const std::regex re("[A-Za-z0-9_-]{1,255}");
  return std::regex_match(s, re);
}

class Checker {
 public:
  void Error(const std::string& path, const std::string& message) {
    errors_.push_back(path.empty() ? message : path + ": " + message);
  }
  const std::vector<std::string>& errors() const { return errors_; }

  // Present and not null.
  static bool Has(const json& obj, std::string_view key) {
    auto it = obj.find(key);
    return it != obj.end() && !it->is_null();
  }

  bool IsObject(const json& v, const std::string& path) {
    if (v.is_object()) return true;
    Error(path, "expected an object, got " + Got(v));
    return false;
  }

  bool IsList(const json& v, const std::string& path) {
    if (v.is_array()) return true;
    Error(path, "expected a list, got " + Got(v));
    return false;
  }

  void Keys(const json& obj, const std::string& path,
            std::initializer_list<std::string_view> allowed) {
    for (const auto& [k, v] : obj.items()) {
      bool ok = false;
      for (auto a : allowed) ok = ok || a == k;
      if (!ok) Error(Join(path, k), "unknown key");
    }
  }

  // A string field; `required` → error when absent or null.
  std::optional<std::string> String(const json& obj, const std::string& path, std::string_view key,
                                    bool required) {
    std::string p = Join(path, key);
    if (!Has(obj, key)) {
      if (required) Error(p, "required");
      return std::nullopt;
    }
    const json& v = obj.at(std::string(key));
    if (!v.is_string()) {
      Error(p, "expected a string, got " + Got(v));
      return std::nullopt;
    }
    std::string s = v.get<std::string>();
    if (s.empty()) {
      Error(p, "must not be empty");
      return std::nullopt;
    }
    return s;
  }

  std::optional<std::string> OneOf(const json& obj, const std::string& path, std::string_view key,
                                   bool required, std::initializer_list<std::string_view> values) {
    auto s = String(obj, path, key, required);
    if (!s) return s;
    std::string list;
    for (auto v : values) {
      if (v == *s) return s;
      list += (list.empty() ? "" : ", ") + std::string(v);
    }
    Error(Join(path, key), "expected one of " + list + ", got " + Got(*s));
    return std::nullopt;
  }

  std::optional<int> Int(const json& obj, const std::string& path, std::string_view key,
                         int64_t min, int64_t max, bool required = false) {
    std::string p = Join(path, key);
    if (!Has(obj, key)) {
      if (required) Error(p, "required");
      return std::nullopt;
    }
    const json& v = obj.at(std::string(key));
    int64_t n = 0;
    const char* expected = min == 1 ? "expected a positive integer" : "expected an integer";
    if (!ToInt64(v, &n)) {
      Error(p, std::string(expected) + ", got " + Got(v));
      return std::nullopt;
    }
    if (min == 1 && n < 1) {
      Error(p, std::string(expected) + ", got " + std::to_string(n));
      return std::nullopt;
    }
    if (n < min) {
      Error(p, "must be >= " + std::to_string(min) + ", got " + std::to_string(n));
      return std::nullopt;
    }
    if (n > max) {
      Error(p, "must be <= " + std::to_string(max) + ", got " + std::to_string(n));
      return std::nullopt;
    }
    return static_cast<int>(n);
  }

  std::optional<bool> Bool(const json& obj, const std::string& path, std::string_view key) {
    if (!Has(obj, key)) return std::nullopt;
    const json& v = obj.at(std::string(key));
    if (!v.is_boolean()) {
      Error(Join(path, key), "expected true or false, got " + Got(v));
      return std::nullopt;
    }
    return v.get<bool>();
  }

  // A scalar as a string (numbers and booleans as written in JSON); environment values and log
  // options are strings in ECS, and YAML makes `PORT: 8080` a number.
  std::optional<std::string> Scalar(const json& v, const std::string& path) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.dump();
    if (v.is_number()) {
      int64_t n = 0;
      if (ToInt64(v, &n)) return std::to_string(n);
      return v.dump();
    }
    Error(path, "expected a string, got " + Got(v));
    return std::nullopt;
  }

  std::map<std::string, std::string> StringMap(const json& obj, const std::string& path,
                                               std::string_view key) {
    std::map<std::string, std::string> out;
    if (!Has(obj, key)) return out;
    std::string p = Join(path, key);
    const json& m = obj.at(std::string(key));
    if (!IsObject(m, p)) return out;
    for (const auto& [k, v] : m.items()) {
      if (k.empty()) {
        Error(p, "empty name");
        continue;
      }
      if (auto s = Scalar(v, Join(p, k))) out[k] = *s;
    }
    return out;
  }

 private:
  std::vector<std::string> errors_;
};

// SSM parameter ARN, Secrets Manager secret ARN, or an SSM parameter name (same region).
bool ValidValueFrom(const std::string& s) {
  static const std::regex ssm_arn(R"(arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/\S+)");
  static const std::regex sm_arn(
      R"(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:\S+)");
  static const std::regex ssm_name(R"(/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*)");
  if (s.size() > 2048) return false;
  return std::regex_match(s, ssm_arn) || std::regex_match(s, sm_arn) ||
         (s.rfind("arn:", 0) != 0 && std::regex_match(s, ssm_name));
}

std::optional<LogConfigurationDef> ReadLog(Checker& c, const json& obj, const std::string& path) {
  if (!Checker::Has(obj, "log_configuration")) return std::nullopt;
  std::string p = Join(path, "log_configuration");
  const json& v = obj.at("log_configuration");
  if (!c.IsObject(v, p)) return std::nullopt;
  c.Keys(v, p, {"log_driver", "options"});
  LogConfigurationDef log;
  log.log_driver = c.String(v, p, "log_driver", true).value_or("");
  log.options = c.StringMap(v, p, "options");
  return log;
}

ContainerDef ReadContainer(Checker& c, const json& v, const std::string& path, bool is_app,
                           bool task_memory) {
  ContainerDef cd;
  cd.essential = is_app;
  if (!c.IsObject(v, path)) return cd;
  if (is_app) {
    if (v.contains("essential"))
      c.Error(Join(path, "essential"), "unknown key (the app container is always essential)");
    c.Keys(v, path,
           {"name", "image", "cpu", "memory", "memory_reservation", "command", "env",
            "port_mappings", "secrets", "log_configuration", "essential"});
  } else {
    c.Keys(v, path,
           {"name", "image", "cpu", "memory", "memory_reservation", "essential", "command", "env",
            "port_mappings", "secrets", "log_configuration"});
  }
  if (auto name = c.String(v, path, "name", !is_app)) {
    if (MatchName(*name))
      cd.name = *name;
    else
      c.Error(Join(path, "name"), "expected 1-255 letters, digits, '-' or '_', got " + Got(*name));
  } else if (is_app) {
    cd.name = "app";
  }
  cd.image = c.String(v, path, "image", true).value_or("");
  cd.cpu = c.Int(v, path, "cpu", 0, 1 << 20).value_or(0);
  cd.memory = c.Int(v, path, "memory", 1, 1 << 24);
  cd.memory_reservation = c.Int(v, path, "memory_reservation", 1, 1 << 24);
  if (!cd.memory && !cd.memory_reservation && !task_memory && !Checker::Has(v, "memory") &&
      !Checker::Has(v, "memory_reservation"))
    c.Error(Join(path, "memory"),
            "required unless " + Join(path, "memory_reservation") + " or scheduler.memory is set");
  if (cd.memory && cd.memory_reservation && *cd.memory_reservation > *cd.memory)
    c.Error(Join(path, "memory_reservation"), "must be <= " + Join(path, "memory") + " (" +
                                                  std::to_string(*cd.memory) + "), got " +
                                                  std::to_string(*cd.memory_reservation));
  if (!is_app) cd.essential = c.Bool(v, path, "essential").value_or(false);

  if (Checker::Has(v, "command")) {
    std::string p = Join(path, "command");
    const json& cmd = v.at("command");
    if (!cmd.is_array()) {
      c.Error(p, "expected a list of strings, got " + Got(cmd));
    } else {
      for (size_t i = 0; i < cmd.size(); ++i) {
        if (cmd[i].is_string())
          cd.command.push_back(cmd[i].get<std::string>());
        else
          c.Error(Index(p, i), "expected a string, got " + Got(cmd[i]));
      }
    }
  }

  cd.env = c.StringMap(v, path, "env");

  if (Checker::Has(v, "port_mappings")) {
    std::string p = Join(path, "port_mappings");
    const json& pms = v.at("port_mappings");
    if (c.IsList(pms, p)) {
      std::set<std::pair<int, std::string>> seen;
      for (size_t i = 0; i < pms.size(); ++i) {
        std::string pi = Index(p, i);
        if (!c.IsObject(pms[i], pi)) continue;
        c.Keys(pms[i], pi, {"container_port", "host_port", "protocol"});
        PortMappingDef pm;
        auto cp = c.Int(pms[i], pi, "container_port", 1, 65535, true);
        pm.host_port = c.Int(pms[i], pi, "host_port", 0, 65535).value_or(0);
        pm.protocol = c.OneOf(pms[i], pi, "protocol", false, {"tcp", "udp"}).value_or("tcp");
        if (!cp) continue;
        pm.container_port = *cp;
        if (!seen.insert({pm.container_port, pm.protocol}).second) {
          c.Error(Join(pi, "container_port"),
                  std::to_string(pm.container_port) + "/" + pm.protocol + " is mapped twice");
          continue;
        }
        cd.port_mappings.push_back(pm);
      }
    }
  }

  if (Checker::Has(v, "secrets")) {
    std::string p = Join(path, "secrets");
    const json& ss = v.at("secrets");
    if (c.IsList(ss, p)) {
      std::set<std::string> names;
      for (size_t i = 0; i < ss.size(); ++i) {
        std::string pi = Index(p, i);
        if (!c.IsObject(ss[i], pi)) continue;
        c.Keys(ss[i], pi, {"name", "value_from"});
        auto name = c.String(ss[i], pi, "name", true);
        // Never echo value_from: it may be the secret itself pasted by mistake.
        std::optional<std::string> from;
        if (!Checker::Has(ss[i], "value_from")) {
          c.Error(Join(pi, "value_from"), "required");
        } else if (!ss[i].at("value_from").is_string() ||
                   !ValidValueFrom(ss[i].at("value_from").get<std::string>())) {
          c.Error(Join(pi, "value_from"),
                  "expected an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME), a "
                  "Secrets Manager ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) or an "
                  "SSM parameter name (value not shown)");
        } else {
          from = ss[i].at("value_from").get<std::string>();
        }
        if (!name) continue;
        if (!names.insert(*name).second) {
          c.Error(Join(pi, "name"), Got(*name) + " is given twice");
          continue;
        }
        if (cd.env.count(*name)) {
          c.Error(Join(pi, "name"), Got(*name) + " is also set in " + Join(path, "env"));
          continue;
        }
        if (from) cd.secrets.push_back({*name, *from});
      }
    }
  }

  cd.log_configuration = ReadLog(c, v, path);
  return cd;
}

void ReadScheduler(Checker& c, const json& v, SchedulerDef* s) {
  const std::string path = "scheduler";
  if (!c.IsObject(v, path)) return;
  c.Keys(v, path,
         {"type", "cluster", "service_name", "desired_count", "placement_strategy",
          "placement_constraints", "target_group_arn", "target_group", "container_name",
          "container_port", "deployment", "group_name", "autoscaler_group", "cpu", "memory",
          "network_mode", "requires_compatibilities"});
  s->type = c.OneOf(v, path, "type", false, {"ecs", "oneshot"}).value_or("ecs");
  s->cluster = c.String(v, path, "cluster", true).value_or("");
  if (auto name = c.String(v, path, "service_name", false)) {
    if (MatchName(*name))
      s->service_name = *name;
    else
      c.Error(Join(path, "service_name"),
              "expected 1-255 letters, digits, '-' or '_', got " + Got(*name));
  }
  s->desired_count = c.Int(v, path, "desired_count", 0, 100000).value_or(1);

  if (Checker::Has(v, "placement_strategy")) {
    std::string p = Join(path, "placement_strategy");
    const json& l = v.at("placement_strategy");
    if (c.IsList(l, p)) {
      for (size_t i = 0; i < l.size(); ++i) {
        std::string pi = Index(p, i);
        if (!c.IsObject(l[i], pi)) continue;
        c.Keys(l[i], pi, {"type", "field"});
        auto type = c.OneOf(l[i], pi, "type", true, {"binpack", "spread", "random"});
        std::optional<std::string> field;
        if (type == "binpack")
          field = c.OneOf(l[i], pi, "field", true, {"cpu", "memory"});
        else if (type == "spread")
          field = c.String(l[i], pi, "field", true);
        else if (type == "random" && Checker::Has(l[i], "field"))
          c.Error(Join(pi, "field"), "not used by type random");
        if (type) s->placement_strategy.push_back({*type, field.value_or("")});
      }
    }
  }
  if (Checker::Has(v, "placement_constraints")) {
    std::string p = Join(path, "placement_constraints");
    const json& l = v.at("placement_constraints");
    if (c.IsList(l, p)) {
      for (size_t i = 0; i < l.size(); ++i) {
        std::string pi = Index(p, i);
        if (!c.IsObject(l[i], pi)) continue;
        c.Keys(l[i], pi, {"type", "expression"});
        auto type = c.OneOf(l[i], pi, "type", true, {"distinctInstance", "memberOf"});
        std::optional<std::string> expr;
        if (type == "memberOf")
          expr = c.String(l[i], pi, "expression", true);
        else if (type == "distinctInstance" && Checker::Has(l[i], "expression"))
          c.Error(Join(pi, "expression"), "not used by type distinctInstance");
        if (type) s->placement_constraints.push_back({*type, expr.value_or("")});
      }
    }
  }

  if (Checker::Has(v, "target_group_arn") && Checker::Has(v, "target_group")) {
    c.Error(Join(path, "target_group"), "give target_group or target_group_arn, not both");
  } else if (auto tg = c.String(v, path, "target_group_arn", false)) {
    if (tg->rfind("arn:", 0) == 0 && tg->find(":targetgroup/") != std::string::npos)
      s->target_group_arn = *tg;
    else
      c.Error(Join(path, "target_group_arn"), "expected a target group ARN, got " + Got(*tg));
    s->container_port = c.Int(v, path, "container_port", 1, 65535, true).value_or(0);
  } else if (auto name = c.String(v, path, "target_group", false)) {
    // ELB's rule for names: 1-32 letters, digits or '-', not starting or ending with '-'.
    bool ok = !name->empty() && name->size() <= 32 && name->front() != '-' && name->back() != '-' &&
              std::all_of(name->begin(), name->end(), [](char ch) {
                return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-';
              });
    if (ok)
      s->target_group_name = *name;
    else
      c.Error(Join(path, "target_group"),
              "expected a target group name (1-32 letters, digits or '-'), got " + Got(*name));
    s->container_port = c.Int(v, path, "container_port", 1, 65535, true).value_or(0);
  } else {
    for (std::string_view k : {"container_port", "container_name"})
      if (Checker::Has(v, k))
        c.Error(Join(path, k), "needs scheduler.target_group or scheduler.target_group_arn");
  }
  s->container_name = c.String(v, path, "container_name", false).value_or("");

  if (Checker::Has(v, "deployment")) {
    std::string p = Join(path, "deployment");
    const json& d = v.at("deployment");
    if (c.IsObject(d, p)) {
      c.Keys(d, p, {"minimum_healthy_percent", "maximum_percent"});
      s->deployment.minimum_healthy_percent =
          c.Int(d, p, "minimum_healthy_percent", 0, 100).value_or(100);
      s->deployment.maximum_percent = c.Int(d, p, "maximum_percent", 100, 1000).value_or(200);
    }
  }

  auto group = c.String(v, path, "group_name", false);
  auto alias = c.String(v, path, "autoscaler_group", false);
  if (group && alias)
    c.Error(Join(path, "autoscaler_group"), "give scheduler.group_name or this, not both");
  s->group_name = group ? *group : alias.value_or("");

  for (std::string_view k : {"cpu", "memory"}) {
    if (!Checker::Has(v, k)) continue;
    const json& x = v.at(std::string(k));
    int64_t n = 0;
    // ECS takes "1024", "1 vCPU", "2 GB": pass strings through, check integers.
    if (x.is_string() && !x.get<std::string>().empty()) {
      (k == "cpu" ? s->cpu : s->memory) = x.get<std::string>();
    } else if (ToInt64(x, &n) && n > 0) {
      (k == "cpu" ? s->cpu : s->memory) = std::to_string(n);
    } else {
      c.Error(Join(path, k), "expected a positive integer or a string, got " + Got(x));
    }
  }
  s->network_mode =
      c.OneOf(v, path, "network_mode", false, {"bridge", "host", "awsvpc", "none"}).value_or("");
  if (Checker::Has(v, "requires_compatibilities")) {
    std::string p = Join(path, "requires_compatibilities");
    const json& l = v.at("requires_compatibilities");
    if (c.IsList(l, p)) {
      for (size_t i = 0; i < l.size(); ++i) {
        static const std::set<std::string> kAllowed = {"EC2", "FARGATE", "EXTERNAL"};
        if (l[i].is_string() && kAllowed.count(l[i].get<std::string>()))
          s->requires_compatibilities.push_back(l[i].get<std::string>());
        else
          c.Error(Index(p, i), "expected one of EC2, FARGATE, EXTERNAL, got " + Got(l[i]));
      }
    }
  }
}

Result<AppDefinition> Validate(const json& root, const std::string& source_name,
                               const std::string& default_app_id, const LoadOptions& options) {
  Checker c;
  AppDefinition def;
  if (!root.is_object())
    return InvalidArgumentError(source_name + ": expected an object at the top, got " + Got(root));
  c.Keys(root, "", {"app_id", "scheduler", "app", "sidecars", "log_configuration"});

  def.app_id = c.String(root, "", "app_id", false).value_or(default_app_id);
  if (!MatchName(def.app_id))
    c.Error("app_id",
            "expected 1-255 letters, digits, '-' or '_' (it names the task-definition family), "
            "got " +
                Got(def.app_id) +
                (Checker::Has(root, "app_id") ? "" : " (from the file name; set app_id)"));

  if (!Checker::Has(root, "scheduler"))
    c.Error("scheduler", "required");
  else
    ReadScheduler(c, root.at("scheduler"), &def.scheduler);
  bool task_memory = !def.scheduler.memory.empty();

  if (!Checker::Has(root, "app"))
    c.Error("app", "required");
  else
    def.app = ReadContainer(c, root.at("app"), "app", true, task_memory);

  std::map<std::string, std::string> names;  // container name → its path
  names[def.app.name] = "app";
  if (Checker::Has(root, "sidecars")) {
    const json& l = root.at("sidecars");
    if (c.IsList(l, "sidecars")) {
      for (size_t i = 0; i < l.size(); ++i) {
        std::string pi = Index("sidecars", i);
        ContainerDef cd = ReadContainer(c, l[i], pi, false, task_memory);
        if (!cd.name.empty()) {
          auto [it, fresh] = names.emplace(cd.name, pi);
          if (!fresh) {
            c.Error(Join(pi, "name"), Got(cd.name) + " is already used by " + it->second);
            continue;
          }
        }
        def.sidecars.push_back(std::move(cd));
      }
    }
  }

  if (auto log = ReadLog(c, root, ""))
    def.log_configuration = *log;
  else
    def.log_configuration = ForwardLogConfiguration(def.app_id, options.forward_address);

  SchedulerDef& s = def.scheduler;
  if (s.type == "ecs" && s.service_name.empty()) s.service_name = def.app_id;
  if (!s.target_group_arn.empty() || !s.target_group_name.empty()) {
    if (s.container_name.empty()) s.container_name = def.app.name;
    const ContainerDef* target = nullptr;
    if (def.app.name == s.container_name) target = &def.app;
    for (const auto& sc : def.sidecars)
      if (sc.name == s.container_name) target = &sc;
    if (!target) {
      c.Error("scheduler.container_name", "no container is named " + Got(s.container_name));
    } else if (s.container_port != 0) {
      bool mapped = false;
      for (const auto& pm : target->port_mappings)
        mapped = mapped || (pm.container_port == s.container_port && pm.protocol == "tcp");
      if (!mapped)
        c.Error("scheduler.container_port", std::to_string(s.container_port) +
                                                " is not a tcp container_port in " +
                                                names[s.container_name] + ".port_mappings");
    }
  }

  if (!c.errors().empty()) {
    std::string message;
    for (const auto& e : c.errors())
      message += (message.empty() ? "" : "\n") + source_name + ": " + e;
    return InvalidArgumentError(message);
  }
  return def;
}

std::optional<DefinitionFormat> FormatOf(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  if (ext == ".jsonnet" || ext == ".libsonnet") return DefinitionFormat::kJsonnet;
  if (ext == ".yaml" || ext == ".yml") return DefinitionFormat::kYaml;
  if (ext == ".json") return DefinitionFormat::kJson;
  return std::nullopt;
}

Result<AppDefinition> Parse(const std::string& text, DefinitionFormat format,
                            const std::string& source_name, const std::string& default_app_id,
                            const LoadOptions& options, bool from_file) {
  ASSIGN_OR_RETURN(json root,
                   ParseTree(text, format, source_name, options, default_app_id, from_file));
  return Validate(root, source_name, default_app_id, options);
}

}  // namespace

LogConfigurationDef ForwardLogConfiguration(const std::string& family, const std::string& address) {
  LogConfigurationDef log;
  log.log_driver = "fluentd";
  log.options["fluentd-address"] = address;
  log.options["labels"] = kEcsLogLabels;
  log.options["tag"] = "ecs." + family;
  return log;
}

Result<AppDefinition> LoadDefinition(const std::string& path, const LoadOptions& options) {
  std::filesystem::path p(path);
  auto format = FormatOf(p);
  if (!format)
    return InvalidArgumentError(path +
                                ": unknown definition format (want .jsonnet, .libsonnet, .yaml, "
                                ".yml or .json)");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return NotFoundError(path + ": no such file");
  std::string text;
  if (*format != DefinitionFormat::kJsonnet) {  // Jsonnet reads its own file (and imports)
    std::ifstream in(p, std::ios::binary);
    if (!in) return NotFoundError(path + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  return Parse(text, *format, path, p.stem().string(), options,
               *format == DefinitionFormat::kJsonnet);
}

Result<AppDefinition> ParseDefinition(const std::string& text, DefinitionFormat format,
                                      const std::string& source_name,
                                      const std::string& default_app_id,
                                      const LoadOptions& options) {
  return Parse(text, format, source_name, default_app_id, options, false);
}

}  // namespace steady::deploy
