#include "region/throttle_profiles.h"

#include <gtest/gtest.h>

namespace steady::region {
namespace {

ThrottleBuckets FromYaml(const std::string& yaml, Status* error = nullptr) {
  auto config = Config::Parse(yaml, "steady.yaml");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  auto buckets = ThrottleFromConfig(config->Section("region"));
  if (error)
    *error = buckets.status();
  else
    EXPECT_TRUE(buckets.ok()) << buckets.status().ToString();
  return buckets.value_or({});
}

TEST(ThrottleSpec, ParsesKeysAndBuckets) {
  auto spec = ParseThrottleSpec("sqs:SendMessage=10/2.5");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->first, "sqs:SendMessage");
  EXPECT_EQ(spec->second.burst, 10);
  EXPECT_EQ(spec->second.rate, 2.5);
  // Every operation of a service, and the names people use for CloudWatch and EventBridge.
  EXPECT_EQ(ParseThrottleSpec("ecs:*=50/20")->first, "ecs:*");
  EXPECT_EQ(ParseThrottleSpec("cloudwatch:PutMetricData=1/1")->first, "monitoring:PutMetricData");
  EXPECT_EQ(ParseThrottleSpec("eventbridge:PutEvents=1/1")->first, "events:PutEvents");

  for (const char* bad :
       {"sqs:SendMessage", "sqs:SendMessage=10", "sqs:SendMessage=ten/2", "sqs:SendMessage=10/0",
        "sqs:SendMessage=0.5/1", "SendMessage=1/1", ":SendMessage=1/1", "sqs:=1/1",
        "sqs:Send Message=1/1", "SQS:X=1/1", "sqs:SendMessage=1/inf", "sqs:SendMessage=1/2/3"})
    EXPECT_EQ(ParseThrottleSpec(bad).status().code(), StatusCode::kInvalidArgument) << bad;
}

TEST(ThrottleProfiles, NamedProfilesAndUnknownNames) {
  auto cw = ThrottleProfileBuckets("cloudwatch");
  ASSERT_TRUE(cw.ok());
  EXPECT_EQ(cw->at("monitoring:GetMetricData").rate, 50);
  EXPECT_EQ(cw->at("monitoring:ListMetrics").burst, 25);
  for (const auto& p : ThrottleProfiles()) {
    EXPECT_FALSE(p.description.empty()) << p.name;
    for (const auto& [key, b] : p.buckets()) {
      EXPECT_TRUE(ParseThrottleSpec(key + "=1/1").ok()) << p.name << " has a bad key " << key;
      EXPECT_GE(b.burst, 1) << key;
      EXPECT_GT(b.rate, 0) << key;
    }
  }
  auto ecs = ThrottleProfileBuckets("ecs");
  ASSERT_TRUE(ecs.ok());
  EXPECT_EQ(ecs->at("ecs:run").burst, 100);
  EXPECT_EQ(ecs->at("ecs:run").rate, 40);
  EXPECT_EQ(ecs->at("ecs:task-definitions").rate, 1);
  auto none = ThrottleProfileBuckets("nope");
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("cloudwatch"), std::string::npos);
}

TEST(ThrottleConfig, ProfilesThenBucketsFromSteadyYaml) {
  ThrottleBuckets b = FromYaml(R"(
region:
  throttle_profile: [cloudwatch]
  throttle:
    monitoring:ListMetrics: 1/2
    sqs:SendMessage: {burst: 10, rate: 5}
    "ecs:*": 100/40
)");
  EXPECT_EQ(b.size(), 6u);
  EXPECT_EQ(b.at("monitoring:ListMetrics").burst, 1);  // the explicit bucket wins
  EXPECT_EQ(b.at("monitoring:ListMetrics").rate, 2);
  EXPECT_EQ(b.at("monitoring:PutMetricData").rate, 500);
  EXPECT_EQ(b.at("sqs:SendMessage").burst, 10);
  EXPECT_EQ(b.at("sqs:SendMessage").rate, 5);
  EXPECT_EQ(b.at("ecs:*").rate, 40);
  EXPECT_TRUE(FromYaml("region:\n  listen: 127.0.0.1:1\n").empty());
  EXPECT_EQ(FromYaml("region:\n  throttle_profile: cloudwatch\n").size(), 4u);

  // Errors name the place in the file.
  Status s;
  FromYaml("region:\n  throttle:\n    sqs:SendMessage: fast\n", &s);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("steady.yaml:3"), std::string::npos) << s.message();
  FromYaml("region:\n  throttle:\n    sqs:SendMessage: {burst: 1, rat: 2}\n", &s);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  FromYaml("region:\n  throttle:\n    bogus: {burst: 1, rate: 2}\n", &s);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("steady.yaml:3"), std::string::npos) << s.message();
  FromYaml("region:\n  throttle_profile: nope\n", &s);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("steady.yaml:2"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace steady::region
