#include "region/autoscaling_model.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

#include "region/ec2_model_testing.h"

namespace steady::region {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using testing::FleetWorld;
using testing::OfType;

class AutoScalingModelTest : public ::testing::Test {
 protected:
  Status Create(int desired, int min = 0, int max = 10) {
    aws::CreateAutoScalingGroupRequest req;
    req.auto_scaling_group_name = "web-asg";
    req.launch_template = aws::AsgLaunchTemplate{"web-lt", "$Latest", "m5.large", ""};
    req.min_size = min;
    req.max_size = max;
    req.desired_capacity = desired;
    req.tags = {{"ECS_CLUSTER", "web", true}, {"cost-center", "42", false}};
    req.vpc_zone_identifier = "subnet-1,subnet-2";
    return w_.asg->CreateAutoScalingGroup(req);
  }
  aws::AutoScalingGroup Group() {
    auto g = w_.asg->DescribeAutoScalingGroups({"web-asg"});
    EXPECT_TRUE(g.ok() && g->size() == 1);
    return g.ok() && !g->empty() ? g->front() : aws::AutoScalingGroup{};
  }
  std::map<std::string, std::string> States() {
    std::map<std::string, std::string> out;
    for (const auto& i : Group().instances) out[i.instance_id] = i.lifecycle_state;
    return out;
  }
  std::string HookQueue() {
    std::string url = *w_.sqs->CreateQueue("hooks", {});
    return url;
  }
  Status PutHook(const std::string& queue_url, int heartbeat, const std::string& result) {
    aws::LifecycleHook h;
    h.lifecycle_hook_name = "drain";
    h.auto_scaling_group_name = "web-asg";
    h.notification_target_arn = *w_.sqs->QueueArn(queue_url);
    h.role_arn = "arn:aws:iam::000000000000:role/hooks";
    h.heartbeat_timeout = heartbeat;
    h.default_result = result;
    return w_.asg->PutLifecycleHook(h);
  }

  FleetWorld w_;
};

TEST_F(AutoScalingModelTest, DesiredCapacityUpAndDownHonoursProtection) {
  ASSERT_TRUE(Create(3).ok());
  EXPECT_EQ(Create(3).code(), StatusCode::kAlreadyExists);
  w_.Tick();
  auto g = Group();
  ASSERT_EQ(g.instances.size(), 3u);
  std::set<std::string> zones;
  for (const auto& i : g.instances) {
    EXPECT_EQ(i.lifecycle_state, "Pending");
    zones.insert(i.availability_zone);
  }
  EXPECT_EQ(zones.size(), 3u);  // balanced over the zones
  w_.Run(seconds(61));
  for (const auto& [id, state] : States()) EXPECT_EQ(state, "InService") << id;
  ASSERT_EQ(w_.ecs.booted.size(), 3u);
  EXPECT_EQ(w_.ecs.booted[0].cluster, "web");  // from the propagated tag
  aws::DescribeInstancesRequest by_group;
  by_group.filters = {{"tag:aws:autoscaling:groupName", {"web-asg"}}};
  EXPECT_EQ(w_.ec2->DescribeInstances(by_group)->size(), 3u);
  by_group.filters = {{"tag-key", {"cost-center"}}};
  EXPECT_EQ(w_.ec2->DescribeInstances(by_group)->size(), 0u);  // not propagated

  // Protect the oldest instance; scale in to 1: the two others go.
  std::string keep = g.instances[0].instance_id;
  ASSERT_TRUE(w_.asg->SetInstanceProtection("web-asg", {keep}, true).ok());
  ASSERT_TRUE(w_.asg->SetDesiredCapacity("web-asg", 1).ok());
  EXPECT_FALSE(w_.asg->SetDesiredCapacity("web-asg", 11).ok());
  w_.Tick();
  for (const auto& i : g.instances)
    EXPECT_EQ(w_.State(i.instance_id), i.instance_id == keep ? "running" : "shutting-down");
  w_.Run(seconds(31));
  auto states = States();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states.begin()->first, keep);
  auto details = w_.asg->DescribeAutoScalingInstances({keep});
  ASSERT_EQ(details->size(), 1u);
  EXPECT_TRUE((*details)[0].instance.protected_from_scale_in);
  EXPECT_EQ((*details)[0].auto_scaling_group_name, "web-asg");

  // Scale to 0 with everything protected: nothing can go.
  ASSERT_TRUE(w_.asg->SetDesiredCapacity("web-asg", 0).ok());
  w_.Run(seconds(5));
  EXPECT_EQ(States().size(), 1u);

  // An instance lost outside the group (terminated in EC2) is replaced.
  ASSERT_TRUE(w_.asg->SetDesiredCapacity("web-asg", 1).ok());
  ASSERT_TRUE(w_.ec2->TerminateInstances({keep}).ok());
  w_.Run(seconds(2));
  states = States();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_NE(states.begin()->first, keep);
  EXPECT_EQ(states.begin()->second, "Pending");
}

TEST_F(AutoScalingModelTest, MixedInstancesPolicySplit) {
  aws::CreateAutoScalingGroupRequest req;
  req.auto_scaling_group_name = "mixed";
  aws::MixedInstancesPolicy mip;
  mip.launch_template = {"lt", "$Default", "m5.large", "ECS_CLUSTER=batch"};
  mip.overrides = {"m5.large", "m6i.large", "c5.xlarge"};
  mip.instances_distribution.on_demand_base_capacity = 1;
  mip.instances_distribution.on_demand_percentage_above_base_capacity = 25;
  req.mixed_instances_policy = mip;
  req.min_size = 0;
  req.max_size = 20;
  req.desired_capacity = 9;
  ASSERT_TRUE(w_.asg->CreateAutoScalingGroup(req).ok());
  w_.Tick();
  auto g = (*w_.asg->DescribeAutoScalingGroups({"mixed"}))[0];
  ASSERT_EQ(g.instances.size(), 9u);
  int od = 0, spot = 0;
  for (const auto& i : g.instances) {
    if (i.spot) {
      ++spot;
      EXPECT_EQ(i.instance_type, "m6i.large");  // the lowest spot price of the overrides
    } else {
      ++od;
      EXPECT_EQ(i.instance_type, "m5.large");  // the first override
    }
  }
  EXPECT_EQ(od, 3);  // 1 base + 25% of 8
  EXPECT_EQ(spot, 6);
  aws::DescribeInstancesRequest spots;
  spots.filters = {{"instance-lifecycle", {"spot"}}};
  size_t spot_instances = 0;
  auto reservations = w_.ec2->DescribeInstances(spots);
  ASSERT_TRUE(reservations.ok());
  for (const auto& r : reservations.value()) spot_instances += r.instances.size();
  EXPECT_EQ(spot_instances, 6u);
}

TEST_F(AutoScalingModelTest, LifecycleHookNotifiesAndWaitsForCompletion) {
  std::string q = HookQueue();
  ASSERT_TRUE(Create(2).ok());
  ASSERT_TRUE(PutHook(q, 300, "ABANDON").ok());
  auto test = w_.Drain(q);
  ASSERT_EQ(test.size(), 1u);
  EXPECT_EQ(test[0]["Event"], "autoscaling:TEST_NOTIFICATION");
  EXPECT_EQ(test[0]["Service"], "AWS Auto Scaling");
  EXPECT_EQ(test[0]["AutoScalingGroupName"], "web-asg");
  EXPECT_EQ(test[0]["AccountId"], "000000000000");
  EXPECT_TRUE(test[0].contains("RequestId"));
  EXPECT_TRUE(test[0].contains("AutoScalingGroupARN"));
  EXPECT_TRUE(test[0].contains("Time"));
  auto hooks = w_.asg->DescribeLifecycleHooks("web-asg", {});
  ASSERT_EQ(hooks->size(), 1u);
  EXPECT_EQ((*hooks)[0].global_timeout, 30000);

  w_.Run(seconds(61));
  (void)w_.Events();
  ASSERT_TRUE(w_.asg->SetDesiredCapacity("web-asg", 1).ok());
  w_.Tick();
  std::string victim;
  for (const auto& [id, state] : States())
    if (state == "Terminating:Wait") victim = id;
  ASSERT_FALSE(victim.empty());
  auto notes = w_.Drain(q);
  ASSERT_EQ(notes.size(), 1u);
  const json& n = notes[0];
  EXPECT_EQ(n["LifecycleTransition"], "autoscaling:EC2_INSTANCE_TERMINATING");
  EXPECT_EQ(n["LifecycleHookName"], "drain");
  EXPECT_EQ(n["AutoScalingGroupName"], "web-asg");
  EXPECT_EQ(n["EC2InstanceId"], victim);
  EXPECT_EQ(n["Service"], "AWS Auto Scaling");
  EXPECT_EQ(n["AccountId"], "000000000000");
  EXPECT_EQ(n["Origin"], "AutoScalingGroup");
  EXPECT_EQ(n["Destination"], "EC2");
  ASSERT_TRUE(n.contains("RequestId") && n.contains("Time"));
  std::string token = n["LifecycleActionToken"];
  auto ev = OfType(w_.Events(), "EC2 Instance-terminate Lifecycle Action");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["source"], "aws.autoscaling");
  EXPECT_EQ(ev[0]["detail"]["LifecycleActionToken"], token);
  EXPECT_EQ(ev[0]["detail"]["EC2InstanceId"], victim);
  EXPECT_EQ(ev[0]["resources"][0], Group().auto_scaling_group_arn);

  // Held while the hook waits.
  w_.Run(seconds(200));
  EXPECT_EQ(w_.State(victim), "running");
  EXPECT_EQ(States()[victim], "Terminating:Wait");
  aws::CompleteLifecycleActionRequest bad{"drain", "web-asg", "not-a-token", "", "CONTINUE"};
  EXPECT_FALSE(w_.asg->CompleteLifecycleAction(bad).ok());
  ASSERT_TRUE(w_.asg->CompleteLifecycleAction({"drain", "web-asg", token, "", "CONTINUE"}).ok());
  EXPECT_EQ(w_.State(victim), "shutting-down");
  w_.Run(seconds(31));
  EXPECT_EQ(w_.State(victim), "terminated");
  EXPECT_EQ(States().size(), 1u);
  EXPECT_EQ(Group().desired_capacity, 1);
}

TEST_F(AutoScalingModelTest, HeartbeatExtendsAndTimeoutAppliesDefaultResult) {
  std::string q = HookQueue();
  ASSERT_TRUE(Create(2, 1).ok());
  ASSERT_TRUE(PutHook(q, 60, "CONTINUE").ok());
  w_.Run(seconds(61));
  std::string victim = Group().instances[1].instance_id;
  // Should-decrement below min is refused; without decrement the group replaces it.
  ASSERT_TRUE(w_.asg->TerminateInstanceInAutoScalingGroup(victim, true).ok());
  EXPECT_FALSE(w_.asg
                   ->TerminateInstanceInAutoScalingGroup(Group().instances[0].instance_id == victim
                                                             ? Group().instances[1].instance_id
                                                             : Group().instances[0].instance_id,
                                                         true)
                   .ok());
  EXPECT_EQ(States()[victim], "Terminating:Wait");
  w_.Run(seconds(50));
  ASSERT_TRUE(w_.asg->RecordLifecycleActionHeartbeat("drain", "web-asg", "", victim).ok());
  w_.Run(seconds(59));
  EXPECT_EQ(w_.State(victim), "running");  // the heartbeat moved the deadline 60 s past it
  w_.Run(seconds(1));
  EXPECT_EQ(w_.State(victim), "shutting-down");
  w_.Run(seconds(31));
  EXPECT_EQ(States().size(), 1u);
  EXPECT_EQ(Group().desired_capacity, 1);
  EXPECT_FALSE(w_.asg->RecordLifecycleActionHeartbeat("drain", "web-asg", "", victim).ok());
}

TEST_F(AutoScalingModelTest, ValidationAndSnapshotRoundTrip) {
  aws::CreateAutoScalingGroupRequest none;
  none.auto_scaling_group_name = "x";
  EXPECT_FALSE(w_.asg->CreateAutoScalingGroup(none).ok());
  EXPECT_FALSE(Create(5, 0, 2).ok());
  ASSERT_TRUE(Create(2).ok());
  std::string q = HookQueue();
  ASSERT_TRUE(PutHook(q, 60, "ABANDON").ok());
  w_.Run(seconds(61));
  ASSERT_TRUE(w_.asg->SetDesiredCapacity("web-asg", 1).ok());
  w_.Tick();
  aws::UpdateAutoScalingGroupRequest up;
  up.auto_scaling_group_name = "web-asg";
  up.max_size = 4;
  ASSERT_TRUE(w_.asg->UpdateAutoScalingGroup(up).ok());
  EXPECT_EQ(Group().max_size, 4);
  json snap;
  {
    std::lock_guard lock(w_.asg->mutex());
    snap = w_.asg->Snapshot();
  }
  AutoScalingModel copy(*w_.ctx, *w_.ec2, nullptr, nullptr);
  ASSERT_TRUE(copy.Restore(snap).ok());
  std::lock_guard lock(copy.mutex());
  EXPECT_EQ(copy.Snapshot(), snap);
  EXPECT_EQ(snap.size(), 2u);  // the group and its pending lifecycle action
}

TEST(FleetJournalTest, Ec2AutoScalingAndElbReplayToTheSameState) {
  auto dir = std::filesystem::temp_directory_path() / ("fleet_journal_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  json before;
  auto snapshot = [](ServiceModel& m) {
    std::lock_guard lock(m.mutex());
    return m.Snapshot();
  };
  {
    FleetWorld w({}, dir.string());
    aws::CreateAutoScalingGroupRequest req;
    req.auto_scaling_group_name = "g";
    req.launch_template = aws::AsgLaunchTemplate{"lt", "$Default", "c5.large", "ECS_CLUSTER=x"};
    req.max_size = 5;
    req.desired_capacity = 3;
    ASSERT_TRUE(w.asg->CreateAutoScalingGroup(req).ok());
    aws::LifecycleHook h;
    h.lifecycle_hook_name = "drain";
    h.auto_scaling_group_name = "g";
    h.heartbeat_timeout = 120;
    ASSERT_TRUE(w.asg->PutLifecycleHook(h).ok());
    aws::CreateTargetGroupRequest tg;
    tg.name = "web";
    std::string arn = w.elb->CreateTargetGroup(tg)->target_group_arn;
    w.Run(seconds(61));
    auto g = (*w.asg->DescribeAutoScalingGroups({"g"}))[0];
    for (const auto& i : g.instances)
      ASSERT_TRUE(w.elb->RegisterTargets(arn, {{i.instance_id, std::nullopt, ""}}).ok());
    ASSERT_TRUE(
        w.elb->DeregisterTargets(arn, {{g.instances[0].instance_id, std::nullopt, ""}}).ok());
    ASSERT_TRUE(w.elb->SetTraffic(arn, 10, 0.5).ok());
    ASSERT_TRUE(w.asg->SetDesiredCapacity("g", 2).ok());
    w.Run(seconds(5));
    before = {{"ec2", snapshot(*w.ec2)}, {"asg", snapshot(*w.asg)}, {"elb", snapshot(*w.elb)}};
  }
  ManualClock clock;
  auto noop = [](std::string_view) { return Status::Ok(); };
  auto boot = *Journal::Open({}, noop, noop);
  RegionContext ctx(clock, *boot);
  Ec2Model ec2(ctx, nullptr);
  AutoScalingModel asg(ctx, ec2, nullptr, nullptr);
  Elbv2Model elb(ctx);
  auto journal = Journal::Open({.dir = dir.string()}, noop, [&](std::string_view rec) {
    json r = json::parse(rec);
    if (r["s"] == "ec2") return ec2.Replay(r);
    if (r["s"] == "autoscaling") return asg.Replay(r);
    if (r["s"] == "elbv2") return elb.Replay(r);
    return Status::Ok();
  });
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  json after = {{"ec2", snapshot(ec2)}, {"asg", snapshot(asg)}, {"elb", snapshot(elb)}};
  EXPECT_EQ(before, after);
  EXPECT_EQ(before["asg"].size(), 2u);  // the group and one pending lifecycle action
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace steady::region
