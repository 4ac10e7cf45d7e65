// Which region and which endpoint URL a service client talks to, resolved as the AWS SDKs do.
//
// Region:   explicit (steady.yaml / --region) > $AWS_REGION > $AWS_DEFAULT_REGION > the
//           profile's `region` > kNotFound.
// Endpoint: explicit (steady.yaml / --endpoint-url)
//           > $AWS_ENDPOINT_URL_<SERVICE_ID>        (e.g. AWS_ENDPOINT_URL_AUTO_SCALING)
//           > $AWS_ENDPOINT_URL
//           > the profile's `services` section:     [services NAME] / s3 = / endpoint_url = URL
//           > the profile's `endpoint_url`
//           > https://<endpoint_prefix>.<region>.<partition DNS suffix>
//           $AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or the profile's
//           ignore_configured_endpoint_urls = true; the variable wins when set) skips the
//           environment and profile endpoints; an explicit endpoint always applies.
//
// The shared files are read only when an earlier source does not decide (a set $AWS_REGION
// never touches ~/.aws/config). Empty environment values count as unset.
//
// Thread safety: free functions over values; call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "aws/aws_config_file.h"
#include "aws/aws_transport.h"
#include "base/env.h"
#include "base/status.h"

namespace steady::aws {

struct EndpointOverrides {
  // Explicit endpoint ("http://127.0.0.1:4566"); beats every other source. Empty: none.
  std::string endpoint_url;
  // Explicit region; beats every other source. Empty: none.
  std::string region;
  // Profile whose settings apply; empty: $AWS_PROFILE, else "default". A profile chosen here
  // or by $AWS_PROFILE must exist once the files are consulted (kInvalidArgument otherwise).
  std::string profile;
};

// A resolved value and where it came from, for logs ("endpoint from AWS_ENDPOINT_URL_S3").
struct ResolvedSetting {
  std::string value;
  std::string source;  // "explicit", "AWS_REGION", "/home/me/.aws/config [profile dev]", ...
};

// kNotFound if no source names a region; kInvalidArgument if the region found is not a valid
// host label (the message names its source), or a file is malformed.
Result<ResolvedSetting> ResolveRegion(const Environment& env, const EndpointOverrides& overrides);
Result<ResolvedSetting> ResolveRegion(const Environment& env, const EndpointOverrides& overrides,
                                      const SharedConfig& files);

// The base URL for `service` (its service_id and endpoint_prefix are used), without a
// trailing '/'. `region` matters only for the default endpoint. kInvalidArgument for a URL
// that is not http(s)://host[:port][/path] (the message names its source), a profile
// `services` name with no such section, or a missing/invalid region when the default is needed.
Result<ResolvedSetting> ResolveEndpoint(const Environment& env, const ServiceInfo& service,
                                        std::string_view region,
                                        const EndpointOverrides& overrides);
Result<ResolvedSetting> ResolveEndpoint(const Environment& env, const ServiceInfo& service,
                                        std::string_view region, const EndpointOverrides& overrides,
                                        const SharedConfig& files);

// "https://<endpoint_prefix>.<region>.<suffix>": amazonaws.com, amazonaws.com.cn for cn-*,
// and the isolated partitions' suffixes (us-iso-*, us-isob-*, eu-isoe-*, us-isof-*, eusc-*).
// kInvalidArgument for an invalid region.
Result<std::string> DefaultEndpoint(std::string_view endpoint_prefix, std::string_view region);
std::string_view PartitionDnsSuffix(std::string_view region);

// "Elastic Load Balancing v2" → "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2".
std::string EndpointEnvVar(std::string_view service_id);
// "Elastic Load Balancing v2" → "elastic_load_balancing_v2" (the key in a services section).
std::string EndpointConfigKey(std::string_view service_id);

}  // namespace steady::aws
