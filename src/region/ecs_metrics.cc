#include "region/ecs_metrics.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <utility>
#include <vector>

#include "base/log.h"
#include "region/cloudwatch_model.h"
#include "region/ecs_model.h"

namespace steady::region {

namespace {

constexpr size_t kMaxDatums = 500;  // per PutMetricData (CloudWatch takes up to 1,000)

int64_t MinuteOf(Time t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count() / 60;
}

aws::MetricDatum Percent(const char* name, std::vector<aws::Dimension> dims, double value,
                         Time at) {
  aws::MetricDatum d;
  d.metric_name = name;
  d.dimensions = std::move(dims);
  d.timestamp = at;
  d.value = value;
  d.unit = "Percent";
  return d;
}

}  // namespace

EcsMetrics::EcsMetrics(EcsModel& ecs, CloudWatchModel& cloudwatch, Clock& clock)
    : ecs_(ecs), cloudwatch_(cloudwatch), clock_(clock) {}

void EcsMetrics::Tick() {
  int64_t minute = MinuteOf(clock_.Now());
  {
    std::lock_guard lock(mu_);
    bool due = last_minute_ >= 0 && minute > last_minute_;
    if (last_minute_ < minute) last_minute_ = minute;
    if (!due) return;
  }
  Time at{std::chrono::duration_cast<Duration>(std::chrono::seconds((minute - 1) * 60))};
  if (Status s = PublishAt(at); !s.ok())
    LogWarn("ecs metrics: publish failed", {{"error", s.ToString()}});
}

Status EcsMetrics::PublishAt(Time at) {
  std::vector<aws::MetricDatum> data;
  for (const auto& cu : ecs_.ClusterReservation()) {
    std::vector<aws::Dimension> cluster = {{"ClusterName", cu.cluster_name}};
    if (cu.registered_cpu > 0) {
      double reserved = static_cast<double>(cu.registered_cpu - cu.remaining_cpu);
      data.push_back(Percent("CPUReservation", cluster, 100.0 * reserved / cu.registered_cpu, at));
      data.push_back(
          Percent("CPUUtilization", cluster, 100.0 * cu.used_cpu / cu.registered_cpu, at));
    }
    if (cu.registered_memory > 0) {
      double reserved = static_cast<double>(cu.registered_memory - cu.remaining_memory);
      data.push_back(
          Percent("MemoryReservation", cluster, 100.0 * reserved / cu.registered_memory, at));
      data.push_back(
          Percent("MemoryUtilization", cluster, 100.0 * cu.used_memory / cu.registered_memory, at));
    }
    for (const auto& su : cu.services) {
      if (su.running == 0) continue;
      std::vector<aws::Dimension> dims = {{"ClusterName", cu.cluster_name},
                                          {"ServiceName", su.service_name}};
      if (su.reserved_cpu > 0)
        data.push_back(Percent("CPUUtilization", dims, 100.0 * su.used_cpu / su.reserved_cpu, at));
      if (su.reserved_memory > 0)
        data.push_back(
            Percent("MemoryUtilization", dims, 100.0 * su.used_memory / su.reserved_memory, at));
    }
  }
  Status result = Status::Ok();
  for (size_t start = 0; start < data.size(); start += kMaxDatums) {
    aws::PutMetricDataRequest req;
    req.namespace_ = "AWS/ECS";
    size_t end = std::min(data.size(), start + kMaxDatums);
    req.metric_data.assign(std::make_move_iterator(data.begin() + start),
                           std::make_move_iterator(data.begin() + end));
    Status s = cloudwatch_.Publish(req);
    if (s.ok()) {
      std::lock_guard lock(mu_);
      published_ += end - start;
    } else if (result.ok()) {
      result = s;
    }
  }
  return result;
}

uint64_t EcsMetrics::published() const {
  std::lock_guard lock(mu_);
  return published_;
}

}  // namespace steady::region
