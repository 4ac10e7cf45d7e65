// The local region's SNS: topics, subscriptions (sqs delivers; other protocols are kept but
// deliver nothing) with RawMessageDelivery and filter policies, and Publish, which hands each
// subscribed queue either SNS's JSON notification envelope or the raw message with its
// attributes as SQS message attributes. Topics and subscriptions are journal records applied
// through one path (live and on replay); published messages are durable once SQS has them.
//
// Thread safety: all methods may be called from any thread. Delivery into SQS happens after
// this model's lock is released (the region may lock every model at once to snapshot).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "aws/sns.h"
#include "region/region_context.h"
#include "region/service_model.h"
#include "region/sqs_model.h"

namespace steady::region {

class SnsModel final : public aws::Sns, public ServiceModel {
 public:
  SnsModel(RegionContext& ctx, SqsModel& sqs);
  ~SnsModel() override;

  Result<std::string> CreateTopic(const aws::CreateTopicRequest& request) override;
  Result<aws::ListTopicsResult> ListTopics(const std::string& next_token) override;
  Result<std::map<std::string, std::string>> GetTopicAttributes(
      const std::string& topic_arn) override;
  Status SetTopicAttributes(const std::string& topic_arn, const std::string& name,
                            const std::string& value) override;
  Status DeleteTopic(const std::string& topic_arn) override;
  Result<std::string> Subscribe(const aws::SubscribeRequest& request) override;
  Status Unsubscribe(const std::string& subscription_arn) override;
  Result<aws::ListSubscriptionsResult> ListSubscriptions(const std::string& next_token) override;
  Result<aws::ListSubscriptionsResult> ListSubscriptionsByTopic(
      const std::string& topic_arn, const std::string& next_token) override;
  Result<std::map<std::string, std::string>> GetSubscriptionAttributes(
      const std::string& subscription_arn) override;
  Status SetSubscriptionAttributes(const std::string& subscription_arn, const std::string& name,
                                   const std::string& value) override;
  Result<aws::PublishResult> Publish(const aws::PublishRequest& request) override;

  // ServiceModel.
  std::string service() const override { return "sns"; }
  Status Replay(const nlohmann::json& record) override;
  nlohmann::json Snapshot() const override;
  Status Restore(const nlohmann::json& snapshot) override;
  std::mutex& mutex() override { return mu_; }
  std::unique_ptr<ServiceFront> MakeFront() override;

 private:
  struct Topic;
  struct Subscription;
  struct Delivery;

  Topic* FindTopicLocked(const std::string& arn);
  Status ApplyLocked(const nlohmann::json& record);
  uint64_t RecordLocked(nlohmann::json record);
  // Pages of 100 over `keys`, starting at `next_token`; kInvalidArgument for a foreign token.
  Result<aws::ListSubscriptionsResult> ListSubscriptionsLocked(std::string_view op,
                                                               const Topic* topic,
                                                               const std::string& next_token);

  RegionContext& ctx_;
  SqsModel& sqs_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Topic>> topics_;                // by name
  std::map<std::string, std::unique_ptr<Subscription>> subscriptions_;  // by ARN
};

}  // namespace steady::region
