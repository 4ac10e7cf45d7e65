#include "region/setup.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/metrics.h"
#include "region/events_model.h"
#include "region/region.h"
#include "region/s3_model.h"
#include "region/sns_model.h"

namespace steady::region {
namespace {

constexpr char kSetup[] = R"(
queues:
  - name: dlq
  - name: work
    attributes: {VisibilityTimeout: "60"}
    dead_letter: {queue: dlq, max_receive_count: 3}
  - name: capacity
  - name: logs-events
topics:
  - name: capacity-topic
    subscriptions: [{queue: capacity, raw: true}]
rules:
  - name: spot
    pattern:
      source: [aws.ec2]
      detail-type: [EC2 Spot Instance Interruption Warning]
    targets: [{queue: work}]
buckets:
  - name: logs
    notifications: [{queue: logs-events, prefix: service-logs/}]
)";

class SetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    region::RegionOptions o;
    auto r = Region::Open(o, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
  }

  std::vector<aws::SqsMessage> Drain(const std::string& queue) {
    auto got = region_->sqs().ReceiveMessage({.queue_url = queue, .max_number_of_messages = 10});
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.value_or({});
  }

  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<Region> region_;
};

TEST_F(SetupTest, AppliedResourcesAreWiredTogether) {
  auto applied = region_->ApplySetupYaml(kSetup, "setup.yaml");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(*applied, "4 queues, 1 topics, 1 subscriptions, 1 rules, 1 targets, 1 buckets");

  auto attrs = region_->sqs().GetQueueAttributes("work", {"All"});
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ(attrs->at("VisibilityTimeout"), "60");
  EXPECT_NE(attrs->at("RedrivePolicy").find("arn:aws:sqs:us-east-1:000000000000:dlq"),
            std::string::npos);

  // A matching event reaches the rule's queue; another does not.
  auto* events = dynamic_cast<EventsModel*>(region_->model("events"));
  ASSERT_NE(events, nullptr);
  // aws.* sources are the region's own (PutEvents refuses them, as AWS does): Emit.
  ASSERT_TRUE(events
                  ->Emit({{"source", "aws.ec2"},
                          {"detail-type", "EC2 Spot Instance Interruption Warning"},
                          {"detail", {{"instance-id", "i-1"}, {"instance-action", "terminate"}}}})
                  .ok());
  ASSERT_TRUE(events
                  ->Emit({{"source", "aws.ec2"},
                          {"detail-type", "Something Else"},
                          {"detail", nlohmann::json::object()}})
                  .ok());
  auto work = Drain("work");
  ASSERT_EQ(work.size(), 1u);
  auto event = nlohmann::json::parse(work[0].body);
  EXPECT_EQ(event["detail"]["instance-id"], "i-1");

  // Raw delivery from the topic.
  auto* sns = dynamic_cast<SnsModel*>(region_->model("sns"));
  auto topics = sns->ListTopics("");
  ASSERT_TRUE(topics.ok());
  ASSERT_EQ(topics->topic_arns.size(), 1u);
  aws::PublishRequest pub;
  pub.topic_arn = topics->topic_arns[0];
  pub.message = R"({"group_name":"spot","cpu":512})";
  ASSERT_TRUE(sns->Publish(pub).ok());
  auto capacity = Drain("capacity");
  ASSERT_EQ(capacity.size(), 1u);
  EXPECT_EQ(capacity[0].body, pub.message);

  // An object under the prefix notifies; one outside does not. (The queue first holds the
  // s3:TestEvent S3 sends when the configuration is put.)
  auto* s3 = dynamic_cast<S3Model*>(region_->model("s3"));
  Drain("logs-events");
  ASSERT_TRUE(s3->PutObject({"logs", "service-logs/web/app/x.gz", "data"}).ok());
  ASSERT_TRUE(s3->PutObject({"logs", "elsewhere/y", "data"}).ok());
  auto notes = Drain("logs-events");
  ASSERT_EQ(notes.size(), 1u);
  auto rec = nlohmann::json::parse(notes[0].body)["Records"][0];
  EXPECT_EQ(rec["eventName"], "ObjectCreated:Put");
  EXPECT_EQ(rec["s3"]["object"]["key"], "service-logs/web/app/x.gz");
}

TEST_F(SetupTest, ApplyingTwiceIsIdempotent) {
  ASSERT_TRUE(region_->ApplySetupYaml(kSetup, "setup.yaml").ok());
  auto again = region_->ApplySetupYaml(kSetup, "setup.yaml");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(region_->sqs().ListQueues("")->size(), 4u);
}

TEST_F(SetupTest, ErrorsNameThePlace) {
  auto bad = region_->ApplySetupYaml("queues:\n  - nme: x\n", "setup.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("setup.yaml:2:5: queues[0].nme: unknown key"),
            std::string::npos)
      << bad.status().message();
  auto bad_pattern = region_->ApplySetupYaml(
      "rules:\n  - name: r\n    pattern: {source: [{nonsense: 1}]}\n", "setup.yaml");
  EXPECT_FALSE(bad_pattern.ok());
}

}  // namespace
}  // namespace steady::region
