// The AWS SDKs' "standard" retry mode, as botocore implements it (retries/standard.py,
// retries/quota.py):
//
//   - at most `max_attempts` attempts per call (3 by default);
//   - retry on throttling codes, transient codes and 500/502/503/504, and on transport errors
//     (connection failures; timeouts when the call allows it);
//   - before attempt i+1 (i = 1, 2, ...) sleep rand[0,1) * min(2^(i-1) s, max_backoff);
//   - a retry quota shared by every call of a client: 500 units to start, a retry costs 5
//     (10 after a timeout), a call that succeeds on its first attempt refunds 1, a call that
//     succeeds after retries refunds what its last retry cost, and nothing is ever refunded
//     above the starting capacity. With the quota spent, failures are returned at once: a
//     service in trouble does not get hammered by every client's retries.
//
// Thread safety: RetryQuota and RetryStrategy may be used from many threads at once.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>

#include "aws/aws_error.h"
#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

struct RetryOptions {
  int max_attempts = 3;
  Duration max_backoff = std::chrono::seconds(20);
  Duration base = std::chrono::seconds(1);  // the first retry's delay bound
  int quota_capacity = 500;
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  int no_retry_increment = 1;
};

class RetryQuota {
 public:
  explicit RetryQuota(int capacity = 500);

  // Takes `amount` if that much is available (true), else takes nothing (false).
  bool Acquire(int amount);
  // Gives back up to `amount`, never above the starting capacity.
  void Release(int amount);

  int available() const;
  int capacity() const { return capacity_; }

 private:
  const int capacity_;
  mutable std::mutex mu_;
  int available_;
};

// Why an attempt failed, as far as retrying is concerned.
enum class RetryReason {
  kNotRetryable,  // a client error, or a transport error retrying cannot fix
  kThrottled,     // a throttling code or HTTP 429/509
  kTransient,     // a transient code or HTTP 500/502/503/504
  kConnection,    // the HTTP client failed without a response (kUnavailable)
  kTimeout,       // the HTTP client timed out (kDeadlineExceeded)
};
// "throttled", "transient", "connection", "timeout", "none": the metrics' reason label.
std::string_view RetryReasonName(RetryReason reason);

// The reason for an AWS error response.
RetryReason ReasonForError(const AwsError& error);
// The reason for a transport failure from net::HttpClient::Send.
RetryReason ReasonForTransport(const Status& status);

// Per-call state; one per AwsTransport::Send.
struct RetryCall {
  int attempt = 1;          // 1-based number of the attempt in flight
  int last_retry_cost = 0;  // quota held by the latest retry (0: never retried)
};

struct RetryDecision {
  enum class Verdict { kRetry, kNotRetryable, kMaxAttempts, kQuotaExhausted };
  Verdict verdict = Verdict::kNotRetryable;
  Duration delay{0};  // how long to wait before the next attempt (kRetry only)

  bool retry() const { return verdict == Verdict::kRetry; }
};

class RetryStrategy {
 public:
  // `seed` feeds the jitter; 0 draws a seed from std::random_device.
  explicit RetryStrategy(RetryOptions options = {}, uint64_t seed = 0);

  // Called after attempt `call.attempt` failed for `reason`. On kRetry the quota has been
  // charged, `call` advanced to the next attempt, and `delay` says how long to wait first.
  RetryDecision OnFailure(RetryCall& call, RetryReason reason);
  // Called once when the call succeeds (2xx): refunds quota.
  void OnSuccess(const RetryCall& call);

  // The jittered delay before attempt `attempt + 1`, i.e. after the `attempt`-th (1-based)
  // failure: rand[0,1) * min(base * 2^(attempt-1), max_backoff).
  Duration Backoff(int attempt);
  // The bound Backoff(attempt) stays below: min(base * 2^(attempt-1), max_backoff).
  Duration BackoffCeiling(int attempt) const;

  const RetryOptions& options() const { return options_; }
  RetryQuota& quota() { return quota_; }

 private:
  const RetryOptions options_;
  RetryQuota quota_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace steady::aws
