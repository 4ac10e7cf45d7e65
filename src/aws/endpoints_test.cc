#include "aws/endpoints.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace steady::aws {
namespace {

using ::testing::HasSubstr;

ServiceInfo Service(std::string service_id, std::string prefix) {
  ServiceInfo s;
  s.service_id = std::move(service_id);
  s.signing_name = prefix;
  s.endpoint_prefix = std::move(prefix);
  return s;
}

const ServiceInfo kS3 = Service("S3", "s3");
const ServiceInfo kEcs = Service("ECS", "ecs");
const ServiceInfo kAutoScaling = Service("Auto Scaling", "autoscaling");
const ServiceInfo kElbv2 = Service("Elastic Load Balancing v2", "elasticloadbalancing");

TEST(EndpointNamesTest, ServiceIdToEnvironmentVariableAndConfigKey) {
  EXPECT_EQ(EndpointEnvVar("S3"), "AWS_ENDPOINT_URL_S3");
  EXPECT_EQ(EndpointEnvVar("ECS"), "AWS_ENDPOINT_URL_ECS");
  EXPECT_EQ(EndpointEnvVar("Auto Scaling"), "AWS_ENDPOINT_URL_AUTO_SCALING");
  EXPECT_EQ(EndpointEnvVar("Elastic Load Balancing v2"),
            "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2");
  EXPECT_EQ(EndpointEnvVar("EventBridge"), "AWS_ENDPOINT_URL_EVENTBRIDGE");
  EXPECT_EQ(EndpointEnvVar("CloudWatch"), "AWS_ENDPOINT_URL_CLOUDWATCH");
  EXPECT_EQ(EndpointEnvVar("ivs-realtime"), "AWS_ENDPOINT_URL_IVS_REALTIME");
  EXPECT_EQ(EndpointConfigKey("Elastic Load Balancing v2"), "elastic_load_balancing_v2");
  EXPECT_EQ(EndpointConfigKey("Auto Scaling"), "auto_scaling");
  EXPECT_EQ(EndpointConfigKey("SQS"), "sqs");
}

TEST(DefaultEndpointTest, PartitionSuffixes) {
  EXPECT_EQ(*DefaultEndpoint("ecs", "us-east-1"), "https://ecs.us-east-1.amazonaws.com");
  EXPECT_EQ(*DefaultEndpoint("ecs", "ap-northeast-1"), "https://ecs.ap-northeast-1.amazonaws.com");
  EXPECT_EQ(*DefaultEndpoint("sqs", "cn-north-1"), "https://sqs.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(*DefaultEndpoint("s3", "cn-northwest-1"), "https://s3.cn-northwest-1.amazonaws.com.cn");
  EXPECT_EQ(*DefaultEndpoint("ec2", "us-gov-west-1"), "https://ec2.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(*DefaultEndpoint("ec2", "us-iso-east-1"), "https://ec2.us-iso-east-1.c2s.ic.gov");
  EXPECT_EQ(*DefaultEndpoint("ec2", "us-isob-east-1"), "https://ec2.us-isob-east-1.sc2s.sgov.gov");
  EXPECT_EQ(*DefaultEndpoint("ec2", "eu-isoe-west-1"), "https://ec2.eu-isoe-west-1.cloud.adc-e.uk");
  EXPECT_EQ(*DefaultEndpoint("ec2", "us-isof-south-1"),
            "https://ec2.us-isof-south-1.csp.hci.ic.gov");
  for (std::string bad : {"", "us-east-1.evil.com", "us east", "-us", "us/east", "a@b"}) {
    Result<std::string> r = DefaultEndpoint("ecs", bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

class EndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "steady-ep-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    env_.Set("HOME", dir_.string());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WriteConfig(std::string_view text) { Write(".aws/config", text); }
  void WriteCredentials(std::string_view text) { Write(".aws/credentials", text); }
  void Write(const std::string& name, std::string_view text) {
    std::filesystem::path p = dir_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::string ConfigPath() const { return (dir_ / ".aws/config").string(); }

  std::string Endpoint(const ServiceInfo& service, const EndpointOverrides& o = {},
                       std::string_view region = "eu-west-1") {
    Result<ResolvedSetting> r = ResolveEndpoint(env_, service, region, o);
    if (!r.ok()) return "error: " + r.status().ToString();
    return r->value;
  }
  std::string Region(const EndpointOverrides& o = {}) {
    Result<ResolvedSetting> r = ResolveRegion(env_, o);
    if (!r.ok()) return "error: " + r.status().ToString();
    return r->value;
  }

  std::filesystem::path dir_;
  MapEnvironment env_;
};

TEST_F(EndpointsTest, PrecedenceLadder) {
  WriteConfig(
      "[default]\n"
      "services = mine\n"
      "endpoint_url = http://profile-global:1\n"
      "[services mine]\n"
      "s3 =\n"
      "  endpoint_url = http://profile-s3:2\n");
  env_.Set("AWS_ENDPOINT_URL", "http://env-global:3");
  env_.Set("AWS_ENDPOINT_URL_S3", "http://env-s3:4");
  EndpointOverrides explicit_endpoint{.endpoint_url = "http://explicit:5"};

  Result<ResolvedSetting> r = ResolveEndpoint(env_, kS3, "eu-west-1", explicit_endpoint);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, "http://explicit:5");
  EXPECT_EQ(r->source, "explicit");

  r = ResolveEndpoint(env_, kS3, "eu-west-1", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, "http://env-s3:4");
  EXPECT_EQ(r->source, "AWS_ENDPOINT_URL_S3");

  env_.Set("AWS_ENDPOINT_URL_S3", "");
  r = ResolveEndpoint(env_, kS3, "eu-west-1", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, "http://env-global:3");
  EXPECT_EQ(r->source, "AWS_ENDPOINT_URL");

  env_.Set("AWS_ENDPOINT_URL", "");
  r = ResolveEndpoint(env_, kS3, "eu-west-1", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, "http://profile-s3:2");
  EXPECT_EQ(r->source, ConfigPath() + " [services mine] s3.endpoint_url");

  // Another service finds nothing in the services section and takes the profile's global.
  r = ResolveEndpoint(env_, kEcs, "eu-west-1", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, "http://profile-global:1");
  EXPECT_EQ(r->source, ConfigPath() + " [default] endpoint_url");

  WriteConfig("[default]\nregion = eu-west-1\n");
  r = ResolveEndpoint(env_, kS3, "eu-west-1", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(r->source, "default");
}

TEST_F(EndpointsTest, ServiceSpecificVariablesAreKeptApart) {
  env_.Set("AWS_ENDPOINT_URL_AUTO_SCALING", "http://asg:1");
  env_.Set("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", "http://elb:2");
  EXPECT_EQ(Endpoint(kAutoScaling), "http://asg:1");
  EXPECT_EQ(Endpoint(kElbv2), "http://elb:2");
  EXPECT_EQ(Endpoint(kEcs), "https://ecs.eu-west-1.amazonaws.com");
}

TEST_F(EndpointsTest, IgnoreConfiguredEndpointUrls) {
  WriteConfig("[default]\nendpoint_url = http://profile:1\n");
  env_.Set("AWS_ENDPOINT_URL_ECS", "http://env-ecs:2");
  env_.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
  EXPECT_EQ(Endpoint(kEcs), "https://ecs.eu-west-1.amazonaws.com");
  EXPECT_EQ(Endpoint(kEcs, {.endpoint_url = "http://explicit:3"}), "http://explicit:3")
      << "an explicit endpoint is not 'configured' and always applies";
  env_.Set("AWS_ENDPOINT_URL_ECS", "");
  EXPECT_EQ(Endpoint(kEcs), "https://ecs.eu-west-1.amazonaws.com");

  // The profile can say the same; the environment variable, when set, wins either way.
  env_.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "");
  EXPECT_EQ(Endpoint(kEcs), "http://profile:1");
  WriteConfig(
      "[default]\nendpoint_url = http://profile:1\nignore_configured_endpoint_urls = TRUE\n");
  EXPECT_EQ(Endpoint(kEcs), "https://ecs.eu-west-1.amazonaws.com");
  env_.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");
  EXPECT_EQ(Endpoint(kEcs), "http://profile:1");
}

TEST_F(EndpointsTest, ProfileSelection) {
  WriteConfig(
      "[default]\n"
      "endpoint_url = http://default:1\n"
      "[profile local]\n"
      "endpoint_url = http://local:2\n");
  WriteCredentials("[creds-only]\nendpoint_url = http://creds:3\n");
  EXPECT_EQ(Endpoint(kEcs), "http://default:1");
  EXPECT_EQ(Endpoint(kEcs, {.profile = "local"}), "http://local:2");
  env_.Set("AWS_PROFILE", "local");
  EXPECT_EQ(Endpoint(kEcs), "http://local:2");
  EXPECT_EQ(Endpoint(kEcs, {.profile = "creds-only"}), "http://creds:3");

  Result<ResolvedSetting> missing = ResolveEndpoint(env_, kEcs, "eu-west-1", {.profile = "nope"});
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("profile 'nope'"));
}

TEST_F(EndpointsTest, MissingServicesSectionIsAnError) {
  WriteConfig("[default]\nservices = gone\n");
  Result<ResolvedSetting> r = ResolveEndpoint(env_, kS3, "eu-west-1", {});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("[services gone]"));
}

TEST_F(EndpointsTest, UrlValidationAndNormalization) {
  env_.Set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566/");
  EXPECT_EQ(Endpoint(kS3), "http://127.0.0.1:4566");
  env_.Set("AWS_ENDPOINT_URL_S3", "https://proxy.example/aws//");
  EXPECT_EQ(Endpoint(kS3), "https://proxy.example/aws");

  for (std::string bad : {"localhost:4566", "ftp://host", "http://", "http://h/?x=1",
                          "http://h/#frag", "http://h:99999"}) {
    env_.Set("AWS_ENDPOINT_URL_S3", bad);
    Result<ResolvedSetting> r = ResolveEndpoint(env_, kS3, "eu-west-1", {});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("AWS_ENDPOINT_URL_S3")) << bad;
  }
}

TEST_F(EndpointsTest, DefaultEndpointNeedsRegion) {
  Result<ResolvedSetting> r = ResolveEndpoint(env_, kEcs, "", {});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Endpoint(kEcs, {}, "cn-north-1"), "https://ecs.cn-north-1.amazonaws.com.cn");
  // Overrides do not need one.
  env_.Set("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
  EXPECT_EQ(Endpoint(kEcs, {}, ""), "http://127.0.0.1:4566");
}

TEST_F(EndpointsTest, FilesAreNotReadWhenTheEnvironmentDecides) {
  WriteConfig("this is not ini\n");
  env_.Set("AWS_REGION", "us-west-2");
  env_.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");
  env_.Set("AWS_ENDPOINT_URL", "http://127.0.0.1:4566");
  EXPECT_EQ(Region(), "us-west-2");
  EXPECT_EQ(Endpoint(kEcs), "http://127.0.0.1:4566");
  env_.Set("AWS_ENDPOINT_URL", "");
  Result<ResolvedSetting> r = ResolveEndpoint(env_, kEcs, "us-west-2", {});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr(ConfigPath() + ":1:"));
}

TEST_F(EndpointsTest, RegionPrecedence) {
  WriteConfig("[default]\nregion = ap-south-1\n[profile dev]\nregion = sa-east-1\n");
  env_.Set("AWS_REGION", "us-west-2");
  env_.Set("AWS_DEFAULT_REGION", "eu-central-1");

  Result<ResolvedSetting> r = ResolveRegion(env_, {.region = "ca-central-1"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, "ca-central-1");
  EXPECT_EQ(r->source, "explicit");

  r = ResolveRegion(env_, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, "us-west-2");
  EXPECT_EQ(r->source, "AWS_REGION");

  env_.Set("AWS_REGION", "");
  r = ResolveRegion(env_, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, "eu-central-1");
  EXPECT_EQ(r->source, "AWS_DEFAULT_REGION");

  env_.Set("AWS_DEFAULT_REGION", "");
  r = ResolveRegion(env_, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, "ap-south-1");
  EXPECT_EQ(r->source, ConfigPath() + " [default] region");
  EXPECT_EQ(Region({.profile = "dev"}), "sa-east-1");
  env_.Set("AWS_PROFILE", "dev");
  EXPECT_EQ(Region(), "sa-east-1");
}

TEST_F(EndpointsTest, RegionFromCredentialsFileProfileAndErrors) {
  WriteCredentials("[ci]\nregion = us-east-2\n");
  EXPECT_EQ(Region({.profile = "ci"}), "us-east-2");

  Result<ResolvedSetting> none = ResolveRegion(env_, {});
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("AWS_REGION"));

  Result<ResolvedSetting> missing = ResolveRegion(env_, {.profile = "absent"});
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);

  env_.Set("AWS_REGION", "us-east-1.evil.com");
  Result<ResolvedSetting> bad = ResolveRegion(env_, {});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("AWS_REGION"));
}

TEST(EndpointsPreloadedTest, SharedConfigOverloads) {
  Result<SharedConfig> files =
      SharedConfig::FromText("", "[profile x]\nregion = eu-south-1\nendpoint_url = http://x:1\n");
  ASSERT_TRUE(files.ok());
  MapEnvironment env(std::map<std::string, std::string>{{"AWS_PROFILE", "x"}});
  Result<ResolvedSetting> region = ResolveRegion(env, {}, *files);
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(region->value, "eu-south-1");
  Result<ResolvedSetting> endpoint = ResolveEndpoint(env, kEcs, region->value, {}, *files);
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->value, "http://x:1");
  EXPECT_EQ(endpoint->source, "config [profile x] endpoint_url");
}

}  // namespace
}  // namespace steady::aws
