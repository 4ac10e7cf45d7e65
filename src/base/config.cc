#include "base/config.h"

#include "base/json_string.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace steady {

struct ConfigNode::Doc {
  std::string source;
};

struct ConfigNode::Impl {
  std::shared_ptr<const Doc> doc;
  YAML::Node node;
};

namespace {

std::string Join(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return path + "." + std::string(key);
}

// The value under `key`, or an undefined-looking null node. Always through a const Node:
// yaml-cpp's non-const operator[] inserts, and assigning from a missing key throws.
YAML::Node Lookup(const YAML::Node& n, std::string_view key) {
  if (!n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& cn = n;
  YAML::Node v = cn[std::string(key)];
  if (!v.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
  return v;
}

std::string Mark(const std::string& source, const YAML::Node& n) {
  if (!n.IsDefined()) return source;
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return source;
  return source + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return InvalidArgumentError("expected a duration (e.g. 500ms, 30s, 2m, 1h), got '" +
                                std::string(text) + "'");
  };
  if (text.empty()) return bad();
  Duration total{0};
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == start) return bad();
    double value;
    auto r = std::from_chars(text.data() + start, text.data() + i, value);
    if (r.ec != std::errc() || r.ptr != text.data() + i) return bad();
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double ns;
    if (unit.empty() || unit == "s")
      ns = 1e9;
    else if (unit == "ms")
      ns = 1e6;
    else if (unit == "us")
      ns = 1e3;
    else if (unit == "ns")
      ns = 1;
    else if (unit == "m")
      ns = 60e9;
    else if (unit == "h")
      ns = 3600e9;
    else if (unit == "d")
      ns = 86400e9;
    else
      return bad();
    if (unit.empty() && (any || i != text.size())) return bad();
    total += Duration(static_cast<int64_t>(std::llround(value * ns)));
    any = true;
  }
  return total;
}

Result<int64_t> ParseBytes(std::string_view text) {
  auto bad = [&] {
    return InvalidArgumentError("expected a size (e.g. 512, 64KiB, 100MiB, 2GiB), got '" +
                                std::string(text) + "'");
  };
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0) return bad();
  double value;
  auto r = std::from_chars(text.data(), text.data() + i, value);
  if (r.ec != std::errc() || r.ptr != text.data() + i) return bad();
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  double mult;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KiB" || unit == "K" || unit == "k")
    mult = 1024.0;
  else if (unit == "MiB" || unit == "M")
    mult = 1024.0 * 1024;
  else if (unit == "GiB" || unit == "G")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "TiB" || unit == "T")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else if (unit == "KB" || unit == "kB")
    mult = 1e3;
  else if (unit == "MB")
    mult = 1e6;
  else if (unit == "GB")
    mult = 1e9;
  else
    return bad();
  return static_cast<int64_t>(std::llround(value * mult));
}

ConfigNode::ConfigNode() : impl_(std::make_unique<Impl>()) {
  impl_->doc = std::make_shared<Doc>(Doc{"steady.yaml"});
}
ConfigNode::~ConfigNode() = default;
ConfigNode::ConfigNode(const ConfigNode& o)
    : impl_(std::make_unique<Impl>(*o.impl_)), path_(o.path_) {}
ConfigNode& ConfigNode::operator=(const ConfigNode& o) {
  if (this != &o) {
    impl_ = std::make_unique<Impl>(*o.impl_);
    path_ = o.path_;
  }
  return *this;
}

std::string ConfigNode::Where() const { return Mark(impl_->doc->source, impl_->node); }

bool ConfigNode::Has(std::string_view key) const {
  YAML::Node v = Lookup(impl_->node, key);
  return v.IsDefined() && !v.IsNull();
}

namespace {

// Looks up a scalar; returns the node or an error naming the place.
template <typename T, typename Convert>
Result<T> Scalar(const ConfigNode::Impl& impl, const std::string& path, std::string_view key,
                 const std::optional<T>& fallback, const char* expected, Convert convert) {
  std::string dotted = Join(path, key);
  YAML::Node v = Lookup(impl.node, key);
  if (!v.IsDefined() || v.IsNull()) {
    if (fallback) return *fallback;
    return NotFoundError(Mark(impl.doc->source, impl.node) + ": " + dotted + ": required, missing");
  }
  std::string where = Mark(impl.doc->source, v) + ": " + dotted + ": ";
  if (!v.IsScalar())
    return InvalidArgumentError(where + "expected " + expected + ", got a " +
                                (v.IsMap() ? "mapping" : "list"));
  Result<T> r = convert(v.Scalar());
  if (!r.ok()) return InvalidArgumentError(where + r.status().message());
  return r;
}

}  // namespace

// Exposed to the anonymous helper above through the friend-free Impl struct.
Result<std::string> ConfigNode::String(std::string_view key,
                                       std::optional<std::string> fallback) const {
  return Scalar<std::string>(*impl_, path_, key, fallback, "a string",
                             [](const std::string& s) -> Result<std::string> { return s; });
}

Result<int64_t> ConfigNode::Int(std::string_view key, std::optional<int64_t> fallback) const {
  return Scalar<int64_t>(*impl_, path_, key, fallback, "an integer",
                         [](const std::string& s) -> Result<int64_t> {
                           int64_t v;
                           auto r = std::from_chars(s.data(), s.data() + s.size(), v);
                           if (r.ec != std::errc() || r.ptr != s.data() + s.size())
                             return InvalidArgumentError("expected an integer, got '" + s + "'");
                           return v;
                         });
}

Result<double> ConfigNode::Double(std::string_view key, std::optional<double> fallback) const {
  return Scalar<double>(*impl_, path_, key, fallback, "a number",
                        [](const std::string& s) -> Result<double> {
                          double v;
                          auto r = std::from_chars(s.data(), s.data() + s.size(), v);
                          if (r.ec != std::errc() || r.ptr != s.data() + s.size())
                            return InvalidArgumentError("expected a number, got '" + s + "'");
                          return v;
                        });
}

Result<bool> ConfigNode::Bool(std::string_view key, std::optional<bool> fallback) const {
  return Scalar<bool>(*impl_, path_, key, fallback, "true or false",
                      [](const std::string& s) -> Result<bool> {
                        if (s == "true" || s == "yes" || s == "on") return true;
                        if (s == "false" || s == "no" || s == "off") return false;
                        return InvalidArgumentError("expected true or false, got '" + s + "'");
                      });
}

Result<Duration> ConfigNode::Dur(std::string_view key, std::optional<Duration> fallback) const {
  return Scalar<Duration>(*impl_, path_, key, fallback, "a duration",
                          [](const std::string& s) { return ParseDuration(s); });
}

Result<int64_t> ConfigNode::Bytes(std::string_view key, std::optional<int64_t> fallback) const {
  return Scalar<int64_t>(*impl_, path_, key, fallback, "a size",
                         [](const std::string& s) { return ParseBytes(s); });
}

Result<std::vector<std::string>> ConfigNode::StringList(std::string_view key) const {
  std::vector<std::string> out;
  if (!Has(key)) return out;
  YAML::Node v = Lookup(impl_->node, key);
  std::string where = Mark(impl_->doc->source, v) + ": " + Join(path_, key) + ": ";
  if (v.IsScalar()) return std::vector<std::string>{v.Scalar()};
  if (!v.IsSequence()) return InvalidArgumentError(where + "expected a list of strings");
  for (const auto& item : v) {
    if (!item.IsScalar())
      return InvalidArgumentError(Mark(impl_->doc->source, item) + ": " + Join(path_, key) +
                                  ": expected a list of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

namespace {

void AppendYamlAsJson(std::string& out, const YAML::Node& n) {
  if (n.IsMap()) {
    out += '{';
    bool first = true;
    for (const auto& kv : n) {
      if (!first) out += ',';
      first = false;
      AppendJsonString(out, kv.first.Scalar());
      out += ':';
      AppendYamlAsJson(out, kv.second);
    }
    out += '}';
  } else if (n.IsSequence()) {
    out += '[';
    bool first = true;
    for (const auto& item : n) {
      if (!first) out += ',';
      first = false;
      AppendYamlAsJson(out, item);
    }
    out += ']';
  } else if (n.IsNull() || !n.IsDefined()) {
    out += "null";
  } else {
    const std::string& s = n.Scalar();
    double d;
    auto r = std::from_chars(s.data(), s.data() + s.size(), d);
    bool quoted = n.Tag() == "!";  // written in quotes in the file: a string, whatever it reads as
    if (!quoted && !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size()) {
      out += s;
    } else if (!quoted && (s == "true" || s == "false")) {
      out += s;
    } else {
      AppendJsonString(out, s);
    }
  }
}

}  // namespace

Result<std::string> ConfigNode::Json(std::string_view key) const {
  YAML::Node v = Lookup(impl_->node, key);
  if (!v.IsDefined() || v.IsNull())
    return NotFoundError(Where() + ": " + Join(path_, key) + ": required, missing");
  if (v.IsScalar() && !v.Scalar().empty() && (v.Scalar()[0] == '{' || v.Scalar()[0] == '['))
    return v.Scalar();
  std::string out;
  AppendYamlAsJson(out, v);
  return out;
}

ConfigNode ConfigNode::Child(std::string_view key) const {
  ConfigNode c;
  c.impl_->doc = impl_->doc;
  c.path_ = Join(path_, key);
  YAML::Node v = Lookup(impl_->node, key);
  if (v.IsDefined() && !v.IsNull()) c.impl_->node = v;
  return c;
}

Result<std::vector<ConfigNode>> ConfigNode::List(std::string_view key) const {
  std::vector<ConfigNode> out;
  if (!Has(key)) return out;
  YAML::Node v = Lookup(impl_->node, key);
  if (!v.IsSequence())
    return InvalidArgumentError(Mark(impl_->doc->source, v) + ": " + Join(path_, key) +
                                ": expected a list");
  int i = 0;
  for (const auto& item : v) {
    ConfigNode c;
    c.impl_->doc = impl_->doc;
    c.impl_->node = YAML::Node(item);
    c.path_ = Join(path_, key) + "[" + std::to_string(i++) + "]";
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::string> ConfigNode::Keys() const {
  std::vector<std::string> keys;
  if (!impl_->node.IsMap()) return keys;
  for (const auto& kv : impl_->node) keys.push_back(kv.first.Scalar());
  return keys;
}

Status ConfigNode::CheckKeys(std::initializer_list<std::string_view> known) const {
  if (!impl_->node.IsMap()) return Status::Ok();
  for (const auto& kv : impl_->node) {
    const std::string& k = kv.first.Scalar();
    bool ok = false;
    for (std::string_view n : known) ok = ok || n == k;
    if (!ok) {
      std::string expected;
      for (std::string_view n : known) expected += (expected.empty() ? "" : ", ") + std::string(n);
      return InvalidArgumentError(Mark(impl_->doc->source, kv.first) + ": " + Join(path_, k) +
                                  ": unknown key (expected one of: " + expected + ")");
    }
  }
  return Status::Ok();
}

Result<Config> Config::Parse(std::string_view yaml, std::string source_name) {
  Config c;
  c.root_.impl_->doc = std::make_shared<ConfigNode::Doc>(ConfigNode::Doc{source_name});
  try {
    YAML::Node n = YAML::Load(std::string(yaml));
    if (n.IsDefined() && !n.IsNull() && !n.IsMap())
      return InvalidArgumentError(source_name + ": expected a mapping at the top level");
    c.root_.impl_->node = n;
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(source_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return c;
}

Result<Config> Config::LoadFile(const std::string& filename) {
  std::ifstream in(filename);
  if (!in) return NotFoundError("cannot open config file " + filename);
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), filename);
}

Config Config::Empty() { return Config(); }

}  // namespace steady
