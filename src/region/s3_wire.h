// The S3 request decoders of the local region, apart from the HTTP plumbing so that they can be
// tested and fuzzed on bytes: aws-chunked bodies, flexible checksums, virtual-host addressing
// and the XML documents clients send (DeleteObjects, CompleteMultipartUpload,
// NotificationConfiguration, CreateBucketConfiguration).
//
// Every decoder returns S3's error for malformed input (ServiceError codes: MalformedXML,
// IncompleteBody, InvalidArgument, BadDigest, InvalidDigest) and never throws.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "region/s3_model.h"

namespace steady::region {

// An aws-chunked body (Content-Encoding: aws-chunked, x-amz-content-sha256: STREAMING-...):
//
//   <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n
//   [<trailer name>:<value>\r\n]* \r\n
//
// Returns the data and the trailers (names lower-cased; x-amz-trailer-signature included).
// IncompleteBody for a truncated or malformed framing.
struct AwsChunkedBody {
  std::string data;
  std::vector<std::pair<std::string, std::string>> trailers;
};
Result<AwsChunkedBody> DecodeAwsChunked(std::string_view body);

// Checks a flexible checksum header or trailer ("x-amz-checksum-crc32" and its base64 value)
// against `data`. OK for algorithms this region does not compute (crc64nvme); BadDigest on
// mismatch; InvalidRequest for a value that is not base64 of the right length.
Status VerifyChecksum(std::string_view name, std::string_view value, std::string_view data);
// Checks a Content-MD5 header: InvalidDigest if it is not base64 of 16 bytes, BadDigest if it
// does not match `data`.
Status VerifyContentMd5(std::string_view value, std::string_view data);
// Base64 of the big-endian CRC-32C (Castagnoli) of `data`, as x-amz-checksum-crc32c carries it.
std::string Crc32cBase64(std::string_view data);

// The bucket named by a virtual-hosted Host header ("logs.localhost:4566",
// "logs.s3.us-east-1.amazonaws.com", "logs.s3.anything"), or "" for path-style hosts
// (an IP address, "localhost", "s3.amazonaws.com").
std::string VirtualHostBucket(std::string_view host);

// <Delete><Quiet/><Object><Key/></Object>...</Delete>.
struct DeleteRequest {
  bool quiet = false;
  std::vector<std::string> keys;
};
Result<DeleteRequest> ParseDeleteRequest(std::string_view xml);

// <CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>...</CompleteMultipartUpload>.
Result<std::vector<std::pair<int, std::string>>> ParseCompleteMultipartUpload(std::string_view xml);

// <NotificationConfiguration> with QueueConfiguration elements (new and legacy forms).
// Topic and Lambda destinations are refused (InvalidArgument: this region delivers to SQS
// only), EventBridgeConfiguration too (NotImplemented).
Result<std::vector<S3QueueNotification>> ParseNotificationConfiguration(std::string_view xml);
std::string NotificationConfigurationXml(const std::vector<S3QueueNotification>& queues);

// <CreateBucketConfiguration><LocationConstraint/></...>: the location ("" if none or no body).
Result<std::string> ParseCreateBucketConfiguration(std::string_view xml);

}  // namespace steady::region
