#include "aws/endpoints.h"

#include <functional>
#include <optional>
#include <utility>

#include "net/http.h"

namespace steady::aws {
namespace {

std::string EnvValue(const Environment& env, std::string_view name) {
  return env.Get(name).value_or("");
}

// Loads the shared files at most once, and only if a resolution step needs them.
class LazyFiles {
 public:
  explicit LazyFiles(const Environment& env) : env_(&env) {}
  explicit LazyFiles(const SharedConfig& files) : files_(&files) {}

  Result<const SharedConfig*> Get() {
    if (files_ != nullptr) return files_;
    Result<SharedConfig> loaded = SharedConfig::Load(*env_);
    if (!loaded.ok()) return loaded.status();
    loaded_ = std::move(loaded).value();
    files_ = &*loaded_;
    return files_;
  }

 private:
  const Environment* env_ = nullptr;
  const SharedConfig* files_ = nullptr;
  std::optional<SharedConfig> loaded_;
};

// The selected profile, or nullptr when it is "default" by fallback and absent.
Result<const AwsProfile*> FindSelectedProfile(const Environment& env,
                                              const EndpointOverrides& overrides,
                                              const SharedConfig& files) {
  std::string name = SelectProfileName(env, overrides.profile);
  const AwsProfile* profile = files.FindProfile(name);
  if (profile == nullptr && ProfileChosenExplicitly(env, overrides.profile)) {
    return InvalidArgumentError("profile '" + name + "' is not in " + files.credentials_path() +
                                " or " + files.config_path());
  }
  return profile;
}

std::string ProfileSource(const SharedConfig& files, const AwsProfile& profile) {
  std::string file = profile.in_config_file ? files.config_path() : files.credentials_path();
  return file + " [" + (profile.name == "default" ? "default" : "profile " + profile.name) + "]";
}

bool ValidRegion(std::string_view region) {
  if (region.empty() || region.size() > 63) return false;
  if (region.front() == '-' || region.back() == '-') return false;
  for (char c : region) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<ResolvedSetting> CheckedRegion(std::string region, std::string source) {
  if (!ValidRegion(region)) {
    return InvalidArgumentError(source + ": '" + region + "' is not a valid region name");
  }
  return ResolvedSetting{std::move(region), std::move(source)};
}

// Validates an endpoint URL and drops trailing '/' (the transport appends "/path").
Result<ResolvedSetting> CheckedEndpoint(std::string url, std::string source) {
  Result<net::Url> parsed = net::ParseUrl(url);
  if (!parsed.ok()) return parsed.status().WithContext(source);
  if (parsed->host.empty()) return InvalidArgumentError(source + ": no host in '" + url + "'");
  if (!parsed->query.empty() || url.find('#') != std::string::npos) {
    return InvalidArgumentError(source + ": an endpoint URL takes no query or fragment: '" + url +
                                "'");
  }
  while (url.ends_with('/')) url.pop_back();
  return ResolvedSetting{std::move(url), std::move(source)};
}

Result<ResolvedSetting> ResolveRegionImpl(const Environment& env,
                                          const EndpointOverrides& overrides, LazyFiles& lazy) {
  if (!overrides.region.empty()) return CheckedRegion(overrides.region, "explicit");
  for (std::string_view var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    std::string v = EnvValue(env, var);
    if (!v.empty()) return CheckedRegion(std::move(v), std::string(var));
  }
  ASSIGN_OR_RETURN(const SharedConfig* files, lazy.Get());
  ASSIGN_OR_RETURN(const AwsProfile* profile, FindSelectedProfile(env, overrides, *files));
  if (profile != nullptr) {
    const std::string* region = profile->settings.Find("region");
    if (region != nullptr && !region->empty()) {
      return CheckedRegion(*region, ProfileSource(*files, *profile) + " region");
    }
  }
  return NotFoundError(
      "no AWS region: set AWS_REGION, `region` in steady.yaml, or region in "
      "profile '" +
      SelectProfileName(env, overrides.profile) + "' of " + files->config_path());
}

Result<ResolvedSetting> ResolveEndpointImpl(const Environment& env, const ServiceInfo& service,
                                            std::string_view region,
                                            const EndpointOverrides& overrides, LazyFiles& lazy) {
  if (!overrides.endpoint_url.empty()) return CheckedEndpoint(overrides.endpoint_url, "explicit");

  // The profile is needed for the ignore switch unless the environment sets it, and for the
  // profile's endpoints; look it up at most once, and only then.
  std::optional<const AwsProfile*> profile;
  const SharedConfig* files = nullptr;
  auto load_profile = [&]() -> Status {
    if (profile) return Status::Ok();
    ASSIGN_OR_RETURN(files, lazy.Get());
    ASSIGN_OR_RETURN(profile, FindSelectedProfile(env, overrides, *files));
    return Status::Ok();
  };

  bool ignore_configured = false;
  if (std::string v = EnvValue(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); !v.empty()) {
    ignore_configured = IsTrueSetting(v);
  } else {
    RETURN_IF_ERROR(load_profile());
    if (*profile != nullptr) {
      const std::string* v = (*profile)->settings.Find("ignore_configured_endpoint_urls");
      ignore_configured = v != nullptr && IsTrueSetting(*v);
    }
  }

  if (!ignore_configured) {
    for (std::string var : {EndpointEnvVar(service.service_id), std::string("AWS_ENDPOINT_URL")}) {
      std::string v = EnvValue(env, var);
      if (!v.empty()) return CheckedEndpoint(std::move(v), var);
    }
    RETURN_IF_ERROR(load_profile());
    if (const AwsProfile* p = *profile; p != nullptr) {
      if (const std::string* services_name = p->settings.Find("services");
          services_name != nullptr && !services_name->empty()) {
        const IniSection* services = files->FindServices(*services_name);
        if (services == nullptr) {
          return InvalidArgumentError(ProfileSource(*files, *p) + " names services '" +
                                      *services_name + "', but " + files->config_path() +
                                      " has no [services " + *services_name + "] section");
        }
        std::string key = EndpointConfigKey(service.service_id);
        const std::string* url = services->FindIn(key, "endpoint_url");
        if (url != nullptr && !url->empty()) {
          return CheckedEndpoint(*url, files->config_path() + " [services " + *services_name +
                                           "] " + key + ".endpoint_url");
        }
      }
      const std::string* url = p->settings.Find("endpoint_url");
      if (url != nullptr && !url->empty()) {
        return CheckedEndpoint(*url, ProfileSource(*files, *p) + " endpoint_url");
      }
    }
  }

  if (region.empty()) {
    return InvalidArgumentError("no region for the default endpoint of " + service.service_id);
  }
  ASSIGN_OR_RETURN(std::string url, DefaultEndpoint(service.endpoint_prefix, region));
  return ResolvedSetting{std::move(url), "default"};
}

}  // namespace

Result<ResolvedSetting> ResolveRegion(const Environment& env, const EndpointOverrides& overrides) {
  LazyFiles lazy(env);
  return ResolveRegionImpl(env, overrides, lazy);
}

Result<ResolvedSetting> ResolveRegion(const Environment& env, const EndpointOverrides& overrides,
                                      const SharedConfig& files) {
  LazyFiles lazy(files);
  return ResolveRegionImpl(env, overrides, lazy);
}

Result<ResolvedSetting> ResolveEndpoint(const Environment& env, const ServiceInfo& service,
                                        std::string_view region,
                                        const EndpointOverrides& overrides) {
  LazyFiles lazy(env);
  return ResolveEndpointImpl(env, service, region, overrides, lazy);
}

Result<ResolvedSetting> ResolveEndpoint(const Environment& env, const ServiceInfo& service,
                                        std::string_view region, const EndpointOverrides& overrides,
                                        const SharedConfig& files) {
  LazyFiles lazy(files);
  return ResolveEndpointImpl(env, service, region, overrides, lazy);
}

std::string_view PartitionDnsSuffix(std::string_view region) {
  // From the partitions in botocore's endpoints.json (regionRegex → dnsSuffix).
  if (region.starts_with("cn-")) return "amazonaws.com.cn";
  if (region.starts_with("us-isob-")) return "sc2s.sgov.gov";
  if (region.starts_with("us-isof-")) return "csp.hci.ic.gov";
  if (region.starts_with("us-iso-")) return "c2s.ic.gov";
  if (region.starts_with("eu-isoe-")) return "cloud.adc-e.uk";
  if (region.starts_with("eusc-")) return "amazonaws.eu";
  return "amazonaws.com";
}

Result<std::string> DefaultEndpoint(std::string_view endpoint_prefix, std::string_view region) {
  if (!ValidRegion(region)) {
    return InvalidArgumentError("'" + std::string(region) + "' is not a valid region name");
  }
  if (endpoint_prefix.empty()) return InvalidArgumentError("service without an endpoint prefix");
  return "https://" + std::string(endpoint_prefix) + "." + std::string(region) + "." +
         std::string(PartitionDnsSuffix(region));
}

std::string EndpointConfigKey(std::string_view service_id) {
  // botocore: lower-case, spaces and hyphens to underscores.
  std::string key;
  for (char c : service_id) {
    if (c == ' ' || c == '-') {
      key += '_';
    } else if (c >= 'A' && c <= 'Z') {
      key += static_cast<char>(c - 'A' + 'a');
    } else {
      key += c;
    }
  }
  return key;
}

std::string EndpointEnvVar(std::string_view service_id) {
  std::string var = "AWS_ENDPOINT_URL_";
  for (char c : EndpointConfigKey(service_id)) {
    var += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return var;
}

}  // namespace steady::aws
