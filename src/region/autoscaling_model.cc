#include "region/autoscaling_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>

#include "region/autoscaling_model_internal.h"
#include "region/front.h"
#include "region/service_error.h"

namespace steady::aws {
// Journal forms of the API types (the .cc only: nlohmann stays out of the headers).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AutoScalingTag, key, value, propagate_at_launch)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AsgLaunchTemplate, launch_template_name, version,
                                                instance_type, user_data)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InstancesDistribution, on_demand_base_capacity,
                                                on_demand_percentage_above_base_capacity,
                                                spot_allocation_strategy)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MixedInstancesPolicy, launch_template, overrides,
                                                instances_distribution)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LifecycleHook, lifecycle_hook_name,
                                                auto_scaling_group_name, lifecycle_transition,
                                                notification_target_arn, role_arn,
                                                notification_metadata, heartbeat_timeout,
                                                global_timeout, default_result)
}  // namespace steady::aws

namespace steady::region {

using nlohmann::json;

namespace {

int64_t Ns(Time t) { return ToUnixNanos(t); }

template <typename T>
json Opt(const std::optional<T>& v) {
  return v ? json(*v) : json();
}
template <typename T>
std::optional<T> OptFrom(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<T>();
}

json GroupToJson(const AutoScalingModel::Group& g) {
  const auto& c = g.config;
  json members = json::array();
  for (const auto& [id, m] : g.members)
    members.push_back({{"id", m.id},
                       {"type", m.type},
                       {"az", m.az},
                       {"state", m.state},
                       {"protect", m.protect},
                       {"spot", m.spot},
                       {"lt", m.lt_name},
                       {"launched", Ns(m.launched)}});
  json hooks = json::array();
  for (const auto& [name, h] : g.hooks) hooks.push_back(h);
  return {{"name", c.auto_scaling_group_name},
          {"arn", g.arn},
          {"created", Ns(g.created)},
          {"lt", Opt(c.launch_template)},
          {"mip", Opt(c.mixed_instances_policy)},
          {"min", c.min_size},
          {"max", c.max_size},
          {"desired", g.Desired()},
          {"azs", c.availability_zones},
          {"vpc", c.vpc_zone_identifier},
          {"tags", c.tags},
          {"protect", c.new_instances_protected_from_scale_in},
          {"hooks", hooks},
          {"members", members}};
}

std::unique_ptr<AutoScalingModel::Group> GroupFromJson(const json& j) {
  auto g = std::make_unique<AutoScalingModel::Group>();
  auto& c = g->config;
  c.auto_scaling_group_name = j.at("name");
  g->arn = j.at("arn");
  g->created = FromUnixNanos(j.at("created"));
  c.launch_template = OptFrom<aws::AsgLaunchTemplate>(j.at("lt"));
  c.mixed_instances_policy = OptFrom<aws::MixedInstancesPolicy>(j.at("mip"));
  c.min_size = j.at("min");
  c.max_size = j.at("max");
  c.desired_capacity = j.at("desired").get<int>();
  c.availability_zones = j.at("azs");
  c.vpc_zone_identifier = j.at("vpc");
  c.tags = j.at("tags");
  c.new_instances_protected_from_scale_in = j.at("protect");
  for (const auto& h : j.at("hooks")) {
    auto hook = h.get<aws::LifecycleHook>();
    g->hooks[hook.lifecycle_hook_name] = hook;
  }
  for (const auto& mj : j.at("members")) {
    AsgMember m;
    m.id = mj.at("id");
    m.type = mj.at("type");
    m.az = mj.at("az");
    m.state = mj.at("state");
    m.protect = mj.at("protect");
    m.spot = mj.at("spot");
    m.lt_name = mj.at("lt");
    m.launched = FromUnixNanos(mj.at("launched"));
    g->members[m.id] = m;
  }
  return g;
}

json ActionToJson(const AutoScalingModel::Action& a) {
  return {{"token", a.token},           {"hook", a.hook},
          {"group", a.group},           {"instance", a.instance},
          {"deadline", Ns(a.deadline)}, {"global", Ns(a.global_deadline)}};
}

}  // namespace

AutoScalingModel::AutoScalingModel(RegionContext& ctx, Ec2Model& ec2, SqsModel* sqs,
                                   EventsModel* events)
    : ctx_(ctx), ec2_(ec2), sqs_(sqs), events_(events) {}
AutoScalingModel::~AutoScalingModel() = default;

AutoScalingModel::Group* AutoScalingModel::FindLocked(const std::string& name) {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : it->second.get();
}

Status AutoScalingModel::NoGroup(std::string_view op, const std::string& name) const {
  return ServiceError(op, "ValidationError",
                      "AutoScalingGroup name not found - AutoScalingGroup " + name + " not found");
}

uint64_t AutoScalingModel::PutGroupLocked(const Group& g) {
  json record = {{"s", "autoscaling"}, {"op", "group"}, {"g", GroupToJson(g)}};
  Status s = ApplyLocked(record);
  assert(s.ok());
  (void)s;
  return ctx_.journal().Enqueue(record.dump());
}

uint64_t AutoScalingModel::PutActionLocked(const Action& a) {
  json record = {{"s", "autoscaling"}, {"op", "action"}, {"a", ActionToJson(a)}};
  Status s = ApplyLocked(record);
  assert(s.ok());
  (void)s;
  return ctx_.journal().Enqueue(record.dump());
}

uint64_t AutoScalingModel::DeleteActionLocked(const std::string& token) {
  json record = {{"s", "autoscaling"}, {"op", "delaction"}, {"token", token}};
  (void)ApplyLocked(record);
  return ctx_.journal().Enqueue(record.dump());
}

Status AutoScalingModel::Replay(const json& record) {
  std::lock_guard lock(mu_);
  return ApplyLocked(record);
}

Status AutoScalingModel::ApplyLocked(const json& r) {
  try {
    const std::string op = r.at("op");
    if (op == "group") {
      auto g = GroupFromJson(r.at("g"));
      std::string name = g->config.auto_scaling_group_name;
      groups_[name] = std::move(g);
    } else if (op == "delgroup") {
      groups_.erase(r.at("name").get<std::string>());
    } else if (op == "action") {
      const json& j = r.at("a");
      auto a = std::make_unique<Action>();
      a->token = j.at("token");
      a->hook = j.at("hook");
      a->group = j.at("group");
      a->instance = j.at("instance");
      a->deadline = FromUnixNanos(j.at("deadline"));
      a->global_deadline = FromUnixNanos(j.at("global"));
      std::string token = a->token;
      actions_[token] = std::move(a);
    } else if (op == "delaction") {
      actions_.erase(r.at("token").get<std::string>());
    } else {
      return DataLossError("autoscaling journal: unknown op " + op);
    }
    return Status::Ok();
  } catch (const json::exception& e) {
    return DataLossError(std::string("autoscaling journal: bad record: ") + e.what());
  }
}

json AutoScalingModel::Snapshot() const {
  json out = json::array();
  for (const auto& [name, g] : groups_)
    out.push_back({{"s", "autoscaling"}, {"op", "group"}, {"g", GroupToJson(*g)}});
  for (const auto& [token, a] : actions_)
    out.push_back({{"s", "autoscaling"}, {"op", "action"}, {"a", ActionToJson(*a)}});
  return out;
}

Status AutoScalingModel::Restore(const json& snapshot) {
  std::lock_guard lock(mu_);
  groups_.clear();
  actions_.clear();
  for (const json& r : snapshot) RETURN_IF_ERROR(ApplyLocked(r));
  return Status::Ok();
}

Status AutoScalingModel::CheckSizes(std::string_view op, int min, int max, int desired) const {
  if (min < 0 || max < 0)
    return ServiceError(op, "ValidationError", "MinSize and MaxSize must be >= 0");
  if (min > max)
    return ServiceError(op, "ValidationError",
                        "Max bound, " + std::to_string(max) +
                            ", must be greater than or equal to min bound, " + std::to_string(min));
  if (desired > max)
    return ServiceError(op, "ValidationError",
                        "Desired capacity:" + std::to_string(desired) +
                            " must be between the specified min size:" + std::to_string(min) +
                            " and max size:" + std::to_string(max));
  if (desired < min)
    return ServiceError(op, "ValidationError",
                        "Desired capacity:" + std::to_string(desired) +
                            " must be between the specified min size:" + std::to_string(min) +
                            " and max size:" + std::to_string(max));
  return Status::Ok();
}

namespace {
Status CheckTemplate(std::string_view op, const std::optional<aws::AsgLaunchTemplate>& lt,
                     const std::optional<aws::MixedInstancesPolicy>& mip) {
  std::vector<std::string> types;
  if (lt) types.push_back(lt->instance_type);
  if (mip) {
    types.push_back(mip->launch_template.instance_type);
    for (const auto& o : mip->overrides) types.push_back(o);
    const auto& d = mip->instances_distribution;
    if (d.on_demand_base_capacity < 0 || d.on_demand_percentage_above_base_capacity < 0 ||
        d.on_demand_percentage_above_base_capacity > 100)
      return ServiceError(op, "ValidationError", "InstancesDistribution values are out of range");
  }
  for (const auto& t : types)
    if (!Ec2Model::InstanceType(t))
      return ServiceError(op, "ValidationError",
                          "The instance type '" + t + "' is not supported by the local region");
  return Status::Ok();
}
}  // namespace

Status AutoScalingModel::CreateAutoScalingGroup(const aws::CreateAutoScalingGroupRequest& req) {
  const char* op = "CreateAutoScalingGroup";
  if (req.auto_scaling_group_name.empty() || req.auto_scaling_group_name.size() > 255)
    return ServiceError(op, "ValidationError", "AutoScalingGroupName is not valid");
  if (!req.launch_template && !req.mixed_instances_policy)
    return ServiceError(op, "ValidationError",
                        "Valid requests must contain either LaunchTemplate, "
                        "LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.");
  RETURN_IF_ERROR(CheckTemplate(op, req.launch_template, req.mixed_instances_policy));
  int desired = req.desired_capacity.value_or(req.min_size);
  RETURN_IF_ERROR(CheckSizes(op, req.min_size, req.max_size, desired));
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    if (FindLocked(req.auto_scaling_group_name))
      return ServiceError(op, "AlreadyExists",
                          "AutoScalingGroup by this name already exists - A group with the name " +
                              req.auto_scaling_group_name + " already exists");
    Group g;
    g.config = req;
    g.config.desired_capacity = desired;
    if (g.config.availability_zones.empty())
      g.config.availability_zones = {ctx_.region + "a", ctx_.region + "b", ctx_.region + "c"};
    g.arn = ctx_.Arn("autoscaling", "autoScalingGroup:" + ctx_.NewId() + ":autoScalingGroupName/" +
                                        req.auto_scaling_group_name);
    g.created = ctx_.clock.Now();
    seq = PutGroupLocked(g);
  }
  // Instances launch on the next Tick (the region ticks every second).
  return ctx_.journal().Commit(seq);
}

Result<std::vector<aws::AutoScalingGroup>> AutoScalingModel::DescribeAutoScalingGroups(
    const std::vector<std::string>& names) {
  std::lock_guard lock(mu_);
  std::vector<aws::AutoScalingGroup> out;
  for (const auto& [name, g] : groups_) {
    if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
    aws::AutoScalingGroup a;
    const auto& c = g->config;
    a.auto_scaling_group_name = name;
    a.auto_scaling_group_arn = g->arn;
    a.launch_template = c.launch_template;
    a.mixed_instances_policy = c.mixed_instances_policy;
    a.min_size = c.min_size;
    a.max_size = c.max_size;
    a.desired_capacity = g->Desired();
    a.availability_zones = c.availability_zones;
    a.vpc_zone_identifier = c.vpc_zone_identifier;
    a.tags = c.tags;
    a.created_time = g->created;
    a.new_instances_protected_from_scale_in = c.new_instances_protected_from_scale_in;
    for (const auto& [id, m] : g->members)
      a.instances.push_back({m.id, m.type, m.az, m.state, "Healthy", m.protect, m.lt_name, m.spot});
    out.push_back(std::move(a));
  }
  return out;
}

Status AutoScalingModel::UpdateAutoScalingGroup(const aws::UpdateAutoScalingGroupRequest& req) {
  const char* op = "UpdateAutoScalingGroup";
  RETURN_IF_ERROR(CheckTemplate(op, req.launch_template, req.mixed_instances_policy));
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    Group* found = FindLocked(req.auto_scaling_group_name);
    if (!found) return NoGroup(op, req.auto_scaling_group_name);
    Group g = *found;
    auto& c = g.config;
    if (req.min_size) c.min_size = *req.min_size;
    if (req.max_size) c.max_size = *req.max_size;
    int desired = req.desired_capacity.value_or(g.Desired());
    // As AWS does: a new min above desired (or max below it) moves desired along.
    if (!req.desired_capacity)
      desired = std::clamp(desired, c.min_size, std::max(c.min_size, c.max_size));
    RETURN_IF_ERROR(CheckSizes(op, c.min_size, c.max_size, desired));
    c.desired_capacity = desired;
    if (req.launch_template) c.launch_template = req.launch_template;
    if (req.mixed_instances_policy) c.mixed_instances_policy = req.mixed_instances_policy;
    if (req.new_instances_protected_from_scale_in)
      c.new_instances_protected_from_scale_in = *req.new_instances_protected_from_scale_in;
    seq = PutGroupLocked(g);
  }
  return ctx_.journal().Commit(seq);
}

Status AutoScalingModel::SetDesiredCapacity(const std::string& name, int desired) {
  const char* op = "SetDesiredCapacity";
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    Group* found = FindLocked(name);
    if (!found) return NoGroup(op, name);
    Group g = *found;
    if (desired > g.config.max_size)
      return ServiceError(op, "ValidationError",
                          "New SetDesiredCapacity value " + std::to_string(desired) +
                              " is above max value " + std::to_string(g.config.max_size) +
                              " for the AutoScalingGroup.");
    if (desired < g.config.min_size)
      return ServiceError(op, "ValidationError",
                          "New SetDesiredCapacity value " + std::to_string(desired) +
                              " is below min value " + std::to_string(g.config.min_size) +
                              " for the AutoScalingGroup.");
    g.config.desired_capacity = desired;
    seq = PutGroupLocked(g);
  }
  return ctx_.journal().Commit(seq);
}

Status AutoScalingModel::SetInstanceProtection(const std::string& name,
                                               const std::vector<std::string>& instance_ids,
                                               bool protect) {
  const char* op = "SetInstanceProtection";
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    Group* found = FindLocked(name);
    if (!found) return NoGroup(op, name);
    Group g = *found;
    for (const auto& id : instance_ids) {
      auto it = g.members.find(id);
      if (it == g.members.end())
        return ServiceError(
            op, "ValidationError",
            "The instance " + id + " is not part of Auto Scaling group " + name + ".");
      it->second.protect = protect;
    }
    seq = PutGroupLocked(g);
  }
  return ctx_.journal().Commit(seq);
}

Result<std::vector<aws::AutoScalingInstanceDetails>> AutoScalingModel::DescribeAutoScalingInstances(
    const std::vector<std::string>& instance_ids) {
  std::lock_guard lock(mu_);
  std::vector<aws::AutoScalingInstanceDetails> out;
  for (const auto& [name, g] : groups_)
    for (const auto& [id, m] : g->members) {
      if (!instance_ids.empty() &&
          std::find(instance_ids.begin(), instance_ids.end(), id) == instance_ids.end())
        continue;
      out.push_back({name, {m.id, m.type, m.az, m.state, "Healthy", m.protect, m.lt_name, m.spot}});
    }
  return out;
}

Result<std::string> AutoScalingModel::TerminateInstanceInAutoScalingGroup(
    const std::string& instance_id, bool decrement) {
  const char* op = "TerminateInstanceInAutoScalingGroup";
  Effects fx;
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    Group* found = nullptr;
    for (auto& [name, g] : groups_)
      if (g->members.count(instance_id)) found = g.get();
    if (!found)
      return ServiceError(
          op, "ValidationError",
          "Instance Id not found - No managed instance found for instance ID: " + instance_id);
    Group g = *found;
    if (g.members[instance_id].Terminating()) return "Terminating EC2 instance: " + instance_id;
    if (decrement) {
      if (g.Desired() - 1 < g.config.min_size)
        return ServiceError(op, "ValidationError",
                            "Currently, desiredSize equals minSize (" +
                                std::to_string(g.config.min_size) +
                                "). Terminating instance without replacement will violate "
                                "group's min size constraint. Either set "
                                "shouldDecrementDesiredCapacity flag to false or lower group's "
                                "min size.");
      g.config.desired_capacity = g.Desired() - 1;
    }
    BeginTerminateLocked(g, instance_id, ctx_.clock.Now(), fx, seq);
    seq = PutGroupLocked(g);
  }
  RETURN_IF_ERROR(Finish(fx, seq));
  return "Terminating EC2 instance: " + instance_id;
}

}  // namespace steady::region
