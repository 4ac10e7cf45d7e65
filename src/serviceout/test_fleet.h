// A test fixture for the terminator: the local region's wired fleet in virtual time, with a
// spot Auto Scaling group in cluster "prod", a web service (2 tasks) behind target group "web"
// carrying 50 requests/s, a batch task definition "report", and the service-out engine.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "region/autoscaling_model.h"
#include "region/ec2_model.h"
#include "region/ecs_model.h"
#include "region/elbv2_model.h"
#include "region/region.h"
#include "serviceout/service_out.h"

namespace steady::serviceout {

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = region::Region::Open(region::RegionOptions{}, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    aws::Ecs& ecs = region_->ecs();
    ASSERT_TRUE(ecs.CreateCluster("prod", {}).ok());

    aws::CreateAutoScalingGroupRequest asg;
    asg.auto_scaling_group_name = "prod-spot";
    asg.mixed_instances_policy = aws::MixedInstancesPolicy{
        .launch_template = {.launch_template_name = "lt", .user_data = "ECS_CLUSTER=prod"},
        .overrides = {"m5.large", "c5.large"},
        .instances_distribution = {.on_demand_base_capacity = 0,
                                   .on_demand_percentage_above_base_capacity = 0}};
    asg.min_size = asg.max_size = instances_;
    asg.desired_capacity = instances_;
    asg.availability_zones = {"us-east-1a", "us-east-1b", "us-east-1c"};
    ASSERT_TRUE(region_->autoscaling().CreateAutoScalingGroup(asg).ok());
    ASSERT_TRUE(
        RunUntil([&] { return InstanceIds().size() == static_cast<size_t>(instances_); }, 300));

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
            .ModifyTargetGroupAttributes(tg_, {{"deregistration_delay.timeout_seconds", "30"}})
            .ok());

    aws::RegisterTaskDefinitionRequest web;
    web.family = "web";
    web.container_definitions = {{.name = "app", .image = "web:1", .cpu = web_cpu_, .memory = 512}};
    web.container_definitions[0].port_mappings = {{.container_port = 8080, .host_port = 0}};
    ASSERT_TRUE(ecs.RegisterTaskDefinition(web).ok());
    aws::RegisterTaskDefinitionRequest batch;
    batch.family = "report";
    batch.container_definitions = {{.name = "job", .image = "report:1", .cpu = 128, .memory = 256}};
    ASSERT_TRUE(ecs.RegisterTaskDefinition(batch).ok());

    aws::CreateServiceRequest svc;
    svc.cluster = "prod";
    svc.service_name = "web";
    svc.task_definition = "web";
    svc.desired_count = web_tasks_;
    svc.load_balancers = {{tg_, "app", 8080}};
    svc.placement_strategy = {{"spread", "instanceId"}};
    ASSERT_TRUE(ecs.CreateService(svc).ok());
    ASSERT_TRUE(RunUntil([&] { return HealthyTargets() == web_tasks_; }, 300));
    ASSERT_TRUE(region_->elbv2().SetTraffic(tg_, 50, 0.2).ok());
    RunFor(10);

    locator_ = std::make_unique<InstanceLocator>(InstanceLocator::Options{.clusters = {"prod"}},
                                                 region_->ecs(), clock_, metrics_);
  }

  void TearDown() override {
    if (so_) so_->Stop();
  }

  ServiceOut& Engine(ServiceOutOptions o = {}) {
    so_ = std::make_unique<ServiceOut>(
        o, ServiceOutClients{region_->ecs(), region_->elbv2(), &region_->autoscaling()}, *locator_,
        clock_, metrics_);
    return *so_;
  }

  // Lets running workflows reach their next wait on the clock, so that virtual time never runs
  // ahead of them.
  void Settle() {
    while (so_ && clock_.sleepers() < so_->InFlight()) std::this_thread::yield();
  }
  template <typename F>
  bool RunUntil(F done, int seconds) {
    for (int i = 0; i < seconds; ++i) {
      Settle();
      if (done()) return true;
      clock_.Advance(std::chrono::seconds(1));
      region_->TickFleet();
    }
    Settle();
    return done();
  }
  void RunFor(int seconds) {
    RunUntil([] { return false; }, seconds);
  }
  // Runs until every workflow ended (or `seconds`); asserts each was serviced out.
  void RunToServicedOut(const std::vector<std::shared_ptr<ServiceOut::Handle>>& hs, int seconds) {
    RunUntil(
        [&] {
          return std::all_of(hs.begin(), hs.end(),
                             [](const auto& h) { return ServiceOut::Poll(h).has_value(); });
        },
        seconds);
    for (const auto& h : hs) {
      auto o = ServiceOut::Poll(h);
      ASSERT_TRUE(o.has_value()) << "serviced out before termination";
      EXPECT_EQ(o->code, OutcomeCode::kServicedOut) << o->error;
      EXPECT_FALSE(o->deadline_missed) << o->instance_id;
      EXPECT_EQ(o->tasks_remaining, 0) << o->instance_id;
    }
  }
  std::optional<Outcome> RunToOutcome(const std::shared_ptr<ServiceOut::Handle>& h, int seconds) {
    RunUntil([&] { return ServiceOut::Poll(h).has_value(); }, seconds);
    return ServiceOut::Poll(h);
  }

  std::vector<std::string> InstanceIds() {
    aws::ListContainerInstancesRequest req;
    req.cluster = "prod";
    req.status = "ACTIVE";
    auto page = region_->ecs().ListContainerInstances(req);
    if (!page.ok() || page->arns.empty()) return {};
    auto d = region_->ecs().DescribeContainerInstances("prod", page->arns);
    std::vector<std::string> ids;
    if (d.ok())
      for (const auto& ci : d->items) ids.push_back(ci.ec2_instance_id);
    return ids;
  }

  std::vector<aws::EcsTask> Tasks(const std::string& service = "", const char* desired = "") {
    aws::ListTasksRequest req;
    req.cluster = "prod";
    req.service_name = service;
    req.desired_status = desired;
    auto page = region_->ecs().ListTasks(req);
    if (!page.ok() || page->arns.empty()) return {};
    auto d = region_->ecs().DescribeTasks("prod", page->arns);
    return d.ok() ? d->items : std::vector<aws::EcsTask>{};
  }

  std::string InstanceOfTask(const aws::EcsTask& t) {
    auto d = region_->ecs().DescribeContainerInstances("prod", {t.container_instance_arn});
    return d.ok() && !d->items.empty() ? d->items[0].ec2_instance_id : "";
  }

  int HealthyTargets() {
    auto health = region_->elbv2().DescribeTargetHealth(tg_, {});
    if (!health.ok()) return -1;
    int n = 0;
    for (const auto& h : *health) n += h.target_health.state == "healthy";
    return n;
  }

  int64_t Failed() { return region_->elbv2().Traffic(tg_)->failed; }

  std::string StartBatchOn(const std::string& container_instance_arn) {
    aws::StartTaskRequest st;
    st.cluster = "prod";
    st.task_definition = "report";
    st.container_instances = {container_instance_arn};
    st.started_by = "test";
    auto r = region_->ecs().StartTask(st);
    EXPECT_TRUE(r.ok() && r->items.size() == 1);
    return r.ok() && !r->items.empty() ? r->items[0].task_arn : "";
  }

  std::string InstanceState(const std::string& id) {
    auto r = region_->ec2().DescribeInstances({.instance_ids = {id}});
    if (!r.ok() || r->empty() || r->front().instances.empty()) return "gone";
    return r->front().instances.front().state.name;
  }

  ServiceOutRequest Spot(const std::string& id) {
    return ServiceOutRequest{.trigger = Trigger::kSpotInterruption,
                             .instance_id = id,
                             .event_time = clock_.Now(),
                             .deadline = clock_.Now() + kSpotNotice,
                             .detail = "spot interruption warning"};
  }

  // The fleet's shape; a derived fixture may change it in its constructor.
  int instances_ = 3;  // spot m5.large / c5.large: 2 vCPU each
  int web_tasks_ = 2;
  int web_cpu_ = 256;

  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
  MetricsRegistry metrics_;
  std::unique_ptr<region::Region> region_;
  std::unique_ptr<InstanceLocator> locator_;
  std::unique_ptr<ServiceOut> so_;
  std::string tg_;
};

}  // namespace steady::serviceout
