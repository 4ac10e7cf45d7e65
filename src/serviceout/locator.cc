#include "serviceout/locator.h"

namespace steady::serviceout {

namespace {
constexpr size_t kIdsPerCall = 100;  // DescribeContainerInstances takes at most 100
}  // namespace

InstanceLocator::InstanceLocator(Options options, aws::Ecs& ecs, Clock& clock,
                                 MetricsRegistry& metrics)
    : options_(std::move(options)),
      ecs_(ecs),
      clock_(clock),
      calls_(&metrics
                  .AddCounter("steady_terminator_locator_lookups_total",
                              "Batched instance-to-cluster lookups (each one "
                              "ListContainerInstances per cluster and chunk).")
                  .Get()) {}

Status InstanceLocator::Lookup(const std::vector<std::string>& ids,
                               std::map<std::string, Location>& found) {
  calls_->Inc();
  for (size_t i = 0; i < ids.size(); i += kIdsPerCall) {
    std::string filter = "ec2InstanceId in [";
    for (size_t j = i; j < std::min(ids.size(), i + kIdsPerCall); ++j) {
      filter += (j > i ? ", '" : "'") + ids[j] + "'";
    }
    filter += "]";
    for (const std::string& cluster : options_.clusters) {
      std::vector<std::string> arns;
      aws::ListContainerInstancesRequest req;
      req.cluster = cluster;
      req.filter = filter;
      do {
        auto page = ecs_.ListContainerInstances(req);
        if (!page.ok()) return page.status().WithContext("ListContainerInstances " + cluster);
        arns.insert(arns.end(), page->arns.begin(), page->arns.end());
        req.next_token = page->next_token;
      } while (!req.next_token.empty());
      for (size_t k = 0; k < arns.size(); k += kIdsPerCall) {
        std::vector<std::string> chunk(arns.begin() + k,
                                       arns.begin() + std::min(arns.size(), k + kIdsPerCall));
        auto described = ecs_.DescribeContainerInstances(cluster, chunk);
        if (!described.ok())
          return described.status().WithContext("DescribeContainerInstances " + cluster);
        for (const aws::ContainerInstance& ci : described->items) {
          // An instance re-registered after an INACTIVE record: the live one wins.
          auto [it, fresh] = found.try_emplace(
              ci.ec2_instance_id, Location{cluster, ci.container_instance_arn, ci.status});
          if (!fresh && it->second.status == "INACTIVE")
            it->second = Location{cluster, ci.container_instance_arn, ci.status};
        }
      }
    }
  }
  return Status::Ok();
}

Result<Location> InstanceLocator::Locate(const std::string& instance_id) {
  std::unique_lock lock(mu_);
  auto answer = [&](const Entry& e) -> Result<Location> {
    if (e.location) return *e.location;
    return NotFoundError("instance " + instance_id + " is in none of the watched clusters");
  };
  if (auto it = cache_.find(instance_id); it != cache_.end() && it->second.expires > clock_.Now())
    return answer(it->second);
  pending_.insert(instance_id);
  // The first batch that starts after this point includes our id.
  const uint64_t wanted = generation_ + (busy_ ? 2 : 1);
  while (generation_ < wanted) {
    if (busy_) {
      cv_.wait(lock);
      continue;
    }
    busy_ = true;
    std::vector<std::string> ids(pending_.begin(), pending_.end());
    pending_.clear();
    lock.unlock();
    std::map<std::string, Location> found;
    Status s = Lookup(ids, found);
    lock.lock();
    Time now = clock_.Now();
    std::erase_if(cache_, [&](const auto& kv) { return kv.second.expires < now; });
    Time expires = now + options_.cache_ttl;
    for (const std::string& id : ids) {
      if (!s.ok()) {
        errors_[id] = s;
        continue;
      }
      errors_.erase(id);
      auto f = found.find(id);
      Entry e;
      if (f != found.end()) e.location = f->second;
      e.expires = expires;
      cache_[id] = std::move(e);
    }
    busy_ = false;
    ++generation_;
    cv_.notify_all();
  }
  if (auto e = errors_.find(instance_id); e != errors_.end()) return e->second;
  if (auto it = cache_.find(instance_id); it != cache_.end()) return answer(it->second);
  return InternalError("instance " + instance_id + " was not looked up");
}

void InstanceLocator::Forget(const std::string& instance_id) {
  std::lock_guard lock(mu_);
  cache_.erase(instance_id);
  errors_.erase(instance_id);
}

}  // namespace steady::serviceout
