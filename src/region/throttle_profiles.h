// Throttling emulation for the local region: per-operation token buckets (FrontOptions::throttle)
// that make the region answer each service's real throttling error once a client goes past a
// limit, so that clients can be tested against account limits.
//
// A bucket is named "<service>:<Operation>" or "<service>:*" (every operation of the service
// without a bucket of its own), where <service> is the SigV4 signing name the front routes by:
// sqs, sns, events, s3, monitoring (CloudWatch), ecs, ... ("cloudwatch" and "eventbridge" are
// accepted for monitoring and events). It holds `burst` tokens and gains `rate` a second.
//
// Buckets come from, in increasing precedence: named profiles (`--throttle-profile NAME`,
// region.throttle_profile), region.throttle in steady.yaml, and `--throttle KEY=BURST/RATE`.
//
//   region:
//     throttle_profile: cloudwatch          # or a list of names
//     throttle:
//       sqs:SendMessage: 10/5               # burst/rate
//       "ecs:*": {burst: 50, rate: 20}
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/config.h"
#include "base/status.h"
#include "region/front.h"

namespace steady::region {

using ThrottleBuckets = std::map<std::string, FrontOptions::Bucket>;

struct ThrottleProfile {
  std::string name;
  std::string description;
  ThrottleBuckets (*buckets)();
};

// Every named profile. New services add theirs here (part 2 of the region adds "ecs", built
// from aws::EcsRateLimits).
const std::vector<ThrottleProfile>& ThrottleProfiles();

// The buckets of profile `name`; kNotFound (naming the known profiles) if there is none.
Result<ThrottleBuckets> ThrottleProfileBuckets(std::string_view name);

// "monitoring:PutMetricData=10/5" → {"monitoring:PutMetricData", {10, 5}}. kInvalidArgument if
// the key or the numbers are malformed (burst must be ≥ 1 and rate > 0).
Result<std::pair<std::string, FrontOptions::Bucket>> ParseThrottleSpec(std::string_view spec);

// The buckets the `region` section of steady.yaml asks for (throttle_profile, then throttle).
// kInvalidArgument naming the file position of a malformed entry; kNotFound for an unknown
// profile.
Result<ThrottleBuckets> ThrottleFromConfig(const ConfigNode& region_section);

}  // namespace steady::region
