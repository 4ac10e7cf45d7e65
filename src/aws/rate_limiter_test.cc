#include "aws/rate_limiter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace steady::aws {
namespace {

// Counts finished waiters so that a test can wait for "exactly n done" without sleeping.
class Completions {
 public:
  void Done() {
    std::lock_guard lock(mu_);
    ++done_;
    cv_.notify_all();
  }
  void AwaitAtLeast(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_ >= n; });
  }
  int done() {
    std::lock_guard lock(mu_);
    return done_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int done_ = 0;
};

TEST(RateLimiter, StartsFullAndRefills) {
  ManualClock clock;
  RateLimiter limiter(clock);
  limiter.SetGroup("g", {3, 2});
  EXPECT_TRUE(limiter.HasGroup("g"));
  EXPECT_DOUBLE_EQ(limiter.Available("g"), 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.TryAcquire("g"));
  EXPECT_FALSE(limiter.TryAcquire("g"));
  clock.Advance(milliseconds(500));
  EXPECT_DOUBLE_EQ(limiter.Available("g"), 1);
  EXPECT_TRUE(limiter.TryAcquire("g"));
  EXPECT_FALSE(limiter.TryAcquire("g"));
  // Refill stops at the burst.
  clock.Advance(seconds(100));
  EXPECT_DOUBLE_EQ(limiter.Available("g"), 3);
}

TEST(RateLimiter, UndefinedAndEmptyGroupsAreUnlimited) {
  ManualClock clock;
  RateLimiter limiter(clock);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(limiter.Acquire("").ok());
    ASSERT_TRUE(limiter.Acquire("nope").ok());
    ASSERT_TRUE(limiter.TryAcquire("nope"));
  }
  EXPECT_FALSE(limiter.HasGroup("nope"));
  EXPECT_EQ(clock.sleepers(), 0);
}

TEST(RateLimiter, AcquireWithinBurstDoesNotSleep) {
  ManualClock clock;
  RateLimiter limiter(clock);
  limiter.SetGroup("g", {5, 1});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.Acquire("g").ok());
  EXPECT_DOUBLE_EQ(limiter.Available("g"), 0);
}

TEST(RateLimiter, WaitersAreServedOneRefillApart) {
  ManualClock clock;
  RateLimiter limiter(clock);
  limiter.SetGroup("g", {1, 1});
  ASSERT_TRUE(limiter.TryAcquire("g"));
  Completions done;
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      EXPECT_TRUE(limiter.Acquire("g").ok());
      done.Done();
    });
  }
  clock.AwaitSleepers(3);
  EXPECT_DOUBLE_EQ(limiter.Available("g"), -3);
  clock.Advance(milliseconds(999));
  EXPECT_EQ(done.done(), 0);
  EXPECT_EQ(clock.sleepers(), 3);
  for (int n = 1; n <= 3; ++n) {
    clock.Advance(n == 1 ? milliseconds(1) : seconds(1));
    done.AwaitAtLeast(n);
    // The others went back to sleep: one token per second, not a stampede.
    EXPECT_EQ(done.done(), n);
    EXPECT_EQ(clock.sleepers(), 3 - n);
  }
  for (auto& t : threads) t.join();
  EXPECT_DOUBLE_EQ(limiter.Available("g"), 0);
}

TEST(RateLimiter, StopWhileWaitingGivesTheTokenBack) {
  ManualClock clock;
  RateLimiter limiter(clock);
  limiter.SetGroup("g", {1, 1});
  ASSERT_TRUE(limiter.TryAcquire("g"));
  std::stop_source stop;
  Status result;
  std::thread waiter([&] { result = limiter.Acquire("g", stop.get_token()); });
  clock.AwaitSleepers(1);
  EXPECT_DOUBLE_EQ(limiter.Available("g"), -1);
  stop.request_stop();
  waiter.join();
  EXPECT_EQ(result.code(), StatusCode::kCancelled);
  EXPECT_DOUBLE_EQ(limiter.Available("g"), 0);
  // Already stopped: no wait at all when tokens are short.
  Status again = limiter.Acquire("g", stop.get_token());
  EXPECT_EQ(again.code(), StatusCode::kCancelled);
  EXPECT_DOUBLE_EQ(limiter.Available("g"), 0);
}

TEST(RateLimiter, MoreThanTheBurstIsRejected) {
  ManualClock clock;
  RateLimiter limiter(clock);
  limiter.SetGroup("g", {2, 1});
  Status st = limiter.Acquire("g", {}, 3);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_DOUBLE_EQ(limiter.Available("g"), 2);
}

TEST(RateLimiter, ReshapingKeepsTokensUpToTheNewBurst) {
  ManualClock clock;
  RateLimiter limiter(clock);
  limiter.SetGroup("g", {10, 1});
  ASSERT_TRUE(limiter.TryAcquire("g", 2));
  limiter.SetGroup("g", {5, 1});
  EXPECT_DOUBLE_EQ(limiter.Available("g"), 5);
  limiter.SetGroup("g", {20, 0});  // refill floored, not zero
  EXPECT_DOUBLE_EQ(limiter.Available("g"), 5);
  clock.Advance(seconds(1000));
  EXPECT_DOUBLE_EQ(limiter.Available("g"), 6);
}

TEST(RateLimiter, SustainedRateMatchesRefill) {
  ManualClock clock;
  RateLimiter limiter(clock);
  AddEcsRateLimits(limiter);
  int granted = 0;
  // Drain the burst, then poll every 5 ms for 10 s: RunTask & co. get 40 per second.
  while (limiter.TryAcquire("ecs:run")) ++granted;
  EXPECT_EQ(granted, 100);
  granted = 0;
  for (int i = 0; i < 2000; ++i) {
    clock.Advance(milliseconds(5));
    while (limiter.TryAcquire("ecs:run")) ++granted;
  }
  EXPECT_NEAR(granted, 400, 1);
}

TEST(EcsRateLimits, PublishedBuckets) {
  auto limits = EcsRateLimits();
  std::map<std::string, TokenBucketConfig> m(limits.begin(), limits.end());
  ASSERT_EQ(m.size(), 7u);
  auto expect = [&](const std::string& group, double burst, double refill) {
    ASSERT_TRUE(m.count(group)) << group;
    EXPECT_DOUBLE_EQ(m[group].burst, burst) << group;
    EXPECT_DOUBLE_EQ(m[group].refill_per_second, refill) << group;
  };
  expect(std::string(EcsLimiterGroup("RunTask")), 100, 40);
  expect(std::string(EcsLimiterGroup("DescribeTasks")), 100, 20);
  expect(std::string(EcsLimiterGroup("UpdateService")), 50, 5);
  expect(std::string(EcsLimiterGroup("ListServices")), 100, 20);
  expect(std::string(EcsLimiterGroup("RegisterTaskDefinition")), 20, 1);
  expect(std::string(EcsLimiterGroup("DescribeClusters")), 50, 20);
  expect(std::string(EcsLimiterGroup("TagResource")), 20, 10);
}

TEST(EcsRateLimits, OperationsShareTheirGroup) {
  auto same = [](std::vector<std::string_view> ops) {
    for (std::string_view op : ops) {
      EXPECT_EQ(EcsLimiterGroup(op), EcsLimiterGroup(ops[0])) << op;
      EXPECT_NE(EcsLimiterGroup(op), "") << op;
    }
  };
  same({"RunTask", "StartTask", "StopTask", "UpdateContainerInstancesState",
        "DeregisterContainerInstance"});
  same({"DescribeTasks", "ListTasks", "DescribeContainerInstances", "ListContainerInstances"});
  same({"CreateService", "UpdateService", "DeleteService"});
  same({"DescribeServices", "ListServices"});
  same({"RegisterTaskDefinition", "DeregisterTaskDefinition"});
  same({"DescribeClusters", "ListClusters"});
  EXPECT_NE(EcsLimiterGroup("RunTask"), EcsLimiterGroup("DescribeTasks"));
  EXPECT_NE(EcsLimiterGroup("DescribeServices"), EcsLimiterGroup("UpdateService"));
  EXPECT_EQ(EcsLimiterGroup("PutAccountSetting"), "");
  EXPECT_EQ(EcsLimiterGroup("runtask"), "");
}

TEST(EcsRateLimits, ShareScalesEveryBucket) {
  auto full = EcsRateLimits(1.0);
  auto quarter = EcsRateLimits(0.25);
  ASSERT_EQ(full.size(), quarter.size());
  for (size_t i = 0; i < full.size(); ++i) {
    EXPECT_EQ(full[i].first, quarter[i].first);
    EXPECT_DOUBLE_EQ(quarter[i].second.burst, std::max(1.0, full[i].second.burst / 4));
    EXPECT_DOUBLE_EQ(quarter[i].second.refill_per_second, full[i].second.refill_per_second / 4);
  }
  for (const auto& [name, c] : EcsRateLimits(0.001)) EXPECT_GE(c.burst, 1) << name;
}

}  // namespace
}  // namespace steady::aws
