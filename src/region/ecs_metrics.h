// AWS/ECS CloudWatch metrics computed from the ECS model, as CloudWatch receives them from ECS:
// once a minute, per ClusterName,
//   CPUReservation / MemoryReservation  = 100 × (registered − remaining) / registered over the
//       cluster's ACTIVE and DRAINING container instances with a connected agent (AWS's
//       definition: what tasks reserve against what those instances registered);
//   CPUUtilization / MemoryUtilization  = 100 × used / registered over the same instances,
//       where "used" is the model's stand-in: each RUNNING task uses STEADY_CPU_UTILIZATION /
//       STEADY_MEMORY_UTILIZATION percent (default 100) of its reservation (ecs_model.h);
// and per ClusterName+ServiceName, CPUUtilization / MemoryUtilization = 100 × used / reserved
// over the service's RUNNING tasks (AWS's per-service definition; with the default stand-in,
// 100). All in unit Percent. A cluster with no counted capacity publishes no cluster metrics
// (as ECS publishes nothing for an empty cluster); a service with no RUNNING task publishes
// nothing.
//
// Tick() is called by the region on every fleet tick; the first tick only notes the minute,
// and each tick that finds a new minute of the injected clock publishes one datapoint per
// metric, stamped with the start of the minute that just ended (the state observed at its end).
//
// Thread safety: all methods may be called from any thread; of concurrent Ticks in a new
// minute, one publishes.
#pragma once

#include <cstdint>
#include <mutex>

#include "base/clock.h"
#include "base/status.h"

namespace steady::region {

class EcsModel;
class CloudWatchModel;

class EcsMetrics {
 public:
  EcsMetrics(EcsModel& ecs, CloudWatchModel& cloudwatch, Clock& clock);

  // Publishes when a minute boundary of the clock passed since the last publication.
  void Tick();

  // Publishes the current figures now, stamped `at` (Tick's work; for tests and tools).
  Status PublishAt(Time at);

  // How many datapoints were published since start.
  uint64_t published() const;

 private:
  EcsModel& ecs_;
  CloudWatchModel& cloudwatch_;
  Clock& clock_;
  mutable std::mutex mu_;
  int64_t last_minute_ = -1;  // the minute (epoch seconds / 60) of the last tick; -1: none
  uint64_t published_ = 0;
};

}  // namespace steady::region
