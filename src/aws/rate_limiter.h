// Client-side token buckets, one per named operation group, so that a process stays under the
// per-account buckets AWS enforces (ECS throttles RunTask & co. at a 100-call burst refilled at
// 40/s, shared by every client in the account and Region). Waiting here is cheaper than being
// throttled: a throttled call costs a round trip, a retry-quota charge and a backoff.
//
// A bucket holds up to `burst` tokens and gains `refill_per_second` tokens a second. Acquire
// takes a token at once and, when that drives the bucket below zero, sleeps on the injected
// Clock until the debt is repaid; callers are therefore served in the order they arrive and a
// burst of waiters is spread evenly instead of stampeding when a token appears.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

struct TokenBucketConfig {
  double burst = 1;              // capacity, and the tokens a new bucket starts with
  double refill_per_second = 1;  // raised to 0.001 if lower
};

class RateLimiter {
 public:
  // `clock` must outlive the limiter.
  explicit RateLimiter(Clock& clock);

  // Defines `group` (a new bucket starts full), or changes an existing bucket's shape keeping
  // its current tokens (capped at the new burst).
  void SetGroup(const std::string& group, TokenBucketConfig config);
  bool HasGroup(std::string_view group) const;

  // Takes `tokens` from `group`'s bucket, sleeping on the clock while the bucket is in debt.
  // OK at once for an empty or undefined group (no limit). kCancelled if `stop` is requested
  // before the wait ends; the tokens are then given back. kInvalidArgument if `tokens` exceeds
  // the group's burst (it could never be granted).
  Status Acquire(std::string_view group, std::stop_token stop = {}, double tokens = 1);
  // Takes `tokens` only if they are there now; never sleeps. True for an undefined group.
  bool TryAcquire(std::string_view group, double tokens = 1);

  // Tokens in the bucket now (negative while callers wait); 0 for an undefined group.
  double Available(std::string_view group) const;

 private:
  struct Bucket {
    TokenBucketConfig config;
    double tokens = 0;
    Time updated;
  };
  void Refill(Bucket& b, Time now) const;

  Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Bucket, std::less<>> buckets_;
};

// ECS's published request-throttling buckets (per account and Region; the ECS developer
// guide's "Request throttling" page): group name → shape. `share` scales burst and refill for a
// process that should use only part of the account's budget (0.25: a quarter); burst stays ≥ 1.
std::vector<std::pair<std::string, TokenBucketConfig>> EcsRateLimits(double share = 1.0);
// Defines every group of EcsRateLimits(share) in `limiter`.
void AddEcsRateLimits(RateLimiter& limiter, double share = 1.0);
// The EcsRateLimits group an ECS operation ("RunTask") draws from, or "" when ECS publishes no
// separate bucket for it.
std::string_view EcsLimiterGroup(std::string_view operation);

}  // namespace steady::aws
