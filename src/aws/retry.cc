#include "aws/retry.h"

#include <algorithm>

namespace steady::aws {

RetryQuota::RetryQuota(int capacity) : capacity_(capacity), available_(capacity) {}

bool RetryQuota::Acquire(int amount) {
  std::lock_guard lock(mu_);
  if (amount > available_) return false;
  available_ -= amount;
  return true;
}

void RetryQuota::Release(int amount) {
  std::lock_guard lock(mu_);
  available_ = std::min(capacity_, available_ + std::max(0, amount));
}

int RetryQuota::available() const {
  std::lock_guard lock(mu_);
  return available_;
}

std::string_view RetryReasonName(RetryReason reason) {
  switch (reason) {
    case RetryReason::kNotRetryable: return "none";
    case RetryReason::kThrottled: return "throttled";
    case RetryReason::kTransient: return "transient";
    case RetryReason::kConnection: return "connection";
    case RetryReason::kTimeout: return "timeout";
  }
  return "none";
}

RetryReason ReasonForError(const AwsError& error) {
  switch (ClassifyError(error)) {
    case ErrorKind::kThrottling: return RetryReason::kThrottled;
    case ErrorKind::kTransient: return RetryReason::kTransient;
    case ErrorKind::kOther: return RetryReason::kNotRetryable;
  }
  return RetryReason::kNotRetryable;
}

RetryReason ReasonForTransport(const Status& status) {
  switch (status.code()) {
    case StatusCode::kUnavailable: return RetryReason::kConnection;
    case StatusCode::kDeadlineExceeded: return RetryReason::kTimeout;
    default: return RetryReason::kNotRetryable;
  }
}

namespace {
uint64_t SeedOrEntropy(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}
}  // namespace

RetryStrategy::RetryStrategy(RetryOptions options, uint64_t seed)
    : options_(options), quota_(options.quota_capacity), rng_(SeedOrEntropy(seed)) {}

RetryDecision RetryStrategy::OnFailure(RetryCall& call, RetryReason reason) {
  RetryDecision d;
  if (reason == RetryReason::kNotRetryable) {
    d.verdict = RetryDecision::Verdict::kNotRetryable;
    return d;
  }
  if (call.attempt >= options_.max_attempts) {
    d.verdict = RetryDecision::Verdict::kMaxAttempts;
    return d;
  }
  int cost = reason == RetryReason::kTimeout ? options_.timeout_retry_cost : options_.retry_cost;
  if (!quota_.Acquire(cost)) {
    d.verdict = RetryDecision::Verdict::kQuotaExhausted;
    return d;
  }
  d.verdict = RetryDecision::Verdict::kRetry;
  d.delay = Backoff(call.attempt);
  call.last_retry_cost = cost;
  ++call.attempt;
  return d;
}

void RetryStrategy::OnSuccess(const RetryCall& call) {
  quota_.Release(call.last_retry_cost > 0 ? call.last_retry_cost : options_.no_retry_increment);
}

Duration RetryStrategy::BackoffCeiling(int attempt) const {
  // 2^(attempt-1) overflows nothing below the cap: stop doubling once past it.
  Duration ceiling = options_.base;
  for (int i = 1; i < attempt && ceiling < options_.max_backoff; ++i) ceiling *= 2;
  return std::min(ceiling, options_.max_backoff);
}

Duration RetryStrategy::Backoff(int attempt) {
  double r;
  {
    std::lock_guard lock(rng_mu_);
    r = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }
  return Duration(
      static_cast<Duration::rep>(r * static_cast<double>(BackoffCeiling(attempt).count())));
}

}  // namespace steady::aws
