// What a terminator queue message asks for. The terminator's queues carry, in any mix:
//
//   EventBridge events (source aws.ec2, aws.autoscaling, aws.health):
//     "EC2 Spot Instance Interruption Warning"     → service out by event time + 120 s
//     "EC2 Instance Rebalance Recommendation"      → service out (opt-in per cluster), no hard
//                                                    deadline; the workflow uses a soft one
//     "EC2 Instance-terminate Lifecycle Action"     → service out, then CompleteLifecycleAction
//     "EC2 Instance State-change Notification"      → stopping / shutting-down / terminated:
//                                                    the instance is already going; clean up now
//     "AWS Health Event" (EC2, scheduledChange)    → service out before the scheduled start
//     "Steady Service-out Request" (source steady) → a manual drain queued by `steady drain`
//   Auto Scaling lifecycle notifications sent straight to SQS ({"Service":"AWS Auto Scaling",
//     "LifecycleTransition": ...}), including the "autoscaling:TEST_NOTIFICATION" sent when a
//     hook is created;
//   any of the above wrapped by SNS ({"Type":"Notification","Message":"<json>"}), once or
//     twice (EventBridge → SNS → SQS).
//
// ParseMessage is pure: it turns a body into requests or says why there are none, and never
// fails on bad input (the consumer counts and dead-letters kMalformed/kUnknown).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace steady::serviceout {

enum class Trigger {
  kSpotInterruption,
  kRebalanceRecommendation,
  kLifecycleTerminate,
  kInstanceStateChange,
  kScheduledChange,
  kManual,
  kScaleIn,  // steady autoscaler's own: batch tasks are left to finish until the deadline
};
// "spot-interruption", "rebalance", "lifecycle", "state-change", "scheduled-change", "manual",
// "scale-in":
// the `type` label of the terminator's metrics.
const char* TriggerName(Trigger t);

struct LifecycleAction {
  std::string group_name;
  std::string hook_name;
  std::string token;  // empty: complete by instance id
};

// One instance to take out of service.
struct ServiceOutRequest {
  Trigger trigger = Trigger::kManual;
  std::string instance_id;
  Time event_time{};
  // When the instance goes whatever we do: spot warning + 120 s; the state change's own time
  // (already due); the scheduled change's start. Unset for lifecycle actions (the hook's
  // heartbeat timeout decides, which the workflow reads from Auto Scaling) and rebalance.
  std::optional<Time> deadline;
  std::optional<LifecycleAction> lifecycle;
  std::string detail;  // short human text for logs and the webhook
};

enum class MessageKind {
  kServiceOut,        // requests holds one or more instances
  kTestNotification,  // Auto Scaling's hook test: delete it
  kIgnored,           // well-formed but not for us (launch hooks, running-state changes, ...)
  kMalformed,         // not JSON, or a known shape with a missing/invalid field
  kUnknown,           // JSON of no shape we know
};
const char* MessageKindName(MessageKind k);

struct ParsedMessage {
  MessageKind kind = MessageKind::kUnknown;
  std::vector<ServiceOutRequest> requests;
  std::string reason;    // why it is ignored/malformed/unknown, or what it is
  std::string envelope;  // "eventbridge", "autoscaling", "sns+eventbridge", ...
};

// Spot instances go two minutes after their warning.
inline constexpr Duration kSpotNotice = std::chrono::seconds(120);

ParsedMessage ParseMessage(std::string_view body);

// The event `steady drain` queues for the terminator daemon (EventBridge shape, source steady).
inline constexpr char kManualDetailType[] = "Steady Service-out Request";
std::string ManualRequestBody(const std::string& instance_id, const std::string& reason, Time now);

}  // namespace steady::serviceout
