// One scrape: takes the source's current containers, reads their cgroups collector by
// collector, and renders every series in the requested format, followed by the exporter's own
// health series. What it exports (counters end in _total):
//
//   container_cpu_{usage,user,system}_seconds_total, container_cpu_cfs_periods_total,
//   container_cpu_cfs_throttled_periods_total, container_cpu_cfs_throttled_seconds_total,
//   container_memory_{usage_bytes,working_set_bytes,rss,cache,mapped_file,swap},
//   container_spec_memory_limit_bytes, container_oom_events_total,
//   container_fs_{reads,writes}_bytes_total, container_fs_{reads,writes}_total,
//   container_threads, container_threads_max,
//   container_network_{receive,transmit}_{bytes,packets,errors,packets_dropped}_total{interface}
//   ecs_task_* (with task_aggregates): the same, summed over a task's exported containers,
//     without ecs_container/name/image; network counted once per network namespace.
//   steady_exporter_collector_duration_seconds{collector}, steady_exporter_collector_success,
//   steady_exporter_read_errors_total{collector}, steady_exporter_containers{state},
//   steady_exporter_scrapes_total
//
// Errors never fail a scrape: a source error keeps the last container list, a file that cannot
// be read leaves its series out; both are counted in steady_exporter_read_errors_total and
// turn the collector's success gauge to 0 for that scrape.
//
// Thread safety: Scrape may be called from any thread; scrapes run one at a time.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/metrics.h"
#include "metrics/cgroup_reader.h"
#include "metrics/container.h"
#include "metrics/ecs_labels.h"
#include "metrics/exposition.h"

namespace steady::metrics {

struct ScrapeOptions {
  CgroupReaderOptions cgroup;
  ExportPolicy policy;
  LabelOptions labels;
  bool task_aggregates = false;  // add the ecs_task_* series
  // Limit files (memory and pids limits) are read on the first scrape of a container and then
  // every this many scrapes: they rarely change and each file read costs a few microseconds.
  int limits_every_scrapes = 10;
};

class Scraper {
 public:
  // `source`, `registry` and `clock` must outlive the scraper. The health counters and gauges
  // are registered in `registry` too (so a process's own /metrics shows them).
  Scraper(ScrapeOptions options, ContainerSource& source, MetricsRegistry& registry, Clock& clock);
  ~Scraper();

  // Renders one scrape into `out` (replacing its content; its capacity is reused).
  void Scrape(Format format, std::string& out);
  std::string Scrape(Format format) {
    std::string out;
    Scrape(format, out);
    return out;
  }

  // Containers exported by the last scrape (for logs and `steady up`).
  size_t exported() const;

 private:
  struct Target;
  struct Task;
  void Refresh();
  void Collect();
  void Render(Format format, std::string& out);
  void RenderHealth(ExpositionWriter& w);

  const ScrapeOptions options_;
  ContainerSource& source_;
  Clock& clock_;
  CgroupReader reader_;

  mutable std::mutex mu_;
  uint64_t generation_ = ~uint64_t{0};
  std::shared_ptr<const ContainerList> containers_;
  std::vector<Target> targets_;
  std::vector<Task> tasks_;
  std::vector<ContainerStats> stats_;
  size_t excluded_ = 0, unresolved_ = 0;
  size_t last_size_ = 0;
  std::string scratch_;

  // Health, per collector: discovery + the cgroup collectors.
  static constexpr int kHealthCount = kCollectorCount + 1;
  double duration_[kHealthCount] = {};
  int errors_[kHealthCount] = {};
  Counter* read_errors_[kHealthCount];
  Gauge* duration_gauge_[kHealthCount];
  Gauge* success_gauge_[kHealthCount];
  Counter* scrapes_;
};

}  // namespace steady::metrics
