// AWS Signature Version 4: signing requests in headers, and presigned URLs.
// Verified against botocore's signer by tests/e2e/sigv4_botocore_test.py (generated requests,
// identical signatures).
#pragma once

#include <optional>
#include <string>

#include "net/http.h"
#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

using net::HttpClient;
using net::HttpRequest;
using net::HttpResponse;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;      // empty when none
  std::optional<Time> expiration;  // nullopt: does not expire
};

struct SigningParams {
  std::string region;   // "us-east-1"
  std::string service;  // signing name: "ecs", "s3", "sqs", "execute-api", ...
  Time time;            // the request's time (X-Amz-Date)
  // Send UNSIGNED-PAYLOAD instead of the body's SHA-256 as the payload hash.
  bool unsigned_payload = false;
  // Add the x-amz-content-sha256 header (S3 always wants it).
  bool content_sha256_header = false;
  // Normalize and double-encode the path (every service but S3).
  bool normalize_path = true;
};

// Adds Host (if missing), X-Amz-Date, X-Amz-Security-Token (with a session token),
// x-amz-content-sha256 (when asked) and Authorization to `request`.
Status SignRequest(HttpRequest& request, const Credentials& credentials,
                   const SigningParams& params);

// Returns the URL with X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
// -Security-Token and -Signature query parameters. Only the host header is signed.
Result<std::string> PresignUrl(const HttpRequest& request, const Credentials& credentials,
                               const SigningParams& params, Duration expires);

// The intermediate forms, for tests and for the region's signature verification.
struct SigV4Parts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;
  std::string signature;
};
Result<SigV4Parts> ComputeSignature(const HttpRequest& request, const Credentials& credentials,
                                    const SigningParams& params, std::string_view payload_hash);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Raw HMAC-SHA256.
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace steady::aws
