#include "serviceout/messages.h"

#include <nlohmann/json.hpp>

#include "aws/sns_envelope.h"
#include "base/time_format.h"

namespace steady::serviceout {

using nlohmann::json;

const char* TriggerName(Trigger t) {
  switch (t) {
    case Trigger::kSpotInterruption: return "spot-interruption";
    case Trigger::kRebalanceRecommendation: return "rebalance";
    case Trigger::kLifecycleTerminate: return "lifecycle";
    case Trigger::kInstanceStateChange: return "state-change";
    case Trigger::kScheduledChange: return "scheduled-change";
    case Trigger::kManual: return "manual";
    case Trigger::kScaleIn: return "scale-in";
  }
  return "unknown";
}

const char* MessageKindName(MessageKind k) {
  switch (k) {
    case MessageKind::kServiceOut: return "service-out";
    case MessageKind::kTestNotification: return "test-notification";
    case MessageKind::kIgnored: return "ignored";
    case MessageKind::kMalformed: return "malformed";
    case MessageKind::kUnknown: return "unknown";
  }
  return "unknown";
}

namespace {

ParsedMessage Verdict(MessageKind kind, std::string reason, std::string envelope) {
  ParsedMessage m;
  m.kind = kind;
  m.reason = std::move(reason);
  m.envelope = std::move(envelope);
  return m;
}

// The string member `key` of `o`, or "" when absent or not a string.
std::string Str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool LooksLikeInstanceId(std::string_view id) {
  if (id.size() < 10 || id.substr(0, 2) != "i-") return false;
  for (char c : id.substr(2)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Health's startTime is an HTTP date in the documented examples; accept RFC 3339 too.
std::optional<Time> ParseAnyTime(const std::string& text) {
  if (auto t = ParseRfc3339(text); t.ok()) return *t;
  if (auto t = ParseHttpDate(text); t.ok()) return *t;
  return std::nullopt;
}

ParsedMessage Lifecycle(const json& o, const char* id_key, const char* group_key,
                        const char* hook_key, const char* token_key, const std::string& transition,
                        std::optional<Time> time, std::string envelope) {
  if (transition != "autoscaling:EC2_INSTANCE_TERMINATING")
    return Verdict(MessageKind::kIgnored, "lifecycle transition " + transition, envelope);
  ServiceOutRequest r;
  r.trigger = Trigger::kLifecycleTerminate;
  r.instance_id = Str(o, id_key);
  LifecycleAction a{Str(o, group_key), Str(o, hook_key), Str(o, token_key)};
  if (!LooksLikeInstanceId(r.instance_id))
    return Verdict(MessageKind::kMalformed,
                   std::string("lifecycle action without a valid ") + id_key, envelope);
  if (a.group_name.empty() || a.hook_name.empty())
    return Verdict(MessageKind::kMalformed,
                   std::string("lifecycle action without ") + group_key + " or " + hook_key,
                   envelope);
  if (!time) return Verdict(MessageKind::kMalformed, "lifecycle action without a time", envelope);
  r.event_time = *time;
  r.detail =
      "Auto Scaling group " + a.group_name + " terminates the instance (hook " + a.hook_name + ")";
  r.lifecycle = std::move(a);
  ParsedMessage m = Verdict(MessageKind::kServiceOut, "lifecycle terminate", std::move(envelope));
  m.requests.push_back(std::move(r));
  return m;
}

ParsedMessage EventBridge(const json& o, const std::string& envelope) {
  const std::string type = Str(o, "detail-type");
  const std::string source = Str(o, "source");
  auto time = ParseAnyTime(Str(o, "time"));
  auto dit = o.find("detail");
  if (dit == o.end() || !dit->is_object())
    return Verdict(MessageKind::kMalformed, "event '" + type + "' without a detail object",
                   envelope);
  const json& d = *dit;
  if (!time)
    return Verdict(MessageKind::kMalformed, "event '" + type + "' without a time", envelope);

  auto one = [&](Trigger trigger, const std::string& id, std::optional<Time> deadline,
                 std::string detail) {
    if (!LooksLikeInstanceId(id))
      return Verdict(MessageKind::kMalformed, "event '" + type + "' without a valid instance id",
                     envelope);
    ParsedMessage m = Verdict(MessageKind::kServiceOut, type, envelope);
    ServiceOutRequest r;
    r.trigger = trigger;
    r.instance_id = id;
    r.event_time = *time;
    r.deadline = deadline;
    r.detail = std::move(detail);
    m.requests.push_back(std::move(r));
    return m;
  };

  if (source == "aws.ec2" && type == "EC2 Spot Instance Interruption Warning") {
    std::string action = Str(d, "instance-action");
    // "stop" and "hibernate" take the instance away just the same.
    return one(Trigger::kSpotInterruption, Str(d, "instance-id"), *time + kSpotNotice,
               "spot interruption warning (" + (action.empty() ? "terminate" : action) + ")");
  }
  if (source == "aws.ec2" && type == "EC2 Instance Rebalance Recommendation") {
    return one(Trigger::kRebalanceRecommendation, Str(d, "instance-id"), std::nullopt,
               "rebalance recommendation");
  }
  if (source == "aws.ec2" && type == "EC2 Instance State-change Notification") {
    std::string state = Str(d, "state");
    if (state == "stopping" || state == "shutting-down" || state == "terminated" ||
        state == "stopped")
      return one(Trigger::kInstanceStateChange, Str(d, "instance-id"), *time,
                 "instance state " + state);
    if (state.empty())
      return Verdict(MessageKind::kMalformed, "state-change notification without a state",
                     envelope);
    return Verdict(MessageKind::kIgnored, "instance state " + state, envelope);
  }
  if (source == "aws.autoscaling" && (type == "EC2 Instance-terminate Lifecycle Action" ||
                                      type == "EC2 Instance-launch Lifecycle Action")) {
    return Lifecycle(d, "EC2InstanceId", "AutoScalingGroupName", "LifecycleHookName",
                     "LifecycleActionToken", Str(d, "LifecycleTransition"), time, envelope);
  }
  if (source == "aws.health" && type == "AWS Health Event") {
    if (Str(d, "service") != "EC2" || Str(d, "eventTypeCategory") != "scheduledChange")
      return Verdict(
          MessageKind::kIgnored,
          "health event " + Str(d, "eventTypeCode") + " (" + Str(d, "eventTypeCategory") + ")",
          envelope);
    auto start = ParseAnyTime(Str(d, "startTime"));
    if (!start)
      return Verdict(MessageKind::kMalformed, "scheduled change without a valid startTime",
                     envelope);
    auto ents = d.find("affectedEntities");
    if (ents == d.end() || !ents->is_array() || ents->empty())
      return Verdict(MessageKind::kMalformed, "scheduled change without affectedEntities",
                     envelope);
    ParsedMessage m = Verdict(MessageKind::kServiceOut, type, envelope);
    for (const json& e : *ents) {
      std::string id = e.is_object() ? Str(e, "entityValue") : std::string();
      if (!LooksLikeInstanceId(id)) continue;  // other entities (volumes, hosts) are not ours
      ServiceOutRequest r;
      r.trigger = Trigger::kScheduledChange;
      r.instance_id = id;
      r.event_time = *time;
      r.deadline = *start;
      r.detail = "scheduled change " + Str(d, "eventTypeCode");
      m.requests.push_back(std::move(r));
    }
    if (m.requests.empty())
      return Verdict(MessageKind::kIgnored, "scheduled change for no instance", envelope);
    return m;
  }
  if (source == "steady" && type == kManualDetailType) {
    std::string reason = Str(d, "reason");
    return one(Trigger::kManual, Str(d, "instance-id"), std::nullopt,
               reason.empty() ? "manual drain" : "manual drain: " + reason);
  }
  return Verdict(MessageKind::kUnknown, "event '" + type + "' from '" + source + "'", envelope);
}

ParsedMessage Parse(const json& o, const std::string& envelope) {
  if (!o.is_object()) return Verdict(MessageKind::kUnknown, "not a JSON object", envelope);
  if (o.contains("detail-type") && o.contains("source")) {
    return EventBridge(o, envelope.empty() ? "eventbridge" : envelope + "+eventbridge");
  }
  if (Str(o, "Service") == "AWS Auto Scaling") {
    std::string env = envelope.empty() ? "autoscaling" : envelope + "+autoscaling";
    if (Str(o, "Event") == "autoscaling:TEST_NOTIFICATION")
      return Verdict(MessageKind::kTestNotification,
                     "test notification for " + Str(o, "AutoScalingGroupName"), env);
    std::string transition = Str(o, "LifecycleTransition");
    if (transition.empty()) {
      // Plain ASG notifications (EC2_INSTANCE_TERMINATE and friends) report what happened.
      std::string event = Str(o, "Event");
      if (!event.empty()) return Verdict(MessageKind::kIgnored, "notification " + event, env);
      return Verdict(MessageKind::kMalformed, "Auto Scaling message without a transition", env);
    }
    return Lifecycle(o, "EC2InstanceId", "AutoScalingGroupName", "LifecycleHookName",
                     "LifecycleActionToken", transition, ParseAnyTime(Str(o, "Time")), env);
  }
  return Verdict(MessageKind::kUnknown, "a JSON object of no known shape", envelope);
}

}  // namespace

std::string ManualRequestBody(const std::string& instance_id, const std::string& reason, Time now) {
  json o = {{"version", "0"},
            {"source", "steady"},
            {"detail-type", kManualDetailType},
            {"time", FormatIso8601(now)},
            {"resources", json::array()},
            {"detail", {{"instance-id", instance_id}, {"reason", reason}}}};
  return o.dump();
}

ParsedMessage ParseMessage(std::string_view body) {
  // SNS: the payload is a JSON string in "Message", possibly nested.
  auto payload = aws::UnwrapSnsNotification(body);
  if (!payload.ok())
    return Verdict(MessageKind::kMalformed, std::string(payload.status().message()), "sns");
  std::string envelope;
  for (int i = 0; i < payload->layers; ++i) envelope += envelope.empty() ? "sns" : "+sns";
  json o = json::parse(payload->message, nullptr, /*allow_exceptions=*/false);
  if (o.is_discarded())
    return Verdict(MessageKind::kMalformed,
                   envelope.empty() ? "not JSON" : "SNS Message is not JSON", envelope);
  return Parse(o, envelope);
}

}  // namespace steady::serviceout
