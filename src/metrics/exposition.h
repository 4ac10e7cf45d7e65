// Writes metric families in the Prometheus text format 0.0.4 or OpenMetrics 1.0.0 into one
// growing string (reserve it once; a scrape then appends without reallocating).
//
//   ExpositionWriter w(out, Format::kOpenMetrics);
//   w.Family("container_cpu_usage_seconds", MetricType::kCounter, "Cumulative CPU time.");
//   w.Sample("container_cpu_usage_seconds", "_total", R"(ecs_task_id="abc")", 12.5);
//   w.Finish();   // "# EOF" in OpenMetrics
//
// Family names of counters are given without "_total"; Prometheus text declares the TYPE on
// the sample name (with _total), OpenMetrics on the family name. Label strings are passed
// pre-rendered and escaped (`k="v",k2="v2"`). Thread safety: one writer per thread.
#pragma once

#include <string>
#include <string_view>

namespace steady::metrics {

enum class Format { kPrometheusText, kOpenMetrics };
enum class MetricType { kCounter, kGauge };

// Picks the format from an Accept header: OpenMetrics when it names
// application/openmetrics-text (with q > 0), otherwise Prometheus text.
Format FormatFromAccept(std::string_view accept);

// The Content-Type header value for a format.
const char* ContentType(Format format);

class ExpositionWriter {
 public:
  ExpositionWriter(std::string& out, Format format) : out_(out), format_(format) {}

  // # HELP and # TYPE lines. For a counter `name` has no _total.
  void Family(std::string_view name, MetricType type, std::string_view help);
  // name + suffix + {labels} + value. `extra` is appended to the labels (may be empty).
  void Sample(std::string_view name, std::string_view suffix, std::string_view labels, double value,
              std::string_view extra = {});
  void Finish();

  Format format() const { return format_; }

 private:
  std::string& out_;
  Format format_;
};

// Appends a sample value: integers without a fraction, others in shortest round-trip form,
// NaN / +Inf / -Inf spelled as both formats want.
void AppendValue(std::string& out, double v);

}  // namespace steady::metrics
