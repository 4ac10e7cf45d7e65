#include "base/metrics.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace steady {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::Observe(double v) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    out[i] = acc;
  }
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

template <typename T>
T& MetricFamily<T>::With(const std::vector<std::string>& values) {
  // A family's label arity is fixed where it is declared; callers pass literals.
  assert(values.size() == labels_.size());
  std::lock_guard lock(mu_);
  auto it = series_.find(values);
  if (it != series_.end()) return *it->second;
  std::unique_ptr<T> s;
  if constexpr (std::is_same_v<T, Histogram>) {
    s = std::make_unique<Histogram>(bounds_);
  } else {
    s = std::make_unique<T>();
  }
  T& ref = *s;
  series_.emplace(values, std::move(s));
  return ref;
}

template <typename T>
std::vector<std::pair<std::vector<std::string>, const T*>> MetricFamily<T>::Series() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::vector<std::string>, const T*>> out;
  for (const auto& [k, v] : series_) out.emplace_back(k, v.get());
  return out;
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

namespace {

template <typename Map, typename F>
auto& GetOrAdd(std::mutex& mu, Map& map, const std::string& name, F make) {
  std::lock_guard lock(mu);
  auto it = map.find(name);
  if (it == map.end()) it = map.emplace(name, make()).first;
  return *it->second;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest text that reads back as the same double.
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, const char* extra_name = nullptr,
                  const std::string& extra_value = "") {
  if (names.empty() && !extra_name) return;
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (extra_name) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void AppendHeader(std::string& out, const std::string& name, const std::string& help,
                  const char* type) {
  out += "# HELP " + name + " ";
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  out += "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

MetricFamily<Counter>& MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                                   std::vector<std::string> labels) {
  return GetOrAdd(mu_, counters_, name, [&] {
    return std::make_unique<MetricFamily<Counter>>(name, help, std::move(labels));
  });
}

MetricFamily<Gauge>& MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                                               std::vector<std::string> labels) {
  return GetOrAdd(mu_, gauges_, name, [&] {
    return std::make_unique<MetricFamily<Gauge>>(name, help, std::move(labels));
  });
}

MetricFamily<Histogram>& MetricsRegistry::AddHistogram(const std::string& name,
                                                       const std::string& help,
                                                       std::vector<std::string> labels,
                                                       std::vector<double> bounds) {
  return GetOrAdd(mu_, histograms_, name, [&] {
    return std::make_unique<MetricFamily<Histogram>>(name, help, std::move(labels),
                                                     std::move(bounds));
  });
}

std::string MetricsRegistry::Render() const {
  std::lock_guard lock(mu_);
  // Render families in name order across the three kinds.
  std::map<std::string, std::string> blocks;
  for (const auto& [name, fam] : counters_) {
    std::string& out = blocks[name];
    AppendHeader(out, name, fam->help(), "counter");
    for (const auto& [values, c] : fam->Series()) {
      out += name;
      AppendLabels(out, fam->labels(), values);
      out += ' ' + FormatValue(c->value()) + '\n';
    }
  }
  for (const auto& [name, fam] : gauges_) {
    std::string& out = blocks[name];
    AppendHeader(out, name, fam->help(), "gauge");
    for (const auto& [values, g] : fam->Series()) {
      out += name;
      AppendLabels(out, fam->labels(), values);
      out += ' ' + FormatValue(g->value()) + '\n';
    }
  }
  for (const auto& [name, fam] : histograms_) {
    std::string& out = blocks[name];
    AppendHeader(out, name, fam->help(), "histogram");
    for (const auto& [values, h] : fam->Series()) {
      auto counts = h->CumulativeCounts();
      for (size_t i = 0; i <= h->bounds().size(); ++i) {
        out += name + "_bucket";
        AppendLabels(out, fam->labels(), values, "le",
                     i < h->bounds().size() ? FormatValue(h->bounds()[i]) : "+Inf");
        out += ' ' + std::to_string(counts[i]) + '\n';
      }
      out += name + "_sum";
      AppendLabels(out, fam->labels(), values);
      out += ' ' + FormatValue(h->sum()) + '\n';
      out += name + "_count";
      AppendLabels(out, fam->labels(), values);
      out += ' ' + std::to_string(h->count()) + '\n';
    }
  }
  std::string all;
  for (auto& [_, b] : blocks) all += b;
  return all;
}

MetricsRegistry& MetricsRegistry::Default() {
  static MetricsRegistry registry;
  return registry;
}

}  // namespace steady
