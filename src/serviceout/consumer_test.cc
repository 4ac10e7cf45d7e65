// The consumer on the region's own queues: EC2's interruption events routed by an EventBridge
// rule into a queue, received, serviced out, deleted; bad messages dead-lettered.
#include "serviceout/consumer.h"

#include <gtest/gtest.h>

#include "base/time_format.h"
#include "region/sqs_model.h"
#include "serviceout/test_fleet.h"

namespace steady::serviceout {
namespace {

class ConsumerTest : public FleetTest {
 protected:
  void SetUp() override {
    FleetTest::SetUp();
    if (HasFatalFailure()) return;
    auto applied = region_->ApplySetupYaml(R"(
queues:
  - name: terminator-dlq
  - name: terminator-events
rules:
  - name: spot
    pattern: {source: [aws.ec2], detail-type: [EC2 Spot Instance Interruption Warning,
              EC2 Instance Rebalance Recommendation]}
    targets: [{queue: terminator-events}]
)",
                                           "test");
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    queue_ = *region_->sqs().GetQueueUrl("terminator-events");
    dlq_ = *region_->sqs().GetQueueUrl("terminator-dlq");
  }

  Consumer& Make(ConsumerOptions o = {}) {
    o.queue_urls = {queue_};
    if (o.dead_letter_queue_url.empty()) o.dead_letter_queue_url = dlq_;
    Engine();
    consumer_ = std::make_unique<Consumer>(o, region_->sqs(), *so_, *locator_, clock_, metrics_);
    return *consumer_;
  }

  std::vector<aws::SqsMessage> Receive(const std::string& url) {
    aws::ReceiveMessageRequest req;
    req.queue_url = url;
    req.max_number_of_messages = 10;
    req.wait_time_seconds = 0;
    req.visibility_timeout = 60;
    req.message_attribute_names = {"All"};
    auto got = region_->sqs().ReceiveMessage(req);
    return got.ok() ? *got : std::vector<aws::SqsMessage>{};
  }

  void Send(const std::string& body) {
    ASSERT_TRUE(region_->sqs().SendMessage({.queue_url = queue_, .message_body = body}).ok());
  }

  // Runs the fleet, reconciling the consumer every two seconds.
  void Drive(int seconds) {
    for (int i = 0; i < seconds; i += 2) {
      RunFor(2);
      consumer_->Reconcile();
    }
  }

  std::unique_ptr<Consumer> consumer_;
  std::string queue_, dlq_;
};

TEST_F(ConsumerTest, InterruptionEventIsServicedOutAndDeleted) {
  Consumer& c = Make();
  std::string victim = InstanceOfTask(Tasks("web")[0]);
  int64_t failed_before = Failed();
  ASSERT_TRUE(region_->ec2().Interrupt({victim}, false).ok());
  RunFor(1);
  auto got = Receive(queue_);
  ASSERT_EQ(got.size(), 1u) << "the rule routes EC2's warning into the queue";
  EXPECT_EQ(c.HandleMessage(queue_, got[0]), MessageAction::kTracked);
  EXPECT_EQ(c.tracked(), 1u);

  // Past the 60 s visibility the message stays hidden: the consumer extends it while it works.
  Drive(70);
  EXPECT_TRUE(Receive(queue_).empty());
  Drive(90);
  EXPECT_EQ(c.tracked(), 0u);
  EXPECT_EQ(so_->InFlight(), 0);
  // Deleted: nothing comes back even after any visibility timeout.
  RunFor(120);
  EXPECT_TRUE(Receive(queue_).empty());
  EXPECT_EQ(Failed(), failed_before);
}

TEST_F(ConsumerTest, BadMessagesAreDeadLetteredWithTheirReason) {
  Consumer& c = Make();
  Send("this is not json");
  Send(R"({"hello":"world"})");
  Send(R"({"AccountId":"1","RequestId":"r","AutoScalingGroupName":"prod-spot",
           "Service":"AWS Auto Scaling","Event":"autoscaling:TEST_NOTIFICATION",
           "Time":"2026-11-30T10:00:00Z"})");
  auto got = Receive(queue_);
  ASSERT_EQ(got.size(), 3u);
  std::vector<MessageAction> actions;
  for (const auto& m : got) actions.push_back(c.HandleMessage(queue_, m));
  EXPECT_EQ(std::count(actions.begin(), actions.end(), MessageAction::kDeadLettered), 2);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), MessageAction::kDeleted), 1);
  auto dead = Receive(dlq_);
  ASSERT_EQ(dead.size(), 2u);
  for (const auto& m : dead) {
    ASSERT_TRUE(m.message_attributes.count("steady-reason")) << m.body;
    std::string reason = m.message_attributes.at("steady-reason").string_value;
    EXPECT_TRUE(reason.rfind("malformed:", 0) == 0 || reason.rfind("unknown:", 0) == 0) << reason;
  }
  RunFor(120);
  EXPECT_TRUE(Receive(queue_).empty()) << "handled messages left the queue";
}

TEST_F(ConsumerTest, RebalanceOnlyForClustersThatOptedIn) {
  std::string victim = InstanceOfTask(Tasks("web")[0]);
  ASSERT_TRUE(region_->ec2().Interrupt({victim}, /*rebalance_first=*/true).ok());
  RunFor(1);
  auto got = Receive(queue_);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_NE(got[0].body.find("Rebalance"), std::string::npos) << got[0].body;
  {
    Consumer& c = Make();
    EXPECT_EQ(c.HandleMessage(queue_, got[0]), MessageAction::kDeleted);
    EXPECT_EQ(so_->InFlight(), 0);
  }
  ConsumerOptions o;
  o.rebalance_clusters = {"prod"};
  Consumer& c = Make(o);
  EXPECT_EQ(c.HandleMessage(queue_, got[0]), MessageAction::kTracked);
  EXPECT_EQ(so_->InFlight(), 1);
}

TEST_F(ConsumerTest, StoppingHandsUnfinishedMessagesBack) {
  Consumer& c = Make();
  std::string victim = InstanceOfTask(Tasks("web")[0]);
  ASSERT_TRUE(region_->ec2().Interrupt({victim}, false).ok());
  RunFor(1);
  auto got = Receive(queue_);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(c.HandleMessage(queue_, got[0]), MessageAction::kTracked);
  Drive(6);
  c.HandBack();
  so_->Stop();
  auto again = Receive(queue_);
  ASSERT_EQ(again.size(), 1u) << "visible again at once for the next consumer";
  EXPECT_EQ(again[0].message_id, got[0].message_id);
}

TEST_F(ConsumerTest, ScheduledChangesWaitUntilTheirLead) {
  Consumer& c = Make();  // scheduled_lead 1 h
  std::string victim = InstanceOfTask(Tasks("web")[0]);
  auto health = [&](Duration until_start) {
    return R"({"version":"0","id":"h","detail-type":"AWS Health Event","source":"aws.health",
      "time":")" +
           FormatIso8601(clock_.Now()) +
           R"(","resources":[],"detail":{"service":"EC2","eventTypeCategory":"scheduledChange",
      "eventTypeCode":"AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED","startTime":")" +
           FormatHttpDate(clock_.Now() + until_start) + R"(",
      "affectedEntities":[{"entityValue":")" +
           victim + R"("}]}})";
  };
  Send(health(std::chrono::hours(3)));
  auto got = Receive(queue_);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(c.HandleMessage(queue_, got[0]), MessageAction::kDeferred);
  EXPECT_EQ(so_->InFlight(), 0);
  RunFor(3600);
  EXPECT_TRUE(Receive(queue_).empty()) << "hidden until an hour before the start";
  RunFor(3601);
  auto again = Receive(queue_);
  ASSERT_EQ(again.size(), 1u);
  // Within the lead now (the message's start time is fixed): the service-out starts.
  EXPECT_EQ(c.HandleMessage(queue_, again[0]), MessageAction::kTracked);
  EXPECT_EQ(so_->InFlight(), 1);
}

}  // namespace
}  // namespace steady::serviceout
