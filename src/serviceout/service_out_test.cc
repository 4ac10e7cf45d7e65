// The service-out workflow against the local region's wired fleet, in virtual time: a spot
// Auto Scaling group in one cluster, a web service behind a target group carrying traffic, and
// batch tasks. The figure that matters is the target group's failed requests: zero.
#include "serviceout/service_out.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "serviceout/test_fleet.h"

namespace steady::serviceout {
namespace {

using ServiceOutTest = FleetTest;

TEST_F(ServiceOutTest, SpotInterruptionIsServicedOutWithoutDroppingARequest) {
  auto web = Tasks("web");
  ASSERT_EQ(web.size(), 2u);
  std::string victim = InstanceOfTask(web[0]);
  std::string batch = StartBatchOn(web[0].container_instance_arn);
  RunFor(10);
  ASSERT_TRUE(region_->ec2().Interrupt({victim}, /*rebalance_first=*/false).ok());
  int64_t failed_before = Failed();

  ServiceOut& so = Engine();
  auto h = so.Submit(Spot(victim));
  auto out = RunToOutcome(h, 130);
  ASSERT_TRUE(out.has_value()) << "not serviced out within the notice";
  EXPECT_EQ(out->code, OutcomeCode::kServicedOut) << out->error;
  EXPECT_FALSE(out->deadline_missed);
  EXPECT_LT(out->finished, *out->deadline);
  EXPECT_EQ(out->cluster.find("prod") != std::string::npos, true);
  EXPECT_EQ(out->targets_deregistered, 1);
  EXPECT_EQ(out->batch_tasks_stopped, 1);
  EXPECT_EQ(out->tasks.size(), 2u);

  // The batch task was stopped at once, with a reason naming the interruption.
  auto stopped = region_->ecs().DescribeTasks("prod", {batch});
  ASSERT_TRUE(stopped.ok() && stopped->items.size() == 1);
  EXPECT_EQ(stopped->items[0].desired_status, "STOPPED");
  EXPECT_NE(stopped->items[0].stopped_reason.find("spot interruption"), std::string::npos)
      << stopped->items[0].stopped_reason;

  // EC2 takes the instance at the two-minute mark; nothing is in flight on it by then.
  RunFor(150);
  EXPECT_NE(InstanceState(victim), "running");
  EXPECT_EQ(Failed(), failed_before) << "service-out must drop no request";
  std::printf("spot interruption with service-out: %lld requests failed\n",
              static_cast<long long>(Failed() - failed_before));
  EXPECT_GT(region_->elbv2().Traffic(tg_)->served, 5000);
  auto after = Tasks("web");
  ASSERT_EQ(after.size(), 2u);
  for (const auto& t : after) EXPECT_NE(InstanceOfTask(t), victim);
}

// A mass interruption takes every instance a service runs on. Deregistering all its targets at
// once would leave the load balancer nothing to route to (every request fails until a
// replacement is healthy); the workflow keeps them until the replacements serve.
TEST_F(ServiceOutTest, EveryInstanceOfAServiceInterruptedAtOnceDropsNothing) {
  auto web = Tasks("web");
  ASSERT_EQ(web.size(), 2u);
  std::vector<std::string> victims = {InstanceOfTask(web[0]), InstanceOfTask(web[1])};
  ASSERT_NE(victims[0], victims[1]);
  ASSERT_TRUE(region_->ec2().Interrupt(victims, false).ok());
  int64_t failed_before = Failed();
  ServiceOut& so = Engine();
  auto a = so.Submit(Spot(victims[0]));
  auto b = so.Submit(Spot(victims[1]));
  RunUntil([&] { return ServiceOut::Poll(a) && ServiceOut::Poll(b); }, 130);
  ASSERT_TRUE(ServiceOut::Poll(a) && ServiceOut::Poll(b));
  for (const auto& h : {a, b}) {
    Outcome o = *ServiceOut::Poll(h);
    EXPECT_EQ(o.code, OutcomeCode::kServicedOut) << o.error;
    EXPECT_FALSE(o.deadline_missed);
  }
  RunFor(150);
  EXPECT_EQ(Failed(), failed_before);
  EXPECT_EQ(HealthyTargets(), 2);
}

// The baseline service-out is judged against: the same interruption with no terminator. The
// load balancer keeps routing to the doomed tasks until EC2 takes the instance and health
// checks notice, so requests fail. Both figures go to the test's output.
TEST_F(ServiceOutTest, TheSameInterruptionWithoutServiceOutDropsRequests) {
  auto web = Tasks("web");
  ASSERT_EQ(web.size(), 2u);
  std::string victim = InstanceOfTask(web[0]);
  int64_t failed_before = Failed();
  ASSERT_TRUE(region_->ec2().Interrupt({victim}, /*rebalance_first=*/false).ok());
  RunFor(300);
  int64_t dropped = Failed() - failed_before;
  std::printf("spot interruption without service-out: %lld requests failed\n",
              static_cast<long long>(dropped));
  RecordProperty("failed_without_service_out", std::to_string(dropped));
  EXPECT_GT(dropped, 0);
}

TEST_F(ServiceOutTest, LifecycleHookIsHeldWithHeartbeatsThenCompleted) {
  // A hook shorter than the drain: without heartbeats it would time out (ABANDON terminates
  // the instance) while its targets still drain.
  aws::LifecycleHook hook;
  hook.lifecycle_hook_name = "drain";
  hook.auto_scaling_group_name = "prod-spot";
  hook.heartbeat_timeout = 30;
  hook.default_result = "ABANDON";
  ASSERT_TRUE(region_->autoscaling().PutLifecycleHook(hook).ok());
  ASSERT_TRUE(
      region_->elbv2()
          .ModifyTargetGroupAttributes(tg_, {{"deregistration_delay.timeout_seconds", "45"}})
          .ok());
  auto web = Tasks("web");
  ASSERT_EQ(web.size(), 2u);
  std::string victim = InstanceOfTask(web[0]);
  ASSERT_TRUE(region_->autoscaling().TerminateInstanceInAutoScalingGroup(victim, false).ok());
  RunFor(1);
  int64_t failed_before = Failed();

  ServiceOutOptions o;
  o.deadline_margin = std::chrono::seconds(10);
  ServiceOut& so = Engine(o);
  ServiceOutRequest req{.trigger = Trigger::kLifecycleTerminate,
                        .instance_id = victim,
                        .event_time = clock_.Now(),
                        .lifecycle = LifecycleAction{"prod-spot", "drain", ""},
                        .detail = "Auto Scaling group prod-spot terminates the instance"};
  auto h = so.Submit(req);
  auto out = RunToOutcome(h, 200);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->code, OutcomeCode::kServicedOut) << out->error;
  EXPECT_EQ(out->lifecycle_completed, 1);
  EXPECT_FALSE(out->deadline_missed);
  EXPECT_GT(out->finished - out->started, std::chrono::seconds(30))
      << "the drain outlasted one heartbeat timeout, so heartbeats held the instance";
  // Completed with CONTINUE: the instance goes now, and nothing was dropped.
  RunFor(60);
  EXPECT_NE(InstanceState(victim), "running");
  EXPECT_EQ(Failed(), failed_before);
}

TEST_F(ServiceOutTest, DuplicateRequestsJoinTheRunningWorkflow) {
  std::string victim = InstanceOfTask(Tasks("web")[0]);
  ServiceOut& so = Engine();
  auto a = so.Submit(Spot(victim));
  auto b = so.Submit(Spot(victim));
  EXPECT_EQ(a, b);
  EXPECT_EQ(so.InFlight(), 1);
  auto out = RunToOutcome(a, 130);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->code, OutcomeCode::kServicedOut);
  // A redelivery after the end starts a new workflow that finds nothing left to do.
  auto again = so.Submit(Spot(victim));
  auto out2 = RunToOutcome(again, 30);
  ASSERT_TRUE(out2.has_value());
  EXPECT_EQ(out2->code, OutcomeCode::kServicedOut);
  EXPECT_EQ(out2->service_tasks_stopped + out2->batch_tasks_stopped, 0);
}

TEST_F(ServiceOutTest, InstanceInNoWatchedClusterIsReported) {
  ServiceOut& so = Engine();
  auto out = RunToOutcome(so.Submit(Spot("i-0123456789abcdef0")), 10);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->code, OutcomeCode::kNotInCluster);
}

TEST_F(ServiceOutTest, ARestartedDaemonResumesFromEcsAndElbState) {
  std::string victim = InstanceOfTask(Tasks("web")[0]);
  ASSERT_TRUE(region_->ec2().Interrupt({victim}, false).ok());
  int64_t failed_before = Failed();
  {
    ServiceOut& first = Engine();
    auto h = first.Submit(Spot(victim));
    RunFor(8);  // DRAINING set, targets deregistered, draining under way
    first.Stop();
    auto out = ServiceOut::Poll(h);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->code, OutcomeCode::kCancelled);
  }
  ServiceOut& second = Engine();
  auto out = RunToOutcome(second.Submit(Spot(victim)), 120);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->code, OutcomeCode::kServicedOut) << out->error;
  RunFor(60);
  EXPECT_EQ(Failed(), failed_before);
}

TEST_F(ServiceOutTest, StateChangeStopsEverythingAtOnce) {
  auto web = Tasks("web");
  std::string victim = InstanceOfTask(web[0]);
  ServiceOut& so = Engine();
  ServiceOutRequest req{.trigger = Trigger::kInstanceStateChange,
                        .instance_id = victim,
                        .event_time = clock_.Now(),
                        .deadline = clock_.Now(),
                        .detail = "instance state shutting-down"};
  auto out = RunToOutcome(so.Submit(req), 90);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->code, OutcomeCode::kServicedOut) << out->error;
  EXPECT_FALSE(out->deadline_missed) << "a state change has no deadline to miss";
  EXPECT_EQ(out->service_tasks_stopped, 1) << "no waiting for drain or replacement";
}

TEST_F(ServiceOutTest, AnInstanceWithNoTasksIsServicedOutAtOnce) {
  std::set<std::string> busy;
  for (const auto& t : Tasks("web")) busy.insert(InstanceOfTask(t));
  std::string idle;
  for (const auto& id : InstanceIds())
    if (!busy.count(id)) idle = id;
  ASSERT_FALSE(idle.empty());
  ServiceOut& so = Engine();
  auto out = RunToOutcome(so.Submit(Spot(idle)), 10);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->code, OutcomeCode::kServicedOut);
  EXPECT_TRUE(out->tasks.empty());
  EXPECT_LT(out->finished - out->started, std::chrono::seconds(5));
}

// The figure: a service of 20 tasks filling 10 instances, 5 of them interrupted at
// once, so the replacements have nowhere to go until Auto Scaling replaces the capacity. With
// the terminator the failed-request counter stays 0; with ECS's DRAINING-only behaviour (what
// the ECS agent's spot draining does) the old tasks wait for replacements that cannot be
// placed, still registered, and die with their instances.
class MassInterruptionTest : public FleetTest {
 protected:
  MassInterruptionTest() {
    instances_ = 10;
    web_tasks_ = 20;
    web_cpu_ = 1024;  // two per 2-vCPU instance: the cluster is full
  }
  std::vector<std::string> Victims() {
    std::set<std::string> ids;
    for (const auto& t : Tasks("web")) ids.insert(InstanceOfTask(t));
    std::vector<std::string> v(ids.begin(), ids.end());
    v.resize(5);
    return v;
  }
};

TEST_F(MassInterruptionTest, FiveInstancesAtOnceWithServiceOutDropNothing) {
  auto victims = Victims();
  ASSERT_TRUE(region_->ec2().Interrupt(victims, false).ok());
  int64_t failed_before = Failed();
  ServiceOut& so = Engine();
  std::vector<std::shared_ptr<ServiceOut::Handle>> hs;
  for (const auto& v : victims) hs.push_back(so.Submit(Spot(v)));
  RunToServicedOut(hs, 125);
  RunFor(400);  // termination, Auto Scaling's replacements, the service back to 20
  int64_t failed = Failed() - failed_before;
  std::printf(
      "5 of 10 instances interrupted, service of 20 tasks, with service-out: %lld "
      "requests failed\n",
      static_cast<long long>(failed));
  RecordProperty("failed_with_service_out", std::to_string(failed));
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(Tasks("web").size(), 20u) << "every service task replaced";
  EXPECT_EQ(HealthyTargets(), 20);
}

TEST_F(MassInterruptionTest, TheSameWithDrainingOnlyDropsRequests) {
  auto victims = Victims();
  ASSERT_TRUE(region_->ec2().Interrupt(victims, false).ok());
  int64_t failed_before = Failed();
  std::vector<std::string> arns;
  for (const auto& v : victims) {
    aws::ListContainerInstancesRequest req;
    req.cluster = "prod";
    req.filter = "ec2InstanceId == " + v;
    arns.push_back(region_->ecs().ListContainerInstances(req)->arns.at(0));
  }
  ASSERT_TRUE(region_->ecs().UpdateContainerInstancesState("prod", arns, "DRAINING").ok());
  RunFor(525);
  int64_t failed = Failed() - failed_before;
  std::printf(
      "5 of 10 instances interrupted, service of 20 tasks, ECS DRAINING only: %lld "
      "requests failed\n",
      static_cast<long long>(failed));
  RecordProperty("failed_draining_only", std::to_string(failed));
  EXPECT_GT(failed, 0);
}

// Interruptions spread over seconds: ECS places replacements for the first victims on
// instances whose own warning comes a moment later; those tasks are still PENDING (no host
// port) when their instance's workflow first looks, and must be deregistered and stopped like
// the others before the instance goes.
class StaggeredInterruptionTest : public FleetTest {
 protected:
  StaggeredInterruptionTest() {
    instances_ = 10;
    web_tasks_ = 30;
    web_cpu_ = 256;
  }
  // Interrupts `victims` one every `gap` seconds, each serviced out at once; then expects every
  // workflow to end serviced out, no request failed (naming the causes if some did) and the
  // service back to 30 tasks.
  void InterruptOneBy(const std::vector<std::string>& victims, int gap) {
    int64_t failed_before = Failed();
    ServiceOut& so = Engine();
    std::vector<std::shared_ptr<ServiceOut::Handle>> hs;
    for (const auto& v : victims) {
      ASSERT_TRUE(region_->ec2().Interrupt({v}, false).ok());
      hs.push_back(so.Submit(Spot(v)));
      RunFor(gap);
    }
    RunToServicedOut(hs, 125);
    RunFor(400);
    auto traffic = *region_->elbv2().Traffic(tg_);
    EXPECT_EQ(traffic.failed - failed_before, 0)
        << "cut " << traffic.failed_cut << ", drain end " << traffic.failed_drain_end
        << ", re-registered " << traffic.failed_reregistered << ", no target "
        << traffic.failed_no_target << ", refused " << traffic.failed_refused;
    EXPECT_EQ(Tasks("web").size(), 30u);
  }
};

TEST_F(StaggeredInterruptionTest, ReplacementsPlacedOnLaterVictimsAreServicedOutToo) {
  std::vector<std::string> victims = InstanceIds();
  victims.resize(8);
  InterruptOneBy(victims, 2);
}

// The benchmark's shape in small: every spot instance interrupted, one a second, with room for
// the replacements in an on-demand group.
TEST_F(StaggeredInterruptionTest, EverySpotInstanceOneASecondWithOnDemandRoom) {
  aws::CreateAutoScalingGroupRequest od;
  od.auto_scaling_group_name = "prod-od";
  od.launch_template = aws::AsgLaunchTemplate{
      .launch_template_name = "lt", .instance_type = "m5.2xlarge", .user_data = "ECS_CLUSTER=prod"};
  od.min_size = od.max_size = 4;
  od.desired_capacity = 4;
  od.availability_zones = {"us-east-1a"};
  ASSERT_TRUE(region_->autoscaling().CreateAutoScalingGroup(od).ok());
  ASSERT_TRUE(RunUntil([&] { return InstanceIds().size() == 14u; }, 300));
  std::vector<std::string> victims;
  for (const auto& id : InstanceIds())
    if (region_->ec2()
            .DescribeInstances({.instance_ids = {id}})
            ->front()
            .instances.front()
            .instance_lifecycle == "spot")
      victims.push_back(id);
  ASSERT_EQ(victims.size(), 10u);
  InterruptOneBy(victims, 1);
}

}  // namespace
}  // namespace steady::serviceout
