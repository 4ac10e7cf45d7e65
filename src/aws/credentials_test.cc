#include "aws/credentials.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/time_format.h"
#include "net/http_client_curl.h"
#include "net/http_server.h"

namespace steady::aws {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------------------------
// Helpers

// Records every request and answers with `handler`. Thread-safe.
class FakeHttp final : public net::HttpClient {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;
  explicit FakeHttp(Handler handler = nullptr) : handler_(std::move(handler)) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    Handler handler;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
      handler = handler_;
    }
    if (!handler) return UnavailableError("no handler");
    return handler(request);
  }

  void set_handler(Handler handler) {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // "METHOD URL" of each request, in order.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const HttpRequest& r : requests()) out.push_back(r.method + " " + r.url);
    return out;
  }
  size_t count() const { return requests().size(); }
  void clear() {
    std::lock_guard lock(mu_);
    requests_.clear();
  }

 private:
  mutable std::mutex mu_;
  Handler handler_;
  std::vector<HttpRequest> requests_;
};

HttpResponse Reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string CredentialsJson(const std::string& id, Time expiration, bool imds = false) {
  nlohmann::json j = {{"AccessKeyId", id},
                      {"SecretAccessKey", "secret-" + id},
                      {"Token", "token-" + id},
                      {"Expiration", FormatIso8601(expiration)}};
  if (imds) {
    j["Code"] = "Success";
    j["Type"] = "AWS-HMAC";
    j["LastUpdated"] = "2023-11-14T22:13:20Z";
  }
  return j.dump();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "steady-creds-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, std::string_view text) const {
    std::filesystem::path p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// ---------------------------------------------------------------------------------------------
// Environment

TEST(EnvironmentCredentialsTest, StandardVariables) {
  MapEnvironment env({{"AWS_ACCESS_KEY_ID", "AKID"},
                      {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                      {"AWS_SESSION_TOKEN", "TOKEN"},
                      {"AWS_CREDENTIAL_EXPIRATION", "2030-01-02T03:04:05Z"}});
  Result<Credentials> c = EnvironmentCredentials(env)->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->secret_access_key, "SECRET");
  EXPECT_EQ(c->session_token, "TOKEN");
  ASSERT_TRUE(c->expiration.has_value());
  EXPECT_EQ(FormatIso8601(*c->expiration), "2030-01-02T03:04:05Z");
}

TEST(EnvironmentCredentialsTest, LegacyNamesAndPrecedence) {
  MapEnvironment legacy({{"AWS_ACCESS_KEY", "OLD_ID"},
                         {"AWS_SECRET_KEY", "OLD_SECRET"},
                         {"AWS_SECURITY_TOKEN", "OLD_TOKEN"}});
  Result<Credentials> c = EnvironmentCredentials(legacy)->Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "OLD_ID");
  EXPECT_EQ(c->secret_access_key, "OLD_SECRET");
  EXPECT_EQ(c->session_token, "OLD_TOKEN");
  EXPECT_FALSE(c->expiration.has_value());

  legacy.Set("AWS_ACCESS_KEY_ID", "NEW_ID");
  legacy.Set("AWS_SECRET_ACCESS_KEY", "NEW_SECRET");
  legacy.Set("AWS_SESSION_TOKEN", "NEW_TOKEN");
  c = EnvironmentCredentials(legacy)->Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "NEW_ID");
  EXPECT_EQ(c->secret_access_key, "NEW_SECRET");
  EXPECT_EQ(c->session_token, "NEW_TOKEN");
}

TEST(EnvironmentCredentialsTest, MissingPartialAndEmpty) {
  Result<Credentials> none = EnvironmentCredentials(MapEnvironment())->Get();
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);

  MapEnvironment empty({{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}});
  EXPECT_EQ(EnvironmentCredentials(empty)->Get().status().code(), StatusCode::kNotFound);

  MapEnvironment only_id(std::map<std::string, std::string>{{"AWS_ACCESS_KEY_ID", "AKID"}});
  Result<Credentials> partial = EnvironmentCredentials(only_id)->Get();
  EXPECT_EQ(partial.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(partial.status().message(), HasSubstr("AWS_SECRET_ACCESS_KEY"));

  MapEnvironment only_secret(std::map<std::string, std::string>{{"AWS_SECRET_ACCESS_KEY", "S"}});
  EXPECT_EQ(EnvironmentCredentials(only_secret)->Get().status().code(),
            StatusCode::kInvalidArgument);

  MapEnvironment bad_exp({{"AWS_ACCESS_KEY_ID", "A"},
                          {"AWS_SECRET_ACCESS_KEY", "S"},
                          {"AWS_CREDENTIAL_EXPIRATION", "tomorrow"}});
  Result<Credentials> bad = EnvironmentCredentials(bad_exp)->Get();
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("AWS_CREDENTIAL_EXPIRATION"));
}

// ---------------------------------------------------------------------------------------------
// Shared files

class ProfileCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.Set("HOME", dir_.path()); }

  void WriteCredentials(std::string_view text) { dir_.Write(".aws/credentials", text); }
  void WriteConfig(std::string_view text) { dir_.Write(".aws/config", text); }

  TempDir dir_;
  MapEnvironment env_;
};

TEST_F(ProfileCredentialsTest, DefaultProfileFromCredentialsFile) {
  WriteCredentials(
      "# my keys\n"
      "[default]\n"
      "aws_access_key_id     = AKIDDEFAULT   \n"
      "aws_secret_access_key = SECRETDEFAULT ; rotated monthly\n"
      "\n"
      "[dev]\n"
      "aws_access_key_id = AKIDDEV\n"
      "aws_secret_access_key = SECRETDEV\n"
      "aws_session_token = TOKENDEV\n");
  auto provider = ProfileCredentials(env_);
  EXPECT_EQ(provider->name(), "profile:default");
  Result<Credentials> c = provider->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(c->secret_access_key, "SECRETDEFAULT");
  EXPECT_EQ(c->session_token, "");

  env_.Set("AWS_PROFILE", "dev");
  auto dev = ProfileCredentials(env_);
  EXPECT_EQ(dev->name(), "profile:dev");
  c = dev->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDDEV");
  EXPECT_EQ(c->session_token, "TOKENDEV");

  // An explicit profile beats $AWS_PROFILE.
  c = ProfileCredentials(env_, "default")->Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
}

TEST_F(ProfileCredentialsTest, ConfigFileProfileSectionAndCredentialsFileWins) {
  WriteConfig(
      "[profile dev]\n"
      "aws_access_key_id = CONF_ID\n"
      "aws_secret_access_key = CONF_SECRET\n"
      "[profile staging]\n"
      "aws_access_key_id = STAGING_CONF_ID\n"
      "aws_secret_access_key = STAGING_CONF_SECRET\n"
      "[prod]\n"
      "aws_access_key_id = NOT_A_PROFILE_IN_CONFIG\n"
      "aws_secret_access_key = X\n");
  WriteCredentials(
      "[staging]\n"
      "aws_access_key_id = STAGING_CRED_ID\n"
      "aws_secret_access_key = STAGING_CRED_SECRET\n");

  Result<Credentials> dev = ProfileCredentials(env_, "dev")->Get();
  ASSERT_TRUE(dev.ok()) << dev.status().ToString();
  EXPECT_EQ(dev->access_key_id, "CONF_ID");

  Result<Credentials> staging = ProfileCredentials(env_, "staging")->Get();
  ASSERT_TRUE(staging.ok());
  EXPECT_EQ(staging->access_key_id, "STAGING_CRED_ID");
  EXPECT_EQ(staging->secret_access_key, "STAGING_CRED_SECRET");

  Result<Credentials> prod = ProfileCredentials(env_, "prod")->Get();
  EXPECT_EQ(prod.status().code(), StatusCode::kInvalidArgument)
      << "[prod] without 'profile ' in the config file is not a profile";
}

TEST_F(ProfileCredentialsTest, ExplicitFilePaths) {
  std::string creds = dir_.Write("other/creds",
                                 "[ci]\naws_access_key_id = CI\n"
                                 "aws_secret_access_key = CISECRET\n");
  env_.Set("AWS_SHARED_CREDENTIALS_FILE", creds);
  env_.Set("AWS_CONFIG_FILE", dir_.path() + "/does-not-exist");
  env_.Set("AWS_PROFILE", "ci");
  Result<Credentials> c = ProfileCredentials(env_)->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "CI");
}

TEST_F(ProfileCredentialsTest, ProfileWithoutKeysIsNamed) {
  WriteConfig("[profile regional]\nregion = eu-west-1\n");
  Result<Credentials> c = ProfileCredentials(env_, "regional")->Get();
  ASSERT_FALSE(c.ok());
  // kNotFound so that the chain can still find instance credentials, as the SDKs do.
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("profile 'regional'"));
  EXPECT_THAT(c.status().message(), HasSubstr(dir_.path() + "/.aws/config"));
  EXPECT_THAT(c.status().message(), HasSubstr("no aws_access_key_id"));
}

TEST_F(ProfileCredentialsTest, MissingProfiles) {
  WriteCredentials("[other]\naws_access_key_id = A\naws_secret_access_key = B\n");
  Result<Credentials> implicit_default = ProfileCredentials(env_)->Get();
  EXPECT_EQ(implicit_default.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(implicit_default.status().message(), HasSubstr("'default'"));

  env_.Set("AWS_PROFILE", "typo");
  Result<Credentials> chosen = ProfileCredentials(env_)->Get();
  EXPECT_EQ(chosen.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(chosen.status().message(), HasSubstr("profile 'typo' is not in"));
}

TEST_F(ProfileCredentialsTest, PartialKeysAndUnsupportedSources) {
  WriteCredentials(
      "[half]\n"
      "aws_access_key_id = A\n"
      "[assume]\n"
      "role_arn = arn:aws:iam::123456789012:role/x\n"
      "source_profile = half\n"
      "[process]\n"
      "credential_process = /bin/echo\n");
  Result<Credentials> half = ProfileCredentials(env_, "half")->Get();
  EXPECT_EQ(half.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(half.status().message(), HasSubstr("profile 'half'"));
  EXPECT_THAT(half.status().message(), HasSubstr("no aws_secret_access_key"));

  Result<Credentials> assume = ProfileCredentials(env_, "assume")->Get();
  EXPECT_EQ(assume.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(assume.status().message(), HasSubstr("profile 'assume'"));
  EXPECT_THAT(assume.status().message(), HasSubstr("role_arn"));

  Result<Credentials> process = ProfileCredentials(env_, "process")->Get();
  EXPECT_EQ(process.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(process.status().message(), HasSubstr("credential_process"));
}

TEST_F(ProfileCredentialsTest, MalformedFileIsAnError) {
  WriteConfig("[default]\nregion\n");
  Result<Credentials> c = ProfileCredentials(env_)->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("config:2:"));
}

TEST_F(ProfileCredentialsTest, FilesAreReadOnce) {
  WriteCredentials("[default]\naws_access_key_id = FIRST\naws_secret_access_key = S\n");
  auto provider = ProfileCredentials(env_);
  ASSERT_EQ(provider->Get()->access_key_id, "FIRST");
  WriteCredentials("[default]\naws_access_key_id = SECOND\naws_secret_access_key = S\n");
  EXPECT_EQ(provider->Get()->access_key_id, "FIRST");
  EXPECT_EQ(ProfileCredentials(env_)->Get()->access_key_id, "SECOND");
}

// ---------------------------------------------------------------------------------------------
// ECS container credentials

class ContainerCredentialsTest : public ::testing::Test {
 protected:
  CredentialsOptions Options() {
    CredentialsOptions o;
    o.refresh_before = minutes(5);
    o.refresh_retry = seconds(10);
    return o;
  }
  // Answers every request with fresh credentials "ID<n>" expiring in `lifetime`.
  void ServeCredentials(Duration lifetime) {
    http_.set_handler([this, lifetime](const HttpRequest&) -> Result<HttpResponse> {
      int n = ++served_;
      return Reply(200, CredentialsJson("ID" + std::to_string(n), clock_.Now() + lifetime));
    });
  }

  ManualClock clock_;
  FakeHttp http_;
  MapEnvironment env_;
  std::atomic<int> served_{0};
};

TEST_F(ContainerCredentialsTest, RelativeUriAgainstEcsHost) {
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/8ad1-4c2e");
  ServeCredentials(hours(6));
  auto provider = ContainerCredentials(env_, http_, clock_, Options());
  EXPECT_EQ(provider->name(), "ecs-container");
  Result<Credentials> c = provider->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ID1");
  EXPECT_EQ(c->secret_access_key, "secret-ID1");
  EXPECT_EQ(c->session_token, "token-ID1");
  ASSERT_TRUE(c->expiration.has_value());
  EXPECT_EQ(FormatIso8601(*c->expiration), FormatIso8601(clock_.Now() + hours(6)));

  std::vector<HttpRequest> requests = http_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].url, "http://169.254.170.2/v2/credentials/8ad1-4c2e");
  EXPECT_FALSE(requests[0].headers.Has("Authorization"));
  EXPECT_EQ(requests[0].timeout, seconds(1));
}

TEST_F(ContainerCredentialsTest, FullUriWithTokenAndTokenFile) {
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:51679/creds?id=1");
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer from-env");
  ServeCredentials(hours(1));
  {
    auto provider = ContainerCredentials(env_, http_, clock_, Options());
    ASSERT_TRUE(provider->Get().ok());
    std::vector<HttpRequest> requests = http_.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].url, "http://127.0.0.1:51679/creds?id=1");
    EXPECT_EQ(requests[0].headers.Get("Authorization"), "Bearer from-env");
  }

  // The token file wins over the variable, and is read again on each refresh.
  TempDir dir;
  std::string token_file = dir.Write("token", "file-token-1\n");
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file);
  http_.clear();
  auto provider = ContainerCredentials(env_, http_, clock_, Options());
  ASSERT_TRUE(provider->Get().ok());
  dir.Write("token", "file-token-2");
  clock_.Advance(minutes(56));  // inside the 5-minute refresh window
  ASSERT_TRUE(provider->Get().ok());
  std::vector<HttpRequest> requests = http_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].headers.Get("Authorization"), "file-token-1");
  EXPECT_EQ(requests[1].headers.Get("Authorization"), "file-token-2");

  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.path() + "/missing");
  Result<Credentials> missing = ContainerCredentials(env_, http_, clock_, Options())->Get();
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status().message(), HasSubstr("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
}

TEST_F(ContainerCredentialsTest, RelativeUriWinsOverFullUri) {
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/rel");
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/full");
  ServeCredentials(hours(1));
  CredentialsOptions o = Options();
  o.ecs_host = "http://127.0.0.1:9999/";
  ASSERT_TRUE(ContainerCredentials(env_, http_, clock_, o)->Get().ok());
  EXPECT_THAT(http_.lines(), ElementsAre("GET http://127.0.0.1:9999/rel"));
}

TEST_F(ContainerCredentialsTest, FullUriHostRestrictions) {
  ServeCredentials(hours(1));
  for (std::string ok : {"http://localhost/x", "http://127.0.0.2:80/x", "http://169.254.170.2/x",
                         "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/x",
                         "http://[::1]:8080/x", "https://creds.example.com/x"}) {
    env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", ok);
    EXPECT_TRUE(ContainerCredentials(env_, http_, clock_, Options())->Get().ok()) << ok;
  }
  http_.clear();
  for (std::string bad : {"http://10.0.0.1/x", "http://example.com/x", "http://127.0.0.1.evil/x",
                          "ftp://127.0.0.1/x", "not a url"}) {
    env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", bad);
    Result<Credentials> c = ContainerCredentials(env_, http_, clock_, Options())->Get();
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(c.status().message(), HasSubstr("AWS_CONTAINER_CREDENTIALS_FULL_URI")) << bad;
  }
  EXPECT_EQ(http_.count(), 0u) << "nothing is sent to a disallowed host";
}

TEST_F(ContainerCredentialsTest, NotConfiguredIsNotFound) {
  Result<Credentials> c = ContainerCredentials(env_, http_, clock_, Options())->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(http_.count(), 0u);
}

TEST_F(ContainerCredentialsTest, ErrorsAndRetries) {
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c");
  CredentialsOptions o = Options();
  o.metadata_attempts = 3;

  http_.set_handler([](const HttpRequest&) { return Result<HttpResponse>(Reply(500, "boom")); });
  Result<Credentials> c = ContainerCredentials(env_, http_, clock_, o)->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(http_.count(), 3u);

  http_.clear();
  http_.set_handler(
      [](const HttpRequest&) { return Result<HttpResponse>(UnavailableError("refused")); });
  c = ContainerCredentials(env_, http_, clock_, o)->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(c.status().message(), HasSubstr("refused"));
  EXPECT_EQ(http_.count(), 3u);

  // A 5xx then success: the retry hides the blip.
  http_.clear();
  std::atomic<int> n{0};
  http_.set_handler([&](const HttpRequest&) -> Result<HttpResponse> {
    if (n++ == 0) return Reply(503, "");
    return Reply(200, CredentialsJson("AFTER", clock_.Now() + hours(1)));
  });
  c = ContainerCredentials(env_, http_, clock_, o)->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AFTER");

  http_.clear();
  http_.set_handler([](const HttpRequest&) { return Result<HttpResponse>(Reply(403, "no")); });
  c = ContainerCredentials(env_, http_, clock_, o)->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(http_.count(), 1u) << "4xx is not retried";

  for (std::string body : {"not json", "[]", R"({"AccessKeyId":"A"})",
                           R"({"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"soon"})"}) {
    http_.set_handler(
        [body](const HttpRequest&) { return Result<HttpResponse>(Reply(200, body)); });
    c = ContainerCredentials(env_, http_, clock_, o)->Get();
    EXPECT_EQ(c.status().code(), StatusCode::kInternal) << body;
  }

  // Credentials that have already expired are not served.
  http_.set_handler([&](const HttpRequest&) {
    return Result<HttpResponse>(Reply(200, CredentialsJson("OLD", clock_.Now() - seconds(1))));
  });
  c = ContainerCredentials(env_, http_, clock_, o)->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(c.status().message(), HasSubstr("expired"));
}

TEST_F(ContainerCredentialsTest, CachesUntilRefreshWindow) {
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c");
  ServeCredentials(hours(1));
  auto provider = ContainerCredentials(env_, http_, clock_, Options());
  ASSERT_EQ(provider->Get()->access_key_id, "ID1");
  EXPECT_EQ(provider->Get()->access_key_id, "ID1");
  clock_.Advance(minutes(55) - seconds(1));  // 5 min + 1 s before expiry
  EXPECT_EQ(provider->Get()->access_key_id, "ID1");
  EXPECT_EQ(http_.count(), 1u);
  clock_.Advance(seconds(1));  // exactly refresh_before ahead of expiry
  EXPECT_EQ(provider->Get()->access_key_id, "ID2");
  EXPECT_EQ(http_.count(), 2u);
  EXPECT_EQ(provider->Get()->access_key_id, "ID2");
  EXPECT_EQ(http_.count(), 2u);
}

TEST_F(ContainerCredentialsTest, ShortLivedCredentialsRefreshHalfwayNotOnEveryCall) {
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c");
  ServeCredentials(minutes(2));  // shorter than refresh_before
  auto provider = ContainerCredentials(env_, http_, clock_, Options());
  ASSERT_EQ(provider->Get()->access_key_id, "ID1");
  EXPECT_EQ(provider->Get()->access_key_id, "ID1");
  clock_.Advance(seconds(59));
  EXPECT_EQ(provider->Get()->access_key_id, "ID1");
  clock_.Advance(seconds(1));
  EXPECT_EQ(provider->Get()->access_key_id, "ID2");
}

TEST_F(ContainerCredentialsTest, FailedRefreshServesValidCredentialsThenRetries) {
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c");
  ServeCredentials(hours(1));
  auto provider = ContainerCredentials(env_, http_, clock_, Options());
  ASSERT_EQ(provider->Get()->access_key_id, "ID1");

  http_.set_handler([](const HttpRequest&) { return Result<HttpResponse>(Reply(500, "down")); });
  clock_.Advance(minutes(56));  // in the refresh window, 4 minutes left
  Result<Credentials> c = provider->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ID1");
  size_t after_first_failure = http_.count();
  EXPECT_EQ(after_first_failure, 3u);  // the first fetch + 2 attempts of the refresh

  // Within refresh_retry the cached credentials are served without asking again.
  clock_.Advance(seconds(9));
  EXPECT_EQ(provider->Get()->access_key_id, "ID1");
  EXPECT_EQ(http_.count(), after_first_failure);
  clock_.Advance(seconds(1));
  EXPECT_EQ(provider->Get()->access_key_id, "ID1");
  EXPECT_GT(http_.count(), after_first_failure);

  // Past expiry there is nothing valid to fall back on.
  clock_.Advance(minutes(4));
  c = provider->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);

  // And once the endpoint is back, fresh credentials flow again.
  ServeCredentials(hours(1));
  c = provider->Get();
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->access_key_id, "ID1");
}

// A handler that blocks each request until the test releases it.
class Gate {
 public:
  void WaitEntered(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  void Pass() {
    std::unique_lock lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool released_ = false;
};

TEST_F(ContainerCredentialsTest, ConcurrentCallersShareOneFetch) {
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c");
  Gate gate;
  http_.set_handler([&](const HttpRequest&) -> Result<HttpResponse> {
    gate.Pass();
    return Reply(200, CredentialsJson("ID" + std::to_string(++served_), clock_.Now() + hours(1)));
  });
  auto provider = ContainerCredentials(env_, http_, clock_, Options());

  // Cold cache: everyone needs the one fetch.
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Result<Credentials> c = provider->Get();
      got[i] = c.ok() ? c->access_key_id : c.status().ToString();
    });
  }
  gate.WaitEntered(1);
  gate.Release();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(http_.count(), 1u);
  for (const std::string& id : got) EXPECT_EQ(id, "ID1");
}

TEST_F(ContainerCredentialsTest, CallersDuringRefreshGetCachedCredentialsWithoutWaiting) {
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c");
  ServeCredentials(hours(1));
  auto provider = ContainerCredentials(env_, http_, clock_, Options());
  ASSERT_EQ(provider->Get()->access_key_id, "ID1");

  Gate gate;
  http_.set_handler([&](const HttpRequest&) -> Result<HttpResponse> {
    gate.Pass();
    return Reply(200, CredentialsJson("ID" + std::to_string(++served_), clock_.Now() + hours(1)));
  });
  clock_.Advance(minutes(56));
  std::string refresher_got;
  std::thread refresher([&] { refresher_got = provider->Get()->access_key_id; });
  gate.WaitEntered(1);
  // The refresh is blocked inside the endpoint; other callers are not.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(provider->Get()->access_key_id, "ID1");
  gate.Release();
  refresher.join();
  EXPECT_EQ(refresher_got, "ID2");
  EXPECT_EQ(provider->Get()->access_key_id, "ID2");
  EXPECT_EQ(http_.count(), 2u);
}

// ---------------------------------------------------------------------------------------------
// EC2 instance metadata

class ImdsTest : public ::testing::Test {
 protected:
  // A well-behaved IMDSv2 with role "web-role" whose credentials expire in 6 h.
  Result<HttpResponse> Imds(const HttpRequest& r) {
    std::string path = r.url.substr(r.url.find("/latest"));
    if (r.method == "PUT" && path == "/latest/api/token") {
      if (r.headers.Get("X-aws-ec2-metadata-token-ttl-seconds").empty()) return Reply(400, "");
      return Reply(200, "token-" + std::to_string(++tokens_));
    }
    if (r.method != "GET") return Reply(405, "");
    if (r.headers.Get("X-aws-ec2-metadata-token") != "token-" + std::to_string(tokens_)) {
      return Reply(401, "");
    }
    if (path == "/latest/meta-data/iam/security-credentials/") return Reply(200, "web-role");
    if (path == "/latest/meta-data/iam/security-credentials/web-role") {
      return Reply(200, CredentialsJson("IMDS" + std::to_string(++served_), clock_.Now() + hours(6),
                                        /*imds=*/true));
    }
    return Reply(404, "");
  }

  void SetUp() override {
    http_.set_handler([this](const HttpRequest& r) { return Imds(r); });
  }

  ManualClock clock_;
  FakeHttp http_;
  MapEnvironment env_;
  std::atomic<int> tokens_{0};
  std::atomic<int> served_{0};
};

TEST_F(ImdsTest, TokenThenRoleThenCredentials) {
  auto provider = InstanceMetadataCredentials(env_, http_, clock_);
  EXPECT_EQ(provider->name(), "imds");
  Result<Credentials> c = provider->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "IMDS1");
  EXPECT_EQ(c->secret_access_key, "secret-IMDS1");
  EXPECT_EQ(c->session_token, "token-IMDS1");

  std::vector<HttpRequest> r = http_.requests();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].method, "PUT");
  EXPECT_EQ(r[0].url, "http://169.254.169.254/latest/api/token");
  EXPECT_EQ(r[0].headers.Get("X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_FALSE(r[0].headers.Has("X-aws-ec2-metadata-token"));
  EXPECT_EQ(r[1].method, "GET");
  EXPECT_EQ(r[1].url, "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(r[1].headers.Get("X-aws-ec2-metadata-token"), "token-1");
  EXPECT_EQ(r[2].method, "GET");
  EXPECT_EQ(r[2].url, "http://169.254.169.254/latest/meta-data/iam/security-credentials/web-role");
  EXPECT_EQ(r[2].headers.Get("X-aws-ec2-metadata-token"), "token-1");
  for (const HttpRequest& req : r) EXPECT_EQ(req.timeout, seconds(1));
}

TEST_F(ImdsTest, CachesCredentialsAndReusesTokenUntilItExpires) {
  auto provider = InstanceMetadataCredentials(env_, http_, clock_);
  ASSERT_EQ(provider->Get()->access_key_id, "IMDS1");
  clock_.Advance(hours(5));
  EXPECT_EQ(provider->Get()->access_key_id, "IMDS1");
  EXPECT_EQ(http_.count(), 3u);

  clock_.Advance(minutes(55));  // 5 minutes before expiry: refresh, same token
  http_.clear();
  EXPECT_EQ(provider->Get()->access_key_id, "IMDS2");
  EXPECT_THAT(http_.lines(),
              ElementsAre("GET http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                          "GET http://169.254.169.254/latest/meta-data/iam/security-credentials/"
                          "web-role"));

  // The token (6 h TTL, renewed a minute early) is renewed on the next refresh.
  clock_.Advance(hours(6));
  http_.clear();
  EXPECT_EQ(provider->Get()->access_key_id, "IMDS3");
  std::vector<HttpRequest> r = http_.requests();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].method, "PUT");
  EXPECT_EQ(r[1].headers.Get("X-aws-ec2-metadata-token"), "token-2");
}

TEST_F(ImdsTest, RejectedTokenIsRenewedOnce) {
  auto provider = InstanceMetadataCredentials(env_, http_, clock_);
  ASSERT_TRUE(provider->Get().ok());
  tokens_ += 10;  // IMDS forgot our token (e.g. the instance was stopped and started)
  clock_.Advance(hours(5) + minutes(56));
  http_.clear();
  Result<Credentials> c = provider->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "IMDS2");
  EXPECT_THAT(http_.lines(),
              ElementsAre("GET http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                          "PUT http://169.254.169.254/latest/api/token",
                          "GET http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                          "GET http://169.254.169.254/latest/meta-data/iam/security-credentials/"
                          "web-role"));
}

TEST_F(ImdsTest, DisabledByEnvironment) {
  for (std::string v : {"true", "TRUE", "True"}) {
    env_.Set("AWS_EC2_METADATA_DISABLED", v);
    Result<Credentials> c = InstanceMetadataCredentials(env_, http_, clock_)->Get();
    EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
    EXPECT_THAT(c.status().message(), HasSubstr("AWS_EC2_METADATA_DISABLED"));
  }
  EXPECT_EQ(http_.count(), 0u);
  env_.Set("AWS_EC2_METADATA_DISABLED", "false");
  EXPECT_TRUE(InstanceMetadataCredentials(env_, http_, clock_)->Get().ok());
}

TEST_F(ImdsTest, EndpointOverrides) {
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338/");
  ASSERT_TRUE(InstanceMetadataCredentials(env_, http_, clock_)->Get().ok());
  EXPECT_EQ(http_.requests()[0].url, "http://127.0.0.1:1338/latest/api/token");

  http_.clear();
  CredentialsOptions o;
  o.imds_endpoint = "http://127.0.0.1:7777";  // explicit option beats the environment
  ASSERT_TRUE(InstanceMetadataCredentials(env_, http_, clock_, o)->Get().ok());
  EXPECT_EQ(http_.requests()[0].url, "http://127.0.0.1:7777/latest/api/token");

  http_.clear();
  MapEnvironment v6(
      std::map<std::string, std::string>{{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}});
  ASSERT_TRUE(InstanceMetadataCredentials(v6, http_, clock_)->Get().ok());
  EXPECT_EQ(http_.requests()[0].url, "http://[fd00:ec2::254]/latest/api/token");

  MapEnvironment bad_mode(
      std::map<std::string, std::string>{{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5"}});
  EXPECT_EQ(InstanceMetadataCredentials(bad_mode, http_, clock_)->Get().status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ImdsTest, NoMetadataServiceIsNotFoundAfterOneTry) {
  http_.set_handler([](const HttpRequest&) {
    return Result<HttpResponse>(DeadlineExceededError("connect timed out"));
  });
  CredentialsOptions o;
  o.metadata_attempts = 3;
  Result<Credentials> c = InstanceMetadataCredentials(env_, http_, clock_, o)->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("no instance metadata service"));
  EXPECT_EQ(http_.count(), 1u);
}

TEST_F(ImdsTest, NoRoleAndImdsOffAreNotFound) {
  http_.set_handler([this](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == "PUT") return Imds(r);
    return Reply(404, "");
  });
  Result<Credentials> c = InstanceMetadataCredentials(env_, http_, clock_)->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("no IAM role"));

  http_.set_handler([](const HttpRequest&) { return Result<HttpResponse>(Reply(403, "")); });
  c = InstanceMetadataCredentials(env_, http_, clock_)->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
}

TEST_F(ImdsTest, FailureCodeAndOutageAfterSuccess) {
  http_.set_handler([this](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.ends_with("/web-role")) {
      return Reply(200, R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"denied"})");
    }
    return Imds(r);
  });
  Result<Credentials> c = InstanceMetadataCredentials(env_, http_, clock_)->Get();
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(c.status().message(), HasSubstr("AssumeRoleUnauthorizedAccess"));

  // Having answered once, a failing IMDS is an outage (kUnavailable), not "not on EC2".
  http_.set_handler([this](const HttpRequest& r) { return Imds(r); });
  auto provider = InstanceMetadataCredentials(env_, http_, clock_);
  ASSERT_TRUE(provider->Get().ok());
  http_.set_handler(
      [](const HttpRequest&) { return Result<HttpResponse>(DeadlineExceededError("timed out")); });
  clock_.Advance(hours(7));  // past expiry, and past the token's life
  c = provider->Get();
  EXPECT_NE(c.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(c.status().retryable()) << c.status().ToString();
}

// ---------------------------------------------------------------------------------------------
// Chain

// Answers with a fixed result and counts calls.
class ScriptedProvider final : public CredentialsProvider {
 public:
  ScriptedProvider(std::string name, Result<Credentials> result, std::atomic<int>& calls)
      : name_(std::move(name)), result_(std::move(result)), calls_(calls) {}
  Result<Credentials> Get() override {
    ++calls_;
    std::lock_guard lock(mu_);
    return result_;
  }
  std::string name() const override { return name_; }
  void set(Result<Credentials> r) {
    std::lock_guard lock(mu_);
    result_ = std::move(r);
  }

 private:
  std::string name_;
  std::mutex mu_;
  Result<Credentials> result_;
  std::atomic<int>& calls_;
};

Credentials Creds(std::string id) {
  Credentials c;
  c.access_key_id = std::move(id);
  c.secret_access_key = "s";
  return c;
}

TEST(CredentialsChainTest, FirstWithCredentialsWinsAndIsAskedFirstNextTime) {
  std::atomic<int> a{0}, b{0}, c{0};
  auto pa = std::make_unique<ScriptedProvider>("a", NotFoundError("nothing in a"), a);
  auto pb = std::make_unique<ScriptedProvider>("b", Creds("B"), b);
  auto pc = std::make_unique<ScriptedProvider>("c", Creds("C"), c);
  ScriptedProvider* raw_b = pb.get();
  std::vector<std::unique_ptr<CredentialsProvider>> v;
  v.push_back(std::move(pa));
  v.push_back(std::move(pb));
  v.push_back(std::move(pc));
  auto chain = CredentialsChain(std::move(v));

  ASSERT_EQ(chain->Get()->access_key_id, "B");
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(c, 0);
  ASSERT_EQ(chain->Get()->access_key_id, "B");
  EXPECT_EQ(a, 1) << "the chain remembers which provider answered";
  EXPECT_EQ(b, 2);

  // When that provider runs dry, the chain walks again (without asking it twice).
  raw_b->set(NotFoundError("b is gone"));
  ASSERT_EQ(chain->Get()->access_key_id, "C");
  EXPECT_EQ(a, 2);
  EXPECT_EQ(b, 3);
  EXPECT_EQ(c, 1);
}

TEST(CredentialsChainTest, RealErrorStopsTheChain) {
  std::atomic<int> a{0}, b{0};
  std::vector<std::unique_ptr<CredentialsProvider>> v;
  v.push_back(std::make_unique<ScriptedProvider>("a", InvalidArgumentError("bad file"), a));
  v.push_back(std::make_unique<ScriptedProvider>("b", Creds("B"), b));
  Result<Credentials> r = CredentialsChain(std::move(v))->Get();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("a: bad file"));
  EXPECT_EQ(b, 0);
}

TEST(CredentialsChainTest, NothingFoundListsEveryProvider) {
  std::atomic<int> n{0};
  std::vector<std::unique_ptr<CredentialsProvider>> v;
  v.push_back(std::make_unique<ScriptedProvider>("first", NotFoundError("no one"), n));
  v.push_back(std::make_unique<ScriptedProvider>("second", NotFoundError("no two"), n));
  Result<Credentials> r = CredentialsChain(std::move(v))->Get();
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("first: no one; second: no two"));
}

class DefaultChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.Set("HOME", dir_.path());
    options_.imds_endpoint = "http://127.0.0.1:1";  // never reached: FakeHttp
  }
  TempDir dir_;
  MapEnvironment env_;
  ManualClock clock_;
  FakeHttp http_;
  CredentialsOptions options_;
};

TEST_F(DefaultChainTest, OrderEnvironmentProfileContainerImds) {
  // Every source has credentials; remove them one by one from the front.
  env_.Set("AWS_ACCESS_KEY_ID", "ENV");
  env_.Set("AWS_SECRET_ACCESS_KEY", "S");
  dir_.Write(".aws/credentials",
             "[default]\naws_access_key_id = PROFILE\n"
             "aws_secret_access_key = S\n");
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/ecs");
  http_.set_handler([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.ends_with("/ecs")) return Reply(200, CredentialsJson("ECS", clock_.Now() + hours(1)));
    if (r.method == "PUT") return Reply(200, "t");
    if (r.url.ends_with("/security-credentials/")) return Reply(200, "role");
    return Reply(200, CredentialsJson("IMDS", clock_.Now() + hours(1), true));
  });

  EXPECT_EQ(DefaultCredentialsChain(env_, http_, clock_, options_)->Get()->access_key_id, "ENV");
  env_.Set("AWS_ACCESS_KEY_ID", "");
  env_.Set("AWS_SECRET_ACCESS_KEY", "");
  EXPECT_EQ(DefaultCredentialsChain(env_, http_, clock_, options_)->Get()->access_key_id,
            "PROFILE");
  std::filesystem::remove(dir_.path() + "/.aws/credentials");
  EXPECT_EQ(DefaultCredentialsChain(env_, http_, clock_, options_)->Get()->access_key_id, "ECS");
  EXPECT_EQ(http_.count(), 1u);
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "");
  EXPECT_EQ(DefaultCredentialsChain(env_, http_, clock_, options_)->Get()->access_key_id, "IMDS");
}

TEST_F(DefaultChainTest, NothingAnywhereSaysWhatWasTried) {
  dir_.Write(".aws/config", "[default]\nregion = us-east-1\n");
  env_.Set("AWS_EC2_METADATA_DISABLED", "true");
  Result<Credentials> r = DefaultCredentialsChain(env_, http_, clock_, options_)->Get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  const std::string m = r.status().message();
  EXPECT_THAT(m, HasSubstr("environment: AWS_ACCESS_KEY_ID"));
  EXPECT_THAT(m, HasSubstr("profile:default: profile 'default'"));
  EXPECT_THAT(m, HasSubstr("ecs-container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
  EXPECT_THAT(m, HasSubstr("imds: disabled by AWS_EC2_METADATA_DISABLED"));
  EXPECT_EQ(http_.count(), 0u);
}

TEST_F(DefaultChainTest, ChosenProfileThatDoesNotExistStopsTheChain) {
  options_.profile = "nope";
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/ecs");
  Result<Credentials> r = DefaultCredentialsChain(env_, http_, clock_, options_)->Get();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("profile:nope"));
  EXPECT_EQ(http_.count(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Over real HTTP on loopback: the ECS and IMDS providers with CurlHttpClient against fake
// endpoints served by HttpServer.

TEST(CredentialsLoopbackTest, EcsAndImdsOverHttp) {
  std::mutex mu;
  std::vector<net::ServerRequest> seen;
  ManualClock clock;
  const Time expiration = clock.Now() + hours(6);
  net::HttpServer server({}, [&](const net::ServerRequest& r) {
    {
      std::lock_guard lock(mu);
      seen.push_back(r);
    }
    HttpResponse resp;
    resp.status = 404;
    if (r.method == "GET" && r.path == "/v2/credentials/task-1") {
      if (r.headers.Get("Authorization") != "secret-token") {
        resp.status = 401;
        return resp;
      }
      resp.status = 200;
      resp.headers.Set("Content-Type", "application/json");
      resp.body = CredentialsJson("ECSLOOP", expiration);
    } else if (r.method == "PUT" && r.path == "/latest/api/token") {
      resp.status = 200;
      resp.body = "imds-token-xyz";
    } else if (r.method == "GET" && r.headers.Get("X-aws-ec2-metadata-token") == "imds-token-xyz") {
      if (r.path == "/latest/meta-data/iam/security-credentials/") {
        resp.status = 200;
        resp.body = "loop-role\n";
      } else if (r.path == "/latest/meta-data/iam/security-credentials/loop-role") {
        resp.status = 200;
        resp.body = CredentialsJson("IMDSLOOP", expiration, true);
      }
    } else if (r.method == "GET") {
      resp.status = 401;
    }
    return resp;
  });
  ASSERT_TRUE(server.Start().ok());
  net::CurlHttpClient http;

  CredentialsOptions options;
  options.ecs_host = server.base_url();
  options.imds_endpoint = server.base_url();
  MapEnvironment env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task-1"},
                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "secret-token"}});

  Result<Credentials> ecs = ContainerCredentials(env, http, clock, options)->Get();
  ASSERT_TRUE(ecs.ok()) << ecs.status().ToString();
  EXPECT_EQ(ecs->access_key_id, "ECSLOOP");
  EXPECT_EQ(ecs->session_token, "token-ECSLOOP");
  ASSERT_TRUE(ecs->expiration.has_value());
  EXPECT_EQ(FormatIso8601(*ecs->expiration), FormatIso8601(expiration));

  Result<Credentials> imds = InstanceMetadataCredentials(env, http, clock, options)->Get();
  ASSERT_TRUE(imds.ok()) << imds.status().ToString();
  EXPECT_EQ(imds->access_key_id, "IMDSLOOP");
  EXPECT_EQ(imds->secret_access_key, "secret-IMDSLOOP");

  server.Stop();
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].method + " " + seen[0].target, "GET /v2/credentials/task-1");
  EXPECT_EQ(seen[1].method + " " + seen[1].target, "PUT /latest/api/token");
  EXPECT_EQ(seen[1].headers.Get("X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(seen[2].method + " " + seen[2].target,
            "GET /latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(seen[3].method + " " + seen[3].target,
            "GET /latest/meta-data/iam/security-credentials/loop-role");
  EXPECT_EQ(seen[3].headers.Get("X-aws-ec2-metadata-token"), "imds-token-xyz");
}

}  // namespace
}  // namespace steady::aws
