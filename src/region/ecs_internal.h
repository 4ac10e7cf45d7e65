// The ECS model's private state, shared by its source files (ecs_model.cc, ecs_tasks.cc,
// ecs_scheduler.cc). Not for other components.
#pragma once

#include <optional>
#include <set>
#include <utility>

#include "region/ecs_json.h"
#include "region/ecs_model.h"

namespace steady::region {

struct EcsModel::Inst {
  aws::ContainerInstance ci;  // counts and remaining resources are derived when read
  std::string cluster;
  std::string az, type;
  bool spot = false;
  std::optional<Time> inactive_at;
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
};

struct EcsModel::Svc {
  aws::EcsService s;  // counts derived when read
  std::string cluster;
  bool steady = false;  // "has reached a steady state" was said for the current state
};

struct EcsModel::Usage {
  int64_t cpu = 0, memory = 0;
  std::set<int> tcp, udp;  // host ports held
  int running = 0, pending = 0;
};

struct EcsModel::Cluster {
  aws::EcsCluster c;
  std::map<std::string, Inst> instances;  // by container instance ARN
  std::map<std::string, Task> tasks;      // by task ARN
  std::map<std::string, Svc> services;    // by name
  // What the live (not STOPPED) tasks hold on each instance, by container instance ARN; kept
  // up to date by ApplyLocked as task records are applied.
  std::map<std::string, Usage> usage;
};

struct EcsModel::Placed {
  std::string instance_arn;
  std::string task_arn;
};

struct EcsModel::Effects {
  std::vector<std::pair<std::string, std::vector<FleetTarget>>> register_targets;
  std::vector<std::pair<std::string, std::vector<FleetTarget>>> deregister_targets;
  std::vector<FleetTarget> down;
};

namespace ecs {

// The part of an ARN after the last '/' (or the whole string).
std::string LastSegment(const std::string& s);
// The targets a task offers to the service's load balancers (one per load balancer).
std::vector<std::pair<std::string, FleetTarget>> TaskTargets(
    const aws::EcsTask& task, const std::string& instance_id,
    const std::vector<aws::EcsLoadBalancer>& lbs);
// Evaluates a cluster-query-language expression against an instance.
Result<bool> MatchExpression(const std::string& expression, const std::string& instance_id,
                             const std::string& az, const std::string& type);
// The reserved host ports every instance registers (22, 2375, 2376, 51678, 51679).
const std::vector<int>& ReservedPorts();

}  // namespace ecs

}  // namespace steady::region
