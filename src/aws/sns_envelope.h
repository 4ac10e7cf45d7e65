// SNS's delivery envelope, as a message published to a topic reaches an SQS queue subscribed
// without raw message delivery:
//   {"Type":"Notification","MessageId":"...","TopicArn":"arn:aws:sns:...","Message":"<payload>",
//    "Timestamp":"...",...}
// EventBridge → SNS → SQS and SNS → SNS fan-outs nest it (a payload that is itself an envelope).
//
// UnwrapSnsNotification peels every envelope layer and returns the innermost payload, as text.
// A body that is not an envelope (not JSON, or JSON without Type "Notification", a string
// Message and a TopicArn) is the payload itself (layers = 0). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace steady::aws {

struct SnsPayload {
  std::string message;  // the innermost payload
  int layers = 0;       // envelopes peeled
};

// kInvalidArgument ("SNS envelopes nested too deep") when more than `max_layers` envelopes nest.
Result<SnsPayload> UnwrapSnsNotification(std::string_view body, int max_layers = 3);

}  // namespace steady::aws
