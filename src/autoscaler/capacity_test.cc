#include "autoscaler/capacity.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "region/region.h"

namespace steady::autoscaler {
namespace {

using nlohmann::json;

std::string Sns(const std::string& message) {
  return json{{"Type", "Notification"},
              {"MessageId", "5f1c"},
              {"TopicArn", "arn:aws:sns:us-east-1:000000000000:capacity"},
              {"Message", message},
              {"Timestamp", "2026-09-21T10:00:00.000Z"}}
      .dump();
}

const char kBody[] =
    R"({"group_name": "batch", "cluster": "steady-sample", "cpu": 256, "memory": 512,)"
    R"( "hako_task_id": "d3b0c1"})";

TEST(ParseCapacityMessageTest, Direct) {
  auto m = ParseCapacityMessage(kBody);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->cluster, "steady-sample");
  EXPECT_EQ(m->request.task_id, "d3b0c1");
  EXPECT_EQ(m->request.group_name, "batch");
  EXPECT_EQ(m->request.task, (Resources{256, 512}));
  EXPECT_EQ(m->request.received, Time{});
}

TEST(ParseCapacityMessageTest, SnsWrappedOnceAndTwice) {
  for (const std::string& body : {Sns(kBody), Sns(Sns(kBody))}) {
    auto m = ParseCapacityMessage(body);
    ASSERT_TRUE(m.ok()) << m.status().ToString() << " for " << body;
    EXPECT_EQ(m->cluster, "steady-sample");
    EXPECT_EQ(m->request.task_id, "d3b0c1");
    EXPECT_EQ(m->request.task, (Resources{256, 512}));
  }
}

TEST(ParseCapacityMessageTest, NumericStringsAndClusterArn) {
  auto m = ParseCapacityMessage(
      R"({"cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/prod", "cpu": "1024",)"
      R"( "memory": "2048", "hako_task_id": "t-1"})");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->cluster, "prod");
  EXPECT_EQ(m->request.task, (Resources{1024, 2048}));
  EXPECT_EQ(m->request.group_name, "") << "group_name is optional";
  // A whole number written as a float is fine.
  auto f = ParseCapacityMessage(
      R"({"cluster": "prod", "cpu": 256.0, "memory": 512, "hako_task_id": "t-2"})");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->request.task.cpu, 256);
}

// Each malformed shape and the words its error must contain.
TEST(ParseCapacityMessageTest, RejectsMalformedWithClearErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not JSON"},
      {"RunTask failed", "not JSON"},
      {R"({"cluster": "prod")", "not JSON"},
      {R"([1, 2])", "not a JSON object"},
      {R"("text")", "not a JSON object"},
      {R"({"cpu": 1, "memory": 1, "hako_task_id": "t"})", "missing cluster"},
      {R"({"cluster": null, "cpu": 1, "memory": 1, "hako_task_id": "t"})", "missing cluster"},
      {R"({"cluster": 7, "cpu": 1, "memory": 1, "hako_task_id": "t"})", "cluster is not a string"},
      {R"({"cluster": "", "cpu": 1, "memory": 1, "hako_task_id": "t"})", "cluster is empty"},
      {R"({"cluster": "prod", "cpu": 1, "memory": 1})", "missing hako_task_id"},
      {R"({"cluster": "prod", "memory": 1, "hako_task_id": "t"})", "missing cpu"},
      {R"({"cluster": "prod", "cpu": 1, "hako_task_id": "t"})", "missing memory"},
      {R"({"cluster": "prod", "cpu": 0, "memory": 1, "hako_task_id": "t"})", "cpu must be > 0"},
      {R"({"cluster": "prod", "cpu": 1, "memory": -5, "hako_task_id": "t"})", "memory must be > 0"},
      {R"({"cluster": "prod", "cpu": "0", "memory": 1, "hako_task_id": "t"})", "cpu must be > 0"},
      {R"({"cluster": "prod", "cpu": "abc", "memory": 1, "hako_task_id": "t"})",
       "cpu is not a number: 'abc'"},
      {R"({"cluster": "prod", "cpu": "256 ", "memory": 1, "hako_task_id": "t"})",
       "cpu is not a number"},
      {R"({"cluster": "prod", "cpu": "", "memory": 1, "hako_task_id": "t"})",
       "cpu is not a number"},
      {R"({"cluster": "prod", "cpu": "99999999999999999999", "memory": 1, "hako_task_id": "t"})",
       "cpu is not a number"},
      {R"({"cluster": "prod", "cpu": 1.5, "memory": 1, "hako_task_id": "t"})",
       "cpu is not a whole number"},
      {R"({"cluster": "prod", "cpu": true, "memory": 1, "hako_task_id": "t"})",
       "cpu is not a number"},
      {R"({"cluster": "prod", "cpu": 1, "memory": [1], "hako_task_id": "t"})",
       "memory is not a number"},
      {R"({"cluster": "prod", "cpu": 1, "memory": 1, "hako_task_id": "t", "group_name": 3})",
       "group_name is not a string"},
      {Sns("not json inside"), "SNS Message is not JSON"},
      {Sns(Sns(Sns(Sns(kBody)))), "SNS envelopes nested too deep"},
  };
  for (const auto& [body, want] : cases) {
    auto m = ParseCapacityMessage(body);
    ASSERT_FALSE(m.ok()) << "accepted: " << body;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_NE(m.status().message().find(want), std::string::npos)
        << "error '" << m.status().message() << "' for " << body << " should say '" << want << "'";
  }
}

// Every truncation of a valid (SNS-wrapped) body is rejected or parsed, never a crash.
TEST(ParseCapacityMessageTest, EveryTruncationIsHandled) {
  std::string body = Sns(kBody);
  for (size_t n = 0; n < body.size(); ++n) {
    auto m = ParseCapacityMessage(std::string_view(body).substr(0, n));
    EXPECT_FALSE(m.ok()) << n;
  }
}

CapacityMessage Message(const std::string& cluster, const std::string& task_id,
                        Resources task = {256, 512}) {
  CapacityMessage m;
  m.cluster = cluster;
  m.request.task_id = task_id;
  m.request.group_name = "batch";
  m.request.task = task;
  return m;
}

class CapacityRequestsTest : public ::testing::Test {
 protected:
  double Count(const std::string& result) {
    return metrics_.AddCounter("steady_autoscaler_capacity_messages_total", "", {"result"})
        .With({result})
        .value();
  }

  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
  MetricsRegistry metrics_;
};

TEST_F(CapacityRequestsTest, DeduplicatesByTaskIdWithinHoldAndCountsAgainAfter) {
  CapacityRequests requests({.clusters = {"prod"}, .hold = std::chrono::minutes(5)}, nullptr,
                            clock_, metrics_);
  Time first = clock_.Now();
  EXPECT_TRUE(requests.Add(Message("prod", "t-1")));
  clock_.Advance(std::chrono::minutes(2));
  EXPECT_FALSE(requests.Add(Message("prod", "t-1"))) << "hako retried the same task";
  EXPECT_TRUE(requests.Add(Message("prod", "t-2")));
  auto pending = requests.Pending("prod");
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].task_id, "t-1");
  EXPECT_EQ(pending[0].received, first) << "held from when it was first received";
  EXPECT_EQ(pending[1].task_id, "t-2");
  EXPECT_EQ(Count("added"), 2);
  EXPECT_EQ(Count("duplicate"), 1);

  // t-1's hold ends 5 minutes after its first receipt, not after the retry.
  clock_.Advance(std::chrono::minutes(3));
  pending = requests.Pending("prod");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].task_id, "t-2");

  // A retry after the hold is new work again.
  EXPECT_TRUE(requests.Add(Message("prod", "t-1")));
  EXPECT_EQ(Count("added"), 3);
  clock_.Advance(std::chrono::minutes(5));
  EXPECT_TRUE(requests.Pending("prod").empty());
}

TEST_F(CapacityRequestsTest, UnwatchedClustersAreDroppedAndCounted) {
  CapacityRequests requests({.clusters = {"prod", "arn:aws:ecs:us-east-1:1:cluster/batch"}},
                            nullptr, clock_, metrics_);
  EXPECT_FALSE(requests.Add(Message("staging", "t-1")));
  EXPECT_EQ(Count("unwatched"), 1);
  EXPECT_EQ(Count("added"), 0);
  EXPECT_TRUE(requests.Pending("staging").empty());
  // Names and ARNs match each other, either way round.
  EXPECT_TRUE(requests.Add(Message("arn:aws:ecs:us-east-1:1:cluster/prod", "t-2")));
  EXPECT_TRUE(requests.Add(Message("batch", "t-3")));
  ASSERT_EQ(requests.Pending("prod").size(), 1u);
  EXPECT_EQ(requests.Pending("prod")[0].task_id, "t-2");
  ASSERT_EQ(requests.Pending("arn:aws:ecs:us-east-1:1:cluster/batch").size(), 1u);
  EXPECT_EQ(requests.Pending("batch")[0].task_id, "t-3");
}

TEST_F(CapacityRequestsTest, DoneDropsARequestBeforeItsHoldEnds) {
  CapacityRequests requests({.clusters = {"prod"}}, nullptr, clock_, metrics_);
  EXPECT_TRUE(requests.Add(Message("prod", "t-1")));
  EXPECT_TRUE(requests.Add(Message("prod", "t-2")));
  requests.Done("t-1");
  requests.Done("t-unknown");
  auto pending = requests.Pending("prod");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].task_id, "t-2");
  EXPECT_TRUE(requests.Add(Message("prod", "t-1"))) << "done: a new failure is new work";
}

TEST_F(CapacityRequestsTest, PollWithoutAQueueDoesNothing) {
  CapacityRequests requests({.clusters = {"prod"}}, nullptr, clock_, metrics_);
  auto n = requests.Poll();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
}

class CapacityQueueTest : public CapacityRequestsTest {
 protected:
  void SetUp() override {
    auto r = region::Region::Open(region::RegionOptions{}, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    auto q = region_->sqs().CreateQueue("capacity", {});
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    queue_ = *q;
    auto dlq = region_->sqs().CreateQueue("capacity-dlq", {});
    ASSERT_TRUE(dlq.ok()) << dlq.status().ToString();
    dlq_ = *dlq;
  }

  void Send(const std::string& body) {
    auto sent = region_->sqs().SendMessage({.queue_url = queue_, .message_body = body});
    ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  }

  // Visible + in flight: what has not been deleted.
  int Left(const std::string& url) {
    auto a = region_->sqs().GetQueueAttributes(
        url, {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"});
    if (!a.ok()) return -1;
    return std::stoi((*a)["ApproximateNumberOfMessages"]) +
           std::stoi((*a)["ApproximateNumberOfMessagesNotVisible"]);
  }

  CapacityRequests::Options Options(bool with_dlq) {
    return {.clusters = {"prod"},
            .queue_url = queue_,
            .dead_letter_queue_url = with_dlq ? dlq_ : "",
            .wait_seconds = 0};
  }

  std::unique_ptr<region::Region> region_;
  std::string queue_, dlq_;
};

TEST_F(CapacityQueueTest, PollAddsValidMessagesAndDeadLettersMalformedOnes) {
  CapacityRequests requests(Options(/*with_dlq=*/true), &region_->sqs(), clock_, metrics_);
  Send(R"({"cluster": "prod", "cpu": 512, "memory": 1024, "hako_task_id": "t-1",)"
       R"( "group_name": "batch"})");
  Send(Sns(R"({"cluster": "prod", "cpu": "256", "memory": "256", "hako_task_id": "t-2"})"));
  Send(R"({"cluster": "prod", "cpu": 512, "memory": 1024, "hako_task_id": "t-1"})");
  Send(R"({"cluster": "staging", "cpu": 512, "memory": 1024, "hako_task_id": "t-9"})");
  Send(R"({"cluster": "prod", "cpu": "lots", "memory": 1024, "hako_task_id": "t-3"})");
  ASSERT_EQ(Left(queue_), 5);

  int read = 0;
  for (int round = 0; round < 3 && read < 5; ++round) {
    auto n = requests.Poll();
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    read += *n;
  }
  EXPECT_EQ(read, 5);
  EXPECT_EQ(Left(queue_), 0) << "every message read is deleted, valid or not";

  auto pending = requests.Pending("prod");
  ASSERT_EQ(pending.size(), 2u);
  std::map<std::string, CapacityRequest> by_id;
  for (const auto& r : pending) by_id[r.task_id] = r;
  ASSERT_TRUE(by_id.count("t-1") && by_id.count("t-2"));
  EXPECT_EQ(by_id["t-1"].task, (Resources{512, 1024}));
  EXPECT_EQ(by_id["t-1"].group_name, "batch");
  EXPECT_EQ(by_id["t-1"].received, clock_.Now());
  EXPECT_EQ(by_id["t-2"].task, (Resources{256, 256}));
  EXPECT_EQ(Count("added"), 2);
  EXPECT_EQ(Count("duplicate"), 1);
  EXPECT_EQ(Count("unwatched"), 1);
  EXPECT_EQ(Count("malformed"), 1);

  // The malformed one waits in the dead-letter queue, as sent, with the reason.
  auto dead = region_->sqs().ReceiveMessage({.queue_url = dlq_,
                                             .max_number_of_messages = 10,
                                             .wait_time_seconds = 0,
                                             .message_attribute_names = {"All"}});
  ASSERT_TRUE(dead.ok()) << dead.status().ToString();
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_NE((*dead)[0].body.find("\"lots\""), std::string::npos);
  ASSERT_TRUE((*dead)[0].message_attributes.count("steady-reason"));
  EXPECT_NE((*dead)[0].message_attributes.at("steady-reason").string_value.find("cpu"),
            std::string::npos);
}

TEST_F(CapacityQueueTest, WithoutADeadLetterQueueMalformedMessagesAreCountedAndDeleted) {
  CapacityRequests requests(Options(/*with_dlq=*/false), &region_->sqs(), clock_, metrics_);
  Send("garbage");
  auto n = requests.Poll();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(Left(queue_), 0);
  EXPECT_EQ(Count("malformed"), 1);
  EXPECT_EQ(Left(dlq_), 0);
}

TEST_F(CapacityQueueTest, AMalformedMessageStaysWhenTheDeadLetterQueueIsGone) {
  auto options = Options(/*with_dlq=*/true);
  options.dead_letter_queue_url = dlq_ + "-missing";
  CapacityRequests requests(options, &region_->sqs(), clock_, metrics_);
  Send("garbage");
  auto n = requests.Poll();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(Left(queue_), 1) << "never lost silently: the queue's redrive policy takes it";
}

TEST_F(CapacityQueueTest, ReceiveErrorsPropagate) {
  auto options = Options(/*with_dlq=*/false);
  options.queue_url = queue_ + "-missing";
  CapacityRequests requests(options, &region_->sqs(), clock_, metrics_);
  auto n = requests.Poll();
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kNotFound) << n.status().ToString();
}

}  // namespace
}  // namespace steady::autoscaler
