#include "region/service_error.h"

#include "aws/aws_error.h"

namespace steady::region {

Status ServiceError(std::string_view operation, std::string_view code, std::string_view message,
                    int http_status) {
  aws::AwsError e;
  e.http_status = http_status;
  e.code = std::string(code);
  e.message = std::string(message);
  return aws::ErrorToStatus(e, operation);
}

namespace {

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kThrottled: return 400;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kInternal: return 500;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnauthenticated: return 403;
    default: return 400;
  }
}

}  // namespace

ErrorParts SplitServiceError(const Status& status) {
  ErrorParts p;
  p.code = aws::AwsErrorCode(status);
  if (p.code.empty()) {
    p.code = status.retryable() ? "ServiceUnavailable" : "InternalError";
    p.message = status.message();
    p.http_status = status.retryable() ? 503 : 500;
    p.sender_fault = false;
    return p;
  }
  const std::string& m = status.message();
  size_t at = m.find(": " + p.code);
  if (at != std::string::npos) {
    size_t start = at + 2 + p.code.size();
    if (m.compare(start, 2, ": ") == 0) start += 2;
    p.message = m.substr(start);
    size_t rid = p.message.rfind(" (request id ");
    if (rid != std::string::npos) p.message.resize(rid);
  }
  p.http_status = HttpStatusFor(status);
  p.sender_fault = p.http_status < 500;
  return p;
}

}  // namespace steady::region
