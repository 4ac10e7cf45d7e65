#include "aws/aws_context.h"

#include "aws/aws_config_file.h"
#include "aws/endpoints.h"
#include "base/log.h"

namespace steady::aws {

bool NoAwsAccountConfigured(const Environment& env, std::string_view profile) {
  for (const char* var : {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY",
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"}) {
    auto v = env.Get(var);
    if (v && !v->empty()) return false;
  }
  auto files = SharedConfig::Load(env);
  if (!files.ok()) return false;  // a broken file is somebody's real setup: do not guess local
  const AwsProfile* p = files->FindProfile(SelectProfileName(env, profile));
  if (!p) return true;
  for (const char* key : {"aws_access_key_id", "role_arn", "credential_process", "sso_session",
                          "sso_start_url", "endpoint_url"})
    if (p->settings.Find(key)) return false;
  return true;
}

AwsContext::AwsContext(AwsSettings settings, const Environment& env, Clock& clock,
                       MetricsRegistry& metrics)
    : settings_(std::move(settings)),
      env_(env),
      clock_(clock),
      metrics_(metrics),
      limiter_(clock) {}

AwsContext::~AwsContext() = default;

Result<std::unique_ptr<AwsContext>> AwsContext::Create(AwsSettings settings, const Environment& env,
                                                       Clock& clock, MetricsRegistry& metrics) {
  std::unique_ptr<AwsContext> c(new AwsContext(std::move(settings), env, clock, metrics));
  c->http_ = std::make_unique<net::CurlHttpClient>();
  AwsSettings& s = c->settings_;
  if (s.endpoint_url.empty() && s.region.empty() && NoAwsAccountConfigured(env, s.profile)) {
    c->local_default_ = true;
    s.endpoint_url = kLocalRegionEndpoint;
  }
  if (c->local_default_ ||
      (s.endpoint_url.rfind("http://127.", 0) == 0 && NoAwsAccountConfigured(env, s.profile))) {
    // The local region accepts any signature by default; sign with fixed local keys.
    c->credentials_ = StaticCredentials({"steady", "steady", "", std::nullopt});
    c->region_ = s.region.empty() ? "us-east-1" : s.region;
  } else {
    c->credentials_ = DefaultCredentialsChain(env, *c->http_, clock, {.profile = s.profile});
    EndpointOverrides o{"", s.region, s.profile};
    ASSIGN_OR_RETURN(ResolvedSetting region, ResolveRegion(env, o));
    c->region_ = region.value;
  }
  if (s.ecs_rate_share > 0) AddEcsRateLimits(c->limiter_, s.ecs_rate_share);
  return c;
}

Result<AwsTransport*> AwsContext::Transport(const ServiceInfo& service) {
  std::lock_guard lock(mu_);
  auto it = transports_.find(service.service_id);
  if (it != transports_.end()) return it->second.get();
  TransportOptions o;
  o.region = region_;
  o.max_attempts = settings_.max_attempts;
  if (!settings_.endpoint_url.empty()) {
    o.endpoint = settings_.endpoint_url;
  } else {
    EndpointOverrides eo{"", region_, settings_.profile};
    ASSIGN_OR_RETURN(ResolvedSetting endpoint, ResolveEndpoint(env_, service, region_, eo));
    o.endpoint = endpoint.value;
  }
  auto t = std::make_unique<AwsTransport>(service, o, *http_, *credentials_, clock_, metrics_,
                                          &limiter_);
  AwsTransport* raw = t.get();
  transports_.emplace(service.service_id, std::move(t));
  return raw;
}

std::string AwsContext::Describe() const {
  if (local_default_) return settings_.endpoint_url + " (local region)";
  if (!settings_.endpoint_url.empty()) return settings_.endpoint_url + " (" + region_ + ")";
  return "AWS " + region_;
}

}  // namespace steady::aws
