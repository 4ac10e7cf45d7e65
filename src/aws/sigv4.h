// AWS Signature Version 4: signing requests in headers, and presigned URLs.
// Verified against botocore's signer by tests/e2e/sigv4_botocore_test.py (generated requests,
// identical signatures).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "net/http.h"

namespace steady::aws {

using net::HttpClient;
using net::HttpRequest;
using net::HttpResponse;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;       // empty when none
  std::optional<Time> expiration;  // nullopt: does not expire
};

struct SigningParams {
  std::string region;   // "us-east-1"
  std::string service;  // signing name: "ecs", "s3", "sqs", "execute-api", ...
  Time time;            // the request's time (X-Amz-Date); sub-second parts are dropped
  // Send UNSIGNED-PAYLOAD instead of the body's SHA-256 as the payload hash. SignRequest then
  // also sends it as x-amz-content-sha256 (a service can't tell otherwise), whatever
  // content_sha256_header says; S3 callers set it for presigned URLs too.
  bool unsigned_payload = false;
  // Add the x-amz-content-sha256 header (S3 always wants it).
  bool content_sha256_header = false;
  // Normalize and double-encode the path (every service but S3).
  bool normalize_path = true;
};

// How steady canonicalizes (the reference is botocore 1.29's SigV4Auth/S3SigV4Auth and
// SigV4QueryAuth/S3SigV4QueryAuth; tests/e2e/sigv4_botocore_test.py holds the two together):
//
// - URL: an absolute http(s) URL as net::ParseUrl reads it; no #fragment, no user@ part.
// - Method: upper-cased.
// - Path: `request.url`'s path exactly as on the wire. With normalize_path, empty, "." and ".."
//   segments are removed first ("/a//./b/../c/" -> "/a/c/") and the result is UriEncode'd once
//   more with '/' kept, so an escape on the wire is signed double-encoded ("%20" -> "%2520").
//   Without it (S3) the wire path is signed as it is: callers must send keys encoded with
//   UriEncode(key, /*keep_slash=*/true), which is what S3 itself re-derives.
// - Query: split on '&' (empty pieces dropped) and the first '='; each name and value is
//   decoded and re-encoded with UriEncode ('+' is a literal plus, not a space); pairs sorted by
//   name, then value; X-Amz-Signature is never part of it. This is the spec's form and
//   botocore's for `params`. botocore signs a query given in the URL as it is (only sorted), so
//   the two agree whenever the URL's query is UriEncode'd, as steady's clients send it.
// - Headers: every header of the request except User-Agent, Expect, X-Amzn-Trace-Id (botocore's
//   list: proxies rewrite them) and Authorization, plus `host` derived from the URL if absent
//   (host lower-cased, IPv6 in brackets, port only if not the scheme's default). Names are
//   lower-cased; a name given several times (in any case) is signed once with its values
//   joined by ',' in request order. Values are trimmed and inner whitespace runs become one
//   space; whitespace means SP, HTAB, CR, LF, VT, FF. (botocore's str.split() also folds
//   \x1c-\x1f and Unicode spaces such as U+00A0; those never belong in a header value, and
//   steady leaves them alone.)
// - Payload hash: see unsigned_payload; otherwise an x-amz-content-sha256 header already on the
//   request is signed as given (a caller that hashed or streams the body itself), else the
//   SHA-256 of `request.body`.
// - Date: X-Amz-Date is always set. botocore switches to rewriting a Date header instead when
//   the request has one; steady leaves Date alone and signs it like any other header.

// Signs `request` in place: removes any Authorization, adds Host (if missing), sets
// X-Amz-Date, X-Amz-Security-Token (with a session token), x-amz-content-sha256 (when asked,
// see SigningParams) and then Authorization. Errors: kUnauthenticated for credentials without
// key id or secret, kInvalidArgument for an empty region/service or an unparsable URL.
//
// Thread safety: may be called from any number of threads at once. Derived signing keys are
// cached per thread (a few entries keyed by secret, day, region and service).
Status SignRequest(HttpRequest& request, const Credentials& credentials,
                   const SigningParams& params);

// Returns `request.url` with X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders,
// -Security-Token (with a session token) and -Signature appended to its query, in that order
// (X-Amz-* parameters of an earlier presigning are dropped). Signed headers are `host` plus the
// headers on `request` (usually none; e.g. Content-Type to pin it for an S3 PUT), filtered
// as in SignRequest; whoever uses the URL must send those. The payload hash is the value of an
// x-amz-content-sha256 header on `request` if there is one (as botocore), else
// UNSIGNED-PAYLOAD with unsigned_payload (S3), else the SHA-256 of the body (empty for a GET).
// The caller's query is kept as sent. `expires` is whole seconds (truncated), 1 s to 7 days;
// otherwise kInvalidArgument.
//
// Unlike botocore, repeated query names are all kept (botocore keeps the first), '+' in the
// query stays a plus (botocore reads it as a space) and an Authorization header on `request`
// is not signed.
Result<std::string> PresignUrl(const HttpRequest& request, const Credentials& credentials,
                               const SigningParams& params, Duration expires);

// The intermediate forms, for tests and for the region's signature verification.
struct SigV4Parts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;
  std::string signature;  // lower-case hex
};
// Signs `request` exactly as it is (no header is added or removed; every header on it is
// signed as described above, so a verifier first keeps only the names in SignedHeaders) with
// `payload_hash` as the payload hash.
Result<SigV4Parts> ComputeSignature(const HttpRequest& request, const Credentials& credentials,
                                    const SigningParams& params, std::string_view payload_hash);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Raw HMAC-SHA256.
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace steady::aws
