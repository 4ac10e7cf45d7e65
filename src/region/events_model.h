// The local region's EventBridge: the default event bus, its rules (event patterns compiled by
// event_pattern.h; schedule expressions are kept but never fire), their targets, and PutEvents,
// which wraps each entry in EventBridge's envelope, matches it against every enabled rule and
// delivers it to the rules' SQS targets: the whole event, the target's Input, or the part its
// InputPath selects. Events the region itself generates (part 2: "EC2 Spot Instance
// Interruption Warning", ASG lifecycle actions, ...) enter through Emit and take exactly the
// same path. Rules and targets are journal records applied through one path (live and on
// replay); events themselves are durable once SQS has them.
//
// Thread safety: all methods may be called from any thread. Delivery into SQS happens after
// this model's lock is released (the region may lock every model at once to snapshot).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/events.h"
#include "region/region_context.h"
#include "region/service_model.h"
#include "region/sqs_model.h"

namespace steady::region {

class EventsModel final : public aws::EventBridge, public ServiceModel {
 public:
  EventsModel(RegionContext& ctx, SqsModel& sqs);
  ~EventsModel() override;

  Result<std::string> PutRule(const aws::PutRuleRequest& request) override;
  Result<aws::EventRule> DescribeRule(const std::string& name,
                                      const std::string& event_bus_name = "") override;
  Result<aws::ListRulesResult> ListRules(const aws::ListRulesRequest& request) override;
  Status DeleteRule(const std::string& name, const std::string& event_bus_name = "",
                    bool force = false) override;
  Status EnableRule(const std::string& name, const std::string& event_bus_name = "") override;
  Status DisableRule(const std::string& name, const std::string& event_bus_name = "") override;
  Result<aws::TargetsResult> PutTargets(const std::string& rule, const std::string& event_bus_name,
                                        const std::vector<aws::EventTarget>& targets) override;
  Result<aws::TargetsResult> RemoveTargets(const std::string& rule,
                                           const std::string& event_bus_name,
                                           const std::vector<std::string>& ids,
                                           bool force = false) override;
  Result<aws::ListTargetsByRuleResult> ListTargetsByRule(
      const std::string& rule, const std::string& event_bus_name = "",
      const std::string& next_token = "", std::optional<int> limit = std::nullopt) override;
  Result<aws::PutEventsResult> PutEvents(
      const std::vector<aws::PutEventsRequestEntry>& entries) override;
  Result<bool> TestEventPattern(const std::string& event_pattern,
                                const std::string& event) override;

  // An event the region generates, on the default bus. `event` needs "source" and
  // "detail-type" (strings) and may carry "detail" (an object; {} if absent), "resources"
  // (strings) and "time" (RFC 3339); "version", "id", "account", "region" and a missing "time"
  // are filled in. Matched and delivered exactly like a PutEvents entry (sources "aws.*"
  // included, which PutEvents refuses as AWS does). Returns the event id; kInvalidArgument if
  // the event lacks the fields above.
  Result<std::string> Emit(const nlohmann::json& event);

  // What the bus did since start, for tests and metrics.
  struct Stats {
    uint64_t events = 0;       // events accepted (PutEvents entries and Emit)
    uint64_t matched = 0;      // (event, rule) matches
    uint64_t delivered = 0;    // messages handed to SQS
    uint64_t undelivered = 0;  // targets that could not be reached (no queue, non-SQS target,
                               // InputPath selecting nothing)
  };
  Stats stats() const;

  // ServiceModel.
  std::string service() const override { return "events"; }
  Status Replay(const nlohmann::json& record) override;
  nlohmann::json Snapshot() const override;
  Status Restore(const nlohmann::json& snapshot) override;
  std::mutex& mutex() override { return mu_; }
  std::unique_ptr<ServiceFront> MakeFront() override;

 private:
  struct Rule;
  struct Delivery;

  Status CheckBus(std::string_view op, const std::string& event_bus_name) const;
  Rule* FindRuleLocked(const std::string& name);
  Status NoRule(std::string_view op, const std::string& name) const;
  Status ApplyLocked(const nlohmann::json& record);
  uint64_t RecordLocked(nlohmann::json record);
  Status SetState(std::string_view op, const std::string& name, const std::string& bus,
                  const char* state);
  // Matches one envelope against every enabled rule; the messages to send once unlocked.
  void RouteLocked(const nlohmann::ordered_json& event, std::vector<Delivery>& out);
  void Deliver(const std::vector<Delivery>& deliveries);

  RegionContext& ctx_;
  SqsModel& sqs_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Rule>> rules_;  // by name, on the default bus
  std::atomic<uint64_t> events_{0}, matched_{0}, delivered_{0}, undelivered_{0};
};

}  // namespace steady::region
