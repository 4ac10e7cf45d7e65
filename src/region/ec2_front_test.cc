// The EC2, Auto Scaling and ELBv2 fronts, called directly with query forms.
#include "region/ec2_front.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "net/http_server.h"
#include "region/ec2_model_testing.h"

namespace steady::region {
namespace {

using std::chrono::seconds;
using testing::FleetWorld;

class FleetFrontTest : public ::testing::Test {
 protected:
  FleetFrontTest()
      : ec2_(w_.ec2->MakeFront()), asg_(w_.asg->MakeFront()), elb_(w_.elb->MakeFront()) {}

  net::HttpResponse Call(ServiceFront& front, const std::string& service,
                         const std::string& version, const std::string& op,
                         const std::string& form) {
    net::ServerRequest http;
    http.method = "POST";
    http.path = http.target = "/";
    http.headers.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    http.body = "Action=" + op + "&Version=" + version + (form.empty() ? "" : "&" + form);
    RoutedRequest routed{http, service, "query", op, "rid-1", ""};
    net::HttpResponse out;
    bool answered = false;
    front.Handle(routed, [&](net::HttpResponse r) {
      out = std::move(r);
      answered = true;
    });
    EXPECT_TRUE(answered);
    return out;
  }
  net::HttpResponse Ec2(const std::string& op, const std::string& form = "") {
    return Call(*ec2_, "ec2", "2016-11-15", op, form);
  }
  net::HttpResponse Asg(const std::string& op, const std::string& form = "") {
    return Call(*asg_, "autoscaling", "2011-01-01", op, form);
  }
  net::HttpResponse Elb(const std::string& op, const std::string& form = "") {
    return Call(*elb_, "elasticloadbalancing", "2015-12-01", op, form);
  }
  static std::string Between(const std::string& s, const std::string& open,
                             const std::string& close) {
    size_t b = s.find(open);
    if (b == std::string::npos) return "";
    b += open.size();
    return s.substr(b, s.find(close, b) - b);
  }

  FleetWorld w_;
  std::unique_ptr<ServiceFront> ec2_, asg_, elb_;
};

TEST_F(FleetFrontTest, Ec2QueryProtocol) {
  EXPECT_EQ(ec2_->signing_names(), std::vector<std::string>{"ec2"});
  // Unsigned requests are routed by action; no two fronts claim one.
  EXPECT_TRUE(ec2_->OwnsAction("DescribeInstances"));
  EXPECT_FALSE(ec2_->OwnsAction("CreateTargetGroup"));
  EXPECT_TRUE(elb_->OwnsAction("CreateTargetGroup"));
  EXPECT_TRUE(asg_->OwnsAction("CompleteLifecycleAction"));
  EXPECT_FALSE(asg_->OwnsAction("DescribeInstances"));
  auto types = Ec2("DescribeInstanceTypes", "InstanceType.1=m5.large");
  EXPECT_EQ(types.status, 200);
  EXPECT_NE(types.body.find("xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""),
            std::string::npos);
  EXPECT_NE(types.body.find("<requestId>rid-1</requestId>"), std::string::npos);
  EXPECT_NE(types.body.find("<defaultVCpus>2</defaultVCpus>"), std::string::npos);

  // UserData is base64("ECS_CLUSTER=web").
  auto fleet = Ec2("RequestSpotFleet",
                   "SpotFleetRequestConfig.TargetCapacity=2&SpotFleetRequestConfig.IamFleetRole="
                   "arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Ff&"
                   "SpotFleetRequestConfig.LaunchSpecifications.1.InstanceType=c5.large&"
                   "SpotFleetRequestConfig.LaunchSpecifications.1.UserData=RUNTX0NMVVNURVI9d2Vi");
  ASSERT_EQ(fleet.status, 200) << fleet.body;
  std::string id = Between(fleet.body, "<spotFleetRequestId>", "</spotFleetRequestId>");
  ASSERT_FALSE(id.empty());
  w_.Run(seconds(61));
  EXPECT_EQ(w_.ecs.booted.size(), 2u);
  EXPECT_EQ(w_.ecs.booted[0].cluster, "web");
  auto described = Ec2("DescribeSpotFleetRequests", "SpotFleetRequestId.1=" + id);
  EXPECT_NE(described.body.find("<activityStatus>fulfilled</activityStatus>"), std::string::npos)
      << described.body;
  auto members = Ec2("DescribeSpotFleetInstances", "SpotFleetRequestId=" + id);
  std::string instance = Between(members.body, "<instanceId>", "</instanceId>");
  ASSERT_FALSE(instance.empty());

  auto running = Ec2("DescribeInstances",
                     "Filter.1.Name=instance-state-name&Filter.1.Value.1=running&"
                     "Filter.2.Name=instance-lifecycle&Filter.2.Value.1=spot");
  EXPECT_NE(running.body.find("<reservationSet><item>"), std::string::npos) << running.body;
  EXPECT_NE(running.body.find("<instanceLifecycle>spot</instanceLifecycle>"), std::string::npos);
  EXPECT_NE(running.body.find("<name>running</name>"), std::string::npos);

  auto term = Ec2("TerminateInstances", "InstanceId.1=" + instance);
  EXPECT_NE(term.body.find("<currentState><code>32</code><name>shutting-down</name>"),
            std::string::npos)
      << term.body;
  auto modify = Ec2("ModifySpotFleetRequest", "SpotFleetRequestId=" + id + "&TargetCapacity=3");
  EXPECT_NE(modify.body.find("<return>true</return>"), std::string::npos);
  auto cancel =
      Ec2("CancelSpotFleetRequests", "SpotFleetRequestId.1=" + id + "&TerminateInstances=true");
  EXPECT_NE(cancel.body.find("cancelled_terminating"), std::string::npos) << cancel.body;

  // EC2's own error shape.
  auto missing = Ec2("DescribeInstances", "InstanceId.1=i-0000000000000dead");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>"),
            std::string::npos)
      << missing.body;
  EXPECT_NE(missing.body.find("<RequestID>rid-1</RequestID>"), std::string::npos);
  EXPECT_EQ(Ec2("RunSomething").status, 400);
}

TEST_F(FleetFrontTest, AutoScalingAndElbQueryProtocols) {
  auto tg = Elb("CreateTargetGroup",
                "Name=web&Protocol=HTTP&Port=8080&VpcId=vpc-1&"
                "HealthCheckIntervalSeconds=5&HealthyThresholdCount=2");
  ASSERT_EQ(tg.status, 200) << tg.body;
  std::string arn = Between(tg.body, "<TargetGroupArn>", "</TargetGroupArn>");
  ASSERT_FALSE(arn.empty());
  auto attrs = Elb("ModifyTargetGroupAttributes",
                   "TargetGroupArn=" + arn +
                       "&Attributes.member.1.Key=deregistration_delay.timeout_seconds"
                       "&Attributes.member.1.Value=10");
  EXPECT_NE(attrs.body.find("<Key>deregistration_delay.timeout_seconds</Key><Value>10</Value>"),
            std::string::npos)
      << attrs.body;
  ASSERT_EQ(Elb("RegisterTargets", "TargetGroupArn=" + arn + "&Targets.member.1.Id=i-a").status,
            200);
  auto health = Elb("DescribeTargetHealth", "TargetGroupArn=" + arn);
  EXPECT_NE(health.body.find("<State>initial</State>"), std::string::npos) << health.body;
  EXPECT_NE(health.body.find("<Port>8080</Port>"), std::string::npos);
  auto nope = Elb("DescribeTargetHealth", "TargetGroupArn=arn%3Anope");
  EXPECT_EQ(nope.status, 400);
  EXPECT_NE(nope.body.find("<Code>TargetGroupNotFound</Code>"), std::string::npos) << nope.body;

  auto created = Asg("CreateAutoScalingGroup",
                     "AutoScalingGroupName=web&LaunchTemplate.LaunchTemplateName=c5.large&"
                     "MinSize=0&MaxSize=4&DesiredCapacity=2&VPCZoneIdentifier=subnet-1&"
                     "Tags.member.1.Key=ECS_CLUSTER&Tags.member.1.Value=web&"
                     "Tags.member.1.PropagateAtLaunch=true");
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_NE(created.body.find("<CreateAutoScalingGroupResponse xmlns=\"http://"
                              "autoscaling.amazonaws.com/doc/2011-01-01/\">"),
            std::string::npos)
      << created.body;
  w_.Tick();
  auto groups = Asg("DescribeAutoScalingGroups", "AutoScalingGroupNames.member.1=web");
  EXPECT_NE(groups.body.find("<DesiredCapacity>2</DesiredCapacity>"), std::string::npos);
  EXPECT_NE(groups.body.find("<InstanceType>c5.large</InstanceType>"), std::string::npos)
      << groups.body;
  std::string instance = Between(groups.body, "<InstanceId>", "</InstanceId>");
  ASSERT_FALSE(instance.empty());
  ASSERT_EQ(Asg("SetInstanceProtection", "AutoScalingGroupName=web&InstanceIds.member.1=" +
                                             instance + "&ProtectedFromScaleIn=true")
                .status,
            200);
  auto hook = Asg("PutLifecycleHook",
                  "LifecycleHookName=drain&AutoScalingGroupName=web&LifecycleTransition="
                  "autoscaling%3AEC2_INSTANCE_TERMINATING&HeartbeatTimeout=60&"
                  "DefaultResult=CONTINUE");
  ASSERT_EQ(hook.status, 200) << hook.body;
  // botocore needs the empty result wrapper of operations with an output shape.
  EXPECT_NE(hook.body.find("<PutLifecycleHookResult></PutLifecycleHookResult>"), std::string::npos)
      << hook.body;
  auto protect =
      Asg("SetInstanceProtection", "AutoScalingGroupName=web&InstanceIds.member.1=" + instance +
                                       "&ProtectedFromScaleIn=true");
  EXPECT_NE(protect.body.find("<SetInstanceProtectionResult></SetInstanceProtectionResult>"),
            std::string::npos)
      << protect.body;
  auto hooks = Asg("DescribeLifecycleHooks", "AutoScalingGroupName=web");
  EXPECT_NE(hooks.body.find("<GlobalTimeout>6000</GlobalTimeout>"), std::string::npos)
      << hooks.body;
  auto bad = Asg("SetDesiredCapacity", "AutoScalingGroupName=web&DesiredCapacity=9");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("<Code>ValidationError</Code>"), std::string::npos) << bad.body;
  EXPECT_EQ(Asg("SetDesiredCapacity", "AutoScalingGroupName=web&DesiredCapacity=1").status, 200);
  w_.Tick();
  auto inst = Asg("DescribeAutoScalingInstances");
  EXPECT_NE(inst.body.find("<LifecycleState>Terminating:Wait</LifecycleState>"), std::string::npos)
      << inst.body;
  std::string waiting;
  auto all = w_.asg->DescribeAutoScalingInstances({});
  ASSERT_TRUE(all.ok());
  for (const auto& d : all.value())
    if (d.instance.lifecycle_state == "Terminating:Wait") waiting = d.instance.instance_id;
  ASSERT_NE(waiting, instance);  // the protected one stays
  EXPECT_EQ(Asg("RecordLifecycleActionHeartbeat",
                "LifecycleHookName=drain&AutoScalingGroupName=web&InstanceId=" + waiting)
                .status,
            200);
  auto complete = Asg("CompleteLifecycleAction",
                      "LifecycleHookName=drain&AutoScalingGroupName=web&InstanceId=" + waiting +
                          "&LifecycleActionResult=CONTINUE");
  EXPECT_EQ(complete.status, 200) << complete.body;
  EXPECT_EQ(w_.State(waiting), "shutting-down");
}

TEST_F(FleetFrontTest, PrivateDnsNameUsesDashes) {
  // EC2 names an instance's private address "ip-10-0-0-5.ec2.internal", dots turned to dashes.
  auto ids = w_.ec2->RunInstances({.instance_type = "m5.large"}, 1);
  ASSERT_TRUE(ids.ok());
  auto r = Ec2("DescribeInstances", "InstanceId.1=" + ids->front());
  ASSERT_EQ(r.status, 200) << r.body;
  std::string ip = Between(r.body, "<privateIpAddress>", "</privateIpAddress>");
  ASSERT_FALSE(ip.empty());
  std::string dashed = ip;
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  EXPECT_EQ(Between(r.body, "<privateDnsName>", "</privateDnsName>"),
            "ip-" + dashed + ".ec2.internal");
}

TEST_F(FleetFrontTest, AutoScalingInstanceShapesAsAwsWritesThem) {
  ASSERT_EQ(Asg("CreateAutoScalingGroup",
                "AutoScalingGroupName=web&LaunchTemplate.LaunchTemplateName=m5.large&"
                "MinSize=0&MaxSize=4&DesiredCapacity=1&AvailabilityZones.member.1=us-east-1a")
                .status,
            200);
  w_.Run(seconds(61));
  // In a group's Instances health is "Healthy"; DescribeAutoScalingInstances says "HEALTHY".
  auto groups = Asg("DescribeAutoScalingGroups", "AutoScalingGroupNames.member.1=web");
  EXPECT_NE(groups.body.find("<HealthStatus>Healthy</HealthStatus>"), std::string::npos)
      << groups.body;
  // No VPCZoneIdentifier was given: none is written (not an empty one).
  EXPECT_EQ(groups.body.find("VPCZoneIdentifier"), std::string::npos) << groups.body;
  std::string instance = Between(groups.body, "<InstanceId>", "</InstanceId>");
  ASSERT_FALSE(instance.empty());
  auto details = Asg("DescribeAutoScalingInstances", "InstanceIds.member.1=" + instance);
  EXPECT_NE(details.body.find("<HealthStatus>HEALTHY</HealthStatus>"), std::string::npos)
      << details.body;
  EXPECT_NE(details.body.find("<AutoScalingGroupName>web</AutoScalingGroupName>"),
            std::string::npos);

  // The activity of TerminateInstanceInAutoScalingGroup names its group and cause.
  auto term = Asg("TerminateInstanceInAutoScalingGroup",
                  "InstanceId=" + instance + "&ShouldDecrementDesiredCapacity=true");
  ASSERT_EQ(term.status, 200) << term.body;
  std::string activity = Between(term.body, "<Activity>", "</Activity>");
  EXPECT_NE(activity.find("<AutoScalingGroupName>web</AutoScalingGroupName>"), std::string::npos)
      << activity;
  EXPECT_NE(activity.find("<Cause>"), std::string::npos) << activity;
  EXPECT_NE(activity.find(instance), std::string::npos) << activity;
}

}  // namespace
}  // namespace steady::region
