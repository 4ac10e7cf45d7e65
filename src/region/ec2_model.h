// The local region's EC2: an instance-type catalogue, instances that boot after a delay on the
// injected clock, Spot Fleet requests (type maintain replaces lost capacity) and spot
// interruptions (on demand through Interrupt, and at a seeded random rate per instance-hour).
//
// Instance life: pending → running (after boot_delay; then EcsFleetLink::InstanceBooted with
// the cluster named by the user data's "ECS_CLUSTER=name", else by the instance's tag
// "ECS_CLUSTER" or "ecs:cluster-name") → shutting-down (EcsFleetLink::InstanceTerminated and
// ElbFleetLink::InstanceDown at once) → terminated after shutdown_delay, and kept visible in
// DescribeInstances for terminated_visible, as EC2 does. Each transition emits the "EC2 Instance
// State-change Notification" event.
//
// A spot interruption emits "EC2 Instance Rebalance Recommendation" (when asked, rebalance_lead
// before the warning), then "EC2 Spot Instance Interruption Warning" (instance-action
// "terminate") and terminates the instance two minutes after the warning.
//
// Durability: every instance and fleet change is a journal record holding the whole entity
// ("put"), applied through one function live and on replay; Snapshot is the same records.
// Time-driven changes happen in Tick() (fleet.h), which processes everything due at
// clock.Now(); links and events are called after the model's lock is released.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/ec2.h"
#include "region/fleet.h"
#include "region/region_context.h"
#include "region/service_model.h"

namespace steady::region {

class EventsModel;

struct Ec2ModelOptions {
  Duration boot_delay = std::chrono::seconds(60);
  Duration shutdown_delay = std::chrono::seconds(30);
  Duration terminated_visible = std::chrono::hours(1);
  // Random spot interruptions per running spot instance-hour (0: only Interrupt()).
  double spot_interruptions_per_hour = 0;
  // Chance that a random interruption is preceded by a rebalance recommendation.
  double rebalance_probability = 0.5;
  // How long before the interruption warning the rebalance recommendation comes.
  Duration rebalance_lead = std::chrono::minutes(2);
  uint64_t seed = 7;
  std::vector<std::string> availability_zones = {"us-east-1a", "us-east-1b", "us-east-1c"};
};

// What RunInstances (the model's launch call, used by Auto Scaling and Spot Fleet) starts.
struct Ec2LaunchSpec {
  std::string instance_type = "m5.large";
  std::string availability_zone;  // "" → round robin over the options' zones
  bool spot = false;
  std::string user_data;
  std::vector<aws::Ec2Tag> tags;
};

class Ec2Model final : public aws::Ec2, public ServiceModel, public Ec2FleetLink {
 public:
  // `events` may be null (no events are emitted).
  Ec2Model(RegionContext& ctx, EventsModel* events, Ec2ModelOptions options = {});
  ~Ec2Model() override;

  // Wiring (fleet.h). Either may be null. Call before the first Tick.
  void SetLinks(EcsFleetLink* ecs, ElbFleetLink* elb);

  // aws::Ec2.
  Result<std::vector<aws::Reservation>> DescribeInstances(
      const aws::DescribeInstancesRequest& request) override;
  Result<std::vector<aws::InstanceStateChange>> TerminateInstances(
      const std::vector<std::string>& instance_ids) override;
  Result<std::vector<aws::InstanceTypeInfo>> DescribeInstanceTypes(
      const std::vector<std::string>& instance_types) override;
  Result<std::string> RequestSpotFleet(const aws::SpotFleetRequestConfigData& config) override;
  Result<std::vector<aws::SpotFleetRequestConfig>> DescribeSpotFleetRequests(
      const std::vector<std::string>& ids) override;
  Status ModifySpotFleetRequest(const std::string& id, int target_capacity,
                                const std::string& excess_capacity_termination_policy) override;
  Result<std::vector<aws::ActiveInstance>> DescribeSpotFleetInstances(
      const std::string& id) override;
  Result<std::vector<aws::CancelledSpotFleetRequest>> CancelSpotFleetRequests(
      const std::vector<std::string>& ids, bool terminate_instances) override;

  // Launches `count` instances (pending). Returns their ids.
  Result<std::vector<std::string>> RunInstances(const Ec2LaunchSpec& spec, int count);
  // Spot interruption on demand (admin API, tests): kInvalidArgument for an instance that is
  // not a running or pending spot instance. With `rebalance_first`, the rebalance
  // recommendation comes now and the warning rebalance_lead later; else the warning now.
  Status Interrupt(const std::vector<std::string>& instance_ids, bool rebalance_first);
  // "pending", "running", "shutting-down", "terminated", or "" if unknown (purged).
  std::string InstanceStateName(const std::string& instance_id);
  // InstanceStateName of each id, in order, under one lock.
  std::vector<std::string> InstanceStateNames(const std::vector<std::string>& instance_ids);
  // The catalogue entry of `instance_type`, or nullopt.
  static std::optional<aws::InstanceTypeInfo> InstanceType(const std::string& instance_type);

  // Processes everything due at clock.Now().
  void Tick();

  // Ec2FleetLink.
  std::optional<FleetInstance> Instance(const std::string& instance_id) override;

  // ServiceModel.
  std::string service() const override { return "ec2"; }
  Status Replay(const nlohmann::json& record) override;
  nlohmann::json Snapshot() const override;
  Status Restore(const nlohmann::json& snapshot) override;
  std::mutex& mutex() override { return mu_; }
  std::unique_ptr<ServiceFront> MakeFront() override;

  struct Inst;
  struct Fleet;
  // Effects collected under the lock, run after unlocking.
  struct Effects;

 private:
  Status ApplyLocked(const nlohmann::json& record);
  uint64_t PutInstanceLocked(const Inst& inst);
  uint64_t PutFleetLocked(const Fleet& fleet);
  Inst NewInstanceLocked(const Ec2LaunchSpec& spec, Time now);
  void TransitionLocked(Inst& inst, const std::string& state, Time now, Effects& fx);
  void BeginTerminateLocked(Inst& inst, const std::string& reason, Time now, Effects& fx);
  void WarnLocked(Inst& inst, Time now, Effects& fx);
  void TickFleetsLocked(Time now, Effects& fx, uint64_t& seq);
  void RandomInterruptionsLocked(Time now, Effects& fx, uint64_t& seq);
  void Run(Effects& fx, uint64_t seq);
  aws::Ec2Instance ToApi(const Inst& inst) const;
  std::string InstanceArn(const std::string& id) const;

  RegionContext& ctx_;
  EventsModel* events_;
  Ec2ModelOptions options_;
  EcsFleetLink* ecs_ = nullptr;
  ElbFleetLink* elb_ = nullptr;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Inst>> instances_;
  std::map<std::string, std::unique_ptr<Fleet>> fleets_;
  uint64_t launched_ = 0;  // instances ever launched: private IPs and zone round robin
  Random rng_;
  std::optional<Time> last_tick_;
};

}  // namespace steady::region
