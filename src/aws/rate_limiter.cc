#include "aws/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace steady::aws {
namespace {
constexpr double kMinRefillPerSecond = 1e-3;
}  // namespace

RateLimiter::RateLimiter(Clock& clock) : clock_(clock) {}

void RateLimiter::Refill(Bucket& b, Time now) const {
  if (now <= b.updated) return;
  double elapsed = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(b.config.burst, b.tokens + elapsed * b.config.refill_per_second);
  b.updated = now;
}

void RateLimiter::SetGroup(const std::string& group, TokenBucketConfig config) {
  // A bucket that never refills would make waiters sleep forever (and the wait computation
  // divide by zero); the floor keeps every wait finite and representable in nanoseconds.
  config.refill_per_second = std::max(config.refill_per_second, kMinRefillPerSecond);
  config.burst = std::max(config.burst, 0.0);
  Time now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(group);
  if (it == buckets_.end()) {
    buckets_.emplace(group, Bucket{config, config.burst, now});
    return;
  }
  Refill(it->second, now);
  it->second.config = config;
  it->second.tokens = std::min(it->second.tokens, config.burst);
}

bool RateLimiter::HasGroup(std::string_view group) const {
  std::lock_guard lock(mu_);
  return buckets_.find(group) != buckets_.end();
}

Status RateLimiter::Acquire(std::string_view group, std::stop_token stop, double tokens) {
  if (group.empty()) return Status::Ok();
  Time deadline;
  {
    Time now = clock_.Now();
    std::lock_guard lock(mu_);
    auto it = buckets_.find(group);
    if (it == buckets_.end()) return Status::Ok();
    Bucket& b = it->second;
    if (tokens > b.config.burst) {
      return InvalidArgumentError("rate limiter group " + std::string(group) + ": " +
                                  std::to_string(tokens) + " tokens exceed the burst of " +
                                  std::to_string(b.config.burst));
    }
    Refill(b, now);
    b.tokens -= tokens;
    if (b.tokens >= 0) return Status::Ok();
    // The debt is repaid at refill_per_second; round up so that waking never finds it unpaid.
    double wait_s = -b.tokens / b.config.refill_per_second;
    deadline = now + Duration(static_cast<Duration::rep>(std::ceil(wait_s * 1e9)));
  }
  if (clock_.SleepUntil(deadline, stop)) return Status::Ok();
  {
    // Give the reservation back so that callers behind us are not delayed by a call that
    // never happened.
    Time now = clock_.Now();
    std::lock_guard lock(mu_);
    auto it = buckets_.find(group);
    if (it != buckets_.end()) {
      Refill(it->second, now);
      it->second.tokens = std::min(it->second.config.burst, it->second.tokens + tokens);
    }
  }
  return CancelledError("rate limiter group " + std::string(group) + ": stopped while waiting");
}

bool RateLimiter::TryAcquire(std::string_view group, double tokens) {
  if (group.empty()) return true;
  Time now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(group);
  if (it == buckets_.end()) return true;
  Refill(it->second, now);
  if (it->second.tokens < tokens) return false;
  it->second.tokens -= tokens;
  return true;
}

double RateLimiter::Available(std::string_view group) const {
  Time now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(group);
  if (it == buckets_.end()) return 0;
  Bucket b = it->second;
  Refill(b, now);
  return b.tokens;
}

namespace {

struct EcsGroup {
  std::string_view name;
  TokenBucketConfig config;
  std::vector<std::string_view> operations;
};

// From the ECS developer guide's request-throttling page (see /work/shared/NOTES.md).
const std::vector<EcsGroup>& EcsGroups() {
  static const std::vector<EcsGroup> groups = {
      {"ecs:run",
       {100, 40},
       {"RunTask", "StartTask", "StopTask", "UpdateContainerInstancesState",
        "DeregisterContainerInstance"}},
      {"ecs:describe-tasks",
       {100, 20},
       {"DescribeTasks", "ListTasks", "DescribeContainerInstances", "ListContainerInstances"}},
      {"ecs:mutate-services", {50, 5}, {"CreateService", "UpdateService", "DeleteService"}},
      {"ecs:describe-services", {100, 20}, {"DescribeServices", "ListServices"}},
      {"ecs:task-definitions", {20, 1}, {"RegisterTaskDefinition", "DeregisterTaskDefinition"}},
      {"ecs:clusters", {50, 20}, {"DescribeClusters", "ListClusters"}},
      {"ecs:tag", {20, 10}, {"TagResource"}},
  };
  return groups;
}

}  // namespace

std::vector<std::pair<std::string, TokenBucketConfig>> EcsRateLimits(double share) {
  std::vector<std::pair<std::string, TokenBucketConfig>> out;
  for (const EcsGroup& g : EcsGroups()) {
    TokenBucketConfig c = g.config;
    c.burst = std::max(1.0, c.burst * share);
    c.refill_per_second = c.refill_per_second * share;
    out.emplace_back(std::string(g.name), c);
  }
  return out;
}

void AddEcsRateLimits(RateLimiter& limiter, double share) {
  for (const auto& [name, config] : EcsRateLimits(share)) limiter.SetGroup(name, config);
}

std::string_view EcsLimiterGroup(std::string_view operation) {
  for (const EcsGroup& g : EcsGroups()) {
    for (std::string_view op : g.operations)
      if (op == operation) return g.name;
  }
  return "";
}

}  // namespace steady::aws
