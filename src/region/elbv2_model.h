// The local region's ELBv2: target groups, their targets' health, and a traffic model.
//
// Health (DescribeTargetHealth), from the group's health-check settings:
//   registered → "initial" until healthy_threshold_count × interval has passed → "healthy";
//   deregistered → "draining" until deregistration_delay.timeout_seconds (default 300) → gone
//   ("unused" when asked about); the process behind it died (TargetDown / InstanceDown) →
//   still "healthy" (or "initial") until unhealthy_threshold_count × interval has passed, then
//   "unhealthy".
// Traffic (SetTraffic): requests arrive at a steady rate and are spread round-robin over the
// group's "healthy" targets when Tick() runs. A request lasts request_seconds. A request sent
// to a target whose process is dead but not yet detected fails at once; requests in flight on
// a target when it goes down fail; a draining target gets no new requests and its in-flight
// ones complete (those still in flight when the delay ends fail, as the connection is cut);
// with no healthy target requests fail (HTTP 503). Served/failed counts per target group are
// read through Traffic() and, once SetMetrics is called, as Prometheus counters
// steady_region_elb_requests_total{target_group, result="served"|"failed"}.
//
// Durability: groups, attributes, targets (registration, deregistration, death) and traffic
// settings are journal records applied through one function live and on replay. In-flight
// requests and the counters are not durable.
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

#include "aws/elbv2.h"
#include "base/metrics.h"
#include "region/fleet.h"
#include "region/region_context.h"
#include "region/service_model.h"

namespace steady::region {

class Elbv2Model final : public aws::Elbv2, public ServiceModel, public ElbFleetLink {
 public:
  explicit Elbv2Model(RegionContext& ctx);
  ~Elbv2Model() override;

  // Exposes the traffic counters in `metrics` (the region's registry).
  void SetMetrics(MetricsRegistry& metrics);

  // aws::Elbv2.
  Result<aws::TargetGroup> CreateTargetGroup(const aws::CreateTargetGroupRequest& request) override;
  Result<std::vector<aws::TargetGroup>> DescribeTargetGroups(
      const std::vector<std::string>& arns, const std::vector<std::string>& names) override;
  Status DeleteTargetGroup(const std::string& arn) override;
  Result<std::map<std::string, std::string>> ModifyTargetGroupAttributes(
      const std::string& arn, const std::map<std::string, std::string>& attributes) override;
  Result<std::map<std::string, std::string>> DescribeTargetGroupAttributes(
      const std::string& arn) override;
  Status RegisterTargets(const std::string& arn,
                         const std::vector<aws::TargetDescription>& targets) override;
  Status DeregisterTargets(const std::string& arn,
                           const std::vector<aws::TargetDescription>& targets) override;
  Result<std::vector<aws::TargetHealthDescription>> DescribeTargetHealth(
      const std::string& arn, const std::vector<aws::TargetDescription>& targets) override;

  // ElbFleetLink.
  void RegisterTargets(const std::string& target_group_arn,
                       const std::vector<FleetTarget>& targets) override;
  void DeregisterTargets(const std::string& target_group_arn,
                         const std::vector<FleetTarget>& targets) override;
  std::string TargetState(const std::string& target_group_arn, const FleetTarget& target) override;
  std::vector<std::string> TargetStates(const std::string& target_group_arn,
                                        const std::vector<FleetTarget>& targets) override;
  void TargetDown(const FleetTarget& target) override;
  void InstanceDown(const std::string& instance_id) override;

  // Traffic: `requests_per_second` arriving at the group, each lasting `request_seconds`
  // (0 rps stops it). kNotFound for an unknown group.
  Status SetTraffic(const std::string& target_group_arn, double requests_per_second,
                    double request_seconds);
  struct TrafficStats {
    int64_t served = 0;
    int64_t failed = 0;               // = the sum of the three causes below
    int64_t failed_cut = 0;           // in flight when the target's process died
    int64_t failed_drain_end = 0;     // still in flight when the deregistration delay ended
    int64_t failed_reregistered = 0;  // in flight on a draining/dead target registered again
    int64_t failed_no_target = 0;     // 503: the group had no healthy target
    int64_t failed_refused = 0;       // sent to a dead target the health check had not caught
    int64_t in_flight = 0;
    double requests_per_second = 0;  // the settings SetTraffic last gave
    double request_seconds = 0;
  };
  Result<TrafficStats> Traffic(const std::string& target_group_arn);

  // Completes and sends requests up to clock.Now(), and drops targets whose draining ended.
  void Tick();

  // ServiceModel.
  std::string service() const override { return "elbv2"; }
  Status Replay(const nlohmann::json& record) override;
  nlohmann::json Snapshot() const override;
  Status Restore(const nlohmann::json& snapshot) override;
  std::mutex& mutex() override { return mu_; }
  std::unique_ptr<ServiceFront> MakeFront() override;

  struct Target;
  struct Group;

 private:
  Status ApplyLocked(const nlohmann::json& record);
  uint64_t RecordLocked(nlohmann::json record);
  Group* FindLocked(const std::string& arn);
  Status NoGroup(std::string_view op, const std::string& arn) const;
  std::string StateLocked(const Group& g, const Target& t, Time now) const;
  Status Register(std::string_view op, const std::string& arn,
                  const std::vector<FleetTarget>& targets);
  Status Deregister(std::string_view op, const std::string& arn,
                    const std::vector<FleetTarget>& targets);
  enum class Failure { kCut, kDrainEnd, kReregistered, kNoTarget, kRefused };
  // Fails the in-flight requests of `t` after completing those due by `now`.
  void KillLocked(Group& g, Target& t, Time now, Failure cause);
  void CompleteLocked(Group& g, Target& t, Time now);
  void Count(Group& g, int64_t served, int64_t failed, Failure cause = Failure::kCut);
  void TrafficLocked(Group& g, Time now, double dt);

  RegionContext& ctx_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Group>> groups_;  // by ARN
  MetricFamily<Counter>* requests_ = nullptr;
  std::optional<Time> last_tick_;
};

}  // namespace steady::region
