// Where AWS credentials come from, in the order the AWS SDKs search: environment variables,
// the shared credentials/config files (profiles), ECS container credentials, EC2 instance
// metadata (IMDSv2). Providers cache what they fetch and refresh before expiry.
//
// Thread safety: Get() may be called from any thread.
#pragma once

#include <memory>
#include <string>

#include "net/http.h"
#include "aws/sigv4.h"
#include "base/clock.h"
#include "base/env.h"
#include "base/status.h"

namespace steady::aws {

using net::HttpClient;
using net::HttpRequest;
using net::HttpResponse;

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // kNotFound when this source has no credentials (the chain moves on); other errors when the
  // source exists but failed (unreadable file, endpoint down).
  virtual Result<Credentials> Get() = 0;
  // Short name for logs: "environment", "profile:dev", "ecs-container", "imds".
  virtual std::string name() const = 0;
};

struct CredentialsOptions {
  // Profile to read; empty means $AWS_PROFILE, else "default".
  std::string profile;
  // Endpoints of the metadata services (overridable for tests).
  std::string ecs_host = "http://169.254.170.2";
  std::string imds_endpoint = "http://169.254.169.254";
  // Refresh this long before expiry.
  Duration refresh_before = std::chrono::minutes(5);
};

// The SDK default chain. `http` and `clock` must outlive the provider.
std::unique_ptr<CredentialsProvider> DefaultCredentialsChain(const Environment& env,
                                                             HttpClient& http, Clock& clock,
                                                             CredentialsOptions options = {});

// Fixed credentials (tests, the local region's defaults).
std::unique_ptr<CredentialsProvider> StaticCredentials(Credentials credentials);

}  // namespace steady::aws
