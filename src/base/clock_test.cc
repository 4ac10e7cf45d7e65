#include "base/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/timer_queue.h"

namespace steady {
namespace {

TEST(ManualClock, SleepersWakeOnlyWhenTimePassesTheirDeadline) {
  ManualClock clock;
  Time start = clock.Now();
  std::atomic<bool> woke{false};
  std::thread t([&] {
    EXPECT_TRUE(clock.SleepFor(seconds(10)));
    woke = true;
  });
  clock.AwaitSleepers(1);
  clock.Advance(seconds(9));
  EXPECT_FALSE(woke);
  EXPECT_EQ(clock.sleepers(), 1);
  clock.Advance(seconds(1));
  t.join();
  EXPECT_TRUE(woke);
  EXPECT_EQ(clock.Now() - start, seconds(10));
}

TEST(ManualClock, StopRequestWakesASleeperWithFalse) {
  ManualClock clock;
  std::stop_source stop;
  bool result = true;
  std::thread t([&] { result = clock.SleepFor(hours(1), stop.get_token()); });
  clock.AwaitSleepers(1);
  stop.request_stop();
  t.join();
  EXPECT_FALSE(result);
}

TEST(SystemClock, StopRequestedBeforeSleepReturnsAtOnce) {
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(SystemClock::Get().SleepFor(hours(1), stop.get_token()));
}

TEST(TimerQueue, RunsCallbacksInDeadlineOrderInVirtualTime) {
  ManualClock clock;
  TimerQueue q(clock);
  Time t0 = clock.Now();
  std::vector<std::pair<int, Duration>> ran;
  q.ScheduleAfter(seconds(3), [&] { ran.push_back({3, clock.Now() - t0}); });
  q.ScheduleAfter(seconds(1), [&] {
    ran.push_back({1, clock.Now() - t0});
    // A callback may schedule more work.
    q.ScheduleAfter(seconds(1), [&] { ran.push_back({2, clock.Now() - t0}); });
  });
  auto cancelled = q.ScheduleAfter(seconds(2), [&] { ran.push_back({99, {}}); });
  EXPECT_TRUE(q.Cancel(cancelled));
  EXPECT_FALSE(q.Cancel(cancelled));
  q.RunUntil(clock, t0 + seconds(10));
  ASSERT_EQ(ran.size(), 3u);
  EXPECT_EQ(ran[0], std::make_pair(1, Duration(seconds(1))));
  EXPECT_EQ(ran[1], std::make_pair(2, Duration(seconds(2))));
  EXPECT_EQ(ran[2], std::make_pair(3, Duration(seconds(3))));
  EXPECT_EQ(clock.Now(), t0 + seconds(10));
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace steady
