#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace steady::metrics {
namespace {

TEST(Exposition, FormatFromAccept) {
  EXPECT_EQ(FormatFromAccept(""), Format::kPrometheusText);
  EXPECT_EQ(FormatFromAccept("text/plain"), Format::kPrometheusText);
  EXPECT_EQ(FormatFromAccept("*/*"), Format::kPrometheusText);
  // What Prometheus 2.x sends.
  EXPECT_EQ(FormatFromAccept("application/openmetrics-text;version=1.0.0,application/"
                             "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
                             "q=0.5,*/*;q=0.1"),
            Format::kOpenMetrics);
  EXPECT_EQ(FormatFromAccept("text/plain, Application/OpenMetrics-Text; version=1.0.0"),
            Format::kOpenMetrics);
  EXPECT_EQ(FormatFromAccept("application/openmetrics-text;q=0"), Format::kPrometheusText);
}

TEST(Exposition, Values) {
  auto v = [](double d) {
    std::string s;
    AppendValue(s, d);
    return s;
  };
  EXPECT_EQ(v(0), "0");
  EXPECT_EQ(v(39239680), "39239680");
  EXPECT_EQ(v(-3), "-3");
  EXPECT_EQ(v(1.01450175), "1.01450175");
  EXPECT_EQ(v(1e300), "1e+300");
  EXPECT_EQ(v(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(v(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(v(std::nan("")), "NaN");
}

TEST(Exposition, PrometheusTextDeclaresCountersWithTotal) {
  std::string out;
  ExpositionWriter w(out, Format::kPrometheusText);
  w.Family("c_seconds", MetricType::kCounter, "Help with \\ and\nnewline.");
  w.Sample("c_seconds", "_total", R"(a="1")", 1.5);
  w.Family("g_bytes", MetricType::kGauge, "A gauge.");
  w.Sample("g_bytes", "", "", 2);
  w.Sample("g_bytes", "", R"(a="1")", 3, R"(interface="eth0")");
  w.Finish();
  EXPECT_EQ(out,
            "# HELP c_seconds_total Help with \\\\ and\\nnewline.\n"
            "# TYPE c_seconds_total counter\n"
            "c_seconds_total{a=\"1\"} 1.5\n"
            "# HELP g_bytes A gauge.\n"
            "# TYPE g_bytes gauge\n"
            "g_bytes 2\n"
            "g_bytes{a=\"1\",interface=\"eth0\"} 3\n");
}

TEST(Exposition, OpenMetricsDeclaresFamiliesAndEndsWithEof) {
  std::string out;
  ExpositionWriter w(out, Format::kOpenMetrics);
  w.Family("c_seconds", MetricType::kCounter, "A counter.");
  w.Sample("c_seconds", "_total", "", 1);
  w.Finish();
  EXPECT_EQ(out,
            "# HELP c_seconds A counter.\n"
            "# TYPE c_seconds counter\n"
            "c_seconds_total 1\n"
            "# EOF\n");
  EXPECT_STREQ(ContentType(Format::kOpenMetrics),
               "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

}  // namespace
}  // namespace steady::metrics
