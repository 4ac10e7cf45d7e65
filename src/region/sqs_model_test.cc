#include "region/sqs_model.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <thread>

#include "aws/aws_error.h"

namespace steady::region {
namespace {

using aws::ReceiveMessageRequest;
using aws::SendMessageRequest;

class SqsModelTest : public ::testing::Test {
 protected:
  SqsModelTest() {
    journal_ = *Journal::Open(
        {}, [](std::string_view) { return Status::Ok(); },
        [](std::string_view) { return Status::Ok(); });
    ctx_ = std::make_unique<RegionContext>(clock_, *journal_);
    sqs_ = std::make_unique<SqsModel>(*ctx_);
  }

  std::string Create(const std::string& name, std::map<std::string, std::string> attrs = {}) {
    auto url = sqs_->CreateQueue(name, attrs);
    EXPECT_TRUE(url.ok()) << url.status().ToString();
    return url.value_or("");
  }

  std::vector<aws::SqsMessage> Receive(const std::string& url, int max = 10,
                                       std::optional<int> vis = {}) {
    ReceiveMessageRequest r;
    r.queue_url = url;
    r.max_number_of_messages = max;
    r.visibility_timeout = vis;
    r.attribute_names = {"All"};
    r.message_attribute_names = {"All"};
    auto got = sqs_->ReceiveMessage(r);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.value_or({});
  }

  ManualClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RegionContext> ctx_;
  std::unique_ptr<SqsModel> sqs_;
};

TEST_F(SqsModelTest, SendReceiveDeleteWithVisibilityTimeout) {
  std::string url = Create("jobs", {{"VisibilityTimeout", "10"}});
  EXPECT_EQ(url, "http://127.0.0.1:4566/000000000000/jobs");
  auto sent = sqs_->SendMessage({url, "hello"});
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->md5_of_message_body, "5d41402abc4b2a76b9719d911017c592");  // md5("hello")

  auto first = Receive(url);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].body, "hello");
  EXPECT_EQ(first[0].attributes.at("ApproximateReceiveCount"), "1");
  EXPECT_TRUE(Receive(url).empty());  // in flight

  clock_.Advance(seconds(10));
  auto again = Receive(url);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attributes.at("ApproximateReceiveCount"), "2");
  EXPECT_NE(again[0].receipt_handle, first[0].receipt_handle);

  // The stale handle succeeds but deletes nothing; the current one deletes.
  EXPECT_TRUE(sqs_->DeleteMessage(url, first[0].receipt_handle).ok());
  EXPECT_EQ(sqs_->QueueCounts(url)->in_flight, 1);
  EXPECT_TRUE(sqs_->DeleteMessage(url, again[0].receipt_handle).ok());
  EXPECT_EQ(sqs_->QueueCounts(url)->in_flight, 0);
  clock_.Advance(seconds(60));
  EXPECT_TRUE(Receive(url).empty());
}

TEST_F(SqsModelTest, ChangeVisibilityExtendsAndReleases) {
  std::string url = Create("q");
  ASSERT_TRUE(sqs_->SendMessage({url, "m"}).ok());
  auto got = Receive(url, 1, 5);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(sqs_->ChangeMessageVisibility(url, got[0].receipt_handle, 60).ok());
  clock_.Advance(seconds(30));
  EXPECT_TRUE(Receive(url).empty());
  ASSERT_TRUE(sqs_->ChangeMessageVisibility(url, got[0].receipt_handle, 0).ok());
  EXPECT_EQ(Receive(url).size(), 1u);
  auto bad = sqs_->ChangeMessageVisibility(url, "garbage", 10);
  EXPECT_EQ(aws::AwsErrorCode(bad), "ReceiptHandleIsInvalid");
}

TEST_F(SqsModelTest, DelayedMessagesShowLater) {
  std::string url = Create("q");
  ASSERT_TRUE(sqs_->SendMessage({url, "later", 30}).ok());
  EXPECT_TRUE(Receive(url).empty());
  auto attrs = sqs_->GetQueueAttributes(url, {"ApproximateNumberOfMessagesDelayed"});
  EXPECT_EQ(attrs->at("ApproximateNumberOfMessagesDelayed"), "1");
  clock_.Advance(seconds(30));
  EXPECT_EQ(Receive(url).size(), 1u);
}

TEST_F(SqsModelTest, RedriveMovesToDeadLetterQueueAfterMaxReceiveCount) {
  std::string dlq = Create("dlq");
  std::string arn = *sqs_->QueueArn(dlq);
  EXPECT_EQ(arn, "arn:aws:sqs:us-east-1:000000000000:dlq");
  std::string url = Create("work", {{"RedrivePolicy", R"({"deadLetterTargetArn":")" + arn +
                                                          R"(","maxReceiveCount":"2"})"},
                                    {"VisibilityTimeout", "1"}});
  ASSERT_TRUE(sqs_->SendMessage({url, "poison"}).ok());
  EXPECT_EQ(Receive(url).size(), 1u);
  clock_.Advance(seconds(1));
  EXPECT_EQ(Receive(url).size(), 1u);
  clock_.Advance(seconds(1));
  EXPECT_TRUE(Receive(url).empty());  // third receive: redriven instead
  auto dead = Receive(dlq);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].body, "poison");
}

TEST_F(SqsModelTest, LongPollWakesOnSendAndOnTimeout) {
  std::string url = Create("poll");
  ReceiveMessageRequest r{.queue_url = url, .wait_time_seconds = 20};
  std::vector<aws::SqsMessage> got;
  std::thread t([&] { got = *sqs_->ReceiveMessage(r); });
  clock_.AwaitSleepers(1);
  ASSERT_TRUE(sqs_->SendMessage({url, "wake"}).ok());
  t.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "wake");

  Time start = clock_.Now();
  std::thread t2([&] { got = *sqs_->ReceiveMessage(r); });
  clock_.AwaitSleepers(1);
  clock_.Advance(seconds(20));
  t2.join();
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(clock_.Now() - start, seconds(20));
}

TEST_F(SqsModelTest, LongPollReturnsAMessageWhoseVisibilityRunsOut) {
  std::string url = Create("poll", {{"VisibilityTimeout", "5"}});
  ASSERT_TRUE(sqs_->SendMessage({url, "m"}).ok());
  ASSERT_EQ(Receive(url).size(), 1u);
  std::vector<aws::SqsMessage> got;
  std::thread t([&] { got = *sqs_->ReceiveMessage({.queue_url = url, .wait_time_seconds = 20}); });
  clock_.AwaitSleepers(1);
  clock_.Advance(seconds(5));
  t.join();
  EXPECT_EQ(got.size(), 1u);
}

TEST_F(SqsModelTest, MessageAttributesAndTheirMd5) {
  std::string url = Create("q");
  SendMessageRequest req{url, "body"};
  req.message_attributes["color"] = {"String", "red", ""};
  req.message_attributes["size"] = {"Number", "3", ""};
  req.message_attributes["raw"] = {"Binary", "", std::string("\x00\x01", 2)};
  auto sent = sqs_->SendMessage(req);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->md5_of_message_attributes,
            aws::SqsMd5OfMessageAttributes(req.message_attributes));
  auto got = Receive(url);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message_attributes, req.message_attributes);
  EXPECT_EQ(got[0].md5_of_message_attributes, sent->md5_of_message_attributes);
}

TEST_F(SqsModelTest, ErrorsCarryTheSqsCodes) {
  EXPECT_EQ(aws::AwsErrorCode(sqs_->SendMessage({"http://x/000000000000/nope", "m"}).status()),
            "AWS.SimpleQueueService.NonExistentQueue");
  std::string url = Create("q");
  EXPECT_EQ(aws::AwsErrorCode(sqs_->SendMessage({url, ""}).status()), "MissingParameter");
  EXPECT_EQ(aws::AwsErrorCode(sqs_->SendMessage({url, std::string("\x01", 1)}).status()),
            "InvalidMessageContents");
  EXPECT_EQ(aws::AwsErrorCode(sqs_->CreateQueue("q", {{"VisibilityTimeout", "99"}}).status()),
            "QueueAlreadyExists");
  EXPECT_EQ(aws::AwsErrorCode(sqs_->CreateQueue("bad name", {}).status()), "InvalidParameterValue");
  EXPECT_EQ(aws::AwsErrorCode(sqs_->CreateQueue("x", {{"Bogus", "1"}}).status()),
            "InvalidAttributeName");
  EXPECT_EQ(aws::AwsErrorCode(sqs_->CreateQueue("x", {{"VisibilityTimeout", "-1"}}).status()),
            "InvalidAttributeValue");
  EXPECT_EQ(aws::AwsErrorCode(
                sqs_->ReceiveMessage({.queue_url = url, .max_number_of_messages = 11}).status()),
            "InvalidParameterValue");
  EXPECT_EQ(aws::AwsErrorCode(sqs_->SendMessageBatch(url, {}).status()),
            "AWS.SimpleQueueService.EmptyBatchRequest");
  EXPECT_EQ(aws::AwsErrorCode(
                sqs_->SendMessageBatch(url, {{"a", "x", {}, {}}, {"a", "y", {}, {}}}).status()),
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct");
  auto batch = sqs_->SendMessageBatch(url, {{"ok", "x", {}, {}}, {"bad", "", {}, {}}});
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->successful.size(), 1u);
  ASSERT_EQ(batch->failed.size(), 1u);
  EXPECT_EQ(batch->failed[0].code, "MissingParameter");
}

TEST(SqsModelDurability, StateSurvivesReopenIncludingInFlightMessages) {
  std::string dir = testing::TempDir() + "/sqs_durable_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  ManualClock clock;
  std::string receipt;
  // Record with one journal, then replay its directory into a new model.
  {
    auto j = *Journal::Open(
        {.dir = dir}, [](std::string_view) { return Status::Ok(); },
        [](std::string_view) { return Status::Ok(); });
    RegionContext ctx{clock, *j};
    SqsModel sqs(ctx);
    std::string url = *sqs.CreateQueue("keep", {{"VisibilityTimeout", "100"}});
    ASSERT_TRUE(sqs.SendMessage({url, "one"}).ok());
    ASSERT_TRUE(sqs.SendMessage({url, "two"}).ok());
    auto got = sqs.ReceiveMessage({.queue_url = url});
    ASSERT_EQ(got->size(), 1u);
    receipt = (*got)[0].receipt_handle;
  }
  auto j2 = *Journal::Open(
      {}, [](std::string_view) { return Status::Ok(); },
      [](std::string_view) { return Status::Ok(); });
  RegionContext ctx2{clock, *j2};
  SqsModel sqs2(ctx2);
  auto reopened = Journal::Open(
      {.dir = dir}, [&](std::string_view d) { return sqs2.Restore(nlohmann::json::parse(d)); },
      [&](std::string_view d) { return sqs2.Replay(nlohmann::json::parse(d)); });
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto counts = sqs2.QueueCounts("keep");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->visible, 1);
  EXPECT_EQ(counts->in_flight, 1);
  // The receipt handed out before the restart still deletes.
  EXPECT_TRUE(sqs2.DeleteMessage("keep", receipt).ok());
  EXPECT_EQ(sqs2.QueueCounts("keep")->in_flight, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace steady::region
