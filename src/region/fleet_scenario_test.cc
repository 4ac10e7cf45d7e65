// Scenarios across the wired fleet models of one Region under a ManualClock: EC2 (through Auto
// Scaling) boots instances into ECS, the ECS service scheduler registers tasks in an ELBv2
// target group that carries traffic. What service-out will be judged by: draining an instance
// the ECS way moves the service with zero failed requests, while an instance that disappears
// under its tasks drops some.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "aws/autoscaling.h"
#include "aws/ecs.h"
#include "aws/elbv2.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "region/autoscaling_model.h"
#include "region/ec2_model.h"
#include "region/ecs_model.h"
#include "region/elbv2_model.h"
#include "region/events_model.h"
#include "region/region.h"
#include "region/sqs_model.h"

namespace steady::region {
namespace {

class FleetScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = Region::Open(RegionOptions{}, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    aws::Ecs& ecs = region_->ecs();
    ASSERT_TRUE(ecs.CreateCluster("prod", {}).ok());

    aws::CreateAutoScalingGroupRequest asg;
    asg.auto_scaling_group_name = "prod-od";
    asg.launch_template = aws::AsgLaunchTemplate{
        .launch_template_name = "lt", .instance_type = "m5.large", .user_data = "ECS_CLUSTER=prod"};
    asg.min_size = asg.max_size = 3;
    asg.desired_capacity = 3;
    asg.availability_zones = {"us-east-1a", "us-east-1b", "us-east-1c"};
    asg.tags = {{"ECS_CLUSTER", "prod", true}};
    ASSERT_TRUE(region_->autoscaling().CreateAutoScalingGroup(asg).ok());
    ASSERT_TRUE(RunUntil([&] { return ContainerInstances().size() == 3; }, 300))
        << "instances did not boot into the cluster";

    aws::CreateTargetGroupRequest tg;
    tg.name = "web";
    tg.health_check_interval_seconds = 5;
    tg.healthy_threshold_count = 2;
    tg.unhealthy_threshold_count = 2;
    auto created = region_->elbv2().CreateTargetGroup(tg);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    tg_ = created->target_group_arn;
    ASSERT_TRUE(
        region_->elbv2()
            .ModifyTargetGroupAttributes(tg_, {{"deregistration_delay.timeout_seconds", "20"}})
            .ok());

    aws::RegisterTaskDefinitionRequest td;
    td.family = "web";
    aws::ContainerDefinition app;
    app.name = "app";
    app.image = "web:1";
    app.cpu = 256;
    app.memory = 512;
    app.port_mappings = {{.container_port = 8080, .host_port = 0}};
    td.container_definitions = {app};
    ASSERT_TRUE(ecs.RegisterTaskDefinition(td).ok());

    aws::CreateServiceRequest svc;
    svc.cluster = "prod";
    svc.service_name = "web";
    svc.task_definition = "web";
    svc.desired_count = 2;
    svc.load_balancers = {{tg_, "app", 8080}};
    svc.placement_strategy = {{"spread", "instanceId"}};
    auto service = ecs.CreateService(svc);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    ASSERT_TRUE(RunUntil([&] { return HealthyTargets() == 2; }, 300))
        << "the service's tasks did not become healthy targets";
    // Traffic starts once the service serves (with no healthy target every request fails).
    ASSERT_TRUE(region_->elbv2().SetTraffic(tg_, 50, 0.2).ok());
  }

  // Advances the clock a second at a time, ticking the fleet, until `done` or `seconds` pass.
  template <typename F>
  bool RunUntil(F done, int seconds) {
    for (int i = 0; i < seconds; ++i) {
      if (done()) return true;
      clock_.Advance(std::chrono::seconds(1));
      region_->TickFleet();
    }
    return done();
  }
  void RunFor(int seconds) {
    RunUntil([] { return false; }, seconds);
  }

  std::vector<aws::ContainerInstance> ContainerInstances() {
    aws::ListContainerInstancesRequest req;
    req.cluster = "prod";
    auto page = region_->ecs().ListContainerInstances(req);
    if (!page.ok() || page->arns.empty()) return {};
    auto described = region_->ecs().DescribeContainerInstances("prod", page->arns);
    return described.ok() ? described->items : std::vector<aws::ContainerInstance>{};
  }

  int HealthyTargets() {
    auto health = region_->elbv2().DescribeTargetHealth(tg_, {});
    if (!health.ok()) return -1;
    int n = 0;
    for (const auto& h : *health) n += h.target_health.state == "healthy";
    return n;
  }

  std::vector<aws::EcsTask> RunningTasks() {
    aws::ListTasksRequest req;
    req.cluster = "prod";
    req.service_name = "web";
    auto page = region_->ecs().ListTasks(req);
    if (!page.ok() || page->arns.empty()) return {};
    auto tasks = region_->ecs().DescribeTasks("prod", page->arns);
    std::vector<aws::EcsTask> out;
    if (!tasks.ok()) return out;
    for (const auto& t : tasks->items)
      if (t.last_status == "RUNNING") out.push_back(t);
    return out;
  }

  std::string InstanceOf(const std::string& container_instance_arn) {
    for (const auto& ci : ContainerInstances())
      if (ci.container_instance_arn == container_instance_arn) return ci.ec2_instance_id;
    return "";
  }

  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
  MetricsRegistry metrics_;
  std::unique_ptr<Region> region_;
  std::string tg_;
};

TEST_F(FleetScenarioTest, DrainingAnInstanceMovesTheServiceWithoutFailedRequests) {
  auto tasks = RunningTasks();
  ASSERT_EQ(tasks.size(), 2u);
  std::string drained = tasks[0].container_instance_arn;
  auto updated = region_->ecs().UpdateContainerInstancesState("prod", {drained}, "DRAINING");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();

  RunFor(180);

  auto after = RunningTasks();
  ASSERT_EQ(after.size(), 2u);
  for (const auto& t : after) EXPECT_NE(t.container_instance_arn, drained);
  EXPECT_EQ(HealthyTargets(), 2);
  auto traffic = region_->elbv2().Traffic(tg_);
  ASSERT_TRUE(traffic.ok());
  EXPECT_GT(traffic->served, 5000);
  EXPECT_EQ(traffic->failed, 0) << "ECS draining with deregistration first drops nothing";
}

TEST_F(FleetScenarioTest, AnInstanceTerminatedUnderItsTasksDropsRequests) {
  auto tasks = RunningTasks();
  ASSERT_EQ(tasks.size(), 2u);
  std::string victim = InstanceOf(tasks[0].container_instance_arn);
  ASSERT_FALSE(victim.empty());
  auto terminated = region_->ec2().TerminateInstances({victim});
  ASSERT_TRUE(terminated.ok()) << terminated.status().ToString();

  RunFor(300);

  auto traffic = region_->elbv2().Traffic(tg_);
  ASSERT_TRUE(traffic.ok());
  EXPECT_GT(traffic->failed, 0) << "without service-out, requests in flight and routed to the "
                                   "dead target until health checks notice must fail";
  // The fleet heals: Auto Scaling replaces the instance and the scheduler the task.
  EXPECT_EQ(RunningTasks().size(), 2u);
  EXPECT_EQ(HealthyTargets(), 2);
}

// ---- Lifecycle hook timeout (issue 6) ----
//
// A Terminating:Wait hook holds an instance the group terminates until somebody completes the
// action or its heartbeat timeout passes; the notification reaches SQS in Auto Scaling's direct
// format. For a terminating hook both DefaultResults end the same way: the instance goes.
class LifecycleHookTest : public FleetScenarioTest {
 protected:
  void SetUp() override {
    FleetScenarioTest::SetUp();
    if (HasFatalFailure()) return;
    auto url = region_->sqs().CreateQueue("lifecycle", {});
    ASSERT_TRUE(url.ok());
    queue_ = *url;
  }

  void PutHook(const std::string& default_result, int heartbeat_seconds = 120) {
    aws::LifecycleHook hook;
    hook.lifecycle_hook_name = "drain";
    hook.auto_scaling_group_name = "prod-od";
    hook.notification_target_arn = *region_->sqs().QueueArn(queue_);
    hook.heartbeat_timeout = heartbeat_seconds;
    hook.default_result = default_result;
    hook.notification_metadata = "service-out";
    ASSERT_TRUE(region_->autoscaling().PutLifecycleHook(hook).ok());
    auto test = Messages();
    ASSERT_EQ(test.size(), 1u);
    EXPECT_EQ(test[0]["Event"], "autoscaling:TEST_NOTIFICATION");
    EXPECT_EQ(test[0]["AutoScalingGroupName"], "prod-od");
  }

  // Every message waiting in the hook's queue (received and deleted).
  std::vector<nlohmann::json> Messages() {
    std::vector<nlohmann::json> out;
    for (;;) {
      aws::ReceiveMessageRequest r;
      r.queue_url = queue_;
      r.max_number_of_messages = 10;
      r.wait_time_seconds = 0;
      auto got = region_->sqs().ReceiveMessage(r);
      if (!got.ok() || got->empty()) break;
      for (const auto& m : *got) {
        out.push_back(nlohmann::json::parse(m.body));
        (void)region_->sqs().DeleteMessage(queue_, m.receipt_handle);
      }
    }
    return out;
  }

  // Terminates an in-service instance of the group that runs a task of the service; returns
  // its id and the lifecycle action token from the SQS message.
  std::pair<std::string, std::string> TerminateOne() {
    auto tasks = RunningTasks();
    EXPECT_FALSE(tasks.empty());
    if (tasks.empty()) return {};
    std::string id = InstanceOf(tasks[0].container_instance_arn);
    auto r = region_->autoscaling().TerminateInstanceInAutoScalingGroup(id, false);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    auto msgs = Messages();
    EXPECT_EQ(msgs.size(), 1u);
    if (msgs.empty()) return {id, ""};
    const auto& m = msgs[0];
    // The direct (non-SNS) format of a lifecycle notification.
    EXPECT_EQ(m["Origin"], "AutoScalingGroup");
    EXPECT_EQ(m["Destination"], "EC2");
    EXPECT_EQ(m["Service"], "AWS Auto Scaling");
    EXPECT_EQ(m["LifecycleTransition"], "autoscaling:EC2_INSTANCE_TERMINATING");
    EXPECT_EQ(m["LifecycleHookName"], "drain");
    EXPECT_EQ(m["AutoScalingGroupName"], "prod-od");
    EXPECT_EQ(m["EC2InstanceId"], id);
    EXPECT_EQ(m["NotificationMetadata"], "service-out");
    EXPECT_EQ(m["AccountId"], "000000000000");
    EXPECT_TRUE(m.contains("RequestId") && m.contains("Time"));
    EXPECT_FALSE(m.value("LifecycleActionToken", "").empty());
    return {id, m.value("LifecycleActionToken", "")};
  }

  std::string AsgState(const std::string& id) {
    auto d = region_->autoscaling().DescribeAutoScalingInstances({id});
    return d.ok() && !d->empty() ? (*d)[0].instance.lifecycle_state : "";
  }
  // The instance still serves: EC2 running, and ECS still runs its tasks.
  bool Held(const std::string& id) {
    return AsgState(id) == "Terminating:Wait" && region_->ec2().InstanceStateName(id) == "running";
  }
  bool Gone(const std::string& id) {
    std::string s = region_->ec2().InstanceStateName(id);
    return s == "shutting-down" || s == "terminated";
  }

  std::string queue_;
};

class LifecycleHookTimeoutTest : public LifecycleHookTest,
                                 public ::testing::WithParamInterface<std::string> {};

TEST_P(LifecycleHookTimeoutTest, NobodyCompletesSoTheHeartbeatTimeoutTerminates) {
  PutHook(GetParam(), 120);
  auto [id, token] = TerminateOne();
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(Held(id)) << AsgState(id);
  RunFor(119);
  EXPECT_TRUE(Held(id)) << "held for the whole heartbeat timeout; state " << AsgState(id);
  // The group already launched the replacement (ShouldDecrementDesiredCapacity false).
  RunFor(1);
  EXPECT_TRUE(Gone(id)) << "DefaultResult " << GetParam() << " lets the termination proceed";
  EXPECT_FALSE(region_->autoscaling()
                   .CompleteLifecycleAction({"drain", "prod-od", token, "", "CONTINUE"})
                   .ok())
      << "the action is over";
  RunFor(120);
  EXPECT_EQ(region_->ec2().InstanceStateName(id), "terminated");
  EXPECT_EQ(AsgState(id), "") << "left the group";
  // The fleet heals: the group is back at 3 instances in the cluster, the service at 2.
  EXPECT_TRUE(RunUntil([&] { return ContainerInstances().size() == 3; }, 120));
  EXPECT_TRUE(RunUntil([&] { return RunningTasks().size() == 2u && HealthyTargets() == 2; }, 120));
}

INSTANTIATE_TEST_SUITE_P(DefaultResult, LifecycleHookTimeoutTest,
                         ::testing::Values("CONTINUE", "ABANDON"));

TEST_F(LifecycleHookTest, HeartbeatExtendsTheHold) {
  PutHook("ABANDON", 120);
  auto [id, token] = TerminateOne();
  ASSERT_FALSE(token.empty());
  RunFor(100);
  ASSERT_TRUE(Held(id));
  ASSERT_TRUE(
      region_->autoscaling().RecordLifecycleActionHeartbeat("drain", "prod-od", token, "").ok());
  RunFor(100);  // 200 s after the termination, 100 s after the heartbeat
  EXPECT_TRUE(Held(id)) << "the heartbeat pushed the timeout to 220 s; state " << AsgState(id);
  // By instance id instead of token, as the API allows.
  ASSERT_TRUE(
      region_->autoscaling().RecordLifecycleActionHeartbeat("drain", "prod-od", "", id).ok());
  RunFor(119);
  EXPECT_TRUE(Held(id));
  RunFor(1);
  EXPECT_TRUE(Gone(id)) << AsgState(id);
  EXPECT_FALSE(
      region_->autoscaling().RecordLifecycleActionHeartbeat("drain", "prod-od", token, "").ok());
}

TEST_F(LifecycleHookTest, CompleteLifecycleActionReleasesAtOnce) {
  PutHook("ABANDON", 120);
  auto [id, token] = TerminateOne();
  ASSERT_FALSE(token.empty());
  RunFor(10);
  ASSERT_TRUE(Held(id));
  // What service-out does once the instance is drained.
  auto bad = region_->autoscaling().CompleteLifecycleAction(
      {"drain", "prod-od", "not-a-token", "", "CONTINUE"});
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(Held(id));
  ASSERT_TRUE(region_->autoscaling()
                  .CompleteLifecycleAction({"drain", "prod-od", token, "", "CONTINUE"})
                  .ok());
  EXPECT_TRUE(Gone(id)) << "EC2 terminates in the same call; state " << AsgState(id);
}

// ---- Spot interruptions at a random rate ----
//
// The fleet models wired as region.cc wires them (the Region does not expose EC2's random
// interruption rate), with a Spot Fleet booting into an ECS cluster: at a high rate every
// interruption gives a warning event, the instance terminates two minutes later (its tasks stop
// with SpotInterruption), and the Spot Fleet launches replacements that register again.
class SpotRateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto noop = [](std::string_view) { return Status::Ok(); };
    journal_ = *Journal::Open({}, noop, noop);
    ctx_ = std::make_unique<RegionContext>(clock_, *journal_);
    sqs_ = std::make_unique<SqsModel>(*ctx_);
    events_ = std::make_unique<EventsModel>(*ctx_, *sqs_);
    ec2_ = std::make_unique<Ec2Model>(
        *ctx_, events_.get(),
        Ec2ModelOptions{.spot_interruptions_per_hour = 6, .rebalance_probability = 0.5, .seed = 3});
    elb_ = std::make_unique<Elbv2Model>(*ctx_);
    ecs_ = std::make_unique<EcsModel>(*ctx_);
    ec2_->SetLinks(ecs_.get(), elb_.get());
    ecs_->SetLinks(elb_.get(), ec2_.get());
    events_url_ = *sqs_->CreateQueue("fleet-events", {});
    aws::PutRuleRequest rule;
    rule.name = "spot";
    rule.event_pattern = R"({"source":["aws.ec2"],"detail-type":[)"
                         R"("EC2 Spot Instance Interruption Warning",)"
                         R"("EC2 Instance Rebalance Recommendation",)"
                         R"("EC2 Instance State-change Notification"]})";
    ASSERT_TRUE(events_->PutRule(rule).ok());
    ASSERT_TRUE(events_->PutTargets("spot", "", {{"q", *sqs_->QueueArn(events_url_)}}).ok());
    ASSERT_TRUE(ecs_->CreateCluster("batch", {}).ok());
  }

  void Tick() {
    ec2_->Tick();
    ecs_->Tick();
    elb_->Tick();
  }

  std::vector<nlohmann::json> Events() {
    std::vector<nlohmann::json> out;
    for (;;) {
      aws::ReceiveMessageRequest r;
      r.queue_url = events_url_;
      r.max_number_of_messages = 10;
      auto got = sqs_->ReceiveMessage(r);
      if (!got.ok() || got->empty()) break;
      for (const auto& m : *got) {
        out.push_back(nlohmann::json::parse(m.body));
        (void)sqs_->DeleteMessage(events_url_, m.receipt_handle);
      }
    }
    return out;
  }

  int ActiveContainerInstances() {
    aws::ListContainerInstancesRequest req;
    req.cluster = "batch";
    req.status = "ACTIVE";
    auto page = ecs_->ListContainerInstances(req);
    return page.ok() ? static_cast<int>(page->arns.size()) : -1;
  }

  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RegionContext> ctx_;
  std::unique_ptr<SqsModel> sqs_;
  std::unique_ptr<EventsModel> events_;
  std::unique_ptr<Ec2Model> ec2_;
  std::unique_ptr<Elbv2Model> elb_;
  std::unique_ptr<EcsModel> ecs_;
  std::string events_url_;
};

TEST_F(SpotRateTest, RandomInterruptionsWarnThenTerminateAndTheFleetReplaces) {
  aws::SpotFleetRequestConfigData config;
  config.iam_fleet_role = "arn:aws:iam::000000000000:role/fleet";
  config.target_capacity = 10;
  config.launch_specifications = {{"c5.large", 1.0, "", "", "ECS_CLUSTER=batch", {}}};
  auto fleet = ec2_->RequestSpotFleet(config);
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  aws::RegisterTaskDefinitionRequest td;
  td.family = "job";
  aws::ContainerDefinition app;
  app.name = "app";
  app.image = "job:1";
  app.cpu = 512;
  app.memory = 512;
  td.container_definitions = {app};
  ASSERT_TRUE(ecs_->RegisterTaskDefinition(td).ok());

  // 6 interruptions per instance-hour over 10 instances for 30 minutes: ~30 expected.
  std::map<std::string, Time> warned, terminated;  // instance → when
  std::set<std::string> rebalanced;
  std::set<std::string> seen_instances;
  int stopped_by_spot = 0;
  for (int s = 0; s < 1800; ++s) {
    clock_.Advance(std::chrono::seconds(1));
    Tick();
    if (s == 70) {  // the fleet booted: one task on every instance (random placement)
      ASSERT_EQ(ActiveContainerInstances(), 10);
    }
    if (s >= 70 && s % 10 == 0) {
      // Keep a task on every registered instance (RunTask fails when nothing fits: fine).
      aws::RunTaskRequest run;
      run.cluster = "batch";
      run.task_definition = "job";
      run.count = 10;
      run.placement_constraints = {{"distinctInstance", ""}};
      (void)ecs_->RunTask(run);
    }
    for (const auto& e : Events()) {
      std::string type = e["detail-type"];
      if (type == "EC2 Spot Instance Interruption Warning") {
        EXPECT_EQ(e["detail"]["instance-action"], "terminate");
        std::string id = e["detail"]["instance-id"];
        EXPECT_FALSE(warned.count(id)) << "one warning per instance";
        warned[id] = clock_.Now();
      } else if (type == "EC2 Instance Rebalance Recommendation") {
        rebalanced.insert(e["detail"]["instance-id"].get<std::string>());
      } else if (e["detail"].value("state", "") == "shutting-down") {
        terminated[e["detail"]["instance-id"]] = clock_.Now();
      } else if (e["detail"].value("state", "") == "running") {
        seen_instances.insert(e["detail"]["instance-id"].get<std::string>());
      }
    }
  }
  EXPECT_GE(warned.size(), 10u) << "a high rate interrupts many instances";
  EXPECT_FALSE(rebalanced.empty()) << "some interruptions recommend rebalancing first";
  int checked = 0;
  for (const auto& [id, at] : warned) {
    auto t = terminated.find(id);
    if (at + std::chrono::seconds(120) > clock_.Now()) continue;  // warned in the last 2 min
    ASSERT_NE(t, terminated.end()) << id << " was warned but never terminated";
    EXPECT_EQ(t->second - at, std::chrono::seconds(120)) << id;
    ++checked;
  }
  EXPECT_GE(checked, 10);
  for (const auto& [id, at] : terminated) EXPECT_TRUE(warned.count(id)) << id << " not warned";

  // ECS saw the hosts go: tasks stopped with SpotInterruption.
  aws::ListTasksRequest req;
  req.cluster = "batch";
  req.desired_status = "STOPPED";
  for (;;) {
    auto page = ecs_->ListTasks(req);
    ASSERT_TRUE(page.ok());
    if (!page->arns.empty()) {
      auto d = ecs_->DescribeTasks("batch", page->arns);
      ASSERT_TRUE(d.ok());
      for (const auto& t : d->items) stopped_by_spot += t.stop_code == "SpotInterruption";
    }
    if (page->next_token.empty()) break;
    req.next_token = page->next_token;
  }
  EXPECT_GT(stopped_by_spot, 0);

  // The Spot Fleet kept its capacity: replacements launched for what was lost, the request holds
  // 10 pending or running instances, and the running ones are in the cluster.
  EXPECT_GT(seen_instances.size(), 10u + warned.size() / 2);
  auto fr = ec2_->DescribeSpotFleetRequests({*fleet});
  ASSERT_TRUE(fr.ok());
  EXPECT_EQ((*fr)[0].spot_fleet_request_state, "active");
  auto members = ec2_->DescribeSpotFleetInstances(*fleet);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(members->size(), 10u) << "maintain: lost capacity is replaced";
  int running = 0;
  for (const auto& m : *members) running += ec2_->InstanceStateName(m.instance_id) == "running";
  EXPECT_GE(running, 5);
  EXPECT_EQ(ActiveContainerInstances(), running) << "every running spot instance is registered";
}

}  // namespace
}  // namespace steady::region
