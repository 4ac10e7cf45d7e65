// aws::EventBridge over HTTP: the awsJson1_1 protocol (X-Amz-Target AWSEvents.*) through
// AwsTransport (SigV4, retries, rate limits, counters).
//
// Errors: the transport's (EventBridge error codes through ErrorToStatus:
// ResourceNotFoundException → kNotFound, ValidationException and InvalidEventPatternException →
// kInvalidArgument, ...); an answer of the wrong shape (not a JSON object, a member of the
// wrong type, a missing required member, a PutEvents answer whose entries do not pair up with
// the request's) is kDataLoss.
//
// Thread safety: thread-safe (the transport is).
#pragma once

#include "aws/aws_transport.h"
#include "aws/events.h"

namespace steady::aws {

// The ServiceInfo for EventBridge (service id "EventBridge", signing name "events",
// awsJson1_1).
ServiceInfo EventsService();

class EventsClient final : public EventBridge {
 public:
  // `transport` must be built with EventsService() and outlive the client.
  explicit EventsClient(AwsTransport& transport) : transport_(transport) {}

  Result<std::string> PutRule(const PutRuleRequest& request) override;
  Result<EventRule> DescribeRule(const std::string& name,
                                 const std::string& event_bus_name = "") override;
  Result<ListRulesResult> ListRules(const ListRulesRequest& request) override;
  Status DeleteRule(const std::string& name, const std::string& event_bus_name = "",
                    bool force = false) override;
  Status EnableRule(const std::string& name, const std::string& event_bus_name = "") override;
  Status DisableRule(const std::string& name, const std::string& event_bus_name = "") override;
  Result<TargetsResult> PutTargets(const std::string& rule, const std::string& event_bus_name,
                                   const std::vector<EventTarget>& targets) override;
  Result<TargetsResult> RemoveTargets(const std::string& rule, const std::string& event_bus_name,
                                      const std::vector<std::string>& ids,
                                      bool force = false) override;
  Result<ListTargetsByRuleResult> ListTargetsByRule(
      const std::string& rule, const std::string& event_bus_name = "",
      const std::string& next_token = "", std::optional<int> limit = std::nullopt) override;
  Result<PutEventsResult> PutEvents(const std::vector<PutEventsRequestEntry>& entries) override;
  Result<bool> TestEventPattern(const std::string& event_pattern,
                                const std::string& event) override;

 private:
  AwsTransport& transport_;
};

}  // namespace steady::aws
