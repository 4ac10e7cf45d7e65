// Errors as values. A Status carries a code that tells the caller whether a retry can help,
// and a message for humans. Result<T> is a T or a non-OK Status.
//
// Thread safety: values; copy freely.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace steady {

enum class StatusCode {
  kOk = 0,
  kCancelled,           // the caller asked to stop
  kInvalidArgument,     // the request or input is malformed; retrying the same thing fails again
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // creating something that exists
  kPermissionDenied,    // authenticated but not allowed
  kUnauthenticated,     // credentials missing, expired or wrong
  kFailedPrecondition,  // the system is not in a state to do this (e.g. bucket not empty)
  kResourceExhausted,   // a quota, buffer or disk is full; retry later may help
  kThrottled,           // the peer said slow down; retry with backoff
  kUnavailable,         // transient: connection refused/reset, 5xx; retry with backoff
  kDeadlineExceeded,    // a timeout expired; retry may help
  kAborted,             // a conflict (e.g. concurrent modification); retry the whole operation
  kDataLoss,            // corrupt or truncated data
  kUnimplemented,       // not supported by this build or peer
  kInternal,            // a bug or an unexpected peer answer
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // True if the same call may succeed later without changing it (throttled, unavailable,
  // timed out, resource exhausted).
  bool retryable() const;

  // "kUnavailable: connect to 127.0.0.1:4566: Connection refused"
  std::string ToString() const;

  // Returns a copy with `context` prepended to the message ("put s3://b/k: ...").
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Short constructors: InvalidArgument("bad key"), Unavailable("...").
Status CancelledError(std::string message);
Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnauthenticatedError(std::string message);
Status FailedPreconditionError(std::string message);
Status ResourceExhaustedError(std::string message);
Status ThrottledError(std::string message);
Status UnavailableError(std::string message);
Status DeadlineExceededError(std::string message);
Status AbortedError(std::string message);
Status DataLossError(std::string message);
Status UnimplementedError(std::string message);
Status InternalError(std::string message);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    // A Result built from a Status must carry an error: OK has no value to give.
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T value_or(T other) const& { return ok() ? std::get<T>(v_) : std::move(other); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace steady

#define STEADY_CONCAT_INNER(a, b) a##b
#define STEADY_CONCAT(a, b) STEADY_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status or Result) is not OK.
#define RETURN_IF_ERROR(expr)                                 \
  do {                                                        \
    auto steady_status_ = ::steady::internal::ToStatus(expr); \
    if (!steady_status_.ok()) return steady_status_;          \
  } while (0)

// ASSIGN_OR_RETURN(auto x, F()); — declares/assigns x from a Result, or returns its Status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  STEADY_ASSIGN_OR_RETURN_IMPL(STEADY_CONCAT(steady_result_, __LINE__), lhs, expr)
#define STEADY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

namespace steady::internal {
inline Status ToStatus(Status s) { return s; }
template <typename T>
Status ToStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace steady::internal
