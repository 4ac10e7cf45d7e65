// Finds which watched ECS cluster an EC2 instance belongs to, with ListContainerInstances and
// the filter `ec2InstanceId in [...]` over the configured clusters, then
// DescribeContainerInstances for its status.
//
// Batched: while one lookup is in flight, other callers' instance ids gather and the next
// lookup asks for all of them at once (100 per call), so a mass interruption of 50 instances in
// 10 clusters costs a handful of calls, not 500. Cached: answers (found or not) are kept for
// `cache_ttl` on the injected clock. Errors of the calls are returned to every waiter of that
// batch and not cached.
//
// Thread safety: Locate may be called from any thread.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/ecs.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"

namespace steady::serviceout {

struct Location {
  std::string cluster;                 // cluster ARN (as ListContainerInstances was asked)
  std::string container_instance_arn;  // ""
  std::string status;                  // ACTIVE, DRAINING, ...
};

class InstanceLocator {
 public:
  struct Options {
    std::vector<std::string> clusters;  // names or ARNs
    Duration cache_ttl = std::chrono::seconds(30);
  };
  InstanceLocator(Options options, aws::Ecs& ecs, Clock& clock, MetricsRegistry& metrics);

  // The instance's location; kNotFound when it is in none of the clusters.
  Result<Location> Locate(const std::string& instance_id);
  // Forgets what is known of `instance_id` (after the workflow changed its status).
  void Forget(const std::string& instance_id);

  const std::vector<std::string>& clusters() const { return options_.clusters; }

 private:
  struct Entry {
    std::optional<Location> location;  // nullopt: in no watched cluster
    Time expires{};
  };
  // Looks `ids` up in every cluster; fills `found` (instance id → location).
  Status Lookup(const std::vector<std::string>& ids, std::map<std::string, Location>& found);

  Options options_;
  aws::Ecs& ecs_;
  Clock& clock_;
  Counter* calls_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> cache_;
  std::set<std::string> pending_;         // waiting for the next batch
  bool busy_ = false;                     // a batch is in flight
  uint64_t generation_ = 0;               // batches finished
  std::map<std::string, Status> errors_;  // of the last batch, for its waiters
};

}  // namespace steady::serviceout
