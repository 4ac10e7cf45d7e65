#include "aws/credentials.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "aws/aws_config_file.h"
#include "base/log.h"
#include "base/time_format.h"

namespace steady::aws {
namespace {

std::string EnvValue(const Environment& env, std::string_view name) {
  return env.Get(name).value_or("");
}

std::string_view TrimSpace(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Static and environment

class StaticProvider final : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials credentials) : credentials_(std::move(credentials)) {}
  Result<Credentials> Get() override { return credentials_; }
  std::string name() const override { return "static"; }

 private:
  const Credentials credentials_;
};

class EnvironmentProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentProvider(const Environment& env) : env_(env) {}

  Result<Credentials> Get() override {
    // The first name is the SDKs' standard one; the second a legacy name some SDKs still read.
    auto first = [&](std::string_view a,
                     std::string_view b) -> std::pair<std::string, std::string> {
      std::string v = EnvValue(env_, a);
      if (!v.empty()) return {v, std::string(a)};
      v = EnvValue(env_, b);
      if (!v.empty()) return {v, std::string(b)};
      return {"", ""};
    };
    auto [id, id_var] = first("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY");
    auto [secret, secret_var] = first("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY");
    if (id.empty() && secret.empty()) {
      return NotFoundError("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
    }
    if (id.empty()) {
      return InvalidArgumentError(secret_var + " is set but AWS_ACCESS_KEY_ID is not");
    }
    if (secret.empty()) {
      return InvalidArgumentError(id_var + " is set but AWS_SECRET_ACCESS_KEY is not");
    }
    Credentials c;
    c.access_key_id = std::move(id);
    c.secret_access_key = std::move(secret);
    c.session_token = first("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN").first;
    std::string expiration = EnvValue(env_, "AWS_CREDENTIAL_EXPIRATION");
    if (!expiration.empty()) {
      Result<Time> t = ParseRfc3339(expiration);
      if (!t.ok()) {
        return InvalidArgumentError("AWS_CREDENTIAL_EXPIRATION: " + t.status().message());
      }
      c.expiration = *t;
    }
    return c;
  }

  std::string name() const override { return "environment"; }

 private:
  const Environment& env_;
};

// ---------------------------------------------------------------------------------------------
// Shared files

class ProfileProvider final : public CredentialsProvider {
 public:
  ProfileProvider(const Environment& env, std::string profile)
      : env_(env), explicit_profile_(std::move(profile)) {}

  Result<Credentials> Get() override {
    std::lock_guard lock(mu_);
    if (cached_) return *cached_;
    ASSIGN_OR_RETURN(Credentials c, Load());
    cached_ = c;
    return c;
  }

  std::string name() const override {
    return "profile:" + SelectProfileName(env_, explicit_profile_);
  }

 private:
  Result<Credentials> Load() const {
    ASSIGN_OR_RETURN(SharedConfig config, SharedConfig::Load(env_));
    const std::string name = SelectProfileName(env_, explicit_profile_);
    const std::string files = config.credentials_path() + " or " + config.config_path();
    const AwsProfile* profile = config.FindProfile(name);
    if (profile == nullptr) {
      std::string msg = "profile '" + name + "' is not in " + files;
      if (ProfileChosenExplicitly(env_, explicit_profile_)) return InvalidArgumentError(msg);
      return NotFoundError(msg);
    }
    std::string where;
    if (profile->in_credentials_file) where = config.credentials_path();
    if (profile->in_config_file) {
      where += (where.empty() ? "" : " and ") + config.config_path();
    }
    const IniSection& s = profile->settings;
    const std::string* id = s.Find("aws_access_key_id");
    const std::string* secret = s.Find("aws_secret_access_key");
    bool has_id = id != nullptr && !id->empty();
    bool has_secret = secret != nullptr && !secret->empty();
    if (has_id && has_secret) {
      Credentials c;
      c.access_key_id = *id;
      c.secret_access_key = *secret;
      if (const std::string* t = s.Find("aws_session_token")) {
        c.session_token = *t;
      } else if (const std::string* legacy = s.Find("aws_security_token")) {
        c.session_token = *legacy;
      }
      return c;
    }
    if (has_id != has_secret) {
      return InvalidArgumentError("profile '" + name + "' (" + where + ") has " +
                                  (has_id ? "aws_access_key_id but no aws_secret_access_key"
                                          : "aws_secret_access_key but no aws_access_key_id"));
    }
    // Sources the SDKs support and steady does not. Moving on to instance credentials instead
    // would silently act as a different identity than the one configured.
    for (std::string_view key : {"role_arn", "credential_process", "sso_session", "sso_start_url",
                                 "web_identity_token_file"}) {
      if (s.Find(key) != nullptr) {
        return UnimplementedError("profile '" + name + "' (" + where + ") gets credentials via " +
                                  std::string(key) +
                                  ", which steady does not support; export AWS_ACCESS_KEY_ID/"
                                  "AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN instead (e.g. `aws "
                                  "configure export-credentials --format env`)");
      }
    }
    return NotFoundError("profile '" + name + "' (" + where +
                         ") has no aws_access_key_id/aws_secret_access_key");
  }

  const Environment& env_;
  const std::string explicit_profile_;
  std::mutex mu_;
  std::optional<Credentials> cached_;
};

// ---------------------------------------------------------------------------------------------
// Fetching providers: caching and refresh

class RefreshingProvider : public CredentialsProvider {
 public:
  RefreshingProvider(Clock& clock, const CredentialsOptions& options)
      : clock_(clock),
        refresh_before_(options.refresh_before),
        refresh_retry_(options.refresh_retry) {}

  Result<Credentials> Get() final {
    std::unique_lock lock(mu_);
    Time now = clock_.Now();
    if (Valid(now) && now < refresh_at_) return *cached_;
    if (fetching_) {
      // Someone else is fetching: the cached credentials do while they last; after that, wait
      // for that fetch instead of starting another.
      if (Valid(now)) return *cached_;
      uint64_t generation = generation_;
      cv_.wait(lock, [&] { return generation_ != generation; });
      if (Valid(clock_.Now())) return *cached_;
      if (!last_outcome_.ok()) return last_outcome_;
      return UnavailableError(name() + ": the fetched credentials expired at once");
    }
    fetching_ = true;
    lock.unlock();
    Result<Credentials> fetched = Fetch();
    lock.lock();
    fetching_ = false;
    ++generation_;
    cv_.notify_all();

    now = clock_.Now();
    if (fetched.ok() && fetched->expiration && *fetched->expiration <= now) {
      fetched = UnavailableError(name() + " returned credentials that expired at " +
                                 FormatIso8601(*fetched->expiration));
    }
    if (fetched.ok()) {
      cached_ = *fetched;
      refresh_at_ = RefreshTime(now, fetched->expiration);
      last_outcome_ = Status::Ok();
      return std::move(fetched).value();
    }
    last_outcome_ = fetched.status();
    if (Valid(now)) {
      LogWarn("credentials refresh failed; using the cached credentials until they expire",
              {{"provider", name()},
               {"error", fetched.status().ToString()},
               {"expires", cached_->expiration ? FormatIso8601(*cached_->expiration) : "never"}});
      refresh_at_ = now + refresh_retry_;
      return *cached_;
    }
    return fetched.status();
  }

 protected:
  // Fetches fresh credentials. Never called concurrently with itself.
  virtual Result<Credentials> Fetch() = 0;

 private:
  bool Valid(Time now) const {
    return cached_ && (!cached_->expiration || now < *cached_->expiration);
  }

  Time RefreshTime(Time now, std::optional<Time> expiration) const {
    if (!expiration) return Time::max();
    Time at = *expiration - refresh_before_;
    // Credentials that already live inside the refresh window would otherwise be fetched again
    // on every call; refresh them halfway to expiry instead.
    if (at <= now) at = now + (*expiration - now) / 2;
    return at;
  }

  Clock& clock_;
  const Duration refresh_before_;
  const Duration refresh_retry_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool fetching_ = false;
  uint64_t generation_ = 0;
  std::optional<Credentials> cached_;
  Time refresh_at_{};
  Status last_outcome_;  // of the latest fetch, for callers that waited on it
};

Status HttpStatusError(std::string_view what, const HttpResponse& response) {
  std::string msg = std::string(what) + ": HTTP " + std::to_string(response.status);
  std::string_view body = TrimSpace(response.body);
  if (!body.empty()) msg += ": " + std::string(body.substr(0, 200));
  if (response.status == 401 || response.status == 403) return UnauthenticatedError(msg);
  if (response.status == 429) return ThrottledError(msg);
  if (response.status >= 500) return UnavailableError(msg);
  return InternalError(msg);
}

bool Retryable(const Result<HttpResponse>& r) {
  if (!r.ok()) return r.status().retryable();
  return r->status >= 500;
}

// Sends `request`, again on a transport error or 5xx, up to `attempts` times in all. No pause
// between attempts: the metadata endpoints are local and the timeout already bounds the wait.
Result<HttpResponse> SendWithAttempts(HttpClient& http, const HttpRequest& request, int attempts) {
  Result<HttpResponse> r = http.Send(request);
  for (int i = 1; i < attempts && Retryable(r); ++i) r = http.Send(request);
  return r;
}

// {"AccessKeyId": ..., "SecretAccessKey": ..., "Token": ..., "Expiration": "RFC 3339"}, the
// shape both the ECS agent and IMDS return (IMDS adds Code, LastUpdated and Type).
Result<Credentials> ParseCredentialsJson(std::string_view body, std::string_view what) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InternalError(std::string(what) + ": response is not a JSON object");
  }
  auto field = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (std::string code = field("Code"); !code.empty() && code != "Success") {
    std::string message = field("Message");
    return UnavailableError(std::string(what) + ": Code " + code +
                            (message.empty() ? "" : ": " + message));
  }
  Credentials c;
  c.access_key_id = field("AccessKeyId");
  c.secret_access_key = field("SecretAccessKey");
  c.session_token = field("Token");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return InternalError(std::string(what) + ": response lacks AccessKeyId or SecretAccessKey");
  }
  if (std::string expiration = field("Expiration"); !expiration.empty()) {
    Result<Time> t = ParseRfc3339(expiration);
    if (!t.ok()) {
      return InternalError(std::string(what) + ": bad Expiration: " + t.status().message());
    }
    c.expiration = *t;
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// ECS container credentials

// Hosts an http:// full URI may name: the ECS and EKS agents' link-local addresses and
// loopback. Anything else must be https, so the token never crosses a network in clear.
bool AllowedPlainHttpHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "169.254.170.2" || host == "169.254.170.23" ||
      host == "fd00:ec2::23") {
    return true;
  }
  unsigned a, b, c, d;
  char tail;
  return std::sscanf(host.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 &&
         b < 256 && c < 256 && d < 256;
}

Result<std::string> ReadTokenFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return FailedPreconditionError("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + path + ": " +
                                   std::strerror(errno));
  }
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  std::fclose(f);
  return std::string(TrimSpace(text));
}

class ContainerProvider final : public RefreshingProvider {
 public:
  ContainerProvider(const Environment& env, HttpClient& http, Clock& clock,
                    const CredentialsOptions& options)
      : RefreshingProvider(clock, options), env_(env), http_(http), options_(options) {}

  std::string name() const override { return "ecs-container"; }

 protected:
  Result<Credentials> Fetch() override {
    HttpRequest request;
    request.method = "GET";
    request.timeout = options_.metadata_timeout;
    std::string relative = EnvValue(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    std::string full = EnvValue(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative.empty()) {
      std::string host = options_.ecs_host;
      while (!host.empty() && host.back() == '/') host.pop_back();
      request.url = host + (relative.front() == '/' ? "" : "/") + relative;
    } else if (!full.empty()) {
      Result<net::Url> url = net::ParseUrl(full);
      if (!url.ok()) {
        return InvalidArgumentError("AWS_CONTAINER_CREDENTIALS_FULL_URI: " +
                                    url.status().message());
      }
      if (url->scheme == "http" && !AllowedPlainHttpHost(url->host)) {
        return InvalidArgumentError(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI: http:// is allowed only to loopback or the "
            "ECS/EKS agent addresses, not '" +
            url->host + "'; use https://");
      }
      request.url = full;
    } else {
      return NotFoundError(
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not "
          "set");
    }

    std::string token;
    if (std::string file = EnvValue(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
        !file.empty()) {
      ASSIGN_OR_RETURN(token, ReadTokenFile(file));
    } else {
      token = EnvValue(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (token.find_first_of("\r\n") != std::string::npos) {
      return InvalidArgumentError("the container authorization token contains a line break");
    }
    if (!token.empty()) request.headers.Set("Authorization", token);
    request.headers.Set("Accept", "application/json");

    const std::string what = "ECS container credentials " + request.url;
    Result<HttpResponse> response =
        SendWithAttempts(http_, request, std::max(1, options_.metadata_attempts));
    if (!response.ok()) return response.status().WithContext(what);
    if (response->status != 200) return HttpStatusError(what, *response);
    return ParseCredentialsJson(response->body, what);
  }

 private:
  const Environment& env_;
  HttpClient& http_;
  const CredentialsOptions options_;
};

// ---------------------------------------------------------------------------------------------
// EC2 instance metadata (IMDSv2)

constexpr std::string_view kTokenTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr std::string_view kTokenHeader = "X-aws-ec2-metadata-token";
constexpr int kTokenTtlSeconds = 21600;  // 6 h, the maximum IMDS grants
constexpr std::string_view kCredentialsPath = "/latest/meta-data/iam/security-credentials/";

class InstanceMetadataProvider final : public RefreshingProvider {
 public:
  InstanceMetadataProvider(const Environment& env, HttpClient& http, Clock& clock,
                           const CredentialsOptions& options)
      : RefreshingProvider(clock, options),
        env_(env),
        http_(http),
        clock_(clock),
        options_(options) {}

  std::string name() const override { return "imds"; }

 protected:
  Result<Credentials> Fetch() override {
    if (IsTrueSetting(EnvValue(env_, "AWS_EC2_METADATA_DISABLED"))) {
      return NotFoundError("disabled by AWS_EC2_METADATA_DISABLED");
    }
    ASSIGN_OR_RETURN(std::string endpoint, Endpoint());

    ASSIGN_OR_RETURN(HttpResponse roles, GetPath(endpoint, std::string(kCredentialsPath)));
    if (roles.status == 404) {
      return NotFoundError("no IAM role is attached to this instance (" + endpoint + ")");
    }
    if (roles.status != 200) return HttpStatusError("IMDS role name", roles);
    std::string_view body = TrimSpace(roles.body);
    std::string role(TrimSpace(body.substr(0, body.find('\n'))));
    if (role.empty()) {
      return NotFoundError("no IAM role is attached to this instance (" + endpoint + ")");
    }
    // IAM role names are [\w+=,.@-]; anything else would change the path we ask for.
    for (char c : role) {
      if (!std::isalnum(static_cast<unsigned char>(c)) &&
          std::string_view("_+=,.@-").find(c) == std::string_view::npos) {
        return InternalError("IMDS returned an invalid role name '" + role + "'");
      }
    }

    ASSIGN_OR_RETURN(HttpResponse creds, GetPath(endpoint, std::string(kCredentialsPath) + role));
    if (creds.status != 200) return HttpStatusError("IMDS credentials of role " + role, creds);
    return ParseCredentialsJson(creds.body, "IMDS credentials of role " + role);
  }

 private:
  Result<std::string> Endpoint() const {
    std::string endpoint = options_.imds_endpoint;
    if (endpoint.empty()) endpoint = EnvValue(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (endpoint.empty()) {
      std::string mode = EnvValue(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
      if (mode.empty() || net::EqualsIgnoreCase(mode, "IPv4")) {
        endpoint = "http://169.254.169.254";
      } else if (net::EqualsIgnoreCase(mode, "IPv6")) {
        endpoint = "http://[fd00:ec2::254]";
      } else {
        return InvalidArgumentError(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be IPv4 or IPv6, "
            "not '" +
            mode + "'");
      }
    }
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    return endpoint;
  }

  // GET with the session token; a 401 means the token expired or was revoked: get a new one
  // and ask once more.
  Result<HttpResponse> GetPath(const std::string& endpoint, const std::string& path) {
    for (int round = 0;; ++round) {
      ASSIGN_OR_RETURN(std::string token, Token(endpoint));
      HttpRequest request;
      request.method = "GET";
      request.url = endpoint + path;
      request.timeout = options_.metadata_timeout;
      request.headers.Set(kTokenHeader, token);
      Result<HttpResponse> r =
          SendWithAttempts(http_, request, std::max(1, options_.metadata_attempts));
      if (!r.ok()) return r.status().WithContext("IMDS " + request.url);
      if (r->status == 401 && round == 0) {
        token_.clear();
        continue;
      }
      return r;
    }
  }

  Result<std::string> Token(const std::string& endpoint) {
    Time now = clock_.Now();
    // Renew a minute early so that a token never expires between here and IMDS.
    if (!token_.empty() && now < token_expires_ - std::chrono::minutes(1)) return token_;
    HttpRequest request;
    request.method = "PUT";
    request.url = endpoint + "/latest/api/token";
    request.timeout = options_.metadata_timeout;
    request.headers.Set(kTokenTtlHeader, std::to_string(kTokenTtlSeconds));
    const std::string what = "IMDS token " + request.url;
    Result<HttpResponse> r = SendWithAttempts(
        http_, request, answered_before_ ? std::max(1, options_.metadata_attempts) : 1);
    if (!r.ok()) {
      if (!answered_before_) {
        return NotFoundError("no instance metadata service at " + endpoint + " (" +
                             r.status().ToString() + ")");
      }
      return r.status().WithContext(what);
    }
    answered_before_ = true;
    if (r->status == 403 || r->status == 404 || r->status == 405) {
      // IMDS switched off on the instance (403), or something that is not IMDSv2 answering.
      return NotFoundError(what + ": HTTP " + std::to_string(r->status) +
                           " (IMDSv2 not available; IMDSv1 is not used)");
    }
    if (r->status != 200) return HttpStatusError(what, *r);
    std::string token(TrimSpace(r->body));
    if (token.empty() || token.find_first_of("\r\n") != std::string::npos) {
      return InternalError(what + ": empty or malformed token");
    }
    token_ = token;
    token_expires_ = now + std::chrono::seconds(kTokenTtlSeconds);
    return token_;
  }

  const Environment& env_;
  HttpClient& http_;
  Clock& clock_;
  const CredentialsOptions options_;
  // Touched only inside Fetch, which RefreshingProvider never runs concurrently.
  std::string token_;
  Time token_expires_{};
  bool answered_before_ = false;
};

// ---------------------------------------------------------------------------------------------
// Chain

class ChainProvider final : public CredentialsProvider {
 public:
  explicit ChainProvider(std::vector<std::unique_ptr<CredentialsProvider>> providers)
      : providers_(std::move(providers)) {}

  Result<Credentials> Get() override {
    // Ask the provider that answered last time first: the others would answer kNotFound again,
    // and some (files, IMDS) are not free to ask.
    int last = last_.load(std::memory_order_acquire);
    std::optional<Status> last_said;
    if (last >= 0) {
      Result<Credentials> r = providers_[last]->Get();
      if (r.ok()) return r;
      if (r.status().code() != StatusCode::kNotFound) {
        return r.status().WithContext(providers_[last]->name());
      }
      last_said = r.status();
    }
    std::string tried;
    for (size_t i = 0; i < providers_.size(); ++i) {
      Result<Credentials> r =
          static_cast<int>(i) == last ? Result<Credentials>(*last_said) : providers_[i]->Get();
      if (r.ok()) {
        if (last_.exchange(static_cast<int>(i), std::memory_order_acq_rel) != static_cast<int>(i)) {
          LogInfo("using AWS credentials", {{"provider", providers_[i]->name()}});
        }
        return r;
      }
      if (r.status().code() != StatusCode::kNotFound) {
        return r.status().WithContext(providers_[i]->name());
      }
      tried += (tried.empty() ? "" : "; ") + providers_[i]->name() + ": " + r.status().message();
    }
    return NotFoundError("no AWS credentials found (" + tried + ")");
  }

  std::string name() const override { return "chain"; }

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
  std::atomic<int> last_{-1};
};

}  // namespace

std::unique_ptr<CredentialsProvider> StaticCredentials(Credentials credentials) {
  return std::make_unique<StaticProvider>(std::move(credentials));
}

std::unique_ptr<CredentialsProvider> EnvironmentCredentials(const Environment& env) {
  return std::make_unique<EnvironmentProvider>(env);
}

std::unique_ptr<CredentialsProvider> ProfileCredentials(const Environment& env,
                                                        std::string profile) {
  return std::make_unique<ProfileProvider>(env, std::move(profile));
}

std::unique_ptr<CredentialsProvider> ContainerCredentials(const Environment& env, HttpClient& http,
                                                          Clock& clock,
                                                          const CredentialsOptions& options) {
  return std::make_unique<ContainerProvider>(env, http, clock, options);
}

std::unique_ptr<CredentialsProvider> InstanceMetadataCredentials(
    const Environment& env, HttpClient& http, Clock& clock, const CredentialsOptions& options) {
  return std::make_unique<InstanceMetadataProvider>(env, http, clock, options);
}

std::unique_ptr<CredentialsProvider> CredentialsChain(
    std::vector<std::unique_ptr<CredentialsProvider>> providers) {
  return std::make_unique<ChainProvider>(std::move(providers));
}

std::unique_ptr<CredentialsProvider> DefaultCredentialsChain(const Environment& env,
                                                             HttpClient& http, Clock& clock,
                                                             CredentialsOptions options) {
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(EnvironmentCredentials(env));
  providers.push_back(ProfileCredentials(env, options.profile));
  providers.push_back(ContainerCredentials(env, http, clock, options));
  providers.push_back(InstanceMetadataCredentials(env, http, clock, options));
  return CredentialsChain(std::move(providers));
}

}  // namespace steady::aws
