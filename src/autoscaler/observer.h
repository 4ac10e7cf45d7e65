// Reads one cluster's ClusterView from AWS: ECS for what is registered and reserved (no metric
// lag), Auto Scaling and EC2 for the groups' desired capacity and their booting instances.
//
//   - Groups: DescribeAutoScalingGroups (one call for every configured ASG; desired capacity,
//     instances with their lifecycle state, protection) and, per Spot Fleet,
//     DescribeSpotFleetRequests (target capacity) + DescribeSpotFleetInstances. Instances of a
//     group that are Terminating*/Terminated or shutting-down are left out; instances in
//     Pending*/InService (fleet: active) are kept. A configured group that Auto Scaling or
//     EC2 does not know fails Observe with kNotFound (DescribeAutoScalingGroups itself leaves
//     unknown names out). Then DescribeInstances (an instance-id filter, 200 ids per call):
//     launch time and purchase option (InstanceLifecycle); instances shutting-down,
//     terminated, stopping or stopped are left out; an instance EC2 does not list yet is kept,
//     launched = now.
//   - Container instances: ListContainerInstances (all pages) + DescribeContainerInstances
//     (100 per call) of the cluster; matched to group instances by ec2InstanceId. Registered
//     and remaining CPU/MEMORY, running/pending task counts, ACTIVE vs DRAINING. A group
//     instance with no container instance is booting (registered = false). Container
//     instances of no configured group are ignored.
//   - Services: ListServices (all pages) + DescribeServices (10 per call): desired, running,
//     pending; a task definition's reservation (sum over containers of cpu and of memory, else
//     memoryReservation; task-level cpu/memory instead when given, as ECS reserves those) from
//     DescribeTaskDefinition, cached by ARN (task definitions are immutable).
//   - Instance types: GroupConfig::instance_types carry capacities; the observer fills a
//     missing capacity from DescribeInstanceTypes (vCPU × 1024, MiB minus ECS's agent reserve
//     of the configured `reserved_memory`), cached for the process.
//
// Capacity requests are not read here (capacity.h owns the queue); the caller adds them.
// Any call's error fails the whole Observe (a partial view would make a wrong decision).
//
// Thread safety: one Observer per cluster, used from one thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "autoscaler/view.h"
#include "aws/autoscaling.h"
#include "aws/ec2.h"
#include "aws/ecs.h"
#include "base/clock.h"
#include "base/status.h"

namespace steady::autoscaler {

struct ObserverClients {
  aws::Ecs& ecs;
  aws::AutoScaling& autoscaling;
  aws::Ec2& ec2;
};

class Observer {
 public:
  // `groups` are the cluster's configured groups (their instance types may lack capacities).
  Observer(std::string cluster, std::vector<GroupConfig> groups, ObserverClients clients,
           Clock& clock, int64_t reserved_memory_mib = 0);

  // Fills in missing instance-type capacities (DescribeInstanceTypes) and returns the groups
  // as the policy needs them. Call once before the first Observe; cached after.
  Result<std::vector<GroupConfig>> ResolveGroups();

  // The cluster now (view.at = clock.Now()); capacity_requests left empty.
  Result<ClusterView> Observe();

  // ECS API calls made by the last Observe (for the metrics and the call-budget test).
  int last_calls() const { return last_calls_; }

 private:
  // Steps of Observe, in order; each fills its part of `view`.
  Status ObserveGroups(ClusterView& view);
  Status ObserveEc2(ClusterView& view);  // launch times, purchase; drops shutting-down
  Status ObserveContainerInstances(ClusterView& view);
  Status ObserveServices(ClusterView& view);
  Result<Resources> TaskReservation(const std::string& task_definition_arn);

  std::string cluster_;
  std::vector<GroupConfig> groups_;
  ObserverClients clients_;
  Clock& clock_;
  int64_t reserved_memory_mib_;
  bool resolved_ = false;
  std::map<std::string, Resources> task_definitions_;  // ARN → reservation
  int last_calls_ = 0;
};

}  // namespace steady::autoscaler
