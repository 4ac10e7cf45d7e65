#include "metrics/scraper.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <unordered_map>

#include "base/log.h"

namespace steady::metrics {
namespace {

struct MetricDef {
  Field field;
  const char* name;  // counters without _total
  MetricType type;
  const char* help;
  bool aggregate;  // summed into ecs_task_*
};

constexpr MetricType kC = MetricType::kCounter;
constexpr MetricType kG = MetricType::kGauge;

// cAdvisor's names and help texts, so its dashboards and alerts work unchanged.
constexpr MetricDef kMetrics[] = {
    {kCpuUsageSeconds, "container_cpu_usage_seconds", kC,
     "Cumulative cpu time consumed in seconds.", true},
    {kCpuUserSeconds, "container_cpu_user_seconds", kC,
     "Cumulative user cpu time consumed in seconds.", true},
    {kCpuSystemSeconds, "container_cpu_system_seconds", kC,
     "Cumulative system cpu time consumed in seconds.", true},
    {kCpuPeriods, "container_cpu_cfs_periods", kC,
     "Number of elapsed enforcement period intervals.", true},
    {kCpuThrottledPeriods, "container_cpu_cfs_throttled_periods", kC,
     "Number of throttled period intervals.", true},
    {kCpuThrottledSeconds, "container_cpu_cfs_throttled_seconds", kC,
     "Total time duration the container has been throttled.", true},
    {kMemoryUsageBytes, "container_memory_usage_bytes", kG,
     "Current memory usage in bytes, including all memory regardless of when it was accessed.",
     true},
    {kMemoryWorkingSetBytes, "container_memory_working_set_bytes", kG,
     "Current working set in bytes (usage minus inactive file cache).", true},
    {kMemoryRssBytes, "container_memory_rss", kG, "Size of RSS in bytes.", true},
    {kMemoryCacheBytes, "container_memory_cache", kG, "Number of bytes of page cache memory.",
     true},
    {kMemoryMappedFileBytes, "container_memory_mapped_file", kG,
     "Size of memory mapped files in bytes.", true},
    {kMemorySwapBytes, "container_memory_swap", kG, "Container swap usage in bytes.", true},
    {kMemoryLimitBytes, "container_spec_memory_limit_bytes", kG,
     "Memory limit for the container (0: unlimited).", false},
    {kOomEvents, "container_oom_events", kC,
     "Count of out of memory events observed for the container.", true},
    {kFsReadBytes, "container_fs_reads_bytes", kC, "Cumulative count of bytes read.", true},
    {kFsWriteBytes, "container_fs_writes_bytes", kC, "Cumulative count of bytes written.", true},
    {kFsReads, "container_fs_reads", kC, "Cumulative count of reads completed.", true},
    {kFsWrites, "container_fs_writes", kC, "Cumulative count of writes completed.", true},
    {kThreads, "container_threads", kG, "Number of threads running inside the container.", true},
    {kThreadsMax, "container_threads_max", kG,
     "Maximum number of threads allowed inside the container (0: unlimited).", false},
};

struct NetDef {
  NetField field;
  const char* name;
  const char* help;
};

constexpr NetDef kNetMetrics[] = {
    {kRxBytes, "container_network_receive_bytes", "Cumulative count of bytes received."},
    {kRxPackets, "container_network_receive_packets", "Cumulative count of packets received."},
    {kRxErrors, "container_network_receive_errors",
     "Cumulative count of errors encountered while receiving."},
    {kRxDropped, "container_network_receive_packets_dropped",
     "Cumulative count of packets dropped while receiving."},
    {kTxBytes, "container_network_transmit_bytes", "Cumulative count of bytes transmitted."},
    {kTxPackets, "container_network_transmit_packets", "Cumulative count of packets transmitted."},
    {kTxErrors, "container_network_transmit_errors",
     "Cumulative count of errors encountered while transmitting."},
    {kTxDropped, "container_network_transmit_packets_dropped",
     "Cumulative count of packets dropped while transmitting."},
};

constexpr int kDiscovery = kCollectorCount;  // health slot for the container source

const char* HealthName(int i) {
  return i == kDiscovery ? "discovery" : CollectorName(static_cast<Collector>(i));
}

// "container_cpu_usage_seconds" → "ecs_task_cpu_usage_seconds"
std::string TaskName(std::string_view container_name) {
  return "ecs_task_" + std::string(container_name.substr(sizeof("container_") - 1));
}

double SecondsBetween(Time a, Time b) { return std::chrono::duration<double>(b - a).count(); }

}  // namespace

struct Scraper::Target {
  Container container;
  EcsIdentity identity;
  std::string labels;
  size_t task = 0;
  bool resolved = false;
  CgroupDirs dirs;
  int limits_age = 0;  // scrapes since the limits were read; 0: read them now
  double memory_limit = -1, threads_max = -1;  // last read; -1 unknown
};

struct Scraper::Task {
  std::string labels;
  std::vector<size_t> members;  // indices into targets_
};

Scraper::Scraper(ScrapeOptions options, ContainerSource& source, MetricsRegistry& registry,
                 Clock& clock)
    : options_(std::move(options)), source_(source), clock_(clock), reader_(options_.cgroup) {
  auto& errors =
      registry.AddCounter("steady_exporter_read_errors_total",
                          "Files or sources the exporter could not read.", {"collector"});
  auto& duration =
      registry.AddGauge("steady_exporter_collector_duration_seconds",
                        "How long the collector took in the last scrape.", {"collector"});
  auto& success =
      registry.AddGauge("steady_exporter_collector_success",
                        "1 if the collector read everything in the last scrape.", {"collector"});
  for (int i = 0; i < kHealthCount; ++i) {
    read_errors_[i] = &errors.With({HealthName(i)});
    duration_gauge_[i] = &duration.With({HealthName(i)});
    success_gauge_[i] = &success.With({HealthName(i)});
  }
  scrapes_ = &registry.AddCounter("steady_exporter_scrapes_total", "Scrapes served.").Get();
  containers_ = std::make_shared<const ContainerList>();
}

Scraper::~Scraper() = default;

size_t Scraper::exported() const {
  std::lock_guard lock(mu_);
  return targets_.size();
}

void Scraper::Refresh() {
  Time t0 = clock_.Now();
  int errors = 0;
  ContainerSnapshot snap = source_.Snapshot();
  if (!snap.status.ok()) {
    ++errors;
    LogDebug("exporter: container source error",
             {{"source", source_.kind()}, {"error", snap.status.ToString()}});
  }
  if (snap.generation != generation_ || snap.containers != containers_) {
    // Rebuild the target list, keeping the resolved cgroup directories of containers that stay.
    std::unordered_map<std::string, Target> old;
    for (Target& t : targets_) old.emplace(t.container.id, std::move(t));
    targets_.clear();
    tasks_.clear();
    excluded_ = 0;
    std::map<std::string, size_t> task_index;
    for (const Container& c : *snap.containers) {
      EcsIdentity id = IdentityFromLabels(c.labels);
      if (!ExclusionReason(c, id, options_.policy).empty()) {
        ++excluded_;
        continue;
      }
      Target t;
      if (auto it = old.find(c.id); it != old.end() && it->second.container == c)
        t = std::move(it->second);
      t.container = c;
      t.identity = std::move(id);
      t.labels = RenderLabels(c, t.identity, options_.labels);
      auto [it, added] = task_index.emplace(TaskKey(c, t.identity), tasks_.size());
      if (added) tasks_.push_back({RenderLabels(c, t.identity, options_.labels, false), {}});
      t.task = it->second;
      tasks_[t.task].members.push_back(targets_.size());
      targets_.push_back(std::move(t));
    }
    containers_ = snap.containers;
    generation_ = snap.generation;
  }
  unresolved_ = 0;
  for (Target& t : targets_) {
    if (t.resolved) continue;
    auto dirs = reader_.Resolve(t.container);
    if (dirs.ok()) {
      t.dirs = std::move(dirs).value();
      t.resolved = true;
    } else {
      ++unresolved_;
      ++errors;
    }
  }
  duration_[kDiscovery] = SecondsBetween(t0, clock_.Now());
  errors_[kDiscovery] = errors;
}

void Scraper::Collect() {
  stats_.resize(targets_.size());
  for (ContainerStats& s : stats_) s.Clear();
  for (int c = 0; c < kCollectorCount; ++c) {
    Time t0 = clock_.Now();
    int errors = 0;
    for (size_t i = 0; i < targets_.size(); ++i) {
      if (!targets_[i].resolved) continue;
      Target& t = targets_[i];
      ContainerStats& s = stats_[i];
      const bool with_limits = t.limits_age == 0;
      int e = reader_.Collect(static_cast<Collector>(c), t.dirs, s, with_limits);
      if (c == kMemory) {
        if (with_limits) t.memory_limit = s.has(kMemoryLimitBytes) ? s.v[kMemoryLimitBytes] : -1;
        if (!with_limits && t.memory_limit >= 0 && s.has(kMemoryUsageBytes))
          s.Set(kMemoryLimitBytes, t.memory_limit);  // only for a cgroup still there
      } else if (c == kPids) {
        if (with_limits) t.threads_max = s.has(kThreadsMax) ? s.v[kThreadsMax] : -1;
        if (!with_limits && t.threads_max >= 0 && s.has(kThreads))
          s.Set(kThreadsMax, t.threads_max);
      }
      // A container whose cgroup went away is resolved again next scrape (it may have been
      // restarted under the same id; if it died, the source drops it).
      if (e > 0 && c == kMemory && !s.has(kMemoryUsageBytes)) {
        t.resolved = false;
        t.limits_age = 0;
      }
      errors += e;
    }
    duration_[c] = SecondsBetween(t0, clock_.Now());
    errors_[c] = errors;
  }
  for (Target& t : targets_)
    if (t.resolved && ++t.limits_age >= std::max(1, options_.limits_every_scrapes))
      t.limits_age = 0;
}

void Scraper::Render(Format format, std::string& out) {
  ExpositionWriter w(out, format);
  const bool agg = options_.task_aggregates;
  for (const MetricDef& m : kMetrics) {
    bool any = false;
    for (const ContainerStats& s : stats_) any |= s.has(m.field);
    if (!any) continue;
    const char* suffix = m.type == kC ? "_total" : "";
    w.Family(m.name, m.type, m.help);
    for (size_t i = 0; i < targets_.size(); ++i)
      if (stats_[i].has(m.field))
        w.Sample(m.name, suffix, targets_[i].labels, stats_[i].v[m.field]);
    if (!agg || !m.aggregate) continue;
    std::string name = TaskName(m.name);
    w.Family(name, m.type, std::string(m.help) + " Summed over the task's exported containers.");
    for (const Task& t : tasks_) {
      double sum = 0;
      bool has = false;
      for (size_t i : t.members) {
        if (!stats_[i].has(m.field)) continue;
        sum += stats_[i].v[m.field];
        has = true;
      }
      if (has) w.Sample(name, suffix, t.labels, sum);
    }
  }
  bool any_net = false;
  for (const ContainerStats& s : stats_) any_net |= !s.net.empty();
  if (any_net) {
    for (const NetDef& m : kNetMetrics) {
      w.Family(m.name, kC, m.help);
      for (size_t i = 0; i < targets_.size(); ++i) {
        for (const InterfaceStats& ifs : stats_[i].net) {
          scratch_.assign("interface=\"");
          scratch_ += ifs.name;
          scratch_ += '"';
          w.Sample(m.name, "_total", targets_[i].labels, ifs.v[m.field], scratch_);
        }
      }
      if (!agg) continue;
      // Containers of an awsvpc task share one network namespace: count it once.
      std::string name = TaskName(m.name);
      w.Family(name, kC, std::string(m.help) + " Summed over the task's network namespaces.");
      for (const Task& t : tasks_) {
        double sum = 0;
        bool has = false;
        uint64_t seen[16];  // ECS allows 10 containers per task
        size_t nseen = 0;
        for (size_t i : t.members) {
          const ContainerStats& s = stats_[i];
          if (s.net.empty()) continue;
          bool dup = false;
          for (size_t k = 0; k < nseen; ++k) dup |= seen[k] == s.netns;
          if (dup) continue;
          if (s.netns != 0 && nseen < 16) seen[nseen++] = s.netns;
          for (const InterfaceStats& ifs : s.net) sum += ifs.v[m.field];
          has = true;
        }
        if (has) w.Sample(name, "_total", t.labels, sum);
      }
    }
  }
  RenderHealth(w);
  w.Finish();
}

void Scraper::RenderHealth(ExpositionWriter& w) {
  const char* kDuration = "steady_exporter_collector_duration_seconds";
  const char* kSuccess = "steady_exporter_collector_success";
  const char* kErrors = "steady_exporter_read_errors";
  auto label = [this](int i) {
    scratch_.assign("collector=\"");
    scratch_ += HealthName(i);
    scratch_ += '"';
    return std::string_view(scratch_);
  };
  w.Family(kDuration, kG, "How long the collector took in the last scrape.");
  for (int i = 0; i < kHealthCount; ++i) w.Sample(kDuration, "", label(i), duration_[i]);
  w.Family(kSuccess, kG, "1 if the collector read everything in the last scrape.");
  for (int i = 0; i < kHealthCount; ++i) w.Sample(kSuccess, "", label(i), errors_[i] == 0);
  w.Family(kErrors, kC, "Files or sources the exporter could not read.");
  for (int i = 0; i < kHealthCount; ++i)
    w.Sample(kErrors, "_total", label(i), read_errors_[i]->value());
  w.Family("steady_exporter_containers", kG, "Containers seen by state in the last scrape.");
  w.Sample("steady_exporter_containers", "", "state=\"exported\"",
           static_cast<double>(targets_.size() - unresolved_));
  w.Sample("steady_exporter_containers", "", "state=\"excluded\"", static_cast<double>(excluded_));
  w.Sample("steady_exporter_containers", "", "state=\"unresolved\"",
           static_cast<double>(unresolved_));
  w.Family("steady_exporter_scrapes", kC, "Scrapes served.");
  w.Sample("steady_exporter_scrapes", "_total", "", scrapes_->value());
}

void Scraper::Scrape(Format format, std::string& out) {
  std::lock_guard lock(mu_);
  Refresh();
  Collect();
  for (int i = 0; i < kHealthCount; ++i) {
    if (errors_[i] > 0) read_errors_[i]->Inc(errors_[i]);
    duration_gauge_[i]->Set(duration_[i]);
    success_gauge_[i]->Set(errors_[i] == 0 ? 1 : 0);
  }
  scrapes_->Inc();
  out.clear();
  out.reserve(last_size_ + last_size_ / 8 + 4096);
  Render(format, out);
  last_size_ = out.size();
}

}  // namespace steady::metrics
