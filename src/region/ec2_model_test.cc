#include "region/ec2_model.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "region/ec2_model_testing.h"

namespace steady::region {
namespace {

using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::FleetWorld;
using testing::OfType;

TEST(Ec2ModelTest, CatalogueHasCommonFamilies) {
  FleetWorld w;
  auto all = w.ec2->DescribeInstanceTypes({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 31u);  // t3 large..2xlarge, seven families large..4xlarge
  auto m5 = w.ec2->DescribeInstanceTypes({"m5.xlarge", "c6i.4xlarge", "r5.large"});
  ASSERT_TRUE(m5.ok());
  EXPECT_EQ((*m5)[0].default_vcpus, 4);
  EXPECT_EQ((*m5)[0].size_in_mib, 16384);
  EXPECT_DOUBLE_EQ((*m5)[0].on_demand_price, 0.192);
  EXPECT_LT((*m5)[0].spot_price, (*m5)[0].on_demand_price);
  EXPECT_EQ((*m5)[1].default_vcpus, 16);
  EXPECT_EQ((*m5)[1].size_in_mib, 32768);
  EXPECT_EQ((*m5)[2].size_in_mib, 16384);
  EXPECT_FALSE(w.ec2->DescribeInstanceTypes({"x9.huge"}).ok());
}

TEST(Ec2ModelTest, InstanceBootsAfterDelayThenRegistersWithItsCluster) {
  Ec2ModelOptions o;
  o.boot_delay = seconds(45);
  FleetWorld w(o);
  auto ids = w.ec2->RunInstances(
      {"m5.large", "", false, "#!/bin/bash\necho ECS_CLUSTER=web >> /etc/ecs/ecs.config\n", {}}, 2);
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_EQ(w.State((*ids)[0]), "pending");
  w.Run(seconds(44));
  EXPECT_EQ(w.State((*ids)[0]), "pending");
  EXPECT_TRUE(w.ecs.booted.empty());
  w.Run(seconds(1));
  EXPECT_EQ(w.State((*ids)[0]), "running");
  ASSERT_EQ(w.ecs.booted.size(), 2u);
  const FleetInstance& b = w.ecs.booted[0];
  EXPECT_EQ(b.cluster, "web");
  EXPECT_EQ(b.vcpus, 2);
  EXPECT_EQ(b.memory_mib, 8192);
  EXPECT_FALSE(b.spot);
  // Zones round robin, distinct private IPs.
  EXPECT_NE(w.ecs.booted[0].availability_zone, w.ecs.booted[1].availability_zone);
  EXPECT_NE(w.ecs.booted[0].private_ip, w.ecs.booted[1].private_ip);

  // The cluster can also come from a tag.
  auto tagged =
      w.ec2->RunInstances({"c5.large", "us-east-1c", true, "", {{"ECS_CLUSTER", "batch"}}}, 1);
  ASSERT_TRUE(tagged.ok());
  auto inst = w.ec2->Instance(tagged->front());
  ASSERT_TRUE(inst);
  EXPECT_EQ(inst->cluster, "batch");
  EXPECT_EQ(inst->availability_zone, "us-east-1c");
  EXPECT_TRUE(inst->spot);

  auto events = w.Events();
  auto changes = OfType(events, "EC2 Instance State-change Notification");
  ASSERT_EQ(changes.size(), 5u);  // 3 pending, 2 running
  const json& running = changes[3];
  EXPECT_EQ(running["version"], "0");
  EXPECT_EQ(running["source"], "aws.ec2");
  EXPECT_EQ(running["account"], "000000000000");
  EXPECT_EQ(running["region"], "us-east-1");
  EXPECT_EQ(running["detail"]["state"], "running");
  EXPECT_EQ(running["resources"][0], "arn:aws:ec2:us-east-1:000000000000:instance/" +
                                         running["detail"]["instance-id"].get<std::string>());
}

TEST(Ec2ModelTest, DescribeInstancesFiltersAndTerminate) {
  FleetWorld w;
  auto a = *w.ec2->RunInstances({"m5.large", "", false, "", {{"team", "web"}}}, 1);
  auto b = *w.ec2->RunInstances({"m5.large", "", true, "", {{"team", "batch"}}}, 2);
  auto all = w.ec2->DescribeInstances({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);  // two reservations
  aws::DescribeInstancesRequest by_tag;
  by_tag.filters = {{"tag:team", {"batch"}}};
  auto batch = w.ec2->DescribeInstances(by_tag);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].instances.size(), 2u);
  EXPECT_EQ((*batch)[0].instances[0].instance_lifecycle, "spot");
  EXPECT_FALSE(w.ec2->DescribeInstances({{"i-nope"}, {}}).ok());

  w.Run(seconds(60));
  auto t = w.ec2->TerminateInstances({a[0]});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)[0].previous_state.name, "running");
  EXPECT_EQ((*t)[0].current_state.name, "shutting-down");
  EXPECT_EQ((*t)[0].current_state.code, 32);
  EXPECT_EQ(w.ecs.terminated, std::vector<std::string>{a[0]});
  w.Run(seconds(30));
  EXPECT_EQ(w.State(a[0]), "terminated");
  aws::DescribeInstancesRequest running;
  running.filters = {{"instance-state-name", {"running"}}};
  auto r = w.ec2->DescribeInstances(running);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].instances.size(), b.size());
  // Terminated instances stay visible for an hour, then disappear.
  w.Run(minutes(59), seconds(30));
  EXPECT_EQ(w.State(a[0]), "terminated");
  w.Run(minutes(2), seconds(30));
  EXPECT_EQ(w.State(a[0]), "");
}

TEST(Ec2ModelTest, SpotInterruptionTimelineAndFleetReplacement) {
  FleetWorld w;
  aws::SpotFleetRequestConfigData config;
  config.iam_fleet_role = "arn:aws:iam::000000000000:role/fleet";
  config.target_capacity = 4;
  config.launch_specifications = {{"m5.xlarge", 2.0, "", "", "ECS_CLUSTER=web", {}},
                                  {"c5.large", 1.0, "", "", "ECS_CLUSTER=web", {}}};
  auto id = w.ec2->RequestSpotFleet(config);
  ASSERT_TRUE(id.ok());
  w.Run(seconds(61));
  auto fleet = w.ec2->DescribeSpotFleetRequests({*id});
  ASSERT_TRUE(fleet.ok());
  EXPECT_EQ((*fleet)[0].spot_fleet_request_state, "active");
  EXPECT_EQ((*fleet)[0].activity_status, "fulfilled");
  EXPECT_DOUBLE_EQ((*fleet)[0].fulfilled_capacity, 4);
  auto members = *w.ec2->DescribeSpotFleetInstances(*id);
  // m5.xlarge spot per unit of weight (0.0768/2) beats c5.large (0.0306)? No: c5 is cheaper.
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[0].instance_type, "c5.large");
  (void)w.Events();

  const std::string victim = members[0].instance_id;
  ASSERT_TRUE(w.ec2->Interrupt({victim}, /*rebalance_first=*/true).ok());
  auto ev = w.Events();
  ASSERT_EQ(OfType(ev, "EC2 Instance Rebalance Recommendation").size(), 1u);
  EXPECT_EQ(OfType(ev, "EC2 Instance Rebalance Recommendation")[0]["detail"],
            json({{"instance-id", victim}}));
  w.Run(minutes(2));
  ev = w.Events();
  auto warnings = OfType(ev, "EC2 Spot Instance Interruption Warning");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0]["detail"],
            json({{"instance-id", victim}, {"instance-action", "terminate"}}));
  EXPECT_EQ(warnings[0]["source"], "aws.ec2");
  EXPECT_EQ(w.State(victim), "running");
  w.Run(seconds(119));
  EXPECT_EQ(w.State(victim), "running");
  EXPECT_TRUE(w.ecs.terminated.empty());
  w.Run(seconds(1));
  EXPECT_EQ(w.State(victim), "shutting-down");
  EXPECT_EQ(w.ecs.terminated, std::vector<std::string>{victim});
  // The fleet launched a replacement at once.
  EXPECT_EQ(w.ec2->DescribeSpotFleetInstances(*id)->size(), 4u);
  w.Run(seconds(60));
  EXPECT_DOUBLE_EQ((*w.ec2->DescribeSpotFleetRequests({*id}))[0].fulfilled_capacity, 4);
  EXPECT_EQ(w.State(victim), "terminated");

  // With noTermination, lowering the target keeps the excess running (the caller terminates
  // the instances it chose) and terminating one is not replaced; lowering it again with the
  // default policy terminates the excess; cancelling with termination ends the rest.
  ASSERT_FALSE(w.ec2->ModifySpotFleetRequest(*id, 3, "sometimes").ok());
  ASSERT_TRUE(w.ec2->ModifySpotFleetRequest(*id, 3, "noTermination").ok());
  w.Tick();
  auto kept = *w.ec2->DescribeSpotFleetInstances(*id);
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_EQ((*w.ec2->DescribeSpotFleetRequests({*id}))[0].config.excess_capacity_termination_policy,
            "noTermination");
  ASSERT_TRUE(w.ec2->TerminateInstances({kept[0].instance_id}).ok());
  w.Run(seconds(60));
  EXPECT_EQ(w.ec2->DescribeSpotFleetInstances(*id)->size(), 3u);
  ASSERT_TRUE(w.ec2->ModifySpotFleetRequest(*id, 2, "default").ok());
  w.Tick();
  EXPECT_EQ(w.ec2->DescribeSpotFleetInstances(*id)->size(), 2u);
  auto cancelled = w.ec2->CancelSpotFleetRequests({*id}, true);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ((*cancelled)[0].current_state, "cancelled_terminating");
  EXPECT_EQ((*cancelled)[0].previous_state, "active");
  w.Tick();
  EXPECT_EQ((*w.ec2->DescribeSpotFleetRequests({*id}))[0].spot_fleet_request_state, "cancelled");
  EXPECT_FALSE(w.ec2->Interrupt({"i-unknown"}, false).ok());
}

TEST(Ec2ModelTest, RandomInterruptionsAreSeededAndRateBound) {
  Ec2ModelOptions o;
  o.spot_interruptions_per_hour = 0.5;
  FleetWorld w(o);
  auto ids = *w.ec2->RunInstances({"m5.large", "", true, "", {}}, 20);
  w.Run(hours(2), seconds(10));
  int gone = 0;
  for (const auto& id : ids) gone += w.State(id) != "running";
  // 20 instances, 1 - e^-1 ≈ 63% each over two hours.
  EXPECT_GT(gone, 5);
  EXPECT_LT(gone, 20);
  EXPECT_EQ(OfType(w.Events(), "EC2 Spot Instance Interruption Warning").size(),
            static_cast<size_t>(gone));
}

TEST(Ec2ModelTest, SpotInterruptionWithoutServiceOutDropsRequests) {
  FleetWorld w;
  auto ids = *w.ec2->RunInstances({"m5.large", "", true, "ECS_CLUSTER=web", {}}, 2);
  aws::CreateTargetGroupRequest req;
  req.name = "web";
  req.port = 8080;
  req.health_check_interval_seconds = 10;
  req.healthy_threshold_count = 2;
  std::string arn = w.elb->CreateTargetGroup(req)->target_group_arn;
  w.Run(seconds(60));
  w.elb->RegisterTargets(arn, std::vector<FleetTarget>{{ids[0], 32768}, {ids[1], 32768}});
  w.Run(seconds(20));
  ASSERT_TRUE(w.elb->SetTraffic(arn, 50, 1).ok());
  w.Run(seconds(10));
  ASSERT_TRUE(w.ec2->Interrupt({ids[0]}, false).ok());
  // The warning alone changes nothing for the load balancer.
  w.Run(seconds(119));
  EXPECT_EQ(w.elb->Traffic(arn)->failed, 0);
  w.Run(seconds(1));
  EXPECT_EQ(w.State(ids[0]), "shutting-down");
  EXPECT_EQ(w.ecs.terminated, std::vector<std::string>{ids[0]});
  auto at_death = *w.elb->Traffic(arn);
  w.Run(seconds(30));
  auto after = *w.elb->Traffic(arn);
  // Its in-flight requests failed at death (25 = 1 s × 50 rps / 2), then half of all requests
  // fail until two failed health checks (2 × 10 s) mark it unhealthy.
  EXPECT_GE(at_death.failed, 20);
  EXPECT_GT(after.failed, at_death.failed + 400);
  EXPECT_LT(after.failed, at_death.failed + 550);
  EXPECT_EQ(w.elb->TargetState(arn, {ids[0], 32768}), "unhealthy");
  EXPECT_GT(after.served, 6000);
}

TEST(Ec2ModelTest, JournalRestartRoundTrip) {
  auto dir = std::filesystem::temp_directory_path() / ("ec2_journal_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::string fleet_id, spot_id, od_id;
  json before;
  {
    FleetWorld w({}, dir.string());
    aws::SpotFleetRequestConfigData config;
    config.target_capacity = 2;
    config.launch_specifications = {{"m5.large", std::nullopt, "", "", "", {}}};
    fleet_id = *w.ec2->RequestSpotFleet(config);
    od_id = w.ec2->RunInstances({"r5.large", "", false, "ECS_CLUSTER=a", {}}, 1)->front();
    w.Run(seconds(70));
    spot_id = w.ec2->DescribeSpotFleetInstances(fleet_id)->front().instance_id;
    ASSERT_TRUE(w.ec2->Interrupt({spot_id}, false).ok());
    std::lock_guard lock(w.ec2->mutex());
    before = w.ec2->Snapshot();
  }
  // Reopen: replay the log into fresh models.
  ManualClock clock;
  auto noop = [](std::string_view) { return Status::Ok(); };
  auto boot = *Journal::Open({}, noop, noop);
  RegionContext ctx(clock, *boot);
  Ec2Model ec2(ctx, nullptr);
  auto journal = Journal::Open({.dir = dir.string()}, noop, [&](std::string_view rec) {
    json r = json::parse(rec);
    return r["s"] == "ec2" ? ec2.Replay(r) : Status::Ok();
  });
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  json after;
  {
    std::lock_guard lock(ec2.mutex());
    after = ec2.Snapshot();
  }
  EXPECT_EQ(before, after);
  EXPECT_EQ(ec2.InstanceStateName(od_id), "running");
  EXPECT_EQ(ec2.DescribeSpotFleetInstances(fleet_id)->size(), 2u);
  // Snapshot/Restore rebuilds the same state too.
  Ec2Model copy(ctx, nullptr);
  ASSERT_TRUE(copy.Restore(after).ok());
  std::lock_guard lock(copy.mutex());
  EXPECT_EQ(copy.Snapshot(), after);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace steady::region
