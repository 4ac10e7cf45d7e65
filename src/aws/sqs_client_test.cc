#include "aws/sqs_client.h"

#include <gtest/gtest.h>

#include "aws/credentials.h"
#include "base/metrics.h"

namespace steady::aws {
namespace {

// Answers every request with one canned body.
class CannedHttp final : public net::HttpClient {
 public:
  explicit CannedHttp(std::string body) : body_(std::move(body)) {}
  Result<net::HttpResponse> Send(const net::HttpRequest& request) override {
    last = request;
    return net::HttpResponse{200, {}, body_};
  }
  net::HttpRequest last;

 private:
  std::string body_;
};

class SqsClientTest : public ::testing::Test {
 protected:
  Result<SendMessageResult> SendWith(const std::string& answer) {
    http_ = std::make_unique<CannedHttp>(answer);
    transport_ = std::make_unique<AwsTransport>(
        SqsService(), TransportOptions{.endpoint = "http://h"}, *http_, *creds_, clock_, metrics_);
    SqsClient c(*transport_);
    return c.SendMessage({"http://h/000000000000/q", "hello"});
  }

  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<CredentialsProvider> creds_ = StaticCredentials({"a", "b", "", std::nullopt});
  std::unique_ptr<CannedHttp> http_;
  std::unique_ptr<AwsTransport> transport_;
};

TEST_F(SqsClientTest, SendsTheJsonProtocolAndChecksTheBodyMd5) {
  auto ok =
      SendWith(R"({"MessageId":"m-1","MD5OfMessageBody":"5d41402abc4b2a76b9719d911017c592"})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->message_id, "m-1");
  EXPECT_EQ(http_->last.headers.Get("X-Amz-Target"), "AmazonSQS.SendMessage");
  EXPECT_EQ(http_->last.headers.Get("Content-Type"), "application/x-amz-json-1.0");
  // A body damaged on the way is an error, as the SDKs treat it.
  EXPECT_EQ(SendWith(R"({"MessageId":"m-1","MD5OfMessageBody":"00"})").status().code(),
            StatusCode::kDataLoss);
}

TEST_F(SqsClientTest, WrongResponseShapesAreDataLossNotACrash) {
  for (const char* bad : {R"({"MessageId": 5})", R"([1,2])", R"({"MD5OfMessageBody": {}})", "nope"})
    EXPECT_EQ(SendWith(bad).status().code(), StatusCode::kDataLoss) << bad;
}

// A stop that arrives while the exchange is in flight: the HTTP client abandons it.
class StoppedMidway final : public net::HttpClient {
 public:
  explicit StoppedMidway(std::stop_source& stop) : stop_(stop) {}
  Result<net::HttpResponse> Send(const net::HttpRequest& request) override {
    stop_.request_stop();
    return request.stop.stop_requested() ? CancelledError("aborted by callback")
                                         : InternalError("the stop did not reach the request");
  }

 private:
  std::stop_source& stop_;
};

TEST_F(SqsClientTest, AStopEndsReceiveMessageWithNothingNotAnError) {
  std::stop_source stop;
  StoppedMidway http(stop);
  AwsTransport transport(SqsService(), TransportOptions{.endpoint = "http://h"}, http, *creds_,
                         clock_, metrics_);
  SqsClient c(transport);
  ReceiveMessageRequest req;
  req.queue_url = "http://h/000000000000/q";
  req.wait_time_seconds = 20;
  auto in_flight = c.ReceiveMessage(req, stop.get_token());
  ASSERT_TRUE(in_flight.ok()) << in_flight.status().ToString();
  EXPECT_TRUE(in_flight->empty());
  auto already = c.ReceiveMessage(req, stop.get_token());  // stopped before it is sent
  ASSERT_TRUE(already.ok()) << already.status().ToString();
  EXPECT_TRUE(already->empty());
  // Without a stop, a cancelled exchange is still an error.
  std::stop_source other;
  StoppedMidway unrelated(other);
  AwsTransport t2(SqsService(), TransportOptions{.endpoint = "http://h"}, unrelated, *creds_,
                  clock_, metrics_);
  EXPECT_FALSE(SqsClient(t2).ReceiveMessage(req).ok());
}

}  // namespace
}  // namespace steady::aws
