// Scenarios across the wired fleet models of one Region under a ManualClock: EC2 (through Auto
// Scaling) boots instances into ECS, the ECS service scheduler registers tasks in an ELBv2
// target group that carries traffic. What service-out will be judged by: draining an instance
// the ECS way moves the service with zero failed requests, while an instance that disappears
// under its tasks drops some.
#include <gtest/gtest.h>

#include "aws/autoscaling.h"
#include "aws/ecs.h"
#include "aws/elbv2.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "region/autoscaling_model.h"
#include "region/ec2_model.h"
#include "region/ecs_model.h"
#include "region/elbv2_model.h"
#include "region/region.h"

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

}  // namespace
}  // namespace steady::region
