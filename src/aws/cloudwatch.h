// Amazon CloudWatch metrics as steady uses them: one abstract interface, implemented in-process
// by the local region's model (region/cloudwatch_model.h) and, over HTTP, by a client, so that
// a daemon can be handed either. Names follow the CloudWatch API reference (2010-08-01).
//
// Errors carry CloudWatch's query-protocol codes: InvalidParameterValue,
// MissingParameter, InvalidParameterCombination (kInvalidArgument), InvalidNextToken
// (GetMetricData), Throttling (kThrottled), InternalServiceError (kUnavailable).
// Thread safety: implementations are thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

struct Dimension {
  std::string name;
  std::string value;
  friend bool operator==(const Dimension&, const Dimension&) = default;
};

// A pre-aggregated set of samples (PutMetricData's StatisticValues).
struct StatisticSet {
  double sample_count = 0;
  double sum = 0;
  double minimum = 0;
  double maximum = 0;
};

// One MetricDatum of PutMetricData: exactly one of `value`, `values` (with `counts`, each 1 when
// empty) or `statistic_values`.
struct MetricDatum {
  std::string metric_name;
  std::vector<Dimension> dimensions;
  std::optional<Time> timestamp;  // absent: when the service receives it
  std::optional<double> value;
  std::vector<double> values;
  std::vector<double> counts;
  std::optional<StatisticSet> statistic_values;
  std::string unit;                       // a StandardUnit ("Percent", "Count", ...); "" = "None"
  std::optional<int> storage_resolution;  // 1 (high resolution) or 60 (the default)
};

struct PutMetricDataRequest {
  std::string namespace_;  // Namespace
  std::vector<MetricDatum> metric_data;
};

struct Metric {
  std::string namespace_;
  std::string metric_name;
  std::vector<Dimension> dimensions;
};

struct GetMetricStatisticsRequest {
  std::string namespace_;
  std::string metric_name;
  std::vector<Dimension> dimensions;    // must match the metric's dimensions exactly (any order)
  Time start_time;                      // inclusive, rounded down as CloudWatch rounds it
  Time end_time;                        // exclusive
  int period = 60;                      // seconds: 1, 5, 10, 20, 30 or a multiple of 60
  std::vector<std::string> statistics;  // SampleCount, Average, Sum, Minimum, Maximum
  std::vector<std::string> extended_statistics;  // percentiles "p0".."p100" (e.g. "p99.9")
  std::string unit;                              // "" = every unit
};

struct Datapoint {
  Time timestamp;  // start of the period
  std::optional<double> sample_count, average, sum, minimum, maximum;
  std::string unit;
  std::map<std::string, double> extended_statistics;
};

struct GetMetricStatisticsResult {
  std::string label;
  std::vector<Datapoint> datapoints;  // one per period (and unit) that holds data, oldest first
};

struct MetricStat {
  Metric metric;
  int period = 60;
  std::string stat;  // SampleCount, Average, Sum, Minimum, Maximum or a percentile "p99"
  std::string unit;  // "" = every unit
};

struct MetricDataQuery {
  std::string id;  // [a-z][a-zA-Z0-9_]*, unique in the request
  std::optional<MetricStat> metric_stat;
  std::string expression;  // metric math; the local region answers InvalidParameterValue
  std::string label;
  bool return_data = true;
  std::optional<int> period;
};

struct GetMetricDataRequest {
  std::vector<MetricDataQuery> metric_data_queries;
  Time start_time;
  Time end_time;
  std::string next_token;
  std::string scan_by;                // "TimestampDescending" (default) or "TimestampAscending"
  std::optional<int> max_datapoints;  // default 100,800
};

struct MetricDataResult {
  std::string id;
  std::string label;
  std::vector<Time> timestamps;
  std::vector<double> values;
  std::string status_code = "Complete";  // or "PartialData" when NextToken has more
};

struct GetMetricDataResult {
  std::vector<MetricDataResult> metric_data_results;
  std::string next_token;
};

struct DimensionFilter {
  std::string name;
  std::optional<std::string> value;  // absent: any value of the dimension
};

struct ListMetricsRequest {
  std::string namespace_;   // "" = any
  std::string metric_name;  // "" = any
  std::vector<DimensionFilter> dimensions;
  std::string next_token;
  std::string recently_active;  // "PT3H": only metrics with data put in the past three hours
};

struct ListMetricsResult {
  std::vector<Metric> metrics;  // up to 500 per page
  std::string next_token;
};

class CloudWatch {
 public:
  virtual ~CloudWatch() = default;

  virtual Status PutMetricData(const PutMetricDataRequest& request) = 0;
  virtual Result<GetMetricStatisticsResult> GetMetricStatistics(
      const GetMetricStatisticsRequest& request) = 0;
  virtual Result<GetMetricDataResult> GetMetricData(const GetMetricDataRequest& request) = 0;
  virtual Result<ListMetricsResult> ListMetrics(const ListMetricsRequest& request) = 0;
};

}  // namespace steady::aws
