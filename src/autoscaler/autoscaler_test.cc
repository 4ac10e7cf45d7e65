// steady autoscaler end to end in the local region's models, in virtual time: an on-demand
// Auto Scaling group and a Spot Fleet (1:4) of m5.large in cluster "prod".
#include "autoscaler/autoscaler.h"

#include <gtest/gtest.h>

#include <thread>

#include "region/autoscaling_model.h"
#include "region/cloudwatch_model.h"
#include "region/ec2_model.h"
#include "region/ecs_model.h"
#include "region/elbv2_model.h"
#include "region/region.h"

namespace steady::autoscaler {
namespace {

using std::chrono::seconds;

class AutoscalerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = region::Region::Open(region::RegionOptions{}, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    ASSERT_TRUE(region_->ecs().CreateCluster("prod", {}).ok());
    aws::CreateAutoScalingGroupRequest od;
    od.auto_scaling_group_name = "prod-od";
    od.launch_template = aws::AsgLaunchTemplate{
        .launch_template_name = "lt", .instance_type = "m5.large", .user_data = "ECS_CLUSTER=prod"};
    od.min_size = 1;
    od.max_size = 10;
    od.desired_capacity = 1;
    od.availability_zones = {"us-east-1a", "us-east-1b"};
    ASSERT_TRUE(region_->autoscaling().CreateAutoScalingGroup(od).ok());
    aws::SpotFleetRequestConfigData spot;
    spot.target_capacity = 1;
    spot.launch_specifications = {{.instance_type = "m5.large",
                                   .user_data = "ECS_CLUSTER=prod",
                                   .tags = {{"steady:spot-fleet", "prod-spot"}}}};
    auto fleet = region_->ec2().RequestSpotFleet(spot);
    ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
    fleet_ = *fleet;
    ASSERT_TRUE(RunUntil([&] { return Registered() == 2; }, 300));

    aws::RegisterTaskDefinitionRequest web;
    web.family = "web";
    web.container_definitions = {{.name = "app", .image = "web:1", .cpu = 512, .memory = 1024}};
    ASSERT_TRUE(region_->ecs().RegisterTaskDefinition(web).ok());
    aws::RegisterTaskDefinitionRequest job;
    job.family = "job";
    job.container_definitions = {{.name = "job", .image = "job:1", .cpu = 256, .memory = 512}};
    ASSERT_TRUE(region_->ecs().RegisterTaskDefinition(job).ok());
  }

  void TearDown() override {
    if (scaler_) scaler_->Stop();
  }

  AutoscalerOptions Options() {
    ClusterPolicy p;
    p.cluster = "prod";
    p.groups = {{.name = "prod-od", .min = 1, .max = 10},
                {.name = "prod-spot",
                 .kind = GroupConfig::Kind::kSpotFleet,
                 .purchase = Purchase::kSpot,
                 .min = 1,
                 .max = 40}};
    p.stalled_grace = seconds(10);
    p.scale_in_after = seconds(60);
    p.scale_out_cooldown = seconds(30);
    p.scale_in_cooldown = seconds(60);
    AutoscalerOptions o;
    o.clusters = {p};
    o.service_out.poll_interval = seconds(1);
    return o;
  }

  Autoscaler& Scaler(AutoscalerOptions o) {
    scaler_ = std::make_unique<Autoscaler>(
        o,
        AutoscalerClients{region_->ecs(), region_->ec2(), region_->autoscaling(), region_->elbv2(),
                          nullptr},
        clock_, metrics_);
    Status s = scaler_->Resolve();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return *scaler_;
  }

  // Lets the scale-in workflows reach their next wait on the clock.
  void Settle() {
    while (scaler_ && clock_.sleepers() < scaler_->service_out().InFlight())
      std::this_thread::yield();
  }
  // Advances one second at a time: region tick, then (if any) one autoscaler evaluation.
  template <typename F>
  bool RunUntil(F done, int secs) {
    for (int i = 0; i < secs; ++i) {
      Settle();
      if (done()) return true;
      clock_.Advance(seconds(1));
      region_->TickFleet();
      if (scaler_) {
        Settle();
        Status s = scaler_->EvaluateOnce();
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    }
    Settle();
    return done();
  }

  std::vector<aws::ContainerInstance> ContainerInstances(const char* status = "ACTIVE") {
    aws::ListContainerInstancesRequest req;
    req.cluster = "prod";
    req.status = status;
    auto page = region_->ecs().ListContainerInstances(req);
    if (!page.ok() || page->arns.empty()) return {};
    auto d = region_->ecs().DescribeContainerInstances("prod", page->arns);
    return d.ok() ? d->items : std::vector<aws::ContainerInstance>{};
  }
  int Registered() { return static_cast<int>(ContainerInstances().size()); }

  int OdDesired() {
    return (*region_->autoscaling().DescribeAutoScalingGroups({"prod-od"}))[0].desired_capacity;
  }
  int SpotTarget() {
    return (*region_->ec2().DescribeSpotFleetRequests({fleet_}))[0].config.target_capacity;
  }

  aws::EcsService Service(const std::string& name) {
    return (*region_->ecs().DescribeServices("prod", {name})).items[0];
  }
  void CreateService(const std::string& name, int desired) {
    aws::CreateServiceRequest svc;
    svc.cluster = "prod";
    svc.service_name = name;
    svc.task_definition = "web";
    svc.desired_count = desired;
    ASSERT_TRUE(region_->ecs().CreateService(svc).ok());
  }

  std::string InstanceState(const std::string& id) {
    auto r = region_->ec2().DescribeInstances({.instance_ids = {id}});
    if (!r.ok() || r->empty() || r->front().instances.empty()) return "gone";
    return r->front().instances.front().state.name;
  }

  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
  MetricsRegistry metrics_;
  std::unique_ptr<region::Region> region_;
  std::unique_ptr<Autoscaler> scaler_;
  std::string fleet_;
};

TEST_F(AutoscalerTest, ResolvesGroupsFromAws) {
  Autoscaler& a = Scaler(Options());
  const auto& groups = a.clusters()[0].groups;
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].purchase, Purchase::kOnDemand);
  ASSERT_FALSE(groups[0].instance_types.empty());
  EXPECT_EQ(groups[0].instance_types[0].name, "m5.large");
  EXPECT_GT(groups[0].instance_types[0].capacity.cpu, 0);
  // The fleet was named by its tag; the policy knows it by its request id.
  EXPECT_EQ(groups[1].name, fleet_);
  EXPECT_EQ(groups[1].purchase, Purchase::kSpot);

  AutoscalerOptions o = Options();
  o.clusters[0].groups[1].name = "no-such-fleet";
  auto bad = std::make_unique<Autoscaler>(
      o,
      AutoscalerClients{region_->ecs(), region_->ec2(), region_->autoscaling(), region_->elbv2(),
                        nullptr},
      clock_, metrics_);
  EXPECT_EQ(bad->Resolve().code(), StatusCode::kNotFound);
}

TEST_F(AutoscalerTest, CapacityBurstGetsItsWholeStepInOneDecisionSplitByTheRatio) {
  Autoscaler& a = Scaler(Options());
  Time t0 = clock_.Now();
  for (int i = 0; i < 200; ++i)
    a.capacity().Add({.cluster = "prod",
                      .request = {.task_id = "job-" + std::to_string(i),
                                  .group_name = "batch",
                                  .task = {256, 512},
                                  .received = t0}});
  ASSERT_TRUE(a.EvaluateOnce().ok());
  Decision d = a.LastDecision("prod");
  ASSERT_EQ(d.pending_tasks, 200);
  // 200 tasks of 256 CPU units on m5.large (2048 units): 25 instances, in one decision.
  int added = OdDesired() - 1 + SpotTarget() - 1;
  EXPECT_GE(added, 25);
  EXPECT_LE(added, 27);
  // About one in five on demand.
  double share = static_cast<double>(OdDesired()) / (OdDesired() + SpotTarget());
  EXPECT_NEAR(share, 0.2, 0.05);
  // The next evaluation counts the capacity already requested: no second step.
  int od = OdDesired(), spot = SpotTarget();
  clock_.Advance(seconds(1));
  ASSERT_TRUE(a.EvaluateOnce().ok());
  EXPECT_EQ(OdDesired(), od);
  EXPECT_EQ(SpotTarget(), spot);
  // Reaction time was measured (one evaluation after the requests: 0 s here).
  std::string m = metrics_.Render();
  EXPECT_NE(m.find("steady_autoscaler_reaction_seconds_count 200"), std::string::npos) << m;
}

TEST_F(AutoscalerTest, StalledServiceScalesOutAfterItsGraceAndGetsPlaced) {
  Autoscaler& a = Scaler(Options());
  CreateService("web", 12);  // 12 × 512 CPU: 6144 units; two m5.large hold 8
  ASSERT_TRUE(RunUntil([&] { return OdDesired() + SpotTarget() > 2; }, 60));
  EXPECT_TRUE(RunUntil(
      [&] {
        auto s = Service("web");
        return s.running_count == 12;
      },
      600));
  // Never past the group maxima, and the ratio is kept.
  EXPECT_LE(OdDesired(), 10);
  EXPECT_GE(a.LastDecision("prod").signals.size(), 0u);
}

TEST_F(AutoscalerTest, ReservationFromCloudWatchWhenAsked) {
  region::CloudWatchModel* cw = nullptr;
  for (region::ServiceModel* m : region_->models())
    if (auto* c = dynamic_cast<region::CloudWatchModel*>(m)) cw = c;
  ASSERT_NE(cw, nullptr);
  AutoscalerOptions o = Options();
  o.reservation_source = "cloudwatch";
  scaler_ = std::make_unique<Autoscaler>(
      o,
      AutoscalerClients{region_->ecs(), region_->ec2(), region_->autoscaling(), region_->elbv2(),
                        nullptr, cw},
      clock_, metrics_);
  ASSERT_TRUE(scaler_->Resolve().ok());
  // No figure yet (the region publishes once a minute): ECS's idle cluster, no change, counted.
  ASSERT_TRUE(scaler_->EvaluateOnce().ok());
  EXPECT_TRUE(scaler_->LastDecision("prod").desired.empty());
  EXPECT_NE(metrics_.Render().find("steady_autoscaler_metric_fallbacks_total{cluster=\"prod\"} 1"),
            std::string::npos);
  // CloudWatch says the cluster is full, although ECS shows it idle: the metric decides.
  for (const char* metric : {"CPUReservation", "MemoryReservation"}) {
    aws::PutMetricDataRequest put;
    put.namespace_ = "AWS/ECS";
    aws::MetricDatum datum;
    datum.metric_name = metric;
    datum.dimensions = {{"ClusterName", "prod"}};
    datum.timestamp = clock_.Now() - seconds(30);
    datum.value = 100;
    datum.unit = "Percent";
    put.metric_data = {datum};
    ASSERT_TRUE(cw->Publish(put).ok());  // as the region publishes AWS/ECS itself
  }
  ASSERT_TRUE(scaler_->EvaluateOnce().ok());
  Decision d = scaler_->LastDecision("prod");
  EXPECT_FALSE(d.desired.empty()) << d.reason;
  EXPECT_GT(OdDesired() + SpotTarget(), 2);
}

TEST_F(AutoscalerTest, DryRunDecidesButChangesNothing) {
  AutoscalerOptions o = Options();
  o.dry_run = true;
  Autoscaler& a = Scaler(o);
  for (int i = 0; i < 20; ++i)
    a.capacity().Add({.cluster = "prod",
                      .request = {.task_id = std::to_string(i),
                                  .group_name = "batch",
                                  .task = {1024, 2048},
                                  .received = clock_.Now()}});
  ASSERT_TRUE(a.EvaluateOnce().ok());
  EXPECT_FALSE(a.LastDecision("prod").desired.empty());
  EXPECT_EQ(OdDesired(), 1);
  EXPECT_EQ(SpotTarget(), 1);
}

TEST_F(AutoscalerTest, ScalesInThroughServiceOutAndNeverBelowMinimum) {
  Autoscaler& a = Scaler(Options());
  CreateService("web", 12);
  ASSERT_TRUE(RunUntil([&] { return Service("web").running_count == 12; }, 600));
  int grown = OdDesired() + SpotTarget();
  ASSERT_GT(grown, 2);
  aws::UpdateServiceRequest down;
  down.cluster = "prod";
  down.service = "web";
  down.desired_count = 2;
  ASSERT_TRUE(region_->ecs().UpdateService(down).ok());
  // Reservation stays low; scale-ins go through service-out, one budget at a time.
  bool lost = false;
  EXPECT_TRUE(RunUntil(
      [&] {
        auto s = Service("web");
        if (s.desired_count == 2 && s.running_count < 2 && s.pending_count == 0) lost = true;
        return OdDesired() + SpotTarget() == 2 && a.ScalingIn().empty();
      },
      3600));
  EXPECT_FALSE(lost) << "the service fell below its desired count";
  EXPECT_EQ(OdDesired(), 1);
  EXPECT_EQ(SpotTarget(), 1);
  EXPECT_TRUE(RunUntil([&] { return Registered() == 2; }, 300));
  EXPECT_EQ(Service("web").running_count, 2);
  std::string m = metrics_.Render();
  EXPECT_NE(m.find("steady_autoscaler_scaled_in_total{cluster=\"prod\",result=\"terminated\"}"),
            std::string::npos)
      << m;
}

TEST_F(AutoscalerTest, NeverTerminatesAnInstanceWhoseTasksWereNotServicedOut) {
  AutoscalerOptions o = Options();
  o.clusters[0].groups[0].min = 0;  // let the on-demand instance be a victim
  o.clusters[0].groups[1].min = 0;
  // No time at all for the scale-in: the batch task on the victim is told to stop and is still
  // STOPPING (the region's 2 s) when the workflow ends, so the instance must go back to ACTIVE
  // rather than be terminated.
  o.service_out.soft_deadline = seconds(0);
  o.service_out.settle_timeout = seconds(0);
  Autoscaler& a = Scaler(o);
  for (const auto& ci : ContainerInstances()) {
    aws::StartTaskRequest st;
    st.cluster = "prod";
    st.task_definition = "job";
    st.container_instances = {ci.container_instance_arn};
    ASSERT_TRUE(region_->ecs().StartTask(st).ok());
  }
  std::vector<std::string> victims;
  RunUntil(
      [&] {
        for (const auto& id : a.ScalingIn())
          if (std::find(victims.begin(), victims.end(), id) == victims.end()) victims.push_back(id);
        return !victims.empty() && a.ScalingIn().empty();
      },
      600);
  ASSERT_FALSE(victims.empty()) << a.LastDecision("prod").reason;
  for (const auto& id : victims) EXPECT_EQ(InstanceState(id), "running") << id;
  std::string m = metrics_.Render();
  EXPECT_NE(m.find("steady_autoscaler_scaled_in_total{cluster=\"prod\",result=\"reverted\"}"),
            std::string::npos)
      << m;
  EXPECT_EQ(Registered(), 2);  // back to ACTIVE
}

}  // namespace
}  // namespace steady::autoscaler
