#include "base/metrics.h"

#include <gtest/gtest.h>

#include "base/log.h"

namespace steady {
namespace {

TEST(Metrics, RendersTheTextFormat) {
  MetricsRegistry r;
  auto& calls = r.AddCounter("steady_calls_total", "Calls made.", {"service", "code"});
  calls.With({"ecs", "ok"}).Inc();
  calls.With({"ecs", "ok"}).Inc(2);
  calls.With({"s3", "a\"b"}).Inc();
  r.AddGauge("steady_inflight", "In flight.").Get().Set(4.5);
  auto& lat = r.AddHistogram("steady_latency_seconds", "Latency.", {}, {0.1, 1});
  lat.Get().Observe(0.05);
  lat.Get().Observe(0.5);
  lat.Get().Observe(5);
  EXPECT_EQ(r.Render(),
            "# HELP steady_calls_total Calls made.\n"
            "# TYPE steady_calls_total counter\n"
            "steady_calls_total{service=\"ecs\",code=\"ok\"} 3\n"
            "steady_calls_total{service=\"s3\",code=\"a\\\"b\"} 1\n"
            "# HELP steady_inflight In flight.\n"
            "# TYPE steady_inflight gauge\n"
            "steady_inflight 4.5\n"
            "# HELP steady_latency_seconds Latency.\n"
            "# TYPE steady_latency_seconds histogram\n"
            "steady_latency_seconds_bucket{le=\"0.1\"} 1\n"
            "steady_latency_seconds_bucket{le=\"1\"} 2\n"
            "steady_latency_seconds_bucket{le=\"+Inf\"} 3\n"
            "steady_latency_seconds_sum 5.55\n"
            "steady_latency_seconds_count 3\n");
  // Adding a family twice returns the same one.
  EXPECT_EQ(&r.AddCounter("steady_calls_total", "", {"service", "code"}), &calls);
}

TEST(Log, FormatsLogfmtAndJson) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, LogLevel::kWarn, "drain started",
                          {{"instance", "i-1"}, {"tasks", 3}, {"note", "two words"}}),
            "level=warn msg=\"drain started\" instance=i-1 tasks=3 note=\"two words\"");
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, LogLevel::kInfo, "x\n",
                          {{"instance", "i-1"}, {"tasks", 3}, {"ok", true}}),
            "{\"level\":\"info\",\"msg\":\"x\\n\",\"instance\":\"i-1\",\"tasks\":3,\"ok\":true}");
}

}  // namespace
}  // namespace steady
