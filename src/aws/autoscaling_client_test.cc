#include "aws/autoscaling_client.h"

#include "aws/protocol_query.h"
#include "aws/query_client_test_fixture.h"
#include "base/time_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/fake_http_client.h"

namespace steady::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

std::string Ok(const std::string& op, const std::string& inner) {
  return "<" + op + "Response xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><" + op +
         "Result>" + inner + "</" + op + "Result><ResponseMetadata><RequestId>r</RequestId>" +
         "</ResponseMetadata></" + op + "Response>";
}

std::string Err(const std::string& code, const std::string& message) {
  return "<ErrorResponse><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message +
         "</Message></Error><RequestId>r</RequestId></ErrorResponse>";
}

class AutoScalingClientTest : public QueryClientTest<AutoScalingClient, &AutoScalingService> {};

TEST_F(AutoScalingClientTest, CreateGroupWithMixedInstancesPolicyAsBotocoreDoes) {
  Answer(200, Ok("CreateAutoScalingGroup", ""));
  CreateAutoScalingGroupRequest req;
  req.auto_scaling_group_name = "g";
  MixedInstancesPolicy m;
  m.launch_template.launch_template_name = "web-lt";
  m.overrides = {"m5.large", "c5.large"};
  m.instances_distribution = {1, 20, "lowest-price"};
  req.mixed_instances_policy = m;
  req.min_size = 0;
  req.max_size = 10;
  req.desired_capacity = 2;
  req.availability_zones = {"us-east-1a", "us-east-1b"};
  req.tags = {{"ecs", "web", true}};
  Status s = client_->CreateAutoScalingGroup(req);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_THAT(http_.requests.back().headers.Get("Authorization"),
              HasSubstr("/us-east-1/autoscaling/aws4_request"));
  const std::string p = "MixedInstancesPolicy.";
  EXPECT_THAT(LastForm(),
              UnorderedElementsAreArray(Form{
                  {"Action", "CreateAutoScalingGroup"},
                  {"Version", "2011-01-01"},
                  {"AutoScalingGroupName", "g"},
                  {p + "LaunchTemplate.LaunchTemplateSpecification.LaunchTemplateName", "web-lt"},
                  {p + "LaunchTemplate.LaunchTemplateSpecification.Version", "$Default"},
                  {p + "LaunchTemplate.Overrides.member.1.InstanceType", "m5.large"},
                  {p + "LaunchTemplate.Overrides.member.2.InstanceType", "c5.large"},
                  {p + "InstancesDistribution.OnDemandBaseCapacity", "1"},
                  {p + "InstancesDistribution.OnDemandPercentageAboveBaseCapacity", "20"},
                  {p + "InstancesDistribution.SpotAllocationStrategy", "lowest-price"},
                  {"MinSize", "0"},
                  {"MaxSize", "10"},
                  {"DesiredCapacity", "2"},
                  {"AvailabilityZones.member.1", "us-east-1a"},
                  {"AvailabilityZones.member.2", "us-east-1b"},
                  {"Tags.member.1.ResourceId", "g"},
                  {"Tags.member.1.ResourceType", "auto-scaling-group"},
                  {"Tags.member.1.Key", "ecs"},
                  {"Tags.member.1.Value", "web"},
                  {"Tags.member.1.PropagateAtLaunch", "true"},
              }));
}

TEST_F(AutoScalingClientTest, DescribeGroupsReadsEverything) {
  Answer(200, Ok("DescribeAutoScalingGroups", R"(<AutoScalingGroups><member>
    <AutoScalingGroupName>g</AutoScalingGroupName><AutoScalingGroupARN>arn:g</AutoScalingGroupARN>
    <MixedInstancesPolicy><LaunchTemplate><LaunchTemplateSpecification>
      <LaunchTemplateName>web-lt</LaunchTemplateName><Version>$Latest</Version>
      </LaunchTemplateSpecification><Overrides><member><InstanceType>m5.large</InstanceType>
      </member></Overrides></LaunchTemplate>
      <InstancesDistribution><OnDemandBaseCapacity>1</OnDemandBaseCapacity>
      <OnDemandPercentageAboveBaseCapacity>25</OnDemandPercentageAboveBaseCapacity>
      <SpotAllocationStrategy>capacity-optimized</SpotAllocationStrategy></InstancesDistribution>
    </MixedInstancesPolicy>
    <MinSize>1</MinSize><MaxSize>5</MaxSize><DesiredCapacity>2</DesiredCapacity>
    <AvailabilityZones><member>us-east-1a</member></AvailabilityZones>
    <Instances><member><InstanceId>i-1</InstanceId><InstanceType>m5.large</InstanceType>
      <AvailabilityZone>us-east-1a</AvailabilityZone><LifecycleState>InService</LifecycleState>
      <HealthStatus>Healthy</HealthStatus><ProtectedFromScaleIn>true</ProtectedFromScaleIn>
      <LaunchTemplate><LaunchTemplateName>web-lt</LaunchTemplateName></LaunchTemplate>
    </member></Instances>
    <CreatedTime>2026-11-23T19:00:00.000Z</CreatedTime>
    <VPCZoneIdentifier>subnet-1</VPCZoneIdentifier>
    <NewInstancesProtectedFromScaleIn>true</NewInstancesProtectedFromScaleIn>
    <Tags><member><Key>ecs</Key><Value>web</Value><PropagateAtLaunch>true</PropagateAtLaunch>
    </member></Tags></member></AutoScalingGroups>)"));
  auto r = client_->DescribeAutoScalingGroups({"g"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{{"Action", "DescribeAutoScalingGroups"},
                                                         {"Version", "2011-01-01"},
                                                         {"AutoScalingGroupNames.member.1", "g"}}));
  ASSERT_EQ(r->size(), 1u);
  const AutoScalingGroup& g = (*r)[0];
  EXPECT_EQ(g.auto_scaling_group_arn, "arn:g");
  ASSERT_TRUE(g.mixed_instances_policy.has_value());
  EXPECT_EQ(g.mixed_instances_policy->launch_template.version, "$Latest");
  EXPECT_EQ(g.mixed_instances_policy->overrides, (std::vector<std::string>{"m5.large"}));
  EXPECT_EQ(
      g.mixed_instances_policy->instances_distribution.on_demand_percentage_above_base_capacity,
      25);
  EXPECT_EQ(g.desired_capacity, 2);
  EXPECT_EQ(g.availability_zones, (std::vector<std::string>{"us-east-1a"}));
  ASSERT_EQ(g.instances.size(), 1u);
  EXPECT_EQ(g.instances[0].lifecycle_state, "InService");
  EXPECT_TRUE(g.instances[0].protected_from_scale_in);
  EXPECT_EQ(g.instances[0].launch_template_name, "web-lt");
  EXPECT_EQ(g.created_time, *ParseRfc3339("2026-11-23T19:00:00Z"));
  EXPECT_TRUE(g.new_instances_protected_from_scale_in);
  ASSERT_EQ(g.tags.size(), 1u);
  EXPECT_TRUE(g.tags[0].propagate_at_launch);
}

TEST_F(AutoScalingClientTest, InstanceAndLifecycleCalls) {
  Answer(200, Ok("TerminateInstanceInAutoScalingGroup",
                 "<Activity><Description>Terminating EC2 instance: i-1</Description>"
                 "<AutoScalingGroupName>g</AutoScalingGroupName></Activity>"));
  auto a = client_->TerminateInstanceInAutoScalingGroup("i-1", true);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, "Terminating EC2 instance: i-1");
  EXPECT_THAT(LastForm(),
              UnorderedElementsAreArray(Form{{"Action", "TerminateInstanceInAutoScalingGroup"},
                                             {"Version", "2011-01-01"},
                                             {"InstanceId", "i-1"},
                                             {"ShouldDecrementDesiredCapacity", "true"}}));

  Answer(200, Ok("SetInstanceProtection", ""));
  ASSERT_TRUE(client_->SetInstanceProtection("g", {"i-1", "i-2"}, false).ok());
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{{"Action", "SetInstanceProtection"},
                                                         {"Version", "2011-01-01"},
                                                         {"InstanceIds.member.1", "i-1"},
                                                         {"InstanceIds.member.2", "i-2"},
                                                         {"AutoScalingGroupName", "g"},
                                                         {"ProtectedFromScaleIn", "false"}}));

  Answer(200, Ok("PutLifecycleHook", ""));
  LifecycleHook h;
  h.lifecycle_hook_name = "drain";
  h.auto_scaling_group_name = "g";
  h.notification_target_arn = "arn:sqs";
  h.role_arn = "arn:role";
  h.heartbeat_timeout = 300;
  h.default_result = "CONTINUE";
  ASSERT_TRUE(client_->PutLifecycleHook(h).ok());
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{
                              {"Action", "PutLifecycleHook"},
                              {"Version", "2011-01-01"},
                              {"LifecycleHookName", "drain"},
                              {"AutoScalingGroupName", "g"},
                              {"LifecycleTransition", "autoscaling:EC2_INSTANCE_TERMINATING"},
                              {"RoleARN", "arn:role"},
                              {"NotificationTargetARN", "arn:sqs"},
                              {"HeartbeatTimeout", "300"},
                              {"DefaultResult", "CONTINUE"},
                          }));

  Answer(200, Ok("DescribeLifecycleHooks",
                 "<LifecycleHooks><member><LifecycleHookName>drain</LifecycleHookName>"
                 "<AutoScalingGroupName>g</AutoScalingGroupName>"
                 "<LifecycleTransition>autoscaling:EC2_INSTANCE_TERMINATING</LifecycleTransition>"
                 "<HeartbeatTimeout>300</HeartbeatTimeout><GlobalTimeout>30000</GlobalTimeout>"
                 "<DefaultResult>CONTINUE</DefaultResult></member></LifecycleHooks>"));
  auto hooks = client_->DescribeLifecycleHooks("g", {"drain"});
  ASSERT_TRUE(hooks.ok()) << hooks.status().ToString();
  ASSERT_EQ(hooks->size(), 1u);
  EXPECT_EQ((*hooks)[0].heartbeat_timeout, 300);
  EXPECT_EQ((*hooks)[0].global_timeout, 30000);
  EXPECT_EQ((*hooks)[0].default_result, "CONTINUE");

  Answer(200, Ok("CompleteLifecycleAction", ""));
  ASSERT_TRUE(client_->CompleteLifecycleAction({"drain", "g", "", "i-1", "CONTINUE"}).ok());
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{{"Action", "CompleteLifecycleAction"},
                                                         {"Version", "2011-01-01"},
                                                         {"LifecycleHookName", "drain"},
                                                         {"AutoScalingGroupName", "g"},
                                                         {"LifecycleActionResult", "CONTINUE"},
                                                         {"InstanceId", "i-1"}}));

  Answer(200, Ok("RecordLifecycleActionHeartbeat", ""));
  ASSERT_TRUE(client_->RecordLifecycleActionHeartbeat("drain", "g", "tok", "").ok());
  EXPECT_THAT(LastForm(),
              UnorderedElementsAreArray(Form{{"Action", "RecordLifecycleActionHeartbeat"},
                                             {"Version", "2011-01-01"},
                                             {"LifecycleHookName", "drain"},
                                             {"AutoScalingGroupName", "g"},
                                             {"LifecycleActionToken", "tok"}}));
}

TEST_F(AutoScalingClientTest, ErrorsMapAndWrongShapesAreDataLoss) {
  Answer(400, Err("ValidationError", "AutoScalingGroup name not found - g"));
  Status s = client_->SetDesiredCapacity("g", 3);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AwsErrorCode(s), "ValidationError");
  Answer(400, Err("AlreadyExists", "AutoScalingGroup by this name already exists"));
  EXPECT_EQ(client_->CreateAutoScalingGroup({.auto_scaling_group_name = "g"}).code(),
            StatusCode::kAlreadyExists);
  Answer(400, Err("Throttling", "Rate exceeded"));
  EXPECT_EQ(client_->DescribeAutoScalingInstances({}).status().code(), StatusCode::kThrottled);

  for (std::string bad : {std::string("<<"),
                          Ok("DescribeAutoScalingGroups",
                             "<AutoScalingGroups><member><AutoScalingGroupName>g"
                             "</AutoScalingGroupName><MinSize>x</MinSize></member>"
                             "</AutoScalingGroups>"),
                          Ok("DescribeAutoScalingGroups",
                             "<AutoScalingGroups><member><MinSize>1</MinSize>"
                             "</member></AutoScalingGroups>")}) {
    Answer(200, bad);
    EXPECT_EQ(client_->DescribeAutoScalingGroups({}).status().code(), StatusCode::kDataLoss) << bad;
  }
}

}  // namespace
}  // namespace steady::aws
