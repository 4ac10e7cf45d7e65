#include "aws/aws_error.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "aws/protocol_xml.h"

namespace steady::aws {
namespace {

// Messages are for humans and logs; a peer that sends a megabyte of "message" should not make
// every Status carry it.
constexpr size_t kMaxMessage = 2048;

std::string Truncate(std::string s) {
  if (s.size() > kMaxMessage) {
    s.resize(kMaxMessage);
    s += "...";
  }
  return s;
}

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string HttpCode(int status) { return "Http" + std::to_string(status); }

// Reason phrases for the statuses AWS answers with, used as the message when the body has none.
std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

// S3 answers HEAD (and some GETs through proxies) with no body; the code then comes from the
// status, named as S3 names the same error when it does send a body.
std::string RestXmlCodeFromStatus(int status) {
  switch (status) {
    case 301: return "PermanentRedirect";
    case 304: return "NotModified";
    case 307: return "TemporaryRedirect";
    case 400: return "BadRequest";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 416: return "InvalidRange";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    default: return HttpCode(status);
  }
}

// "com.amazonaws.ecs#ClusterNotFoundException" and
// "ClusterNotFoundException:http://internal.amazon.com/coral/..." both mean
// "ClusterNotFoundException" (botocore strips the same way: before ':', then after '#').
std::string StripTypePrefix(std::string_view code) {
  size_t colon = code.find(':');
  if (colon != std::string_view::npos) code = code.substr(0, colon);
  size_t hash = code.rfind('#');
  if (hash != std::string_view::npos) code = code.substr(hash + 1);
  return std::string(code);
}

std::string JsonString(const nlohmann::json& body, std::string_view key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

void DecodeJson(Protocol protocol, const net::HttpResponse& response, AwsError& error) {
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  std::string code;
  if (body.is_object()) {
    error.message = JsonString(body, "message");
    if (error.message.empty()) error.message = JsonString(body, "Message");
    if (protocol == Protocol::kRestJson) {
      code = JsonString(body, "code");
      if (code.empty()) code = JsonString(body, "Code");
    }
    if (code.empty()) code = JsonString(body, "__type");
  }
  // restJson puts the code in a header first; awsJson services may send it there too.
  if (const std::string* header = response.headers.Find("x-amzn-ErrorType")) {
    if (protocol == Protocol::kRestJson || code.empty()) code = *header;
  }
  code = StripTypePrefix(code);
  // Query-compatible JSON services (SQS) carry the legacy awsQuery code as "Code;Sender", so
  // that callers see the same code under either protocol.
  if (const std::string* query_error = response.headers.Find("x-amzn-query-error")) {
    std::string_view qe = *query_error;
    size_t semi = qe.find(';');
    if (semi != std::string_view::npos && semi > 0 && qe.find(';', semi + 1) == qe.npos) {
      code = std::string(qe.substr(0, semi));
    }
  }
  error.code = std::move(code);
}

// awsQuery: <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
// ec2Query: <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
// restXml:  <Error><Code/><Message/><RequestId/></Error> (S3), or the awsQuery shape (Route 53)
// The first <Error> found depth-first serves all three.
void DecodeXml(const net::HttpResponse& response, AwsError& error) {
  Result<XmlElement> root = ParseXml(response.body);
  if (!root.ok()) return;
  const XmlElement* err = root->FindDescendant("Error");
  if (err) {
    error.code = err->ChildText("Code");
    error.message = err->ChildText("Message");
  }
  for (std::string_view id_name : {"RequestId", "RequestID", "requestId"}) {
    if (const XmlElement* id = root->FindDescendant(id_name); id && !id->text.empty()) {
      error.request_id = id->text;
      break;
    }
  }
}

constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    // botocore retries/standard.py ThrottledRetryableChecker, the union the SDKs agree on.
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

constexpr std::array<std::string_view, 10> kTransientCodes = {
    // botocore TransientRetryableChecker's codes, plus the server-side codes AWS services
    // send with 5xx (kept so that a proxy rewriting the status does not change the meaning).
    "RequestTimeout",        "RequestTimeoutException",     "InternalError",
    "InternalFailure",       "InternalServerError",         "InternalServiceError",
    "ServiceUnavailable",    "ServiceUnavailableException", "ServerException",
    "IDPCommunicationError",  // botocore's special case for STS
};

bool IsOneOf(std::string_view code, const auto& list) {
  return std::find(std::begin(list), std::end(list), code) != std::end(list);
}

bool IsAuthCode(std::string_view code) {
  static constexpr std::string_view kCodes[] = {
      "AuthFailure",
      "ExpiredToken",
      "ExpiredTokenException",
      "IncompleteSignature",
      "InvalidAccessKeyId",
      "InvalidClientTokenId",
      "InvalidSecurity",
      "InvalidToken",
      "MissingAuthenticationToken",
      "MissingAuthenticationTokenException",
      "NotAuthorized",
      "RequestExpired",
      "SignatureDoesNotMatch",
      "TokenRefreshRequired",
      "UnrecognizedClientException",
      "AuthorizationHeaderMalformed",
      "InvalidSignatureException",
      "MissingSecurityHeader",
  };
  return IsOneOf(code, kCodes);
}

bool IsPermissionCode(std::string_view code) {
  static constexpr std::string_view kCodes[] = {
      "AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
      "Forbidden",    "AllAccessDisabled",     "OptInRequired",
      "Blocked",
  };
  return IsOneOf(code, kCodes);
}

bool IsNotFoundCode(std::string_view code) {
  // ECS "ClusterNotFoundException", EC2 "InvalidInstanceID.NotFound", S3 "NoSuchKey",
  // SQS "AWS.SimpleQueueService.NonExistentQueue"/"QueueDoesNotExist", ELB
  // "TargetGroupNotFound", Auto Scaling has none (it says ValidationError).
  return Contains(code, "NotFound") || StartsWith(code, "NoSuch") ||
         Contains(code, "DoesNotExist") || Contains(code, "NonExistent");
}

bool IsAlreadyExistsCode(std::string_view code) {
  return Contains(code, "AlreadyExists") || Contains(code, "AlreadyOwnedByYou") ||
         EndsWith(code, ".Duplicate") || StartsWith(code, "Duplicate") ||
         Contains(code, "NameExists");
}

bool IsAbortedCode(std::string_view code) {
  return code == "OperationAborted" || StartsWith(code, "ConcurrentModification") ||
         code == "ConcurrentUpdateException" || code == "TransactionConflictException";
}

bool IsQuotaCode(std::string_view code) {
  // Account or resource limits, as opposed to rate limits (those are throttling above).
  return Contains(code, "LimitExceeded") || Contains(code, "QuotaExceeded") ||
         StartsWith(code, "TooMany") || Contains(code, "Insufficient");
}

bool IsPreconditionCode(std::string_view code) {
  return Contains(code, "InUse") || Contains(code, "InProgress") || Contains(code, "State") ||
         Contains(code, "NotActive") || Contains(code, "NotEmpty") ||
         Contains(code, "PreconditionFailed") || code == "NotModified" ||
         StartsWith(code, "ClusterContains") || code == "PermanentRedirect" ||
         code == "TemporaryRedirect";
}

StatusCode StatusCodeFor(const AwsError& error) {
  switch (ClassifyError(error)) {
    case ErrorKind::kThrottling: return StatusCode::kThrottled;
    case ErrorKind::kTransient: return StatusCode::kUnavailable;
    case ErrorKind::kOther: break;
  }
  std::string_view code = error.code;
  int status = error.http_status;
  // Order matters: S3 answers 403 for bad signatures (auth before permission), and 404 for
  // NoSuchBucket as much as for NoSuchKey.
  if (IsAuthCode(code) || status == 401) return StatusCode::kUnauthenticated;
  if (IsPermissionCode(code) || status == 403) return StatusCode::kPermissionDenied;
  if (IsNotFoundCode(code) || status == 404) return StatusCode::kNotFound;
  if (IsAbortedCode(code)) return StatusCode::kAborted;
  if (IsAlreadyExistsCode(code)) return StatusCode::kAlreadyExists;
  if (IsQuotaCode(code)) return StatusCode::kResourceExhausted;
  if (IsPreconditionCode(code) || status == 412 || status == 304 || (status >= 300 && status < 400))
    return StatusCode::kFailedPrecondition;
  if (status == 409) return StatusCode::kAlreadyExists;
  if (status == 501 || code == "NotImplemented" || code == "InvalidAction" ||
      code == "UnknownOperationException")
    return StatusCode::kUnimplemented;
  // A 5xx nobody classified (505, 507...) is the server's problem; anything else with an AWS
  // code, including an <Error> document inside a 200 (S3 CompleteMultipartUpload), is a request
  // the service refused.
  if (status >= 500) return StatusCode::kInternal;
  return StatusCode::kInvalidArgument;
}

bool IsOperationToken(std::string_view s) {
  if (s.empty() || !(s[0] >= 'A' && s[0] <= 'Z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

// AWS codes start with a capital ("NoSuchKey", "AWS.SimpleQueueService.NonExistentQueue", and
// our own "Http503"); requiring it keeps transport messages ("Op: timeout") from reading as one.
bool IsCodeToken(std::string_view s) {
  if (s.empty() || !(s[0] >= 'A' && s[0] <= 'Z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

}  // namespace

std::string_view ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kJson10: return "json1.0";
    case Protocol::kJson11: return "json1.1";
    case Protocol::kQuery: return "query";
    case Protocol::kEc2Query: return "ec2";
    case Protocol::kRestXml: return "rest-xml";
    case Protocol::kRestJson: return "rest-json";
  }
  return "unknown";
}

ErrorKind ClassifyError(const AwsError& error) {
  if (IsOneOf(error.code, kThrottlingCodes) || error.http_status == 429 || error.http_status == 509)
    return ErrorKind::kThrottling;
  if (IsOneOf(error.code, kTransientCodes)) return ErrorKind::kTransient;
  switch (error.http_status) {
    case 500:
    case 502:
    case 503:
    case 504: return ErrorKind::kTransient;
    default: return ErrorKind::kOther;
  }
}

AwsError DecodeError(Protocol protocol, const net::HttpResponse& response) {
  AwsError error;
  error.http_status = response.status;
  switch (protocol) {
    case Protocol::kJson10:
    case Protocol::kJson11:
    case Protocol::kRestJson: DecodeJson(protocol, response, error); break;
    case Protocol::kQuery:
    case Protocol::kEc2Query:
    case Protocol::kRestXml: DecodeXml(response, error); break;
  }
  if (error.request_id.empty()) {
    for (std::string_view header : {"x-amzn-RequestId", "x-amz-request-id", "x-amzn-request-id"}) {
      if (const std::string* id = response.headers.Find(header)) {
        error.request_id = *id;
        break;
      }
    }
  }
  if (error.code.empty()) {
    error.code = protocol == Protocol::kRestXml ? RestXmlCodeFromStatus(response.status)
                                                : HttpCode(response.status);
  }
  if (error.message.empty()) error.message = std::string(ReasonPhrase(response.status));
  error.message = Truncate(std::move(error.message));
  error.request_id = Truncate(std::move(error.request_id));
  if (error.code.size() > 256) error.code.resize(256);
  return error;
}

Status ErrorToStatus(const AwsError& error, std::string_view operation) {
  // AwsErrorCode reads the code back out of this message; keep the two in step.
  std::string message = IsOperationToken(operation) ? std::string(operation) : "UnknownOperation";
  message += ": ";
  message += error.code.empty() ? HttpCode(error.http_status) : error.code;
  // Always a third segment, so that the code is never followed by anything but ": ".
  message += ": ";
  message += error.message.empty() ? "(no message)" : error.message;
  if (!error.request_id.empty()) {
    message += " (request id ";
    message += error.request_id;
    message += ")";
  }
  return Status(StatusCodeFor(error), std::move(message));
}

std::string AwsErrorCode(const Status& status) {
  if (status.ok()) return "";
  // The message is "[context: ]<Operation>: <code>: <message>"; WithContext may have put
  // more "x: " segments in front, so look for the first operation-shaped segment followed by a
  // code-shaped one and then at least one more segment.
  std::string_view msg = status.message();
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= msg.size()) {
    size_t sep = msg.find(": ", start);
    if (sep == std::string_view::npos) {
      segments.push_back(msg.substr(start));
      break;
    }
    segments.push_back(msg.substr(start, sep - start));
    start = sep + 2;
  }
  for (size_t i = 0; i + 2 < segments.size(); ++i) {
    if (IsOperationToken(segments[i]) && IsCodeToken(segments[i + 1])) {
      return std::string(segments[i + 1]);
    }
  }
  return "";
}

}  // namespace steady::aws
