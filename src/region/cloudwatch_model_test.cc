#include "region/cloudwatch_model.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "aws/aws_error.h"

namespace steady::region {
namespace {

using aws::Dimension;
using aws::MetricDatum;

// 2023-11-14T22:14:00Z, on a minute boundary.
constexpr int64_t kT0 = 1'700'000'040;
Time At(int64_t sec) { return FromUnixSeconds(static_cast<double>(kT0 + sec)); }

Status NoOp(std::string_view) { return Status::Ok(); }

MetricDatum Datum(const std::string& name, double v, Time t, std::vector<Dimension> dims = {},
                  const std::string& unit = "") {
  MetricDatum d;
  d.metric_name = name;
  d.value = v;
  d.timestamp = t;
  d.dimensions = std::move(dims);
  d.unit = unit;
  return d;
}

class CloudWatchModelTest : public ::testing::Test {
 protected:
  CloudWatchModelTest() : clock_(At(3600)) {
    journal_ = *Journal::Open({}, NoOp, NoOp);
    ctx_ = std::make_unique<RegionContext>(clock_, *journal_);
    cw_ = std::make_unique<CloudWatchModel>(*ctx_);
  }

  void Put(std::vector<MetricDatum> data, const std::string& ns = "App") {
    Status s = cw_->PutMetricData({ns, std::move(data)});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  aws::GetMetricStatisticsResult Stats(const std::string& name, Time start, Time end, int period,
                                       std::vector<Dimension> dims = {},
                                       std::vector<std::string> stats = {
                                           "SampleCount", "Average", "Sum", "Minimum", "Maximum"}) {
    aws::GetMetricStatisticsRequest r;
    r.namespace_ = "App";
    r.metric_name = name;
    r.dimensions = std::move(dims);
    r.start_time = start;
    r.end_time = end;
    r.period = period;
    r.statistics = std::move(stats);
    auto got = cw_->GetMetricStatistics(r);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.value_or({});
  }

  static std::string Code(const Status& s) { return aws::AwsErrorCode(s); }

  ManualClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RegionContext> ctx_;
  std::unique_ptr<CloudWatchModel> cw_;
};

TEST_F(CloudWatchModelTest, StatisticsOverKnownValues) {
  // Minute 0: 1, 2, 6 as single values; minute 1: values 10×2 and 40×1; minute 2: a set.
  Put({Datum("Latency", 1, At(0)), Datum("Latency", 2, At(15)), Datum("Latency", 6, At(59))});
  MetricDatum many;
  many.metric_name = "Latency";
  many.timestamp = At(60);
  many.values = {10, 40};
  many.counts = {2, 1};
  MetricDatum set;
  set.metric_name = "Latency";
  set.timestamp = At(125);
  set.statistic_values = aws::StatisticSet{4, 20, 2, 8};
  Put({many, set});

  auto r = Stats("Latency", At(0), At(180), 60);
  EXPECT_EQ(r.label, "Latency");
  ASSERT_EQ(r.datapoints.size(), 3u);
  const aws::Datapoint& m0 = r.datapoints[0];
  EXPECT_EQ(m0.timestamp, At(0));
  EXPECT_EQ(*m0.sample_count, 3);
  EXPECT_EQ(*m0.sum, 9);
  EXPECT_DOUBLE_EQ(*m0.average, 3);
  EXPECT_EQ(*m0.minimum, 1);
  EXPECT_EQ(*m0.maximum, 6);
  EXPECT_EQ(m0.unit, "None");
  const aws::Datapoint& m1 = r.datapoints[1];
  EXPECT_EQ(m1.timestamp, At(60));
  EXPECT_EQ(*m1.sample_count, 3);
  EXPECT_EQ(*m1.sum, 60);
  EXPECT_DOUBLE_EQ(*m1.average, 20);
  EXPECT_EQ(*m1.minimum, 10);
  EXPECT_EQ(*m1.maximum, 40);
  const aws::Datapoint& m2 = r.datapoints[2];
  EXPECT_EQ(*m2.sample_count, 4);
  EXPECT_DOUBLE_EQ(*m2.average, 5);
  EXPECT_EQ(*m2.minimum, 2);
  EXPECT_EQ(*m2.maximum, 8);

  // One three-minute period aggregates all of it.
  auto all = Stats("Latency", At(0), At(180), 180);
  ASSERT_EQ(all.datapoints.size(), 1u);
  EXPECT_EQ(*all.datapoints[0].sample_count, 10);
  EXPECT_EQ(*all.datapoints[0].sum, 89);
  EXPECT_DOUBLE_EQ(*all.datapoints[0].average, 8.9);
  EXPECT_EQ(*all.datapoints[0].minimum, 1);
  EXPECT_EQ(*all.datapoints[0].maximum, 40);
  // Only the statistics asked for are returned.
  auto some = Stats("Latency", At(0), At(180), 180, {}, {"Maximum"});
  ASSERT_EQ(some.datapoints.size(), 1u);
  EXPECT_FALSE(some.datapoints[0].sum.has_value());
  EXPECT_EQ(*some.datapoints[0].maximum, 40);
}

TEST_F(CloudWatchModelTest, PercentilesFromRawValuesOnly) {
  MetricDatum d;
  d.metric_name = "Lat";
  d.timestamp = At(0);
  for (int i = 1; i <= 100; ++i) d.values.push_back(i);
  Put({d});
  aws::GetMetricStatisticsRequest r;
  r.namespace_ = "App";
  r.metric_name = "Lat";
  r.start_time = At(0);
  r.end_time = At(60);
  r.period = 60;
  r.extended_statistics = {"p50", "p90", "p99.5", "p100", "p0"};
  auto got = cw_->GetMetricStatistics(r);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->datapoints.size(), 1u);
  const auto& ext = got->datapoints[0].extended_statistics;
  EXPECT_EQ(ext.at("p50"), 50);
  EXPECT_EQ(ext.at("p90"), 90);
  EXPECT_EQ(ext.at("p99.5"), 100);
  EXPECT_EQ(ext.at("p100"), 100);
  EXPECT_EQ(ext.at("p0"), 1);

  // A statistic set with different samples has no percentiles; one of equal samples does.
  MetricDatum mixed;
  mixed.metric_name = "Set";
  mixed.timestamp = At(0);
  mixed.statistic_values = aws::StatisticSet{2, 3, 1, 2};
  Put({mixed});
  r.metric_name = "Set";
  r.extended_statistics = {"p50"};
  got = cw_->GetMetricStatistics(r);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->datapoints.size(), 1u);
  EXPECT_TRUE(got->datapoints[0].extended_statistics.empty());
  MetricDatum same = mixed;
  same.metric_name = "Same";
  same.statistic_values = aws::StatisticSet{3, 21, 7, 7};
  Put({same});
  r.metric_name = "Same";
  got = cw_->GetMetricStatistics(r);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->datapoints.at(0).extended_statistics.at("p50"), 7);

  // Negative values have no percentiles (as in CloudWatch).
  Put({Datum("Neg", -1, At(0)), Datum("Neg", 5, At(1))});
  r.metric_name = "Neg";
  got = cw_->GetMetricStatistics(r);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->datapoints.at(0).extended_statistics.empty());
}

TEST_F(CloudWatchModelTest, PeriodsAlignToTheRoundedStartTime) {
  // Data at +4:59 and +5:00 relative to a 12:32-like minute.
  Put({Datum("X", 1, At(120 + 299)), Datum("X", 2, At(120 + 300)), Datum("X", 4, At(119))});
  // StartTime 34 s past a minute rounds down to the minute; periods start there.
  auto r = Stats("X", At(120 + 34), At(120 + 600), 300);
  ASSERT_EQ(r.datapoints.size(), 2u);
  EXPECT_EQ(r.datapoints[0].timestamp, At(120));
  EXPECT_EQ(*r.datapoints[0].sum, 1);
  EXPECT_EQ(r.datapoints[1].timestamp, At(420));
  EXPECT_EQ(*r.datapoints[1].sum, 2);
  // EndTime is exclusive; the value at +1:59 is before the start.
  auto cut = Stats("X", At(120), At(420), 300);
  ASSERT_EQ(cut.datapoints.size(), 1u);
  EXPECT_EQ(*cut.datapoints[0].sum, 1);

  // High-resolution data with a 10 s period: 01:05:23 rounds down to 01:05:20.
  MetricDatum hr = Datum("Fast", 1, At(600 + 21));
  hr.storage_resolution = 1;
  MetricDatum hr2 = Datum("Fast", 5, At(600 + 31));
  hr2.storage_resolution = 1;
  Put({hr, hr2});
  auto fast = Stats("Fast", At(600 + 23), At(600 + 60), 10);
  ASSERT_EQ(fast.datapoints.size(), 2u);
  EXPECT_EQ(fast.datapoints[0].timestamp, At(620));
  EXPECT_EQ(*fast.datapoints[0].sum, 1);
  EXPECT_EQ(fast.datapoints[1].timestamp, At(630));
  EXPECT_EQ(*fast.datapoints[1].sum, 5);
  // Standard resolution keeps one aggregate per minute: both land on the minute.
  Put({Datum("Slow", 1, At(600 + 21)), Datum("Slow", 5, At(600 + 31))});
  auto slow = Stats("Slow", At(600), At(660), 10);
  ASSERT_EQ(slow.datapoints.size(), 1u);
  EXPECT_EQ(slow.datapoints[0].timestamp, At(600));
  EXPECT_EQ(*slow.datapoints[0].sum, 6);
}

TEST_F(CloudWatchModelTest, DimensionsMatchExactlyInAnyOrder) {
  std::vector<Dimension> ab = {{"ClusterName", "prod"}, {"ServiceName", "web"}};
  std::vector<Dimension> ba = {{"ServiceName", "web"}, {"ClusterName", "prod"}};
  Put({Datum("CPU", 10, At(0), ab), Datum("CPU", 30, At(1), ba),
       Datum("CPU", 99, At(2), {{"ClusterName", "prod"}}),
       Datum("CPU", 77, At(3), {{"ClusterName", "prod"}, {"ServiceName", "api"}}),
       Datum("CPU", 55, At(4))});
  auto both = Stats("CPU", At(0), At(60), 60, ba);
  ASSERT_EQ(both.datapoints.size(), 1u);
  EXPECT_EQ(*both.datapoints[0].sample_count, 2);
  EXPECT_DOUBLE_EQ(*both.datapoints[0].average, 20);
  auto cluster = Stats("CPU", At(0), At(60), 60, {{"ClusterName", "prod"}});
  ASSERT_EQ(cluster.datapoints.size(), 1u);
  EXPECT_EQ(*cluster.datapoints[0].sum, 99);
  auto none = Stats("CPU", At(0), At(60), 60);
  ASSERT_EQ(none.datapoints.size(), 1u);
  EXPECT_EQ(*none.datapoints[0].sum, 55);
  EXPECT_TRUE(Stats("CPU", At(0), At(60), 60, {{"ClusterName", "dev"}}).datapoints.empty());

  aws::ListMetricsRequest lr;
  lr.namespace_ = "App";
  lr.dimensions = {{"ServiceName", std::nullopt}};
  auto listed = cw_->ListMetrics(lr);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->metrics.size(), 2u);
  for (const auto& m : listed->metrics) {
    ASSERT_EQ(m.dimensions.size(), 2u);
    EXPECT_EQ(m.dimensions[0].name, "ClusterName");  // sorted by name
  }
  lr.dimensions = {{"ServiceName", "web"}};
  listed = cw_->ListMetrics(lr);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->metrics.size(), 1u);
  EXPECT_EQ(listed->metrics[0].dimensions[1].value, "web");
  lr.dimensions.clear();
  listed = cw_->ListMetrics(lr);
  EXPECT_EQ(listed->metrics.size(), 4u);
  lr.namespace_ = "Other";
  EXPECT_TRUE(cw_->ListMetrics(lr)->metrics.empty());
}

TEST_F(CloudWatchModelTest, UnitsAreKeptApartAndFiltered) {
  Put({Datum("Mem", 100, At(0), {}, "Megabytes"), Datum("Mem", 50, At(1), {}, "Percent")});
  auto all = Stats("Mem", At(0), At(60), 60);
  ASSERT_EQ(all.datapoints.size(), 2u);
  aws::GetMetricStatisticsRequest r;
  r.namespace_ = "App";
  r.metric_name = "Mem";
  r.start_time = At(0);
  r.end_time = At(60);
  r.period = 60;
  r.statistics = {"Sum"};
  r.unit = "Percent";
  auto pct = cw_->GetMetricStatistics(r);
  ASSERT_TRUE(pct.ok());
  ASSERT_EQ(pct->datapoints.size(), 1u);
  EXPECT_EQ(*pct->datapoints[0].sum, 50);
  EXPECT_EQ(pct->datapoints[0].unit, "Percent");
}

TEST_F(CloudWatchModelTest, GetMetricDataScansAndPaginates) {
  for (int m = 0; m < 5; ++m) Put({Datum("Req", m + 1, At(60 * m)), Datum("Err", 1, At(60 * m))});
  aws::GetMetricDataRequest r;
  r.start_time = At(0);
  r.end_time = At(300);
  aws::MetricDataQuery q;
  q.id = "req";
  q.metric_stat = aws::MetricStat{{"App", "Req", {}}, 60, "Sum", ""};
  aws::MetricDataQuery e;
  e.id = "err";
  e.label = "errors";
  e.metric_stat = aws::MetricStat{{"App", "Err", {}}, 120, "SampleCount", ""};
  aws::MetricDataQuery hidden = q;
  hidden.id = "hidden";
  hidden.return_data = false;
  r.metric_data_queries = {q, e, hidden};

  auto got = cw_->GetMetricData(r);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->metric_data_results.size(), 2u);
  const auto& req = got->metric_data_results[0];
  EXPECT_EQ(req.id, "req");
  EXPECT_EQ(req.label, "Req");
  EXPECT_EQ(req.status_code, "Complete");
  // Newest first by default.
  EXPECT_EQ(req.values, (std::vector<double>{5, 4, 3, 2, 1}));
  EXPECT_EQ(req.timestamps.front(), At(240));
  const auto& err = got->metric_data_results[1];
  EXPECT_EQ(err.label, "errors");
  EXPECT_EQ(err.values, (std::vector<double>{1, 2, 2}));  // periods at 240, 120, 0
  EXPECT_EQ(err.timestamps, (std::vector<Time>{At(240), At(120), At(0)}));
  EXPECT_TRUE(got->next_token.empty());

  r.scan_by = "TimestampAscending";
  r.max_datapoints = 3;
  got = cw_->GetMetricData(r);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->metric_data_results[0].values, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(got->metric_data_results[0].status_code, "PartialData");
  EXPECT_TRUE(got->metric_data_results[1].values.empty());
  ASSERT_FALSE(got->next_token.empty());
  std::vector<double> rest_req, rest_err;
  r.next_token = got->next_token;
  got = cw_->GetMetricData(r);
  ASSERT_TRUE(got.ok());
  rest_req = got->metric_data_results[0].values;
  rest_err = got->metric_data_results[1].values;
  EXPECT_EQ(rest_req, (std::vector<double>{4, 5}));
  EXPECT_EQ(rest_err, (std::vector<double>{2}));
  r.next_token = got->next_token;
  got = cw_->GetMetricData(r);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->metric_data_results[1].values, (std::vector<double>{2, 1}));
  EXPECT_TRUE(got->next_token.empty());

  r.next_token = "garbage!";
  EXPECT_EQ(Code(cw_->GetMetricData(r).status()), "InvalidNextToken");
}

TEST_F(CloudWatchModelTest, ValidationErrorsUseCloudWatchCodes) {
  auto put = [&](const std::string& ns, MetricDatum d) { return cw_->PutMetricData({ns, {d}}); };
  EXPECT_EQ(Code(put("AWS/ECS", Datum("CPU", 1, At(0)))), "InvalidParameterValue");
  EXPECT_TRUE(cw_->Publish({"AWS/ECS", {Datum("CPU", 1, At(0))}}).ok());
  EXPECT_EQ(Code(put("", Datum("CPU", 1, At(0)))), "MissingParameter");
  EXPECT_EQ(Code(cw_->PutMetricData({"App", {}})), "MissingParameter");
  MetricDatum no_value = Datum("CPU", 1, At(0));
  no_value.value.reset();
  EXPECT_EQ(Code(put("App", no_value)), "MissingParameter");
  MetricDatum both = Datum("CPU", 1, At(0));
  both.statistic_values = aws::StatisticSet{1, 1, 1, 1};
  Status s = put("App", both);
  EXPECT_EQ(Code(s), "InvalidParameterCombination");
  EXPECT_NE(s.message().find("MetricData.member.1.Value"), std::string::npos) << s.message();
  MetricDatum mismatch;
  mismatch.metric_name = "CPU";
  mismatch.values = {1, 2};
  mismatch.counts = {1};
  EXPECT_EQ(Code(put("App", mismatch)), "InvalidParameterValue");
  EXPECT_EQ(Code(put("App", Datum("CPU", std::nan(""), At(0)))), "InvalidParameterValue");
  EXPECT_EQ(Code(put("App", Datum("CPU", 1e300, At(0)))), "InvalidParameterValue");  // > 2^360
  mismatch.counts = {1, 1e300};  // would make the sum infinite
  EXPECT_EQ(Code(put("App", mismatch)), "InvalidParameterValue");
  mismatch.counts = {1, -1};
  EXPECT_EQ(Code(put("App", mismatch)), "InvalidParameterValue");
  EXPECT_EQ(Code(put("App", Datum("CPU", 1, At(0), {}, "Parsecs"))), "InvalidParameterValue");
  EXPECT_EQ(Code(put("App", Datum("CPU", 1, clock_.Now() - hours(24 * 15)))),
            "InvalidParameterValue");
  EXPECT_EQ(Code(put("App", Datum("CPU", 1, clock_.Now() + hours(3)))), "InvalidParameterValue");
  EXPECT_EQ(Code(put("App", Datum("CPU", 1, At(0), {{"A", "1"}, {"A", "2"}}))),
            "InvalidParameterValue");
  EXPECT_EQ(Code(put("App", Datum("CPU", 1, At(0), {{"A", ""}}))), "MissingParameter");
  // Names are journaled as JSON: bytes that are not UTF-8 are refused, not stored.
  EXPECT_EQ(Code(put("App", Datum("CPU\xff", 1, At(0)))), "InvalidParameterValue");
  EXPECT_EQ(Code(put("App", Datum("CPU", 1, At(0), {{"Host", "\xed\xa0\x80"}}))),
            "InvalidParameterValue");
  EXPECT_TRUE(cw_->Publish({"App", {Datum("CPU \xc3\xa9t\xc3\xa9", 1, At(0))}}).ok());
  MetricDatum res = Datum("CPU", 1, At(0));
  res.storage_resolution = 30;
  EXPECT_EQ(Code(put("App", res)), "InvalidParameterValue");
  EXPECT_EQ(cw_->stats().series, 2u);  // only the two Publish calls above were stored

  aws::GetMetricStatisticsRequest r;
  r.namespace_ = "App";
  r.metric_name = "CPU";
  r.start_time = At(0);
  r.end_time = At(60);
  r.period = 60;
  EXPECT_EQ(Code(cw_->GetMetricStatistics(r).status()), "InvalidParameterCombination");
  r.statistics = {"Median"};
  EXPECT_EQ(Code(cw_->GetMetricStatistics(r).status()), "InvalidParameterValue");
  r.statistics = {"Sum"};
  r.extended_statistics = {"p99"};
  EXPECT_EQ(Code(cw_->GetMetricStatistics(r).status()), "InvalidParameterCombination");
  r.extended_statistics.clear();
  r.period = 45;
  EXPECT_EQ(Code(cw_->GetMetricStatistics(r).status()), "InvalidParameterValue");
  r.period = 60;
  r.end_time = At(60 * 1441);
  EXPECT_EQ(Code(cw_->GetMetricStatistics(r).status()), "InvalidParameterCombination");
  r.end_time = At(60 * 1440);
  EXPECT_TRUE(cw_->GetMetricStatistics(r).ok());
  r.end_time = r.start_time;
  EXPECT_EQ(Code(cw_->GetMetricStatistics(r).status()), "InvalidParameterValue");

  aws::GetMetricDataRequest g;
  g.start_time = At(0);
  g.end_time = At(60);
  EXPECT_EQ(Code(cw_->GetMetricData(g).status()), "MissingParameter");
  aws::MetricDataQuery math;
  math.id = "m1";
  math.expression = "SUM(METRICS())";
  g.metric_data_queries = {math};
  EXPECT_EQ(Code(cw_->GetMetricData(g).status()), "InvalidParameterValue");
  aws::MetricDataQuery bad_id;
  bad_id.id = "Upper";
  bad_id.metric_stat = aws::MetricStat{{"App", "CPU", {}}, 60, "Sum", ""};
  g.metric_data_queries = {bad_id};
  EXPECT_EQ(Code(cw_->GetMetricData(g).status()), "InvalidParameterValue");
  bad_id.id = "ok";
  bad_id.metric_stat->stat = "Bogus";
  g.metric_data_queries = {bad_id};
  EXPECT_EQ(Code(cw_->GetMetricData(g).status()), "InvalidParameterValue");
  bad_id.metric_stat->stat = "p95";
  g.metric_data_queries = {bad_id, bad_id};
  EXPECT_EQ(Code(cw_->GetMetricData(g).status()), "InvalidParameterValue");  // duplicate id
}

TEST_F(CloudWatchModelTest, RetentionDropsOldDataOnWrite) {
  Put({Datum("Old", 1, At(0)), Datum("Keep", 1, At(0))});
  MetricDatum hr = Datum("Keep", 2, At(3600 + 17));  // now + 17 s, one-second resolution
  hr.storage_resolution = 1;
  Put({hr});
  EXPECT_EQ(cw_->stats().buckets, 3u);

  // After three hours the one-second aggregate reads as part of its minute.
  clock_.Advance(hours(3) + minutes(1));
  auto fast = Stats("Keep", At(3600), At(3660), 1);
  ASSERT_EQ(fast.datapoints.size(), 1u);
  EXPECT_EQ(fast.datapoints[0].timestamp, At(3600));
  // A write folds it for good.
  Put({Datum("Keep", 3, clock_.Now())});
  // Old@0, Keep@0, Keep@3600 (the folded second) and Keep@now.
  EXPECT_EQ(cw_->stats().buckets, 4u);

  // Fifteen days after +1:01, the first hour is gone for readers at once and from memory on
  // the next write.
  clock_.Advance(hours(24 * 15) - hours(3));
  EXPECT_TRUE(Stats("Old", At(0), At(60), 60).datapoints.empty());
  EXPECT_EQ(cw_->stats().buckets, 4u);
  Put({Datum("Keep", 4, clock_.Now())});
  auto st = cw_->stats();
  EXPECT_EQ(st.series, 1u);   // "Old" had nothing left and was dropped by the hourly sweep
  EXPECT_EQ(st.buckets, 2u);  // Keep's two newest minutes
  auto kept =
      Stats("Keep", clock_.Now() - hours(24 * 15) + minutes(1), clock_.Now() + minutes(1), 3600);
  double sum = 0;
  for (const auto& d : kept.datapoints) sum += *d.sum;
  EXPECT_EQ(sum, 7);
}

TEST(CloudWatchModelDurability, ReplayAndSnapshotRestoreTheSameSeries) {
  std::string dir = testing::TempDir() + "/cw_durable_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  ManualClock clock(At(3600));
  auto query = [&](CloudWatchModel& cw, const std::string& name) {
    aws::GetMetricStatisticsRequest r;
    r.namespace_ = "App";
    r.metric_name = name;
    r.dimensions = {{"Host", "a"}};
    r.start_time = At(0);
    r.end_time = At(3600);
    r.period = 60;
    r.statistics = {"Sum", "SampleCount", "Maximum"};
    auto got = cw.GetMetricStatistics(r);
    EXPECT_TRUE(got.ok());
    std::vector<std::tuple<Time, double, double, double>> out;
    for (const auto& d : got.value_or({}).datapoints)
      out.emplace_back(d.timestamp, *d.sum, *d.sample_count, *d.maximum);
    return out;
  };
  std::vector<std::tuple<Time, double, double, double>> before_a, before_b;
  {
    auto j = *Journal::Open({.dir = dir}, NoOp, NoOp);
    RegionContext ctx{clock, *j};
    CloudWatchModel cw(ctx);
    ASSERT_TRUE(cw.PutMetricData({"App",
                                  {Datum("A", 1.25, At(0), {{"Host", "a"}}),
                                   Datum("A", 3, At(70), {{"Host", "a"}})}})
                    .ok());
    // Compact half-way: the rest must come from the log after the snapshot.
    {
      std::lock_guard lock(cw.mutex());
      ASSERT_TRUE(j->Compact(cw.Snapshot().dump()).ok());
    }
    MetricDatum many;
    many.metric_name = "B";
    many.dimensions = {{"Host", "a"}};
    many.timestamp = At(200);
    many.values = {0.1, 0.2, 0.3};
    ASSERT_TRUE(cw.PutMetricData({"App", {many, Datum("A", 7, At(75), {{"Host", "a"}})}}).ok());
    before_a = query(cw, "A");
    before_b = query(cw, "B");
  }
  ASSERT_EQ(before_a.size(), 2u);
  ASSERT_EQ(before_b.size(), 1u);

  auto j0 = *Journal::Open({}, NoOp, NoOp);
  RegionContext ctx{clock, *j0};
  CloudWatchModel cw(ctx);
  auto reopened = Journal::Open(
      {.dir = dir}, [&](std::string_view d) { return cw.Restore(nlohmann::json::parse(d)); },
      [&](std::string_view d) { return cw.Replay(nlohmann::json::parse(d)); });
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(query(cw, "A"), before_a);
  EXPECT_EQ(query(cw, "B"), before_b);

  // Snapshot → Restore into a fresh model reproduces it exactly, percentiles included.
  auto j1 = *Journal::Open({}, NoOp, NoOp);
  RegionContext ctx1{clock, *j1};
  CloudWatchModel copy(ctx1);
  nlohmann::json snap;
  {
    std::lock_guard lock(cw.mutex());
    snap = cw.Snapshot();
  }
  ASSERT_TRUE(copy.Restore(nlohmann::json::parse(snap.dump())).ok());
  EXPECT_EQ(query(copy, "B"), before_b);
  EXPECT_EQ(copy.Snapshot(), snap);

  // A corrupt record is refused, not skipped.
  EXPECT_FALSE(copy.Replay(nlohmann::json{{"s", "cloudwatch"}, {"op", "put"}}).ok());
  EXPECT_FALSE(copy.Replay(nlohmann::json{{"s", "cloudwatch"}, {"op", "frob"}}).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace steady::region
