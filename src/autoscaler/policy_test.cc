#include "autoscaler/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace steady::autoscaler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kCpu = 2048;  // m5.large as registered (rounded)
constexpr int64_t kMem = 8192;
const Time kT0 = FromUnixSeconds(1'700'000'000);
constexpr Purchase kOd = Purchase::kOnDemand;
constexpr Purchase kSpot = Purchase::kSpot;

InstanceType Large() { return {"m5.large", {kCpu, kMem}, 1}; }

// One on-demand ASG and one spot fleet, both launching m5.large.
ClusterPolicy TwoGroups() {
  ClusterPolicy p;
  p.cluster = "steady-sample";
  p.groups = {
      {"od-asg", GroupConfig::Kind::kAutoScalingGroup, kOd, {Large()}, 0, 50},
      {"spot-fleet", GroupConfig::Kind::kSpotFleet, kSpot, {Large()}, 0, 200},
  };
  // Set here rather than taken from the defaults, which may be tuned.
  p.scale_out_reservation = 80;
  p.spot_scale_out_reservation = 70;
  p.scale_in_after = std::chrono::minutes(5);
  p.scale_in_reservation = 40;
  p.spot_scale_in_reservation = 35;
  p.disruption_budget = 2;
  p.scale_in_cooldown = std::chrono::minutes(5);
  p.scale_in_interval = std::chrono::minutes(5);
  return p;
}

const char* GroupOf(Purchase p) { return p == kSpot ? "spot-fleet" : "od-asg"; }

// A registered ACTIVE instance with `cpu`/`mem` reserved by `tasks` tasks.
InstanceView Running(std::string id, Purchase p, int64_t cpu, int64_t mem, int tasks) {
  InstanceView i;
  i.instance_id = std::move(id);
  i.group = GroupOf(p);
  i.instance_type = "m5.large";
  i.purchase = p;
  i.registered = true;
  i.registered_resources = {kCpu, kMem};
  i.remaining = {kCpu - cpu, kMem - mem};
  i.running_tasks = tasks;
  i.launched = kT0 - std::chrono::hours(1);
  return i;
}

InstanceView Booting(std::string id, Purchase p) {
  InstanceView i = Running(std::move(id), p, 0, 0, 0);
  i.registered = false;
  i.registered_resources = {};
  i.remaining = {};
  i.launched = kT0;
  return i;
}

// `n` instances "<prefix>-NN" of purchase p, each with cpu/mem reserved by `tasks` tasks.
std::vector<InstanceView> Many(const std::string& prefix, Purchase p, int n, int64_t cpu,
                               int64_t mem, int tasks) {
  std::vector<InstanceView> out;
  for (int k = 0; k < n; ++k) {
    out.push_back(
        Running(prefix + "-" + (k < 10 ? "0" : "") + std::to_string(k), p, cpu, mem, tasks));
  }
  return out;
}

std::vector<InstanceView> Concat(std::vector<InstanceView> a, const std::vector<InstanceView>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A view at `at`; each group's desired is `desired[group]` or else its instance count.
ClusterView View(Time at, std::vector<InstanceView> instances,
                 std::map<std::string, int> desired = {}) {
  ClusterView v;
  v.cluster = "steady-sample";
  v.at = at;
  for (const char* g : {"od-asg", "spot-fleet"}) {
    int n = 0;
    for (const InstanceView& i : instances) n += i.group == g;
    v.groups.push_back({g, desired.contains(g) ? desired[g] : n});
  }
  v.instances = std::move(instances);
  return v;
}

int DesiredOf(const ClusterView& v, const std::string& g) {
  for (const GroupView& gv : v.groups) {
    if (gv.name == g) return gv.desired;
  }
  return 0;
}

// Instances the decision adds to group g (0 if it leaves it alone).
int Added(const Decision& d, const ClusterView& v, const std::string& g) {
  auto it = d.desired.find(g);
  return it == d.desired.end() ? 0 : it->second - DesiredOf(v, g);
}

std::vector<CapacityRequest> Requests(int n, Resources task, Time at) {
  std::vector<CapacityRequest> out;
  for (int k = 0; k < n; ++k) out.push_back({"task-" + std::to_string(k), "od-asg", task, at});
  return out;
}

bool HasSignal(const Decision& d, const std::string& kind, const std::string& text = "") {
  return std::any_of(d.signals.begin(), d.signals.end(), [&](const Signal& s) {
    return s.kind == kind && s.detail.find(text) != std::string::npos;
  });
}

std::vector<std::string> VictimIds(const Decision& d) {
  std::vector<std::string> ids;
  for (const Decision::Victim& v : d.scale_in) ids.push_back(v.instance_id);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Scale-out on reservation: 1 on-demand + 4 spot instances, each reserving the given CPU/memory.

struct ReservationCase {
  const char* name;
  int64_t od_cpu, od_mem, spot_cpu, spot_mem;
  int od_added, spot_added;
};

void PrintTo(const ReservationCase& c, std::ostream* os) { *os << c.name; }

class ReservationTest : public ::testing::TestWithParam<ReservationCase> {};

TEST_P(ReservationTest, StepBringsReservationToThreshold) {
  const ReservationCase& tc = GetParam();
  Policy policy(TwoGroups());
  ClusterView v = View(kT0, Concat({Running("i-od", kOd, tc.od_cpu, tc.od_mem, 2)},
                                   Many("i-spot", kSpot, 4, tc.spot_cpu, tc.spot_mem, 2)));
  Decision d = policy.Evaluate(v);
  EXPECT_EQ(Added(d, v, "od-asg"), tc.od_added) << d.reason;
  EXPECT_EQ(Added(d, v, "spot-fleet"), tc.spot_added) << d.reason;
  EXPECT_TRUE(d.scale_in.empty());
  EXPECT_EQ(HasSignal(d, "reservation", "spot"),
            tc.spot_cpu * 100 > 70 * kCpu || tc.spot_mem * 100 > 70 * kMem);
  EXPECT_EQ(HasSignal(d, "reservation", "on-demand"),
            tc.od_cpu * 100 > 80 * kCpu || tc.od_mem * 100 > 80 * kMem);
  EXPECT_FALSE(d.reason.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Policy, ReservationTest,
    ::testing::Values(
        // Both below their thresholds (78% < 80%, 68% < 70%).
        ReservationCase{"quiet", 1600, 4000, 1400, 4000, 0, 0},
        // 75% everywhere: spot (70%) triggers, on-demand (80%) does not. 6144/0.7 = 8777 → +1.
        ReservationCase{"spot_lower_threshold", 1536, 4000, 1536, 4000, 0, 1},
        // On-demand at 85%: 1740/0.8 = 2175 of 2048 → +1.
        ReservationCase{"on_demand_high", 1740, 4000, 1400, 4000, 1, 0},
        // Spot full: 8192/0.7 = 11703 → 3511 more CPU → 2 instances.
        ReservationCase{"spot_full", 1000, 4000, 2048, 4000, 0, 2},
        // Memory alone: 4×7000 MiB / 0.7 = 40000 of 32768 → +1.
        ReservationCase{"spot_memory", 1000, 4000, 200, 7000, 0, 1},
        // Both high: on-demand 100% → +1 (2048/0.8 = 2560), spot 100% → +2.
        ReservationCase{"both_full", 2048, 8192, 2048, 8192, 1, 2}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(PolicyReservation, BootingCapacityCoversTheStep) {
  // Spot full needs +2 (see spot_full); two booting spot instances already bring that.
  const auto full = Many("i-spot", kSpot, 4, kCpu, 4000, 2);
  {
    Policy policy(TwoGroups());
    ClusterView v =
        View(kT0, Concat(full, {Booting("i-boot-1", kSpot), Booting("i-boot-2", kSpot)}));
    Decision d = policy.Evaluate(v);
    EXPECT_TRUE(d.empty()) << d.reason;
    EXPECT_TRUE(HasSignal(d, "reservation", "covered by booting capacity"));
  }
  {  // Only one booting: one more.
    Policy policy(TwoGroups());
    ClusterView v = View(kT0, Concat(full, {Booting("i-boot-1", kSpot)}));
    Decision d = policy.Evaluate(v);
    EXPECT_EQ(Added(d, v, "spot-fleet"), 1) << d.reason;
  }
  {  // The fleet's target is 6 but EC2 has not launched them yet: about to launch counts too.
    Policy policy(TwoGroups());
    ClusterView v = View(kT0, full, {{"spot-fleet", 6}});
    Decision d = policy.Evaluate(v);
    EXPECT_TRUE(d.empty()) << d.reason;
  }
  {  // The decision applied, evaluated again next second: no second step.
    Policy policy(TwoGroups());
    ClusterView v = View(kT0, full);
    Decision first = policy.Evaluate(v);
    ASSERT_EQ(Added(first, v, "spot-fleet"), 2);
    ClusterView next =
        View(kT0 + std::chrono::seconds(1), full, {{"spot-fleet", first.desired["spot-fleet"]}});
    Decision second = policy.Evaluate(next);
    EXPECT_TRUE(second.empty()) << second.reason;
  }
}

// ---------------------------------------------------------------------------------------------
// Stalled services.

TEST(PolicyStalled, OnlyAfterGraceAndSizedByPacking) {
  Policy policy(TwoGroups());
  // 1 on-demand + 4 spot, half reserved (no reservation signal), but "web" cannot place:
  // 20 tasks of 512 CPU / 1 GiB missing → 4 per m5.large by CPU → 5 instances.
  const auto instances =
      Concat({Running("i-od", kOd, 1024, 4096, 2)}, Many("i-spot", kSpot, 4, 1024, 4096, 2));
  auto at = [&](Duration since) {
    ClusterView v = View(kT0 + since, instances);
    v.services = {{"web", 30, 10, 0, {512, 1024}}, {"ok", 5, 5, 0, {256, 512}}};
    return v;
  };
  Decision d = policy.Evaluate(at(std::chrono::seconds(0)));
  EXPECT_TRUE(d.empty()) << d.reason;
  EXPECT_TRUE(HasSignal(d, "stalled_service", "web: 20 of 30 missing for 0s (within grace)"));
  EXPECT_FALSE(HasSignal(d, "stalled_service", "ok"));
  EXPECT_EQ(d.pending_tasks, 0);

  d = policy.Evaluate(at(std::chrono::seconds(30)));  // exactly the grace: not yet
  EXPECT_TRUE(d.empty()) << d.reason;

  ClusterView v = at(std::chrono::seconds(31));
  d = policy.Evaluate(v);
  EXPECT_EQ(d.pending_tasks, 20);
  // 5 new → 10 instances, 2 on-demand: 1 + 1 on-demand, 4 + 4 spot.
  EXPECT_EQ(Added(d, v, "od-asg"), 1) << d.reason;
  EXPECT_EQ(Added(d, v, "spot-fleet"), 4) << d.reason;
  EXPECT_TRUE(HasSignal(d, "stalled_service", "web: 20 of 30 missing for 31s"));
  EXPECT_THAT(d.reason, HasSubstr("scale out"));
}

TEST(PolicyStalled, GraceRestartsWhenTheServiceRecovers) {
  Policy policy(TwoGroups());
  const auto instances = Many("i-spot", kSpot, 4, 1024, 4096, 2);
  auto at = [&](int s, int running) {
    ClusterView v = View(kT0 + std::chrono::seconds(s), instances);
    v.services = {{"web", 10, running, 0, {512, 1024}}};
    return v;
  };
  EXPECT_TRUE(policy.Evaluate(at(0, 5)).empty());
  EXPECT_TRUE(policy.Evaluate(at(20, 10)).empty());  // placed: no longer stalled
  EXPECT_TRUE(policy.Evaluate(at(40, 5)).empty());   // stalled again: grace from 40s
  EXPECT_TRUE(policy.Evaluate(at(65, 5)).empty());
  EXPECT_FALSE(policy.Evaluate(at(71, 5)).empty());
}

// ---------------------------------------------------------------------------------------------
// Capacity requests.

TEST(PolicyCapacity, BurstGetsItsWholeStepInOneDecisionSplitByRatio) {
  Policy policy(TwoGroups());
  // An empty cluster; 200 queued batch tasks of 256 CPU / 512 MiB: 8 per m5.large → 25 new.
  ClusterView v = View(kT0, {});
  v.capacity_requests = Requests(200, {256, 512}, kT0);
  Decision d = policy.Evaluate(v);
  EXPECT_EQ(d.pending_tasks, 200);
  EXPECT_EQ(Added(d, v, "od-asg"), 5) << d.reason;
  EXPECT_EQ(Added(d, v, "spot-fleet"), 20) << d.reason;
  EXPECT_TRUE(HasSignal(d, "capacity_request", "200 waiting"));

  // A second later the groups have the new desired but nothing launched: the burst fits in
  // what is about to launch, nothing more is asked.
  ClusterView next = View(kT0 + std::chrono::seconds(1), {}, {{"od-asg", 5}, {"spot-fleet", 20}});
  next.capacity_requests = v.capacity_requests;
  Decision again = policy.Evaluate(next);
  EXPECT_TRUE(again.empty()) << again.reason;
  EXPECT_EQ(again.pending_tasks, 200);
  EXPECT_THAT(again.reason, HasSubstr("fit in booting capacity"));
}

TEST(PolicyCapacity, HeldRequestsDoNotAskTwice) {
  Policy policy(TwoGroups());
  ClusterView v = View(kT0, {});
  v.capacity_requests = Requests(200, {256, 512}, kT0);
  ASSERT_EQ(Added(policy.Evaluate(v), v, "spot-fleet"), 20);
  // Two minutes later the 25 instances registered, the batch half done; capacity.h still holds
  // the 200 requests. They were provisioned for: no second burst.
  ClusterView later =
      View(kT0 + std::chrono::minutes(2),
           Concat(Many("i-od", kOd, 5, 1024, 2048, 4), Many("i-spot", kSpot, 20, 1024, 2048, 4)));
  later.capacity_requests = v.capacity_requests;
  Decision d = policy.Evaluate(later);
  EXPECT_TRUE(d.empty()) << d.reason;
  EXPECT_THAT(d.reason, HasSubstr("200 already provisioned for"));
  // One retried after its hold (same id, received again) counts anew...
  later.capacity_requests[0].received = later.at;
  d = policy.Evaluate(later);
  EXPECT_EQ(Added(d, later, "od-asg") + Added(d, later, "spot-fleet"), 1) << d.reason;
  EXPECT_EQ(d.pending_tasks, 200);
  // ...and so does a new one (after the cooldown of that step; the view does not show the
  // instance asked for the retried one: its request is not asked for again).
  later.at += std::chrono::seconds(61);
  later.capacity_requests.push_back({"task-new", "od-asg", {256, 512}, later.at});
  d = policy.Evaluate(later);
  EXPECT_EQ(Added(d, later, "od-asg") + Added(d, later, "spot-fleet"), 1) << d.reason;
  EXPECT_EQ(d.pending_tasks, 201);
}

TEST(PolicyCapacity, RequestsHeldByCooldownAreNotServed) {
  ClusterPolicy config = TwoGroups();
  config.on_demand_share = 0;  // all spot
  Policy policy(config);
  const auto full = Many("i-spot", kSpot, 4, kCpu, 4000, 2);
  ClusterView v = View(kT0, full);
  ASSERT_EQ(Added(policy.Evaluate(v), v, "spot-fleet"), 2);  // reservation step, not applied
  // 8 requests → one new spot instance, held by the cooldown (1 <= 2)...
  v.at = kT0 + std::chrono::seconds(10);
  v.capacity_requests = Requests(8, {256, 512}, v.at);
  ASSERT_TRUE(policy.Evaluate(v).empty());
  // ...so after it they still ask for their instance.
  v = View(kT0 + std::chrono::seconds(61), Many("i-spot", kSpot, 4, 1000, 4000, 2));
  v.capacity_requests = Requests(8, {256, 512}, kT0 + std::chrono::seconds(10));
  EXPECT_EQ(Added(policy.Evaluate(v), v, "spot-fleet"), 1);
}

TEST(PolicyCapacity, WeightedFleetTargetIsInCapacityUnits) {
  ClusterPolicy config = TwoGroups();
  // The fleet launches m5.xlarge, weight 2 (twice an m5.large).
  config.groups[1].instance_types = {{"m5.xlarge", {2 * kCpu, 2 * kMem}, 2}};
  config.groups[1].max = 400;
  Policy policy(config);
  ClusterView v = View(kT0, {});
  v.capacity_requests = Requests(200, {256, 512}, kT0);
  Decision d = policy.Evaluate(v);
  // 16 tasks per m5.xlarge, 8 per m5.large. Share of instances 1:4 → 3 on-demand (24 tasks)
  // and 11 m5.xlarge (176 tasks) = 200, target capacity 22 units.
  EXPECT_EQ(Added(d, v, "od-asg"), 3) << d.reason;
  EXPECT_EQ(Added(d, v, "spot-fleet"), 22) << d.reason;
}

TEST(PolicyCapacity, BootingRoomIsUsedFirst) {
  // One booting spot instance holds 8 tasks of 256 CPU.
  const std::vector<InstanceView> booting = {Booting("i-boot", kSpot)};
  {
    Policy policy(TwoGroups());
    ClusterView v = View(kT0, booting);
    v.capacity_requests = Requests(8, {256, 512}, kT0);
    Decision d = policy.Evaluate(v);
    EXPECT_TRUE(d.empty()) << d.reason;
    EXPECT_EQ(d.pending_tasks, 8);
  }
  {
    Policy policy(TwoGroups());
    ClusterView v = View(kT0, booting);
    v.capacity_requests = Requests(10, {256, 512}, kT0);
    Decision d = policy.Evaluate(v);
    EXPECT_EQ(Added(d, v, "od-asg") + Added(d, v, "spot-fleet"), 1) << d.reason;
  }
  {  // Free room of registered instances is not counted: the tasks failed to place there.
    Policy policy(TwoGroups());
    ClusterView v = View(kT0, {Running("i-1", kSpot, 0, 0, 0)});
    v.capacity_requests = Requests(8, {256, 512}, kT0);
    Decision d = policy.Evaluate(v);
    EXPECT_EQ(Added(d, v, "od-asg") + Added(d, v, "spot-fleet"), 1) << d.reason;
  }
}

TEST(PolicyCapacity, TaskTooLargeForEveryTypeIsReported) {
  Policy policy(TwoGroups());
  ClusterView v = View(kT0, {});
  v.capacity_requests = Requests(1, {4096, 512}, kT0);
  Decision d = policy.Evaluate(v);
  EXPECT_TRUE(d.empty());
  EXPECT_THAT(d.reason, HasSubstr("1 tasks fit no instance type"));
}

// ---------------------------------------------------------------------------------------------
// Safety: min/max, max_step, cooldown.

TEST(PolicySafety, DesiredIsClampedToMinAndMax) {
  ClusterPolicy config = TwoGroups();
  config.groups[0].min = 2;  // od-asg
  config.groups[1].max = 6;  // spot-fleet
  Policy policy(config);
  // On-demand desired 1 < min 2: raised, and the instance about to launch takes 8 tasks. Of
  // the 9 new instances, spot (room 2) takes 2 and on-demand the rest rather than leave them
  // unplaced.
  ClusterView v = View(
      kT0, Concat({Running("i-od", kOd, 1000, 1000, 1)}, Many("i-spot", kSpot, 4, 1000, 1000, 1)));
  v.capacity_requests = Requests(80, {256, 512}, kT0);  // 10 instances
  Decision d = policy.Evaluate(v);
  EXPECT_EQ(d.desired["spot-fleet"], 6) << d.reason;
  EXPECT_EQ(d.desired["od-asg"], 9) << d.reason;

  // Alone below min, no work: raised to min.
  Policy quiet(config);
  ClusterView low = View(kT0, {Running("i-od", kOd, 1000, 1000, 1)});
  Decision raised = quiet.Evaluate(low);
  EXPECT_EQ(raised.desired["od-asg"], 2);
  EXPECT_THAT(raised.reason, HasSubstr("(min)"));

  // At max with demand: no change. Above max (the group's own max is larger): never lowered.
  config.groups[0].max = 1;
  config.groups[0].min = 0;
  config.groups[1].max = 4;
  Policy capped(config);
  ClusterView full = View(
      kT0, Concat({Running("i-od", kOd, 2048, 8192, 1)}, Many("i-spot", kSpot, 4, 2048, 8192, 1)),
      {{"od-asg", 3}});
  Decision none = capped.Evaluate(full);
  EXPECT_TRUE(none.empty()) << none.reason;
  EXPECT_TRUE(HasSignal(none, "reservation", "no group can grow"));
}

TEST(PolicyShare, TiesGoToSpot) {
  ClusterPolicy config = TwoGroups();
  config.on_demand_share = 0.5;
  Policy policy(config);
  // Empty cluster, one task: on-demand or spot are as far from 50%; spot wins.
  ClusterView v = View(kT0, {});
  v.capacity_requests = Requests(1, {256, 512}, kT0);
  Decision d = policy.Evaluate(v);
  EXPECT_EQ(Added(d, v, "spot-fleet"), 1) << d.reason;
  EXPECT_EQ(Added(d, v, "od-asg"), 0) << d.reason;
  // 3 tasks of a full instance each: spot, on-demand, spot.
  Policy three(config);
  v.capacity_requests = Requests(3, {2048, 512}, kT0);
  d = three.Evaluate(v);
  EXPECT_EQ(Added(d, v, "spot-fleet"), 2) << d.reason;
  EXPECT_EQ(Added(d, v, "od-asg"), 1) << d.reason;
}

TEST(PolicyShare, ScaleInTiesGoToSpot) {
  ClusterPolicy config = TwoGroups();
  config.on_demand_share = 0.5;
  config.disruption_budget = 1;
  Policy policy(config);
  const auto idle =
      Concat(Many("i-od", kOd, 1, 200, 800, 1), Many("i-spot", kSpot, 1, 200, 800, 1));
  policy.Evaluate(View(kT0, idle));
  Decision d = policy.Evaluate(View(kT0 + std::chrono::minutes(5), idle));
  EXPECT_THAT(VictimIds(d), ElementsAre("i-spot-00")) << d.reason;
}

TEST(PolicySafety, MaxStepCapsEachGroup) {
  ClusterPolicy config = TwoGroups();
  config.max_step = 10;
  Policy policy(config);
  ClusterView v = View(kT0, {});
  v.capacity_requests = Requests(200, {256, 512}, kT0);
  Decision d = policy.Evaluate(v);
  // 25 needed; spot capped at 10, the packing hands the rest to on-demand, also capped at 10.
  EXPECT_EQ(Added(d, v, "spot-fleet"), 10) << d.reason;
  EXPECT_EQ(Added(d, v, "od-asg"), 10) << d.reason;
  EXPECT_THAT(d.reason, HasSubstr("40 tasks fit no instance type"));
}

TEST(PolicySafety, SpillsOverToTheNextGroupOfTheSameOption) {
  ClusterPolicy config = TwoGroups();
  config.groups[1].max = 10;
  config.groups.push_back(
      {"spot-asg", GroupConfig::Kind::kAutoScalingGroup, kSpot, {Large()}, 0, 8});
  Policy policy(config);
  ClusterView v = View(kT0, {});
  v.groups.push_back({"spot-asg", 0});
  v.capacity_requests = Requests(200, {256, 512}, kT0);
  Decision d = policy.Evaluate(v);
  // 20 spot: 10 to the fleet (most room), 8 to the spot ASG, the rest to on-demand.
  EXPECT_EQ(d.desired["spot-fleet"], 10) << d.reason;
  EXPECT_EQ(d.desired["spot-asg"], 8) << d.reason;
  EXPECT_EQ(d.desired["od-asg"], 7) << d.reason;
}

TEST(PolicySafety, ScaleOutCooldownUnlessTheStepIsLarger) {
  Policy policy(TwoGroups());
  // Spot full → +2; the caller does not apply it (e.g. dry run) so the signal stays.
  const auto full = Many("i-spot", kSpot, 4, kCpu, 4000, 2);
  ClusterView v = View(kT0, full);
  ASSERT_EQ(Added(policy.Evaluate(v), v, "spot-fleet"), 2);

  v.at = kT0 + std::chrono::seconds(30);
  Decision held = policy.Evaluate(v);
  EXPECT_TRUE(held.empty());
  EXPECT_THAT(held.reason, HasSubstr("cooldown"));

  // A burst within the cooldown: larger step, served at once.
  v.at = kT0 + std::chrono::seconds(40);
  v.capacity_requests = Requests(40, {256, 512}, v.at);
  Decision burst = policy.Evaluate(v);
  EXPECT_GT(Added(burst, v, "spot-fleet"), 2) << burst.reason;

  // Cooldown over (60s after the burst's step).
  v.capacity_requests.clear();
  v.at = kT0 + std::chrono::seconds(99);
  EXPECT_TRUE(policy.Evaluate(v).empty());
  v.at = kT0 + std::chrono::seconds(100);
  EXPECT_EQ(Added(policy.Evaluate(v), v, "spot-fleet"), 2);
}

// ---------------------------------------------------------------------------------------------
// Scale-in timing.

// 2 on-demand + 8 spot, all at 10% (low for both options).
std::vector<InstanceView> Idle() {
  return Concat(Many("i-od", kOd, 2, 200, 800, 1), Many("i-spot", kSpot, 8, 200, 800, 1));
}

TEST(PolicyScaleIn, OnlyAfterLowForScaleInAfter) {
  Policy policy(TwoGroups());
  Decision d = policy.Evaluate(View(kT0, Idle()));
  EXPECT_TRUE(d.empty());
  EXPECT_TRUE(HasSignal(d, "low_reservation", "spot cpu 9.8% memory 9.8% < 35% for 0s"));
  EXPECT_TRUE(policy.Evaluate(View(kT0 + std::chrono::seconds(299), Idle())).empty());
  d = policy.Evaluate(View(kT0 + std::chrono::seconds(300), Idle()));
  EXPECT_FALSE(d.scale_in.empty()) << d.reason;
  EXPECT_THAT(d.reason, HasSubstr("scale in"));
}

TEST(PolicyScaleIn, LowPeriodRestartsWhenReservationGoesUp) {
  Policy policy(TwoGroups());
  EXPECT_TRUE(policy.Evaluate(View(kT0, Idle())).empty());
  // At 3 minutes spot is at 50%: not low (nor high).
  auto busy = Concat(Many("i-od", kOd, 2, 200, 800, 1), Many("i-spot", kSpot, 8, 1024, 800, 4));
  EXPECT_TRUE(policy.Evaluate(View(kT0 + std::chrono::minutes(3), busy)).empty());
  EXPECT_TRUE(policy.Evaluate(View(kT0 + std::chrono::minutes(4), Idle())).empty());
  // On-demand stayed low throughout: it may go at 5 minutes, spot not before 9.
  Decision d = policy.Evaluate(View(kT0 + std::chrono::minutes(5), Idle()));
  ASSERT_FALSE(d.scale_in.empty()) << d.reason;
  for (const auto& v : d.scale_in) EXPECT_EQ(v.group, "od-asg");
}

TEST(PolicyScaleIn, NotWhileWorkIsWaiting) {
  ClusterPolicy config = TwoGroups();
  config.groups[0].min = 2;  // keep the burst from scaling out on-demand below
  Policy policy(config);
  const Time late = kT0 + std::chrono::minutes(6);
  EXPECT_TRUE(policy.Evaluate(View(kT0, Idle())).empty());
  {
    ClusterView v = View(late, Idle());
    v.services = {{"web", 3, 2, 0, {256, 512}}};  // short, within its grace
    Decision d = policy.Evaluate(v);
    EXPECT_TRUE(d.empty());
    EXPECT_THAT(d.reason, HasSubstr("work is waiting"));
  }
  {
    // A capacity request that fits... nowhere booting: it scales out instead.
    ClusterView v = View(late, Idle());
    v.capacity_requests = Requests(1, {256, 512}, late);
    Decision d = policy.Evaluate(v);
    EXPECT_TRUE(d.scale_in.empty());
    EXPECT_FALSE(d.desired.empty());
  }
}

TEST(PolicyScaleIn, CooldownAfterScaleOutAndIntervalBetweenScaleIns) {
  ClusterPolicy config = TwoGroups();
  config.scale_in_after = std::chrono::minutes(1);
  Policy policy(config);
  // A scale-out at t0 (one capacity request).
  ClusterView burst = View(kT0, Idle());
  burst.capacity_requests = Requests(1, {256, 512}, kT0);
  ASSERT_FALSE(policy.Evaluate(burst).desired.empty());
  // Low from t0+1s; low long enough at t0+61s, but the cooldown lasts until t0+5m.
  EXPECT_TRUE(policy.Evaluate(View(kT0 + std::chrono::seconds(1), Idle())).empty());
  Decision d = policy.Evaluate(View(kT0 + std::chrono::minutes(2), Idle()));
  EXPECT_TRUE(d.empty());
  EXPECT_THAT(d.reason, HasSubstr("cooldown"));
  d = policy.Evaluate(View(kT0 + std::chrono::minutes(5), Idle()));
  ASSERT_FALSE(d.scale_in.empty()) << d.reason;
  // The victims are draining now; the next scale-in waits scale_in_interval after this one.
  std::vector<InstanceView> after = Idle();
  std::erase_if(after, [&](const InstanceView& i) {
    return std::any_of(d.scale_in.begin(), d.scale_in.end(),
                       [&](const auto& v) { return v.instance_id == i.instance_id; });
  });
  EXPECT_TRUE(policy.Evaluate(View(kT0 + std::chrono::minutes(9), after)).empty());
  EXPECT_FALSE(policy.Evaluate(View(kT0 + std::chrono::minutes(10), after)).scale_in.empty());
}

// ---------------------------------------------------------------------------------------------
// Victim choice. Each case: instances (all already low for long), expected victims in order.

struct VictimCase {
  const char* name;
  std::vector<InstanceView> instances;
  std::vector<std::string> victims;
  int scaling_in = 0;
  int od_min = 0;
  int spot_min = 0;
  double spot_scale_out = 70;
  int budget = 2;
};

InstanceView With(InstanceView i, auto&& edit) {
  edit(i);
  return i;
}

std::vector<VictimCase> VictimCases() {
  const auto od2 = Many("i-od", kOd, 2, 200, 800, 1);
  const auto od2_busy = Many("i-od", kOd, 2, 1900, 800, 1);
  auto draining = [](InstanceView& i) { i.active = false; };
  auto protect = [](InstanceView& i) { i.scale_in_protected = true; };
  return {
      {.name = "fewest_tasks_first",
       .instances =
           Concat(od2, {Running("s-a", kSpot, 400, 800, 3), Running("s-b", kSpot, 200, 800, 1),
                        Running("s-c", kSpot, 300, 800, 2), Running("s-d", kSpot, 100, 800, 4),
                        Running("s-e", kSpot, 300, 800, 3), Running("s-f", kSpot, 300, 800, 3),
                        Running("s-g", kSpot, 300, 800, 3), Running("s-h", kSpot, 300, 800, 3)}),
       .victims = {"s-b", "s-c"}},
      {.name = "then_smallest_reservation_then_newest",
       .instances = Concat(
           od2,
           {Running("s-a", kSpot, 400, 800, 1), Running("s-b", kSpot, 300, 800, 1),
            With(Running("s-c", kSpot, 300, 800, 1), [](InstanceView& i) { i.launched = kT0; }),
            Running("s-d", kSpot, 500, 800, 1), Running("s-e", kSpot, 500, 800, 1),
            Running("s-f", kSpot, 500, 800, 1), Running("s-g", kSpot, 500, 800, 1),
            Running("s-h", kSpot, 500, 800, 1)}),
       .victims = {"s-c", "s-b"}},
      {.name = "ties_by_instance_id", .instances = Idle(), .victims = {"i-spot-00", "i-spot-01"}},
      // 2 + 8: spot, spot, then on-demand (2 of 8 would be over its share), then spot.
      {.name = "spot_before_on_demand_as_share_allows",
       .instances = Idle(),
       .victims = {"i-spot-00", "i-spot-01", "i-od-00", "i-spot-02"},
       .budget = 4},
      // 2 on-demand + 3 spot: on-demand is over its share, it goes first.
      {.name = "on_demand_over_share",
       .instances = Concat(od2, Many("i-spot", kSpot, 3, 200, 800, 1)),
       .victims = {"i-od-00", "i-spot-00"}},
      {.name = "never_below_min",
       .instances = Idle(),
       .victims = {"i-od-00", "i-od-01"},
       .spot_min = 8},
      {.name = "min_of_both", .instances = Idle(), .victims = {}, .od_min = 2, .spot_min = 8},
      {.name = "budget_counts_scaling_in",
       .instances = Idle(),
       .victims = {"i-spot-00"},
       .scaling_in = 1},
      {.name = "budget_spent", .instances = Idle(), .victims = {}, .scaling_in = 2},
      {.name = "budget_counts_draining",
       .instances = Concat(Idle(), {With(Running("i-drain", kSpot, 0, 0, 0), draining)}),
       .victims = {"i-spot-00"}},
      {.name = "never_draining_unregistered_or_protected",
       .instances = Concat(
           od2,
           {With(Running("s-0-drain", kSpot, 0, 0, 0), draining), Booting("s-1-boot", kSpot),
            With(Running("s-2-prot", kSpot, 0, 0, 0), protect), Running("s-3", kSpot, 200, 800, 1),
            Running("s-4", kSpot, 200, 800, 1), Running("s-5", kSpot, 200, 800, 1),
            Running("s-6", kSpot, 200, 800, 1), Running("s-7", kSpot, 200, 800, 1)}),
       .victims = {"s-3", "s-4"},
       .od_min = 2,
       .budget = 3},
      // Tasks must fit on the instances that stay: s-a and s-c have fewer tasks than s-b but
      // their 1900-CPU task fits nowhere else; s-b's two small ones do.
      {.name = "tasks_must_fit",
       .instances = Concat(od2_busy,
                           {Running("s-a", kSpot, 1900, 800, 1), Running("s-b", kSpot, 200, 800, 2),
                            Running("s-c", kSpot, 1900, 800, 1), Running("s-d", kSpot, 0, 0, 0)}),
       .victims = {"s-d", "s-b"},
       .od_min = 2,
       .spot_scale_out = 100},
      // Removing one of three spot at 34% brings spot to 51%: over a 50% threshold, not 70%.
      // A second would not fit (the first one's task went to i-spot-01).
      {.name = "keeps_reservation_under_scale_out",
       .instances = Concat(od2_busy, Many("i-spot", kSpot, 3, 696, 800, 1)),
       .victims = {},
       .od_min = 2,
       .spot_scale_out = 50},
      {.name = "keeps_reservation_under_a_higher_threshold",
       .instances = Concat(od2_busy, Many("i-spot", kSpot, 3, 696, 800, 1)),
       .victims = {"i-spot-00"},
       .od_min = 2},
      // Tasks moved onto an instance earlier in the same decision go with it if it goes too:
      // i-od-00's task goes to i-od-01, whose reservation (400) then no longer fits in
      // i-spot-00's room (348); its own 200 would.
      {.name = "moved_reservation_is_counted",
       .instances = Concat(od2, {Running("i-spot-00", kSpot, 1700, 800, 1)}),
       .victims = {"i-od-00"},
       .spot_scale_out = 100},
      // i-od-01 then holds 2 tasks of 200: they fit in two rooms of 300, one 400 would not.
      {.name = "moved_tasks_are_counted",
       .instances =
           Concat(od2, {Running("s-x", kSpot, 1748, 800, 1), Running("s-y", kSpot, 1748, 800, 1)}),
       .victims = {"i-od-00", "i-od-01"},
       .spot_scale_out = 100},
  };
}

void PrintTo(const VictimCase& c, std::ostream* os) { *os << c.name; }

class VictimTest : public ::testing::TestWithParam<VictimCase> {};

TEST_P(VictimTest, ChoosesTheRightInstances) {
  const VictimCase& tc = GetParam();
  ClusterPolicy config = TwoGroups();
  config.groups[0].min = tc.od_min;
  config.groups[1].min = tc.spot_min;
  config.spot_scale_out_reservation = tc.spot_scale_out;
  config.disruption_budget = tc.budget;
  // Only the reservation gate of scale-in is exercised elsewhere; here everything is low.
  config.scale_in_reservation = 100;
  config.spot_scale_in_reservation = 100;
  config.scale_out_reservation = 100;
  Policy policy(config);
  EXPECT_TRUE(policy.Evaluate(View(kT0, tc.instances), tc.scaling_in).scale_in.empty());
  Decision d = policy.Evaluate(View(kT0 + std::chrono::minutes(5), tc.instances), tc.scaling_in);
  EXPECT_EQ(VictimIds(d), tc.victims) << d.reason;
  EXPECT_TRUE(d.desired.empty());
  for (const auto& v : d.scale_in) {
    for (const InstanceView& i : tc.instances) {
      if (i.instance_id == v.instance_id) {
        EXPECT_EQ(i.group, v.group);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Policy, VictimTest, ::testing::ValuesIn(VictimCases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PolicyScaleIn, OwnDrainingVictimIsNotCountedTwice) {
  ClusterPolicy config = TwoGroups();
  config.groups[0].min = 2;
  Policy policy(config);
  policy.Evaluate(View(kT0, Idle()));
  Decision d = policy.Evaluate(View(kT0 + std::chrono::minutes(5), Idle()));
  ASSERT_EQ(VictimIds(d), (std::vector<std::string>{"i-spot-00", "i-spot-01"}));
  // 5 minutes later (cooldown over) the caller still takes out one of them, now DRAINING; the
  // other is gone. In flight: 1, so one more may go.
  std::vector<InstanceView> now = Idle();
  std::erase_if(now, [](const InstanceView& i) { return i.instance_id == "i-spot-01"; });
  now[2].active = false;  // i-spot-00
  ASSERT_EQ(now[2].instance_id, "i-spot-00");
  Decision next = policy.Evaluate(View(kT0 + std::chrono::minutes(10), now), 1);
  EXPECT_THAT(VictimIds(next), ElementsAre("i-spot-02")) << next.reason;
}

TEST(PolicyScaleIn, VictimsStillRunningCountAgainstMin) {
  // Spot min 7 of 8: one may go. While it is still in the view (desired not yet decremented)
  // no second spot victim, even with budget and cooldown allowing it.
  ClusterPolicy config = TwoGroups();
  config.groups[0].min = 2;
  config.groups[1].min = 7;
  Policy policy(config);
  policy.Evaluate(View(kT0, Idle()));
  Decision d = policy.Evaluate(View(kT0 + std::chrono::minutes(5), Idle()));
  ASSERT_THAT(VictimIds(d), ElementsAre("i-spot-00"));
  std::vector<InstanceView> now = Idle();
  now[2].active = false;  // i-spot-00 DRAINING
  Decision next = policy.Evaluate(View(kT0 + std::chrono::minutes(10), now), 1);
  EXPECT_THAT(VictimIds(next), IsEmpty()) << next.reason;
  EXPECT_THAT(next.reason, HasSubstr("at min"));
}

TEST(PolicyScaleIn, ScaleInDoesNotChangeDesired) {
  // Victims are terminated with ShouldDecrementDesiredCapacity: desired is left to that.
  Policy policy(TwoGroups());
  policy.Evaluate(View(kT0, Idle()));
  Decision d = policy.Evaluate(View(kT0 + std::chrono::minutes(5), Idle()));
  EXPECT_THAT(d.desired, IsEmpty());
  EXPECT_EQ(d.scale_in.size(), 2u);
}

}  // namespace
}  // namespace steady::autoscaler
