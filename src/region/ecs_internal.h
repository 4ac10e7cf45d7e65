// The ECS model's private state, shared by its source files (ecs_model.cc, ecs_tasks.cc,
// ecs_scheduler.cc). Not for other components.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "region/ecs_json.h"
#include "region/ecs_model.h"

namespace steady::region {

struct EcsModel::Inst {
  aws::ContainerInstance ci;  // counts and remaining resources are derived when read
  std::string cluster;
  std::string az, type;
  bool spot = false;
  std::optional<Time> inactive_at;
  int64_t version = 1;  // bumped on every state change event
};

struct EcsModel::Task {
  aws::EcsTask t;
  std::string cluster;
  std::string service;  // "" unless started by a service
  std::string instance_id;
  int64_t cpu = 0, memory = 0;  // reserved on the instance while not STOPPED
  Time next_at{};               // the next timed transition (lifecycle)
  std::optional<Time> exit_at;  // batch convention: when the essential container exits
  int exit_code = 0;
  int64_t run_seconds = -1;    // batch convention (STEADY_RUN_SECONDS), -1: runs until stopped
  bool registered = false;     // in the service's target groups
  bool deregistering = false;  // DeregisterTargets sent; stops once every target is unused
  // Utilisation stand-in: percent of the reservation a RUNNING task uses (ecs_model.h).
  int cpu_util = 100, memory_util = 100;
};

struct EcsModel::Svc {
  aws::EcsService s;  // counts derived when read
  std::string cluster;
  bool steady = false;  // "has reached a steady state" was said for the current state
  // Not durable (a recorded service starts without it): the scheduler's last pass over this
  // service changed nothing and had nothing to place, with these inputs (the counters of
  // Cluster and the fingerprint of TargetStates). With the same inputs the pass would again
  // change nothing, so Tick skips it.
  struct Idle {
    uint64_t task_changes = 0, instance_changes = 0, states = 0;
  };
  std::optional<Idle> idle;
};

struct EcsModel::Usage {
  int64_t cpu = 0, memory = 0;
  std::set<int> tcp, udp;  // host ports held
  int running = 0, pending = 0;
};

// Tasks in ARN order, as views of the keys of Cluster::tasks (map nodes stay put until erased):
// a sorted vector, since the tick walks these sets far more often than they change.
class EcsTaskSet {
 public:
  using Entry = std::pair<std::string_view, EcsModel::Task*>;
  using const_iterator = std::vector<Entry>::const_iterator;

  const_iterator begin() const { return v_.begin(); }
  const_iterator end() const { return v_.end(); }
  size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  // The first entry whose ARN is after `arn`.
  const_iterator upper_bound(std::string_view arn) const {
    return std::upper_bound(v_.begin(), v_.end(), arn,
                            [](std::string_view a, const Entry& e) { return a < e.first; });
  }
  void emplace(std::string_view arn, EcsModel::Task* t) {
    auto it = Lower(arn);
    if (it != v_.end() && it->first == arn)
      it->second = t;
    else
      v_.insert(it, {arn, t});
  }
  void erase(std::string_view arn) {
    auto it = Lower(arn);
    if (it != v_.end() && it->first == arn) v_.erase(it);
  }

 private:
  std::vector<Entry>::iterator Lower(std::string_view arn) {
    return std::lower_bound(v_.begin(), v_.end(), arn,
                            [](const Entry& e, std::string_view a) { return e.first < a; });
  }
  std::vector<Entry> v_;
};

struct EcsModel::Cluster {
  using TaskSet = EcsTaskSet;

  aws::EcsCluster c;
  std::map<std::string, Inst> instances;  // by container instance ARN
  std::map<std::string, Task> tasks;      // by task ARN
  std::map<std::string, Svc> services;    // by name
  // What the live (not STOPPED) tasks hold on each instance, by container instance ARN; kept
  // up to date by ApplyLocked as task records are applied.
  std::map<std::string, Usage> usage;

  // Indexes, kept by ApplyLocked with the records (never journaled).
  // Container instance ARNs by their last segment and by EC2 instance id.
  std::unordered_map<std::string, std::set<std::string>> inst_by_id, inst_by_ec2;
  // Tasks by service name (service tasks only), by group and by container instance ARN.
  std::unordered_map<std::string, TaskSet> tasks_by_service, tasks_by_group, tasks_by_instance;
  int running_tasks = 0;  // lastStatus RUNNING
  int pending_tasks = 0;  // lastStatus PENDING or PROVISIONING
  // Tasks in a target group or leaving one (registered or deregistering).
  TaskSet targeted;
  // Changes, for the scheduler's skipping of idle services (Svc::idle): task records of each
  // service (put or removed) and container instance records.
  std::unordered_map<std::string, uint64_t> service_task_changes;
  uint64_t instance_changes = 0;
  // When Tick next has something to do with a task (a lifecycle transition, the essential
  // container's exit, pruning once STOPPED), by that time; tasks with nothing timed are absent.
  std::set<std::tuple<Time, std::string_view, Task*>> timers;
};

// The load balancer's view of the targets of the clusters' registered tasks, asked once at the
// start of a tick, per target group; looked up by (target group ARN, instance id, port).
struct EcsModel::TargetStates {
  struct Group {
    std::string tg;
    std::vector<FleetTarget> targets;
    std::vector<std::string> owners;  // the service of each target's task
    std::vector<std::string> states;  // parallel to targets
  };
  struct Key {
    std::string_view tg, id;
    int port = 0;
    friend bool operator==(const Key& a, const Key& b) {
      return a.port == b.port && a.id == b.id && a.tg == b.tg;
    }
  };
  struct Hash {
    size_t operator()(const Key& k) const {
      return std::hash<std::string_view>()(k.id) * 31 + static_cast<size_t>(k.port);
    }
  };
  std::vector<Group> groups;  // owns the strings the keys view; not resized once indexed

  void Add(const std::string& tg, FleetTarget target, const std::string& owner) {
    Group* g = nullptr;
    for (auto& candidate : groups)  // a handful of groups
      if (candidate.tg == tg) g = &candidate;
    if (!g) g = &groups.emplace_back(Group{tg, {}, {}, {}});
    g->targets.push_back(std::move(target));
    g->owners.push_back(owner);
  }
  // Call once every group's states are filled: each service's fingerprint of the states of its
  // targets (in the order asked).
  void Answered() {
    for (const auto& g : groups)
      for (size_t k = 0; k < g.targets.size() && k < g.states.size(); ++k) {
        uint64_t& fp = fingerprints[g.owners[k]];
        fp = fp * 1000003 ^ std::hash<std::string>()(g.states[k]) ^ (k + 1);
      }
  }
  uint64_t Fingerprint(const std::string& service) const {
    auto it = fingerprints.find(service);
    return it == fingerprints.end() ? 0 : it->second;
  }
  // The state reported for the target, or null when it was not asked (the first answer for a
  // target asked twice).
  const std::string* Find(const std::string& tg, const std::string& id, int port) const {
    if (!indexed) {
      indexed = true;
      size_t n = 0;
      for (const auto& g : groups) n += g.targets.size();
      index.reserve(n);
      for (const auto& g : groups)
        for (size_t k = 0; k < g.targets.size() && k < g.states.size(); ++k)
          index.emplace(Key{g.tg, g.targets[k].id, g.targets[k].port}, &g.states[k]);
    }
    auto it = index.find(Key{tg, id, port});
    return it == index.end() ? nullptr : it->second;
  }

 private:
  std::unordered_map<std::string, uint64_t> fingerprints;
  mutable bool indexed = false;  // built on the first Find
  mutable std::unordered_map<Key, const std::string*, Hash> index;
};

// What Tick gathers once per cluster for the scheduler's pass over every service.
struct EcsModel::TickView {
  const TargetStates& states;
  // Tasks whose container instance is not ACTIVE (or gone): the scheduler replaces them.
  std::unordered_set<const Task*> displaced;
  // Each service's tasks that are registered or deregistering, in ARN order.
  std::unordered_map<std::string, std::vector<Task*>> targeted;
  // Set by ScheduleLocked when the service had tasks to start.
  mutable bool placing = false;
};

struct EcsModel::Placed {
  std::string instance_arn;
  std::string task_arn;
};

// Load balancer calls decided under the lock, made after it in the order they were decided: a
// task registered and displaced in the same scheduler pass must reach the load balancer as a
// registration followed by a deregistration, never the other way round.
struct EcsModel::Effects {
  enum class Kind { kRegister, kDeregister, kDown };
  struct Op {
    Kind kind;
    std::string group;  // empty for kDown
    FleetTarget target;
  };
  std::vector<Op> ops;
  void Register(const std::string& group, const FleetTarget& t) {
    ops.push_back({Kind::kRegister, group, t});
  }
  void Deregister(const std::string& group, const FleetTarget& t) {
    ops.push_back({Kind::kDeregister, group, t});
  }
  void Down(const FleetTarget& t) { ops.push_back({Kind::kDown, "", t}); }
  size_t size() const { return ops.size(); }
};

namespace ecs {

// The part of an ARN after the last '/' (or the whole string).
std::string LastSegment(const std::string& s);
// The targets a task offers to the service's load balancers (one per load balancer).
std::vector<std::pair<std::string, FleetTarget>> TaskTargets(
    const aws::EcsTask& task, const std::string& instance_id,
    const std::vector<aws::EcsLoadBalancer>& lbs);
// The same targets without building them: f(target group ARN, host port) for each, in
// TaskTargets' order (the target's id is the task's instance id).
template <typename F>
void ForEachTaskTarget(const aws::EcsTask& task, const std::vector<aws::EcsLoadBalancer>& lbs,
                       F&& f) {
  for (const auto& lb : lbs)
    for (const auto& ct : task.containers)
      if (ct.name == lb.container_name)
        for (const auto& b : ct.network_bindings)
          if (b.container_port == lb.container_port) f(lb.target_group_arn, b.host_port);
}

// A cluster-query-language expression, parsed once and matched against many instances.
// Match gives exactly what MatchExpression gives for the same text, errors included (an
// error is reported only when evaluation reaches the malformed part, as with MatchExpression's
// short-circuiting "or"/"and").
class Expression {
 public:
  static Expression Parse(const std::string& expression);
  Result<bool> Match(const std::string& instance_id, const std::string& az,
                     const std::string& type) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
};

// Evaluates a cluster-query-language expression against an instance.
Result<bool> MatchExpression(const std::string& expression, const std::string& instance_id,
                             const std::string& az, const std::string& type);
// The EventBridge events (ecs_events.cc): "ECS Task State Change" for `t` and "ECS Container
// Instance State Change" for the instance view `ci` (remaining resources filled in), at `now`.
nlohmann::json TaskStateChange(const aws::EcsTask& t, Time now);
nlohmann::json InstanceStateChange(const aws::ContainerInstance& ci, const std::string& cluster_arn,
                                   int64_t version, Time now);
// The reserved host ports every instance registers (22, 2375, 2376, 51678, 51679).
const std::vector<int>& ReservedPorts();

}  // namespace ecs

}  // namespace steady::region
