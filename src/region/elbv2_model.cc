#include "region/elbv2_model.h"

#include <nlohmann/json.hpp>

#include <cassert>
#include <charconv>
#include <deque>

#include "region/elbv2_model_internal.h"
#include "region/front.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;

namespace {

int64_t Ns(Time t) { return ToUnixNanos(t); }

const std::map<std::string, std::string>& DefaultAttributes() {
  static const std::map<std::string, std::string> attrs = {
      {"deregistration_delay.timeout_seconds", "300"},
      {"stickiness.enabled", "false"},
      {"stickiness.type", "lb_cookie"},
      {"stickiness.lb_cookie.duration_seconds", "86400"},
      {"slow_start.duration_seconds", "0"},
      {"load_balancing.algorithm.type", "round_robin"},
  };
  return attrs;
}

json GroupToJson(const aws::TargetGroup& g) {
  return {{"arn", g.target_group_arn},
          {"name", g.target_group_name},
          {"protocol", g.protocol},
          {"port", g.port},
          {"vpc", g.vpc_id},
          {"type", g.target_type},
          {"path", g.health_check_path},
          {"interval", g.health_check_interval_seconds},
          {"timeout", g.health_check_timeout_seconds},
          {"healthy", g.healthy_threshold_count},
          {"unhealthy", g.unhealthy_threshold_count}};
}

aws::TargetGroup GroupFromJson(const json& j) {
  aws::TargetGroup g;
  g.target_group_arn = j.at("arn");
  g.target_group_name = j.at("name");
  g.protocol = j.at("protocol");
  g.port = j.at("port");
  g.vpc_id = j.at("vpc");
  g.target_type = j.at("type");
  g.health_check_path = j.at("path");
  g.health_check_interval_seconds = j.at("interval");
  g.health_check_timeout_seconds = j.at("timeout");
  g.healthy_threshold_count = j.at("healthy");
  g.unhealthy_threshold_count = j.at("unhealthy");
  return g;
}

json TargetToJson(const Elbv2Model::Target& t) {
  return {{"id", t.id},
          {"port", t.port},
          {"az", t.az},
          {"reg", Ns(t.registered)},
          {"dereg", t.deregistered ? Ns(*t.deregistered) : 0},
          {"down", t.down ? Ns(*t.down) : 0}};
}

bool ParseInt(const std::string& s, int64_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

}  // namespace

Elbv2Model::Elbv2Model(RegionContext& ctx) : ctx_(ctx) {}
Elbv2Model::~Elbv2Model() = default;

void Elbv2Model::SetMetrics(MetricsRegistry& metrics) {
  std::lock_guard lock(mu_);
  requests_ = &metrics.AddCounter("steady_region_elb_requests_total",
                                  "Requests the local region's load balancer traffic model "
                                  "served or failed, per target group.",
                                  {"target_group", "result"});
}

Elbv2Model::Group* Elbv2Model::FindLocked(const std::string& arn) {
  auto it = groups_.find(arn);
  return it == groups_.end() ? nullptr : it->second.get();
}

Status Elbv2Model::NoGroup(std::string_view op, const std::string& arn) const {
  return ServiceError(op, "TargetGroupNotFound", "Target groups '" + arn + "' not found");
}

uint64_t Elbv2Model::RecordLocked(json record) {
  record["s"] = "elbv2";
  Status s = ApplyLocked(record);
  assert(s.ok());
  (void)s;
  return ctx_.journal().Enqueue(record.dump());
}

Status Elbv2Model::Replay(const json& record) {
  std::lock_guard lock(mu_);
  return ApplyLocked(record);
}

Status Elbv2Model::ApplyLocked(const json& r) {
  try {
    const std::string op = r.at("op");
    if (op == "group") {
      auto g = std::make_unique<Group>();
      g->config = GroupFromJson(r.at("g"));
      g->attributes = DefaultAttributes();
      std::string arn = g->config.target_group_arn;
      groups_[arn] = std::move(g);
      return Status::Ok();
    }
    Group* g = FindLocked(r.at("arn"));
    if (!g) return DataLossError("elbv2 journal names unknown group");
    if (op == "delgroup") {
      groups_.erase(r.at("arn").get<std::string>());
    } else if (op == "attrs") {
      for (const auto& [k, v] : r.at("a").items()) g->attributes[k] = v.get<std::string>();
    } else if (op == "target") {
      const json& j = r.at("t");
      TargetKey key{j.at("id"), j.at("port")};
      Target& t = g->targets[key];
      t.id = key.first;
      t.port = key.second;
      t.az = j.at("az");
      t.registered = FromUnixNanos(j.at("reg"));
      int64_t dereg = j.at("dereg"), down = j.at("down");
      t.deregistered = dereg ? std::optional<Time>(FromUnixNanos(dereg)) : std::nullopt;
      t.down = down ? std::optional<Time>(FromUnixNanos(down)) : std::nullopt;
    } else if (op == "deltarget") {
      g->targets.erase(TargetKey{r.at("id"), r.at("port")});
    } else if (op == "traffic") {
      g->rps = r.at("rps");
      g->request_seconds = r.at("secs");
    } else {
      return DataLossError("elbv2 journal: unknown op " + op);
    }
    return Status::Ok();
  } catch (const json::exception& e) {
    return DataLossError(std::string("elbv2 journal: bad record: ") + e.what());
  }
}

json Elbv2Model::Snapshot() const {
  json out = json::array();
  for (const auto& [arn, g] : groups_) {
    out.push_back({{"s", "elbv2"}, {"op", "group"}, {"g", GroupToJson(g->config)}});
    out.push_back({{"s", "elbv2"}, {"op", "attrs"}, {"arn", arn}, {"a", g->attributes}});
    for (const auto& [key, t] : g->targets)
      out.push_back({{"s", "elbv2"}, {"op", "target"}, {"arn", arn}, {"t", TargetToJson(t)}});
    out.push_back({{"s", "elbv2"},
                   {"op", "traffic"},
                   {"arn", arn},
                   {"rps", g->rps},
                   {"secs", g->request_seconds}});
  }
  return out;
}

Status Elbv2Model::Restore(const json& snapshot) {
  std::lock_guard lock(mu_);
  groups_.clear();
  for (const json& r : snapshot) RETURN_IF_ERROR(ApplyLocked(r));
  return Status::Ok();
}

Result<aws::TargetGroup> Elbv2Model::CreateTargetGroup(const aws::CreateTargetGroupRequest& req) {
  const char* op = "CreateTargetGroup";
  if (req.name.empty() || req.name.size() > 32 || req.name.front() == '-' || req.name.back() == '-')
    return ServiceError(op, "ValidationError", "Target group name '" + req.name + "' is not valid");
  for (char c : req.name)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-')
      return ServiceError(op, "ValidationError",
                          "Target group name '" + req.name +
                              "' can only contain characters that are alphanumeric characters "
                              "or hyphens(-)");
  if (req.port < 1 || req.port > 65535)
    return ServiceError(op, "ValidationError", "Port must be between 1 and 65535");
  if (req.health_check_interval_seconds < 5 || req.health_check_interval_seconds > 300 ||
      req.healthy_threshold_count < 2 || req.healthy_threshold_count > 10 ||
      req.unhealthy_threshold_count < 2 || req.unhealthy_threshold_count > 10)
    return ServiceError(op, "ValidationError", "Health check settings are out of range");
  uint64_t seq;
  aws::TargetGroup g;
  {
    std::lock_guard lock(mu_);
    for (const auto& [arn, existing] : groups_) {
      if (existing->config.target_group_name != req.name) continue;
      if (existing->config.port == req.port && existing->config.protocol == req.protocol)
        return existing->config;  // idempotent, as ELB is for identical settings
      return ServiceError(op, "DuplicateTargetGroupName",
                          "A target group with the same name '" + req.name +
                              "' exists, but "
                              "with different settings");
    }
    g.target_group_name = req.name;
    g.target_group_arn =
        ctx_.Arn("elasticloadbalancing", "targetgroup/" + req.name + "/" + ctx_.NewHex(16));
    g.protocol = req.protocol;
    g.port = req.port;
    g.vpc_id = req.vpc_id;
    g.target_type = req.target_type;
    g.health_check_path = req.health_check_path;
    g.health_check_interval_seconds = req.health_check_interval_seconds;
    g.health_check_timeout_seconds = req.health_check_timeout_seconds;
    g.healthy_threshold_count = req.healthy_threshold_count;
    g.unhealthy_threshold_count = req.unhealthy_threshold_count;
    seq = RecordLocked({{"op", "group"}, {"g", GroupToJson(g)}});
  }
  RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return g;
}

Result<std::vector<aws::TargetGroup>> Elbv2Model::DescribeTargetGroups(
    const std::vector<std::string>& arns, const std::vector<std::string>& names) {
  std::lock_guard lock(mu_);
  std::vector<aws::TargetGroup> out;
  for (const auto& arn : arns) {
    Group* g = FindLocked(arn);
    if (!g) return NoGroup("DescribeTargetGroups", arn);
    out.push_back(g->config);
  }
  for (const auto& name : names) {
    bool found = false;
    for (const auto& [arn, g] : groups_)
      if (g->config.target_group_name == name) out.push_back(g->config), found = true;
    if (!found)
      return ServiceError("DescribeTargetGroups", "TargetGroupNotFound",
                          "One or more target groups not found");
  }
  if (arns.empty() && names.empty())
    for (const auto& [arn, g] : groups_) out.push_back(g->config);
  return out;
}

Status Elbv2Model::DeleteTargetGroup(const std::string& arn) {
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    if (!FindLocked(arn)) return Status::Ok();  // ELB's delete is idempotent
    seq = RecordLocked({{"op", "delgroup"}, {"arn", arn}});
  }
  return ctx_.journal().Commit(seq);
}

Result<std::map<std::string, std::string>> Elbv2Model::ModifyTargetGroupAttributes(
    const std::string& arn, const std::map<std::string, std::string>& attributes) {
  const char* op = "ModifyTargetGroupAttributes";
  for (const auto& [k, v] : attributes) {
    if (!DefaultAttributes().count(k))
      return ServiceError(op, "ValidationError",
                          "Target group attribute key '" + k + "' is not recognized");
    int64_t n;
    if (k == "deregistration_delay.timeout_seconds" && (!ParseInt(v, n) || n < 0 || n > 3600))
      return ServiceError(op, "ValidationError",
                          "'deregistration_delay.timeout_seconds' must be a number between 0 "
                          "and 3600");
  }
  uint64_t seq;
  std::map<std::string, std::string> out;
  {
    std::lock_guard lock(mu_);
    Group* g = FindLocked(arn);
    if (!g) return NoGroup(op, arn);
    seq = RecordLocked({{"op", "attrs"}, {"arn", arn}, {"a", attributes}});
    out = g->attributes;
  }
  RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return out;
}

Result<std::map<std::string, std::string>> Elbv2Model::DescribeTargetGroupAttributes(
    const std::string& arn) {
  std::lock_guard lock(mu_);
  Group* g = FindLocked(arn);
  if (!g) return NoGroup("DescribeTargetGroupAttributes", arn);
  return g->attributes;
}

namespace {
std::vector<FleetTarget> ToFleetTargets(const std::vector<aws::TargetDescription>& targets,
                                        int default_port) {
  std::vector<FleetTarget> out;
  for (const auto& t : targets) out.push_back({t.id, t.port.value_or(default_port)});
  return out;
}
}  // namespace

Status Elbv2Model::RegisterTargets(const std::string& arn,
                                   const std::vector<aws::TargetDescription>& targets) {
  int port;
  {
    std::lock_guard lock(mu_);
    Group* g = FindLocked(arn);
    if (!g) return NoGroup("RegisterTargets", arn);
    port = g->config.port;
  }
  return Register("RegisterTargets", arn, ToFleetTargets(targets, port));
}

Status Elbv2Model::DeregisterTargets(const std::string& arn,
                                     const std::vector<aws::TargetDescription>& targets) {
  int port;
  {
    std::lock_guard lock(mu_);
    Group* g = FindLocked(arn);
    if (!g) return NoGroup("DeregisterTargets", arn);
    port = g->config.port;
  }
  return Deregister("DeregisterTargets", arn, ToFleetTargets(targets, port));
}

Status Elbv2Model::Register(std::string_view op, const std::string& arn,
                            const std::vector<FleetTarget>& targets) {
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    Group* g = FindLocked(arn);
    if (!g) return NoGroup(op, arn);
    for (const auto& ft : targets)
      if (ft.id.empty() || ft.port < 1 || ft.port > 65535)
        return ServiceError(op, "InvalidTarget", "The target '" + ft.id + "' is not valid");
    Time now = ctx_.clock.Now();
    for (const auto& ft : targets) {
      auto it = g->targets.find({ft.id, ft.port});
      // Registering a live registered target again changes nothing; a draining or dead one
      // starts over.
      if (it != g->targets.end() && !it->second.deregistered && !it->second.down) continue;
      if (it != g->targets.end()) KillLocked(*g, it->second, now, Failure::kReregistered);
      Target t;
      t.id = ft.id;
      t.port = ft.port;
      t.registered = now;
      seq = RecordLocked({{"op", "target"}, {"arn", arn}, {"t", TargetToJson(t)}});
    }
  }
  return seq ? ctx_.journal().Commit(seq) : Status::Ok();
}

Status Elbv2Model::Deregister(std::string_view op, const std::string& arn,
                              const std::vector<FleetTarget>& targets) {
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    Group* g = FindLocked(arn);
    if (!g) return NoGroup(op, arn);
    Time now = ctx_.clock.Now();
    for (const auto& ft : targets) {
      auto it = g->targets.find({ft.id, ft.port});
      if (it == g->targets.end())
        return ServiceError(op, "InvalidTarget",
                            "The following targets are not registered in target group '" +
                                g->config.target_group_name + "': '" + ft.id + "'");
    }
    for (const auto& ft : targets) {
      Target t = g->targets[{ft.id, ft.port}];
      if (t.deregistered) continue;
      t.deregistered = now;
      seq = RecordLocked({{"op", "target"}, {"arn", arn}, {"t", TargetToJson(t)}});
    }
  }
  return seq ? ctx_.journal().Commit(seq) : Status::Ok();
}

void Elbv2Model::RegisterTargets(const std::string& arn, const std::vector<FleetTarget>& targets) {
  (void)Register("RegisterTargets", arn, targets);
}

void Elbv2Model::DeregisterTargets(const std::string& arn,
                                   const std::vector<FleetTarget>& targets) {
  (void)Deregister("DeregisterTargets", arn, targets);
}

std::string Elbv2Model::StateLocked(const Group& g, const Target& t, Time now) const {
  const auto interval = std::chrono::seconds(g.config.health_check_interval_seconds);
  if (t.deregistered) {
    int64_t delay = 300;
    auto it = g.attributes.find("deregistration_delay.timeout_seconds");
    if (it != g.attributes.end()) ParseInt(it->second, delay);
    return now >= *t.deregistered + std::chrono::seconds(delay) ? "unused" : "draining";
  }
  Time healthy_at = t.registered + interval * g.config.healthy_threshold_count;
  if (t.down) {
    if (now >= *t.down + interval * g.config.unhealthy_threshold_count) return "unhealthy";
    return healthy_at <= *t.down ? "healthy" : "initial";
  }
  return now >= healthy_at ? "healthy" : "initial";
}

std::string Elbv2Model::TargetState(const std::string& arn, const FleetTarget& target) {
  std::lock_guard lock(mu_);
  Group* g = FindLocked(arn);
  if (!g) return "unused";
  auto it = g->targets.find({target.id, target.port});
  if (it == g->targets.end()) return "unused";
  return StateLocked(*g, it->second, ctx_.clock.Now());
}

std::vector<std::string> Elbv2Model::TargetStates(const std::string& arn,
                                                  const std::vector<FleetTarget>& targets) {
  std::vector<std::string> out(targets.size(), "unused");
  std::lock_guard lock(mu_);
  Group* g = FindLocked(arn);
  if (!g) return out;
  Time now = ctx_.clock.Now();
  // One ordered walk of the group's targets instead of a lookup per target.
  std::vector<size_t> order(targets.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  auto key_less = [](const std::string& id_a, int port_a, const std::string& id_b, int port_b) {
    int c = id_a.compare(id_b);
    return c < 0 || (c == 0 && port_a < port_b);
  };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return key_less(targets[a].id, targets[a].port, targets[b].id, targets[b].port);
  });
  auto it = g->targets.begin();
  for (size_t k : order) {
    const FleetTarget& t = targets[k];
    while (it != g->targets.end() && key_less(it->first.first, it->first.second, t.id, t.port))
      ++it;
    if (it == g->targets.end()) break;
    if (it->first.first == t.id && it->first.second == t.port)
      out[k] = StateLocked(*g, it->second, now);
  }
  return out;
}

Result<std::vector<aws::TargetHealthDescription>> Elbv2Model::DescribeTargetHealth(
    const std::string& arn, const std::vector<aws::TargetDescription>& targets) {
  std::lock_guard lock(mu_);
  Group* g = FindLocked(arn);
  if (!g) return NoGroup("DescribeTargetHealth", arn);
  Time now = ctx_.clock.Now();
  auto describe = [&](const std::string& id, int port, const Target* t) {
    aws::TargetHealthDescription d;
    d.target.id = id;
    d.target.port = port;
    d.health_check_port = std::to_string(port);
    std::string state = t ? StateLocked(*g, *t, now) : "unused";
    d.target_health.state = state;
    if (state == "initial") {
      d.target_health.reason = "Elb.RegistrationInProgress";
      d.target_health.description = "Target registration is in progress";
    } else if (state == "draining") {
      d.target_health.reason = "Target.DeregistrationInProgress";
      d.target_health.description = "Target deregistration is in progress";
    } else if (state == "unhealthy") {
      d.target_health.reason = "Target.FailedHealthChecks";
      d.target_health.description = "Health checks failed";
    } else if (state == "unused") {
      d.target_health.reason = "Target.NotRegistered";
      d.target_health.description = "Target is not registered to the target group";
    }
    return d;
  };
  std::vector<aws::TargetHealthDescription> out;
  if (targets.empty()) {
    for (const auto& [key, t] : g->targets) out.push_back(describe(t.id, t.port, &t));
  } else {
    for (const auto& td : targets) {
      int port = td.port.value_or(g->config.port);
      auto it = g->targets.find({td.id, port});
      out.push_back(describe(td.id, port, it == g->targets.end() ? nullptr : &it->second));
    }
  }
  return out;
}

}  // namespace steady::region
