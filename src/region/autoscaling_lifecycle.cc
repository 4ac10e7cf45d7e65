// AutoScalingModel's time: lifecycle hooks and actions, the EC2 sync, scaling, and the effects
// run once the lock is released.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "base/log.h"
#include "base/time_format.h"
#include "region/autoscaling_model.h"
#include "region/autoscaling_model_internal.h"
#include "region/events_model.h"
#include "region/service_error.h"
#include "region/sqs_model.h"

namespace steady::region {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {
constexpr const char* kTerminating = "autoscaling:EC2_INSTANCE_TERMINATING";
constexpr const char* kLaunching = "autoscaling:EC2_INSTANCE_LAUNCHING";
}  // namespace

void AutoScalingModel::BeginTerminateLocked(Group& g, const std::string& instance_id, Time now,
                                            Effects& fx, uint64_t& seq) {
  AsgMember& m = g.members[instance_id];
  bool waits = false;
  for (const auto& [name, hook] : g.hooks) {
    if (hook.lifecycle_transition != kTerminating) continue;
    waits = true;
    Action a;
    a.token = ctx_.NewId();
    a.hook = name;
    a.group = g.config.auto_scaling_group_name;
    a.instance = instance_id;
    a.deadline = now + std::chrono::seconds(hook.heartbeat_timeout);
    a.global_deadline = now + std::chrono::seconds(hook.global_timeout);
    seq = PutActionLocked(a);
    std::string time = FormatIso8601(now, true);
    if (!hook.notification_target_arn.empty()) {
      ordered_json body = {{"Origin", "AutoScalingGroup"},
                           {"LifecycleHookName", name},
                           {"Destination", "EC2"},
                           {"AccountId", ctx_.account_id},
                           {"RequestId", ctx_.NewId()},
                           {"LifecycleTransition", kTerminating},
                           {"AutoScalingGroupName", a.group},
                           {"Service", "AWS Auto Scaling"},
                           {"Time", time},
                           {"EC2InstanceId", instance_id},
                           {"LifecycleActionToken", a.token}};
      if (!hook.notification_metadata.empty())
        body["NotificationMetadata"] = hook.notification_metadata;
      fx.sqs.emplace_back(hook.notification_target_arn, body.dump());
    }
    json detail = {{"LifecycleActionToken", a.token},
                   {"AutoScalingGroupName", a.group},
                   {"LifecycleHookName", name},
                   {"EC2InstanceId", instance_id},
                   {"LifecycleTransition", kTerminating},
                   {"Origin", "AutoScalingGroup"},
                   {"Destination", "EC2"}};
    if (!hook.notification_metadata.empty())
      detail["NotificationMetadata"] = hook.notification_metadata;
    fx.events.push_back({{"source", "aws.autoscaling"},
                         {"detail-type", "EC2 Instance-terminate Lifecycle Action"},
                         {"time", FormatRfc3339Nanos(now)},
                         {"resources", {g.arn}},
                         {"detail", detail}});
  }
  if (waits) {
    m.state = "Terminating:Wait";
  } else {
    m.state = "Terminating";
    fx.terminates.push_back(instance_id);
  }
}

void AutoScalingModel::ProceedLocked(Group& g, const std::string& instance_id, Effects& fx,
                                     uint64_t& seq) {
  std::vector<std::string> tokens;
  for (const auto& [token, a] : actions_)
    if (a->instance == instance_id) tokens.push_back(token);
  for (const auto& t : tokens) seq = DeleteActionLocked(t);
  auto it = g.members.find(instance_id);
  if (it == g.members.end()) return;
  it->second.state = "Terminating:Proceed";
  fx.terminates.push_back(instance_id);
}

Status AutoScalingModel::PutLifecycleHook(const aws::LifecycleHook& hook) {
  const char* op = "PutLifecycleHook";
  if (hook.lifecycle_hook_name.empty())
    return ServiceError(op, "ValidationError", "LifecycleHookName is required");
  if (hook.lifecycle_transition != kTerminating && hook.lifecycle_transition != kLaunching)
    return ServiceError(op, "ValidationError",
                        "Invalid Lifecycle Transition: " + hook.lifecycle_transition);
  if (hook.heartbeat_timeout < 30 || hook.heartbeat_timeout > 7200)
    return ServiceError(op, "ValidationError",
                        "Heartbeat timeout must be between 30 and 7200 seconds");
  if (hook.default_result != "CONTINUE" && hook.default_result != "ABANDON")
    return ServiceError(op, "ValidationError", "DefaultResult must be CONTINUE or ABANDON");
  Effects fx;
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    Group* found = FindLocked(hook.auto_scaling_group_name);
    if (!found) return NoGroup(op, hook.auto_scaling_group_name);
    Group g = *found;
    aws::LifecycleHook h = hook;
    h.global_timeout = std::min(100 * h.heartbeat_timeout, 172800);
    g.hooks[h.lifecycle_hook_name] = h;
    seq = PutGroupLocked(g);
    if (!h.notification_target_arn.empty()) {
      ordered_json body = {{"AccountId", ctx_.account_id},
                           {"RequestId", ctx_.NewId()},
                           {"AutoScalingGroupARN", g.arn},
                           {"AutoScalingGroupName", g.config.auto_scaling_group_name},
                           {"Service", "AWS Auto Scaling"},
                           {"Event", "autoscaling:TEST_NOTIFICATION"},
                           {"Time", FormatIso8601(ctx_.clock.Now(), true)}};
      fx.sqs.emplace_back(h.notification_target_arn, body.dump());
    }
  }
  return Finish(fx, seq);
}

Result<std::vector<aws::LifecycleHook>> AutoScalingModel::DescribeLifecycleHooks(
    const std::string& group, const std::vector<std::string>& names) {
  std::lock_guard lock(mu_);
  Group* g = FindLocked(group);
  if (!g) return NoGroup("DescribeLifecycleHooks", group);
  std::vector<aws::LifecycleHook> out;
  for (const auto& [name, h] : g->hooks)
    if (names.empty() || std::find(names.begin(), names.end(), name) != names.end())
      out.push_back(h);
  return out;
}

namespace {
// The action a Complete/Heartbeat call names: by token, else by hook and instance.
AutoScalingModel::Action* FindAction(
    std::map<std::string, std::unique_ptr<AutoScalingModel::Action>>& actions,
    const std::string& hook, const std::string& group, const std::string& token,
    const std::string& instance) {
  for (auto& [t, a] : actions) {
    if (a->hook != hook || a->group != group) continue;
    if (!token.empty() ? t == token : a->instance == instance) return a.get();
  }
  return nullptr;
}
}  // namespace

Status AutoScalingModel::CompleteLifecycleAction(const aws::CompleteLifecycleActionRequest& req) {
  const char* op = "CompleteLifecycleAction";
  if (req.lifecycle_action_result != "CONTINUE" && req.lifecycle_action_result != "ABANDON")
    return ServiceError(op, "ValidationError", "LifecycleActionResult must be CONTINUE or ABANDON");
  Effects fx;
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    Group* found = FindLocked(req.auto_scaling_group_name);
    if (!found) return NoGroup(op, req.auto_scaling_group_name);
    Action* a = FindAction(actions_, req.lifecycle_hook_name, req.auto_scaling_group_name,
                           req.lifecycle_action_token, req.instance_id);
    if (!a)
      return ServiceError(
          op, "ValidationError",
          "No active Lifecycle Action found with " + (req.lifecycle_action_token.empty()
                                                          ? "instance ID " + req.instance_id
                                                          : "token " + req.lifecycle_action_token));
    std::string instance = a->instance;
    Group g = *found;
    seq = DeleteActionLocked(a->token);
    bool others = false;
    for (const auto& [t, other] : actions_) others = others || other->instance == instance;
    if (req.lifecycle_action_result == "ABANDON" || !others) {
      ProceedLocked(g, instance, fx, seq);
      seq = PutGroupLocked(g);
    }
  }
  return Finish(fx, seq);
}

Status AutoScalingModel::RecordLifecycleActionHeartbeat(const std::string& hook_name,
                                                        const std::string& group,
                                                        const std::string& token,
                                                        const std::string& instance_id) {
  const char* op = "RecordLifecycleActionHeartbeat";
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    if (!FindLocked(group)) return NoGroup(op, group);
    Action* found = FindAction(actions_, hook_name, group, token, instance_id);
    if (!found)
      return ServiceError(op, "ValidationError",
                          "No active Lifecycle Action found with " +
                              (token.empty() ? "instance ID " + instance_id : "token " + token));
    const aws::LifecycleHook& hook = groups_[group]->hooks[hook_name];
    Action a = *found;
    a.deadline = std::min(ctx_.clock.Now() + std::chrono::seconds(hook.heartbeat_timeout),
                          a.global_deadline);
    seq = PutActionLocked(a);
  }
  return ctx_.journal().Commit(seq);
}

void AutoScalingModel::ScaleLocked(Group& g, Time now, Effects& fx, uint64_t& seq) {
  std::vector<AsgMember*> live;
  int od = 0;
  std::map<std::string, int> per_az;
  for (const auto& az : g.config.availability_zones) per_az[az] = 0;
  for (auto& [id, m] : g.members) {
    if (m.Terminating()) continue;
    live.push_back(&m);
    od += m.spot ? 0 : 1;
    per_az[m.az]++;
  }
  const int desired = g.Desired();
  const int current = static_cast<int>(live.size());
  const auto& mip = g.config.mixed_instances_policy;
  const aws::AsgLaunchTemplate& lt = mip ? mip->launch_template : *g.config.launch_template;
  std::vector<std::string> types;
  if (mip)
    for (const auto& o : mip->overrides) types.push_back(o);
  if (types.empty()) types.push_back(lt.instance_type);
  if (current < desired) {
    std::string spot_type = types.front();
    double best = 1e18;
    for (const auto& t : types)
      if (auto info = Ec2Model::InstanceType(t); info && info->spot_price < best)
        best = info->spot_price, spot_type = t;
    std::vector<aws::Ec2Tag> tags = {
        {"aws:autoscaling:groupName", g.config.auto_scaling_group_name}};
    for (const auto& t : g.config.tags)
      if (t.propagate_at_launch) tags.push_back({t.key, t.value});
    for (int n = current + 1; n <= desired; ++n) {
      bool on_demand = true;
      if (mip) {
        const auto& d = mip->instances_distribution;
        int base = std::min(n, d.on_demand_base_capacity);
        int above = std::max(0, n - d.on_demand_base_capacity);
        int od_target =
            base +
            static_cast<int>(std::ceil(above * d.on_demand_percentage_above_base_capacity / 100.0));
        on_demand = od < od_target;
      }
      od += on_demand ? 1 : 0;
      auto az = std::min_element(per_az.begin(), per_az.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
      az->second++;
      Effects::Launch l;
      l.group = g.config.auto_scaling_group_name;
      l.spec = {on_demand ? types.front() : spot_type, az->first, !on_demand, lt.user_data, tags};
      l.protect = g.config.new_instances_protected_from_scale_in;
      l.lt_name = lt.launch_template_name;
      fx.launches.push_back(std::move(l));
    }
    return;
  }
  if (current <= desired) return;
  // Scale in: unprotected instances, most populated zone first, then instance types the group
  // no longer launches, then the oldest.
  std::vector<AsgMember*> candidates;
  for (AsgMember* m : live)
    if (!m->protect) candidates.push_back(m);
  bool changed = false;
  for (int k = current; k > desired && !candidates.empty(); --k) {
    auto key = [&](const AsgMember* m) {
      bool stale = std::find(types.begin(), types.end(), m->type) == types.end();
      return std::make_tuple(-per_az[m->az], stale ? 0 : 1, m->launched, m->id);
    };
    auto victim = std::min_element(candidates.begin(), candidates.end(),
                                   [&](auto* a, auto* b) { return key(a) < key(b); });
    AsgMember* m = *victim;
    candidates.erase(victim);
    per_az[m->az]--;
    BeginTerminateLocked(g, m->id, now, fx, seq);
    changed = true;
  }
  if (changed) seq = PutGroupLocked(g);
}

void AutoScalingModel::Tick() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, g] : groups_)
      for (const auto& [id, m] : g->members) ids.push_back(id);
  }
  std::unordered_map<std::string, std::string> ec2_state;
  {
    std::vector<std::string> states = ec2_.InstanceStateNames(ids);  // one lock of EC2
    ec2_state.reserve(ids.size());
    for (size_t k = 0; k < ids.size(); ++k) ec2_state.emplace(ids[k], std::move(states[k]));
  }
  Effects fx;
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    Time now = ctx_.clock.Now();
    std::vector<std::string> names;
    for (const auto& [name, g] : groups_) names.push_back(name);
    for (const auto& name : names) {
      // Lifecycle actions whose heartbeat timed out take the hook's DefaultResult (for a
      // terminating hook both results let the termination proceed).
      auto due_actions = [&] {
        std::set<std::string> due;
        for (const auto& [t, a] : actions_)
          if (a->group == name && std::min(a->deadline, a->global_deadline) <= now)
            due.insert(a->instance);
        return due;
      };
      // Whether any member follows its instance's state or an action is due (below); the group
      // (every member) is copied only then.
      bool follows = !due_actions().empty();
      for (const auto& [id, m] : groups_[name]->members) {
        if (follows) break;
        auto st = ec2_state.find(m.id);
        if (st == ec2_state.end()) continue;
        const std::string& s = st->second;
        if ((s == "running" && m.state == "Pending") ||
            (s == "shutting-down" && m.state == "Terminating:Proceed"))
          follows = true;
        else if (s == "shutting-down" || s == "terminated" || s.empty())
          follows = !(s == "shutting-down" &&
                      (m.state == "Terminating:Proceed" || m.state == "Terminating"));
      }
      if (!follows) {
        Group scaled = *groups_[name];
        ScaleLocked(scaled, now, fx, seq);
        continue;
      }
      Group g = *groups_[name];
      bool changed = false;
      for (auto it = g.members.begin(); it != g.members.end();) {
        AsgMember& m = it->second;
        auto st = ec2_state.find(m.id);
        if (st == ec2_state.end()) {  // launched since the snapshot of ids
          ++it;
          continue;
        }
        const std::string& s = st->second;
        if (s == "running" && m.state == "Pending") {
          m.state = "InService";
          changed = true;
        } else if (s == "shutting-down" && m.state == "Terminating:Proceed") {
          m.state = "Terminating";
          changed = true;
        } else if (s == "shutting-down" || s == "terminated" || s.empty()) {
          if (m.state == "Terminating:Proceed" || m.state == "Terminating") {
            if (s == "shutting-down") {
              ++it;
              continue;
            }
          }
          // Gone (terminated by the group, reclaimed, or terminated outside the group).
          std::vector<std::string> tokens;
          for (const auto& [t, a] : actions_)
            if (a->instance == m.id) tokens.push_back(t);
          for (const auto& t : tokens) seq = DeleteActionLocked(t);
          it = g.members.erase(it);
          changed = true;
          continue;
        }
        ++it;
      }
      for (const auto& instance : due_actions()) {
        ProceedLocked(g, instance, fx, seq);
        changed = true;
      }
      if (changed) seq = PutGroupLocked(g);
      Group scaled = *groups_[name];
      ScaleLocked(scaled, now, fx, seq);
    }
  }
  if (Status s = Finish(fx, seq); !s.ok())
    LogError("autoscaling: tick failed", {{"error", s.ToString()}});
}

Status AutoScalingModel::Finish(Effects& fx, uint64_t seq) {
  if (seq) RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  if (!fx.terminates.empty()) (void)ec2_.TerminateInstances(fx.terminates);
  if (events_)
    for (const auto& e : fx.events) (void)events_->Emit(e);
  if (sqs_)
    for (const auto& [arn, body] : fx.sqs) (void)sqs_->SendToArn(arn, body);
  // Launch every instance, then record each group once with all its new members (a group
  // record carries every member: one per launch made scaling out by N cost O(N^2)).
  std::vector<std::pair<const Effects::Launch*, std::string>> launched;  // launch, instance id
  for (const auto& l : fx.launches) {
    auto ids = ec2_.RunInstances(l.spec, 1);
    if (ids.ok()) launched.push_back({&l, ids->front()});
  }
  if (launched.empty()) return Status::Ok();
  uint64_t put = 0;
  {
    std::lock_guard lock(mu_);
    std::vector<std::string> order;  // groups in the order of their first launch
    for (const auto& [l, id] : launched)
      if (std::find(order.begin(), order.end(), l->group) == order.end()) order.push_back(l->group);
    for (const auto& name : order) {
      Group* found = FindLocked(name);
      if (!found) continue;  // deleted meanwhile; the instances stay outside any group
      Group g = *found;
      for (const auto& [l, id] : launched) {
        if (l->group != name) continue;
        AsgMember m;
        m.id = id;
        m.type = l->spec.instance_type;
        m.az = l->spec.availability_zone;
        m.protect = l->protect;
        m.spot = l->spec.spot;
        m.lt_name = l->lt_name;
        m.launched = ctx_.clock.Now();
        g.members[m.id] = m;
      }
      put = PutGroupLocked(g);
    }
  }
  if (put) RETURN_IF_ERROR(ctx_.journal().Commit(put));
  return Status::Ok();
}

}  // namespace steady::region
