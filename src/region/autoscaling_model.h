// The local region's EC2 Auto Scaling: groups that keep their desired capacity with instances
// launched through Ec2Model, MixedInstancesPolicy's on-demand/spot split, instance protection,
// and termination lifecycle hooks.
//
// Capacity (Tick): instances of a group that EC2 reports shutting-down or terminated without
// the group terminating them (spot reclaimed, TerminateInstances) leave the group; the group
// then launches (desired - current) instances, each in the group's least populated zone. The
// on-demand share of the group's capacity is OnDemandBaseCapacity plus
// OnDemandPercentageAboveBaseCapacity of the rest, rounded up (AWS favours on-demand when the
// split is uneven); on-demand instances take the first override (prioritized), spot ones the
// override with the lowest spot price.
// Scale-in (simplified AWS default policy): among unprotected instances that are not already
// terminating, pick from the zone with the most instances, then those whose instance type is
// no longer in the group's launch template or overrides, then the oldest launch.
// Terminating: with a autoscaling:EC2_INSTANCE_TERMINATING hook, the instance goes to
// Terminating:Wait, a notification goes to the hook's SQS queue (direct format) and the
// "EC2 Instance-terminate Lifecycle Action" event to EventBridge; it waits for
// CompleteLifecycleAction (or the heartbeat timeout, which applies DefaultResult; heartbeats
// push the timeout back, up to the global timeout), then Terminating:Proceed → Terminating
// (EC2 TerminateInstances) → gone once EC2 reports it terminated. PutLifecycleHook sends
// the autoscaling:TEST_NOTIFICATION message to its queue.
//
// Durability: groups, hooks and lifecycle actions are journal records ("put" of the whole
// entity) applied through one function live and on replay. Instances are launched in EC2
// before the group records them: a crash in between leaves an EC2 instance outside any group.
//
// Thread safety: all methods may be called from any thread. This model never holds its lock
// while calling Ec2Model, SqsModel or EventsModel.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/autoscaling.h"
#include "region/ec2_model.h"
#include "region/region_context.h"
#include "region/service_model.h"

namespace steady::region {

class EventsModel;
class SqsModel;

class AutoScalingModel final : public aws::AutoScaling, public ServiceModel {
 public:
  // `sqs` and `events` may be null (no notifications of that kind).
  AutoScalingModel(RegionContext& ctx, Ec2Model& ec2, SqsModel* sqs, EventsModel* events);
  ~AutoScalingModel() override;

  Status CreateAutoScalingGroup(const aws::CreateAutoScalingGroupRequest& request) override;
  Result<std::vector<aws::AutoScalingGroup>> DescribeAutoScalingGroups(
      const std::vector<std::string>& names) override;
  Status UpdateAutoScalingGroup(const aws::UpdateAutoScalingGroupRequest& request) override;
  Status SetDesiredCapacity(const std::string& group, int desired_capacity) override;
  Result<std::string> TerminateInstanceInAutoScalingGroup(
      const std::string& instance_id, bool should_decrement_desired_capacity) override;
  Status SetInstanceProtection(const std::string& group,
                               const std::vector<std::string>& instance_ids,
                               bool protected_from_scale_in) override;
  Result<std::vector<aws::AutoScalingInstanceDetails>> DescribeAutoScalingInstances(
      const std::vector<std::string>& instance_ids) override;
  Status PutLifecycleHook(const aws::LifecycleHook& hook) override;
  Result<std::vector<aws::LifecycleHook>> DescribeLifecycleHooks(
      const std::string& group, const std::vector<std::string>& names) override;
  Status CompleteLifecycleAction(const aws::CompleteLifecycleActionRequest& request) override;
  Status RecordLifecycleActionHeartbeat(const std::string& hook_name, const std::string& group,
                                        const std::string& lifecycle_action_token,
                                        const std::string& instance_id) override;

  // Syncs with EC2, times out lifecycle actions, and launches or scales in to desired capacity.
  void Tick();

  // ServiceModel.
  std::string service() const override { return "autoscaling"; }
  Status Replay(const nlohmann::json& record) override;
  nlohmann::json Snapshot() const override;
  Status Restore(const nlohmann::json& snapshot) override;
  std::mutex& mutex() override { return mu_; }
  std::unique_ptr<ServiceFront> MakeFront() override;

  struct Group;
  struct Action;
  struct Effects;

 private:
  Status ApplyLocked(const nlohmann::json& record);
  uint64_t PutGroupLocked(const Group& g);
  uint64_t PutActionLocked(const Action& a);
  uint64_t DeleteActionLocked(const std::string& token);
  Group* FindLocked(const std::string& name);
  Status NoGroup(std::string_view op, const std::string& name) const;
  // Starts terminating `instance_id` of `g` (hooks or straight to EC2).
  void BeginTerminateLocked(Group& g, const std::string& instance_id, Time now, Effects& fx,
                            uint64_t& seq);
  // Every action of the instance is done: Terminating:Proceed, then EC2 terminates it.
  void ProceedLocked(Group& g, const std::string& instance_id, Effects& fx, uint64_t& seq);
  void ScaleLocked(Group& g, Time now, Effects& fx, uint64_t& seq);
  Status Finish(Effects& fx, uint64_t seq);
  Status CheckSizes(std::string_view op, int min, int max, int desired) const;

  RegionContext& ctx_;
  Ec2Model& ec2_;
  SqsModel* sqs_;
  EventsModel* events_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Group>> groups_;
  std::map<std::string, std::unique_ptr<Action>> actions_;  // by token
};

}  // namespace steady::region
