// What CloudWatch accepts and how it computes, for the local region's model: parameter checks
// answering CloudWatch's error codes and messages (InvalidParameterValue, MissingParameter,
// InvalidParameterCombination), statistic names, the statistics of an aggregate of samples and
// the alignment of query periods.
//
// Parameter names in messages are the query protocol's ("MetricData.member.1.Value"), as
// CloudWatch reports them whatever the protocol.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/cloudwatch.h"
#include "base/clock.h"
#include "base/status.h"

namespace steady::region::cloudwatch {

// Beyond this many distinct values in one aggregate, its distribution is dropped and its
// percentiles are no longer available.
inline constexpr size_t kMaxDistinctValues = 2000;

// Errors for `op` (the operation name).
Status Missing(std::string_view op, const std::string& param);
Status InvalidValue(std::string_view op, const std::string& value, const std::string& param);
Status Invalid(std::string_view op, const std::string& message);
Status Combination(std::string_view op, const std::string& message);

bool ValidUnit(std::string_view unit);  // a StandardUnit name
// kInvalidArgument unless `period` is 1, 5, 10, 20, 30 or a multiple of 60.
Status CheckPeriod(std::string_view op, int period, const std::string& param);
// Finite, within ±2^360, and 0 or at least 2^-260 in magnitude.
Status CheckValue(std::string_view op, double value, const std::string& param);
// Present, at most `max` bytes, well-formed UTF-8.
Status CheckName(std::string_view op, const std::string& value, const std::string& param,
                 size_t max);
// CheckName(255), printable ASCII, not starting with ':'.
Status CheckNamespace(std::string_view op, const std::string& ns, const std::string& param);

// Dimensions as stored: (name, value) sorted by name, so that order does not matter.
using Dims = std::vector<std::pair<std::string, std::string>>;
// At most 30, each named and valued, names unique.
Result<Dims> CheckDimensions(std::string_view op, const std::vector<aws::Dimension>& dims,
                             const std::string& param);

// A statistic: SampleCount, Average, Sum, Minimum, Maximum, or a percentile "pNN.NN"
// (0..100, at most two decimals).
struct StatSpec {
  std::string name;
  double percentile = -1;  // ≥ 0 for a percentile
};
std::optional<StatSpec> ParseStat(std::string_view name);

// Samples aggregated: count, sum, min, max and, while `exact`, every value with its count
// (percentiles need the raw values).
struct Aggregate {
  double count = 0, sum = 0;
  double min = 0, max = 0;  // meaningful once count > 0
  std::map<double, double> dist;
  bool exact = true;
  void Merge(const Aggregate& other);
};

// The value of `stat` over `a`, if it has one: none for an empty aggregate, and no percentile
// unless the values are exact and none is negative (as in CloudWatch). Percentiles are nearest
// rank: the smallest value with at least p% of the samples at or below it.
std::optional<double> StatValue(const Aggregate& a, const StatSpec& stat);

// A query's StartTime (seconds) rounded down the way CloudWatch documents: to 5/10/20/30-second
// divisions of the minute for sub-minute periods, else to the minute (younger than 15 days),
// 5 minutes (up to 63 days) or the hour. Periods start there.
int64_t AlignStart(int64_t start_sec, int period, int64_t now_sec);

// Whole-second arithmetic on times (floor division, also for times before 1970).
int64_t FloorDiv(int64_t a, int64_t b);
inline int64_t FloorTo(int64_t a, int64_t m) { return FloorDiv(a, m) * m; }
int64_t FloorSec(Time t);
int64_t CeilSec(Time t);
inline int64_t Secs(Duration d) { return std::chrono::duration_cast<seconds>(d).count(); }
inline Time AtSec(int64_t s) { return FromUnixNanos(s * 1'000'000'000); }
// Shortest text that reads back as `v`.
std::string FormatDouble(double v);

}  // namespace steady::region::cloudwatch
