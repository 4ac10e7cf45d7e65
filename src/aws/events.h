// Amazon EventBridge as steady uses it: rules with event patterns on the default event bus,
// their targets, and PutEvents. One abstract interface, implemented in-process by the local
// region's model (region/events_model.h) and over HTTP by a client, so that a daemon can be
// handed either. Names follow the EventBridge API reference.
//
// Errors: kNotFound (code ResourceNotFoundException) for an unknown rule or event bus;
// kInvalidArgument for bad parameters (InvalidEventPatternException, ValidationException, the
// latter also for deleting a rule that still has targets); LimitExceededException (which
// botocore, and so aws_error.h, counts as throttling) past 5 targets per rule.
// Thread safety: implementations are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

struct EventsTag {
  std::string key;
  std::string value;
};

struct PutRuleRequest {
  std::string name;                 // [.\-_A-Za-z0-9]{1,64}
  std::string event_pattern;        // JSON; this or schedule_expression is required
  std::string schedule_expression;  // "rate(5 minutes)" or "cron(...)"
  std::string state;                // "ENABLED" (default) or "DISABLED"
  std::string description;
  std::string role_arn;
  std::string event_bus_name;  // "" or "default" (or the default bus's ARN)
  std::vector<EventsTag> tags;
};

struct EventRule {
  std::string name;
  std::string arn;
  std::string event_pattern;
  std::string schedule_expression;
  std::string state;
  std::string description;
  std::string role_arn;
  std::string event_bus_name;
  std::string created_by;  // the account that created the rule (DescribeRule only)
};

struct ListRulesRequest {
  std::string name_prefix;
  std::string event_bus_name;
  std::string next_token;
  std::optional<int> limit;  // 1..100
};

struct ListRulesResult {
  std::vector<EventRule> rules;
  std::string next_token;  // empty on the last page
};

struct EventTarget {
  std::string id;   // [.\-_A-Za-z0-9]{1,64}, unique per rule
  std::string arn;  // an SQS queue ARN is delivered to; other ARNs are accepted and kept
  std::string role_arn;
  std::string input;       // JSON text sent instead of the event
  std::string input_path;  // JSONPath ("$.detail") selecting what of the event is sent
  friend bool operator==(const EventTarget&, const EventTarget&) = default;
};

// A PutTargets or RemoveTargets entry that failed.
struct TargetResultEntry {
  std::string target_id;
  std::string error_code;
  std::string error_message;
};

struct TargetsResult {
  int failed_entry_count = 0;
  std::vector<TargetResultEntry> failed_entries;
};

struct ListTargetsByRuleResult {
  std::vector<EventTarget> targets;
  std::string next_token;
};

struct PutEventsRequestEntry {
  std::optional<Time> time;  // the event's time; now when unset
  std::string source;
  std::vector<std::string> resources;
  std::string detail_type;
  std::string detail;  // a JSON object, as text
  std::string event_bus_name;
  std::string trace_header;
};

struct PutEventsResultEntry {
  std::string event_id;  // set on success
  std::string error_code;
  std::string error_message;
};

struct PutEventsResult {
  int failed_entry_count = 0;
  std::vector<PutEventsResultEntry> entries;  // one per request entry, in order
};

class EventBridge {
 public:
  virtual ~EventBridge() = default;

  // Creates or replaces the rule; returns its ARN. kInvalidArgument with code
  // InvalidEventPatternException when the pattern does not compile.
  virtual Result<std::string> PutRule(const PutRuleRequest& request) = 0;
  virtual Result<EventRule> DescribeRule(const std::string& name,
                                         const std::string& event_bus_name = "") = 0;
  virtual Result<ListRulesResult> ListRules(const ListRulesRequest& request) = 0;
  // Fails (ValidationException) while the rule has targets; deleting a rule that does not
  // exist succeeds, as in EventBridge.
  virtual Status DeleteRule(const std::string& name, const std::string& event_bus_name = "",
                            bool force = false) = 0;
  virtual Status EnableRule(const std::string& name, const std::string& event_bus_name = "") = 0;
  virtual Status DisableRule(const std::string& name, const std::string& event_bus_name = "") = 0;

  // Adds or replaces targets by Id; entries that cannot be added come back in failed_entries.
  virtual Result<TargetsResult> PutTargets(const std::string& rule,
                                           const std::string& event_bus_name,
                                           const std::vector<EventTarget>& targets) = 0;
  virtual Result<TargetsResult> RemoveTargets(const std::string& rule,
                                              const std::string& event_bus_name,
                                              const std::vector<std::string>& ids,
                                              bool force = false) = 0;
  virtual Result<ListTargetsByRuleResult> ListTargetsByRule(
      const std::string& rule, const std::string& event_bus_name = "",
      const std::string& next_token = "", std::optional<int> limit = std::nullopt) = 0;

  // Puts 1..10 events on their bus; each matching enabled rule delivers to its targets.
  // Entries that are malformed (missing Source, DetailType or Detail, Detail not a JSON object)
  // fail on their own with an error code, the others go through.
  virtual Result<PutEventsResult> PutEvents(const std::vector<PutEventsRequestEntry>& entries) = 0;

  // Whether `event` (a whole event envelope, as JSON text) matches `event_pattern`.
  virtual Result<bool> TestEventPattern(const std::string& event_pattern,
                                        const std::string& event) = 0;
};

}  // namespace steady::aws
