#include "autoscaler/day_sim.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <numbers>
#include <queue>
#include <random>
#include <span>
#include <unordered_map>
#include <utility>

namespace steady::autoscaler {
namespace {

constexpr int kOd = 0;
constexpr int kSpot = 1;
constexpr int64_t kDayStartUnix = 1'699'920'000;  // 2023-11-14T00:00:00Z
constexpr int64_t kNever = -(int64_t{1} << 40);

int64_t Secs(Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); }
Time At(int64_t t) { return Time{std::chrono::seconds(kDayStartUnix + t)}; }

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
double Unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

// Load of the day at `hour` (0..24), lowest at 04:00 + phase, highest twelve hours later.
double Diurnal(double hour, double phase) {
  return 0.25 + 0.75 * (1 - std::cos(2 * std::numbers::pi * (hour - 4 - phase) / 24)) / 2;
}

bool Fits(const Resources& task, const Resources& room) {
  return task.cpu <= room.cpu && task.memory <= room.memory;
}

// ---- The work of the day, drawn once from the seed (the same for both strategies).

struct ServiceSpec {
  std::string name;
  Resources task;
  double peak = 1;
  double phase = 0;
  uint64_t noise_seed = 0;
};

int DesiredAt(const ServiceSpec& s, int64_t t) {
  const double noise = 2 * Unit(Mix(s.noise_seed ^ Mix(static_cast<uint64_t>(t / 60)))) - 1;
  const double v = s.peak * Diurnal(static_cast<double>(t) / 3600, s.phase) * (1 + 0.05 * noise);
  return std::max(1, static_cast<int>(std::lround(v)));
}

struct Arrival {
  int64_t at = 0;
  Resources task;
  int64_t runtime = 0;
};

struct Interruption {
  int64_t at = 0;
  double pick = 0;  // which spot instance of the fleet, as a fraction
};

struct Workload {
  std::vector<std::vector<ServiceSpec>> services;  // per cluster
  std::vector<std::vector<Arrival>> arrivals;      // per cluster, by time
  std::vector<Interruption> interruptions;
};

struct MenuItem {
  Resources task;
  double weight;
};
// Task sizes (CPU units, MiB), averaging about the m5 ratio of 4 GiB per vCPU, some CPU-heavy
// and some memory-heavy, so that neither resource alone decides.
constexpr MenuItem kServiceMenu[] = {{{256, 512}, 3},   {{256, 1024}, 2},  {{512, 2048}, 4},
                                     {{1024, 2048}, 2}, {{1024, 4096}, 3}, {{2048, 8192}, 1},
                                     {{512, 4096}, 1}};
constexpr MenuItem kBatchMenu[] = {{{512, 2048}, 3},  {{1024, 2048}, 2}, {{1024, 4096}, 3},
                                   {{2048, 4096}, 1}, {{2048, 8192}, 1}, {{4096, 16384}, 1}};

Workload Generate(const DayShape& shape) {
  Workload w;
  std::mt19937_64 rng(shape.seed);
  auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto pick = [&](std::span<const MenuItem> menu) {
    double total = 0;
    for (const MenuItem& m : menu) total += m.weight;
    double r = uni(0, total);
    for (const MenuItem& m : menu) {
      if (r < m.weight) return m.task;
      r -= m.weight;
    }
    return menu.back().task;
  };
  const int64_t len = Secs(shape.length);
  const int n = shape.clusters;
  w.services.resize(n);
  w.arrivals.resize(n);

  std::normal_distribution<double> peak_dist(std::log(8.0), 0.8);
  for (int s = 0; s < shape.services; ++s) {
    ServiceSpec spec;
    spec.name = "svc-" + std::to_string(s);
    spec.task = pick(kServiceMenu);
    spec.peak = std::clamp(std::exp(peak_dist(rng)), 1.0, 80.0);
    spec.phase = uni(-1.5, 1.5);
    spec.noise_seed = Mix(shape.seed * 1000003 + static_cast<uint64_t>(s));
    w.services[s % n].push_back(std::move(spec));
  }

  std::vector<double> weights(n);
  for (double& x : weights) x = uni(0.5, 1.5);
  std::discrete_distribution<int> cluster_dist(weights.begin(), weights.end());
  auto diurnal_time = [&] {
    for (;;) {
      const double t = uni(0, static_cast<double>(len));
      if (uni(0, 1) <= Diurnal(t / 3600, 0)) return static_cast<int64_t>(t);
    }
  };
  int64_t in_bursts =
      std::min<int64_t>(shape.run_tasks, std::llround(shape.run_tasks * shape.burst_fraction));
  const int64_t singles = shape.run_tasks - in_bursts;
  while (in_bursts > 0) {
    const int64_t size = std::min<int64_t>(
        in_bursts, std::uniform_int_distribution<int>(shape.burst_min, shape.burst_max)(rng));
    const int c = cluster_dist(rng);
    const int64_t at = diurnal_time();
    const Resources task = pick(kBatchMenu);
    const double base = uni(180, 900);
    for (int64_t i = 0; i < size; ++i) {
      w.arrivals[c].push_back({at, task, std::llround(base * uni(0.8, 1.2))});
    }
    in_bursts -= size;
  }
  for (int64_t i = 0; i < singles; ++i) {
    const int c = cluster_dist(rng);
    const int64_t at = diurnal_time();
    const Resources task = pick(kBatchMenu);
    w.arrivals[c].push_back({at, task, std::llround(std::exp(uni(std::log(60), std::log(1800))))});
  }
  for (const DayBurst& b : shape.extra_bursts) {
    for (int i = 0; i < b.tasks; ++i) {
      w.arrivals[b.cluster].push_back({Secs(b.at), b.task, std::max<int64_t>(1, Secs(b.runtime))});
    }
  }
  for (auto& a : w.arrivals) {
    std::stable_sort(a.begin(), a.end(),
                     [](const Arrival& x, const Arrival& y) { return x.at < y.at; });
  }
  if (shape.spot_interruptions_per_hour > 0) {
    std::exponential_distribution<double> gap(shape.spot_interruptions_per_hour / 3600);
    for (double t = gap(rng); t < static_cast<double>(len); t += gap(rng)) {
      w.interruptions.push_back({static_cast<int64_t>(t), uni(0, 1)});
    }
  }
  return w;
}

// ---- The simulated fleet.

struct Task {
  Resources res;
  int service = -1;      // index in Cluster::services; -1 for a RunTask task
  int provider = kSpot;  // capacity provider it is bound to (baseline only)
  int instance = -1;     // index in Cluster::instances; -1 while not placed
  int epoch = 0;         // bumped when the task is killed, to drop its stale completion
  bool placed_once = false;
  bool done = false;
  int64_t runtime = 0;
  int64_t submitted = 0;
  int64_t window_start = 0;   // start of the current RunTask retry window
  int64_t next_try = 0;       // next RunTask attempt
  int64_t waiting_since = 0;  // when it last started waiting
};

struct Instance {
  std::string id;
  int group = kOd;
  int64_t launched = 0;
  int64_t registers_at = 0;
  int64_t gone_at = -1;  // spot interruption: when the instance disappears
  bool registered = false;
  bool draining = false;
  bool victim = false;  // steady's scale-in: terminate once empty
  Resources used;
  std::vector<int> tasks;
};

struct Service {
  const ServiceSpec* spec = nullptr;
  int desired = 0;
  std::vector<int> tasks;  // running tasks, on any instance
  int draining_tasks = 0;  // of those, on DRAINING instances
  int deficit_at_scale_out[2] = {0, 0};
};

struct Group {
  std::string name;
  int desired = 0;
  // Baseline.
  int64_t last_scale_out = kNever;
  int64_t last_scale_in = kNever;
  int low_points = 0;
  int64_t delayed_at = -1;  // a scale-out waiting for scale_out_delay
  int delayed_desired = 0;
};

struct Completion {
  int64_t at;
  int task;
  int epoch;
  bool operator>(const Completion& o) const { return at > o.at; }
};

struct Cluster {
  int index = 0;
  std::string name;
  std::vector<Instance> instances;  // every instance launched; `live` lists those still there
  std::vector<int> live;
  std::vector<Task> tasks;
  std::vector<Service> services;
  std::vector<int> waiting;  // RunTask tasks in their retry window
  std::priority_queue<Completion, std::vector<Completion>, std::greater<>> completions;
  Group groups[2];
  std::unordered_map<int, int64_t> held;  // steady: capacity requests, task → received
  std::unique_ptr<Policy> policy;
  ClusterView view;
  const std::vector<Arrival>* arrivals = nullptr;
  size_t next_arrival = 0;
  int64_t run_task_counter = 0;
  int next_instance = 0;
};

class Sim {
 public:
  Sim(const DayShape& shape, const DaySimKnobs& knobs, const EcsManagedScalingModel& model,
      DayStrategy strategy, const Workload& work)
      : shape_(shape),
        knobs_(knobs),
        model_(model),
        steady_(strategy == DayStrategy::kSteady),
        work_(work),
        cap_(knobs.instance_type.capacity),
        len_(Secs(shape.length)),
        boot_(Secs(knobs.boot_delay)),
        jitter_(Secs(knobs.boot_jitter)),
        notice_(Secs(knobs.spot_notice)),
        retry_(Secs(knobs.run_task_retry)),
        give_up_(Secs(knobs.run_task_give_up)),
        hold_(Secs(knobs.capacity_request_hold)),
        interval_(std::max<int64_t>(1, Secs(knobs.steady_interval))),
        period_(std::max<int64_t>(1, Secs(model.metric_period))) {
    result_.strategy = strategy;
    result_.launch_seconds.resize(shape.clusters);
  }

  DayResult Run() {
    for (int c = 0; c < shape_.clusters; ++c) Bootstrap(c);
    size_t next_interruption = 0;
    double reserved_memory = 0;
    double registered_memory = 0;
    for (int64_t t = 0; t < len_; ++t) {
      int total_live = 0;
      if (t % 3600 == 0) {
        std::pair<int, int> count{0, 0};
        for (const Cluster& c : clusters_) {
          for (int idx : c.live) ++(c.instances[idx].group == kSpot ? count.second : count.first);
        }
        result_.hourly_instances.push_back(count);
      }
      for (Cluster& c : clusters_) {
        StepInstances(c, t, reserved_memory, registered_memory);
        StepCompletions(c, t);
        if (t % 60 == 0) {
          for (Service& s : c.services) s.desired = DesiredAt(*s.spec, t);
        }
      }
      while (next_interruption < work_.interruptions.size() &&
             work_.interruptions[next_interruption].at <= t) {
        Interrupt(t, work_.interruptions[next_interruption++].pick);
      }
      for (Cluster& c : clusters_) {
        StepServices(c);
        StepRunTasks(c, t);
        if (steady_) {
          if (t % interval_ == 0) StepSteady(c, t);
        } else {
          StepBaseline(c, t);
        }
        StepGroups(c, t);
        total_live += static_cast<int>(c.live.size());
      }
      result_.peak_instances = std::max(result_.peak_instances, total_live);
    }
    return Finish(reserved_memory, registered_memory);
  }

 private:
  Resources Remaining(const Instance& i) const {
    return {cap_.cpu - i.used.cpu, cap_.memory - i.used.memory};
  }

  // ECS binpack on memory: the registered ACTIVE instance (of `provider`, unless -1) with the
  // least remaining memory that still fits the task.
  int FindInstance(const Cluster& c, const Resources& task, int provider) const {
    int best = -1;
    int64_t best_memory = 0;
    for (int idx : c.live) {
      const Instance& i = c.instances[idx];
      if (!i.registered || i.draining || (provider >= 0 && i.group != provider)) continue;
      const Resources room = Remaining(i);
      if (Fits(task, room) && (best < 0 || room.memory < best_memory)) {
        best = idx;
        best_memory = room.memory;
      }
    }
    return best;
  }

  void PlaceOn(Cluster& c, int task_idx, int inst_idx, int64_t t) {
    Task& task = c.tasks[task_idx];
    Instance& inst = c.instances[inst_idx];
    task.instance = inst_idx;
    inst.tasks.push_back(task_idx);
    inst.used.cpu += task.res.cpu;
    inst.used.memory += task.res.memory;
    if (task.service >= 0) return;
    c.completions.push({t + task.runtime, task_idx, task.epoch});
    if (!task.placed_once) {
      task.placed_once = true;
      ++result_.run_tasks_placed;
      delays_.push_back(static_cast<int32_t>(t - task.submitted));
    }
  }

  // Takes the task off its instance (it keeps its other state).
  void Unplace(Cluster& c, int task_idx) {
    Task& task = c.tasks[task_idx];
    Instance& inst = c.instances[task.instance];
    auto it = std::find(inst.tasks.begin(), inst.tasks.end(), task_idx);
    *it = inst.tasks.back();
    inst.tasks.pop_back();
    inst.used.cpu -= task.res.cpu;
    inst.used.memory -= task.res.memory;
    if (task.service >= 0 && inst.draining) --c.services[task.service].draining_tasks;
    task.instance = -1;
  }

  void StopServiceTask(Cluster& c, int task_idx) {
    Task& task = c.tasks[task_idx];
    Service& s = c.services[task.service];
    Unplace(c, task_idx);
    task.done = true;
    auto it = std::find(s.tasks.begin(), s.tasks.end(), task_idx);
    *it = s.tasks.back();
    s.tasks.pop_back();
  }

  void MakeDraining(Cluster& c, int inst_idx) {
    Instance& inst = c.instances[inst_idx];
    if (inst.draining) return;
    inst.draining = true;
    for (int task_idx : inst.tasks) {
      if (c.tasks[task_idx].service >= 0) ++c.services[c.tasks[task_idx].service].draining_tasks;
    }
  }

  int Launch(Cluster& c, int group, int64_t t, bool bootstrap) {
    Instance inst;
    const int number = c.next_instance++;
    inst.id = "i-" + std::to_string(c.index) + "-" + std::to_string(number);
    inst.group = group;
    inst.launched = t;
    if (bootstrap) {
      inst.registers_at = t;
      inst.registered = true;
    } else {
      const uint64_t h = Mix(shape_.seed ^ Mix((static_cast<uint64_t>(c.index) << 32) | number));
      const int64_t jitter =
          jitter_ > 0 ? static_cast<int64_t>(h % static_cast<uint64_t>(2 * jitter_ + 1)) - jitter_
                      : 0;
      inst.registers_at = t + std::max<int64_t>(1, boot_ + jitter);
      ++result_.launches;
      result_.launch_seconds[c.index].push_back(t);
    }
    c.instances.push_back(std::move(inst));
    c.live.push_back(static_cast<int>(c.instances.size()) - 1);
    return static_cast<int>(c.instances.size()) - 1;
  }

  void Terminate(Cluster& c, int inst_idx, int64_t t) {
    const Instance& inst = c.instances[inst_idx];
    (inst.group == kSpot ? spot_seconds_ : od_seconds_) += static_cast<double>(t - inst.launched);
    std::erase(c.live, inst_idx);
    ++result_.terminations;
  }

  // The instance is gone (end of a spot notice): what still runs there is killed.
  void Kill(Cluster& c, int inst_idx, int64_t t) {
    const std::vector<int> on = c.instances[inst_idx].tasks;
    for (int task_idx : on) {
      Task& task = c.tasks[task_idx];
      if (task.service >= 0) {
        StopServiceTask(c, task_idx);
        continue;
      }
      Unplace(c, task_idx);
      ++task.epoch;
      task.window_start = t;
      task.next_try = t;
      task.waiting_since = t;
      c.waiting.push_back(task_idx);
      ++result_.run_tasks_interrupted;
    }
    Group& g = c.groups[c.instances[inst_idx].group];
    if (c.instances[inst_idx].victim) g.desired = std::max(0, g.desired - 1);
    Terminate(c, inst_idx, t);
  }

  int OdShareCount(int total) const {
    return static_cast<int>(std::lround(total * knobs_.on_demand_share));
  }

  // Baseline: the provider the next task of `s` goes to (on-demand while below its share).
  int ServiceProvider(const Cluster& c, const Service& s) const {
    int od = 0;
    for (int task_idx : s.tasks) {
      const Task& task = c.tasks[task_idx];
      if (!c.instances[task.instance].draining && task.provider == kOd) ++od;
    }
    return od < OdShareCount(s.desired) ? kOd : kSpot;
  }

  // Baseline: missing tasks of `s` per provider.
  void ServiceDeficit(const Cluster& c, const Service& s, int deficit[2]) const {
    int active[2] = {0, 0};
    for (int task_idx : s.tasks) {
      const Task& task = c.tasks[task_idx];
      if (!c.instances[task.instance].draining) ++active[task.provider];
    }
    const int missing = std::max(0, s.desired - active[kOd] - active[kSpot]);
    deficit[kOd] = std::clamp(OdShareCount(s.desired) - active[kOd], 0, missing);
    deficit[kSpot] = missing - deficit[kOd];
  }

  int NewServiceTask(Cluster& c, int service, int provider) {
    Task task;
    task.service = service;
    task.provider = provider;
    task.res = c.services[service].spec->task;
    c.tasks.push_back(task);
    return static_cast<int>(c.tasks.size()) - 1;
  }

  // The cluster at 00:00: the services' tasks packed onto registered instances.
  void Bootstrap(int index) {
    Cluster& c = clusters_[index];
    c.index = index;
    c.name = "cluster-" + std::to_string(index);
    c.groups[kOd].name = "c" + std::to_string(index) + "-od";
    c.groups[kSpot].name = "c" + std::to_string(index) + "-spot";
    c.arrivals = &work_.arrivals[index];
    for (const ServiceSpec& spec : work_.services[index]) {
      Service s;
      s.spec = &spec;
      s.desired = DesiredAt(spec, 0);
      c.services.push_back(s);
    }
    int count[2] = {0, 0};
    for (int s = 0; s < static_cast<int>(c.services.size()); ++s) {
      for (int k = 0; k < c.services[s].desired; ++k) {
        const int provider = steady_ ? -1 : ServiceProvider(c, c.services[s]);
        int inst = FindInstance(c, c.services[s].spec->task, provider);
        if (inst < 0) {
          int group = provider;
          if (group < 0) {
            group = count[kOd] < OdShareCount(count[kOd] + count[kSpot] + 1) ? kOd : kSpot;
          }
          inst = Launch(c, group, 0, /*bootstrap=*/true);
          ++count[group];
        }
        const int task = NewServiceTask(c, s, c.instances[inst].group);
        PlaceOn(c, task, inst, 0);
        c.services[s].tasks.push_back(task);
      }
    }
    for (int g : {kOd, kSpot}) {
      while (count[g] < knobs_.group_min) {
        Launch(c, g, 0, /*bootstrap=*/true);
        ++count[g];
      }
      c.groups[g].desired = count[g];
    }
    if (steady_) {
      ClusterPolicy config = knobs_.steady;
      config.cluster = c.name;
      config.on_demand_share = knobs_.on_demand_share;
      GroupConfig od{c.groups[kOd].name,  GroupConfig::Kind::kAutoScalingGroup,
                     Purchase::kOnDemand, {knobs_.instance_type},
                     knobs_.group_min,    knobs_.group_max};
      GroupConfig spot{c.groups[kSpot].name, GroupConfig::Kind::kSpotFleet,
                       Purchase::kSpot,      {knobs_.instance_type},
                       knobs_.group_min,     knobs_.group_max};
      config.groups = {od, spot};
      c.policy = std::make_unique<Policy>(std::move(config));
    }
  }

  void StepInstances(Cluster& c, int64_t t, double& reserved_memory, double& registered_memory) {
    for (size_t k = 0; k < c.live.size(); ++k) {
      const int idx = c.live[k];
      Instance& inst = c.instances[idx];
      if (inst.gone_at >= 0 && inst.gone_at <= t) {
        Kill(c, idx, t);
        --k;  // Kill removed live[k]; std::erase keeps the order
        continue;
      }
      if (!inst.registered && inst.registers_at <= t) inst.registered = true;
      if (inst.registered) {
        reserved_memory += static_cast<double>(inst.used.memory);
        registered_memory += static_cast<double>(cap_.memory);
        reserved_cpu_ += static_cast<double>(inst.used.cpu);
        registered_cpu_ += static_cast<double>(cap_.cpu);
      }
    }
  }

  void StepCompletions(Cluster& c, int64_t t) {
    while (!c.completions.empty() && c.completions.top().at <= t) {
      const Completion done = c.completions.top();
      c.completions.pop();
      Task& task = c.tasks[done.task];
      if (task.epoch != done.epoch || task.done || task.instance < 0) continue;
      Unplace(c, done.task);
      task.done = true;
      ++result_.run_tasks_completed;
    }
  }

  // A spot interruption: a random registered spot instance of the fleet gets its notice.
  void Interrupt(int64_t t, double pick) {
    std::vector<std::pair<int, int>> spot;
    for (Cluster& c : clusters_) {
      for (int idx : c.live) {
        const Instance& i = c.instances[idx];
        if (i.group == kSpot && i.registered && i.gone_at < 0) spot.push_back({c.index, idx});
      }
    }
    if (spot.empty()) return;
    const auto [ci, idx] = spot[std::min(spot.size() - 1, static_cast<size_t>(pick * spot.size()))];
    Cluster& c = clusters_[ci];
    MakeDraining(c, idx);
    c.instances[idx].gone_at = t + notice_;
    ++result_.spot_interruptions;
  }

  // The ECS service scheduler: missing tasks placed (replacing those on DRAINING instances),
  // surplus stopped (DRAINING first, then the emptiest instance's).
  void StepServices(Cluster& c) {
    for (int s = 0; s < static_cast<int>(c.services.size()); ++s) {
      Service& svc = c.services[s];
      int active = static_cast<int>(svc.tasks.size()) - svc.draining_tasks;
      while (active < svc.desired) {
        const int provider = steady_ ? -1 : ServiceProvider(c, svc);
        const int inst = FindInstance(c, svc.spec->task, provider);
        if (inst < 0) break;
        const int task = NewServiceTask(c, s, c.instances[inst].group);
        PlaceOn(c, task, inst, 0);
        svc.tasks.push_back(task);
        ++active;
        if (svc.draining_tasks > 0 && static_cast<int>(svc.tasks.size()) > svc.desired) {
          StopOne(c, svc, /*draining=*/true);
        }
      }
      while (static_cast<int>(svc.tasks.size()) > svc.desired) {
        StopOne(c, svc, /*draining=*/svc.draining_tasks > 0);
      }
      service_short_seconds_ +=
          std::max(0, svc.desired - (static_cast<int>(svc.tasks.size()) - svc.draining_tasks));
    }
  }

  void StopOne(Cluster& c, Service& svc, bool draining) {
    int pick = -1;
    int64_t most_room = -1;
    for (int task_idx : svc.tasks) {
      const Instance& inst = c.instances[c.tasks[task_idx].instance];
      if (inst.draining != draining) continue;
      const int64_t room = Remaining(inst).memory;
      if (room > most_room) {
        most_room = room;
        pick = task_idx;
      }
    }
    StopServiceTask(c, pick);
  }

  // RunTask: new submissions, then the retries that are due (hako: every run_task_retry, given
  // up run_task_give_up after the first attempt).
  void StepRunTasks(Cluster& c, int64_t t) {
    while (c.next_arrival < c.arrivals->size() && (*c.arrivals)[c.next_arrival].at <= t) {
      const Arrival& a = (*c.arrivals)[c.next_arrival++];
      Task task;
      task.res = a.task;
      task.runtime = a.runtime;
      task.submitted = task.window_start = task.next_try = task.waiting_since = t;
      // Round-robin over the strategy's weights: every 1/share-th task goes on-demand.
      const int64_t k = c.run_task_counter++;
      const double share = knobs_.on_demand_share;
      task.provider = std::floor((k + 1) * share) > std::floor(k * share) ? kOd : kSpot;
      c.tasks.push_back(task);
      c.waiting.push_back(static_cast<int>(c.tasks.size()) - 1);
      ++result_.run_tasks_submitted;
    }
    size_t keep = 0;
    for (size_t k = 0; k < c.waiting.size(); ++k) {
      const int task_idx = c.waiting[k];
      Task& task = c.tasks[task_idx];
      if (task.next_try > t) {
        c.waiting[keep++] = task_idx;
        continue;
      }
      const int inst = FindInstance(c, task.res, steady_ ? -1 : task.provider);
      if (inst >= 0) {
        PlaceOn(c, task_idx, inst, t);
        if (steady_) c.held.erase(task_idx);
        continue;
      }
      ++result_.run_task_failed_attempts;
      if (steady_) {
        auto it = c.held.find(task_idx);
        if (it == c.held.end() || t - it->second >= hold_) {
          c.held[task_idx] = t;
          ++result_.capacity_requests;
        }
      }
      if (t - task.window_start >= give_up_) {
        ++result_.run_tasks_unplaced;
        task.done = true;
        continue;
      }
      task.next_try = t + retry_;
      c.waiting[keep++] = task_idx;
    }
    c.waiting.resize(keep);
  }

  void BuildView(Cluster& c, int64_t t) {
    ClusterView& v = c.view;
    v.cluster = c.name;
    v.at = At(t);
    v.groups.resize(2);
    for (int g : {kOd, kSpot}) {
      v.groups[g].name = c.groups[g].name;
      v.groups[g].desired = c.groups[g].desired;
    }
    v.instances.resize(c.live.size());
    for (size_t k = 0; k < c.live.size(); ++k) {
      const Instance& i = c.instances[c.live[k]];
      InstanceView& iv = v.instances[k];
      iv.instance_id = i.id;
      iv.group = c.groups[i.group].name;
      iv.instance_type = knobs_.instance_type.name;
      iv.purchase = i.group == kSpot ? Purchase::kSpot : Purchase::kOnDemand;
      iv.registered = i.registered;
      iv.active = !i.draining;
      iv.registered_resources = i.registered ? cap_ : Resources{};
      iv.remaining = i.registered ? Remaining(i) : Resources{};
      iv.running_tasks = static_cast<int>(i.tasks.size());
      iv.pending_tasks = 0;
      iv.launched = At(i.launched);
      iv.scale_in_protected = i.victim;
    }
    v.services.resize(c.services.size());
    for (size_t k = 0; k < c.services.size(); ++k) {
      ServiceView& sv = v.services[k];
      sv.name = c.services[k].spec->name;
      sv.desired = c.services[k].desired;
      sv.running = static_cast<int>(c.services[k].tasks.size());
      sv.pending = 0;
      sv.task = c.services[k].spec->task;
    }
    v.capacity_requests.clear();
    for (auto it = c.held.begin(); it != c.held.end();) {
      if (t - it->second >= hold_) {
        it = c.held.erase(it);
        continue;
      }
      v.capacity_requests.push_back(
          {"t" + std::to_string(it->first), "batch", c.tasks[it->first].res, At(it->second)});
      ++it;
    }
  }

  void StepSteady(Cluster& c, int64_t t) {
    BuildView(c, t);
    const Decision d = c.policy->Evaluate(c.view, 0);
    if (knobs_.on_decision) knobs_.on_decision(c.index, t, c.view, d);
    bool out = false;
    for (const auto& [name, desired] : d.desired) {
      for (Group& g : c.groups) {
        if (g.name != name) continue;
        out = out || desired > g.desired;
        g.desired = desired;
      }
    }
    if (out) ++result_.scale_out_decisions;
    for (const Decision::Victim& victim : d.scale_in) {
      for (int idx : c.live) {
        Instance& inst = c.instances[idx];
        if (inst.id != victim.instance_id || inst.victim) continue;
        inst.victim = true;
        MakeDraining(c, idx);
      }
    }
  }

  // ECS managed scaling, per capacity provider, on the metric's period.
  void StepBaseline(Cluster& c, int64_t t) {
    for (int p : {kOd, kSpot}) {
      Group& g = c.groups[p];
      if (g.delayed_at >= 0 && g.delayed_at <= t) {
        g.desired = std::max(g.desired, g.delayed_desired);
        g.delayed_at = -1;
      }
    }
    if (t == 0 || t % period_ != 0) return;
    const int64_t warmup = Secs(model_.warmup);
    for (int p : {kOd, kSpot}) {
      Group& g = c.groups[p];
      int n = 0;
      int busy = 0;
      bool warming = false;
      for (int idx : c.live) {
        const Instance& i = c.instances[idx];
        if (i.group != p) continue;
        ++n;
        if (!i.tasks.empty()) ++busy;
        if (t - i.launched < warmup && i.launched > 0) warming = true;
      }
      // Provisioning tasks by shape; during warm-up only those new since the last scale-out.
      std::vector<std::pair<Resources, int64_t>> shapes;
      auto add = [&](const Resources& r, int64_t count) {
        if (count <= 0) return;
        for (auto& [res, k] : shapes) {
          if (res == r) {
            k += count;
            return;
          }
        }
        shapes.push_back({r, count});
      };
      bool provisioning = false;
      for (int task_idx : c.waiting) {
        const Task& task = c.tasks[task_idx];
        if (task.provider != p) continue;
        provisioning = true;
        if (!warming || task.waiting_since > g.last_scale_out) add(task.res, 1);
      }
      for (const Service& s : c.services) {
        int deficit[2];
        ServiceDeficit(c, s, deficit);
        if (deficit[p] <= 0) continue;
        provisioning = true;
        add(s.spec->task, warming ? deficit[p] - s.deficit_at_scale_out[p] : deficit[p]);
      }
      int64_t estimate = 0;
      for (const auto& [res, k] : shapes) {
        const int64_t fit = std::min(cap_.cpu / std::max<int64_t>(1, res.cpu),
                                     cap_.memory / std::max<int64_t>(1, res.memory));
        if (fit > 0) estimate = std::max(estimate, (k + fit - 1) / fit);
      }
      int64_t m = busy;
      if (estimate > 0) {
        m = n + std::clamp<int64_t>(estimate, model_.min_step, model_.max_step);
      } else if (provisioning) {
        m = n;
      }
      const double cpr = n == 0 ? (m > 0 ? 200.0 : 100.0) : 100.0 * m / n;
      const double target = model_.target_capacity;
      const int wanted =
          static_cast<int>(std::ceil(static_cast<double>(m) * 100.0 / target - 1e-9));
      if (cpr > target) {
        g.low_points = 0;
        const int desired = std::min(knobs_.group_max, std::max(wanted, knobs_.group_min));
        if (desired > g.desired && g.delayed_at < 0) {
          ++result_.scale_out_decisions;
          g.last_scale_out = t;
          for (Service& s : c.services) {
            int deficit[2];
            ServiceDeficit(c, s, deficit);
            s.deficit_at_scale_out[p] = deficit[p];
          }
          if (model_.scale_out_delay > Duration::zero()) {
            g.delayed_at = t + Secs(model_.scale_out_delay);
            g.delayed_desired = desired;
          } else {
            g.desired = desired;
          }
        }
      } else if (cpr < target) {
        ++g.low_points;
        if (g.low_points >= model_.scale_in_datapoints && !warming &&
            t - g.last_scale_in >= Secs(model_.scale_in_step_interval)) {
          const int reduce =
              std::max(1, static_cast<int>(std::floor(n * model_.scale_in_max_fraction)));
          const int desired = std::max({wanted, n - reduce, knobs_.group_min});
          if (desired < g.desired) {
            g.desired = desired;
            g.last_scale_in = t;
          }
        }
      } else {
        g.low_points = 0;
      }
    }
  }

  // The groups follow their desired: launch what is missing, terminate empty surplus
  // (booting last); steady's victims go once empty, decrementing desired.
  void StepGroups(Cluster& c, int64_t t) {
    for (size_t k = 0; k < c.live.size(); ++k) {
      const int idx = c.live[k];
      Instance& inst = c.instances[idx];
      if (inst.victim && inst.tasks.empty() && inst.gone_at < 0) {
        Group& g = c.groups[inst.group];
        g.desired = std::max(0, g.desired - 1);
        Terminate(c, idx, t);
        ++result_.scale_in_instances;
        --k;
      }
    }
    for (int p : {kOd, kSpot}) {
      Group& g = c.groups[p];
      int count = 0;
      for (int idx : c.live) count += c.instances[idx].group == p ? 1 : 0;
      for (; count < g.desired; ++count) Launch(c, p, t, /*bootstrap=*/false);
      if (count <= g.desired) continue;
      int excess = count - g.desired;
      std::vector<int> empty_registered;
      std::vector<int> booting;
      for (int idx : c.live) {
        const Instance& i = c.instances[idx];
        if (i.group != p || i.victim || i.draining || !i.tasks.empty()) continue;
        (i.registered ? empty_registered : booting).push_back(idx);
      }
      std::reverse(booting.begin(), booting.end());  // newest first
      for (const std::vector<int>* list : {&empty_registered, &booting}) {
        for (int idx : *list) {
          if (excess == 0) break;
          Terminate(c, idx, t);
          ++result_.scale_in_instances;
          --excess;
        }
      }
    }
  }

  DayResult Finish(double reserved_memory, double registered_memory) {
    for (Cluster& c : clusters_) {
      for (int idx : c.live) {
        const Instance& i = c.instances[idx];
        (i.group == kSpot ? spot_seconds_ : od_seconds_) += static_cast<double>(len_ - i.launched);
      }
      for (const Task& task : c.tasks) {
        if (task.service >= 0 || task.done) continue;
        if (task.instance >= 0) {
          ++result_.run_tasks_running_at_end;
        } else {
          ++result_.run_tasks_waiting_at_end;
        }
      }
    }
    result_.on_demand_hours = od_seconds_ / 3600;
    result_.spot_hours = spot_seconds_ / 3600;
    const double total = result_.on_demand_hours + result_.spot_hours;
    result_.spot_share = total > 0 ? result_.spot_hours / total : 0;
    result_.mean_memory_reservation =
        registered_memory > 0 ? 100.0 * reserved_memory / registered_memory : 0;
    result_.mean_cpu_reservation =
        registered_cpu_ > 0 ? 100.0 * reserved_cpu_ / registered_cpu_ : 0;
    result_.service_short_task_hours = service_short_seconds_ / 3600;
    if (!delays_.empty()) {
      std::sort(delays_.begin(), delays_.end());
      auto q = [&](double f) {
        const size_t k = std::min(delays_.size() - 1, static_cast<size_t>(f * delays_.size()));
        return static_cast<double>(delays_[k]);
      };
      result_.delay_p50_s = q(0.50);
      result_.delay_p90_s = q(0.90);
      result_.delay_p99_s = q(0.99);
      result_.delay_max_s = delays_.back();
      double sum = 0;
      for (int32_t d : delays_) sum += d;
      result_.delay_mean_s = sum / static_cast<double>(delays_.size());
    }
    return std::move(result_);
  }

  const DayShape& shape_;
  const DaySimKnobs& knobs_;
  const EcsManagedScalingModel& model_;
  const bool steady_;
  const Workload& work_;
  const Resources cap_;
  const int64_t len_, boot_, jitter_, notice_, retry_, give_up_, hold_, interval_, period_;
  std::vector<Cluster> clusters_ = std::vector<Cluster>(shape_.clusters);
  std::vector<int32_t> delays_;
  double od_seconds_ = 0;
  double spot_seconds_ = 0;
  double service_short_seconds_ = 0;
  double reserved_cpu_ = 0;
  double registered_cpu_ = 0;
  DayResult result_;
};

Status Validate(const DayShape& shape, const DaySimKnobs& knobs,
                const EcsManagedScalingModel& model) {
  if (shape.clusters < 1) return InvalidArgumentError("day sim: clusters must be >= 1");
  if (shape.services < 0 || shape.run_tasks < 0) {
    return InvalidArgumentError("day sim: services and run_tasks must be >= 0");
  }
  if (Secs(shape.length) < 1) return InvalidArgumentError("day sim: length must be >= 1 s");
  if (shape.burst_fraction < 0 || shape.burst_fraction > 1) {
    return InvalidArgumentError("day sim: burst_fraction must be within [0, 1]");
  }
  if (shape.burst_min < 1 || shape.burst_max < shape.burst_min) {
    return InvalidArgumentError("day sim: need 1 <= burst_min <= burst_max");
  }
  if (shape.spot_interruptions_per_hour < 0) {
    return InvalidArgumentError("day sim: spot_interruptions_per_hour must be >= 0");
  }
  for (const DayBurst& b : shape.extra_bursts) {
    if (b.cluster < 0 || b.cluster >= shape.clusters) {
      return InvalidArgumentError("day sim: a burst names cluster " + std::to_string(b.cluster) +
                                  " of " + std::to_string(shape.clusters));
    }
    if (b.tasks < 0 || b.task.cpu <= 0 || b.task.memory <= 0 || b.at < Duration::zero()) {
      return InvalidArgumentError("day sim: a burst needs tasks >= 0, cpu/memory > 0, at >= 0");
    }
  }
  const Resources& cap = knobs.instance_type.capacity;
  if (cap.cpu <= 0 || cap.memory <= 0) {
    return InvalidArgumentError("day sim: instance type " + knobs.instance_type.name +
                                " has no capacity");
  }
  if (knobs.group_min < 0 || knobs.group_max < knobs.group_min || knobs.group_max < 1) {
    return InvalidArgumentError("day sim: need 0 <= group_min <= group_max, group_max >= 1");
  }
  if (Secs(knobs.run_task_retry) < 1 || Secs(knobs.steady_interval) < 1 ||
      Secs(model.metric_period) < 1 || Secs(knobs.boot_delay) < 0 ||
      knobs.boot_jitter > knobs.boot_delay) {
    return InvalidArgumentError(
        "day sim: retry, steady interval and metric period must be >= 1 s; boot jitter <= boot "
        "delay");
  }
  if (knobs.on_demand_share < 0 || knobs.on_demand_share > 1) {
    return InvalidArgumentError("day sim: on_demand_share must be within [0, 1]");
  }
  if (model.target_capacity <= 0 || model.target_capacity > 100 || model.min_step < 1 ||
      model.max_step < model.min_step || model.scale_in_datapoints < 1 ||
      model.scale_in_max_fraction <= 0) {
    return InvalidArgumentError(
        "day sim: baseline needs 0 < target <= 100, 1 <= min_step <= max_step, datapoints >= 1, "
        "scale_in_max_fraction > 0");
  }
  return Status::Ok();
}

}  // namespace

const char* DayStrategyName(DayStrategy s) {
  return s == DayStrategy::kSteady ? "steady" : "ecs-managed-scaling";
}

Result<DayResult> SimulateDay(const DayShape& shape, const DaySimKnobs& knobs,
                              const EcsManagedScalingModel& baseline, DayStrategy strategy) {
  RETURN_IF_ERROR(Validate(shape, knobs, baseline));
  const Workload work = Generate(shape);
  Sim sim(shape, knobs, baseline, strategy, work);
  return sim.Run();
}

}  // namespace steady::autoscaler
