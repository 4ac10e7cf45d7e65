#include "autoscaler/day_sim.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace steady::autoscaler {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

DayShape TinyShape() {
  DayShape shape;
  shape.clusters = 1;
  shape.services = 8;
  shape.run_tasks = 400;
  shape.seed = 7;
  shape.spot_interruptions_per_hour = 3;
  shape.length = hours(1);
  shape.burst_min = 50;
  shape.burst_max = 80;
  return shape;
}

DayResult Simulate(const DayShape& shape, DayStrategy strategy) {
  Result<DayResult> r = SimulateDay(shape, DaySimKnobs{}, EcsManagedScalingModel{}, strategy);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : DayResult{};
}

class DaySimInvariants : public ::testing::TestWithParam<DayStrategy> {};

TEST_P(DaySimInvariants, TasksConservedAndCapacityAccounted) {
  const DayShape shape = TinyShape();
  const DayResult r = Simulate(shape, GetParam());
  EXPECT_EQ(r.strategy, GetParam());
  EXPECT_EQ(r.run_tasks_submitted, shape.run_tasks);
  EXPECT_EQ(r.run_tasks_submitted, r.run_tasks_completed + r.run_tasks_running_at_end +
                                       r.run_tasks_waiting_at_end + r.run_tasks_unplaced);
  EXPECT_LE(r.run_tasks_placed, r.run_tasks_submitted);
  EXPECT_GE(r.run_tasks_placed, r.run_tasks_completed + r.run_tasks_running_at_end);
  EXPECT_GT(r.run_tasks_completed, 0);
  EXPECT_GT(r.on_demand_hours, 0);
  EXPECT_GT(r.spot_hours, 0);
  EXPECT_GT(r.spot_share, 0);
  EXPECT_LT(r.spot_share, 1);
  EXPECT_GT(r.launches, 0) << "the bursts need capacity beyond the 00:00 fleet";
  EXPECT_GE(r.peak_instances, 2);
  EXPECT_LE(r.delay_p50_s, r.delay_p99_s);
  EXPECT_LE(r.delay_p99_s, r.delay_max_s);
  EXPECT_GT(r.mean_memory_reservation, 0);
  EXPECT_LE(r.mean_memory_reservation, 100);
  // Every launch is inside the hour.
  ASSERT_EQ(r.launch_seconds.size(), 1u);
  for (int64_t s : r.launch_seconds[0]) {
    EXPECT_GE(s, 0);
    EXPECT_LT(s, 3600);
  }
}

TEST_P(DaySimInvariants, Deterministic) {
  const DayResult a = Simulate(TinyShape(), GetParam());
  const DayResult b = Simulate(TinyShape(), GetParam());
  EXPECT_EQ(a.run_tasks_placed, b.run_tasks_placed);
  EXPECT_EQ(a.launch_seconds, b.launch_seconds);
  EXPECT_DOUBLE_EQ(a.on_demand_hours + a.spot_hours, b.on_demand_hours + b.spot_hours);
}

INSTANTIATE_TEST_SUITE_P(Strategies, DaySimInvariants,
                         ::testing::Values(DayStrategy::kSteady, DayStrategy::kEcsManagedScaling),
                         [](const auto& info) {
                           return info.param == DayStrategy::kSteady ? "Steady" : "Baseline";
                         });

// One burst of 200 RunTask tasks at 00:20 on a quiet cluster: steady asks for capacity within
// seconds, the managed-scaling model at the next metric datapoint.
TEST(DaySim, BaselineReactsSlowerThanSteadyToABurst) {
  DayShape shape;
  shape.clusters = 1;
  shape.services = 4;
  shape.run_tasks = 0;
  shape.spot_interruptions_per_hour = 0;
  shape.length = hours(1);
  const int64_t burst_at = 20 * 60 + 7;  // not on a minute boundary
  shape.extra_bursts.push_back({0, std::chrono::seconds(burst_at), 200, {1024, 2048}, minutes(10)});

  const DayResult steady = Simulate(shape, DayStrategy::kSteady);
  const DayResult baseline = Simulate(shape, DayStrategy::kEcsManagedScaling);
  auto first_launch_after = [&](const DayResult& r) -> int64_t {
    for (int64_t s : r.launch_seconds[0]) {
      if (s >= burst_at) return s;
    }
    return -1;
  };
  const int64_t s = first_launch_after(steady);
  const int64_t b = first_launch_after(baseline);
  ASSERT_GE(s, 0) << "steady never launched for the burst";
  ASSERT_GE(b, 0) << "the baseline never launched for the burst";
  EXPECT_LT(s - burst_at, 5) << "steady: capacity failure to capacity request in under 5 s";
  EXPECT_LT(s, b);
  EXPECT_GE(b - burst_at, 53) << "the baseline waits for the next one-minute datapoint";
  for (const DayResult* r : {&steady, &baseline}) {
    EXPECT_EQ(r->run_tasks_submitted, 200);
    EXPECT_EQ(r->run_tasks_unplaced, 0) << DayStrategyName(r->strategy);
  }
  EXPECT_LT(steady.delay_p99_s, baseline.delay_p99_s);
}

TEST(DaySim, RejectsShapesThatMakeNoSense) {
  DayShape shape = TinyShape();
  shape.clusters = 0;
  EXPECT_EQ(SimulateDay(shape, {}, {}, DayStrategy::kSteady).status().code(),
            StatusCode::kInvalidArgument);
  shape = TinyShape();
  shape.extra_bursts.push_back({3, minutes(1), 10, {256, 512}, minutes(1)});
  EXPECT_EQ(SimulateDay(shape, {}, {}, DayStrategy::kSteady).status().code(),
            StatusCode::kInvalidArgument);
  shape = TinyShape();
  shape.burst_min = 0;
  EXPECT_EQ(SimulateDay(shape, {}, {}, DayStrategy::kEcsManagedScaling).status().code(),
            StatusCode::kInvalidArgument);
  DaySimKnobs knobs;
  knobs.instance_type.capacity = {};
  EXPECT_EQ(SimulateDay(TinyShape(), knobs, {}, DayStrategy::kSteady).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace steady::autoscaler
