#include "serviceout/service_out.h"

#include <algorithm>
#include <condition_variable>
#include <set>

#include "base/log.h"
#include "base/time_format.h"

namespace steady::serviceout {

const char* OutcomeName(OutcomeCode c) {
  switch (c) {
    case OutcomeCode::kServicedOut: return "serviced-out";
    case OutcomeCode::kNotInCluster: return "not-in-cluster";
    case OutcomeCode::kFailed: return "failed";
    case OutcomeCode::kCancelled: return "cancelled";
  }
  return "unknown";
}

// A lifecycle action that joined the workflow, with what its hook allows.
struct HeldAction {
  LifecycleAction action;
  Time event_time{};
  bool hook_known = false;
  Duration heartbeat_timeout{};
  Time global_end{};
  Time deadline{};  // event time + heartbeat timeout, moved by heartbeats
  Time last_beat{};
};

class ServiceOut::Handle {
 public:
  explicit Handle(ServiceOutRequest r) : request(std::move(r)) {}

  const ServiceOutRequest request;
  std::mutex mu;
  std::condition_variable_any cv;
  std::vector<std::optional<Time>> deadlines;  // of every request that joined
  std::vector<HeldAction> actions;
  std::optional<Outcome> outcome;

  void Join(const ServiceOutRequest& r) {
    std::lock_guard lock(mu);
    deadlines.push_back(r.deadline);
    if (r.lifecycle) {
      for (const HeldAction& h : actions) {
        if (h.action.group_name == r.lifecycle->group_name &&
            h.action.hook_name == r.lifecycle->hook_name)
          return;  // a redelivery of the same action
      }
      actions.push_back(HeldAction{.action = *r.lifecycle, .event_time = r.event_time});
    }
  }
};

namespace {

bool Transient(const Status& s) {
  switch (s.code()) {
    case StatusCode::kThrottled:
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kResourceExhausted: return true;
    default: return false;
  }
}

std::string ServiceName(const aws::EcsTask& t) {
  return t.group.rfind("service:", 0) == 0 ? t.group.substr(8) : std::string();
}

struct Target {
  std::string group_arn;
  aws::TargetDescription target;
  std::string task_arn;
  bool deregistered = false;
};

// Runs fn over items, at most n at a time.
template <class T, class F>
void ForEachConcurrently(const std::vector<T>& items, int n, F fn) {
  n = std::max(1, n);
  for (size_t i = 0; i < items.size(); i += n) {
    std::vector<std::jthread> group;
    for (size_t j = i; j < std::min(items.size(), i + n); ++j)
      group.emplace_back([&fn, &item = items[j]] { fn(item); });
  }
}

}  // namespace

// The state of one running workflow, local to its thread.
struct ServiceOut::Workflow {
  ServiceOut& so;
  std::shared_ptr<Handle> h;
  std::stop_token stop;
  Outcome out;
  Location where;
  std::string reason;                         // the StopTask reason
  std::map<std::string, aws::EcsTask> tasks;  // on the instance, by ARN
  std::vector<Target> targets;
  std::set<std::string> examined;          // service tasks whose targets are in `targets`
  std::map<std::string, Duration> delays;  // deregistration delay by group
  std::set<std::string> stopped;           // tasks we stopped

  // The earliest deadline of every joined request and held lifecycle action.
  Time Deadline() {
    std::lock_guard lock(h->mu);
    std::optional<Time> d;
    for (const auto& x : h->deadlines)
      if (x) d = d ? std::min(*d, *x) : *x;
    for (const HeldAction& a : h->actions)
      if (a.hook_known) d = d ? std::min(*d, a.deadline) : a.deadline;
    if (!d) d = out.started + so.options_.soft_deadline;
    return *d;
  }

  // Calls f until it succeeds, fails for good, or the deadline (plus the settle time, so the
  // last steps still get their chance) passes. Transient errors wait one poll interval.
  template <class F>
  auto Call(const char* what, F f) -> decltype(f()) {
    while (true) {
      auto r = f();
      if (r.ok() || !Transient(StatusOf(r))) return r;
      LogWarn("terminator: retrying",
              {{"instance", out.instance_id}, {"call", what}, {"error", StatusOf(r).ToString()}});
      if (so.clock_.Now() > Deadline() + so.options_.settle_timeout) return r;
      if (!so.clock_.SleepFor(so.options_.poll_interval, stop)) return r;
    }
  }
  static Status StatusOf(const Status& s) { return s; }
  template <class T>
  static Status StatusOf(const Result<T>& r) {
    return r.status();
  }

  Status LoadHooks() {
    if (!so.clients_.autoscaling) return Status::Ok();
    std::vector<HeldAction> actions;
    {
      std::lock_guard lock(h->mu);
      actions = h->actions;
    }
    for (HeldAction& a : actions) {
      if (a.hook_known) continue;
      auto hooks = Call("DescribeLifecycleHooks", [&] {
        return so.clients_.autoscaling->DescribeLifecycleHooks(a.action.group_name,
                                                               {a.action.hook_name});
      });
      if (!hooks.ok()) return hooks.status().WithContext("DescribeLifecycleHooks");
      if (hooks->empty()) continue;  // the hook is gone; completing will say so
      const aws::LifecycleHook& hook = hooks->front();
      a.hook_known = true;
      a.heartbeat_timeout = std::chrono::seconds(hook.heartbeat_timeout);
      a.global_end = a.event_time + std::chrono::seconds(hook.global_timeout);
      a.deadline = a.event_time + a.heartbeat_timeout;
      a.last_beat = a.event_time;
      std::lock_guard lock(h->mu);
      for (HeldAction& held : h->actions)
        if (held.action.group_name == a.action.group_name &&
            held.action.hook_name == a.action.hook_name)
          held = a;
    }
    return Status::Ok();
  }

  // Heartbeats for held actions with less than half their timeout left.
  void Heartbeat() {
    if (!so.clients_.autoscaling) return;
    Time now = so.clock_.Now();
    std::vector<HeldAction> due;
    {
      std::lock_guard lock(h->mu);
      for (const HeldAction& a : h->actions)
        // Beat before the deadline comes within the margin at which draining is cut short.
        if (a.hook_known && a.deadline < a.global_end &&
            a.deadline - now <
                std::max<Duration>(a.heartbeat_timeout / 2,
                                   so.options_.deadline_margin + 2 * so.options_.poll_interval))
          due.push_back(a);
    }
    for (const HeldAction& a : due) {
      Status s = so.clients_.autoscaling->RecordLifecycleActionHeartbeat(
          a.action.hook_name, a.action.group_name, a.action.token, out.instance_id);
      if (!s.ok()) {
        LogWarn(
            "terminator: heartbeat failed",
            {{"instance", out.instance_id}, {"hook", a.action.hook_name}, {"error", s.ToString()}});
        continue;
      }
      std::lock_guard lock(h->mu);
      for (HeldAction& held : h->actions)
        if (held.action.hook_name == a.action.hook_name &&
            held.action.group_name == a.action.group_name) {
          held.deadline = std::min(now + held.heartbeat_timeout, held.global_end);
          held.last_beat = now;
        }
    }
  }

  // Refreshes `tasks` with what still runs (or is pending) on the instance.
  // The tasks on the instance that are not STOPPED. ListTasks lists desiredStatus RUNNING by
  // default; with `stopping`, also those told to stop that are still shutting down (their
  // stopTimeout), which must end before the instance may go.
  Status LoadTasks(bool stopping = false) {
    std::vector<std::string> arns;
    for (const char* desired : {"RUNNING", "STOPPED"}) {
      if (!stopping && std::string_view(desired) == "STOPPED") break;
      aws::ListTasksRequest req;
      req.cluster = where.cluster;
      req.container_instance = where.container_instance_arn;
      req.desired_status = desired;
      do {
        auto page = Call("ListTasks", [&] { return so.clients_.ecs.ListTasks(req); });
        if (!page.ok()) return page.status().WithContext("ListTasks");
        arns.insert(arns.end(), page->arns.begin(), page->arns.end());
        req.next_token = page->next_token;
      } while (!req.next_token.empty());
    }
    std::map<std::string, aws::EcsTask> now;
    for (size_t i = 0; i < arns.size(); i += 100) {
      std::vector<std::string> chunk(arns.begin() + i,
                                     arns.begin() + std::min(arns.size(), i + 100));
      auto d = Call("DescribeTasks",
                    [&] { return so.clients_.ecs.DescribeTasks(where.cluster, chunk); });
      if (!d.ok()) return d.status().WithContext("DescribeTasks");
      for (aws::EcsTask& t : d->items) {
        if (t.last_status == "STOPPED") continue;
        std::string arn = t.task_arn;
        now.emplace(std::move(arn), std::move(t));
      }
    }
    for (const auto& [arn, t] : now)
      if (std::find(out.tasks.begin(), out.tasks.end(), arn) == out.tasks.end())
        out.tasks.push_back(arn);
    tasks = std::move(now);
    return Status::Ok();
  }

  // The services of the tasks, by name.
  Result<std::map<std::string, aws::EcsService>> Services() {
    std::set<std::string> names;
    for (const auto& [arn, t] : tasks)
      if (std::string s = ServiceName(t); !s.empty()) names.insert(s);
    std::vector<std::string> all(names.begin(), names.end());
    std::map<std::string, aws::EcsService> by_name;
    for (size_t i = 0; i < all.size(); i += 10) {
      std::vector<std::string> chunk(all.begin() + i, all.begin() + std::min(all.size(), i + 10));
      auto d = Call("DescribeServices",
                    [&] { return so.clients_.ecs.DescribeServices(where.cluster, chunk); });
      if (!d.ok()) return d.status().WithContext("DescribeServices");
      for (aws::EcsService& s : d->items) {
        std::string name = s.service_name;
        by_name.emplace(std::move(name), std::move(s));
      }
    }
    return by_name;
  }

  void StopTasks(const std::vector<std::string>& arns, bool batch) {
    std::mutex mu;
    ForEachConcurrently(arns, so.options_.stop_concurrency, [&](const std::string& arn) {
      auto r =
          Call("StopTask", [&] { return so.clients_.ecs.StopTask(where.cluster, arn, reason); });
      std::lock_guard lock(mu);
      if (!r.ok() && r.status().code() != StatusCode::kNotFound) {
        LogWarn("terminator: StopTask failed",
                {{"instance", out.instance_id}, {"task", arn}, {"error", r.status().ToString()}});
        return;
      }
      if (stopped.insert(arn).second)
        (batch ? out.batch_tasks_stopped : out.service_tasks_stopped)++;
    });
  }

  // Records the targets of service tasks not looked at yet. A task still PENDING has no host
  // port yet: it is looked at again on the next call (a replacement ECS placed here just
  // before DRAINING must be deregistered before it is stopped like any other).
  Status FindTargets() {
    bool unseen = false;
    for (const auto& [arn, t] : tasks)
      if (!ServiceName(t).empty() && !examined.count(arn)) unseen = true;
    if (!unseen) return Status::Ok();
    ASSIGN_OR_RETURN(auto services, Services());
    for (const auto& [arn, t] : tasks) {
      std::string name = ServiceName(t);
      if (name.empty() || examined.count(arn)) continue;
      auto s = services.find(name);
      // Host ports are known from RUNNING on (PROVISIONING, PENDING, ACTIVATING come before).
      bool complete =
          s == services.end() || (t.last_status != "PROVISIONING" && t.last_status != "PENDING" &&
                                  t.last_status != "ACTIVATING");
      for (const aws::EcsLoadBalancer& lb :
           s == services.end() ? std::vector<aws::EcsLoadBalancer>{} : s->second.load_balancers) {
        if (lb.target_group_arn.empty()) continue;
        for (const aws::EcsContainer& c : t.containers) {
          if (c.name != lb.container_name) continue;
          for (const aws::NetworkBinding& b : c.network_bindings) {
            if (b.container_port != lb.container_port || b.host_port == 0) continue;
            targets.push_back(Target{lb.target_group_arn,
                                     aws::TargetDescription{out.instance_id, b.host_port, ""},
                                     arn});
            complete = true;
          }
        }
      }
      if (complete) examined.insert(arn);
    }
    return Status::Ok();
  }

  // Deregisters the targets of the instance's service tasks (as DeregisterReady allows); stops
  // batch tasks at once.
  Status DeregisterAndStopBatch() {
    std::vector<std::string> batch;
    for (const auto& [arn, t] : tasks)
      if (ServiceName(t).empty()) batch.push_back(arn);
    RETURN_IF_ERROR(FindTargets());
    RETURN_IF_ERROR(DeregisterReady());
    if (h->request.trigger != Trigger::kScaleIn) StopTasks(batch, /*batch=*/true);
    return Status::Ok();
  }

  // The group's deregistration delay (read once per group).
  Duration DeregistrationDelay(const std::string& group) {
    auto it = delays.find(group);
    if (it != delays.end()) return it->second;
    Duration d = std::chrono::seconds(300);  // ELBv2's default
    auto attrs = Call("DescribeTargetGroupAttributes",
                      [&] { return so.clients_.elb.DescribeTargetGroupAttributes(group); });
    if (attrs.ok()) {
      auto a = attrs->find("deregistration_delay.timeout_seconds");
      if (a != attrs->end()) d = std::chrono::seconds(std::atoi(a->second.c_str()));
    }
    delays[group] = d;
    return d;
  }

  // Deregisters the targets whose group can do without them: the group still has a healthy
  // target on an instance that is not being serviced out (a replacement, or a survivor). When
  // every healthy target of a group is on doomed instances (a mass interruption), deregistering
  // them would leave the group nothing to route to, so they stay until a replacement is healthy
  // or until the deadline leaves no more than the deregistration delay and the margin.
  Status DeregisterReady() {
    std::map<std::string, std::vector<Target*>> pending;
    for (Target& t : targets)
      if (!t.deregistered) pending[t.group_arn].push_back(&t);
    if (pending.empty()) return Status::Ok();
    std::set<std::string> doomed = so.Doomed();
    Time now = so.clock_.Now();
    for (auto& [group, list] : pending) {
      bool go = now >= Deadline() - so.options_.deadline_margin - DeregistrationDelay(group);
      if (!go) {
        auto health = Call("DescribeTargetHealth",
                           [&] { return so.clients_.elb.DescribeTargetHealth(group, {}); });
        if (!health.ok()) {
          if (health.status().code() != StatusCode::kNotFound)
            return health.status().WithContext("DescribeTargetHealth " + group);
          go = true;  // the group is gone: nothing routes there
        } else {
          for (const aws::TargetHealthDescription& d : *health)
            if (d.target_health.state == "healthy" && !doomed.count(d.target.id)) go = true;
        }
      }
      if (!go) continue;
      RETURN_IF_ERROR(Deregister(group, list, /*final=*/false));
    }
    return Status::Ok();
  }

  // DeregisterTargets for `list`. ELBv2 refuses the whole call (InvalidTarget) when one of them
  // is not registered: a task that became RUNNING a moment ago and that ECS has not registered
  // yet. Then each is asked alone; one not registered stays pending (ECS will register it, and
  // it is deregistered on a later round) unless its task is no longer desired RUNNING (ECS
  // deregistered it itself and the target is gone), or with `final` (its task is being
  // stopped, which ECS does not register) counts as done.
  Status Deregister(const std::string& group, const std::vector<Target*>& list, bool final) {
    auto not_registered = [](const Status& s) {
      return s.code() == StatusCode::kInvalidArgument &&
             s.message().find("InvalidTarget") != std::string_view::npos;
    };
    auto ask = [&](const std::vector<Target*>& some) {
      std::vector<aws::TargetDescription> targets;
      for (const Target* t : some) targets.push_back(t->target);
      return Call("DeregisterTargets",
                  [&] { return so.clients_.elb.DeregisterTargets(group, targets); });
    };
    auto done = [&](Target* t) {
      t->deregistered = true;
      ++out.targets_deregistered;
    };
    Status s = ask(list);
    if (s.ok() || s.code() == StatusCode::kNotFound) {  // NotFound: the group is gone
      for (Target* t : list) done(t);
      return Status::Ok();
    }
    if (!not_registered(s)) return s.WithContext("DeregisterTargets " + group);
    for (Target* t : list) {
      Status one = list.size() == 1 ? s : ask({t});
      if (one.ok() || one.code() == StatusCode::kNotFound ||
          (not_registered(one) && (final || !tasks.count(t->task_arn))))
        done(t);
      else if (!not_registered(one))
        return one.WithContext("DeregisterTargets " + group);
    }
    return Status::Ok();
  }

  // Tasks whose targets are still registered (not yet deregistered) or draining.
  Result<std::set<std::string>> TasksStillDraining() {
    std::map<std::string, std::vector<const Target*>> by_group;
    for (const Target& t : targets) by_group[t.group_arn].push_back(&t);
    std::set<std::string> draining;
    for (const Target& t : targets)
      if (!t.deregistered) draining.insert(t.task_arn);
    for (const auto& [group, list] : by_group) {
      std::vector<aws::TargetDescription> ask;
      for (const Target* t : list) ask.push_back(t->target);
      auto health = Call("DescribeTargetHealth",
                         [&] { return so.clients_.elb.DescribeTargetHealth(group, ask); });
      if (!health.ok()) {
        if (health.status().code() == StatusCode::kNotFound) continue;  // group deleted
        return health.status().WithContext("DescribeTargetHealth " + group);
      }
      for (const aws::TargetHealthDescription& d : *health) {
        if (d.target_health.state == "unused" || d.target_health.state == "unavailable") continue;
        for (const Target* t : list)
          if (t->target.id == d.target.id && t->target.port == d.target.port)
            draining.insert(t->task_arn);
      }
    }
    return draining;
  }

  // Waits for the targets to drain; stops service tasks whose targets are drained once their
  // service runs its desired count elsewhere.
  Status WaitForDrain() {
    Time tasks_loaded = so.clock_.Now();  // Steps() loaded them just before
    while (true) {
      Heartbeat();
      Time now = so.clock_.Now();
      if (now >= Deadline() - so.options_.deadline_margin) return Status::Ok();
      RETURN_IF_ERROR(DeregisterReady());
      ASSIGN_OR_RETURN(std::set<std::string> draining, TasksStillDraining());
      bool reload = draining.empty() || now - tasks_loaded >= so.options_.task_poll_interval;
      for (const Target& t : targets)
        if (!t.deregistered) reload = true;  // waiting for ECS to register a late task
      for (const auto& [arn, t] : tasks)
        if (!ServiceName(t).empty() && !examined.count(arn)) reload = true;  // host port due
      if (reload) {
        RETURN_IF_ERROR(LoadTasks());
        tasks_loaded = now;
        RETURN_IF_ERROR(FindTargets());  // tasks that got their host port since
      }
      for (const Target& t : targets)
        if (!t.deregistered) draining.insert(t.task_arn);
      bool service_left = false;
      std::map<std::string, std::vector<std::string>> ready_by_service;
      for (const auto& [arn, t] : tasks) {
        std::string name = ServiceName(t);
        if (name.empty()) {
          // A scale-in waits for batch tasks to end by themselves.
          if (h->request.trigger == Trigger::kScaleIn) service_left = true;
          continue;
        }
        service_left = true;
        if (!draining.count(arn) && !stopped.count(arn)) ready_by_service[name].push_back(arn);
      }
      LogDebug("terminator: draining", {{"instance", out.instance_id},
                                        {"targets_draining", static_cast<int64_t>(draining.size())},
                                        {"tasks", static_cast<int64_t>(tasks.size())},
                                        {"ready", static_cast<int64_t>(ready_by_service.size())}});
      if (draining.empty() && !service_left) return Status::Ok();
      if (!ready_by_service.empty()) {
        ASSIGN_OR_RETURN(auto services, Services());
        std::vector<std::string> stop_now;
        for (const auto& [name, arns] : ready_by_service) {
          auto s = services.find(name);
          if (s == services.end()) {
            stop_now.insert(stop_now.end(), arns.begin(), arns.end());
            continue;
          }
          int here = 0;
          for (const auto& [arn, t] : tasks)
            if (ServiceName(t) == name && t.last_status == "RUNNING") ++here;
          // The replacements run: the service keeps desiredCount without this instance.
          if (s->second.running_count - here >= s->second.desired_count)
            stop_now.insert(stop_now.end(), arns.begin(), arns.end());
        }
        StopTasks(stop_now, /*batch=*/false);
      }
      if (!so.clock_.SleepFor(so.options_.poll_interval, stop)) return CancelledError("stopping");
    }
  }

  // Stops what is left (deregistering any target still registered first) and waits until
  // nothing runs.
  Status StopRemaining() {
    // Tasks ECS is stopping itself (its own replacement of DRAINING tasks: RUNNING, desired
    // STOPPED) are taken too: their targets are deregistered if still registered, and they are
    // stopped now rather than when ECS gets to it, which may be after the host is gone.
    RETURN_IF_ERROR(LoadTasks(/*stopping=*/true));
    RETURN_IF_ERROR(FindTargets());
    std::map<std::string, std::vector<Target*>> left;
    for (Target& t : targets)
      if (!t.deregistered) left[t.group_arn].push_back(&t);
    for (const auto& [group, list] : left) RETURN_IF_ERROR(Deregister(group, list, /*final=*/true));
    std::vector<std::string> service, batch;
    for (const auto& [arn, t] : tasks) {
      if (t.desired_status == "STOPPED" && stopped.count(arn)) continue;
      (ServiceName(t).empty() ? batch : service).push_back(arn);
    }
    StopTasks(batch, true);
    StopTasks(service, false);
    // Waiting past the deadline helps nothing: the instance goes then.
    const Time now = so.clock_.Now();
    const Time until = std::max(now, std::min(Deadline(), now + so.options_.settle_timeout));
    while (true) {
      RETURN_IF_ERROR(LoadTasks(/*stopping=*/true));
      if (tasks.empty()) return Status::Ok();
      if (LogEnabled(LogLevel::kDebug)) {
        std::map<std::string, int> states;
        for (const auto& [arn, t] : tasks)
          ++states[t.last_status + "->" + t.desired_status + (stopped.count(arn) ? "" : "*")];
        std::string summary;
        for (const auto& [k, n] : states) summary += k + "=" + std::to_string(n) + " ";
        auto at = [](const std::optional<Time>& t) {
          return t ? FormatIso8601(*t).substr(11, 8) : std::string("-");
        };
        for (const auto& [arn, t] : tasks)
          summary += "; " + arn.substr(arn.rfind('/') + 1, 8) + " created " + at(t.created_at) +
                     " started " + at(t.started_at) + " stopping " + at(t.stopping_at);
        LogDebug("terminator: settling", {{"instance", out.instance_id}, {"tasks", summary}});
      }
      if (so.clock_.Now() >= until) {
        std::string which;
        for (const auto& [arn, t] : tasks)
          which += (which.empty() ? "" : ", ") + arn.substr(arn.rfind('/') + 1) + " " +
                   t.last_status + "->" + t.desired_status +
                   (stopped.count(arn) ? "" : " (not ours)");
        LogWarn("terminator: tasks still running after the settle time",
                {{"instance", out.instance_id},
                 {"tasks", static_cast<int64_t>(tasks.size())},
                 {"which", which}});
        out.tasks_remaining = static_cast<int>(tasks.size());
        return Status::Ok();
      }
      if (!so.clock_.SleepFor(so.options_.poll_interval, stop)) return CancelledError("stopping");
    }
  }

  void CompleteLifecycle() {
    if (!so.clients_.autoscaling) return;
    std::vector<HeldAction> actions;
    {
      std::lock_guard lock(h->mu);
      actions = h->actions;
    }
    for (const HeldAction& a : actions) {
      aws::CompleteLifecycleActionRequest req;
      req.lifecycle_hook_name = a.action.hook_name;
      req.auto_scaling_group_name = a.action.group_name;
      req.lifecycle_action_token = a.action.token;
      req.instance_id = a.action.token.empty() ? out.instance_id : "";
      req.lifecycle_action_result = "CONTINUE";
      Status s = Call("CompleteLifecycleAction",
                      [&] { return so.clients_.autoscaling->CompleteLifecycleAction(req); });
      if (s.ok()) {
        ++out.lifecycle_completed;
      } else if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound) {
        // "No active Lifecycle Action found": completed already (a redelivery) or timed out.
        LogInfo(
            "terminator: lifecycle action no longer pending",
            {{"instance", out.instance_id}, {"hook", a.action.hook_name}, {"error", s.ToString()}});
      } else {
        out.error = s.ToString();
        out.code = OutcomeCode::kFailed;
      }
    }
  }

  void Run() {
    const ServiceOutRequest& r = h->request;
    out.instance_id = r.instance_id;
    out.trigger = r.trigger;
    out.detail = r.detail;
    out.started = so.clock_.Now();
    reason = "steady terminator: " + (r.detail.empty() ? TriggerName(r.trigger) : r.detail) +
             " on " + r.instance_id;
    Status s = Steps();
    out.finished = so.clock_.Now();
    out.deadline = Deadline();
    if (s.code() == StatusCode::kCancelled || stop.stop_requested()) {
      out.code = OutcomeCode::kCancelled;
    } else if (!s.ok() && out.code != OutcomeCode::kNotInCluster) {
      out.code = OutcomeCode::kFailed;
      out.error = s.ToString();
    }
    // A state change's deadline is its own time: the instance is going already, nothing to miss.
    if (out.code == OutcomeCode::kServicedOut && out.finished > *out.deadline &&
        r.trigger != Trigger::kInstanceStateChange)
      out.deadline_missed = true;
  }

  Status Steps() {
    RETURN_IF_ERROR(LoadHooks());
    auto loc = so.locator_.Locate(out.instance_id);
    if (!loc.ok()) {
      if (loc.status().code() != StatusCode::kNotFound) return loc.status();
      out.code = OutcomeCode::kNotInCluster;
      if (so.options_.complete_unknown_lifecycle) CompleteLifecycle();
      return Status::Ok();
    }
    where = *loc;
    out.cluster = where.cluster;
    if (so.observer_) so.observer_->Started(h->request, where);
    if (where.status != "DRAINING") {
      auto d = Call("UpdateContainerInstancesState", [&] {
        return so.clients_.ecs.UpdateContainerInstancesState(
            where.cluster, {where.container_instance_arn}, "DRAINING");
      });
      if (!d.ok()) return d.status().WithContext("UpdateContainerInstancesState");
      so.locator_.Forget(out.instance_id);
    }
    RETURN_IF_ERROR(LoadTasks());
    RETURN_IF_ERROR(DeregisterAndStopBatch());
    RETURN_IF_ERROR(WaitForDrain());
    out.drained = so.clock_.Now();
    RETURN_IF_ERROR(StopRemaining());
    out.code = OutcomeCode::kServicedOut;
    CompleteLifecycle();
    return Status::Ok();
  }
};

ServiceOut::ServiceOut(ServiceOutOptions options, ServiceOutClients clients,
                       InstanceLocator& locator, Clock& clock, MetricsRegistry& metrics,
                       ServiceOutObserver* observer)
    : options_(options),
      clients_(clients),
      locator_(locator),
      clock_(clock),
      observer_(observer),
      joined_(&metrics
                   .AddCounter("steady_terminator_workflows_joined_total",
                               "Requests that joined a service-out already running.")
                   .Get()),
      deadline_misses_(&metrics
                            .AddCounter("steady_terminator_deadline_misses_total",
                                        "Service-outs that finished after their deadline.")
                            .Get()),
      in_flight_gauge_(
          &metrics
               .AddGauge("steady_terminator_workflows_in_flight", "Service-out workflows running.")
               .Get()),
      metrics_(metrics) {}

ServiceOut::~ServiceOut() { Stop(); }

std::shared_ptr<ServiceOut::Handle> ServiceOut::Submit(const ServiceOutRequest& request) {
  std::lock_guard lock(mu_);
  // Reap the threads of finished workflows (they hold no lock once the outcome is set).
  std::erase_if(threads_, [](auto& t) { return Poll(t.first).has_value(); });
  if (auto it = running_.find(request.instance_id); it != running_.end()) {
    it->second->Join(request);
    joined_->Inc();
    return it->second;
  }
  auto h = std::make_shared<Handle>(request);
  h->Join(request);
  if (stopped_) {
    Outcome o;
    o.code = OutcomeCode::kCancelled;
    o.instance_id = request.instance_id;
    o.trigger = request.trigger;
    h->outcome = o;
    return h;
  }
  metrics_
      .AddCounter("steady_terminator_workflows_started_total", "Service-out workflows started.",
                  {"type"})
      .With({TriggerName(request.trigger)})
      .Inc();
  running_[request.instance_id] = h;
  in_flight_gauge_->Set(static_cast<double>(running_.size()));
  threads_.emplace_back(h, std::jthread([this, h](std::stop_token stop) { Run(stop, h); }));
  return h;
}

void ServiceOut::Run(std::stop_token stop, std::shared_ptr<Handle> handle) {
  Workflow w{.so = *this, .h = handle, .stop = stop};
  w.Run();
  Finish(handle, std::move(w.out));
}

void ServiceOut::Finish(const std::shared_ptr<Handle>& handle, Outcome outcome) {
  metrics_
      .AddCounter("steady_terminator_workflows_finished_total",
                  "Service-out workflows finished, by outcome.", {"type", "outcome"})
      .With({TriggerName(outcome.trigger), OutcomeName(outcome.code)})
      .Inc();
  Time since = handle->request.event_time == Time{} ? outcome.started : handle->request.event_time;
  if (outcome.code == OutcomeCode::kServicedOut) {
    metrics_
        .AddHistogram("steady_terminator_service_out_seconds",
                      "Time from the event to the instance serviced out.", {"type"},
                      {1, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800, 3600})
        .With({TriggerName(outcome.trigger)})
        .Observe(ToUnixSeconds(outcome.finished) - ToUnixSeconds(since));
  }
  if (outcome.deadline_missed) deadline_misses_->Inc();
  auto& stopped = metrics_.AddCounter("steady_terminator_tasks_stopped_total",
                                      "Tasks the terminator stopped, by kind.", {"kind"});
  stopped.With({"service"}).Inc(outcome.service_tasks_stopped);
  stopped.With({"batch"}).Inc(outcome.batch_tasks_stopped);
  LogInfo("terminator: service-out finished",
          {{"instance", outcome.instance_id},
           {"cluster", outcome.cluster},
           {"outcome", OutcomeName(outcome.code)},
           {"trigger", TriggerName(outcome.trigger)},
           {"seconds", ToUnixSeconds(outcome.finished) - ToUnixSeconds(outcome.started)},
           {"since_event_seconds", ToUnixSeconds(outcome.finished) - ToUnixSeconds(since)},
           {"drain_seconds", outcome.drained == Time{}
                                 ? 0.0
                                 : ToUnixSeconds(outcome.drained) - ToUnixSeconds(outcome.started)},
           {"tasks", static_cast<int64_t>(outcome.tasks.size())},
           {"deadline_missed", outcome.deadline_missed},
           {"error", outcome.error}});
  if (observer_) observer_->Finished(outcome);
  {
    std::lock_guard lock(mu_);
    auto it = running_.find(outcome.instance_id);
    if (it != running_.end() && it->second == handle) running_.erase(it);
    in_flight_gauge_->Set(static_cast<double>(running_.size()));
  }
  std::lock_guard lock(handle->mu);
  handle->outcome = std::move(outcome);
  handle->cv.notify_all();
}

std::optional<Outcome> ServiceOut::Wait(const std::shared_ptr<Handle>& handle,
                                        std::stop_token stop) {
  std::unique_lock lock(handle->mu);
  handle->cv.wait(lock, stop, [&] { return handle->outcome.has_value(); });
  return handle->outcome;
}

std::optional<Outcome> ServiceOut::Poll(const std::shared_ptr<Handle>& handle) {
  std::lock_guard lock(handle->mu);
  return handle->outcome;
}

std::set<std::string> ServiceOut::Doomed() const {
  std::lock_guard lock(mu_);
  std::set<std::string> ids;
  for (const auto& [id, h] : running_) ids.insert(id);
  return ids;
}

int ServiceOut::InFlight() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(running_.size());
}

void ServiceOut::Stop() {
  std::vector<std::pair<std::shared_ptr<Handle>, std::jthread>> threads;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    threads.swap(threads_);
  }
  for (auto& t : threads) t.second.request_stop();
  threads.clear();  // joins
}

}  // namespace steady::serviceout
