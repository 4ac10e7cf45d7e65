// EcsModel: tasks — placement, RunTask/StartTask/StopTask, the task lifecycle on the clock,
// DescribeTasks and ListTasks.
#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "region/ecs_internal.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;

namespace {

constexpr int kEphemeralLow = 32768, kEphemeralHigh = 60999;

int64_t ParseInt(const std::string& s, int64_t fallback) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty() ? v : fallback;
}

struct Need {
  int64_t cpu = 0, memory = 0;
  std::vector<std::pair<int, std::string>> static_ports;  // host port, protocol
};

Need NeedOf(const aws::TaskDefinition& td) {
  Need n;
  int64_t cpu = 0, mem = 0;
  for (const auto& cd : td.container_definitions) {
    cpu += cd.cpu;
    mem += cd.memory_reservation ? *cd.memory_reservation : cd.memory.value_or(0);
    for (const auto& pm : cd.port_mappings) {
      int host = td.network_mode == "host" ? pm.container_port : pm.host_port;
      if (host != 0) n.static_ports.push_back({host, pm.protocol});
    }
  }
  n.cpu = ParseInt(td.cpu, cpu);
  n.memory = ParseInt(td.memory, mem);
  return n;
}

int64_t Registered(const aws::ContainerInstance& ci, const char* name) {
  for (const auto& r : ci.registered_resources)
    if (r.name == name) return r.integer_value;
  return 0;
}

bool PortTaken(const EcsModel* /*unused*/, int port, const std::set<int>& used) {
  return used.count(port) > 0 || std::find(ecs::ReservedPorts().begin(), ecs::ReservedPorts().end(),
                                           port) != ecs::ReservedPorts().end();
}

std::string EnvValue(const std::vector<aws::KeyValuePair>& env, const std::string& name,
                     const std::string& fallback) {
  for (const auto& kv : env)
    if (kv.name == name) return kv.value;
  return fallback;
}

}  // namespace

namespace ecs {

std::vector<std::pair<std::string, FleetTarget>> TaskTargets(
    const aws::EcsTask& task, const std::string& instance_id,
    const std::vector<aws::EcsLoadBalancer>& lbs) {
  std::vector<std::pair<std::string, FleetTarget>> out;
  for (const auto& lb : lbs)
    for (const auto& ct : task.containers)
      if (ct.name == lb.container_name)
        for (const auto& b : ct.network_bindings)
          if (b.container_port == lb.container_port)
            out.push_back({lb.target_group_arn, FleetTarget{instance_id, b.host_port}});
  return out;
}

}  // namespace ecs

EcsModel::Task EcsModel::NewTaskLocked(const Cluster& c, const aws::TaskDefinition& td,
                                       const Inst& inst, Usage& usage,
                                       const std::string& started_by, const std::string& group,
                                       const std::vector<aws::ContainerOverride>& overrides) {
  Time now = ctx_.clock.Now();
  Task t;
  std::string id = ctx_.NewHex(32);
  t.cluster = c.c.cluster_name;
  t.instance_id = inst.ci.ec2_instance_id;
  t.t.task_arn = ctx_.Arn("ecs", "task/" + c.c.cluster_name + "/" + id);
  t.t.cluster_arn = c.c.cluster_arn;
  t.t.task_definition_arn = td.task_definition_arn;
  t.t.container_instance_arn = inst.ci.container_instance_arn;
  t.t.started_by = started_by;
  t.t.group = group;
  t.t.availability_zone = inst.az;
  t.t.overrides = overrides;
  t.t.created_at = now;
  Need need = NeedOf(td);
  t.cpu = need.cpu;
  t.memory = need.memory;
  t.t.cpu = std::to_string(need.cpu);
  t.t.memory = std::to_string(need.memory);
  for (const auto& cd : td.container_definitions) {
    aws::EcsContainer ct;
    ct.container_arn =
        ctx_.Arn("ecs", "container/" + c.c.cluster_name + "/" + id + "/" + ctx_.NewId());
    ct.task_arn = t.t.task_arn;
    ct.name = cd.name;
    ct.image = cd.image;
    ct.cpu = cd.cpu;
    ct.memory = cd.memory;
    ct.memory_reservation = cd.memory_reservation;
    ct.essential = cd.essential;
    for (const auto& pm : cd.port_mappings) {
      std::set<int>& used = pm.protocol == "udp" ? usage.udp : usage.tcp;
      int host = td.network_mode == "host" ? pm.container_port : pm.host_port;
      if (host == 0) {
        host = kEphemeralLow;
        while (host < kEphemeralHigh && PortTaken(this, host, used)) ++host;
      }
      used.insert(host);
      ct.network_bindings.push_back({"0.0.0.0", pm.container_port, host, pm.protocol});
    }
    std::vector<aws::KeyValuePair> env = cd.environment;
    for (const auto& o : overrides)
      if (o.name == cd.name)
        for (const auto& kv : o.environment) env.push_back(kv);  // later entries win
    std::reverse(env.begin(), env.end());
    // Utilisation stand-in: the last container that sets it decides for the task.
    if (int64_t u = ParseInt(EnvValue(env, "STEADY_CPU_UTILIZATION", ""), -1); u >= 0)
      t.cpu_util = static_cast<int>(std::min<int64_t>(u, 100000));
    if (int64_t u = ParseInt(EnvValue(env, "STEADY_MEMORY_UTILIZATION", ""), -1); u >= 0)
      t.memory_util = static_cast<int>(std::min<int64_t>(u, 100000));
    if (cd.essential) {
      int64_t run = ParseInt(EnvValue(env, "STEADY_RUN_SECONDS", ""), -1);
      if (run >= 0 && (t.run_seconds < 0 || run < t.run_seconds)) {
        t.run_seconds = run;
        t.exit_code = static_cast<int>(ParseInt(EnvValue(env, "STEADY_EXIT_CODE", "0"), 0));
      }
    }
    t.t.containers.push_back(std::move(ct));
  }
  usage.cpu += t.cpu;
  usage.memory += t.memory;
  ++usage.pending;
  t.next_at = now + options_.provisioning_delay;
  return t;
}

Result<std::vector<EcsModel::Placed>> EcsModel::PlaceLocked(
    std::string_view op, Cluster& c, const aws::TaskDefinition& td, int count,
    const std::string& group, const std::vector<aws::PlacementStrategy>& strategies,
    const std::vector<aws::PlacementConstraint>& constraints,
    std::vector<aws::EcsFailure>& failures) {
  // What placement needs of one candidate instance, gathered once per call.
  struct Cand {
    Inst* inst;
    int64_t registered_cpu, registered_memory;
    const Usage* held;                      // the cluster's usage of the instance, or null
    std::unique_ptr<Usage> mine;            // tentative usage once this call placed on it
    int64_t free_cpu = 0, free_memory = 0;  // registered minus usage(), kept with it
    int group_on = 0;                       // live tasks of the group on the instance
    size_t az = 0;                          // index into group_in_az
    size_t member_fail = 0;                 // the first memberOf constraint it fails (npos: none)
    const Usage& usage() const {
      static const Usage kNone;
      return mine ? *mine : held ? *held : kNone;
    }
  };
  constexpr size_t npos = static_cast<size_t>(-1);
  std::vector<Cand> candidates;
  for (auto& [arn, i] : c.instances)
    if (i.ci.status == "ACTIVE" && i.ci.agent_connected) candidates.push_back({&i, 0, 0, nullptr});
  if (candidates.empty())
    return ServiceError(op, "InvalidParameterException",
                        "No Container Instances were found in your cluster.");
  std::vector<std::optional<ecs::Expression>> member_of(constraints.size());
  size_t first_distinct = npos;
  for (size_t k = 0; k < constraints.size(); ++k) {
    const auto& pc = constraints[k];
    if (pc.type != "distinctInstance" && pc.type != "memberOf")
      return ServiceError(op, "InvalidParameterException",
                          "Invalid placement constraint type: " + pc.type);
    if (pc.type == "memberOf") {
      member_of[k] = ecs::Expression::Parse(pc.expression);
      auto m = member_of[k]->Match("i-0", "x", "x");
      if (!m.ok()) return ServiceError(op, "InvalidParameterException", m.status().message());
    } else if (first_distinct == npos) {
      first_distinct = k;
    }
  }
  for (const auto& ps : strategies) {
    bool ok = (ps.type == "random") ||
              (ps.type == "binpack" && (ps.field == "memory" || ps.field == "cpu")) ||
              (ps.type == "spread" && !ps.field.empty());
    if (!ok)
      return ServiceError(op, "InvalidParameterException",
                          "Invalid placement strategy: " + ps.type + " " + ps.field);
  }
  bool by_group = std::any_of(strategies.begin(), strategies.end(),
                              [](const auto& ps) { return ps.type == "spread"; }) ||
                  first_distinct != npos;
  // The group's live tasks per instance and per availability zone.
  std::unordered_map<std::string_view, int> group_on_inst;
  std::vector<std::pair<std::string_view, int>> group_in_az;  // few zones: a flat list
  auto az_index = [&](std::string_view az) {
    for (size_t k = 0; k < group_in_az.size(); ++k)
      if (group_in_az[k].first == az) return k;
    group_in_az.push_back({az, 0});
    return group_in_az.size() - 1;
  };
  if (by_group)
    if (auto g = c.tasks_by_group.find(group); g != c.tasks_by_group.end())
      for (const auto& [arn, t] : g->second)
        if (t->t.desired_status == "RUNNING" && t->t.last_status != "STOPPED") {
          ++group_on_inst[t->t.container_instance_arn];
          ++group_in_az[az_index(t->t.availability_zone)].second;
        }
  for (Cand& cand : candidates) {
    const Inst& i = *cand.inst;
    const std::string& arn = i.ci.container_instance_arn;
    cand.registered_cpu = Registered(i.ci, "CPU");
    cand.registered_memory = Registered(i.ci, "MEMORY");
    if (auto u = c.usage.find(arn); u != c.usage.end()) cand.held = &u->second;
    cand.free_cpu = cand.registered_cpu - cand.usage().cpu;
    cand.free_memory = cand.registered_memory - cand.usage().memory;
    if (auto g = group_on_inst.find(arn); g != group_on_inst.end()) cand.group_on = g->second;
    cand.az = az_index(i.az);
    cand.member_fail = npos;
    for (size_t k = 0; k < constraints.size() && cand.member_fail == npos; ++k)
      if (member_of[k] && !member_of[k]->Match(i.ci.ec2_instance_id, i.az, i.type).value_or(false))
        cand.member_fail = k;
  }
  Need need = NeedOf(td);
  std::vector<Placed> out;
  // Why each candidate could not take the last task considered (candidate order is ARN order).
  std::vector<std::pair<const Cand*, const char*>> reasons;
  std::vector<int64_t> key(strategies.size() + 1), best_key(strategies.size() + 1);
  enum Kind { kBinpackMemory, kBinpackCpu, kSpreadAz, kSpreadInstance, kRandom };
  std::vector<Kind> kinds;
  for (const auto& ps : strategies)
    kinds.push_back(ps.type == "binpack" && ps.field == "memory" ? kBinpackMemory
                    : ps.type == "binpack"                       ? kBinpackCpu
                    : ps.type == "spread" && ps.field == "attribute:ecs.availability-zone"
                        ? kSpreadAz
                    : ps.type == "spread" ? kSpreadInstance
                                          : kRandom);
  for (int k = 0; k < count; ++k) {
    reasons.clear();
    Cand* best = nullptr;
    for (Cand& cand : candidates) {
      const char* why = nullptr;
      // The first constraint in order that the instance fails.
      size_t distinct_fail = cand.group_on > 0 ? first_distinct : npos;
      if (distinct_fail != npos || cand.member_fail != npos)
        why = distinct_fail < cand.member_fail
                  ? "DistinctInstance placement constraint unsatisfied."
                  : "MemberOf placement constraint unsatisfied.";
      if (!why && cand.free_memory < need.memory) why = "RESOURCE:MEMORY";
      if (!why && cand.free_cpu < need.cpu) why = "RESOURCE:CPU";
      for (const auto& [port, proto] : need.static_ports) {
        if (why) break;
        const Usage& u = cand.usage();
        if (PortTaken(this, port, proto == "udp" ? u.udp : u.tcp)) why = "RESOURCE:PORTS";
      }
      if (why) {
        reasons.push_back({&cand, why});
        continue;
      }
      // Lexicographic order over the strategies; ties broken at random (the first of equals
      // wins).
      size_t n = 0;
      for (Kind kind : kinds) {
        switch (kind) {
          case kBinpackMemory: key[n++] = cand.free_memory; break;
          case kBinpackCpu: key[n++] = cand.free_cpu; break;
          case kSpreadAz: key[n++] = group_in_az[cand.az].second; break;
          case kSpreadInstance:  // instanceId / host
            key[n++] = cand.group_on;
            break;
          case kRandom: key[n++] = static_cast<int64_t>(rng_.Next() >> 1); break;
        }
      }
      key[n] = static_cast<int64_t>(rng_.Next() >> 1);
      if (!best || key < best_key) {
        best = &cand;
        key.swap(best_key);
      }
    }
    if (!best) break;
    if (!best->mine) best->mine = std::make_unique<Usage>(best->usage());
    Usage& chosen_usage = *best->mine;
    chosen_usage.cpu += need.cpu;
    chosen_usage.memory += need.memory;
    best->free_cpu -= need.cpu;
    best->free_memory -= need.memory;
    for (const auto& [port, proto] : need.static_ports)
      (proto == "udp" ? chosen_usage.udp : chosen_usage.tcp).insert(port);
    ++best->group_on;
    ++group_in_az[best->az].second;
    out.push_back({best->inst->ci.container_instance_arn, ""});
  }
  if (static_cast<int>(out.size()) < count)
    for (const auto& [cand, why] : reasons)
      failures.push_back({cand->inst->ci.container_instance_arn, why, ""});
  return out;
}

void EcsModel::StopLocked(Cluster& c, Task& t, const std::string& stop_code,
                          const std::string& reason, bool now, Effects& fx, bool host_lost) {
  Time at = ctx_.clock.Now();
  Task copy = t;
  bool keep_registered = false;
  if (t.registered && !t.deregistering) {
    // Still in its target groups: the load balancer sees the process die. ECS deregisters a
    // task it stops itself at once; a task lost with its host stays registered (and keeps
    // failing requests) until the load balancer's health checks notice, as in AWS.
    auto s = c.services.find(t.service);
    if (s != c.services.end())
      for (auto& [tg, target] : ecs::TaskTargets(t.t, t.instance_id, s->second.s.load_balancers)) {
        fx.Down(target);
        if (!host_lost) fx.Deregister(tg, target);
      }
    keep_registered = host_lost;
  }
  copy.registered = keep_registered;
  copy.deregistering = false;
  copy.t.desired_status = "STOPPED";
  if (copy.t.stop_code.empty()) {
    copy.t.stop_code = stop_code;
    copy.t.stopped_reason = reason;
  }
  if (!copy.t.stopping_at) copy.t.stopping_at = at;
  bool was_running = t.t.last_status == "RUNNING";
  if (now || !was_running) {
    copy.t.last_status = "STOPPED";
    copy.t.stopped_at = at;
    for (auto& ct : copy.t.containers) {
      if (was_running && !ct.exit_code) ct.exit_code = 143;  // SIGTERM
      ct.last_status = "STOPPED";
    }
  } else {
    copy.t.last_status = "STOPPING";
    copy.next_at = at + options_.stop_delay;
  }
  ++copy.t.version;
  PutLocked(c, copy);
}

void EcsModel::AdvanceTasksLocked(Cluster& c, Time now, Effects& fx) {
  // Only tasks with something due (Cluster::timers), in ARN order; the checks below are those
  // of a pass over every task.
  std::vector<std::pair<std::string_view, Task*>> due;
  for (auto it = c.timers.begin(); it != c.timers.end() && std::get<0>(*it) <= now; ++it)
    due.push_back({std::get<1>(*it), std::get<2>(*it)});
  std::sort(due.begin(), due.end());
  std::vector<std::string> prune;
  for (auto& [arn_view, tp] : due) {
    const std::string arn(arn_view);
    Task& t = *tp;
    const std::string& st = t.t.last_status;
    if (st == "STOPPED") {
      if (t.t.stopped_at && *t.t.stopped_at + options_.keep_stopped <= now) prune.push_back(arn);
      continue;
    }
    if (st == "RUNNING" && t.exit_at && now >= *t.exit_at) {
      Task copy = t;
      for (auto& ct : copy.t.containers)
        if (ct.essential && !ct.exit_code) ct.exit_code = t.exit_code;
      PutLocked(c, copy);
      StopLocked(c, t, "EssentialContainerExited", "Essential container in task exited", true, fx);
      continue;
    }
    if (now < t.next_at) continue;
    if (st != "PROVISIONING" && st != "PENDING" && st != "STOPPING") continue;  // no timer
    Task copy = t;
    if (st == "PROVISIONING") {
      copy.t.last_status = "PENDING";
      copy.t.pull_started_at = now;
      copy.next_at = now + options_.pending_delay;
    } else if (st == "PENDING") {
      copy.t.last_status = "RUNNING";
      copy.t.started_at = now;
      for (auto& ct : copy.t.containers) ct.last_status = "RUNNING";
      if (t.run_seconds >= 0) copy.exit_at = now + std::chrono::seconds(t.run_seconds);
    } else if (st == "STOPPING") {
      copy.t.last_status = "STOPPED";
      copy.t.stopped_at = now;
      for (auto& ct : copy.t.containers) {
        if (!ct.exit_code) ct.exit_code = 143;
        ct.last_status = "STOPPED";
      }
    } else {
      continue;
    }
    ++copy.t.version;
    PutLocked(c, copy);
    if (copy.t.last_status == "RUNNING" && t.run_seconds == 0) {
      // STEADY_RUN_SECONDS=0: the essential container dies as it starts (a crash loop).
      for (auto& ct : t.t.containers)
        if (ct.essential) ct.exit_code = t.exit_code;
      StopLocked(c, t, "EssentialContainerExited", "Essential container in task exited", true, fx);
    }
  }
  for (const auto& arn : prune) DeleteLocked("task", c.c.cluster_name, arn);
}

void EcsModel::RunEffects(Effects& fx) {
  ElbFleetLink* elb;
  {
    std::lock_guard lock(mu_);
    elb = elb_;
  }
  if (!elb) return;
  for (const Effects::Op& op : fx.ops) {
    switch (op.kind) {
      case Effects::Kind::kRegister: elb->RegisterTargets(op.group, {op.target}); break;
      case Effects::Kind::kDeregister: elb->DeregisterTargets(op.group, {op.target}); break;
      case Effects::Kind::kDown: elb->TargetDown(op.target); break;
    }
  }
}

Result<aws::RunTaskResult> EcsModel::RunTask(const aws::RunTaskRequest& req) {
  constexpr std::string_view op = "RunTask";
  if (req.count < 1 || req.count > 10)
    return ServiceError(op, "InvalidParameterException", "count must be between 1 and 10.");
  if (req.task_definition.empty())
    return ServiceError(op, "InvalidParameterException", "taskDefinition can not be blank.");
  aws::RunTaskResult out;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, req.cluster));
    ASSIGN_OR_RETURN(const aws::TaskDefinition* tdp, TaskDefLocked(op, req.task_definition));
    aws::TaskDefinition td = *tdp;
    std::string group = req.group.empty() ? "family:" + td.family : req.group;
    std::vector<aws::PlacementStrategy> strategies = req.placement_strategy;
    if (strategies.empty()) strategies.push_back({"random", ""});
    ASSIGN_OR_RETURN(auto placed, PlaceLocked(op, *c, td, req.count, group, strategies,
                                              req.placement_constraints, out.failures));
    for (const auto& p : placed) {
      Usage u = c->usage[p.instance_arn];  // NewTaskLocked's scratch copy
      Task t = NewTaskLocked(*c, td, c->instances.at(p.instance_arn), u, req.started_by, group,
                             req.overrides);
      PutLocked(*c, t);
      if (!req.tags.empty())
        RecordLocked({{"op", "tags"}, {"arn", t.t.task_arn}, {"v", ecsjson::ToJson(req.tags)}});
      out.items.push_back(c->tasks.at(t.t.task_arn).t);
      out.items.back().tags = req.tags;
    }
  }
  RETURN_IF_ERROR(CommitPending());
  return out;
}

Result<aws::RunTaskResult> EcsModel::StartTask(const aws::StartTaskRequest& req) {
  constexpr std::string_view op = "StartTask";
  if (req.container_instances.empty() || req.container_instances.size() > 10)
    return ServiceError(op, "InvalidParameterException",
                        "containerInstances must contain between 1 and 10 items.");
  aws::RunTaskResult out;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, req.cluster));
    ASSIGN_OR_RETURN(const aws::TaskDefinition* tdp, TaskDefLocked(op, req.task_definition));
    aws::TaskDefinition td = *tdp;
    std::string group = req.group.empty() ? "family:" + td.family : req.group;
    Need need = NeedOf(td);
    for (const auto& ref : req.container_instances) {
      Inst* i = InstLocked(*c, ref);
      if (!i || i->ci.status == "INACTIVE") {
        out.failures.push_back({ref, "MISSING", ""});
        continue;
      }
      const std::string& arn = i->ci.container_instance_arn;
      Usage u = c->usage[arn];  // scratch copy; PutLocked accounts the task
      std::string why;
      if (!i->ci.agent_connected) why = "AGENT";
      if (why.empty() && Registered(i->ci, "MEMORY") - u.memory < need.memory)
        why = "RESOURCE:MEMORY";
      if (why.empty() && Registered(i->ci, "CPU") - u.cpu < need.cpu) why = "RESOURCE:CPU";
      for (const auto& [port, proto] : need.static_ports)
        if (why.empty() && PortTaken(this, port, proto == "udp" ? u.udp : u.tcp))
          why = "RESOURCE:PORTS";
      if (!why.empty()) {
        out.failures.push_back({arn, why, ""});
        continue;
      }
      Task t = NewTaskLocked(*c, td, *i, u, req.started_by, group, req.overrides);
      PutLocked(*c, t);
      if (!req.tags.empty())
        RecordLocked({{"op", "tags"}, {"arn", t.t.task_arn}, {"v", ecsjson::ToJson(req.tags)}});
      out.items.push_back(c->tasks.at(t.t.task_arn).t);
      out.items.back().tags = req.tags;
    }
  }
  RETURN_IF_ERROR(CommitPending());
  return out;
}

Result<aws::EcsTask> EcsModel::StopTask(const std::string& cluster, const std::string& task,
                                        const std::string& reason) {
  constexpr std::string_view op = "StopTask";
  std::lock_guard effects(effects_mu_);
  aws::EcsTask view;
  Effects fx;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, cluster));
    Task* t = TaskLocked(*c, task);
    if (!t)
      return ServiceError(op, "InvalidParameterException", "The referenced task was not found.");
    if (t->t.desired_status != "STOPPED")
      StopLocked(*c, *t, "UserInitiated", reason.empty() ? "Task stopped by user" : reason, false,
                 fx);
    view = t->t;
  }
  RETURN_IF_ERROR(CommitPending());
  RunEffects(fx);
  return view;
}

Result<aws::Described<aws::EcsTask>> EcsModel::DescribeTasks(
    const std::string& cluster, const std::vector<std::string>& tasks) {
  constexpr std::string_view op = "DescribeTasks";
  if (tasks.empty() || tasks.size() > 100)
    return ServiceError(op, "InvalidParameterException",
                        "Tasks cannot be empty and can have at most 100 items.");
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, cluster));
  aws::Described<aws::EcsTask> out;
  for (const auto& ref : tasks) {
    Task* t = TaskLocked(*c, ref);
    if (!t) {
      out.failures.push_back({ref, "MISSING", ""});
      continue;
    }
    out.items.push_back(t->t);
    if (auto it = tags_.find(t->t.task_arn); it != tags_.end()) out.items.back().tags = it->second;
  }
  return out;
}

Result<aws::ArnPage> EcsModel::ListTasks(const aws::ListTasksRequest& req) {
  constexpr std::string_view op = "ListTasks";
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, req.cluster));
  std::string ci_arn;
  if (!req.container_instance.empty()) {
    Inst* i = InstLocked(*c, req.container_instance);
    if (!i) return ServiceError(op, "InvalidParameterException", "Container instance not found.");
    ci_arn = i->ci.container_instance_arn;
  }
  std::string desired = req.desired_status.empty() ? "RUNNING" : req.desired_status;
  int max = req.max_results == 0 ? 100 : req.max_results;
  if (max < 1 || max > 100)
    return ServiceError(op, "InvalidParameterException", "maxResults must be between 1 and 100.");
  aws::ArnPage out;
  // The tasks to look at, in ARN order: the instance's or the service's when the request names
  // one, else the cluster's.
  const std::string service = ecs::LastSegment(req.service_name);
  const Cluster::TaskSet* subset = nullptr;
  static const Cluster::TaskSet kNoTasks;
  if (!ci_arn.empty() || !service.empty()) {
    auto& index = ci_arn.empty() ? c->tasks_by_service : c->tasks_by_instance;
    auto found = index.find(ci_arn.empty() ? service : ci_arn);
    subset = found == index.end() ? &kNoTasks : &found->second;
  }
  auto visit = [&](std::string_view arn, const Task& t) {  // false: the page is full
    bool pending = desired == "PENDING";
    if (pending ? !(t.t.desired_status == "RUNNING" && t.t.last_status != "RUNNING")
                : t.t.desired_status != desired)
      return true;
    if (!ci_arn.empty() && t.t.container_instance_arn != ci_arn) return true;
    if (!req.family.empty() && t.t.group != "family:" + req.family &&
        ecs::LastSegment(t.t.task_definition_arn).rfind(req.family + ":", 0) != 0)
      return true;
    if (!req.service_name.empty() && t.service != service) return true;
    if (!req.started_by.empty() && t.t.started_by != req.started_by) return true;
    if (static_cast<int>(out.arns.size()) == max) {
      out.next_token = out.arns.back();
      return false;
    }
    out.arns.emplace_back(arn);
    return true;
  };
  if (subset) {
    auto it = req.next_token.empty() ? subset->begin() : subset->upper_bound(req.next_token);
    for (; it != subset->end(); ++it)
      if (!visit(it->first, *it->second)) break;
    return out;
  }
  auto it = req.next_token.empty() ? c->tasks.begin() : c->tasks.upper_bound(req.next_token);
  for (; it != c->tasks.end(); ++it)
    if (!visit(it->first, it->second)) break;
  return out;
}

}  // namespace steady::region
