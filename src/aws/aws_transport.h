// The core every AWS service client sends through: endpoint, SigV4 signing with the
// credentials chain, the SDKs' standard retry mode with a retry quota, a client-side
// token-bucket limiter per operation group, error decoding, and counters for every call,
// retry and throttle. Service clients (S3, SQS, ECS, ...) build protocol-shaped requests and
// hand them here.
//
// Metrics (families in the MetricsRegistry given; `service` is the lower-cased service_id):
//   steady_aws_requests_total{service,operation,outcome}  one per Send; outcome is success,
//       throttled, server_error, client_error, transport_error, credentials_error, cancelled
//       or error
//   steady_aws_retries_total{service,operation,reason}    one per retried attempt; reason is
//       throttled, transient, connection or timeout
//   steady_aws_throttles_total{service,operation}         one per attempt answered with a
//       throttling error (retried or not)
//   steady_aws_request_seconds{service,operation}         per Send, retries and waits included
//
// Thread safety: Send may be called from many threads at once.
#pragma once

#include <memory>
#include <stop_token>
#include <string>

#include "aws/aws_error.h"
#include "aws/credentials.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "net/http.h"

namespace steady::aws {

class RateLimiter;  // aws/rate_limiter.h

struct ServiceInfo {
  std::string service_id;       // as in AWS_ENDPOINT_URL_<SERVICE_ID>, e.g. "S3", "ECS", "SQS"
  std::string signing_name;     // SigV4 service: "s3", "ecs", "sqs", "ec2", "autoscaling", ...
  std::string endpoint_prefix;  // host prefix: "s3", "ecs", "sqs", ...
  Protocol protocol = Protocol::kJson11;
};

struct TransportOptions {
  std::string region = "us-east-1";
  std::string endpoint;  // resolved base URL, e.g. "http://127.0.0.1:4566" (aws/endpoints.h)
  int max_attempts = 3;  // standard mode default
  Duration max_backoff = std::chrono::seconds(20);
  int retry_quota = 500;
  uint64_t seed = 0;  // jitter; 0 = from entropy
};

struct SendOptions {
  // Rate-limiter group ("ecs:run" ...); empty: no client-side limit.
  std::string limiter_group;
  // Sign UNSIGNED-PAYLOAD (S3 streaming uploads over TLS).
  bool unsigned_payload = false;
  // Operation is safe to retry after a timeout on a non-idempotent call (most AWS calls are).
  bool retry_timeouts = true;
  std::stop_token stop;
};

class AwsTransport {
 public:
  AwsTransport(ServiceInfo service, TransportOptions options, net::HttpClient& http,
               CredentialsProvider& credentials, Clock& clock, MetricsRegistry& metrics,
               RateLimiter* limiter = nullptr);
  ~AwsTransport();

  // `request.url` holds the path and query relative to the endpoint ("/bucket/key?x=1");
  // the transport makes it absolute, signs and sends it. Returns the 2xx response, or the
  // decoded AWS error as a Status (ErrorToStatus) after retries. A transport failure keeps the
  // HttpClient's code (kUnavailable, kDeadlineExceeded); credential failures keep the
  // provider's; kCancelled when `options.stop` is requested while waiting (rate limiter or
  // backoff) or before an attempt. An empty TransportOptions::endpoint means the public AWS
  // endpoint https://<endpoint_prefix>.<region>.amazonaws.com.
  Result<net::HttpResponse> Send(std::string_view operation, net::HttpRequest request,
                                 const SendOptions& options = {});

  const ServiceInfo& service() const;
  const TransportOptions& options() const;
  // Units left in the retry quota (aws/retry.h), for tests and diagnostics.
  int retry_quota_available() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace steady::aws
