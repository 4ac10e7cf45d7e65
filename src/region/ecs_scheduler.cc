// EcsModel: services — CreateService/UpdateService/DeleteService and their views — and the
// clock-driven part: Tick() with the service scheduler (desired count, DRAINING replacement,
// rolling deployments, target-group registration, service events).
#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "region/ecs_internal.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;

namespace {

std::string ShortId(const std::string& arn) { return ecs::LastSegment(arn); }

// Whether the scheduler changed the service. Events are only ever added at the front (and the
// oldest dropped), so their count and newest id tell; the rest is compared as JSON without the
// events, which would otherwise dominate the comparison made for every service every second.
bool ServiceChanged(aws::EcsService& a, aws::EcsService& b) {
  if (a.events.size() != b.events.size()) return true;
  if (!a.events.empty() && a.events.front().id != b.events.front().id) return true;
  std::vector<aws::ServiceEvent> ea, eb;
  ea.swap(a.events);
  eb.swap(b.events);
  bool changed = ecsjson::ToJson(a) != ecsjson::ToJson(b);
  ea.swap(a.events);
  eb.swap(b.events);
  return changed;
}

Status CheckDeploymentConfiguration(std::string_view op, const aws::DeploymentConfiguration& d) {
  if (d.maximum_percent < 100 || d.maximum_percent > 200 * 10)
    return ServiceError(op, "InvalidParameterException",
                        "The maximumPercent must be at least 100.");
  if (d.minimum_healthy_percent < 0 || d.minimum_healthy_percent > 100)
    return ServiceError(op, "InvalidParameterException",
                        "The minimumHealthyPercent must be between 0 and 100.");
  return Status::Ok();
}

}  // namespace

void EcsModel::AddEventLocked(Svc& s, const std::string& message, Time now) {
  auto& ev = s.s.events;
  if (!ev.empty() && ev.front().message == message) return;
  ev.insert(ev.begin(), aws::ServiceEvent{ctx_.NewId(), now, message});
  if (ev.size() > options_.max_events) ev.resize(options_.max_events);
}

// ---- Service operations ----

Result<aws::EcsService> EcsModel::CreateService(const aws::CreateServiceRequest& req) {
  constexpr std::string_view op = "CreateService";
  auto invalid = [&](const std::string& m) {
    return ServiceError(op, "InvalidParameterException", m);
  };
  if (req.service_name.empty() || req.service_name.size() > 255 ||
      !std::all_of(req.service_name.begin(), req.service_name.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
      }))
    return invalid("Service name can have up to 255 letters, numbers, hyphens and underscores.");
  if (req.desired_count < 0) return invalid("desiredCount must be 0 or more.");
  RETURN_IF_ERROR(CheckDeploymentConfiguration(op, req.deployment_configuration));
  aws::EcsService view;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, req.cluster));
    ASSIGN_OR_RETURN(const aws::TaskDefinition* td, TaskDefLocked(op, req.task_definition));
    if (Svc* old = SvcLocked(*c, req.service_name); old && old->s.status != "INACTIVE")
      return invalid("Creation of service was not idempotent.");
    for (const auto& lb : req.load_balancers) {
      bool found = false;
      for (const auto& cd : td->container_definitions)
        if (cd.name == lb.container_name)
          for (const auto& pm : cd.port_mappings) found |= pm.container_port == lb.container_port;
      if (lb.target_group_arn.empty()) return invalid("targetGroupArn is required.");
      if (!found)
        return invalid("The container " + lb.container_name + " did not have a container port " +
                       std::to_string(lb.container_port) + " defined.");
    }
    Time now = ctx_.clock.Now();
    Svc s;
    s.cluster = c->c.cluster_name;
    s.s.service_name = req.service_name;
    s.s.service_arn = ctx_.Arn("ecs", "service/" + c->c.cluster_name + "/" + req.service_name);
    s.s.cluster_arn = c->c.cluster_arn;
    s.s.task_definition = td->task_definition_arn;
    s.s.desired_count = req.desired_count;
    s.s.load_balancers = req.load_balancers;
    s.s.placement_strategy = req.placement_strategy;
    s.s.placement_constraints = req.placement_constraints;
    s.s.deployment_configuration = req.deployment_configuration;
    s.s.created_at = now;
    aws::Deployment d;
    d.id = "ecs-svc/" + std::to_string(1'000'000'000'000'000'000ULL +
                                       rng_.Next() % 8'000'000'000'000'000'000ULL);
    d.status = "PRIMARY";
    d.task_definition = td->task_definition_arn;
    d.desired_count = req.desired_count;
    d.created_at = d.updated_at = now;
    d.rollout_state = "IN_PROGRESS";
    d.rollout_state_reason = "ECS deployment " + d.id + " in progress.";
    s.s.deployments = {d};
    PutLocked(*c, s);
    if (!req.tags.empty())
      RecordLocked({{"op", "tags"}, {"arn", s.s.service_arn}, {"v", ecsjson::ToJson(req.tags)}});
    view = ViewLocked(*c, c->services.at(req.service_name));
  }
  RETURN_IF_ERROR(CommitPending());
  return view;
}

Result<aws::EcsService> EcsModel::UpdateService(const aws::UpdateServiceRequest& req) {
  constexpr std::string_view op = "UpdateService";
  if (req.desired_count && *req.desired_count < 0)
    return ServiceError(op, "InvalidParameterException", "desiredCount must be 0 or more.");
  if (req.deployment_configuration)
    RETURN_IF_ERROR(CheckDeploymentConfiguration(op, *req.deployment_configuration));
  aws::EcsService view;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, req.cluster));
    Svc* found = SvcLocked(*c, req.service);
    if (!found) return ServiceError(op, "ServiceNotFoundException", "Service not found.");
    if (found->s.status != "ACTIVE")
      return ServiceError(op, "ServiceNotActiveException", "Service was not ACTIVE.");
    Svc s = *found;
    Time now = ctx_.clock.Now();
    if (req.desired_count) s.s.desired_count = *req.desired_count;
    if (req.deployment_configuration) s.s.deployment_configuration = *req.deployment_configuration;
    if (req.placement_strategy) s.s.placement_strategy = *req.placement_strategy;
    if (req.placement_constraints) s.s.placement_constraints = *req.placement_constraints;
    std::string td_arn = s.s.task_definition;
    if (req.task_definition) {
      ASSIGN_OR_RETURN(const aws::TaskDefinition* td, TaskDefLocked(op, *req.task_definition));
      td_arn = td->task_definition_arn;
    }
    if (td_arn != s.s.task_definition || req.force_new_deployment) {
      for (auto& d : s.s.deployments) d.status = "ACTIVE";
      aws::Deployment d;
      d.id = "ecs-svc/" + std::to_string(1'000'000'000'000'000'000ULL +
                                         rng_.Next() % 8'000'000'000'000'000'000ULL);
      d.status = "PRIMARY";
      d.task_definition = td_arn;
      d.created_at = d.updated_at = now;
      d.rollout_state = "IN_PROGRESS";
      d.rollout_state_reason = "ECS deployment " + d.id + " in progress.";
      s.s.deployments.insert(s.s.deployments.begin(), d);
      s.s.task_definition = td_arn;
      s.steady = false;
    }
    s.s.deployments.front().desired_count = s.s.desired_count;
    PutLocked(*c, s);
    view = ViewLocked(*c, c->services.at(s.s.service_name));
  }
  RETURN_IF_ERROR(CommitPending());
  return view;
}

Result<aws::EcsService> EcsModel::DeleteService(const std::string& cluster,
                                                const std::string& service, bool force) {
  constexpr std::string_view op = "DeleteService";
  aws::EcsService view;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, cluster));
    Svc* found = SvcLocked(*c, service);
    if (!found) return ServiceError(op, "ServiceNotFoundException", "Service not found.");
    if (found->s.status == "INACTIVE")
      return ServiceError(op, "ServiceNotActiveException", "Service was not ACTIVE.");
    if (found->s.desired_count > 0 && !force)
      return ServiceError(op, "InvalidParameterException",
                          "The service cannot be stopped while it is scaled above 0.");
    Svc s = *found;
    s.s.status = "DRAINING";
    s.s.desired_count = 0;
    for (auto& d : s.s.deployments) d.desired_count = 0;
    PutLocked(*c, s);
    view = ViewLocked(*c, c->services.at(s.s.service_name));
  }
  RETURN_IF_ERROR(CommitPending());
  return view;
}

Result<aws::Described<aws::EcsService>> EcsModel::DescribeServices(
    const std::string& cluster, const std::vector<std::string>& services) {
  constexpr std::string_view op = "DescribeServices";
  if (services.empty() || services.size() > 10)
    return ServiceError(op, "InvalidParameterException",
                        "services must contain between 1 and 10 items.");
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, cluster));
  aws::Described<aws::EcsService> out;
  for (const auto& ref : services) {
    Svc* s = SvcLocked(*c, ref);
    if (!s) {
      std::string arn = ref.rfind("arn:", 0) == 0
                            ? ref
                            : ctx_.Arn("ecs", "service/" + c->c.cluster_name + "/" + ref);
      out.failures.push_back({arn, "MISSING", ""});
      continue;
    }
    out.items.push_back(ViewLocked(*c, *s));
  }
  return out;
}

Result<aws::ArnPage> EcsModel::ListServices(const std::string& cluster,
                                            const aws::PageRequest& page) {
  constexpr std::string_view op = "ListServices";
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, cluster));
  int max = page.max_results == 0 ? 10 : page.max_results;
  if (max < 1 || max > 100)
    return ServiceError(op, "InvalidParameterException", "maxResults must be between 1 and 100.");
  std::vector<std::string> arns;
  for (const auto& [n, s] : c->services)
    if (s.s.status != "INACTIVE") arns.push_back(s.s.service_arn);
  std::sort(arns.begin(), arns.end());
  aws::ArnPage out;
  auto it = page.next_token.empty() ? arns.begin()
                                    : std::upper_bound(arns.begin(), arns.end(), page.next_token);
  for (; it != arns.end() && static_cast<int>(out.arns.size()) < max; ++it) out.arns.push_back(*it);
  if (it != arns.end()) out.next_token = out.arns.back();
  return out;
}

// ---- Tick and the scheduler ----

void EcsModel::Tick() {
  std::lock_guard effects(effects_mu_);
  TargetStates states;
  ElbFleetLink* elb;
  {
    std::lock_guard lock(mu_);
    elb = elb_;
    if (elb)
      for (auto& [n, c] : clusters_)
        for (auto& [arn, tp] : c->targeted) {  // registered or deregistering, in ARN order
          const Task& t = *tp;
          auto s = c->services.find(t.service);
          if (s == c->services.end()) continue;
          ecs::ForEachTaskTarget(t.t, s->second.s.load_balancers,
                                 [&](const std::string& tg, int port) {
                                   states.Add(tg, FleetTarget{t.instance_id, port}, t.service);
                                 });
        }
  }
  if (elb) {
    // One call (one lock of the load balancer) for every target.
    for (auto& g : states.groups) g.states = elb->TargetStates(g.tg, g.targets);
    states.Answered();
  }
  Effects fx;
  {
    std::lock_guard lock(mu_);
    Time now = ctx_.clock.Now();
    for (auto& [n, c] : clusters_) {
      AdvanceTasksLocked(*c, now, fx);
      ReleaseLostTargetsLocked(*c, states, fx);
      std::vector<std::string> names;
      for (auto& [sn, s] : c->services)
        if (s.s.status != "INACTIVE") names.push_back(sn);
      TickView view{states, {}, {}};
      // Tasks on instances that are not ACTIVE: found per instance rather than per task.
      for (const auto& [iarn, on] : c->tasks_by_instance) {
        auto i = c->instances.find(iarn);
        if (i != c->instances.end() && i->second.ci.status == "ACTIVE") continue;
        for (const auto& [arn, t] : on) view.displaced.insert(t);
      }
      for (const auto& [arn, t] : c->targeted)
        if (!t->service.empty()) view.targeted[t->service].push_back(t);
      for (const auto& sn : names) {
        // A service whose last pass changed nothing, with nothing to place, and whose inputs
        // are as they were then, is skipped: the pass would change nothing again.
        Svc& svc = c->services.at(sn);
        const Svc::Idle inputs{c->service_task_changes[sn], c->instance_changes,
                               states.Fingerprint(sn) ^ (elb_ ? 1 : 0)};
        if (svc.idle && svc.idle->task_changes == inputs.task_changes &&
            svc.idle->instance_changes == inputs.instance_changes &&
            svc.idle->states == inputs.states)
          continue;
        const uint64_t seq_before = last_seq_;
        const size_t fx_before = fx.size();
        std::vector<Task*> tasks;
        if (auto it = c->tasks_by_service.find(sn); it != c->tasks_by_service.end()) {
          tasks.reserve(it->second.size());
          for (const auto& [arn, t] : it->second) tasks.push_back(t);
        }
        view.placing = false;
        ScheduleLocked(*c, svc, now, view, std::move(tasks), fx);
        const bool placing = view.placing;
        const size_t fx_after = fx.size();
        // (A recorded service is a new Svc, without `idle`: it is looked at again.)
        Svc& after = c->services.at(sn);
        if (last_seq_ == seq_before && fx_after == fx_before && !placing)
          after.idle = inputs;
        else
          after.idle.reset();
      }
      std::vector<std::string> gone;
      for (auto& [arn, i] : c->instances)
        if (i.inactive_at && *i.inactive_at + options_.keep_stopped <= now) gone.push_back(arn);
      for (const auto& arn : gone) DeleteLocked("ci", c->c.cluster_name, arn);
    }
  }
  (void)CommitPending();
  RunEffects(fx);
}

void EcsModel::ScheduleLocked(Cluster& c, Svc& stored, Time now, const TickView& view,
                              std::vector<Task*> mine, Effects& fx) {
  const TargetStates& states = view.states;
  Svc s = stored;  // edited, then recorded if it changed
  const std::string name = s.s.service_name;
  const auto& lbs = s.s.load_balancers;
  auto targets_in = [&](const Task& t, const char* state) {
    bool all = true;
    ecs::ForEachTaskTarget(t.t, lbs, [&](const std::string& tg, int port) {
      if (!all) return;
      const std::string* st = states.Find(tg, t.instance_id, port);
      // Not asked: "unused" when there is a load balancer, else whatever was asked for.
      all = st ? *st == state : !elb_ || std::string_view(state) == "unused";
    });
    return all;
  };
  // Health is asked of the same task many times (counts, the stop order's sort, the
  // deployment figures) and a task's health only changes when the task itself is edited, which
  // happens once per task per pass, after its health was read: remember it per task.
  std::unordered_map<const Task*, bool> health;
  if (!lbs.empty()) health.reserve(mine.size());
  auto healthy = [&](const Task& t) {
    if (lbs.empty()) return t.t.last_status == "RUNNING";  // cheap: nothing to remember
    auto [it, fresh] = health.try_emplace(&t, false);
    if (fresh)
      it->second = t.t.last_status == "RUNNING" &&
                   (lbs.empty() || (t.registered && targets_in(t, "healthy")));
    return it->second;
  };
  auto task_ids = [](const std::vector<std::string>& arns) {
    std::string out;
    for (const auto& a : arns) out += " (task " + ShortId(a) + ")";
    return out;
  };

  // The passes below read only the service's tasks (`mine`, in ARN order; task nodes stay put
  // while they are edited, so the pointers hold); tasks started in step 4 are appended.
  // 1. Tasks whose targets finished draining stop now (only registered or deregistering tasks
  // can be deregistering: Tick's list of those, in the same ARN order).
  std::vector<std::string> stopped;
  static const std::vector<Task*> kNone;
  auto targeted = view.targeted.find(name);
  for (Task* tp : targeted == view.targeted.end() ? kNone : targeted->second) {
    Task& t = *tp;
    if (!t.deregistering) continue;
    const std::string arn = t.t.task_arn;
    if (!targets_in(t, "unused")) continue;
    StopLocked(c, t, "ServiceSchedulerInitiated",
               "Scaling activity initiated by (deployment " + s.s.deployments.front().id + ")",
               false, fx);
    stopped.push_back(arn);
  }
  // 2. Register RUNNING tasks in the target groups.
  for (Task* tp : lbs.empty() ? kNone : mine) {
    Task& t = *tp;
    if (t.registered || t.deregistering || lbs.empty() || t.t.desired_status != "RUNNING" ||
        t.t.last_status != "RUNNING")
      continue;
    Task copy = t;
    copy.registered = true;
    for (auto& [tg, target] : ecs::TaskTargets(t.t, t.instance_id, lbs)) {
      fx.Register(tg, target);
      AddEventLocked(s, "(service " + name + ") registered 1 targets in (target-group " + tg + ")",
                     now);
    }
    PutLocked(c, copy);
  }

  // 3. Counts.
  const int desired = s.s.status == "ACTIVE" ? s.s.desired_count : 0;
  const std::string primary = s.s.deployments.front().id;
  std::vector<Task*> live, good, replace;
  int healthy_count = 0;
  bool any_deregistering = false;
  for (Task* tp : mine) {
    Task& t = *tp;
    if (t.deregistering) any_deregistering = true;
    if (t.t.desired_status != "RUNNING") continue;
    live.push_back(&t);
    if (healthy(t)) ++healthy_count;
    bool inst_ok = !view.displaced.count(&t);
    (t.t.started_by == primary && inst_ok ? good : replace).push_back(&t);
  }
  const auto& dc = s.s.deployment_configuration;
  const int max_total = std::max(desired, desired * dc.maximum_percent / 100);
  const int min_healthy = static_cast<int>(std::ceil(desired * dc.minimum_healthy_percent / 100.0));

  // 4. Start what is missing, within maximumPercent.
  int to_start = s.s.deployments.front().rollout_state == "FAILED"
                     ? 0  // the circuit breaker stopped this deployment
                     : std::min<int>(desired - static_cast<int>(good.size()),
                                     max_total - static_cast<int>(live.size()));
  if (to_start > 0) {
    view.placing = true;
    std::string td_arn = s.s.deployments.front().task_definition;
    auto td = TaskDefLocked("CreateService", td_arn);
    std::vector<aws::EcsFailure> failures;
    std::vector<aws::PlacementStrategy> strategies = s.s.placement_strategy;
    if (strategies.empty())
      strategies = {{"spread", "attribute:ecs.availability-zone"}, {"spread", "instanceId"}};
    Result<std::vector<Placed>> placed = std::vector<Placed>{};
    if (td.ok())
      placed = PlaceLocked("CreateService", c, **td, to_start, "service:" + name, strategies,
                           s.s.placement_constraints, failures);
    std::string why;
    if (!placed.ok()) {
      why = "Reason: No Container Instances were found in your cluster.";
    } else if (static_cast<int>(placed->size()) < to_start && !failures.empty()) {
      const auto& f = failures.front();
      std::string what = f.reason == "RESOURCE:MEMORY" ? "has insufficient memory available."
                         : f.reason == "RESOURCE:CPU"  ? "has insufficient CPU units available."
                         : f.reason == "RESOURCE:PORTS"
                             ? "is already using a port required by your task."
                             : "did not satisfy the placement constraints.";
      why = "The closest matching (container-instance " + ShortId(f.arn) + ") " + what +
            " For more information, see the Troubleshooting section of the Amazon ECS "
            "Developer Guide.";
    }
    if (!why.empty())
      AddEventLocked(s,
                     "(service " + name +
                         ") was unable to place a task because no container instance met "
                         "all of its requirements. " +
                         why,
                     now);
    if (placed.ok() && !placed->empty()) {
      std::vector<std::string> started;
      for (const auto& p : *placed) {
        Usage u = c.usage[p.instance_arn];  // NewTaskLocked's scratch copy
        Task t = NewTaskLocked(c, **td, c.instances.at(p.instance_arn), u, primary,
                               "service:" + name, {});
        t.service = name;
        PutLocked(c, t);
        started.push_back(t.t.task_arn);
        mine.push_back(&c.tasks.at(t.t.task_arn));
      }
      AddEventLocked(s,
                     "(service " + name + ") has started " + std::to_string(started.size()) +
                         " tasks:" + task_ids(started) + ".",
                     now);
      s.steady = false;
    }
  }

  // 5. Stop what is surplus: replaced tasks first, within minimumHealthyPercent.
  int surplus = static_cast<int>(live.size()) - desired;
  std::vector<Task*> order = replace;
  if (surplus > 0)  // otherwise nothing is stopped and the order does not matter
    std::stable_sort(order.begin(), order.end(),
                     [&](Task* a, Task* b) { return !healthy(*a) && healthy(*b); });
  // Tasks of the current deployment on good instances go only when there are more than desired
  // (scale-in), not-yet-healthy ones first.
  if (static_cast<int>(good.size()) > desired) {
    std::vector<Task*> excess = good;
    std::stable_sort(excess.begin(), excess.end(),
                     [&](Task* a, Task* b) { return !healthy(*a) && healthy(*b); });
    for (int i = 0; i < static_cast<int>(excess.size()) - desired; ++i) order.push_back(excess[i]);
  }
  int budget = healthy_count - min_healthy;
  std::vector<std::string> draining;
  for (Task* t : order) {
    if (surplus <= 0) break;
    bool h = healthy(*t);
    if (h && budget <= 0) continue;
    if (h) --budget;
    --surplus;
    if (t->registered) {
      Task copy = *t;
      copy.deregistering = true;
      copy.t.desired_status = "STOPPED";
      for (auto& [tg, target] : ecs::TaskTargets(t->t, t->instance_id, lbs)) {
        fx.Deregister(tg, target);
        AddEventLocked(
            s, "(service " + name + ") deregistered 1 targets in (target-group " + tg + ")", now);
      }
      PutLocked(c, copy);
      draining.push_back(copy.t.task_arn);
    } else {
      StopLocked(c, *t, "ServiceSchedulerInitiated",
                 "Scaling activity initiated by (deployment " + primary + ")", false, fx);
      stopped.push_back(t->t.task_arn);
    }
    s.steady = false;
  }
  if (!draining.empty())
    AddEventLocked(s,
                   "(service " + name + ") has begun draining connections on " +
                       std::to_string(draining.size()) + " tasks.",
                   now);
  if (!stopped.empty())
    AddEventLocked(s,
                   "(service " + name + ") has stopped " + std::to_string(stopped.size()) +
                       " running tasks:" + task_ids(stopped) + ".",
                   now);

  // 6. Deployments and steady state, from the tasks as they are now.
  std::map<std::string, int> live_by_deployment;
  int primary_healthy = 0, live_now = 0, healthy_now = 0;
  // Circuit breaker (below): tasks of the primary deployment whose essential container exited
  // (or that never started) count as failed; counted in the same pass.
  int failed = 0;
  for (Task* tp : mine) {
    const Task& t = *tp;
    if (t.t.last_status == "STOPPED") {
      if (t.t.started_by == primary &&
          (t.t.stop_code == "EssentialContainerExited" || t.t.stop_code == "TaskFailedToStart"))
        ++failed;
      continue;
    }
    ++live_by_deployment[t.t.started_by];
    if (t.t.desired_status != "RUNNING") continue;
    ++live_now;
    if (healthy(t)) {
      ++healthy_now;
      if (t.t.started_by == primary) ++primary_healthy;
    }
  }
  auto& deps = s.s.deployments;
  aws::Deployment& p = deps.front();
  p.desired_count = desired;
  for (size_t i = 1; i < deps.size(); ++i) deps[i].desired_count = live_by_deployment[deps[i].id];
  // Circuit breaker: tasks of the deployment whose essential container exited (or that never
  // started) count as failed; past ECS's threshold (half the desired count, within 10..200)
  // the deployment FAILS and, with rollback, the previous deployment comes back as PRIMARY.
  p.failed_tasks = std::max(p.failed_tasks, failed);
  const int threshold = std::clamp(static_cast<int>(std::ceil(desired * 0.5)), 10, 200);
  if (dc.circuit_breaker_enable && p.rollout_state == "IN_PROGRESS" &&
      p.failed_tasks >= threshold) {
    p.rollout_state = "FAILED";
    p.rollout_state_reason = "ECS deployment circuit breaker: tasks failed to start.";
    p.updated_at = now;
    AddEventLocked(s,
                   "(service " + name + ") (deployment " + p.id +
                       ") deployment failed: tasks failed to start.",
                   now);
    if (dc.circuit_breaker_rollback && deps.size() > 1) {
      aws::Deployment back = deps[1];
      back.id = "ecs-svc/" + std::to_string(1'000'000'000'000'000'000ULL +
                                            rng_.Next() % 8'000'000'000'000'000'000ULL);
      back.status = "PRIMARY";
      back.desired_count = desired;
      back.created_at = back.updated_at = now;
      back.rollout_state = "IN_PROGRESS";
      back.rollout_state_reason =
          "ECS deployment circuit breaker: rolling back to deployment " + deps[1].id + ".";
      back.failed_tasks = 0;
      for (auto& d : deps) d.status = "ACTIVE";
      s.s.task_definition = back.task_definition;
      AddEventLocked(s, "(service " + name + ") rolling back to deployment " + deps[1].id + ".",
                     now);
      deps.insert(deps.begin(), back);
    }
  }
  aws::Deployment& cur = deps.front();
  bool old_gone = true;
  for (size_t i = 1; i < deps.size(); ++i) old_gone &= live_by_deployment[deps[i].id] == 0;
  if (cur.id == primary && cur.rollout_state == "IN_PROGRESS" && old_gone &&
      primary_healthy >= desired) {
    cur.rollout_state = "COMPLETED";
    cur.rollout_state_reason = "ECS deployment " + cur.id + " completed.";
    cur.updated_at = now;
  }
  std::erase_if(deps, [&](const aws::Deployment& d) {
    return d.status != "PRIMARY" && live_by_deployment[d.id] == 0;
  });
  if (s.s.status == "DRAINING" && live_by_deployment.empty()) s.s.status = "INACTIVE";
  bool steady_now = s.s.status == "ACTIVE" && deps.front().rollout_state == "COMPLETED" &&
                    live_now == desired && healthy_now == desired && !any_deregistering &&
                    deps.size() == 1;
  if (steady_now && !s.steady)
    AddEventLocked(s, "(service " + name + ") has reached a steady state.", now);
  s.steady = steady_now;

  if (s.steady != stored.steady || ServiceChanged(s.s, stored.s)) PutLocked(c, s);
}

void EcsModel::ReleaseLostTargetsLocked(Cluster& c, const TargetStates& states, Effects& fx) {
  std::vector<Task*> lost;  // collected first: recording them edits c.targeted
  for (auto& [arn, tp] : c.targeted)
    if (tp->t.last_status == "STOPPED" && tp->registered) lost.push_back(tp);
  for (Task* tp : lost) {
    Task& t = *tp;
    auto s = c.services.find(t.service);
    std::vector<std::pair<std::string, FleetTarget>> targets;
    if (s != c.services.end())
      targets = ecs::TaskTargets(t.t, t.instance_id, s->second.s.load_balancers);
    bool noticed = true;
    for (const auto& [tg, target] : targets) {
      const std::string* st = states.Find(tg, target.id, target.port);
      if (st && (*st == "healthy" || *st == "initial")) noticed = false;
    }
    if (!noticed) continue;
    for (const auto& [tg, target] : targets) fx.Deregister(tg, target);
    Task copy = t;
    copy.registered = false;
    ++copy.t.version;
    PutLocked(c, copy);
  }
}

}  // namespace steady::region
