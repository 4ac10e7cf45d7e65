// A synthetic day of a fleet of ECS clusters, replayed in virtual time (1 s steps), once with
// steady's Policy (policy.h) deciding and once with a model of ECS managed scaling (capacity
// providers), so the two can be compared on the same work: RunTask tasks that could not be
// placed after retries, placement delay, instance-hours by purchase option, spot share.
//
// The world (identical for both strategies; everything is drawn from `DayShape::seed`):
//   - `clusters` clusters, each with two capacity groups of one instance type (m5.2xlarge by
//     default): an on-demand Auto Scaling group and a spot group (a Spot Fleet for steady),
//     min `group_min`, max `group_max` each. An instance launched registers as an ACTIVE
//     container instance after `boot_delay` ± `boot_jitter`. A group whose instance count is
//     below its desired launches the difference at once; above it, it terminates empty
//     instances only (booting ones last), never one that runs tasks (managed termination
//     protection / scale-in protection).
//   - `services` services spread evenly over the clusters. Each has a task size from a menu
//     (256 CPU/512 MiB ... 2048/8192, about 4 GiB per vCPU on average), a peak desired count
//     (log-normal, median 8, 1..80) and a diurnal curve: f(h) = 0.25 + 0.75·(1 − cos(2π(h − 4 −
//     φ)/24))/2 (lowest at 04:00, highest at 16:00, φ ∈ ±1.5 h per service), with ±5% noise,
//     re-read every minute (service auto scaling). The ECS service scheduler places missing tasks
//     every second; scaling down stops the task on the emptiest instance first.
//   - `run_tasks` RunTask (batch) tasks: `burst_fraction` of them in bursts of burst_min..
//     burst_max identical tasks submitted in the same second (3–15 min runtime), the rest one
//     by one (60 s – 30 min, log-uniform); arrival times follow the same diurnal curve; the
//     clusters get uneven shares (weights 0.5..1.5). A RunTask that cannot be placed is retried
//     like hako does: every `run_task_retry`, and given up `run_task_give_up` after the first
//     attempt ("unplaced"). Placement delay = first successful placement − submission.
//   - Placement (services and RunTask): ECS binpack on memory over registered ACTIVE instances
//     (the fitting instance with the least remaining memory; CPU must fit too).
//   - Spot interruptions: a Poisson process of `spot_interruptions_per_hour` over the whole
//     fleet; each hits a random registered spot instance, which turns DRAINING (ECS spot
//     draining: service tasks are replaced elsewhere first) and is gone `spot_notice` later;
//     what still runs there is killed (RunTask tasks are submitted again, with a new retry
//     window; services replace theirs). The group launches a replacement when it is gone.
//
// steady (DayStrategy::kSteady): one Policy per cluster, evaluated every `steady_interval`
//   on a ClusterView built from the sim state (booting instances unregistered, DRAINING ones
//   inactive, services' desired/running, held capacity requests). Every failed RunTask
//   attempt publishes a capacity request with the same task id; like CapacityRequests
//   (capacity.h) the sim holds it, deduplicated by id, for `capacity_request_hold` and drops
//   it once the task is placed. Decision::desired sets the groups' desired; scale-in victims
//   turn DRAINING (service tasks are replaced elsewhere, RunTask tasks run to completion since
//   ECS draining does not stop standalone tasks) and are terminated once empty, decrementing
//   their group's desired. Tasks place on either group (launch type EC2, binpack).
//
// ECS managed scaling (DayStrategy::kEcsManagedScaling), one capacity provider per group with
//   managed scaling and managed termination protection, the cluster's default strategy
//   weights on-demand:spot = on_demand_share : 1 − on_demand_share (base 0). The model:
//   - Each task is bound to a provider (RunTask: round-robin 1:4 at submission; a service's
//     tasks: on-demand while its on-demand count is below round(desired · share)) and places
//     only on that provider's instances. Waiting tasks (RunTask retries, missing service tasks)
//     are what ECS calls PROVISIONING tasks.
//   - Every `metric_period` (1 min) per provider: N = instances in the group (booting ones
//     included); M = N + clamp(E, min_step, max_step) when tasks are provisioning, where E is
//     the "Deep Dive on ECS cluster auto scaling" lower bound: per distinct task shape,
//     ceil(count / tasks of that shape that fit one instance), the maximum over shapes; else M =
//     instances running at least one task. CapacityProviderReservation = 100·M/N (200 when N =
//     0 and M > 0).
//   - Target tracking on that metric at `target_capacity` (100%). Scale-out alarm: 1 datapoint
//     above target → desired = ceil(100·M/target) (never lowered by it), at the end of the
//     minute (`scale_out_delay` more to model alarm evaluation lag; 0 by default, which favours
//     the baseline). Instance warm-up (`warmup`, 300 s): while an instance launched by the
//     group is warming up, tasks that were already provisioning at the last scale-out are not
//     counted again (the ASG counts warming instances as capacity, so the same breach does not
//     scale out twice) and no scale-in happens.
//   - Scale-in alarm: `scale_in_datapoints` (15) consecutive datapoints below target → desired
//     = max(min, ceil(100·M/target)), at most `scale_in_max_fraction` (50%, the 2022 limit) of
//     the group per step, one step every `scale_in_step_interval` (3 min) while the alarm
//     holds. Only instances without tasks are terminated (managed termination protection), so
//     the baseline never consolidates; it waits for instances to empty.
//
// Knobs: DayShape (the work), DaySimKnobs (the world and steady's config),
// EcsManagedScalingModel (the baseline). SimulateDay is deterministic for a given input.
//
// Thread safety: SimulateDay shares no state; calls may run in parallel.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "autoscaler/policy.h"
#include "autoscaler/view.h"
#include "base/clock.h"
#include "base/status.h"

namespace steady::autoscaler {

// A burst submitted on top of the generated work (tests use it for a controlled burst).
struct DayBurst {
  int cluster = 0;
  Duration at{};  // since the start of the day
  int tasks = 0;
  Resources task;
  Duration runtime = std::chrono::minutes(10);
};

struct DayShape {
  int clusters = 40;
  int services = 500;
  int run_tasks = 80'000;
  uint64_t seed = 1;
  double spot_interruptions_per_hour = 10;   // fleet-wide
  Duration length = std::chrono::hours(24);  // the day starts at 00:00 UTC
  double burst_fraction = 0.3;               // of run_tasks, submitted in bursts
  int burst_min = 100;
  int burst_max = 300;
  std::vector<DayBurst> extra_bursts;
};

struct DaySimKnobs {
  InstanceType instance_type{"m5.2xlarge", {8192, 30720}, 1};
  int group_min = 1;
  int group_max = 200;
  Duration boot_delay = std::chrono::seconds(90);
  Duration boot_jitter = std::chrono::seconds(15);
  Duration spot_notice = std::chrono::seconds(120);
  Duration run_task_retry = std::chrono::seconds(10);
  Duration run_task_give_up = std::chrono::minutes(10);
  Duration capacity_request_hold = std::chrono::minutes(5);
  Duration steady_interval = std::chrono::seconds(1);
  double on_demand_share = 0.2;  // both strategies
  // steady's thresholds, cooldowns and budgets; cluster, groups and on_demand_share are
  // filled in by the sim.
  ClusterPolicy steady;
  // Called with every steady decision, acting or not (tracing, tests); may be empty.
  std::function<void(int cluster, int64_t second, const ClusterView&, const Decision&)> on_decision;
};

struct EcsManagedScalingModel {
  double target_capacity = 100;
  Duration metric_period = std::chrono::minutes(1);
  Duration scale_out_delay = std::chrono::seconds(0);
  Duration warmup = std::chrono::seconds(300);
  int scale_in_datapoints = 15;
  Duration scale_in_step_interval = std::chrono::minutes(3);
  double scale_in_max_fraction = 0.5;
  int min_step = 1;
  int max_step = 10'000;
};

enum class DayStrategy { kSteady, kEcsManagedScaling };
const char* DayStrategyName(DayStrategy s);  // "steady" | "ecs-managed-scaling"

struct DayResult {
  DayStrategy strategy = DayStrategy::kSteady;
  // RunTask tasks. submitted = completed + running_at_end + waiting_at_end + unplaced.
  int64_t run_tasks_submitted = 0;
  int64_t run_tasks_placed = 0;  // placed at least once
  int64_t run_tasks_completed = 0;
  int64_t run_tasks_running_at_end = 0;
  int64_t run_tasks_waiting_at_end = 0;  // still inside their retry window
  int64_t run_tasks_unplaced = 0;        // given up after the retry window
  int64_t run_tasks_interrupted = 0;     // killed by a spot interruption and submitted again
  int64_t run_task_failed_attempts = 0;  // RunTask calls that found no room
  int64_t capacity_requests = 0;         // steady: requests published (after dedupe)
  // First placement − submission, over placed tasks, seconds.
  double delay_p50_s = 0;
  double delay_p90_s = 0;
  double delay_p99_s = 0;
  double delay_max_s = 0;
  double delay_mean_s = 0;
  // Services: Σ over time of (desired − tasks running on ACTIVE instances), task-hours.
  double service_short_task_hours = 0;
  // Capacity.
  double on_demand_hours = 0;
  double spot_hours = 0;
  double spot_share = 0;               // spot_hours / (on_demand + spot)
  double mean_memory_reservation = 0;  // Σ reserved / Σ registered memory over the day, %
  double mean_cpu_reservation = 0;     // same for CPU
  int peak_instances = 0;
  int64_t launches = 0;
  int64_t terminations = 0;
  int64_t spot_interruptions = 0;
  int64_t scale_out_decisions = 0;  // decisions that raised some group's desired
  int64_t scale_in_instances = 0;   // instances taken out by the strategy
  // Seconds since the start of the day of every launch, per cluster (tests use cluster 0).
  std::vector<std::vector<int64_t>> launch_seconds;
  // Instances (on-demand, spot) at the start of every hour of the day.
  std::vector<std::pair<int, int>> hourly_instances;
};

// Replays the day for `strategy`. kInvalidArgument for a shape or knobs that make no sense
// (no clusters, negative counts, an instance type with no capacity, a burst for a cluster that
// does not exist, a zero step).
Result<DayResult> SimulateDay(const DayShape& shape, const DaySimKnobs& knobs,
                              const EcsManagedScalingModel& baseline, DayStrategy strategy);

}  // namespace steady::autoscaler
