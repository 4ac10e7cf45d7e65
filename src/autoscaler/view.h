// What the autoscaler knows about one cluster at one moment, as plain data: the seam between
// the code that reads AWS (observer.h), the simulator that replays a day (day_sim.h) and the
// decisions (policy.h), which never call anything.
//
// Units: CPU in ECS units (1024 per vCPU), memory in MiB, as ECS registers them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"

namespace steady::autoscaler {

struct Resources {
  int64_t cpu = 0;
  int64_t memory = 0;
  friend bool operator==(const Resources&, const Resources&) = default;
};

enum class Purchase { kOnDemand, kSpot };
const char* PurchaseName(Purchase p);  // "on-demand" | "spot"

// An instance type a group launches, with what ECS registers for it.
struct InstanceType {
  std::string name;    // "m5.xlarge"
  Resources capacity;  // registered CPU/memory of one instance
  int weight = 1;      // Spot Fleet weighted capacity (1 for Auto Scaling groups)
};

// One capacity group of a cluster: an Auto Scaling group or a Spot Fleet request.
struct GroupConfig {
  enum class Kind { kAutoScalingGroup, kSpotFleet };
  std::string name;  // ASG name, or Spot Fleet request id
  Kind kind = Kind::kAutoScalingGroup;
  Purchase purchase = Purchase::kOnDemand;
  // Preferred first: new capacity is sized with the first type; the others are what the group
  // may launch (mixed instances policy overrides, fleet launch specifications).
  std::vector<InstanceType> instance_types;
  int min = 0;  // instances (capacity units for a weighted fleet)
  int max = 0;
};

// An instance of a group, launched or running.
struct InstanceView {
  std::string instance_id;
  std::string group;  // GroupConfig::name
  std::string instance_type;
  Purchase purchase = Purchase::kOnDemand;
  bool registered = false;         // a container instance of the cluster (false: still booting)
  bool active = true;              // container instance ACTIVE (false: DRAINING)
  Resources registered_resources;  // zero while booting
  Resources remaining;             // registered minus what its tasks reserve
  int running_tasks = 0;
  int pending_tasks = 0;
  Time launched{};
  bool scale_in_protected = false;
};

struct GroupView {
  std::string name;
  int desired = 0;  // ASG desired capacity / fleet target capacity
};

// A service as ECS describes it, with its task definition's reservation.
struct ServiceView {
  std::string name;
  int desired = 0;
  int running = 0;
  int pending = 0;
  Resources task;  // one task's reservation (sum over its containers)
};

// "RunTask failed for lack of resources", from the capacity queue (already deduplicated by
// hako_task_id; see capacity.h).
struct CapacityRequest {
  std::string task_id;  // hako_task_id
  std::string group_name;
  Resources task;
  Time received{};
};

// The cluster's CPUReservation/MemoryReservation (percent) as CloudWatch last reported them
// (AWS/ECS, ClusterName), when the autoscaler is told to read reservation there.
struct MetricReservation {
  double cpu = 0;
  double memory = 0;
};

struct ClusterView {
  std::string cluster;
  Time at{};
  std::vector<GroupView> groups;
  std::vector<InstanceView> instances;  // of the configured groups only
  std::vector<ServiceView> services;
  std::vector<CapacityRequest> capacity_requests;
  // Set: the reservation signal uses these cluster-wide figures for both purchase options
  // instead of the instances' registered/remaining resources (which still size the steps).
  std::optional<MetricReservation> metric_reservation;
};

}  // namespace steady::autoscaler
