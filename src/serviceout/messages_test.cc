#include "serviceout/messages.h"

#include <gtest/gtest.h>

#include "base/time_format.h"

namespace steady::serviceout {
namespace {

Time At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

// The documented example of the spot interruption warning.
constexpr const char* kSpotWarning = R"({
  "version": "0", "id": "12345678-1234-1234-1234-123456789012",
  "detail-type": "EC2 Spot Instance Interruption Warning", "source": "aws.ec2",
  "account": "123456789012", "time": "2021-02-11T08:27:50Z", "region": "us-east-2",
  "resources": ["arn:aws:ec2:us-east-2:123456789012:instance/i-1234567890abcdef0"],
  "detail": {"instance-id": "i-1234567890abcdef0", "instance-action": "terminate"}})";

TEST(ParseMessage, SpotWarningDeadlineIsTwoMinutesAfterTheEvent) {
  ParsedMessage m = ParseMessage(kSpotWarning);
  ASSERT_EQ(m.kind, MessageKind::kServiceOut) << m.reason;
  ASSERT_EQ(m.requests.size(), 1u);
  const ServiceOutRequest& r = m.requests[0];
  EXPECT_EQ(r.trigger, Trigger::kSpotInterruption);
  EXPECT_EQ(r.instance_id, "i-1234567890abcdef0");
  EXPECT_EQ(r.event_time, At("2021-02-11T08:27:50Z"));
  ASSERT_TRUE(r.deadline.has_value());
  EXPECT_EQ(*r.deadline, At("2021-02-11T08:29:50Z"));
  EXPECT_FALSE(r.lifecycle.has_value());
  EXPECT_EQ(m.envelope, "eventbridge");
}

TEST(ParseMessage, RebalanceRecommendationHasNoHardDeadline) {
  ParsedMessage m = ParseMessage(R"({"version":"0","id":"x",
    "detail-type":"EC2 Instance Rebalance Recommendation","source":"aws.ec2",
    "time":"2020-10-26T14:14:14Z","resources":[],
    "detail":{"instance-id":"i-0123456789abcdef0"}})");
  ASSERT_EQ(m.kind, MessageKind::kServiceOut);
  EXPECT_EQ(m.requests[0].trigger, Trigger::kRebalanceRecommendation);
  EXPECT_FALSE(m.requests[0].deadline.has_value());
}

TEST(ParseMessage, LifecycleActionEventBridgeForm) {
  ParsedMessage m = ParseMessage(R"({"version":"0","id":"468fe059-f4b7-445f-bb22-2a7ec4a2a4f9",
    "detail-type":"EC2 Instance-terminate Lifecycle Action","source":"aws.autoscaling",
    "account":"123456789012","time":"2015-12-22T18:43:48Z","region":"us-west-2",
    "resources":["arn:aws:autoscaling:us-west-2:123456789012:autoScalingGroup:x"],
    "detail":{"LifecycleActionToken":"87654321-4321-4321-4321-210987654321",
      "AutoScalingGroupName":"my-asg","LifecycleHookName":"my-lifecycle-hook",
      "EC2InstanceId":"i-1234567890abcdef0",
      "LifecycleTransition":"autoscaling:EC2_INSTANCE_TERMINATING",
      "NotificationMetadata":"additional-info"}})");
  ASSERT_EQ(m.kind, MessageKind::kServiceOut) << m.reason;
  const ServiceOutRequest& r = m.requests[0];
  EXPECT_EQ(r.trigger, Trigger::kLifecycleTerminate);
  EXPECT_EQ(r.instance_id, "i-1234567890abcdef0");
  EXPECT_FALSE(r.deadline.has_value());
  ASSERT_TRUE(r.lifecycle.has_value());
  EXPECT_EQ(r.lifecycle->group_name, "my-asg");
  EXPECT_EQ(r.lifecycle->hook_name, "my-lifecycle-hook");
  EXPECT_EQ(r.lifecycle->token, "87654321-4321-4321-4321-210987654321");
}

constexpr const char* kDirectLifecycle = R"({"Origin":"AutoScalingGroup",
  "Destination":"EC2","LifecycleHookName":"drain","Service":"AWS Auto Scaling",
  "Time":"2026-11-30T10:00:00.061Z","AccountId":"123456789012",
  "LifecycleTransition":"autoscaling:EC2_INSTANCE_TERMINATING",
  "RequestId":"d2e4f0b4-0b6e-4c6e-9d42-1234567890ab",
  "LifecycleActionToken":"71514b9d-6a40-4b26-8523-05e7ee35fa40",
  "EC2InstanceId":"i-0598c7d356eba48d7","AutoScalingGroupName":"od-group"})";

TEST(ParseMessage, LifecycleActionDirectToSqs) {
  ParsedMessage m = ParseMessage(kDirectLifecycle);
  ASSERT_EQ(m.kind, MessageKind::kServiceOut) << m.reason;
  EXPECT_EQ(m.envelope, "autoscaling");
  EXPECT_EQ(m.requests[0].instance_id, "i-0598c7d356eba48d7");
  EXPECT_EQ(m.requests[0].event_time, At("2026-11-30T10:00:00.061Z"));
  EXPECT_EQ(m.requests[0].lifecycle->group_name, "od-group");
  EXPECT_EQ(m.requests[0].lifecycle->token, "71514b9d-6a40-4b26-8523-05e7ee35fa40");
}

TEST(ParseMessage, SnsWrappedOnceAndTwice) {
  auto wrap = [](const std::string& inner) {
    std::string escaped;
    for (char c : inner) {
      if (c == '"' || c == '\\') escaped += '\\';
      if (c == '\n') {
        escaped += "\\n";
        continue;
      }
      escaped += c;
    }
    return R"({"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:0:t",)"
           R"("Message":")" +
           escaped + R"(","Timestamp":"2026-11-30T10:00:01Z"})";
  };
  ParsedMessage once = ParseMessage(wrap(kDirectLifecycle));
  ASSERT_EQ(once.kind, MessageKind::kServiceOut) << once.reason;
  EXPECT_EQ(once.envelope, "sns+autoscaling");
  ParsedMessage twice = ParseMessage(wrap(wrap(kSpotWarning)));
  ASSERT_EQ(twice.kind, MessageKind::kServiceOut) << twice.reason;
  EXPECT_EQ(twice.envelope, "sns+sns+eventbridge");
  EXPECT_EQ(twice.requests[0].trigger, Trigger::kSpotInterruption);
  ParsedMessage bad = ParseMessage(wrap("{not json"));
  EXPECT_EQ(bad.kind, MessageKind::kMalformed);
}

TEST(ParseMessage, TestNotificationAndLaunchHooksAreNotServiceOuts) {
  ParsedMessage t = ParseMessage(R"({"AccountId":"123456789012","RequestId":"r",
    "AutoScalingGroupARN":"arn:aws:autoscaling:x","AutoScalingGroupName":"od-group",
    "Service":"AWS Auto Scaling","Event":"autoscaling:TEST_NOTIFICATION",
    "Time":"2026-11-30T10:00:00Z"})");
  EXPECT_EQ(t.kind, MessageKind::kTestNotification);
  std::string launch = kDirectLifecycle;
  launch.replace(launch.find("TERMINATING"), 11, "LAUNCHING");
  EXPECT_EQ(ParseMessage(launch).kind, MessageKind::kIgnored);
}

TEST(ParseMessage, StateChanges) {
  auto change = [](const std::string& state) {
    return ParseMessage(
        R"({"version":"0","id":"x","detail-type":"EC2 Instance State-change Notification",
      "source":"aws.ec2","time":"2026-11-30T10:00:00Z","resources":[],
      "detail":{"instance-id":"i-0abcdef1234567890","state":")" +
        state + R"("}})");
  };
  for (const char* going : {"stopping", "shutting-down", "terminated"}) {
    ParsedMessage m = change(going);
    ASSERT_EQ(m.kind, MessageKind::kServiceOut) << going;
    EXPECT_EQ(m.requests[0].trigger, Trigger::kInstanceStateChange);
    EXPECT_EQ(*m.requests[0].deadline, At("2026-11-30T10:00:00Z"));
  }
  EXPECT_EQ(change("running").kind, MessageKind::kIgnored);
  EXPECT_EQ(change("pending").kind, MessageKind::kIgnored);
  EXPECT_EQ(change("").kind, MessageKind::kMalformed);
}

TEST(ParseMessage, HealthScheduledChangeNamesEveryInstance) {
  ParsedMessage m = ParseMessage(R"({"version":"0","id":"x","detail-type":"AWS Health Event",
    "source":"aws.health","time":"2026-11-30T10:00:00Z","resources":[],
    "detail":{"eventArn":"arn:aws:health:us-east-1::event/EC2/x","service":"EC2",
      "eventTypeCode":"AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED","eventTypeCategory":"scheduledChange",
      "startTime":"Wed, 02 Dec 2026 08:00:00 GMT",
      "affectedEntities":[{"entityValue":"i-0abcdef1234567890"},{"entityValue":"vol-1"},
                          {"entityValue":"i-0abcdef1234567891"}]}})");
  ASSERT_EQ(m.kind, MessageKind::kServiceOut) << m.reason;
  ASSERT_EQ(m.requests.size(), 2u);
  EXPECT_EQ(m.requests[1].instance_id, "i-0abcdef1234567891");
  EXPECT_EQ(*m.requests[0].deadline, At("2026-12-02T08:00:00Z"));
  EXPECT_EQ(m.requests[0].trigger, Trigger::kScheduledChange);
}

TEST(ParseMessage, BadInputIsClassifiedNeverThrown) {
  EXPECT_EQ(ParseMessage("").kind, MessageKind::kMalformed);
  EXPECT_EQ(ParseMessage("\xff\xfe").kind, MessageKind::kMalformed);
  EXPECT_EQ(ParseMessage("[1,2]").kind, MessageKind::kUnknown);
  EXPECT_EQ(ParseMessage(R"({"hello":"world"})").kind, MessageKind::kUnknown);
  // Known shapes with a field missing or of the wrong type.
  std::string no_id = kSpotWarning;
  no_id.replace(no_id.find("\"instance-id\""), 13, "\"instance-xx\"");
  EXPECT_EQ(ParseMessage(no_id).kind, MessageKind::kMalformed);
  std::string bad_time = kSpotWarning;
  bad_time.replace(bad_time.find("2021-02-11T08:27:50Z"), 20, "yesterday, roughly  ");
  EXPECT_EQ(ParseMessage(bad_time).kind, MessageKind::kMalformed);
  EXPECT_EQ(ParseMessage(R"({"detail-type":"EC2 Spot Instance Interruption Warning",
    "source":"aws.ec2","time":"2021-02-11T08:27:50Z","detail":"oops"})")
                .kind,
            MessageKind::kMalformed);
  std::string bad_lifecycle = kDirectLifecycle;
  bad_lifecycle.replace(bad_lifecycle.find("i-0598c7d356eba48d7"), 19, "nonsense-not-an-id!");
  EXPECT_EQ(ParseMessage(bad_lifecycle).kind, MessageKind::kMalformed);
  EXPECT_EQ(ParseMessage(R"({"detail-type":"Something Else","source":"aws.s3",
    "time":"2021-02-11T08:27:50Z","detail":{}})")
                .kind,
            MessageKind::kUnknown);
}

TEST(ParseMessage, ManualRequestsRoundTrip) {
  Time now = At("2026-11-30T10:00:00Z");
  ParsedMessage m = ParseMessage(ManualRequestBody("i-0abcdef1234567890", "kernel update", now));
  ASSERT_EQ(m.kind, MessageKind::kServiceOut) << m.reason;
  EXPECT_EQ(m.requests[0].trigger, Trigger::kManual);
  EXPECT_EQ(m.requests[0].event_time, now);
  EXPECT_FALSE(m.requests[0].deadline.has_value());
  EXPECT_EQ(m.requests[0].detail, "manual drain: kernel update");
}

}  // namespace
}  // namespace steady::serviceout
