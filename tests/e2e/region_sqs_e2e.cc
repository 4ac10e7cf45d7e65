// SQS contract, run twice: against the region's model in-process and against the same region
// over HTTP through steady's own SqsClient (SigV4, JSON protocol, retries). Both must behave
// the same, which is what lets a daemon be handed either.
#include <gtest/gtest.h>

#include <thread>

#include "aws/aws_error.h"
#include "aws/credentials.h"
#include "aws/sqs_client.h"
#include "base/metrics.h"
#include "net/http_client_curl.h"
#include "region/region.h"

namespace steady {
namespace {

enum class Path { kInProcess, kHttp };

class SqsContract : public ::testing::TestWithParam<Path> {
 protected:
  void SetUp() override {
    region::RegionOptions o;
    o.listen = "127.0.0.1:0";
    auto r = region::Region::Open(o, SystemClock::Get(), metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    ASSERT_TRUE(region_->Start().ok());
    if (GetParam() == Path::kInProcess) {
      sqs_ = &region_->sqs();
      return;
    }
    creds_ = aws::StaticCredentials({"AKIDTEST", "secret", "", std::nullopt});
    aws::TransportOptions to;
    to.endpoint = region_->endpoint();
    transport_ = std::make_unique<aws::AwsTransport>(aws::SqsService(), to, http_, *creds_,
                                                     SystemClock::Get(), metrics_);
    client_ = std::make_unique<aws::SqsClient>(*transport_);
    sqs_ = client_.get();
  }
  void TearDown() override { region_->Stop(); }

  MetricsRegistry metrics_;
  std::unique_ptr<region::Region> region_;
  net::CurlHttpClient http_;
  std::unique_ptr<aws::CredentialsProvider> creds_;
  std::unique_ptr<aws::AwsTransport> transport_;
  std::unique_ptr<aws::SqsClient> client_;
  aws::Sqs* sqs_ = nullptr;
};

TEST_P(SqsContract, QueueLifecycle) {
  auto url = sqs_->CreateQueue("orders", {{"VisibilityTimeout", "7"}});
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(*url, region_->endpoint() + "/000000000000/orders");
  EXPECT_EQ(*sqs_->GetQueueUrl("orders"), *url);
  ASSERT_TRUE(sqs_->CreateQueue("other", {}).ok());
  EXPECT_EQ(sqs_->ListQueues("ord")->size(), 1u);
  EXPECT_EQ(sqs_->ListQueues("")->size(), 2u);
  auto attrs = sqs_->GetQueueAttributes(*url, {"VisibilityTimeout", "QueueArn"});
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ(attrs->at("VisibilityTimeout"), "7");
  EXPECT_EQ(attrs->at("QueueArn"), "arn:aws:sqs:us-east-1:000000000000:orders");
  ASSERT_TRUE(sqs_->SetQueueAttributes(*url, {{"DelaySeconds", "1"}}).ok());
  EXPECT_EQ(sqs_->GetQueueAttributes(*url, {"All"})->at("DelaySeconds"), "1");
  ASSERT_TRUE(sqs_->PurgeQueue(*url).ok());
  ASSERT_TRUE(sqs_->DeleteQueue(*url).ok());
  auto gone = sqs_->GetQueueUrl("orders");
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound) << gone.status().ToString();
  // The same code on both paths: what SDK users see.
  EXPECT_EQ(aws::AwsErrorCode(gone.status()), "AWS.SimpleQueueService.NonExistentQueue");
}

TEST_P(SqsContract, MessagesBatchesAndAttributes) {
  std::string url = *sqs_->CreateQueue("m", {});
  aws::SendMessageRequest req{url, "héllo wörld"};
  req.message_attributes["bin"] = {"Binary", "", std::string("\0\xff", 2)};
  req.message_attributes["n"] = {"Number", "42", ""};
  auto sent = sqs_->SendMessage(req);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  auto batch = sqs_->SendMessageBatch(url, {{"a", "one", {}, {}}, {"b", "two", {}, {}}});
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->successful.size(), 2u);

  aws::ReceiveMessageRequest r;
  r.queue_url = url;
  r.max_number_of_messages = 10;
  r.attribute_names = {"All"};
  r.message_attribute_names = {"All"};
  auto got = sqs_->ReceiveMessage(r);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].body, "héllo wörld");
  EXPECT_EQ((*got)[0].message_attributes, req.message_attributes);
  EXPECT_EQ((*got)[0].attributes.at("ApproximateReceiveCount"), "1");
  std::vector<aws::DeleteMessageBatchEntry> del;
  for (size_t i = 0; i < got->size(); ++i)
    del.push_back({"d" + std::to_string(i), (*got)[i].receipt_handle});
  auto deleted = sqs_->DeleteMessageBatch(url, del);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->successful.size(), 3u);
  EXPECT_EQ(region_->sqs().QueueCounts(url)->in_flight, 0);
}

TEST_P(SqsContract, LongPollReturnsWhenAMessageArrives) {
  std::string url = *sqs_->CreateQueue("lp", {});
  std::thread sender([&] {
    // Send only once the poll waits, so the test proves the wake-up, not a lucky order.
    while (region_->sqs().waiting(url) == 0) std::this_thread::yield();
    ASSERT_TRUE(region_->sqs().SendMessage({url, "late"}).ok());
  });
  auto got = sqs_->ReceiveMessage({.queue_url = url, .wait_time_seconds = 10});
  sender.join();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].body, "late");
}

TEST_P(SqsContract, VisibilityAndErrors) {
  std::string url = *sqs_->CreateQueue("v", {});
  ASSERT_TRUE(sqs_->SendMessage({url, "x"}).ok());
  auto got = sqs_->ReceiveMessage({.queue_url = url, .visibility_timeout = 300});
  ASSERT_EQ(got->size(), 1u);
  ASSERT_TRUE(sqs_->ChangeMessageVisibility(url, (*got)[0].receipt_handle, 0).ok());
  auto again = sqs_->ReceiveMessage({.queue_url = url});
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(sqs_->ChangeMessageVisibility(url, "junk", 5).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(aws::AwsErrorCode(sqs_->SendMessage({url, ""}).status()), "MissingParameter");
  EXPECT_FALSE(sqs_->ReceiveMessage({.queue_url = url, .max_number_of_messages = 0}).ok());
}

INSTANTIATE_TEST_SUITE_P(Paths, SqsContract, ::testing::Values(Path::kInProcess, Path::kHttp),
                         [](const auto& info) {
                           return info.param == Path::kHttp ? "Http" : "InProcess";
                         });

}  // namespace
}  // namespace steady

namespace steady {
namespace {

// --verify-key: requests signed with a configured key pass; a wrong secret or an unknown key
// gets the 403 SigV4 errors AWS answers.
TEST(RegionSignatures, VerifiedWhenKeysAreConfigured) {
  MetricsRegistry metrics;
  region::RegionOptions o;
  o.listen = "127.0.0.1:0";
  o.verify_keys = {{"AKIDGOOD", "right-secret"}};
  auto region = region::Region::Open(o, SystemClock::Get(), metrics);
  ASSERT_TRUE(region.ok());
  ASSERT_TRUE((*region)->Start().ok());
  net::CurlHttpClient http;
  auto call = [&](const std::string& akid, const std::string& secret) {
    auto creds = aws::StaticCredentials({akid, secret, "", std::nullopt});
    aws::TransportOptions to;
    to.endpoint = (*region)->endpoint();
    to.max_attempts = 1;
    aws::AwsTransport t(aws::SqsService(), to, http, *creds, SystemClock::Get(), metrics);
    aws::SqsClient sqs(t);
    return sqs.CreateQueue("signed", {}).status();
  };
  EXPECT_TRUE(call("AKIDGOOD", "right-secret").ok());
  Status wrong = call("AKIDGOOD", "wrong-secret");
  EXPECT_EQ(aws::AwsErrorCode(wrong), "SignatureDoesNotMatch") << wrong.ToString();
  Status unknown = call("AKIDOTHER", "right-secret");
  EXPECT_EQ(aws::AwsErrorCode(unknown), "InvalidClientTokenId") << unknown.ToString();
  (*region)->Stop();
}

}  // namespace
}  // namespace steady
