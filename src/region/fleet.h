// The seams between the local region's fleet models (region part 2): EC2 with Auto Scaling and
// Spot Fleet (Ec2Model, AutoScalingModel), ECS (EcsModel) and ELBv2 with its traffic model
// (Elbv2Model). Each model implements the link the others call, and the region wires them after
// construction (SetLinks). A model never calls another model while holding its own lock: it
// collects the effects under its lock and calls the links after unlocking, so the models' locks
// never nest and cannot deadlock.
//
// Time: every model's time-driven behaviour (instances booting, spot interruptions taking
// effect, lifecycle-hook timeouts, deregistration delays, the service scheduler, traffic) runs
// in Tick(), which processes everything due at clock.Now(). The region calls Tick() on every
// fleet model once a second on the real clock; tests and simulations advance a ManualClock and
// call Region::TickFleet() (or each model's Tick) themselves: no sleeping anywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"

namespace steady::region {

// What ECS needs to know about an EC2 instance to register it as a container instance.
struct FleetInstance {
  std::string instance_id;        // "i-0123456789abcdef0"
  std::string instance_type;      // "m5.large"
  std::string availability_zone;  // "us-east-1a"
  std::string private_ip;
  bool spot = false;
  int vcpus = 0;           // registered CPU = vcpus * 1024
  int64_t memory_mib = 0;  // registered MEMORY = memory_mib minus the agent's reserve
  std::string cluster;     // from user data (ECS_CLUSTER=...) or the group's tags; "" → none
};

// A target in a target group: an instance and port (ECS bridge/host networking).
struct FleetTarget {
  std::string id;  // instance id
  int port = 0;
  friend bool operator==(const FleetTarget&, const FleetTarget&) = default;
};

// Implemented by EcsModel; called by Ec2Model.
class EcsFleetLink {
 public:
  virtual ~EcsFleetLink() = default;
  // The instance finished booting and its agent starts: register it in instance.cluster.
  virtual void InstanceBooted(const FleetInstance& instance) = 0;
  // The instance is going away now (terminated, spot reclaimed): its tasks die at once
  // (STOPPED, stoppedReason "Host EC2 (instance i-...) terminated."), its container instance
  // loses its agent connection and then disappears.
  virtual void InstanceTerminated(const std::string& instance_id) = 0;
};

// Implemented by Elbv2Model; called by EcsModel (service scheduler) and Ec2Model.
class ElbFleetLink {
 public:
  virtual ~ElbFleetLink() = default;
  virtual void RegisterTargets(const std::string& target_group_arn,
                               const std::vector<FleetTarget>& targets) = 0;
  // Starts draining: no new requests; in-flight requests finish; "unused" after the group's
  // deregistration_delay.timeout_seconds.
  virtual void DeregisterTargets(const std::string& target_group_arn,
                                 const std::vector<FleetTarget>& targets) = 0;
  // "initial", "healthy", "unhealthy", "draining", "unused" (not registered), as
  // DescribeTargetHealth reports it.
  virtual std::string TargetState(const std::string& target_group_arn,
                                  const FleetTarget& target) = 0;
  // TargetState of many targets of one group at once, in order, as of one instant. Default:
  // TargetState for each; Elbv2Model answers under one lock.
  virtual std::vector<std::string> TargetStates(const std::string& target_group_arn,
                                                const std::vector<FleetTarget>& targets) {
    std::vector<std::string> out;
    out.reserve(targets.size());
    for (const auto& target : targets) out.push_back(TargetState(target_group_arn, target));
    return out;
  }
  // The process behind the target died (task stopped, instance terminated) without the target
  // being deregistered first: requests in flight on it fail, and the load balancer keeps
  // sending it requests (which fail) until its health checks mark it unhealthy.
  virtual void TargetDown(const FleetTarget& target) = 0;
  // The instance behind every target with this id died (terminated, spot reclaimed): the same
  // as TargetDown for each of its targets in every group. Called by Ec2Model, which does not
  // know the targets' ports. Default: nothing (added by "fleet"; Elbv2Model implements it).
  virtual void InstanceDown(const std::string& instance_id) { (void)instance_id; }
};

// Implemented by Ec2Model; called by EcsModel and AutoScalingModel.
class Ec2FleetLink {
 public:
  virtual ~Ec2FleetLink() = default;
  virtual std::optional<FleetInstance> Instance(const std::string& instance_id) = 0;
};

}  // namespace steady::region
