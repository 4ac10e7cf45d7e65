// "A day" (issue 8): replays a synthetic day (autoscaler/day_sim.h) with steady's Policy and
// with the ECS managed scaling model, and prints their figures side by side.
//
//   autoscaler_day [--clusters N] [--services N] [--run-tasks N] [--seed N]
//                  [--spot-interruptions-per-hour X] [--hours H] [--scale-out-delay S]
//                  [--trace-cluster N]   (prints steady's decisions for cluster N, every second)
//                  [--steady-disruption-budget N] [--steady-scale-in-cooldown S]
//                  [--steady-scale-in-after S]   (steady's ClusterPolicy, defaults otherwise)
//                  [--run-task-retry S]          (hako's retry interval, 10 s)
//
// Exit status 0 when both ran; 2 on a bad flag.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

#include "autoscaler/day_sim.h"

namespace {

using steady::autoscaler::DayResult;
using steady::autoscaler::DayShape;
using steady::autoscaler::DaySimKnobs;
using steady::autoscaler::DayStrategy;
using steady::autoscaler::EcsManagedScalingModel;

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--clusters N] [--services N] [--run-tasks N] [--seed N]\n"
               "          [--spot-interruptions-per-hour X] [--hours H] [--scale-out-delay S]\n"
               "          [--trace-cluster N] [--steady-disruption-budget N]\n"
               "          [--steady-scale-in-cooldown S] [--steady-scale-in-after S]\n"
               "          [--run-task-retry S]\n",
               argv0);
  return 2;
}

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  DayShape shape;
  DaySimKnobs knobs;
  EcsManagedScalingModel model;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) return Usage(argv[0]);
    const char* v = argv[++i];
    char* end = nullptr;
    const double x = std::strtod(v, &end);
    if (end == v || *end != '\0' || x < 0) return Usage(argv[0]);
    if (flag == "--clusters") {
      shape.clusters = static_cast<int>(x);
    } else if (flag == "--services") {
      shape.services = static_cast<int>(x);
    } else if (flag == "--run-tasks") {
      shape.run_tasks = static_cast<int>(x);
    } else if (flag == "--seed") {
      shape.seed = static_cast<uint64_t>(x);
    } else if (flag == "--spot-interruptions-per-hour") {
      shape.spot_interruptions_per_hour = x;
    } else if (flag == "--hours") {
      shape.length = std::chrono::seconds(static_cast<int64_t>(x * 3600));
    } else if (flag == "--trace-cluster") {
      const int traced = static_cast<int>(x);
      knobs.on_decision = [traced](int cluster, int64_t t, const steady::autoscaler::ClusterView& v,
                                   const steady::autoscaler::Decision& d) {
        if (cluster != traced) return;
        int registered = 0;
        double reg[2][2] = {}, used[2][2] = {};  // [spot][cpu, memory]
        for (const auto& i : v.instances) {
          if (!i.registered) continue;
          ++registered;
          if (!i.active) continue;
          const int p = i.purchase == steady::autoscaler::Purchase::kSpot ? 1 : 0;
          reg[p][0] += static_cast<double>(i.registered_resources.cpu);
          reg[p][1] += static_cast<double>(i.registered_resources.memory);
          used[p][0] += static_cast<double>(i.registered_resources.cpu - i.remaining.cpu);
          used[p][1] += static_cast<double>(i.registered_resources.memory - i.remaining.memory);
        }
        auto pct = [&](int p, int r) { return reg[p][r] > 0 ? 100 * used[p][r] / reg[p][r] : 0.0; };
        std::printf(
            "[%02lld:%02lld:%02lld] %zu instances (%d registered; od cpu %.0f%% mem %.0f%%, "
            "spot cpu %.0f%% mem %.0f%%): %s\n",
            static_cast<long long>(t / 3600), static_cast<long long>(t / 60 % 60),
            static_cast<long long>(t % 60), v.instances.size(), registered, pct(0, 0), pct(0, 1),
            pct(1, 0), pct(1, 1), d.reason.c_str());
      };
    } else if (flag == "--steady-disruption-budget") {
      knobs.steady.disruption_budget = static_cast<int>(x);
    } else if (flag == "--steady-scale-in-cooldown") {
      knobs.steady.scale_in_cooldown = std::chrono::seconds(static_cast<int64_t>(x));
    } else if (flag == "--steady-scale-out-reservation") {
      knobs.steady.scale_out_reservation = x;
    } else if (flag == "--steady-spot-scale-out-reservation") {
      knobs.steady.spot_scale_out_reservation = x;
    } else if (flag == "--steady-scale-in-reservation") {
      knobs.steady.scale_in_reservation = x;
    } else if (flag == "--steady-spot-scale-in-reservation") {
      knobs.steady.spot_scale_in_reservation = x;
    } else if (flag == "--steady-scale-in-after") {
      knobs.steady.scale_in_after = std::chrono::seconds(static_cast<int64_t>(x));
    } else if (flag == "--run-task-retry") {
      knobs.run_task_retry = std::chrono::seconds(static_cast<int64_t>(x));
    } else if (flag == "--scale-out-delay") {
      model.scale_out_delay = std::chrono::seconds(static_cast<int64_t>(x));
    } else {
      return Usage(argv[0]);
    }
  }

  std::printf(
      "A day: %d clusters, %d services, %d RunTask, seed %llu, %.1f spot interruptions/h, "
      "%.1f h\n",
      shape.clusters, shape.services, shape.run_tasks, static_cast<unsigned long long>(shape.seed),
      shape.spot_interruptions_per_hour,
      std::chrono::duration<double>(shape.length).count() / 3600);
  DayResult results[2];
  double wall[2];
  double cpu[2];
  const DayStrategy strategies[2] = {DayStrategy::kSteady, DayStrategy::kEcsManagedScaling};
  for (int k = 0; k < 2; ++k) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = ProcessCpuSeconds();
    auto r = steady::autoscaler::SimulateDay(shape, knobs, model, strategies[k]);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 2;
    }
    results[k] = std::move(*r);
    cpu[k] = ProcessCpuSeconds() - cpu_start;
    wall[k] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  const DayResult& s = results[0];
  const DayResult& b = results[1];
  auto row_i = [](const char* name, int64_t x, int64_t y) {
    std::printf("%-40s %14lld %20lld\n", name, static_cast<long long>(x),
                static_cast<long long>(y));
  };
  auto row_f = [](const char* name, double x, double y, const char* unit) {
    std::printf("%-40s %12.1f%-2s %18.1f%-2s\n", name, x, unit, y, unit);
  };
  std::printf("%-40s %14s %20s\n", "", "steady", "ecs-managed-scaling");
  row_i("RunTask submitted", s.run_tasks_submitted, b.run_tasks_submitted);
  row_i("RunTask unplaced after retries", s.run_tasks_unplaced, b.run_tasks_unplaced);
  row_i("RunTask still waiting at the end", s.run_tasks_waiting_at_end, b.run_tasks_waiting_at_end);
  row_f("placement delay p50", s.delay_p50_s, b.delay_p50_s, "s");
  row_f("placement delay p90", s.delay_p90_s, b.delay_p90_s, "s");
  row_f("placement delay p99", s.delay_p99_s, b.delay_p99_s, "s");
  row_f("placement delay max", s.delay_max_s, b.delay_max_s, "s");
  row_f("placement delay mean", s.delay_mean_s, b.delay_mean_s, "s");
  row_i("RunTask attempts that found no room", s.run_task_failed_attempts,
        b.run_task_failed_attempts);
  row_i("RunTask killed by spot, resubmitted", s.run_tasks_interrupted, b.run_tasks_interrupted);
  row_f("service tasks short (task-hours)", s.service_short_task_hours, b.service_short_task_hours,
        "");
  row_f("instance-hours on-demand", s.on_demand_hours, b.on_demand_hours, "");
  row_f("instance-hours spot", s.spot_hours, b.spot_hours, "");
  row_f("instance-hours total", s.on_demand_hours + s.spot_hours, b.on_demand_hours + b.spot_hours,
        "");
  row_f("spot share of instance-hours", 100 * s.spot_share, 100 * b.spot_share, "%");
  row_f("mean memory reservation", s.mean_memory_reservation, b.mean_memory_reservation, "%");
  row_f("mean CPU reservation", s.mean_cpu_reservation, b.mean_cpu_reservation, "%");
  row_i("peak instances", s.peak_instances, b.peak_instances);
  row_i("launches", s.launches, b.launches);
  row_i("scale-out decisions", s.scale_out_decisions, b.scale_out_decisions);
  row_i("instances scaled in", s.scale_in_instances, b.scale_in_instances);
  row_i("spot interruptions", s.spot_interruptions, b.spot_interruptions);
  row_i("capacity requests published", s.capacity_requests, b.capacity_requests);
  row_f("simulation wall time", wall[0], wall[1], "s");
  row_f("simulation CPU time", cpu[0], cpu[1], "s");
  std::printf("\ninstances (on-demand+spot) at the start of each hour:\n");
  for (size_t h = 0; h < s.hourly_instances.size() && h < b.hourly_instances.size(); ++h) {
    std::printf("  %02zu:00  steady %4d+%-4d  baseline %4d+%-4d\n", h, s.hourly_instances[h].first,
                s.hourly_instances[h].second, b.hourly_instances[h].first,
                b.hourly_instances[h].second);
  }
  const double hs = s.on_demand_hours + s.spot_hours;
  const double hb = b.on_demand_hours + b.spot_hours;
  std::printf(
      "\nsteady vs baseline: unplaced %lld vs %lld; instance-hours %.1f vs %.1f (%+.1f%%); "
      "p99 delay %.0f s vs %.0f s\n",
      static_cast<long long>(s.run_tasks_unplaced), static_cast<long long>(b.run_tasks_unplaced),
      hs, hb, hb > 0 ? 100 * (hs - hb) / hb : 0.0, s.delay_p99_s, b.delay_p99_s);
  return 0;
}
