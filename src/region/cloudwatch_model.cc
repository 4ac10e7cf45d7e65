#include "region/cloudwatch_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>

#include "base/base64.h"
#include "region/cloudwatch_rules.h"
#include "region/service_error.h"

namespace steady::region {

using cloudwatch::AlignStart;
using cloudwatch::AtSec;
using cloudwatch::CeilSec;
using cloudwatch::CheckDimensions;
using cloudwatch::CheckName;
using cloudwatch::CheckNamespace;
using cloudwatch::CheckPeriod;
using cloudwatch::CheckValue;
using cloudwatch::Combination;
using cloudwatch::Dims;
using cloudwatch::FloorDiv;
using cloudwatch::FloorSec;
using cloudwatch::FloorTo;
using cloudwatch::FormatDouble;
using cloudwatch::Invalid;
using cloudwatch::InvalidValue;
using cloudwatch::Missing;
using cloudwatch::ParseStat;
using cloudwatch::Secs;
using cloudwatch::StatSpec;
using cloudwatch::StatValue;
using cloudwatch::ValidUnit;
using nlohmann::json;

namespace {

constexpr int64_t kNanos = 1'000'000'000;
constexpr int kMaxDatapointsPerStatistics = 1440;
constexpr int kDefaultMaxDatapoints = 100800;
constexpr size_t kListMetricsPage = 500;

}  // namespace

CloudWatchModel::CloudWatchModel(RegionContext& ctx) : ctx_(ctx) {}
CloudWatchModel::~CloudWatchModel() = default;

Status CloudWatchModel::PutMetricData(const aws::PutMetricDataRequest& request) {
  return Put(request, false);
}

Status CloudWatchModel::Publish(const aws::PutMetricDataRequest& request) {
  return Put(request, true);
}

Status CloudWatchModel::Put(const aws::PutMetricDataRequest& req, bool allow_reserved) {
  constexpr std::string_view op = "PutMetricData";
  RETURN_IF_ERROR(CheckNamespace(op, req.namespace_, "Namespace"));
  if (!allow_reserved && req.namespace_.rfind("AWS/", 0) == 0)
    return InvalidValue(op, req.namespace_, "Namespace");
  if (req.metric_data.empty()) return Missing(op, "MetricData");
  if (req.metric_data.size() > 1000)
    return Invalid(op, "The collection MetricData must not have a size greater than 1000.");

  const Time now = ctx_.clock.Now();
  const int64_t now_sec = FloorSec(now);
  json data = json::array();
  for (size_t i = 0; i < req.metric_data.size(); ++i) {
    const aws::MetricDatum& d = req.metric_data[i];
    const std::string p = "MetricData.member." + std::to_string(i + 1);
    RETURN_IF_ERROR(CheckName(op, d.metric_name, p + ".MetricName", 255));
    ASSIGN_OR_RETURN(Dims dims, CheckDimensions(op, d.dimensions, p + ".Dimensions"));
    if (!d.unit.empty() && !ValidUnit(d.unit)) return InvalidValue(op, d.unit, p + ".Unit");
    const int resolution = d.storage_resolution.value_or(60);
    if (resolution != 1 && resolution != 60)
      return InvalidValue(op, std::to_string(resolution), p + ".StorageResolution");
    const Time ts = d.timestamp.value_or(now);
    if (ts < now - kMaxPast || ts > now + kMaxFuture)
      return Invalid(op, "The parameter " + p +
                             ".Timestamp must specify a time no more than two weeks in the past "
                             "and no more than two hours in the future.");

    const int kinds =
        int(d.value.has_value()) + int(!d.values.empty()) + int(d.statistic_values.has_value());
    if (kinds > 1)
      return Combination(op, "The parameters " + p + ".Value, " + p + ".Values and " + p +
                                 ".StatisticValues are mutually exclusive and you have "
                                 "specified more than one.");
    if (!d.counts.empty() && d.values.empty())
      return Combination(op, "The parameter " + p + ".Counts requires " + p + ".Values.");
    if (kinds == 0) return Missing(op, p + ".Value");

    Bucket b;
    if (d.value) {
      RETURN_IF_ERROR(CheckValue(op, *d.value, p + ".Value"));
      b.count = 1;
      b.sum = b.min = b.max = *d.value;
      b.dist[*d.value] = 1;
    } else if (!d.values.empty()) {
      if (d.values.size() > 150)
        return Invalid(op,
                       "The collection " + p + ".Values must not have a size greater than 150.");
      if (!d.counts.empty() && d.counts.size() != d.values.size())
        return Invalid(
            op, "The parameters " + p + ".Values and " + p + ".Counts must be of the same size.");
      for (size_t k = 0; k < d.values.size(); ++k) {
        const double v = d.values[k];
        RETURN_IF_ERROR(CheckValue(op, v, p + ".Values.member." + std::to_string(k + 1)));
        const double c = d.counts.empty() ? 1 : d.counts[k];
        // Bounded like values, so that sums stay finite (the journal's JSON has no infinity).
        const std::string cp = p + ".Counts.member." + std::to_string(k + 1);
        if (c < 0) return InvalidValue(op, FormatDouble(c), cp);
        RETURN_IF_ERROR(CheckValue(op, c, cp));
        if (c == 0) continue;
        Bucket one;
        one.count = c;
        one.sum = v * c;
        one.min = one.max = v;
        one.dist[v] = c;
        b.Merge(one);
      }
      if (b.count == 0) continue;  // every count was 0: nothing to store
    } else {
      const aws::StatisticSet& s = *d.statistic_values;
      const std::string sp = p + ".StatisticValues";
      RETURN_IF_ERROR(CheckValue(op, s.sample_count, sp + ".SampleCount"));
      RETURN_IF_ERROR(CheckValue(op, s.sum, sp + ".Sum"));
      RETURN_IF_ERROR(CheckValue(op, s.minimum, sp + ".Minimum"));
      RETURN_IF_ERROR(CheckValue(op, s.maximum, sp + ".Maximum"));
      if (s.sample_count <= 0)
        return Invalid(op, "The parameter " + sp + ".SampleCount must be greater than 0.");
      if (s.minimum > s.maximum)
        return Invalid(
            op, "The parameter " + sp + ".Minimum must not be greater than " + sp + ".Maximum.");
      b.count = s.sample_count;
      b.sum = s.sum;
      b.min = s.minimum;
      b.max = s.maximum;
      // A set is as good as raw values when all its samples are equal (CloudWatch's rule for
      // percentiles over statistic sets).
      b.exact = s.minimum == s.maximum && s.sum == s.minimum * s.sample_count;
      if (b.exact) b.dist[s.minimum] = s.sample_count;
    }

    int64_t sec = FloorSec(ts);
    // Standard resolution is stored per minute; one-second data older than the
    // high-resolution retention would be folded into its minute anyway.
    if (resolution == 60 || sec < now_sec - Secs(kHighResolutionRetention)) sec = FloorTo(sec, 60);
    json entry = {{"m", d.metric_name}, {"d", dims},
                  {"ts", sec},          {"u", d.unit.empty() ? "None" : d.unit},
                  {"c", b.count},       {"sum", b.sum},
                  {"min", b.min},       {"max", b.max}};
    if (b.exact) {
      json dist = json::array();
      for (const auto& [v, c] : b.dist) dist.push_back({v, c});
      entry["v"] = std::move(dist);
    }
    data.push_back(std::move(entry));
  }
  if (data.empty()) return Status::Ok();

  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    json record = {{"s", "cloudwatch"},
                   {"op", "put"},
                   {"t", ToUnixNanos(now)},
                   {"ns", req.namespace_},
                   {"data", std::move(data)}};
    Status s = ApplyLocked(record);
    // The record was built above from validated input; failing to apply it is a bug.
    assert(s.ok());
    (void)s;
    seq = ctx_.journal().Enqueue(record.dump());
  }
  return ctx_.journal().Commit(seq);
}

Status CloudWatchModel::Replay(const json& record) {
  std::lock_guard lock(mu_);
  return ApplyLocked(record);
}

Status CloudWatchModel::ApplyLocked(const json& r) {
  try {
    const std::string op = r.at("op");
    if (op == "put") {
      const int64_t now_sec = FloorDiv(r.at("t").get<int64_t>(), kNanos);
      const std::string ns = r.at("ns");
      for (const json& d : r.at("data")) {
        SeriesKey key{ns, d.at("m"), d.at("d").get<Dims>()};
        Bucket b;
        b.count = d.at("c");
        b.sum = d.at("sum");
        b.min = d.at("min");
        b.max = d.at("max");
        b.exact = d.contains("v");
        if (b.exact)
          for (const json& vc : d["v"]) b.dist[vc.at(0).get<double>()] += vc.at(1).get<double>();
        Series& s = series_[key];
        s.buckets[{d.at("ts").get<int64_t>(), d.at("u").get<std::string>()}].Merge(b);
        s.last_put_sec = std::max(s.last_put_sec, now_sec);
        TrimLocked(s, now_sec);
      }
      // Series nobody writes to any more are trimmed (and dropped once empty) hourly.
      if (now_sec - last_sweep_sec_ >= 3600) {
        for (auto it = series_.begin(); it != series_.end();) {
          TrimLocked(it->second, now_sec);
          it = it->second.buckets.empty() ? series_.erase(it) : std::next(it);
        }
        last_sweep_sec_ = now_sec;
      }
    } else if (op == "series") {  // snapshot of one series
      SeriesKey key{r.at("ns"), r.at("m"), r.at("d").get<Dims>()};
      Series& s = series_[key];
      s.last_put_sec = r.at("last");
      s.folded_below = r.at("fold");
      for (const json& e : r.at("b")) {
        Bucket b;
        b.count = e.at(2);
        b.sum = e.at(3);
        b.min = e.at(4);
        b.max = e.at(5);
        b.exact = !e.at(6).is_null();
        if (b.exact)
          for (const json& vc : e.at(6)) b.dist[vc.at(0).get<double>()] += vc.at(1).get<double>();
        s.buckets[{e.at(0).get<int64_t>(), e.at(1).get<std::string>()}].Merge(b);
      }
    } else if (op == "sweep") {
      last_sweep_sec_ = r.at("at");
    } else {
      return DataLossError("unknown cloudwatch journal op " + op);
    }
  } catch (const json::exception& e) {
    return DataLossError(std::string("bad cloudwatch journal record: ") + e.what());
  }
  return Status::Ok();
}

void CloudWatchModel::TrimLocked(Series& s, int64_t now_sec) {
  const int64_t cutoff = now_sec - Secs(kRetention);
  while (!s.buckets.empty() && s.buckets.begin()->first.first < cutoff)
    s.buckets.erase(s.buckets.begin());
  const int64_t fold = now_sec - Secs(kHighResolutionRetention);
  if (fold <= s.folded_below) return;
  auto it =
      s.folded_below == INT64_MIN ? s.buckets.begin() : s.buckets.lower_bound({s.folded_below, ""});
  while (it != s.buckets.end() && it->first.first < fold) {
    const int64_t minute = FloorTo(it->first.first, 60);
    if (minute == it->first.first) {
      ++it;
      continue;
    }
    Bucket b = std::move(it->second);
    std::string unit = it->first.second;
    it = s.buckets.erase(it);
    // The minute sorts before `it`, so inserting it leaves the walk intact.
    s.buckets[{minute, unit}].Merge(b);
  }
  s.folded_below = fold;
}

json CloudWatchModel::Snapshot() const {
  // Records that replay to the same state: one code path restores both.
  json records = json::array();
  records.push_back({{"s", "cloudwatch"}, {"op", "sweep"}, {"at", last_sweep_sec_}});
  for (const auto& [key, s] : series_) {
    json buckets = json::array();
    for (const auto& [k, b] : s.buckets) {
      json dist = nullptr;
      if (b.exact) {
        dist = json::array();
        for (const auto& [v, c] : b.dist) dist.push_back({v, c});
      }
      buckets.push_back({k.first, k.second, b.count, b.sum, b.min, b.max, std::move(dist)});
    }
    records.push_back({{"s", "cloudwatch"},
                       {"op", "series"},
                       {"ns", key.ns},
                       {"m", key.name},
                       {"d", key.dims},
                       {"last", s.last_put_sec},
                       {"fold", s.folded_below},
                       {"b", std::move(buckets)}});
  }
  return records;
}

Status CloudWatchModel::Restore(const json& snapshot) {
  std::lock_guard lock(mu_);
  series_.clear();
  last_sweep_sec_ = 0;
  for (const json& r : snapshot) RETURN_IF_ERROR(ApplyLocked(r));
  return Status::Ok();
}

CloudWatchModel::Stats CloudWatchModel::stats() const {
  std::lock_guard lock(mu_);
  Stats st;
  st.series = series_.size();
  for (const auto& [k, s] : series_) st.buckets += s.buckets.size();
  return st;
}

const CloudWatchModel::Series* CloudWatchModel::FindLocked(const SeriesKey& key) const {
  auto it = series_.find(key);
  return it == series_.end() ? nullptr : &it->second;
}

std::map<std::pair<int64_t, std::string>, CloudWatchModel::Bucket> CloudWatchModel::AggregateLocked(
    const Series& s, int64_t start, int64_t end, int period, const std::string& unit, bool by_unit,
    int64_t now_sec) const {
  std::map<std::pair<int64_t, std::string>, Bucket> out;
  // Reads apply the retention rules too, so what a query sees does not depend on when the
  // last write trimmed the series.
  const int64_t cutoff = now_sec - Secs(kRetention);
  const int64_t fold = now_sec - Secs(kHighResolutionRetention);
  for (auto it = s.buckets.lower_bound({std::max(start, cutoff), ""});
       it != s.buckets.end() && it->first.first < end; ++it) {
    const auto& [sec, u] = it->first;
    if (!unit.empty() && u != unit) continue;
    const int64_t at = sec < fold ? FloorTo(sec, 60) : sec;
    if (at < start || at < cutoff) continue;
    const int64_t period_start = start + FloorDiv(at - start, period) * period;
    out[{period_start, by_unit ? u : std::string()}].Merge(it->second);
  }
  return out;
}

Result<aws::GetMetricStatisticsResult> CloudWatchModel::GetMetricStatistics(
    const aws::GetMetricStatisticsRequest& req) {
  constexpr std::string_view op = "GetMetricStatistics";
  RETURN_IF_ERROR(CheckNamespace(op, req.namespace_, "Namespace"));
  RETURN_IF_ERROR(CheckName(op, req.metric_name, "MetricName", 255));
  ASSIGN_OR_RETURN(Dims dims, CheckDimensions(op, req.dimensions, "Dimensions"));
  RETURN_IF_ERROR(CheckPeriod(op, req.period, "Period"));
  if (!req.unit.empty() && !ValidUnit(req.unit)) return InvalidValue(op, req.unit, "Unit");
  if (req.statistics.empty() && req.extended_statistics.empty())
    return Combination(op, "Must specify either Statistics or ExtendedStatistics.");
  if (!req.statistics.empty() && !req.extended_statistics.empty())
    return Combination(op, "Must specify either Statistics or ExtendedStatistics, but not both.");
  if (req.statistics.size() > 5)
    return Invalid(op, "The collection Statistics must not have a size greater than 5.");
  if (req.extended_statistics.size() > 10)
    return Invalid(op, "The collection ExtendedStatistics must not have a size greater than 10.");
  std::vector<StatSpec> stats;
  for (size_t i = 0; i < req.statistics.size(); ++i) {
    auto s = ParseStat(req.statistics[i]);
    if (!s || s->percentile >= 0)
      return InvalidValue(op, req.statistics[i], "Statistics.member." + std::to_string(i + 1));
    stats.push_back(*s);
  }
  for (size_t i = 0; i < req.extended_statistics.size(); ++i) {
    auto s = ParseStat(req.extended_statistics[i]);
    if (!s || s->percentile < 0)
      return InvalidValue(op, req.extended_statistics[i],
                          "ExtendedStatistics.member." + std::to_string(i + 1));
    stats.push_back(*s);
  }
  if (req.start_time >= req.end_time)
    return Invalid(op, "The parameter StartTime must be less than the parameter EndTime.");
  const int64_t now_sec = FloorSec(ctx_.clock.Now());
  const int64_t start = AlignStart(FloorSec(req.start_time), req.period, now_sec);
  const int64_t end = CeilSec(req.end_time);
  const int64_t points = (end - start + req.period - 1) / req.period;
  if (points > kMaxDatapointsPerStatistics)
    return Combination(op, "You have requested up to " + std::to_string(points) +
                               " datapoints, which exceeds the limit of 1,440. You may reduce "
                               "the datapoints requested by increasing Period, or decreasing "
                               "the time range.");

  aws::GetMetricStatisticsResult result;
  result.label = req.metric_name;
  std::lock_guard lock(mu_);
  const Series* s = FindLocked({req.namespace_, req.metric_name, dims});
  if (!s) return result;
  for (const auto& [key, b] :
       AggregateLocked(*s, start, end, req.period, req.unit, true, now_sec)) {
    aws::Datapoint dp;
    dp.timestamp = AtSec(key.first);
    dp.unit = key.second;
    for (const StatSpec& st : stats) {
      auto v = StatValue(b, st);
      if (!v) continue;
      if (st.percentile >= 0)
        dp.extended_statistics[st.name] = *v;
      else if (st.name == "SampleCount")
        dp.sample_count = v;
      else if (st.name == "Average")
        dp.average = v;
      else if (st.name == "Sum")
        dp.sum = v;
      else if (st.name == "Minimum")
        dp.minimum = v;
      else
        dp.maximum = v;
    }
    result.datapoints.push_back(std::move(dp));
  }
  return result;
}

Result<aws::GetMetricDataResult> CloudWatchModel::GetMetricData(
    const aws::GetMetricDataRequest& req) {
  constexpr std::string_view op = "GetMetricData";
  if (req.metric_data_queries.empty()) return Missing(op, "MetricDataQueries");
  if (req.metric_data_queries.size() > 500)
    return Invalid(op, "The collection MetricDataQueries must not have a size greater than 500.");
  if (req.start_time >= req.end_time)
    return Invalid(op, "The parameter StartTime must be less than the parameter EndTime.");
  if (!req.scan_by.empty() && req.scan_by != "TimestampDescending" &&
      req.scan_by != "TimestampAscending")
    return InvalidValue(op, req.scan_by, "ScanBy");
  const bool ascending = req.scan_by == "TimestampAscending";
  const int max_points = req.max_datapoints.value_or(kDefaultMaxDatapoints);
  if (max_points <= 0) return InvalidValue(op, std::to_string(max_points), "MaxDatapoints");
  // NextToken: how many datapoints earlier pages returned.
  int64_t offset = 0;
  if (!req.next_token.empty()) {
    auto raw = Base64Decode(req.next_token);
    json t = raw.ok() ? json::parse(*raw, nullptr, false) : json();
    if (!t.is_object() || !t.contains("o") || !t["o"].is_number_unsigned())
      return ServiceError(op, "InvalidNextToken", "The service couldn't process the NextToken.");
    offset = t["o"].get<int64_t>();
  }

  struct Query {
    const aws::MetricDataQuery* q;
    SeriesKey key;
    StatSpec stat;
  };
  std::vector<Query> queries;
  std::set<std::string> ids;
  for (size_t i = 0; i < req.metric_data_queries.size(); ++i) {
    const aws::MetricDataQuery& q = req.metric_data_queries[i];
    const std::string p = "MetricDataQueries.member." + std::to_string(i + 1);
    if (q.id.empty()) return Missing(op, p + ".Id");
    const bool id_ok = q.id.size() <= 255 && q.id[0] >= 'a' && q.id[0] <= 'z' &&
                       std::all_of(q.id.begin(), q.id.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                       });
    if (!id_ok)
      return Invalid(op, "The value " + q.id + " for parameter " + p +
                             ".Id is invalid: it must start with a lowercase letter and contain "
                             "only letters, digits and underscores.");
    if (!ids.insert(q.id).second)
      return Invalid(op, "The value " + q.id + " for parameter " + p + ".Id is not unique.");
    if (q.metric_stat && !q.expression.empty())
      return Combination(op, "The parameters " + p + ".MetricStat and " + p +
                                 ".Expression are mutually exclusive and you have specified both.");
    if (!q.expression.empty())
      return Invalid(op, "The parameter " + p +
                             ".Expression is not supported: the local region serves MetricStat "
                             "queries only, not metric math or Metrics Insights.");
    if (!q.metric_stat) return Missing(op, p + ".MetricStat");
    const aws::MetricStat& ms = *q.metric_stat;
    const std::string mp = p + ".MetricStat";
    RETURN_IF_ERROR(CheckNamespace(op, ms.metric.namespace_, mp + ".Metric.Namespace"));
    RETURN_IF_ERROR(CheckName(op, ms.metric.metric_name, mp + ".Metric.MetricName", 255));
    ASSIGN_OR_RETURN(Dims dims,
                     CheckDimensions(op, ms.metric.dimensions, mp + ".Metric.Dimensions"));
    RETURN_IF_ERROR(CheckPeriod(op, ms.period, mp + ".Period"));
    if (ms.stat.empty()) return Missing(op, mp + ".Stat");
    auto stat = ParseStat(ms.stat);
    if (!stat) return InvalidValue(op, ms.stat, mp + ".Stat");
    if (!ms.unit.empty() && !ValidUnit(ms.unit)) return InvalidValue(op, ms.unit, mp + ".Unit");
    queries.push_back({&q, {ms.metric.namespace_, ms.metric.metric_name, std::move(dims)}, *stat});
  }

  const int64_t now_sec = FloorSec(ctx_.clock.Now());
  std::vector<aws::MetricDataResult> results;
  {
    std::lock_guard lock(mu_);
    for (const Query& q : queries) {
      if (!q.q->return_data) continue;
      const aws::MetricStat& ms = *q.q->metric_stat;
      aws::MetricDataResult r;
      r.id = q.q->id;
      r.label = q.q->label.empty() ? ms.metric.metric_name : q.q->label;
      if (const Series* s = FindLocked(q.key)) {
        const int64_t start = AlignStart(FloorSec(req.start_time), ms.period, now_sec);
        for (const auto& [key, b] : AggregateLocked(*s, start, CeilSec(req.end_time), ms.period,
                                                    ms.unit, false, now_sec)) {
          auto v = StatValue(b, q.stat);
          if (!v) continue;
          r.timestamps.push_back(AtSec(key.first));
          r.values.push_back(*v);
        }
      }
      if (!ascending) {
        std::reverse(r.timestamps.begin(), r.timestamps.end());
        std::reverse(r.values.begin(), r.values.end());
      }
      results.push_back(std::move(r));
    }
  }

  // Pages cut the results, in query order, after max_points datapoints; every page lists every
  // query, with PartialData while some of its datapoints are on a later page.
  aws::GetMetricDataResult out;
  int64_t skip = offset, room = max_points, total = 0;
  for (aws::MetricDataResult& r : results) {
    const int64_t n = static_cast<int64_t>(r.values.size());
    total += n;
    const int64_t from = std::min(skip, n);
    skip -= from;
    const int64_t take = std::min(room, n - from);
    room -= take;
    r.timestamps =
        std::vector<Time>(r.timestamps.begin() + from, r.timestamps.begin() + from + take);
    r.values = std::vector<double>(r.values.begin() + from, r.values.begin() + from + take);
    if (from + take < n) r.status_code = "PartialData";
    out.metric_data_results.push_back(std::move(r));
  }
  if (offset + max_points < total)
    out.next_token = Base64Encode(json({{"o", offset + max_points}}).dump());
  return out;
}

Result<aws::ListMetricsResult> CloudWatchModel::ListMetrics(const aws::ListMetricsRequest& req) {
  constexpr std::string_view op = "ListMetrics";
  if (!req.namespace_.empty()) RETURN_IF_ERROR(CheckNamespace(op, req.namespace_, "Namespace"));
  if (req.metric_name.size() > 255) return InvalidValue(op, req.metric_name, "MetricName");
  if (req.dimensions.size() > 10)
    return Invalid(op, "The collection Dimensions must not have a size greater than 10.");
  for (size_t i = 0; i < req.dimensions.size(); ++i) {
    const std::string p = "Dimensions.member." + std::to_string(i + 1);
    RETURN_IF_ERROR(CheckName(op, req.dimensions[i].name, p + ".Name", 255));
    if (req.dimensions[i].value)
      RETURN_IF_ERROR(CheckName(op, *req.dimensions[i].value, p + ".Value", 1024));
  }
  if (!req.recently_active.empty() && req.recently_active != "PT3H")
    return InvalidValue(op, req.recently_active, "RecentlyActive");
  // NextToken: the last metric of the previous page.
  std::optional<SeriesKey> after;
  if (!req.next_token.empty()) {
    auto raw = Base64Decode(req.next_token);
    json t = raw.ok() ? json::parse(*raw, nullptr, false) : json();
    try {
      after = SeriesKey{t.at(0), t.at(1), t.at(2).get<Dims>()};
    } catch (const json::exception&) {
      return InvalidValue(op, req.next_token, "NextToken");
    }
  }

  const int64_t now_sec = FloorSec(ctx_.clock.Now());
  const int64_t listed_since =
      now_sec - (req.recently_active.empty() ? Secs(kMaxPast) : Secs(hours(3)));
  aws::ListMetricsResult out;
  std::lock_guard lock(mu_);
  auto it = after ? series_.upper_bound(*after) : series_.begin();
  for (; it != series_.end(); ++it) {
    const auto& [key, s] = *it;
    if (!req.namespace_.empty() && key.ns != req.namespace_) continue;
    if (!req.metric_name.empty() && key.name != req.metric_name) continue;
    if (s.last_put_sec < listed_since) continue;
    bool match = true;
    for (const aws::DimensionFilter& f : req.dimensions) {
      bool found = false;
      for (const auto& [n, v] : key.dims)
        found = found || (n == f.name && (!f.value || v == *f.value));
      match = match && found;
    }
    if (!match) continue;
    if (out.metrics.size() == kListMetricsPage) {
      const aws::Metric& last = out.metrics.back();
      Dims dims;
      for (const auto& d : last.dimensions) dims.emplace_back(d.name, d.value);
      out.next_token = Base64Encode(json::array({last.namespace_, last.metric_name, dims}).dump());
      break;
    }
    aws::Metric m{key.ns, key.name, {}};
    for (const auto& [n, v] : key.dims) m.dimensions.push_back({n, v});
    out.metrics.push_back(std::move(m));
  }
  return out;
}

}  // namespace steady::region
