#include "aws/aws_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "aws/protocol_json.h"
#include "aws/rate_limiter.h"
#include "base/time_format.h"

namespace steady::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// An HttpClient that answers from a script and records what it was sent, and when.
class ScriptedHttp : public net::HttpClient {
 public:
  explicit ScriptedHttp(Clock& clock) : clock_(clock) {}

  void Push(Result<net::HttpResponse> r) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(r));
  }
  void PushStatus(int status, std::string body = "",
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    net::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    for (auto& [k, v] : headers) r.headers.Add(k, v);
    Push(std::move(r));
  }

  Result<net::HttpResponse> Send(const net::HttpRequest& request) override {
    std::lock_guard lock(mu_);
    sent_.push_back(request);
    times_.push_back(clock_.Now());
    cv_.notify_all();
    if (script_.empty()) return InternalError("script exhausted");
    Result<net::HttpResponse> r = std::move(script_.front());
    script_.pop_front();
    return r;
  }

  void AwaitCalls(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return sent_.size() >= n; });
  }
  std::vector<net::HttpRequest> sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }
  std::vector<Time> times() {
    std::lock_guard lock(mu_);
    return times_;
  }

 private:
  Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Result<net::HttpResponse>> script_;
  std::vector<net::HttpRequest> sent_;
  std::vector<Time> times_;
};

class FakeCredentials : public CredentialsProvider {
 public:
  Result<Credentials> Get() override {
    ++calls;
    if (!error.ok()) return error;
    return creds;
  }
  std::string name() const override { return "fake"; }

  Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt};
  Status error;
  std::atomic<int> calls{0};
};

class AwsTransportTest : public ::testing::Test {
 protected:
  AwsTransportTest() : http_(clock_) {}

  std::unique_ptr<AwsTransport> Make(ServiceInfo service = Ecs(), TransportOptions options = {},
                                     RateLimiter* limiter = nullptr) {
    if (options.endpoint.empty()) options.endpoint = "http://127.0.0.1:4566";
    if (options.seed == 0) options.seed = 99;
    return std::make_unique<AwsTransport>(std::move(service), std::move(options), http_, creds_,
                                          clock_, metrics_, limiter);
  }

  static ServiceInfo Ecs() { return {"ECS", "ecs", "ecs", Protocol::kJson11}; }
  static ServiceInfo S3() { return {"S3", "s3", "s3", Protocol::kRestXml}; }

  static net::HttpRequest DescribeServices() {
    return JsonRpcRequest(Protocol::kJson11, "AmazonEC2ContainerServiceV20141113",
                          "DescribeServices", {{"cluster", "prod"}});
  }

  double CounterValue(const std::string& name, const std::vector<std::string>& labels) {
    return metrics_.AddCounter(name, "", {}).With(labels).value();
  }
  uint64_t HistogramCount(const std::vector<std::string>& labels) {
    return metrics_.AddHistogram("steady_aws_request_seconds", "", {}).With(labels).count();
  }

  // Lets the transport's backoff sleeps pass: waits until attempt `n` was sent and the
  // transport sleeps again, then moves the clock by `d`.
  void AdvanceAfterAttempt(size_t n, Duration d) {
    http_.AwaitCalls(n);
    clock_.AwaitSleepers(1);
    clock_.Advance(d);
  }

  ManualClock clock_;
  ScriptedHttp http_;
  FakeCredentials creds_;
  MetricsRegistry metrics_;
};

const char kThrottle[] = R"({"__type":"ThrottlingException","message":"Rate exceeded"})";

TEST_F(AwsTransportTest, RetriesThrottleServerErrorAndResetThenSucceeds) {
  TransportOptions options;
  options.max_attempts = 4;
  auto transport = Make(Ecs(), options);
  http_.PushStatus(400, kThrottle, {{"x-amzn-RequestId", "r1"}});
  http_.PushStatus(503, "");
  http_.Push(UnavailableError("connection reset by peer"));
  http_.PushStatus(200, R"({"services":[]})");

  Result<net::HttpResponse> result = InternalError("not run");
  std::thread caller([&] { result = transport->Send("DescribeServices", DescribeServices()); });
  // Each backoff is below its ceiling (1 s, 2 s, 4 s): advancing by the ceiling always wakes it.
  AdvanceAfterAttempt(1, seconds(1));
  AdvanceAfterAttempt(2, seconds(2));
  AdvanceAfterAttempt(3, seconds(4));
  caller.join();

  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, R"({"services":[]})");

  std::vector<net::HttpRequest> sent = http_.sent();
  std::vector<Time> times = http_.times();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(creds_.calls, 4);
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].url, "http://127.0.0.1:4566/");
    EXPECT_EQ(sent[i].method, "POST");
    EXPECT_EQ(sent[i].headers.Get("X-Amz-Target"),
              "AmazonEC2ContainerServiceV20141113.DescribeServices");
    EXPECT_EQ(sent[i].headers.Get("Host"), "127.0.0.1:4566");
    EXPECT_THAT(sent[i].headers.Get("Authorization"),
                StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    EXPECT_THAT(sent[i].headers.Get("Authorization"), HasSubstr("/us-east-1/ecs/aws4_request"));
    // Re-signed at the time of each attempt.
    EXPECT_EQ(sent[i].headers.Get("X-Amz-Date"), FormatAmzDate(times[i]));
    EXPECT_FALSE(sent[i].headers.Has("X-Amz-Content-SHA256"));
    if (i > 0) {
      EXPECT_GT(times[i], times[i - 1]);
      EXPECT_NE(sent[i].headers.Get("Authorization"), sent[i - 1].headers.Get("Authorization"));
    }
  }
  // Exactly one Authorization header per attempt, not one more per retry.
  int auth_headers = 0;
  for (const auto& [k, v] : sent[3].headers)
    if (net::EqualsIgnoreCase(k, "Authorization")) ++auth_headers;
  EXPECT_EQ(auth_headers, 1);

  const std::vector<std::string> op = {"ecs", "DescribeServices"};
  EXPECT_EQ(CounterValue("steady_aws_retries_total", {"ecs", "DescribeServices", "throttled"}), 1);
  EXPECT_EQ(CounterValue("steady_aws_retries_total", {"ecs", "DescribeServices", "transient"}), 1);
  EXPECT_EQ(CounterValue("steady_aws_retries_total", {"ecs", "DescribeServices", "connection"}), 1);
  EXPECT_EQ(CounterValue("steady_aws_throttles_total", op), 1);
  EXPECT_EQ(CounterValue("steady_aws_requests_total", {"ecs", "DescribeServices", "success"}), 1);
  EXPECT_EQ(HistogramCount(op), 1u);
  // Three retries at 5 each, then the success refunds the last retry's 5.
  EXPECT_EQ(transport->retry_quota_available(), 490);
  std::string rendered = metrics_.Render();
  EXPECT_THAT(rendered, HasSubstr("steady_aws_request_seconds_count{service=\"ecs\","
                                  "operation=\"DescribeServices\"} 1"));
}

TEST_F(AwsTransportTest, ClientErrorIsNotRetried) {
  auto transport = Make();
  http_.PushStatus(400, R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})",
                   {{"x-amzn-RequestId", "rid"}});
  Result<net::HttpResponse> r = transport->Send("DescribeServices", DescribeServices());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AwsErrorCode(r.status()), "ClusterNotFoundException");
  EXPECT_THAT(r.status().message(), HasSubstr("Cluster not found."));
  EXPECT_EQ(http_.sent().size(), 1u);
  EXPECT_EQ(CounterValue("steady_aws_requests_total", {"ecs", "DescribeServices", "client_error"}),
            1);
  EXPECT_EQ(transport->retry_quota_available(), 500);
}

TEST_F(AwsTransportTest, ThrottledUntilAttemptsRunOut) {
  auto transport = Make();
  for (int i = 0; i < 3; ++i) http_.PushStatus(400, kThrottle);
  Result<net::HttpResponse> r = InternalError("not run");
  std::thread caller([&] { r = transport->Send("RunTask", DescribeServices()); });
  AdvanceAfterAttempt(1, seconds(1));
  AdvanceAfterAttempt(2, seconds(2));
  caller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kThrottled);
  EXPECT_EQ(AwsErrorCode(r.status()), "ThrottlingException");
  EXPECT_EQ(http_.sent().size(), 3u);
  EXPECT_EQ(CounterValue("steady_aws_throttles_total", {"ecs", "RunTask"}), 3);
  EXPECT_EQ(CounterValue("steady_aws_retries_total", {"ecs", "RunTask", "throttled"}), 2);
  EXPECT_EQ(CounterValue("steady_aws_requests_total", {"ecs", "RunTask", "throttled"}), 1);
  EXPECT_EQ(transport->retry_quota_available(), 490);
}

TEST_F(AwsTransportTest, ServerErrorsExhaustedGiveUnavailable) {
  auto transport = Make();
  for (int i = 0; i < 3; ++i) http_.PushStatus(500, "<html>oops</html>");
  Result<net::HttpResponse> r = InternalError("not run");
  std::thread caller([&] { r = transport->Send("ListTasks", DescribeServices()); });
  AdvanceAfterAttempt(1, seconds(1));
  AdvanceAfterAttempt(2, seconds(2));
  caller.join();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(AwsErrorCode(r.status()), "Http500");
  EXPECT_EQ(CounterValue("steady_aws_requests_total", {"ecs", "ListTasks", "server_error"}), 1);
}

TEST_F(AwsTransportTest, TimeoutsRetryOnlyWhenAllowed) {
  auto transport = Make();
  http_.Push(DeadlineExceededError("read timed out"));
  SendOptions no_timeout_retry;
  no_timeout_retry.retry_timeouts = false;
  Result<net::HttpResponse> r = transport->Send("RunTask", DescribeServices(), no_timeout_retry);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(), HasSubstr("RunTask"));
  EXPECT_EQ(http_.sent().size(), 1u);
  EXPECT_EQ(CounterValue("steady_aws_requests_total", {"ecs", "RunTask", "transport_error"}), 1);

  http_.Push(DeadlineExceededError("read timed out"));
  http_.PushStatus(200, "{}");
  std::thread caller([&] { r = transport->Send("RunTask", DescribeServices()); });
  AdvanceAfterAttempt(2, seconds(1));
  caller.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(CounterValue("steady_aws_retries_total", {"ecs", "RunTask", "timeout"}), 1);
  // A timeout retry costs 10, refunded by the success.
  EXPECT_EQ(transport->retry_quota_available(), 500);
}

TEST_F(AwsTransportTest, QuotaExhaustionStopsRetrying) {
  TransportOptions options;
  options.retry_quota = 7;
  options.max_attempts = 10;
  auto transport = Make(Ecs(), options);
  for (int i = 0; i < 3; ++i) http_.PushStatus(503, "");
  Result<net::HttpResponse> r = InternalError("not run");
  std::thread caller([&] { r = transport->Send("ListTasks", DescribeServices()); });
  AdvanceAfterAttempt(1, seconds(1));
  caller.join();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(http_.sent().size(), 2u);  // one retry (5 of 7), then nothing left for another
  EXPECT_EQ(transport->retry_quota_available(), 2);
}

TEST_F(AwsTransportTest, StopDuringBackoffCancels) {
  auto transport = Make();
  http_.PushStatus(503, "");
  std::stop_source stop;
  SendOptions send;
  send.stop = stop.get_token();
  Result<net::HttpResponse> r = InternalError("not run");
  std::thread caller([&] { r = transport->Send("ListTasks", DescribeServices(), send); });
  http_.AwaitCalls(1);
  clock_.AwaitSleepers(1);
  stop.request_stop();
  caller.join();
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  ASSERT_EQ(http_.sent().size(), 1u);
  // The exchange itself carries the stop, so a stop also ends a request in flight.
  EXPECT_TRUE(http_.sent()[0].stop.stop_requested());
  EXPECT_EQ(CounterValue("steady_aws_requests_total", {"ecs", "ListTasks", "cancelled"}), 1);

  // Already stopped: nothing is sent.
  Result<net::HttpResponse> again = transport->Send("ListTasks", DescribeServices(), send);
  EXPECT_EQ(again.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(http_.sent().size(), 1u);
}

TEST_F(AwsTransportTest, RateLimiterSpacesCalls) {
  RateLimiter limiter(clock_);
  limiter.SetGroup("ecs:run", {1, 2});
  auto transport = Make(Ecs(), {}, &limiter);
  http_.PushStatus(200, "{}");
  http_.PushStatus(200, "{}");
  SendOptions send;
  send.limiter_group = "ecs:run";
  ASSERT_TRUE(transport->Send("RunTask", DescribeServices(), send).ok());
  Time first = clock_.Now();
  Result<net::HttpResponse> r = InternalError("not run");
  std::thread caller([&] { r = transport->Send("RunTask", DescribeServices(), send); });
  clock_.AwaitSleepers(1);
  EXPECT_EQ(http_.sent().size(), 1u);
  clock_.Advance(milliseconds(500));
  caller.join();
  ASSERT_TRUE(r.ok());
  std::vector<Time> times = http_.times();
  ASSERT_EQ(times.size(), 2u);
  EXPECT_EQ(times[1] - first, milliseconds(500));
}

TEST_F(AwsTransportTest, StopWhileRateLimited) {
  RateLimiter limiter(clock_);
  limiter.SetGroup("g", {1, 1});
  ASSERT_TRUE(limiter.TryAcquire("g"));
  auto transport = Make(Ecs(), {}, &limiter);
  std::stop_source stop;
  SendOptions send;
  send.limiter_group = "g";
  send.stop = stop.get_token();
  Result<net::HttpResponse> r = InternalError("not run");
  std::thread caller([&] { r = transport->Send("RunTask", DescribeServices(), send); });
  clock_.AwaitSleepers(1);
  stop.request_stop();
  caller.join();
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_TRUE(http_.sent().empty());
}

TEST_F(AwsTransportTest, S3SigningFlagsAndUrlJoin) {
  TransportOptions options;
  options.endpoint = "http://127.0.0.1:9000/";
  auto transport = Make(S3(), options);
  http_.PushStatus(200, "");
  http_.PushStatus(200, "");
  net::HttpRequest put;
  put.method = "PUT";
  put.url = "/bucket/a//b/../c%20d?x-id=PutObject";
  put.body = "hello";
  ASSERT_TRUE(transport->Send("PutObject", put).ok());
  SendOptions unsigned_payload;
  unsigned_payload.unsigned_payload = true;
  ASSERT_TRUE(transport->Send("PutObject", put, unsigned_payload).ok());
  std::vector<net::HttpRequest> sent = http_.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].url, "http://127.0.0.1:9000/bucket/a//b/../c%20d?x-id=PutObject");
  EXPECT_EQ(sent[0].headers.Get("X-Amz-Content-SHA256"), Sha256Hex("hello"));
  EXPECT_THAT(sent[0].headers.Get("Authorization"), HasSubstr("/us-east-1/s3/aws4_request"));
  EXPECT_THAT(sent[0].headers.Get("Authorization"), HasSubstr("x-amz-content-sha256"));
  EXPECT_EQ(sent[1].headers.Get("X-Amz-Content-SHA256"), "UNSIGNED-PAYLOAD");

  // S3 signs the path as sent (no normalization); other services normalize. The signatures
  // therefore differ from what a normalizing signer computes for the same request.
  net::HttpRequest check = put;
  check.url = sent[0].url;
  check.headers = sent[0].headers;
  check.headers.Remove("Authorization");
  SigningParams params;
  params.region = "us-east-1";
  params.service = "s3";
  params.time = clock_.Now();
  params.content_sha256_header = true;
  params.normalize_path = false;
  Result<SigV4Parts> s3_parts = ComputeSignature(check, creds_.creds, params, Sha256Hex("hello"));
  ASSERT_TRUE(s3_parts.ok());
  EXPECT_THAT(sent[0].headers.Get("Authorization"), HasSubstr(s3_parts->signature));
  params.normalize_path = true;
  Result<SigV4Parts> normalized = ComputeSignature(check, creds_.creds, params, Sha256Hex("hello"));
  ASSERT_TRUE(normalized.ok());
  EXPECT_NE(normalized->signature, s3_parts->signature);
}

TEST_F(AwsTransportTest, AbsoluteUrlsAndDefaultEndpoint) {
  TransportOptions options;
  options.endpoint = "";
  options.region = "us-west-2";
  auto direct = std::make_unique<AwsTransport>(Ecs(), options, http_, creds_, clock_, metrics_);
  EXPECT_EQ(direct->options().endpoint, "https://ecs.us-west-2.amazonaws.com");
  http_.PushStatus(200, "{}");
  http_.PushStatus(200, "{}");
  ASSERT_TRUE(direct->Send("ListClusters", DescribeServices()).ok());
  net::HttpRequest absolute = DescribeServices();
  absolute.url = "http://127.0.0.1:5000/000000000000/queue";
  ASSERT_TRUE(direct->Send("ListClusters", absolute).ok());
  EXPECT_EQ(http_.sent()[0].url, "https://ecs.us-west-2.amazonaws.com/");
  EXPECT_EQ(http_.sent()[1].url, "http://127.0.0.1:5000/000000000000/queue");
  EXPECT_EQ(http_.sent()[1].headers.Get("Host"), "127.0.0.1:5000");
}

TEST_F(AwsTransportTest, SessionTokenIsSent) {
  creds_.creds.session_token = "session-token";
  auto transport = Make();
  http_.PushStatus(200, "{}");
  ASSERT_TRUE(transport->Send("ListClusters", DescribeServices()).ok());
  EXPECT_EQ(http_.sent()[0].headers.Get("X-Amz-Security-Token"), "session-token");
  EXPECT_THAT(http_.sent()[0].headers.Get("Authorization"), HasSubstr("x-amz-security-token"));
}

TEST_F(AwsTransportTest, CredentialFailureIsReturnedWithoutSending) {
  creds_.error = NotFoundError("no credentials in the chain");
  auto transport = Make();
  Result<net::HttpResponse> r = transport->Send("ListClusters", DescribeServices());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("fake"));
  EXPECT_TRUE(http_.sent().empty());
  EXPECT_EQ(CounterValue("steady_aws_requests_total", {"ecs", "ListClusters", "credentials_error"}),
            1);
}

TEST_F(AwsTransportTest, QueryProtocolErrorsDecode) {
  ServiceInfo elb{"Elastic Load Balancing v2", "elasticloadbalancing", "elasticloadbalancing",
                  Protocol::kQuery};
  auto transport = Make(elb);
  http_.PushStatus(400,
                   "<ErrorResponse><Error><Type>Sender</Type><Code>TargetGroupNotFound</Code>"
                   "<Message>nope</Message></Error><RequestId>x</RequestId></ErrorResponse>");
  net::HttpRequest req;
  req.method = "POST";
  req.url = "/";
  Result<net::HttpResponse> r = transport->Send("DescribeTargetHealth", req);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AwsErrorCode(r.status()), "TargetGroupNotFound");
  EXPECT_EQ(CounterValue("steady_aws_requests_total",
                         {"elastic_load_balancing_v2", "DescribeTargetHealth", "client_error"}),
            1);
}

TEST_F(AwsTransportTest, ConcurrentSendsShareTheQuota) {
  auto transport = Make();
  for (int i = 0; i < 64; ++i) http_.PushStatus(200, "{}");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 16; ++i)
        if (transport->Send("ListClusters", DescribeServices()).ok()) ok.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 64);
  EXPECT_EQ(CounterValue("steady_aws_requests_total", {"ecs", "ListClusters", "success"}), 64);
}

}  // namespace
}  // namespace steady::aws
