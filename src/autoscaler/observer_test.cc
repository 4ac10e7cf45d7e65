#include "autoscaler/observer.h"

#include <gtest/gtest.h>

#include <memory>

#include "region/autoscaling_model.h"
#include "region/ec2_model.h"
#include "region/ecs_model.h"
#include "region/region.h"

namespace steady::autoscaler {
namespace {

// The local region in virtual time with cluster "prod" fed by an on-demand Auto Scaling group
// "prod-od" (mixed instances policy: m5.large first, then c5.large; 2 instances), a Spot Fleet
// (2 × c5.large) and an Auto Scaling group "other" (1 instance) the observer is not told about.
class ObserverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = region::Region::Open(region::RegionOptions{}, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    ASSERT_TRUE(region_->ecs().CreateCluster("prod", {}).ok());

    aws::CreateAutoScalingGroupRequest asg;
    asg.auto_scaling_group_name = "prod-od";
    asg.mixed_instances_policy = aws::MixedInstancesPolicy{
        .launch_template = {.launch_template_name = "lt", .user_data = "ECS_CLUSTER=prod"},
        .overrides = {"m5.large", "c5.large"},
        .instances_distribution = {.on_demand_base_capacity = 0,
                                   .on_demand_percentage_above_base_capacity = 100}};
    asg.min_size = 0;
    asg.max_size = 10;
    asg.desired_capacity = 2;
    asg.availability_zones = {"us-east-1a", "us-east-1b"};
    ASSERT_TRUE(region_->autoscaling().CreateAutoScalingGroup(asg).ok());

    aws::CreateAutoScalingGroupRequest other;
    other.auto_scaling_group_name = "other";
    other.launch_template = aws::AsgLaunchTemplate{.launch_template_name = "lt2",
                                                   .instance_type = "m5.large",
                                                   .user_data = "ECS_CLUSTER=prod"};
    other.min_size = other.max_size = 1;
    other.desired_capacity = 1;
    other.availability_zones = {"us-east-1a"};
    ASSERT_TRUE(region_->autoscaling().CreateAutoScalingGroup(other).ok());

    aws::SpotFleetRequestConfigData fleet;
    fleet.iam_fleet_role = "arn:aws:iam::000000000000:role/fleet";
    fleet.target_capacity = 2;
    fleet.launch_specifications = {{"c5.large", 1.0, "", "", "ECS_CLUSTER=prod", {}}};
    auto id = region_->ec2().RequestSpotFleet(fleet);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    fleet_ = *id;

    groups_ = {
        GroupConfig{.name = "prod-od",
                    .kind = GroupConfig::Kind::kAutoScalingGroup,
                    .purchase = Purchase::kOnDemand,
                    .instance_types = {{.name = "m5.large"}, {.name = "c5.large"}},
                    .min = 0,
                    .max = 10},
        GroupConfig{.name = fleet_,
                    .kind = GroupConfig::Kind::kSpotFleet,
                    .purchase = Purchase::kSpot,
                    .instance_types = {{.name = "c5.large"}},
                    .min = 0,
                    .max = 10},
    };
  }

  std::unique_ptr<Observer> MakeObserver(std::vector<GroupConfig> groups,
                                         const std::string& cluster = "prod") {
    return std::make_unique<Observer>(
        cluster, std::move(groups),
        ObserverClients{region_->ecs(), region_->autoscaling(), region_->ec2()}, clock_,
        /*reserved_memory_mib=*/256);
  }

  template <typename F>
  bool RunUntil(F done, int seconds) {
    for (int i = 0; i < seconds; ++i) {
      if (done()) return true;
      clock_.Advance(std::chrono::seconds(1));
      region_->TickFleet();
    }
    return done();
  }

  ClusterView MustObserve(Observer& o) {
    auto v = o.Observe();
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : ClusterView{};
  }

  static int Registered(const ClusterView& v) {
    int n = 0;
    for (const auto& i : v.instances) n += i.registered;
    return n;
  }

  static const ServiceView* Service(const ClusterView& v, const std::string& name) {
    for (const auto& s : v.services)
      if (s.name == name) return &s;
    return nullptr;
  }

  // Boots the four instances of the configured groups into the cluster.
  void BootAll(Observer& o) {
    ASSERT_TRUE(RunUntil(
        [&] {
          auto v = o.Observe();
          return v.ok() && v->instances.size() == 4 && Registered(*v) == 4;
        },
        300))
        << "the groups' instances did not register";
  }

  void RegisterTaskDefinition(const std::string& family, int cpu, int memory) {
    aws::RegisterTaskDefinitionRequest td;
    td.family = family;
    td.container_definitions = {
        {.name = "app", .image = family + ":1", .cpu = cpu, .memory = memory}};
    auto r = region_->ecs().RegisterTaskDefinition(td);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  void CreateService(const std::string& name, const std::string& task_definition, int desired) {
    aws::CreateServiceRequest svc;
    svc.cluster = "prod";
    svc.service_name = name;
    svc.task_definition = task_definition;
    svc.desired_count = desired;
    auto r = region_->ecs().CreateService(svc);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
  MetricsRegistry metrics_;
  std::unique_ptr<region::Region> region_;
  std::string fleet_;
  std::vector<GroupConfig> groups_;
};

TEST_F(ObserverTest, BootingInstancesAppearUnregisteredThenRegisteredWithResources) {
  auto o = MakeObserver(groups_);
  ClusterView v;
  ASSERT_TRUE(RunUntil(
      [&] {
        v = MustObserve(*o);
        return v.instances.size() == 4;
      },
      30))
      << "the groups did not launch";
  EXPECT_EQ(v.cluster, "prod");
  EXPECT_EQ(v.at, clock_.Now());
  ASSERT_EQ(v.groups.size(), 2u);
  EXPECT_EQ(v.groups[0].name, "prod-od");
  EXPECT_EQ(v.groups[0].desired, 2);
  EXPECT_EQ(v.groups[1].name, fleet_);
  EXPECT_EQ(v.groups[1].desired, 2) << "the fleet's target capacity";
  int od = 0, spot = 0;
  for (const auto& i : v.instances) {
    EXPECT_FALSE(i.registered) << i.instance_id << " is still booting";
    EXPECT_EQ(i.registered_resources, Resources{});
    EXPECT_EQ(i.remaining, Resources{});
    EXPECT_NE(i.launched, Time{});
    EXPECT_LE(i.launched, clock_.Now());
    EXPECT_FALSE(i.instance_type.empty());
    if (i.group == "prod-od") {
      ++od;
      EXPECT_EQ(i.purchase, Purchase::kOnDemand);
    } else {
      ++spot;
      EXPECT_EQ(i.group, fleet_);
      EXPECT_EQ(i.purchase, Purchase::kSpot);
      EXPECT_EQ(i.instance_type, "c5.large");
    }
  }
  EXPECT_EQ(od, 2);
  EXPECT_EQ(spot, 2);

  BootAll(*o);
  v = MustObserve(*o);
  ASSERT_EQ(v.instances.size(), 4u) << "the 'other' group's instance is not ours";
  for (const auto& i : v.instances) {
    EXPECT_TRUE(i.registered);
    EXPECT_TRUE(i.active);
    // m5.large and c5.large: 2 vCPU; 8 GiB and 4 GiB less the agent's 256 MiB.
    EXPECT_EQ(i.registered_resources.cpu, 2048) << i.instance_type;
    EXPECT_EQ(i.registered_resources.memory, (i.instance_type == "m5.large" ? 8192 : 4096) - 256)
        << i.instance_type;
    EXPECT_EQ(i.remaining, i.registered_resources) << "no tasks yet";
    EXPECT_EQ(i.running_tasks, 0);
  }
}

TEST_F(ObserverTest, ServicesAndTheirTasksReduceRemaining) {
  auto o = MakeObserver(groups_);
  BootAll(*o);
  RegisterTaskDefinition("web", 256, 512);
  RegisterTaskDefinition("huge", 8192, 512);  // fits no instance (2 vCPU each)
  CreateService("web", "web", 3);
  CreateService("huge", "huge", 2);
  ASSERT_TRUE(RunUntil(
      [&] {
        auto v = o->Observe();
        if (!v.ok()) return false;
        auto* web = Service(*v, "web");
        return web != nullptr && web->running == 3;
      },
      300));

  ClusterView v = MustObserve(*o);
  ASSERT_EQ(v.services.size(), 2u);
  const ServiceView* web = Service(v, "web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->desired, 3);
  EXPECT_EQ(web->running, 3);
  EXPECT_EQ(web->pending, 0);
  EXPECT_EQ(web->task, (Resources{256, 512}));
  const ServiceView* huge = Service(v, "huge");
  ASSERT_NE(huge, nullptr);
  EXPECT_EQ(huge->desired, 2);
  EXPECT_EQ(huge->running + huge->pending, 0) << "nothing can place it";
  EXPECT_EQ(huge->task, (Resources{8192, 512}));

  Resources reserved;
  int running = 0;
  for (const auto& i : v.instances) {
    reserved.cpu += i.registered_resources.cpu - i.remaining.cpu;
    reserved.memory += i.registered_resources.memory - i.remaining.memory;
    running += i.running_tasks + i.pending_tasks;
    EXPECT_LE(i.remaining.cpu, i.registered_resources.cpu);
  }
  // The "other" group's instance may hold some of the tasks: what ours reserve is per task.
  EXPECT_EQ(reserved.cpu, running * 256);
  EXPECT_EQ(reserved.memory, running * 512);
  EXPECT_GE(running, 1);
}

TEST_F(ObserverTest, TaskReservationSumsContainersOrUsesTaskLevelSizes) {
  auto o = MakeObserver(groups_);
  aws::RegisterTaskDefinitionRequest sidecar;
  sidecar.family = "sidecar";
  sidecar.container_definitions = {
      {.name = "app", .image = "app:1", .cpu = 256, .memory = 512},
      {.name = "proxy", .image = "proxy:1", .cpu = 128, .memory_reservation = 64}};
  ASSERT_TRUE(region_->ecs().RegisterTaskDefinition(sidecar).ok());
  aws::RegisterTaskDefinitionRequest sized;
  sized.family = "sized";
  sized.container_definitions = {{.name = "app", .image = "app:1", .memory_reservation = 128}};
  sized.cpu = "1024";
  sized.memory = "2048";
  ASSERT_TRUE(region_->ecs().RegisterTaskDefinition(sized).ok());
  CreateService("sidecar", "sidecar", 0);
  CreateService("sized", "sized", 0);

  ClusterView v = MustObserve(*o);
  ASSERT_NE(Service(v, "sidecar"), nullptr);
  EXPECT_EQ(Service(v, "sidecar")->task, (Resources{384, 576}));
  ASSERT_NE(Service(v, "sized"), nullptr);
  EXPECT_EQ(Service(v, "sized")->task, (Resources{1024, 2048}));
}

TEST_F(ObserverTest, DrainingInstancesAreInactive) {
  auto o = MakeObserver(groups_);
  BootAll(*o);
  ClusterView v = MustObserve(*o);
  aws::ListContainerInstancesRequest req;
  req.cluster = "prod";
  req.filter = "ec2InstanceId in [" + v.instances[0].instance_id + "]";
  auto page = region_->ecs().ListContainerInstances(req);
  ASSERT_TRUE(page.ok() && page->arns.size() == 1);
  ASSERT_TRUE(region_->ecs().UpdateContainerInstancesState("prod", page->arns, "DRAINING").ok());

  v = MustObserve(*o);
  int inactive = 0;
  for (const auto& i : v.instances) {
    EXPECT_TRUE(i.registered);
    if (!i.active) {
      ++inactive;
      EXPECT_EQ(i.instance_id, v.instances[0].instance_id);
    }
  }
  EXPECT_EQ(inactive, 1);
}

TEST_F(ObserverTest, TerminatingInstancesAreLeftOut) {
  auto o = MakeObserver(groups_);
  BootAll(*o);
  ClusterView v = MustObserve(*o);
  std::string victim;
  for (const auto& i : v.instances)
    if (i.group == "prod-od") victim = i.instance_id;
  ASSERT_FALSE(victim.empty());
  auto t = region_->autoscaling().TerminateInstanceInAutoScalingGroup(victim, true);
  ASSERT_TRUE(t.ok()) << t.status().ToString();

  v = MustObserve(*o);
  EXPECT_EQ(v.instances.size(), 3u);
  for (const auto& i : v.instances) EXPECT_NE(i.instance_id, victim);
  EXPECT_EQ(v.groups[0].desired, 1);
}

// A terminating lifecycle hook holds the instance in Terminating:Wait with EC2 still running:
// Auto Scaling's lifecycle state alone says it is going.
TEST_F(ObserverTest, InstancesHeldByATerminatingHookAreLeftOut) {
  auto o = MakeObserver(groups_);
  BootAll(*o);
  aws::LifecycleHook hook;
  hook.lifecycle_hook_name = "drain";
  hook.auto_scaling_group_name = "prod-od";
  ASSERT_TRUE(region_->autoscaling().PutLifecycleHook(hook).ok());
  ClusterView v = MustObserve(*o);
  std::string victim;
  for (const auto& i : v.instances)
    if (i.group == "prod-od") victim = i.instance_id;
  ASSERT_TRUE(region_->autoscaling().TerminateInstanceInAutoScalingGroup(victim, false).ok());
  region_->TickFleet();
  auto state = region_->autoscaling().DescribeAutoScalingInstances({victim});
  ASSERT_TRUE(state.ok() && state->size() == 1);
  ASSERT_EQ((*state)[0].instance.lifecycle_state, "Terminating:Wait");
  ASSERT_EQ(region_->ec2().InstanceStateName(victim), "running");

  v = MustObserve(*o);
  for (const auto& i : v.instances) EXPECT_NE(i.instance_id, victim);
}

TEST_F(ObserverTest, ScaleInProtectionIsReported) {
  auto o = MakeObserver(groups_);
  ClusterView v;
  ASSERT_TRUE(RunUntil(
      [&] {
        v = MustObserve(*o);
        return v.instances.size() == 4;
      },
      30));
  std::string id;
  for (const auto& i : v.instances)
    if (i.group == "prod-od") id = i.instance_id;
  ASSERT_TRUE(region_->autoscaling().SetInstanceProtection("prod-od", {id}, true).ok());
  v = MustObserve(*o);
  for (const auto& i : v.instances) EXPECT_EQ(i.scale_in_protected, i.instance_id == id);
}

TEST_F(ObserverTest, ResolveGroupsFillsMissingCapacitiesFromDescribeInstanceTypes) {
  groups_[1].instance_types[0].capacity = {1000, 3000};  // configured: kept
  auto o = MakeObserver(groups_);
  auto resolved = o->ResolveGroups();
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  ASSERT_EQ(resolved->size(), 2u);
  EXPECT_EQ((*resolved)[0].instance_types[0].name, "m5.large");
  EXPECT_EQ((*resolved)[0].instance_types[0].capacity, (Resources{2048, 8192 - 256}));
  EXPECT_EQ((*resolved)[0].instance_types[1].capacity, (Resources{2048, 4096 - 256}));
  EXPECT_EQ((*resolved)[1].instance_types[0].capacity, (Resources{1000, 3000}));

  // What ECS registers for an m5.large is what was resolved.
  BootAll(*o);
  int m5 = 0;
  for (const auto& i : MustObserve(*o).instances) {
    if (i.instance_type != "m5.large") continue;
    ++m5;
    EXPECT_EQ(i.registered_resources, (*resolved)[0].instance_types[0].capacity);
  }
  EXPECT_GE(m5, 1);

  auto again = o->ResolveGroups();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].instance_types[1].capacity, (Resources{2048, 4096 - 256}));
}

TEST_F(ObserverTest, ResolveGroupsFailsOnAnUnknownInstanceType) {
  groups_[0].instance_types.push_back({.name = "zz9.plural"});
  auto o = MakeObserver(groups_);
  auto resolved = o->ResolveGroups();
  ASSERT_FALSE(resolved.ok());
  EXPECT_NE(resolved.status().ToString().find("zz9.plural"), std::string::npos)
      << resolved.status().ToString();
}

TEST_F(ObserverTest, UnknownGroupsAndClustersFailTheWholeObserve) {
  auto groups = groups_;
  groups[0].name = "no-such-group";
  auto v = MakeObserver(groups)->Observe();
  ASSERT_FALSE(v.ok()) << "an unknown Auto Scaling group is an error, not an empty group";
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
  EXPECT_NE(v.status().message().find("no-such-group"), std::string::npos);

  groups = groups_;
  groups[1].name = "sfr-00000000-0000-0000-0000-000000000000";
  v = MakeObserver(groups)->Observe();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound) << v.status().ToString();

  v = MakeObserver(groups_, "no-such-cluster")->Observe();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound) << v.status().ToString();
}

TEST_F(ObserverTest, CountsEcsCallsAndCachesTaskDefinitions) {
  auto o = MakeObserver(groups_);
  BootAll(*o);
  RegisterTaskDefinition("web", 256, 512);
  for (int i = 0; i < 12; ++i) CreateService("svc-" + std::to_string(i), "web", 0);

  ClusterView v = MustObserve(*o);
  EXPECT_EQ(v.services.size(), 12u);
  // ListContainerInstances + DescribeContainerInstances + ListServices + 2 × DescribeServices
  // (10 per call) + one DescribeTaskDefinition for the one task definition.
  EXPECT_EQ(o->last_calls(), 6);
  v = MustObserve(*o);
  EXPECT_EQ(o->last_calls(), 5) << "task definitions are cached";
}

}  // namespace
}  // namespace steady::autoscaler
