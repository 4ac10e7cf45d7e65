#include "region/throttle_profiles.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "aws/rate_limiter.h"

namespace steady::region {

namespace {

// CloudWatch's default API quotas (transactions per second per account and Region, from the
// "CloudWatch service quotas" page); one second of calls as the burst.
ThrottleBuckets CloudWatchProfile() {
  return {
      {"monitoring:PutMetricData", {500, 500}},
      {"monitoring:GetMetricData", {50, 50}},
      {"monitoring:GetMetricStatistics", {400, 400}},
      {"monitoring:ListMetrics", {25, 25}},
  };
}

// ECS's published per-account buckets (aws::EcsRateLimits), each shared by a group of
// operations: "ecs:run" serves RunTask, StartTask, StopTask, ... (RegionFront maps an ECS
// operation to its group with aws::EcsLimiterGroup).
ThrottleBuckets EcsProfile() {
  ThrottleBuckets out;
  for (const auto& [group, config] : aws::EcsRateLimits())
    out[group] = {config.burst, config.refill_per_second};
  return out;
}

bool ParseNumber(std::string_view s, double& out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

// "sqs:SendMessage" or "ecs:*" with the service's signing name; aliases are rewritten.
Result<std::string> NormalizeKey(std::string_view key) {
  size_t colon = key.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == key.size())
    return InvalidArgumentError("throttle key '" + std::string(key) +
                                "' must be SERVICE:Operation or SERVICE:*");
  std::string service(key.substr(0, colon));
  std::string_view op = key.substr(colon + 1);
  auto service_ok = std::all_of(service.begin(), service.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  // '-' admits operation groups such as ECS's "ecs:describe-tasks".
  auto op_ok = op == "*" || std::all_of(op.begin(), op.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-';
               });
  if (!service_ok || !op_ok)
    return InvalidArgumentError("throttle key '" + std::string(key) +
                                "' must be SERVICE:Operation or SERVICE:* (e.g. sqs:SendMessage)");
  if (service == "cloudwatch") service = "monitoring";
  if (service == "eventbridge") service = "events";
  return service + ":" + std::string(op);
}

Status CheckBucket(const std::string& key, const FrontOptions::Bucket& b) {
  if (b.burst < 1 || b.rate <= 0)
    return InvalidArgumentError("throttle " + key + ": burst must be at least 1 and rate above 0");
  return Status::Ok();
}

}  // namespace

const std::vector<ThrottleProfile>& ThrottleProfiles() {
  static const std::vector<ThrottleProfile> kProfiles = {
      {"cloudwatch",
       "CloudWatch's default API quotas (PutMetricData 500/s, GetMetricData 50/s, ...)",
       &CloudWatchProfile},
      {"ecs",
       "ECS's request-throttling buckets (RunTask & co. 100 burst / 40 per s, DescribeTasks & co. "
       "100/20, services 50/5, task definitions 20/1, ...), shared per operation group",
       &EcsProfile},
  };
  return kProfiles;
}

Result<ThrottleBuckets> ThrottleProfileBuckets(std::string_view name) {
  std::string known;
  for (const ThrottleProfile& p : ThrottleProfiles()) {
    if (p.name == name) return p.buckets();
    known += (known.empty() ? "" : ", ") + p.name;
  }
  return NotFoundError("no throttle profile '" + std::string(name) + "' (known: " + known + ")");
}

Result<std::pair<std::string, FrontOptions::Bucket>> ParseThrottleSpec(std::string_view spec) {
  size_t eq = spec.rfind('=');
  if (eq == std::string_view::npos)
    return InvalidArgumentError("throttle '" + std::string(spec) +
                                "' must be SERVICE:Operation=BURST/RATE");
  ASSIGN_OR_RETURN(std::string key, NormalizeKey(spec.substr(0, eq)));
  std::string_view value = spec.substr(eq + 1);
  size_t slash = value.find('/');
  FrontOptions::Bucket b;
  if (slash == std::string_view::npos || !ParseNumber(value.substr(0, slash), b.burst) ||
      !ParseNumber(value.substr(slash + 1), b.rate))
    return InvalidArgumentError("throttle '" + std::string(spec) +
                                "': expected BURST/RATE numbers (e.g. 10/5) after '='");
  RETURN_IF_ERROR(CheckBucket(key, b));
  return std::make_pair(key, b);
}

Result<ThrottleBuckets> ThrottleFromConfig(const ConfigNode& region) {
  ThrottleBuckets out;
  ASSIGN_OR_RETURN(std::vector<std::string> profiles, region.StringList("throttle_profile"));
  for (const std::string& name : profiles) {
    auto buckets = ThrottleProfileBuckets(name);
    if (!buckets.ok())
      return buckets.status().WithContext(region.Child("throttle_profile").Where());
    for (auto& [k, b] : *buckets) out[k] = b;
  }
  ConfigNode throttle = region.Child("throttle");
  for (const std::string& key : throttle.Keys()) {
    ConfigNode entry = throttle.Child(key);
    FrontOptions::Bucket b;
    if (!entry.Keys().empty()) {
      RETURN_IF_ERROR(entry.CheckKeys({"burst", "rate"}));
      ASSIGN_OR_RETURN(b.burst, entry.Double("burst"));
      ASSIGN_OR_RETURN(b.rate, entry.Double("rate"));
      auto k = NormalizeKey(key);
      if (!k.ok()) return k.status().WithContext(entry.Where());
      if (Status s = CheckBucket(*k, b); !s.ok()) return s.WithContext(entry.Where());
      out[*k] = b;
    } else {
      ASSIGN_OR_RETURN(std::string value, throttle.String(key));
      auto spec = ParseThrottleSpec(key + "=" + value);
      if (!spec.ok()) return spec.status().WithContext(entry.Where());
      out[spec->first] = spec->second;
    }
  }
  return out;
}

}  // namespace steady::region
