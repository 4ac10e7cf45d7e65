// The local region's CloudWatch metrics: PutMetricData, GetMetricStatistics, GetMetricData
// (metric stats, not metric math) and ListMetrics over stored series.
//
// Storage is what CloudWatch itself keeps: per metric (namespace, name, sorted dimensions) and
// unit, one aggregate (count, sum, min, max and, while it stays small, the exact distribution
// of values for percentiles) per minute, or per second for StorageResolution 1. Seconds older
// than three hours fold into their minute and everything older than fifteen days is dropped,
// on write and when read, so memory is bounded by the number of series. Queries aggregate
// those into periods aligned the way CloudWatch aligns them (StartTime rounded down to the
// minute, or to 5/10/20/30-second divisions for sub-minute periods).
//
// Every PutMetricData is one journal record applied by the same code live and on replay; the
// snapshot holds the aggregates, so --state keeps what was acknowledged.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "aws/cloudwatch.h"
#include "region/cloudwatch_rules.h"
#include "region/region_context.h"
#include "region/service_model.h"

namespace steady::region {

class CloudWatchModel final : public aws::CloudWatch, public ServiceModel {
 public:
  // How long data is kept (CloudWatch keeps one-minute data for 15 days) and how long
  // one-second data keeps its resolution.
  static constexpr Duration kRetention = hours(24 * 15);
  static constexpr Duration kHighResolutionRetention = hours(3);
  // A PutMetricData timestamp may lie this far in the past or future.
  static constexpr Duration kMaxPast = hours(24 * 14);
  static constexpr Duration kMaxFuture = hours(2);

  explicit CloudWatchModel(RegionContext& ctx);
  ~CloudWatchModel() override;

  // aws::CloudWatch. PutMetricData refuses the reserved "AWS/" namespaces, as CloudWatch does.
  Status PutMetricData(const aws::PutMetricDataRequest& request) override;
  Result<aws::GetMetricStatisticsResult> GetMetricStatistics(
      const aws::GetMetricStatisticsRequest& request) override;
  Result<aws::GetMetricDataResult> GetMetricData(const aws::GetMetricDataRequest& request) override;
  Result<aws::ListMetricsResult> ListMetrics(const aws::ListMetricsRequest& request) override;

  // For the region's own services (AWS/ECS CPUReservation and the like): PutMetricData with the
  // same validation, except that "AWS/" namespaces are allowed.
  Status Publish(const aws::PutMetricDataRequest& request);

  // ServiceModel.
  std::string service() const override { return "cloudwatch"; }
  Status Replay(const nlohmann::json& record) override;
  nlohmann::json Snapshot() const override;
  Status Restore(const nlohmann::json& snapshot) override;
  std::mutex& mutex() override { return mu_; }
  std::unique_ptr<ServiceFront> MakeFront() override;

  struct Stats {
    size_t series = 0;   // metric × dimension combinations stored
    size_t buckets = 0;  // stored aggregates (minutes or seconds, per unit)
  };
  Stats stats() const;

 private:
  // One stored aggregate (a minute or a second of one unit), or a period's in a query.
  using Bucket = cloudwatch::Aggregate;
  struct Series {
    // (start second, unit) → aggregate. Keys are minute-aligned except for one-second data
    // newer than `folded_below`.
    std::map<std::pair<int64_t, std::string>, Bucket> buckets;
    int64_t last_put_sec = 0;          // when data was last put (record time)
    int64_t folded_below = INT64_MIN;  // every key below this is minute-aligned
  };
  // (namespace, metric name, dimensions sorted by name).
  struct SeriesKey {
    std::string ns, name;
    std::vector<std::pair<std::string, std::string>> dims;
    auto operator<=>(const SeriesKey&) const = default;
  };

  Status Put(const aws::PutMetricDataRequest& request, bool allow_reserved);
  Status ApplyLocked(const nlohmann::json& record);
  // Drops expired aggregates of `s` and folds old seconds into minutes, as of `now_sec`.
  void TrimLocked(Series& s, int64_t now_sec);
  const Series* FindLocked(const SeriesKey& key) const;
  // Aggregates `s` over [start, end) into periods of `period` seconds starting at `start`
  // (unit "" = all units), keyed by (period start, unit; "" when merging units).
  std::map<std::pair<int64_t, std::string>, Bucket> AggregateLocked(const Series& s, int64_t start,
                                                                    int64_t end, int period,
                                                                    const std::string& unit,
                                                                    bool by_unit,
                                                                    int64_t now_sec) const;

  RegionContext& ctx_;
  mutable std::mutex mu_;
  std::map<SeriesKey, Series> series_;
  int64_t last_sweep_sec_ = 0;  // record time of the last trim of every series
};

}  // namespace steady::region
