// Amazon S3 (restXml) over AwsTransport: the object and multipart calls steady's log pipeline
// needs, against AWS or any S3-compatible endpoint (the local region, s3rver, moto).
//
// Addressing: virtual-hosted (https://BUCKET.s3.REGION.amazonaws.com/KEY) for AWS endpoints
// and DNS-compatible bucket names, path-style (ENDPOINT/BUCKET/KEY) for every other endpoint,
// unless S3ClientOptions::addressing says otherwise. Keys are percent-encoded as S3 signs
// them: everything but A-Z a-z 0-9 - _ . ~ and '/'.
//
// Errors come from the transport (ErrorToStatus): NoSuchKey/NoSuchBucket/404 → kNotFound,
// 416 → kInvalidArgument, throttling → kThrottled, 5xx → kUnavailable after retries. A
// response the client cannot parse is kDataLoss; an S3 "200 with an <Error> body"
// (CompleteMultipartUpload) is decoded like any other S3 error.
//
// Thread safety: all calls may be made from many threads at once (the transport must allow
// that too, which AwsTransport does).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_transport.h"
#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

// The S3 entry for AwsTransport: service id "S3", signing name "s3", restXml.
ServiceInfo S3ServiceInfo();

enum class S3Addressing {
  kAuto,         // virtual-hosted for *.amazonaws.com endpoints when the bucket allows, else path
  kPath,         // ENDPOINT/BUCKET/KEY
  kVirtualHost,  // BUCKET.ENDPOINT-HOST/KEY
};

struct S3ClientOptions {
  S3Addressing addressing = S3Addressing::kAuto;
  // Send Content-MD5 with PutObject and UploadPart, so that S3 rejects a body damaged on the
  // way (BadDigest) instead of storing it.
  bool content_md5 = true;
  // Over https, sign object bodies as UNSIGNED-PAYLOAD instead of hashing them with SHA-256
  // (TLS and Content-MD5 already protect them; the hash would cost a pass over every byte).
  bool unsigned_payload_over_tls = true;
  // Client-side rate-limiter group for every call ("" for none).
  std::string limiter_group;
};

struct PutObjectRequest {
  std::string bucket;
  std::string key;
  std::string body;
  std::string content_type;                     // "" → not sent (S3 stores binary/octet-stream)
  std::string content_encoding;                 // e.g. "gzip"; "" → not sent
  std::map<std::string, std::string> metadata;  // x-amz-meta-<name>
};

struct PutObjectOutput {
  std::string etag;  // without quotes
  std::string version_id;
};

// An HTTP byte range: bytes=first-last (inclusive), or bytes=first- when `last` is unset.
struct ByteRange {
  uint64_t first = 0;
  std::optional<uint64_t> last;
};

struct GetObjectRequest {
  std::string bucket;
  std::string key;
  std::optional<ByteRange> range;
};

struct GetObjectOutput {
  std::string body;
  std::string etag;  // without quotes
  Time last_modified{};
  std::string content_type;
  std::string content_encoding;
  std::string content_range;  // "bytes 0-9/100" for a ranged read, else ""
  // Size of the whole object (from Content-Range for a ranged read, else the body's size).
  uint64_t object_size = 0;
  std::map<std::string, std::string> metadata;
};

struct HeadObjectOutput {
  uint64_t content_length = 0;
  std::string etag;  // without quotes
  Time last_modified{};
  std::string content_type;
  std::string content_encoding;
  std::map<std::string, std::string> metadata;
};

struct ListObjectsV2Request {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string continuation_token;
  std::string start_after;
  int max_keys = 0;  // 0: the server's default (1000)
  // Ask S3 to percent-encode keys in the response (then decoded here), so that keys with
  // characters XML 1.0 cannot carry survive. Off by default: some S3-compatible servers
  // ignore it, which is harmless, but a few mangle it.
  bool encoding_type_url = false;
};

struct S3Object {
  std::string key;
  Time last_modified{};
  std::string etag;  // without quotes
  uint64_t size = 0;
  std::string storage_class;
};

struct ListObjectsV2Output {
  std::vector<S3Object> contents;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_continuation_token;
  int key_count = 0;
};

struct DeleteObjectsOutput {
  struct Error {
    std::string key;
    std::string code;
    std::string message;
  };
  std::vector<std::string> deleted;  // only when not quiet
  std::vector<Error> errors;
};

struct CompletedPart {
  int part_number = 0;
  std::string etag;  // as UploadPart returned it (quotes optional)
};

struct CompleteMultipartUploadOutput {
  std::string etag;  // without quotes ("<md5-of-md5s>-<parts>")
  std::string location;
};

class S3Client {
 public:
  // S3 caps DeleteObjects at this many keys per request.
  static constexpr size_t kMaxDeleteKeys = 1000;
  // And multipart uploads at these part numbers and sizes (the last part may be smaller).
  static constexpr int kMaxParts = 10000;
  static constexpr uint64_t kMinPartSize = 5ull << 20;

  // `transport` must be built with S3ServiceInfo() and outlive the client.
  explicit S3Client(AwsTransport& transport, S3ClientOptions options = {});

  // Creates the bucket (with a LocationConstraint outside us-east-1). kAlreadyExists if it
  // exists (BucketAlreadyOwnedByYou included: callers that only want it to exist check for
  // that code).
  Status CreateBucket(std::string_view bucket);

  Result<PutObjectOutput> PutObject(PutObjectRequest request);
  Result<GetObjectOutput> GetObject(const GetObjectRequest& request);
  Result<HeadObjectOutput> HeadObject(std::string_view bucket, std::string_view key);
  Result<ListObjectsV2Output> ListObjectsV2(const ListObjectsV2Request& request);
  Status DeleteObject(std::string_view bucket, std::string_view key);
  // Deletes up to kMaxDeleteKeys keys in one request (kInvalidArgument for more, or none).
  // Per-key failures come back in the output, not as an error.
  Result<DeleteObjectsOutput> DeleteObjects(std::string_view bucket,
                                            std::span<const std::string> keys, bool quiet = true);

  // Returns the upload id.
  Result<std::string> CreateMultipartUpload(std::string_view bucket, std::string_view key,
                                            std::string_view content_type = "");
  // Returns the part's ETag (with the quotes S3 sent, ready for CompleteMultipartUpload).
  Result<std::string> UploadPart(std::string_view bucket, std::string_view key,
                                 std::string_view upload_id, int part_number, std::string body);
  Result<CompleteMultipartUploadOutput> CompleteMultipartUpload(
      std::string_view bucket, std::string_view key, std::string_view upload_id,
      std::span<const CompletedPart> parts);
  Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                              std::string_view upload_id);

  // The request target for an object (or the bucket, with an empty key): a path relative to
  // the endpoint for path-style, an absolute URL for virtual-hosted. Exposed for tests.
  std::string ObjectUrl(std::string_view bucket, std::string_view key,
                        std::string_view query = "") const;
  bool UsesVirtualHost(std::string_view bucket) const;

 private:
  Result<net::HttpResponse> Send(std::string_view operation, net::HttpRequest request,
                                 bool body_is_payload = false);

  AwsTransport& transport_;
  S3ClientOptions options_;
  bool endpoint_is_aws_ = false;
  bool endpoint_is_https_ = false;
};

// --- wire format pieces, exposed for tests and fuzzing ---

// Base64 of the body's MD5 digest (the Content-MD5 header).
std::string ContentMd5(std::string_view body);
// The DeleteObjects request body.
std::string DeleteObjectsXml(std::span<const std::string> keys, bool quiet);
// The CompleteMultipartUpload request body (parts in the given order).
std::string CompleteMultipartUploadXml(std::span<const CompletedPart> parts);
// Response parsers: kDataLoss for malformed XML or a document of another shape.
Result<ListObjectsV2Output> ParseListObjectsV2(std::string_view xml);
Result<DeleteObjectsOutput> ParseDeleteObjectsResult(std::string_view xml);
Result<std::string> ParseInitiateMultipartUpload(std::string_view xml);
// kOk with the output, or the S3 error that a 200 response carried.
Result<CompleteMultipartUploadOutput> ParseCompleteMultipartUpload(std::string_view xml);
// "\"abc\"" → "abc".
std::string StripEtagQuotes(std::string_view etag);

}  // namespace steady::aws
