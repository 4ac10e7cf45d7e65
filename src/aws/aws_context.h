// How steady reaches AWS, wired once per process: one HTTP client, the credentials chain,
// region and endpoint resolution as the SDKs do it, one client-side rate limiter shared by
// every service (ECS's per-account buckets), and one AwsTransport per service.
//
// The embedded default: when steady.yaml names no AWS account (no `aws.endpoint`, no
// `aws.region`), no AWS_ENDPOINT_URL* variable is set and no credentials are visible without
// network (environment, shared files, ECS container variables), every service goes to the
// local region at http://127.0.0.1:4566 with fixed local credentials.
//
// Thread safety: Transport() may be called from any thread; transports are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "aws/aws_transport.h"
#include "aws/credentials.h"
#include "aws/rate_limiter.h"
#include "base/clock.h"
#include "base/env.h"
#include "base/metrics.h"
#include "net/http_client_curl.h"

namespace steady::aws {

inline constexpr char kLocalRegionEndpoint[] = "http://127.0.0.1:4566";

struct AwsSettings {
  std::string endpoint_url;  // explicit endpoint for every service (e.g. a local region)
  std::string region;        // explicit region
  std::string profile;       // shared-file profile
  // Fraction of ECS's per-account API rate this process may use (several daemons share one
  // account: give each its share). 0 disables the client-side ECS limits.
  double ecs_rate_share = 0.5;
  int max_attempts = 3;
};

class AwsContext {
 public:
  static Result<std::unique_ptr<AwsContext>> Create(AwsSettings settings, const Environment& env,
                                                    Clock& clock, MetricsRegistry& metrics);
  ~AwsContext();

  // The transport for `service` (created on first use).
  Result<AwsTransport*> Transport(const ServiceInfo& service);

  const std::string& region() const { return region_; }
  // True when this process talks to the embedded local region by default.
  bool local_default() const { return local_default_; }
  // Where it goes, for logs: "http://127.0.0.1:4566 (local region)" or "AWS us-east-1".
  std::string Describe() const;
  RateLimiter& limiter() { return limiter_; }
  net::HttpClient& http() { return *http_; }

 private:
  AwsContext(AwsSettings settings, const Environment& env, Clock& clock, MetricsRegistry& metrics);

  AwsSettings settings_;
  const Environment& env_;
  Clock& clock_;
  MetricsRegistry& metrics_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<CredentialsProvider> credentials_;
  RateLimiter limiter_;
  std::string region_;
  bool local_default_ = false;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<AwsTransport>> transports_;
};

// True when nothing names an AWS account: no endpoint variables, no credential variables,
// no credentials in the shared files. Looks at no network.
bool NoAwsAccountConfigured(const Environment& env, std::string_view profile);

}  // namespace steady::aws
