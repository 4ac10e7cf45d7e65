// Where AWS credentials come from, in the order the AWS SDKs search: environment variables,
// the shared credentials/config files (profiles), ECS container credentials, EC2 instance
// metadata (IMDSv2). Providers cache what they fetch and refresh before expiry.
//
// Errors: a provider returns kNotFound when its source has no credentials (the chain moves on);
// any other code means the source exists but failed (a malformed file, a profile naming a
// source steady does not support, an unreachable container endpoint) and stops the chain.
//
// Thread safety: Get() may be called from any thread. Providers keep references to the
// Environment, HttpClient and Clock they are given; those must outlive them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "base/clock.h"
#include "base/env.h"
#include "base/status.h"
#include "net/http.h"

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
  // The ECS agent's credentials endpoint, which $AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is
  // relative to.
  std::string ecs_host = "http://169.254.170.2";
  // The instance metadata service. Empty: $AWS_EC2_METADATA_SERVICE_ENDPOINT if set, else by
  // $AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: http://169.254.169.254 (IPv4, the default) or
  // http://[fd00:ec2::254] (IPv6). Non-empty (tests): used as is.
  std::string imds_endpoint;
  // Refresh this long before expiry.
  Duration refresh_before = std::chrono::minutes(5);
  // After a failed refresh while the cached credentials are still valid, wait this long before
  // trying again (the cached ones are served meanwhile).
  Duration refresh_retry = std::chrono::seconds(10);
  // Timeout of each request to the ECS or EC2 metadata endpoints: short, so that a machine
  // without them (a laptop) learns it quickly.
  Duration metadata_timeout = std::chrono::seconds(1);
  // Attempts per metadata request on a transport error or 5xx. IMDS's very first token
  // request is tried once whatever this says: no answer there means "not on EC2".
  int metadata_attempts = 2;
};

// The SDK default chain: EnvironmentCredentials, ProfileCredentials, ContainerCredentials,
// InstanceMetadataCredentials, in that order. Get() returns the first provider's credentials
// that has some, and remembers it (the next Get() asks it first). If none has credentials the
// error is kNotFound and lists what each provider said. `env`, `http` and `clock` must
// outlive the provider.
std::unique_ptr<CredentialsProvider> DefaultCredentialsChain(const Environment& env,
                                                             HttpClient& http, Clock& clock,
                                                             CredentialsOptions options = {});

// Tries `providers` in order, as DefaultCredentialsChain describes.
std::unique_ptr<CredentialsProvider> CredentialsChain(
    std::vector<std::unique_ptr<CredentialsProvider>> providers);

// $AWS_ACCESS_KEY_ID (or legacy $AWS_ACCESS_KEY), $AWS_SECRET_ACCESS_KEY (or $AWS_SECRET_KEY),
// $AWS_SESSION_TOKEN (or legacy $AWS_SECURITY_TOKEN), $AWS_CREDENTIAL_EXPIRATION (RFC 3339,
// optional). Empty values count as unset. kInvalidArgument when only one of the key pair is
// set, or the expiration does not parse.
std::unique_ptr<CredentialsProvider> EnvironmentCredentials(const Environment& env);

// aws_access_key_id, aws_secret_access_key and aws_session_token of the selected profile
// (SharedConfig: the credentials file's keys win over the config file's). The files are read
// on the first successful Get() and the credentials kept. kNotFound: the profile is "default"
// by fallback and absent, or it exists without keys (the message names it and its files).
// kInvalidArgument: a profile chosen by `profile` or $AWS_PROFILE that is in neither file, a
// malformed file, or only one key of the pair. kUnimplemented: the profile gets credentials
// some other way (role_arn, credential_process, sso_*, web_identity_token_file).
std::unique_ptr<CredentialsProvider> ProfileCredentials(const Environment& env,
                                                        std::string profile = "");

// Caching (ContainerCredentials, InstanceMetadataCredentials): fetched credentials are served
// until `refresh_before` ahead of their Expiration (halfway to it for credentials that live
// shorter than that); then one caller fetches while concurrent callers keep getting the cached
// ones, or, once those have expired, wait for that same fetch. A failing refresh while the
// cached credentials are still valid logs a warning and serves them, trying again after
// `refresh_retry`. Credentials that arrive already expired are an error (kUnavailable).

// ECS task credentials: GET ecs_host + $AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, else
// $AWS_CONTAINER_CREDENTIALS_FULL_URI (http only to loopback and the ECS/EKS link-local
// addresses; https anywhere), with "Authorization: <token>" from the file named by
// $AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read on every fetch) or from
// $AWS_CONTAINER_AUTHORIZATION_TOKEN. kNotFound when neither URI variable is set; otherwise
// failures are errors: the HttpClient's for transport failures, kUnavailable for 5xx,
// kUnauthenticated for 401/403, kInternal for an answer that is not the credentials JSON,
// kInvalidArgument for a disallowed full URI, kFailedPrecondition for an unreadable token file.
std::unique_ptr<CredentialsProvider> ContainerCredentials(const Environment& env, HttpClient& http,
                                                          Clock& clock,
                                                          const CredentialsOptions& options = {});

// EC2 instance role credentials over IMDSv2: PUT /latest/api/token (the token is cached for
// its TTL), GET /latest/meta-data/iam/security-credentials/ for the role name, then GET
// .../<role>. IMDSv1 is never used. kNotFound when $AWS_EC2_METADATA_DISABLED is "true", when
// the endpoint does not answer the first token request (not on EC2), or when the instance has
// no role; a retryable error (kUnavailable, kDeadlineExceeded) when it answered before and
// fails now.
std::unique_ptr<CredentialsProvider> InstanceMetadataCredentials(
    const Environment& env, HttpClient& http, Clock& clock, const CredentialsOptions& options = {});

// Fixed credentials (tests, the local region's defaults).
std::unique_ptr<CredentialsProvider> StaticCredentials(Credentials credentials);

}  // namespace steady::aws
