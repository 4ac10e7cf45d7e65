#include "base/status.h"

namespace steady {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kCancelled: return "Cancelled";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kAlreadyExists: return "AlreadyExists";
    case StatusCode::kPermissionDenied: return "PermissionDenied";
    case StatusCode::kUnauthenticated: return "Unauthenticated";
    case StatusCode::kFailedPrecondition: return "FailedPrecondition";
    case StatusCode::kResourceExhausted: return "ResourceExhausted";
    case StatusCode::kThrottled: return "Throttled";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kDeadlineExceeded: return "DeadlineExceeded";
    case StatusCode::kAborted: return "Aborted";
    case StatusCode::kDataLoss: return "DataLoss";
    case StatusCode::kUnimplemented: return "Unimplemented";
    case StatusCode::kInternal: return "Internal";
  }
  return "Unknown";
}

bool Status::retryable() const {
  switch (code_) {
    case StatusCode::kThrottled:
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kResourceExhausted: return true;
    default: return false;
  }
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

#define STEADY_DEFINE_ERROR(Name, Code) \
  Status Name(std::string message) { return Status(StatusCode::Code, std::move(message)); }
STEADY_DEFINE_ERROR(CancelledError, kCancelled)
STEADY_DEFINE_ERROR(InvalidArgumentError, kInvalidArgument)
STEADY_DEFINE_ERROR(NotFoundError, kNotFound)
STEADY_DEFINE_ERROR(AlreadyExistsError, kAlreadyExists)
STEADY_DEFINE_ERROR(PermissionDeniedError, kPermissionDenied)
STEADY_DEFINE_ERROR(UnauthenticatedError, kUnauthenticated)
STEADY_DEFINE_ERROR(FailedPreconditionError, kFailedPrecondition)
STEADY_DEFINE_ERROR(ResourceExhaustedError, kResourceExhausted)
STEADY_DEFINE_ERROR(ThrottledError, kThrottled)
STEADY_DEFINE_ERROR(UnavailableError, kUnavailable)
STEADY_DEFINE_ERROR(DeadlineExceededError, kDeadlineExceeded)
STEADY_DEFINE_ERROR(AbortedError, kAborted)
STEADY_DEFINE_ERROR(DataLossError, kDataLoss)
STEADY_DEFINE_ERROR(UnimplementedError, kUnimplemented)
STEADY_DEFINE_ERROR(InternalError, kInternal)
#undef STEADY_DEFINE_ERROR

}  // namespace steady
