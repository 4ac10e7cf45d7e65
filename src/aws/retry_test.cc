#include "aws/retry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace steady::aws {
namespace {

using Verdict = RetryDecision::Verdict;

TEST(RetryStrategy, BackoffCeilingDoublesUpToTheCap) {
  RetryStrategy s(RetryOptions{}, 1);
  EXPECT_EQ(s.BackoffCeiling(1), seconds(1));
  EXPECT_EQ(s.BackoffCeiling(2), seconds(2));
  EXPECT_EQ(s.BackoffCeiling(3), seconds(4));
  EXPECT_EQ(s.BackoffCeiling(5), seconds(16));
  EXPECT_EQ(s.BackoffCeiling(6), seconds(20));
  EXPECT_EQ(s.BackoffCeiling(1000), seconds(20));
}

TEST(RetryStrategy, BackoffStaysWithinBoundsAndIsJittered) {
  RetryStrategy s(RetryOptions{}, 42);
  for (int attempt = 1; attempt <= 10; ++attempt) {
    Duration lo = s.BackoffCeiling(attempt), hi = Duration::zero();
    for (int i = 0; i < 200; ++i) {
      Duration d = s.Backoff(attempt);
      ASSERT_GE(d, Duration::zero());
      ASSERT_LT(d, s.BackoffCeiling(attempt)) << attempt;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Full jitter: 200 draws spread over most of [0, ceiling).
    EXPECT_LT(lo, s.BackoffCeiling(attempt) / 10) << attempt;
    EXPECT_GT(hi, s.BackoffCeiling(attempt) * 9 / 10) << attempt;
  }
}

TEST(RetryStrategy, SeedMakesJitterReproducible) {
  RetryStrategy a(RetryOptions{}, 7), b(RetryOptions{}, 7), c(RetryOptions{}, 8);
  std::vector<Duration> da, db, dc;
  for (int i = 0; i < 5; ++i) {
    da.push_back(a.Backoff(3));
    db.push_back(b.Backoff(3));
    dc.push_back(c.Backoff(3));
  }
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

TEST(RetryStrategy, CustomMaxBackoff) {
  RetryOptions o;
  o.max_backoff = milliseconds(1500);
  RetryStrategy s(o, 3);
  EXPECT_EQ(s.BackoffCeiling(1), seconds(1));
  EXPECT_EQ(s.BackoffCeiling(2), milliseconds(1500));
  for (int i = 0; i < 100; ++i) EXPECT_LT(s.Backoff(4), milliseconds(1500));
}

TEST(RetryStrategy, MaxAttemptsAndQuotaAccounting) {
  RetryStrategy s(RetryOptions{}, 1);
  RetryCall call;
  RetryDecision d = s.OnFailure(call, RetryReason::kThrottled);
  EXPECT_EQ(d.verdict, Verdict::kRetry);
  EXPECT_LT(d.delay, seconds(1));
  EXPECT_EQ(call.attempt, 2);
  EXPECT_EQ(s.quota().available(), 495);
  d = s.OnFailure(call, RetryReason::kTransient);
  EXPECT_EQ(d.verdict, Verdict::kRetry);
  EXPECT_LT(d.delay, seconds(2));
  EXPECT_EQ(call.attempt, 3);
  EXPECT_EQ(s.quota().available(), 490);
  // Third attempt failed: three is the default maximum.
  d = s.OnFailure(call, RetryReason::kConnection);
  EXPECT_EQ(d.verdict, Verdict::kMaxAttempts);
  EXPECT_FALSE(d.retry());
  EXPECT_EQ(s.quota().available(), 490);
}

TEST(RetryStrategy, NotRetryableCostsNothing) {
  RetryStrategy s(RetryOptions{}, 1);
  RetryCall call;
  EXPECT_EQ(s.OnFailure(call, RetryReason::kNotRetryable).verdict, Verdict::kNotRetryable);
  EXPECT_EQ(call.attempt, 1);
  EXPECT_EQ(s.quota().available(), 500);
}

TEST(RetryStrategy, TimeoutsCostTen) {
  RetryStrategy s(RetryOptions{}, 1);
  RetryCall call;
  ASSERT_TRUE(s.OnFailure(call, RetryReason::kTimeout).retry());
  EXPECT_EQ(s.quota().available(), 490);
  EXPECT_EQ(call.last_retry_cost, 10);
  // A success after that retry refunds what the retry cost.
  s.OnSuccess(call);
  EXPECT_EQ(s.quota().available(), 500);
}

TEST(RetryStrategy, QuotaExhaustionAndRefill) {
  RetryOptions o;
  o.quota_capacity = 12;
  o.max_attempts = 100;
  RetryStrategy s(o, 1);
  RetryCall call;
  EXPECT_TRUE(s.OnFailure(call, RetryReason::kThrottled).retry());  // 7 left
  EXPECT_TRUE(s.OnFailure(call, RetryReason::kThrottled).retry());  // 2 left
  EXPECT_EQ(s.OnFailure(call, RetryReason::kThrottled).verdict, Verdict::kQuotaExhausted);
  EXPECT_EQ(s.quota().available(), 2);
  // First-attempt successes refill one unit each...
  RetryCall fresh;
  for (int i = 0; i < 3; ++i) s.OnSuccess(fresh);
  EXPECT_EQ(s.quota().available(), 5);
  // ...which buys one more retry.
  RetryCall another;
  EXPECT_TRUE(s.OnFailure(another, RetryReason::kTransient).retry());
  EXPECT_EQ(s.quota().available(), 0);
  // A successful retried call refunds its last retry's cost, never above capacity.
  s.OnSuccess(another);
  EXPECT_EQ(s.quota().available(), 5);
  for (int i = 0; i < 100; ++i) s.OnSuccess(another);
  EXPECT_EQ(s.quota().available(), 12);
}

TEST(RetryQuota, ConcurrentAcquireNeverOverdraws) {
  RetryQuota q(1000);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i)
        if (q.Acquire(5)) granted.fetch_add(1);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(granted.load(), 200);
  EXPECT_EQ(q.available(), 0);
}

TEST(RetryReasons, FromErrorsAndTransport) {
  EXPECT_EQ(ReasonForError({400, "ThrottlingException", "", ""}), RetryReason::kThrottled);
  EXPECT_EQ(ReasonForError({429, "Http429", "", ""}), RetryReason::kThrottled);
  EXPECT_EQ(ReasonForError({503, "Http503", "", ""}), RetryReason::kTransient);
  EXPECT_EQ(ReasonForError({400, "RequestTimeout", "", ""}), RetryReason::kTransient);
  EXPECT_EQ(ReasonForError({400, "ValidationException", "", ""}), RetryReason::kNotRetryable);
  EXPECT_EQ(ReasonForTransport(UnavailableError("reset")), RetryReason::kConnection);
  EXPECT_EQ(ReasonForTransport(DeadlineExceededError("timeout")), RetryReason::kTimeout);
  EXPECT_EQ(ReasonForTransport(InvalidArgumentError("bad url")), RetryReason::kNotRetryable);
  EXPECT_EQ(RetryReasonName(RetryReason::kThrottled), "throttled");
  EXPECT_EQ(RetryReasonName(RetryReason::kConnection), "connection");
}

}  // namespace
}  // namespace steady::aws
