// Amazon SNS as steady uses it: one abstract interface, implemented in-process by the local
// region's model (region/sns_model.h) and over HTTP by a client, so that a daemon can be handed
// either. Names follow the SNS API reference.
//
// Errors: kNotFound (code NotFound) for an unknown topic or subscription, kInvalidArgument
// (code InvalidParameter) for bad parameters, retryable codes for transient failures.
// Thread safety: implementations are thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "aws/sqs.h"  // MessageAttributeValue: SNS's message attributes have the same shape
#include "base/status.h"

namespace steady::aws {

struct SnsTag {
  std::string key;
  std::string value;
  friend bool operator==(const SnsTag&, const SnsTag&) = default;
};

struct CreateTopicRequest {
  std::string name;  // [A-Za-z0-9_-]{1,256}, ".fifo" suffix for FIFO topics
  // DisplayName, Policy, DeliveryPolicy, FifoTopic, ContentBasedDeduplication, KmsMasterKeyId,
  // SignatureVersion, TracingConfig, ...
  std::map<std::string, std::string> attributes;
  std::vector<SnsTag> tags;
};

struct ListTopicsResult {
  std::vector<std::string> topic_arns;  // at most 100
  std::string next_token;               // empty on the last page
};

struct SnsSubscription {
  std::string subscription_arn;
  std::string owner;
  std::string protocol;  // "sqs", "http", "https", "email", "lambda", ...
  std::string endpoint;  // for sqs: the queue ARN
  std::string topic_arn;
};

struct ListSubscriptionsResult {
  std::vector<SnsSubscription> subscriptions;  // at most 100
  std::string next_token;                      // empty on the last page
};

struct SubscribeRequest {
  std::string topic_arn;
  std::string protocol;
  std::string endpoint;
  // RawMessageDelivery ("true"/"false"), FilterPolicy (JSON), FilterPolicyScope
  // (MessageAttributes | MessageBody), DeliveryPolicy, RedrivePolicy, SubscriptionRoleArn.
  std::map<std::string, std::string> attributes;
  // Answer the ARN even for a subscription that waits for confirmation.
  bool return_subscription_arn = false;
};

struct PublishRequest {
  std::string topic_arn;  // one of topic_arn and target_arn
  std::string target_arn;
  std::string message;                   // at most 256 KiB
  std::string subject;                   // optional; ASCII, under 100 characters, no line breaks
  std::string message_structure;         // "" or "json" (message is {"default": ..., "sqs": ...})
  MessageAttributes message_attributes;  // DataType String, String.Array, Number or Binary
  std::string message_group_id;          // FIFO topics
  std::string message_deduplication_id;  // FIFO topics
};

struct PublishResult {
  std::string message_id;
  std::string sequence_number;  // FIFO topics only
};

class Sns {
 public:
  virtual ~Sns() = default;

  // Returns the topic ARN. Idempotent: creating an existing topic with the same attributes
  // returns its ARN; with different attributes, kInvalidArgument (InvalidParameter).
  virtual Result<std::string> CreateTopic(const CreateTopicRequest& request) = 0;
  // `next_token` from the previous page, or empty for the first.
  virtual Result<ListTopicsResult> ListTopics(const std::string& next_token) = 0;
  virtual Result<std::map<std::string, std::string>> GetTopicAttributes(
      const std::string& topic_arn) = 0;
  virtual Status SetTopicAttributes(const std::string& topic_arn, const std::string& name,
                                    const std::string& value) = 0;
  // Deletes the topic and its subscriptions. Deleting a topic that does not exist succeeds,
  // as in SNS.
  virtual Status DeleteTopic(const std::string& topic_arn) = 0;

  // Returns the subscription ARN ("pending confirmation" for protocols that need a
  // confirmation, unless return_subscription_arn). Subscribing the same endpoint twice returns
  // the existing subscription.
  virtual Result<std::string> Subscribe(const SubscribeRequest& request) = 0;
  virtual Status Unsubscribe(const std::string& subscription_arn) = 0;
  virtual Result<ListSubscriptionsResult> ListSubscriptions(const std::string& next_token) = 0;
  virtual Result<ListSubscriptionsResult> ListSubscriptionsByTopic(
      const std::string& topic_arn, const std::string& next_token) = 0;
  virtual Result<std::map<std::string, std::string>> GetSubscriptionAttributes(
      const std::string& subscription_arn) = 0;
  // `name` is RawMessageDelivery, FilterPolicy, FilterPolicyScope, DeliveryPolicy,
  // RedrivePolicy or SubscriptionRoleArn; an empty FilterPolicy removes the filter.
  virtual Status SetSubscriptionAttributes(const std::string& subscription_arn,
                                           const std::string& name, const std::string& value) = 0;

  // Delivers `message` to every subscription of the topic whose filter policy accepts it.
  // Delivery failures (a deleted queue) do not fail the publish, as in SNS.
  virtual Result<PublishResult> Publish(const PublishRequest& request) = 0;
};

}  // namespace steady::aws
