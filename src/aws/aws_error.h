// AWS errors on the wire and what they mean to a caller: decoding each protocol's error
// shape, classifying it (throttling, transient, other) and mapping it to a Status code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "net/http.h"

namespace steady::aws {

// The wire protocols of the botocore service models.
enum class Protocol { kJson10, kJson11, kQuery, kEc2Query, kRestXml, kRestJson };
std::string_view ProtocolName(Protocol p);

struct AwsError {
  int http_status = 0;
  std::string
      code;  // "ThrottlingException", "NoSuchKey", "AWS.SimpleQueueService.NonExistentQueue"
  std::string message;
  std::string request_id;
};

enum class ErrorKind {
  kThrottling,  // ThrottlingException, Throttling, RequestLimitExceeded, TooManyRequestsException,
                // SlowDown, ProvisionedThroughputExceededException, RequestThrottled..., HTTP 429
  kTransient,   // HTTP 5xx, RequestTimeout, InternalError, ServiceUnavailable, ...
  kOther,
};
ErrorKind ClassifyError(const AwsError& error);

// Decodes the error in a non-2xx response for `protocol`. Never fails: an undecodable body
// yields an AwsError with the HTTP status and a code derived from it ("Http503").
AwsError DecodeError(Protocol protocol, const net::HttpResponse& response);

// Status for an AWS error: throttling → kThrottled, transient → kUnavailable, 404/NotFound-ish
// codes → kNotFound, 403 → kPermissionDenied, auth failures → kUnauthenticated, 409 and
// *AlreadyExists* → kAlreadyExists, other 4xx → kInvalidArgument/kFailedPrecondition.
// The message is "<operation>: <code>: <message>" so that the AWS code can be grepped.
Status ErrorToStatus(const AwsError& error, std::string_view operation);

// The AWS error code inside a Status made by ErrorToStatus ("" if none).
std::string AwsErrorCode(const Status& status);

}  // namespace steady::aws
