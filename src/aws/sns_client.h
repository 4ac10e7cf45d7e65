// aws::Sns over HTTP: the awsQuery protocol (Action=..., Version=2010-03-31, XML answers)
// through AwsTransport (SigV4, retries, rate limits, counters).
//
// The interface's CreateTopicRequest::attributes may carry "DataProtectionPolicy": SNS takes
// that one as a parameter of its own, so the client sends it as such.
//
// Errors: the transport's (SNS error codes through ErrorToStatus: NotFound → kNotFound,
// InvalidParameter → kInvalidArgument, Throttled → kThrottled, ...); an answer of the wrong
// shape (not XML, another root element, a missing required member) is kDataLoss.
//
// Thread safety: thread-safe (the transport is).
#pragma once

#include "aws/aws_transport.h"
#include "aws/sns.h"

namespace steady::aws {

// The ServiceInfo for SNS (service id "SNS", signing name "sns", awsQuery).
ServiceInfo SnsService();

class SnsClient final : public Sns {
 public:
  // `transport` must be built with SnsService() and outlive the client.
  explicit SnsClient(AwsTransport& transport) : transport_(transport) {}

  Result<std::string> CreateTopic(const CreateTopicRequest& request) override;
  Result<ListTopicsResult> ListTopics(const std::string& next_token) override;
  Result<std::map<std::string, std::string>> GetTopicAttributes(
      const std::string& topic_arn) override;
  Status SetTopicAttributes(const std::string& topic_arn, const std::string& name,
                            const std::string& value) override;
  Status DeleteTopic(const std::string& topic_arn) override;
  Result<std::string> Subscribe(const SubscribeRequest& request) override;
  Status Unsubscribe(const std::string& subscription_arn) override;
  Result<ListSubscriptionsResult> ListSubscriptions(const std::string& next_token) override;
  Result<ListSubscriptionsResult> ListSubscriptionsByTopic(const std::string& topic_arn,
                                                           const std::string& next_token) override;
  Result<std::map<std::string, std::string>> GetSubscriptionAttributes(
      const std::string& subscription_arn) override;
  Status SetSubscriptionAttributes(const std::string& subscription_arn, const std::string& name,
                                   const std::string& value) override;
  Result<PublishResult> Publish(const PublishRequest& request) override;

 private:
  AwsTransport& transport_;
};

}  // namespace steady::aws
