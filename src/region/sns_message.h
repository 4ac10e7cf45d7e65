// What SNS puts in a queue, apart from the model's state: the checks a Publish request must
// pass, the view of message attributes that filter policies match, and the JSON notification
// envelope SNS delivers to non-raw subscriptions.
//
// Thread safety: free functions over values.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "aws/sns.h"
#include "base/status.h"

namespace steady::region {

// Checks the message, subject, size, MessageStructure and message attributes of `request`
// (not its topic), with SNS's error codes (InvalidParameter, ParameterValueInvalid). Returns
// the message SQS subscribers get: the message itself, or with MessageStructure=json the "sqs"
// entry if there is one, else "default".
Result<std::string> SnsCheckPublish(const aws::PublishRequest& request);

// Message attributes as a filter policy sees them: String as a string, Number as a number,
// String.Array as an array; Binary attributes are not filterable and left out.
nlohmann::json SnsFilterView(const aws::MessageAttributes& attributes);

struct SnsNotification {
  std::string message_id;
  std::string sequence_number;  // FIFO topics only
  std::string topic_arn;
  std::string subject;  // left out when empty
  std::string message;
  std::string timestamp;  // ISO 8601 with milliseconds
  std::string signature_version = "1";
  std::string endpoint;  // the region's base URL, for SigningCertURL and UnsubscribeURL
  std::string subscription_arn;
  const aws::MessageAttributes* attributes = nullptr;
};

// {"Type":"Notification","MessageId":...,"TopicArn":...,"Subject":...,"Message":...,
//  "Timestamp":...,"SignatureVersion":"1","Signature":...,"SigningCertURL":...,
//  "UnsubscribeURL":...,"MessageAttributes":{"name":{"Type":"String","Value":"v"}}}
// in SNS's field order. The Signature is not verifiable (see sns_message.cc).
std::string SnsNotificationJson(const SnsNotification& n);

}  // namespace steady::region
