// Prometheus metrics: counters, gauges and histograms with labels, rendered in the text
// exposition format 0.0.4. Written here because Debian ships no C++ Prometheus client; the
// format is small and `promtool check metrics` verifies our output in the tests.
//
//   auto& retries = registry.AddCounter("steady_aws_retries_total", "Retried AWS calls.",
//                                       {"service", "reason"});
//   retries.With({"ecs", "throttled"}).Inc();
//
// Families and series are created once and live as long as the registry; references to them
// stay valid. Thread safety: everything may be called from any thread; Inc/Set/Observe are
// lock-free.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace steady {

class Counter {
 public:
  void Inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative count per bound (last is +Inf), sum, count.
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Default latency buckets in seconds: 1 ms .. 60 s.
std::vector<double> LatencyBuckets();

template <typename T>
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, std::vector<std::string> labels,
               std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        bounds_(std::move(bounds)) {}

  // The series for these label values (created on first use). The number of values must match
  // the family's label names; a mismatch is a programming error.
  T& With(const std::vector<std::string>& values);
  // The series with no labels.
  T& Get() { return With({}); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labels() const { return labels_; }
  // Snapshot of (label values, series).
  std::vector<std::pair<std::vector<std::string>, const T*>> Series() const;

 private:
  std::string name_, help_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_;
};

class MetricsRegistry {
 public:
  MetricFamily<Counter>& AddCounter(const std::string& name, const std::string& help,
                                    std::vector<std::string> labels = {});
  MetricFamily<Gauge>& AddGauge(const std::string& name, const std::string& help,
                                std::vector<std::string> labels = {});
  MetricFamily<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                        std::vector<std::string> labels = {},
                                        std::vector<double> bounds = LatencyBuckets());

  // Text exposition format 0.0.4, families sorted by name.
  std::string Render() const;

  // The process's registry, for wiring in main(). Components take a MetricsRegistry&.
  static MetricsRegistry& Default();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamily<Counter>>> counters_;
  std::map<std::string, std::unique_ptr<MetricFamily<Gauge>>> gauges_;
  std::map<std::string, std::unique_ptr<MetricFamily<Histogram>>> histograms_;
};

// Escapes a label value for the text format (backslash, quote, newline).
std::string EscapeLabelValue(std::string_view v);

}  // namespace steady
