#include "region/ecs_model.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

#include "region/ecs_internal.h"
#include "region/ecs_test_fixture.h"
#include "region/service_error.h"

namespace steady::region {
namespace {

using std::chrono::seconds;

std::string Code(const Status& s) { return SplitServiceError(s).code; }
std::string Message(const Status& s) { return SplitServiceError(s).message; }

aws::RunTaskRequest RunReq(const std::string& td, int count = 1) {
  aws::RunTaskRequest r;
  r.cluster = "c1";
  r.task_definition = td;
  r.count = count;
  return r;
}

class EcsModelTest : public EcsTest {
 protected:
  EcsModelTest() { EXPECT_TRUE(ecs_->CreateCluster("c1", {}).ok()); }
};

TEST_F(EcsModelTest, ClustersAreDescribedWithCountsAndMissingOnesAsFailures) {
  Boot("i-1", "us-east-1a");
  std::string td = Register("web", 256, 512);
  ASSERT_TRUE(ecs_->RunTask(RunReq(td, 2)).ok());
  auto d = ecs_->DescribeClusters({"c1", "nope"});
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->items.size(), 1u);
  EXPECT_EQ(d->items[0].cluster_arn, "arn:aws:ecs:us-east-1:000000000000:cluster/c1");
  EXPECT_EQ(d->items[0].registered_container_instances_count, 1);
  EXPECT_EQ(d->items[0].pending_tasks_count, 2);
  ASSERT_EQ(d->failures.size(), 1u);
  EXPECT_EQ(d->failures[0].reason, "MISSING");
  Advance(seconds(5));
  d = ecs_->DescribeClusters({"c1"});
  EXPECT_EQ(d->items[0].running_tasks_count, 2);

  ASSERT_TRUE(ecs_->CreateCluster("c2", {}).ok());
  ASSERT_TRUE(ecs_->CreateCluster("c3", {}).ok());
  auto p1 = ecs_->ListClusters({"", 2});
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1->arns.size(), 2u);
  ASSERT_FALSE(p1->next_token.empty());
  auto p2 = ecs_->ListClusters({p1->next_token, 2});
  ASSERT_EQ(p2->arns.size(), 1u);
  EXPECT_TRUE(p2->next_token.empty());
  EXPECT_EQ(Code(ecs_->RunTask({.cluster = "zz", .task_definition = td}).status()),
            "ClusterNotFoundException");
}

TEST_F(EcsModelTest, TaskDefinitionRevisionsAndDeregistration) {
  std::string r1 = Register("web", 256, 512);
  std::string r2 = Register("web", 512, 512);
  EXPECT_EQ(r1, "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1");
  EXPECT_EQ(ecs_->DescribeTaskDefinition("web")->revision, 2);
  EXPECT_EQ(ecs_->DescribeTaskDefinition("web:1")->container_definitions[0].cpu, 256);
  auto gone = ecs_->DeregisterTaskDefinition("web:2");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->status, "INACTIVE");
  EXPECT_EQ(ecs_->DescribeTaskDefinition("web")->revision, 1);  // latest ACTIVE
  auto missing = ecs_->DescribeTaskDefinition("nope");
  EXPECT_EQ(Code(missing.status()), "ClientException");
  EXPECT_EQ(Message(missing.status()), "Unable to describe task definition.");
  auto active = ecs_->ListTaskDefinitions({});
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->arns, std::vector<std::string>{r1});
  aws::ListTaskDefinitionsRequest all;
  all.status = "INACTIVE";
  EXPECT_EQ(ecs_->ListTaskDefinitions(all)->arns, std::vector<std::string>{r2});
  aws::RegisterTaskDefinitionRequest bad;
  bad.family = "x";
  bad.container_definitions.push_back({.name = "a", .image = "i"});
  EXPECT_EQ(Code(ecs_->RegisterTaskDefinition(bad).status()), "ClientException");
}

TEST_F(EcsModelTest, RunTaskWithoutInstancesIsAnError) {
  std::string td = Register("web", 256, 512);
  auto r = ecs_->RunTask(RunReq(td));
  EXPECT_EQ(Code(r.status()), "InvalidParameterException");
  EXPECT_EQ(Message(r.status()), "No Container Instances were found in your cluster.");
  // A DRAINING instance does not count.
  std::string ci = Boot("i-1", "us-east-1a");
  ASSERT_TRUE(ecs_->UpdateContainerInstancesState("c1", {ci}, "DRAINING").ok());
  EXPECT_EQ(Message(ecs_->RunTask(RunReq(td)).status()),
            "No Container Instances were found in your cluster.");
}

TEST_F(EcsModelTest, TaskLifecycleOnTheClockAndStopTask) {
  std::string ci = Boot("i-1", "us-east-1a");
  std::string td = Register("web", 256, 512, 80);
  auto r = ecs_->RunTask(RunReq(td));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->items.size(), 1u);
  const aws::EcsTask& t = r->items[0];
  EXPECT_EQ(t.last_status, "PROVISIONING");
  EXPECT_EQ(t.group, "family:web");
  EXPECT_EQ(t.container_instance_arn, ci);
  EXPECT_EQ(t.availability_zone, "us-east-1a");
  ASSERT_EQ(t.containers[0].network_bindings.size(), 1u);
  EXPECT_EQ(t.containers[0].network_bindings[0].host_port, 32768);
  Advance(seconds(1));
  EXPECT_EQ(ecs_->DescribeTasks("c1", {t.task_arn})->items[0].last_status, "PENDING");
  Advance(seconds(3));
  auto running = ecs_->DescribeTasks("c1", {t.task_arn})->items[0];
  EXPECT_EQ(running.last_status, "RUNNING");
  ASSERT_TRUE(running.started_at.has_value());

  auto stopped = ecs_->StopTask("c1", t.task_arn, "bye");
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->desired_status, "STOPPED");
  EXPECT_EQ(stopped->last_status, "STOPPING");
  Advance(seconds(2));
  auto done = ecs_->DescribeTasks("c1", {t.task_arn})->items[0];
  EXPECT_EQ(done.last_status, "STOPPED");
  EXPECT_EQ(done.stop_code, "UserInitiated");
  EXPECT_EQ(done.stopped_reason, "bye");
  EXPECT_EQ(done.containers[0].exit_code, 143);
  EXPECT_EQ(Tasks("c1", "STOPPED").size(), 1u);
  EXPECT_TRUE(Tasks("c1", "RUNNING").empty());
}

TEST_F(EcsModelTest, ResourceFailuresNameTheInstance) {
  std::string ci = Boot("i-1", "us-east-1a", /*vcpus=*/1, /*memory=*/1024);
  std::string big_mem = Register("mem", 128, 2048);
  auto r = ecs_->RunTask(RunReq(big_mem));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->items.empty());
  ASSERT_EQ(r->failures.size(), 1u);
  EXPECT_EQ(r->failures[0].arn, ci);
  EXPECT_EQ(r->failures[0].reason, "RESOURCE:MEMORY");
  // Memory is checked before CPU.
  EXPECT_EQ(ecs_->RunTask(RunReq(Register("both", 4096, 4096)))->failures[0].reason,
            "RESOURCE:MEMORY");
  EXPECT_EQ(ecs_->RunTask(RunReq(Register("cpu", 2048, 128)))->failures[0].reason, "RESOURCE:CPU");
  std::string web = Register("web", 128, 128, 80, 80);
  auto first = ecs_->RunTask(RunReq(web));
  ASSERT_EQ(first->items.size(), 1u);
  EXPECT_EQ(first->items[0].containers[0].network_bindings[0].host_port, 80);
  auto second = ecs_->RunTask(RunReq(web));
  ASSERT_EQ(second->failures.size(), 1u);
  EXPECT_EQ(second->failures[0].reason, "RESOURCE:PORTS");
  // Reserved agent ports are never free.
  EXPECT_EQ(ecs_->RunTask(RunReq(Register("ssh", 1, 1, 22, 22)))->failures[0].reason,
            "RESOURCE:PORTS");
  // Count 3 when 2 fit: 2 tasks and a failure.
  std::string small = Register("small", 256, 300);
  auto partial = ecs_->RunTask(RunReq(small, 3));
  EXPECT_EQ(partial->items.size(), 2u);
  ASSERT_EQ(partial->failures.size(), 1u);
  EXPECT_EQ(partial->failures[0].reason, "RESOURCE:MEMORY");
  // Remaining resources reflect the tasks.
  auto d = ecs_->DescribeContainerInstances("c1", {ci});
  ASSERT_TRUE(d.ok());
  const auto& inst = d->items[0];
  EXPECT_EQ(inst.pending_tasks_count, 3);
  for (const auto& res : inst.remaining_resources) {
    if (res.name == "MEMORY") {
      EXPECT_EQ(res.integer_value, 1024 - 128 - 600);
    }
    if (res.name == "CPU") {
      EXPECT_EQ(res.integer_value, 1024 - 128 - 512);
    }
    if (res.name == "PORTS") {
      EXPECT_NE(std::find(res.string_set_value.begin(), res.string_set_value.end(), "80"),
                res.string_set_value.end());
    }
  }
}

TEST_F(EcsModelTest, BinpackFillsTheFullestInstance) {
  std::string a = Boot("i-a", "us-east-1a");
  std::string b = Boot("i-b", "us-east-1b");
  std::string td = Register("web", 128, 1024);
  ASSERT_TRUE(
      ecs_->StartTask({.cluster = "c1", .task_definition = td, .container_instances = {b}}).ok());
  auto r = RunReq(td, 3);
  r.placement_strategy = {{"binpack", "memory"}};
  auto placed = ecs_->RunTask(r);
  ASSERT_EQ(placed->items.size(), 3u);
  for (const auto& t : placed->items) EXPECT_EQ(t.container_instance_arn, b);
  // b is full (4 GiB); binpack moves on to a.
  auto next = ecs_->RunTask(r);
  ASSERT_EQ(next->items.size(), 3u);
  for (const auto& t : next->items) EXPECT_EQ(t.container_instance_arn, a);
}

TEST_F(EcsModelTest, SpreadOverZonesAndInstances) {
  Boot("i-a1", "us-east-1a");
  Boot("i-a2", "us-east-1a");
  Boot("i-b1", "us-east-1b");
  std::string td = Register("web", 128, 128);
  auto r = RunReq(td, 6);
  r.placement_strategy = {{"spread", "attribute:ecs.availability-zone"}, {"spread", "instanceId"}};
  auto placed = ecs_->RunTask(r);
  ASSERT_EQ(placed->items.size(), 6u);
  std::map<std::string, int> by_az, by_inst;
  for (const auto& t : placed->items) {
    ++by_az[t.availability_zone];
    ++by_inst[t.container_instance_arn];
  }
  EXPECT_EQ(by_az["us-east-1a"], 3);
  EXPECT_EQ(by_az["us-east-1b"], 3);
  std::vector<int> counts;
  for (auto& [k, v] : by_inst) counts.push_back(v);
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, (std::vector<int>{1, 2, 3}));  // a1/a2 share zone a, b1 holds zone b
}

TEST_F(EcsModelTest, ConstraintsDistinctInstanceAndMemberOf) {
  Boot("i-a", "us-east-1a", 2, 4096, "c1", "m5.large");
  std::string c5 = Boot("i-b", "us-east-1b", 2, 4096, "c1", "c5.large");
  std::string td = Register("web", 128, 128);
  auto r = RunReq(td, 3);
  r.placement_constraints = {{"distinctInstance", ""}};
  auto placed = ecs_->RunTask(r);
  EXPECT_EQ(placed->items.size(), 2u);
  ASSERT_EQ(placed->failures.size(), 2u);
  EXPECT_EQ(placed->failures[0].reason, "DistinctInstance placement constraint unsatisfied.");

  auto m = RunReq(td, 2);
  m.placement_constraints = {{"memberOf", "attribute:ecs.instance-type =~ x"}};
  EXPECT_EQ(Code(ecs_->RunTask(m).status()), "InvalidParameterException");
  m.placement_constraints = {{"memberOf", "attribute:ecs.instance-type == c5.*"}};
  auto only = ecs_->RunTask(m);
  ASSERT_EQ(only->items.size(), 2u);
  for (const auto& t : only->items) EXPECT_EQ(t.container_instance_arn, c5);
  m.placement_constraints = {{"memberOf", "attribute:ecs.availability-zone in [us-east-1c]"}};
  auto none = ecs_->RunTask(m);
  EXPECT_TRUE(none->items.empty());
  EXPECT_EQ(none->failures[0].reason, "MemberOf placement constraint unsatisfied.");
  m.placement_constraints = {{"memberOf", "ec2InstanceId in ['i-b']"}};
  EXPECT_EQ(ecs_->RunTask(m)->items.size(), 2u);
}

TEST_F(EcsModelTest, ContainerInstanceFiltersAndStates) {
  std::string a = Boot("i-a", "us-east-1a");
  std::string b = Boot("i-b", "us-east-1b", 2, 4096, "c1", "c5.large");
  aws::ListContainerInstancesRequest req;
  req.cluster = "c1";
  req.filter = "ec2InstanceId in ['i-a', 'i-b']";
  EXPECT_EQ(ecs_->ListContainerInstances(req)->arns.size(), 2u);
  req.filter = "attribute:ecs.availability-zone in [us-east-1b]";
  EXPECT_EQ(ecs_->ListContainerInstances(req)->arns, std::vector<std::string>{b});
  req.filter = "attribute:ecs.instance-type == m5.large";
  EXPECT_EQ(ecs_->ListContainerInstances(req)->arns, std::vector<std::string>{a});
  req.filter = "";
  ASSERT_TRUE(ecs_->UpdateContainerInstancesState("c1", {"i-a"}, "DRAINING").ok() ||
              ecs_->UpdateContainerInstancesState("c1", {a}, "DRAINING").ok());
  req.status = "DRAINING";
  EXPECT_EQ(ecs_->ListContainerInstances(req)->arns, std::vector<std::string>{a});
  auto d = ecs_->DescribeContainerInstances("c1", {a, "nope"});
  ASSERT_EQ(d->items.size(), 1u);
  EXPECT_EQ(d->items[0].status, "DRAINING");
  EXPECT_EQ(d->failures.size(), 1u);
  for (const auto& r : d->items[0].registered_resources) {
    if (r.name == "CPU") {
      EXPECT_EQ(r.integer_value, 2048);
    }
    if (r.name == "MEMORY") {
      EXPECT_EQ(r.integer_value, 4096);
    }
  }
  EXPECT_EQ(Code(ecs_->UpdateContainerInstancesState("c1", {a}, "BOGUS").status()),
            "InvalidParameterException");
  // Deregistering an instance with tasks needs force.
  std::string td = Register("web", 128, 128);
  ASSERT_EQ(ecs_->RunTask(RunReq(td))->items.size(), 1u);
  EXPECT_EQ(Code(ecs_->DeregisterContainerInstance("c1", b, false).status()),
            "InvalidParameterException");
  auto gone = ecs_->DeregisterContainerInstance("c1", b, true);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->status, "INACTIVE");
  EXPECT_EQ(Tasks().size(), 0u);
}

TEST_F(EcsModelTest, TerminatedHostStopsItsTasksAtOnce) {
  std::string ci = Boot("i-1", "us-east-1a");
  std::string td = Register("web", 128, 128);
  auto r = ecs_->RunTask(RunReq(td, 2));
  Advance(seconds(5));
  ecs_->InstanceTerminated("i-1");
  for (const auto& t : Tasks("c1", "STOPPED")) {
    EXPECT_EQ(t.last_status, "STOPPED");
    EXPECT_EQ(t.stopped_reason, "Host EC2 (instance i-1) terminated.");
  }
  EXPECT_EQ(Tasks("c1", "STOPPED").size(), 2u);
  auto d = ecs_->DescribeContainerInstances("c1", {ci});
  EXPECT_EQ(d->items[0].status, "INACTIVE");
  EXPECT_FALSE(d->items[0].agent_connected);
  EXPECT_EQ(ecs_->DescribeClusters({"c1"})->items[0].registered_container_instances_count, 0);
}

TEST_F(EcsModelTest, BatchTasksExitByConvention) {
  Boot("i-1", "us-east-1a");
  std::string td = Register("job", 128, 128);
  auto r = RunReq(td);
  r.overrides = {{"app", {}, {{"STEADY_RUN_SECONDS", "30"}, {"STEADY_EXIT_CODE", "3"}}}};
  r.started_by = "batcher";
  auto placed = ecs_->RunTask(r);
  ASSERT_EQ(placed->items.size(), 1u);
  Advance(seconds(20));
  EXPECT_EQ(Tasks()[0].last_status, "RUNNING");
  Advance(seconds(20));
  auto done = Tasks("c1", "STOPPED");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].stop_code, "EssentialContainerExited");
  EXPECT_EQ(done[0].containers[0].exit_code, 3);
  aws::ListTasksRequest by;
  by.cluster = "c1";
  by.desired_status = "STOPPED";
  by.started_by = "batcher";
  EXPECT_EQ(ecs_->ListTasks(by)->arns.size(), 1u);
  by.started_by = "other";
  EXPECT_TRUE(ecs_->ListTasks(by)->arns.empty());
}

TEST_F(EcsModelTest, TagsOnResources) {
  std::string td = Register("web", 128, 128);
  ASSERT_TRUE(ecs_->TagResource(td, {{"team", "a"}}).ok());
  ASSERT_TRUE(ecs_->TagResource(td, {{"team", "b"}, {"env", "x"}}).ok());
  auto tags = ecs_->ListTagsForResource(td);
  ASSERT_EQ(tags->size(), 2u);
  EXPECT_EQ((*tags)[0], (aws::EcsTag{"team", "b"}));
  EXPECT_EQ(Code(ecs_->TagResource("arn:aws:ecs:us-east-1:0:cluster/none", {{"a", "b"}})),
            "InvalidParameterException");
}

nlohmann::json SnapshotOf(EcsModel& m) {
  std::lock_guard lock(m.mutex());
  return m.Snapshot();
}

TEST(EcsModelDurability, ReplayAndRestoreRebuildTheSameState) {
  std::string dir = testing::TempDir() + "/ecs_durable_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  ManualClock clock;
  nlohmann::json before;
  std::vector<std::string> by_instance, by_service;
  aws::EcsCluster cluster_view;
  {
    auto j = *Journal::Open(
        {.dir = dir}, [](std::string_view) { return Status::Ok(); },
        [](std::string_view) { return Status::Ok(); });
    RegionContext ctx{clock, *j};
    EcsModel ecs(ctx);
    ASSERT_TRUE(ecs.CreateCluster("c1", {{"k", "v"}}).ok());
    ecs.InstanceBooted({.instance_id = "i-1",
                        .instance_type = "m5.large",
                        .availability_zone = "us-east-1a",
                        .vcpus = 2,
                        .memory_mib = 8192,
                        .cluster = "c1"});
    aws::RegisterTaskDefinitionRequest req;
    req.family = "web";
    req.container_definitions.push_back(
        {.name = "app", .image = "nginx", .cpu = 128, .memory = 256, .port_mappings = {{80, 0}}});
    ASSERT_TRUE(ecs.RegisterTaskDefinition(req).ok());
    ASSERT_TRUE(ecs.RunTask({.cluster = "c1", .task_definition = "web", .count = 3}).ok());
    ASSERT_TRUE(ecs.CreateService({.cluster = "c1",
                                   .service_name = "svc",
                                   .task_definition = "web",
                                   .desired_count = 2})
                    .ok());
    for (int i = 0; i < 10; ++i) {
      clock.Advance(std::chrono::seconds(1));
      ecs.Tick();
    }
    auto running = ecs.ListTasks({.cluster = "c1"});
    ASSERT_TRUE(ecs.StopTask("c1", running->arns[0], "").ok());
    before = SnapshotOf(ecs);
    by_instance = ecs.ListTasks({.cluster = "c1", .container_instance = "i-1"})->arns;
    by_service = ecs.ListTasks({.cluster = "c1", .service_name = "svc"})->arns;
    cluster_view = ecs.DescribeClusters({"c1"})->items.at(0);
    ASSERT_EQ(by_instance.size(), 4u);  // 3 RunTask + 2 service tasks, one stopped
    ASSERT_EQ(by_service.size(), 2u);
    // Restore(Snapshot()) gives the same state too.
    RegionContext ctx3{clock, *j};
    EcsModel copy(ctx3);
    ASSERT_TRUE(copy.Restore(before).ok());
    EXPECT_EQ(SnapshotOf(copy), before);
  }
  auto j2 = *Journal::Open(
      {}, [](std::string_view) { return Status::Ok(); },
      [](std::string_view) { return Status::Ok(); });
  RegionContext ctx2{clock, *j2};
  EcsModel ecs2(ctx2);
  auto reopened = Journal::Open(
      {.dir = dir}, [&](std::string_view d) { return ecs2.Restore(nlohmann::json::parse(d)); },
      [&](std::string_view d) { return ecs2.Replay(nlohmann::json::parse(d)); });
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  nlohmann::json after = SnapshotOf(ecs2);
  EXPECT_EQ(after, before);
  EXPECT_EQ(after["records"].size(), before["records"].size());
  EXPECT_GT(after["records"].size(), 8u);
  // The indexes (tasks by instance and by service, the cluster's counts) are rebuilt too.
  EXPECT_EQ(ecs2.ListTasks({.cluster = "c1", .container_instance = "i-1"})->arns, by_instance);
  EXPECT_EQ(ecs2.ListTasks({.cluster = "c1", .service_name = "svc"})->arns, by_service);
  auto view = ecs2.DescribeClusters({"c1"})->items.at(0);
  EXPECT_EQ(view.running_tasks_count, cluster_view.running_tasks_count);
  EXPECT_EQ(view.pending_tasks_count, cluster_view.pending_tasks_count);
  EXPECT_EQ(view.running_tasks_count + view.pending_tasks_count, 4);
  std::filesystem::remove_all(dir);
}

TEST(EcsExpression, ParsedOnceMatchesAsTheTextDoes) {
  struct Case {
    std::string expression, instance_id;
    std::optional<bool> match;  // nullopt: an error
  };
  const std::vector<Case> cases = {
      {"", "i-a", true},
      {"ec2InstanceId in ['i-a', 'i-b']", "i-a", true},
      {"ec2InstanceId in ['i-a', 'i-b']", "i-c", false},
      {"ec2InstanceId not in [i-a,i-b]", "i-c", true},
      {"ec2InstanceId == i-a", "i-a", true},
      {"ec2InstanceId != i-a", "i-a", false},
      {"attribute:ecs.instance-type == m5.*", "i-a", true},
      {"attribute:ecs.instance-type == c5.*", "i-a", false},
      {"(ec2InstanceId == i-b) or attribute:ecs.availability-zone in [us-east-1a]", "i-a", true},
      {"ec2InstanceId == i-a and attribute:ecs.availability-zone == us-east-1b", "i-a", false},
      {"ec2InstanceId == i-a && (attribute:ecs.instance-type == m5.large)", "i-a", true},
      // Short-circuits: the malformed part is an error only when it is reached.
      {"ec2InstanceId == i-a or bogus == 1", "i-a", true},
      {"ec2InstanceId == i-a or bogus == 1", "i-b", std::nullopt},
      {"ec2InstanceId == i-b and ec2InstanceId in i-b", "i-a", false},
      {"ec2InstanceId == i-b and ec2InstanceId in i-b", "i-b", std::nullopt},
      {"ec2InstanceId", "i-a", std::nullopt},
  };
  for (const auto& c : cases) {
    auto parsed = ecs::Expression::Parse(c.expression);
    for (int again = 0; again < 2; ++again) {  // the parsed form is reusable
      auto m = parsed.Match(c.instance_id, "us-east-1a", "m5.large");
      auto text = ecs::MatchExpression(c.expression, c.instance_id, "us-east-1a", "m5.large");
      ASSERT_EQ(m.ok(), c.match.has_value()) << c.expression << " on " << c.instance_id;
      ASSERT_EQ(text.ok(), m.ok()) << c.expression;
      if (m.ok()) {
        EXPECT_EQ(*m, *c.match) << c.expression << " on " << c.instance_id;
        EXPECT_EQ(*text, *m) << c.expression;
      } else {
        EXPECT_EQ(text.status().message(), m.status().message());
      }
    }
  }
}

}  // namespace
}  // namespace steady::region
