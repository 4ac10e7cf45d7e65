#include "region/sns_model.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "aws/aws_error.h"
#include "base/base64.h"
#include "base/time_format.h"

namespace steady::region {
namespace {

using nlohmann::json;

Status NoOp(std::string_view) { return Status::Ok(); }

class SnsModelTest : public ::testing::Test {
 protected:
  SnsModelTest() {
    journal_ = *Journal::Open({}, NoOp, NoOp);
    ctx_ = std::make_unique<RegionContext>(clock_, *journal_);
    sqs_ = std::make_unique<SqsModel>(*ctx_);
    sns_ = std::make_unique<SnsModel>(*ctx_, *sqs_);
  }

  std::string Topic(const std::string& name, std::map<std::string, std::string> attrs = {}) {
    auto arn = sns_->CreateTopic({name, attrs, {}});
    EXPECT_TRUE(arn.ok()) << arn.status().ToString();
    return arn.value_or("");
  }

  // A queue and its ARN.
  std::pair<std::string, std::string> Queue(const std::string& name) {
    std::string url = *sqs_->CreateQueue(name, {});
    return {url, *sqs_->QueueArn(url)};
  }

  std::string SubscribeQueue(const std::string& topic, const std::string& queue_arn,
                             std::map<std::string, std::string> attrs = {}) {
    auto arn = sns_->Subscribe({topic, "sqs", queue_arn, attrs, false});
    EXPECT_TRUE(arn.ok()) << arn.status().ToString();
    return arn.value_or("");
  }

  std::vector<aws::SqsMessage> Receive(const std::string& url) {
    aws::ReceiveMessageRequest r;
    r.queue_url = url;
    r.max_number_of_messages = 10;
    r.message_attribute_names = {"All"};
    auto got = sqs_->ReceiveMessage(r);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.value_or({});
  }

  ManualClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RegionContext> ctx_;
  std::unique_ptr<SqsModel> sqs_;
  std::unique_ptr<SnsModel> sns_;
};

TEST_F(SnsModelTest, CreateTopicIsIdempotentAndValidatesNames) {
  std::string arn = Topic("alerts", {{"DisplayName", "Alerts"}});
  EXPECT_EQ(arn, "arn:aws:sns:us-east-1:000000000000:alerts");
  EXPECT_EQ(Topic("alerts", {{"DisplayName", "Alerts"}}), arn);
  EXPECT_EQ(Topic("alerts"), arn);  // no attributes: nothing to disagree with
  EXPECT_EQ(
      aws::AwsErrorCode(sns_->CreateTopic({"alerts", {{"DisplayName", "Other"}}, {}}).status()),
      "InvalidParameter");
  EXPECT_EQ(aws::AwsErrorCode(sns_->CreateTopic({"bad name", {}, {}}).status()),
            "InvalidParameter");
  EXPECT_EQ(aws::AwsErrorCode(sns_->CreateTopic({"", {}, {}}).status()), "InvalidParameter");
  EXPECT_EQ(aws::AwsErrorCode(sns_->CreateTopic({std::string(257, 'a'), {}, {}}).status()),
            "InvalidParameter");
  EXPECT_EQ(aws::AwsErrorCode(sns_->CreateTopic({"x", {{"Bogus", "1"}}, {}}).status()),
            "InvalidParameter");
  EXPECT_EQ(aws::AwsErrorCode(sns_->CreateTopic({"x.fifo", {}, {}}).status()), "InvalidParameter");
  EXPECT_TRUE(sns_->CreateTopic({"x.fifo", {{"FifoTopic", "true"}}, {}}).ok());
  EXPECT_EQ(aws::AwsErrorCode(sns_->CreateTopic({"y", {{"FifoTopic", "true"}}, {}}).status()),
            "InvalidParameter");
  auto attrs = sns_->GetTopicAttributes(arn);
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ(attrs->at("DisplayName"), "Alerts");
  EXPECT_EQ(attrs->at("TopicArn"), arn);
  EXPECT_EQ(attrs->at("Owner"), "000000000000");
  EXPECT_TRUE(json::parse(attrs->at("Policy")).is_object());
}

TEST_F(SnsModelTest, ListTopicsPagesAtOneHundred) {
  for (int i = 0; i < 150; ++i) Topic("t" + std::to_string(1000 + i));
  auto first = sns_->ListTopics("");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->topic_arns.size(), 100u);
  ASSERT_FALSE(first->next_token.empty());
  auto second = sns_->ListTopics(first->next_token);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->topic_arns.size(), 50u);
  EXPECT_TRUE(second->next_token.empty());
  std::set<std::string> all(first->topic_arns.begin(), first->topic_arns.end());
  all.insert(second->topic_arns.begin(), second->topic_arns.end());
  EXPECT_EQ(all.size(), 150u);
  EXPECT_EQ(aws::AwsErrorCode(sns_->ListTopics("garbage!").status()), "InvalidParameter");
}

TEST_F(SnsModelTest, PublishDeliversTheSnsEnvelope) {
  std::string topic = Topic("orders");
  auto [url, queue_arn] = Queue("order-events");
  std::string sub = SubscribeQueue(topic, queue_arn);
  EXPECT_EQ(sub.rfind(topic + ":", 0), 0u);

  aws::PublishRequest req;
  req.topic_arn = topic;
  req.message = "order 42 shipped";
  req.subject = "Shipped";
  req.message_attributes["kind"] = {"String", "shipment", ""};
  req.message_attributes["count"] = {"Number", "3", ""};
  req.message_attributes["blob"] = {"Binary", "", std::string("\x01\x02", 2)};
  auto published = sns_->Publish(req);
  ASSERT_TRUE(published.ok()) << published.status().ToString();

  auto got = Receive(url);
  ASSERT_EQ(got.size(), 1u);
  json env = json::parse(got[0].body);
  EXPECT_EQ(env["Type"], "Notification");
  EXPECT_EQ(env["MessageId"], published->message_id);
  EXPECT_EQ(env["TopicArn"], topic);
  EXPECT_EQ(env["Subject"], "Shipped");
  EXPECT_EQ(env["Message"], "order 42 shipped");
  EXPECT_EQ(env["Timestamp"], FormatIso8601(clock_.Now(), true));
  EXPECT_EQ(env["SignatureVersion"], "1");
  auto sig = Base64Decode(env["Signature"].get<std::string>());
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 256u);
  EXPECT_NE(env["SigningCertURL"].get<std::string>().find(".pem"), std::string::npos);
  EXPECT_NE(
      env["UnsubscribeURL"].get<std::string>().find("Action=Unsubscribe&SubscriptionArn=" + sub),
      std::string::npos);
  EXPECT_EQ(env["MessageAttributes"]["kind"], json({{"Type", "String"}, {"Value", "shipment"}}));
  EXPECT_EQ(env["MessageAttributes"]["count"], json({{"Type", "Number"}, {"Value", "3"}}));
  EXPECT_EQ(env["MessageAttributes"]["blob"]["Value"], Base64Encode(std::string("\x01\x02", 2)));
  // Not raw: the attributes are in the body, not on the SQS message.
  EXPECT_TRUE(got[0].message_attributes.empty());
  // No subject, no Subject field; the field order is SNS's.
  ASSERT_TRUE(sns_->Publish({.topic_arn = topic, .message = "plain"}).ok());
  got = Receive(url);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(json::parse(got[0].body).contains("Subject"));
  EXPECT_EQ(got[0].body.rfind(R"({"Type":"Notification","MessageId":)", 0), 0u);
}

TEST_F(SnsModelTest, RawMessageDeliveryPassesBodyAndAttributesThrough) {
  std::string topic = Topic("raw");
  auto [url, queue_arn] = Queue("raw-q");
  std::string sub = SubscribeQueue(topic, queue_arn, {{"RawMessageDelivery", "True"}});
  EXPECT_EQ(sns_->GetSubscriptionAttributes(sub)->at("RawMessageDelivery"), "true");
  aws::PublishRequest req{.topic_arn = topic, .message = R"({"raw": true})"};
  req.message_attributes["kind"] = {"String", "x", ""};
  req.message_attributes["tags"] = {"String.Array", R"(["a","b"])", ""};
  ASSERT_TRUE(sns_->Publish(req).ok());
  auto got = Receive(url);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, R"({"raw": true})");
  EXPECT_EQ(got[0].message_attributes, req.message_attributes);

  // Switching raw off brings the envelope back.
  ASSERT_TRUE(sns_->SetSubscriptionAttributes(sub, "RawMessageDelivery", "false").ok());
  ASSERT_TRUE(sns_->Publish(req).ok());
  got = Receive(url);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(json::parse(got[0].body)["Message"], R"({"raw": true})");
  EXPECT_EQ(aws::AwsErrorCode(sns_->SetSubscriptionAttributes(sub, "RawMessageDelivery", "yes")),
            "InvalidParameter");
  EXPECT_EQ(aws::AwsErrorCode(sns_->SetSubscriptionAttributes(sub, "Bogus", "1")),
            "InvalidParameter");
}

TEST_F(SnsModelTest, FilterPoliciesSelectSubscriptions) {
  std::string topic = Topic("filtered");
  auto [all_url, all_arn] = Queue("all");
  auto [big_url, big_arn] = Queue("big");
  auto [body_url, body_arn] = Queue("body");
  SubscribeQueue(topic, all_arn);
  SubscribeQueue(topic, big_arn,
                 {{"FilterPolicy", R"({"size": [{"numeric": [">=", 10]}], "kind": ["order"]})"}});
  SubscribeQueue(
      topic, body_arn,
      {{"FilterPolicy", R"({"state": ["done"]})"}, {"FilterPolicyScope", "MessageBody"}});
  auto publish = [&](const std::string& message, const std::string& size) {
    aws::PublishRequest req{.topic_arn = topic, .message = message};
    req.message_attributes["size"] = {"Number", size, ""};
    req.message_attributes["kind"] = {"String", "order", ""};
    ASSERT_TRUE(sns_->Publish(req).ok());
  };
  publish("small", "3");
  publish(R"({"state": "done"})", "12");
  EXPECT_EQ(Receive(all_url).size(), 2u);
  auto big = Receive(big_url);
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(json::parse(big[0].body)["Message"], R"({"state": "done"})");
  auto body = Receive(body_url);
  ASSERT_EQ(body.size(), 1u);
  EXPECT_EQ(json::parse(body[0].body)["Message"], R"({"state": "done"})");

  EXPECT_EQ(aws::AwsErrorCode(
                sns_->Subscribe({topic, "sqs", all_arn + "x", {{"FilterPolicy", "[1]"}}, false})
                    .status()),
            "InvalidParameter");
  EXPECT_EQ(
      aws::AwsErrorCode(
          sns_->Subscribe({topic, "sqs", all_arn + "x", {{"FilterPolicyScope", "Body"}}, false})
              .status()),
      "InvalidParameter");
}

TEST_F(SnsModelTest, MessageStructureJsonPicksTheSqsMessage) {
  std::string topic = Topic("structured");
  auto [url, arn] = Queue("s");
  SubscribeQueue(topic, arn, {{"RawMessageDelivery", "true"}});
  ASSERT_TRUE(sns_->Publish({.topic_arn = topic,
                             .message = R"({"default": "d", "sqs": "for sqs"})",
                             .message_structure = "json"})
                  .ok());
  ASSERT_TRUE(sns_->Publish({.topic_arn = topic,
                             .message = R"({"default": "d", "email": "e"})",
                             .message_structure = "json"})
                  .ok());
  auto got = Receive(url);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].body, "for sqs");
  EXPECT_EQ(got[1].body, "d");
  EXPECT_EQ(aws::AwsErrorCode(sns_->Publish({.topic_arn = topic,
                                             .message = R"({"sqs": "x"})",
                                             .message_structure = "json"})
                                  .status()),
            "InvalidParameter");
  EXPECT_EQ(
      aws::AwsErrorCode(
          sns_->Publish({.topic_arn = topic, .message = "not json", .message_structure = "json"})
              .status()),
      "InvalidParameter");
}

TEST_F(SnsModelTest, SubscriptionsListUnsubscribeAndDeleteTopic) {
  std::string topic = Topic("life");
  std::string other = Topic("other");
  auto [url, arn] = Queue("q");
  std::string sub = SubscribeQueue(topic, arn);
  EXPECT_EQ(SubscribeQueue(topic, arn), sub);  // the same endpoint again: the same subscription
  EXPECT_EQ(
      aws::AwsErrorCode(
          sns_->Subscribe({topic, "sqs", arn, {{"RawMessageDelivery", "true"}}, false}).status()),
      "InvalidParameter");
  SubscribeQueue(other, arn);
  auto http = sns_->Subscribe({topic, "https", "https://example.com/hook", {}, false});
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(*http, "pending confirmation");
  auto http_arn = sns_->Subscribe({topic, "https", "https://example.com/hook", {}, true});
  ASSERT_TRUE(http_arn.ok());
  EXPECT_EQ(http_arn->rfind(topic + ":", 0), 0u);

  auto by_topic = sns_->ListSubscriptionsByTopic(topic, "");
  ASSERT_TRUE(by_topic.ok());
  ASSERT_EQ(by_topic->subscriptions.size(), 2u);
  EXPECT_EQ(sns_->ListSubscriptions("")->subscriptions.size(), 3u);
  auto attrs = sns_->GetTopicAttributes(topic);
  EXPECT_EQ(attrs->at("SubscriptionsConfirmed"), "1");
  EXPECT_EQ(attrs->at("SubscriptionsPending"), "1");

  EXPECT_EQ(aws::AwsErrorCode(sns_->Subscribe({topic, "carrier-pigeon", "x", {}, false}).status()),
            "InvalidParameter");
  EXPECT_EQ(aws::AwsErrorCode(sns_->Subscribe({topic, "sqs", "not-an-arn", {}, false}).status()),
            "InvalidParameter");
  EXPECT_EQ(aws::AwsErrorCode(sns_->Subscribe({topic + "x", "sqs", arn, {}, false}).status()),
            "NotFound");
  auto missing = sns_->Subscribe({topic + "x", "sqs", arn, {}, false});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(sns_->Unsubscribe(sub).ok());
  EXPECT_EQ(aws::AwsErrorCode(sns_->Unsubscribe(sub)), "NotFound");
  EXPECT_EQ(aws::AwsErrorCode(sns_->Unsubscribe("nope")), "InvalidParameter");
  ASSERT_TRUE(sns_->Publish({.topic_arn = topic, .message = "after unsubscribe"}).ok());
  EXPECT_TRUE(Receive(url).empty());

  ASSERT_TRUE(sns_->DeleteTopic(other).ok());
  ASSERT_TRUE(sns_->DeleteTopic(other).ok());  // deleting again is fine, as in SNS
  EXPECT_EQ(sns_->ListSubscriptions("")->subscriptions.size(), 1u);  // only the https one
  EXPECT_EQ(aws::AwsErrorCode(sns_->GetTopicAttributes(other).status()), "NotFound");
  EXPECT_EQ(aws::AwsErrorCode(sns_->ListSubscriptionsByTopic(other, "").status()), "NotFound");
}

TEST_F(SnsModelTest, PublishRefusesBadRequests) {
  std::string topic = Topic("strict");
  auto code = [&](aws::PublishRequest r) { return aws::AwsErrorCode(sns_->Publish(r).status()); };
  EXPECT_EQ(code({.message = "x"}), "InvalidParameter");
  EXPECT_EQ(code({.topic_arn = topic, .target_arn = topic, .message = "x"}), "InvalidParameter");
  EXPECT_EQ(code({.topic_arn = topic}), "InvalidParameter");
  EXPECT_EQ(code({.topic_arn = topic + "-gone", .message = "x"}), "NotFound");
  EXPECT_EQ(code({.topic_arn = "not-an-arn", .message = "x"}), "InvalidParameter");
  EXPECT_EQ(code({.topic_arn = topic, .message = std::string(262145, 'x')}), "InvalidParameter");
  EXPECT_EQ(code({.topic_arn = topic, .message = "x", .subject = "line\nbreak"}),
            "InvalidParameter");
  EXPECT_EQ(code({.topic_arn = topic, .message = "x", .subject = std::string(100, 's')}),
            "InvalidParameter");
  EXPECT_EQ(code({.topic_arn = topic, .message = "x", .message_structure = "xml"}),
            "InvalidParameter");
  aws::PublishRequest bad_attr{.topic_arn = topic, .message = "x"};
  bad_attr.message_attributes["n"] = {"Number", "abc", ""};
  EXPECT_EQ(code(bad_attr), "ParameterValueInvalid");
  bad_attr.message_attributes["n"] = {"Date", "x", ""};
  EXPECT_EQ(code(bad_attr), "ParameterValueInvalid");
  bad_attr.message_attributes["n"] = {"String", "", ""};
  EXPECT_EQ(code(bad_attr), "ParameterValueInvalid");
  // TargetArn works like TopicArn.
  auto ok = sns_->Publish({.target_arn = topic, .message = "x"});
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  // A subscribed queue that is gone does not fail the publish.
  auto [url, arn] = Queue("gone");
  SubscribeQueue(topic, arn);
  ASSERT_TRUE(sqs_->DeleteQueue(url).ok());
  EXPECT_TRUE(sns_->Publish({.topic_arn = topic, .message = "x"}).ok());
}

TEST_F(SnsModelTest, FifoTopicsNeedAGroupAndDeduplication) {
  std::string topic = Topic("f.fifo", {{"FifoTopic", "true"}});
  EXPECT_EQ(aws::AwsErrorCode(sns_->Publish({.topic_arn = topic, .message = "x"}).status()),
            "InvalidParameter");
  EXPECT_EQ(
      aws::AwsErrorCode(
          sns_->Publish({.topic_arn = topic, .message = "x", .message_group_id = "g"}).status()),
      "InvalidParameter");
  auto r = sns_->Publish({.topic_arn = topic,
                          .message = "x",
                          .message_group_id = "g",
                          .message_deduplication_id = "d"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sequence_number.size(), 20u);
}

TEST_F(SnsModelTest, SnapshotRestoresTopicsAndSubscriptions) {
  std::string topic = Topic("snap", {{"DisplayName", "S"}});
  auto [url, arn] = Queue("sq");
  std::string sub = SubscribeQueue(
      topic, arn, {{"RawMessageDelivery", "true"}, {"FilterPolicy", R"({"k": ["v"]})"}});
  json snap;
  {
    std::lock_guard lock(sns_->mutex());
    snap = sns_->Snapshot();
  }
  SnsModel copy(*ctx_, *sqs_);
  ASSERT_TRUE(copy.Restore(snap).ok());
  EXPECT_EQ(copy.GetTopicAttributes(topic)->at("DisplayName"), "S");
  EXPECT_EQ(copy.GetSubscriptionAttributes(sub)->at("FilterPolicy"), R"({"k": ["v"]})");
  aws::PublishRequest req{.topic_arn = topic, .message = "filtered"};
  ASSERT_TRUE(copy.Publish(req).ok());
  req.message = "kept";
  req.message_attributes["k"] = {"String", "v", ""};
  ASSERT_TRUE(copy.Publish(req).ok());
  auto got = Receive(url);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "kept");
}

TEST(SnsModelDurability, TopicsAndSubscriptionsSurviveReplay) {
  std::string dir = testing::TempDir() + "/sns_durable_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  ManualClock clock;
  std::string topic, keep, dropped;
  {
    auto j = *Journal::Open({.dir = dir}, NoOp, NoOp);
    RegionContext ctx{clock, *j};
    SqsModel sqs(ctx);
    SnsModel sns(ctx, sqs);
    std::string url = *sqs.CreateQueue("inbox", {});
    std::string arn = *sqs.QueueArn(url);
    topic = *sns.CreateTopic({"durable", {{"DisplayName", "D"}}, {{"team", "ops"}}});
    ASSERT_TRUE(sns.CreateTopic({"doomed", {}, {}}).ok());
    keep = *sns.Subscribe({topic, "sqs", arn, {}, false});
    ASSERT_TRUE(sns.SetSubscriptionAttributes(keep, "RawMessageDelivery", "true").ok());
    ASSERT_TRUE(sns.SetTopicAttributes(topic, "DisplayName", "Durable").ok());
    dropped = *sns.Subscribe({topic, "sqs", arn + "-2", {}, false});
    ASSERT_TRUE(sns.Unsubscribe(dropped).ok());
    ASSERT_TRUE(sns.DeleteTopic(ctx.Arn("sns", "doomed")).ok());
  }
  auto j2 = *Journal::Open({}, NoOp, NoOp);
  RegionContext ctx2{clock, *j2};
  SqsModel sqs2(ctx2);
  SnsModel sns2(ctx2, sqs2);
  auto route = [&](std::string_view d) {
    json r = json::parse(d);
    return r.at("s") == "sqs" ? sqs2.Replay(r) : sns2.Replay(r);
  };
  auto reopened = Journal::Open({.dir = dir}, NoOp, route);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto topics = sns2.ListTopics("");
  ASSERT_TRUE(topics.ok());
  EXPECT_EQ(topics->topic_arns, std::vector<std::string>{topic});
  EXPECT_EQ(sns2.GetTopicAttributes(topic)->at("DisplayName"), "Durable");
  auto subs = sns2.ListSubscriptions("");
  ASSERT_EQ(subs->subscriptions.size(), 1u);
  EXPECT_EQ(subs->subscriptions[0].subscription_arn, keep);
  // The replayed subscription still delivers raw.
  ASSERT_TRUE(sns2.Publish({.topic_arn = topic, .message = "after restart"}).ok());
  auto got = sqs2.ReceiveMessage({.queue_url = "inbox"});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].body, "after restart");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace steady::region
