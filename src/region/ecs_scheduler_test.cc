#include <gtest/gtest.h>

#include <algorithm>

#include "region/ecs_model.h"
#include "region/ecs_test_fixture.h"
#include "region/service_error.h"

namespace steady::region {
namespace {

using std::chrono::seconds;

constexpr char kTg[] = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/1";

class EcsSchedulerTest : public EcsTest {
 protected:
  EcsSchedulerTest() : elb_(clock_) {
    EXPECT_TRUE(ecs_->CreateCluster("c1", {}).ok());
    ecs_->SetLinks(&elb_, nullptr);
  }

  aws::EcsService Create(const std::string& td, int desired, bool lb) {
    aws::CreateServiceRequest req;
    req.cluster = "c1";
    req.service_name = "web";
    req.task_definition = td;
    req.desired_count = desired;
    if (lb) req.load_balancers = {{kTg, "app", 8080}};
    auto s = ecs_->CreateService(req);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.value_or(aws::EcsService{});
  }

  bool HasEvent(const aws::EcsService& s, const std::string& part) {
    return std::any_of(s.events.begin(), s.events.end(), [&](const aws::ServiceEvent& e) {
      return e.message.find(part) != std::string::npos;
    });
  }

  FakeElb elb_;
};

TEST_F(EcsSchedulerTest, ServiceKeepsDesiredCountAndReachesSteadyState) {
  Boot("i-a", "us-east-1a");
  Boot("i-b", "us-east-1b");
  std::string td = Register("web", 256, 256, 8080);
  auto created = Create(td, 3, false);
  EXPECT_EQ(created.running_count, 0);
  EXPECT_EQ(created.deployments.size(), 1u);
  Advance(seconds(10));
  auto s = Service("web");
  EXPECT_EQ(s.running_count, 3);
  EXPECT_EQ(s.deployments[0].rollout_state, "COMPLETED");
  EXPECT_EQ(s.events.front().message, "(service web) has reached a steady state.");
  EXPECT_TRUE(HasEvent(s, "(service web) has started 3 tasks: (task "));
  auto tasks = Tasks("c1", "RUNNING", "web");
  ASSERT_EQ(tasks.size(), 3u);
  for (const auto& t : tasks) {
    EXPECT_EQ(t.group, "service:web");
    EXPECT_EQ(t.started_by, s.deployments[0].id);
  }
  // A stopped task is replaced.
  ASSERT_TRUE(ecs_->StopTask("c1", tasks[0].task_arn, "").ok());
  Advance(seconds(10));
  EXPECT_EQ(Service("web").running_count, 3);
  EXPECT_EQ(Tasks("c1", "RUNNING", "web").size(), 3u);
  // Scale in.
  ASSERT_TRUE(ecs_->UpdateService({.cluster = "c1", .service = "web", .desired_count = 1}).ok());
  Advance(seconds(5));
  EXPECT_EQ(Service("web").running_count, 1);
  EXPECT_EQ(ecs_->DescribeClusters({"c1"})->items[0].active_services_count, 1);
}

TEST_F(EcsSchedulerTest, UnplaceableTasksLeaveAnEventAndTheDeploymentInProgress) {
  Boot("i-a", "us-east-1a", 1, 1024);
  std::string td = Register("big", 256, 2048);
  Create(td, 2, false);
  Advance(seconds(3));
  auto s = Service("web");
  EXPECT_EQ(s.running_count, 0);
  EXPECT_EQ(s.deployments[0].rollout_state, "IN_PROGRESS");
  ASSERT_FALSE(s.events.empty());
  EXPECT_EQ(s.events.front().message.rfind(
                "(service web) was unable to place a task because no container instance met all "
                "of its requirements. The closest matching (container-instance ",
                0),
            0u)
      << s.events.front().message;
  EXPECT_NE(s.events.front().message.find("has insufficient memory available."), std::string::npos);
}

TEST_F(EcsSchedulerTest, DrainingInstanceIsReplacedNewBeforeOldAndDeregisteredBeforeStop) {
  std::string a = Boot("i-a", "us-east-1a");
  std::string td = Register("web", 256, 256, 8080);
  Create(td, 2, true);
  Advance(seconds(20));
  auto before = Tasks("c1", "RUNNING", "web");
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(elb_.Count("register"), 2);
  EXPECT_EQ(Service("web").events.front().message, "(service web) has reached a steady state.");

  Boot("i-b", "us-east-1b");
  ASSERT_TRUE(ecs_->UpdateContainerInstancesState("c1", {a}, "DRAINING").ok());
  // Step through, checking at every second that two healthy targets are always in service.
  for (int i = 0; i < 120; ++i) {
    clock_.Advance(seconds(1));
    ecs_->Tick();
    int healthy = 0;
    for (const auto& c : elb_.calls)
      if (c.what == "register" && elb_.TargetState(c.tg, c.target) == "healthy") ++healthy;
    EXPECT_GE(healthy, 2) << "at second " << i;
  }
  auto after = Tasks("c1", "RUNNING", "web");
  ASSERT_EQ(after.size(), 2u);
  for (const auto& t : after) EXPECT_NE(t.container_instance_arn, a);
  EXPECT_EQ(elb_.Count("down"), 0);
  EXPECT_EQ(elb_.Count("register"), 4);
  EXPECT_EQ(elb_.Count("deregister"), 2);
  // Each old task stopped only after its target was deregistered and drained (30 s).
  for (const auto& old : before) {
    auto t = ecs_->DescribeTasks("c1", {old.task_arn})->items[0];
    EXPECT_EQ(t.last_status, "STOPPED");
    EXPECT_EQ(t.stop_code, "ServiceSchedulerInitiated");
    int port = t.containers[0].network_bindings[0].host_port;
    Time deregistered{};
    for (const auto& c : elb_.calls)
      if (c.what == "deregister" && c.target.id == "i-a" && c.target.port == port)
        deregistered = c.at;
    ASSERT_NE(deregistered, Time{});
    ASSERT_TRUE(t.stopping_at.has_value());
    EXPECT_GE(*t.stopping_at - deregistered, seconds(30));
    // The replacement was healthy before the old target was deregistered.
    Time first_new_register{};
    for (const auto& c : elb_.calls)
      if (c.what == "register" && c.target.id == "i-b") {
        first_new_register = c.at;
        break;
      }
    EXPECT_GE(deregistered - first_new_register, seconds(10));
  }
  auto s = Service("web");
  EXPECT_TRUE(HasEvent(s, "has begun draining connections on"));
  EXPECT_TRUE(HasEvent(s, "running tasks: (task "));
  EXPECT_EQ(s.events.front().message, "(service web) has reached a steady state.");
}

// A task that turns RUNNING on an instance already DRAINING, with its replacement started, is
// registered and displaced in the same scheduler pass: the load balancer must see the
// registration first, or the deregistration is lost, the target stays in service and ECS waits
// for it to drain (the task is never stopped). Which second DRAINING must come for that depends
// on the task's start-up delays: every offset is tried, and one must hit the same pass.
TEST_F(EcsSchedulerTest, TaskRegisteredAndDisplacedInOnePassReachesTheElbInThatOrder) {
  std::string td = Register("web", 256, 256, 8080);
  bool same_pass_seen = false;
  for (int drain_after = 0; drain_after <= 5; ++drain_after) {
    SCOPED_TRACE("DRAINING after " + std::to_string(drain_after) + " s");
    const std::string cluster = "d" + std::to_string(drain_after);
    ASSERT_TRUE(ecs_->CreateCluster(cluster, {}).ok());
    const std::string ia = "i-a" + cluster, ib = "i-b" + cluster;
    std::string a = Boot(ia, "us-east-1a", 2, 4096, cluster);
    aws::CreateServiceRequest req;
    req.cluster = cluster;
    req.service_name = "web";
    req.task_definition = td;
    req.desired_count = 1;
    req.load_balancers = {{kTg, "app", 8080}};
    ASSERT_TRUE(ecs_->CreateService(req).ok());
    Advance(seconds(drain_after));
    Boot(ib, "us-east-1b", 2, 4096, cluster);
    ASSERT_TRUE(ecs_->UpdateContainerInstancesState(cluster, {a}, "DRAINING").ok());
    Advance(seconds(60));
    std::vector<FakeElb::Call> on_a;
    for (const auto& c : elb_.calls)
      if (c.target.id == ia) on_a.push_back(c);
    if (!on_a.empty()) {
      EXPECT_EQ(on_a.front().what, "register");
      EXPECT_EQ(on_a.back().what, "deregister");
      EXPECT_NE(elb_.TargetState(kTg, on_a.front().target), "healthy");
      if (on_a.size() >= 2 && on_a[0].at == on_a[1].at) same_pass_seen = true;
    }
    auto left = Tasks(cluster, "RUNNING", "web");
    ASSERT_EQ(left.size(), 1u);
    EXPECT_NE(left[0].container_instance_arn, a);  // nothing left on the drained instance
  }
  EXPECT_TRUE(same_pass_seen);
}

TEST_F(EcsSchedulerTest, StopTaskOfARegisteredTaskDropsItsTargetAtOnce) {
  Boot("i-a", "us-east-1a");
  std::string td = Register("web", 256, 256, 8080);
  Create(td, 1, true);
  Advance(seconds(20));
  auto tasks = Tasks("c1", "RUNNING", "web");
  ASSERT_EQ(tasks.size(), 1u);
  ASSERT_TRUE(ecs_->StopTask("c1", tasks[0].task_arn, "").ok());
  ASSERT_EQ(elb_.Count("down"), 1);
  EXPECT_EQ(elb_.calls.back().what, "deregister");
  EXPECT_EQ(elb_.calls[elb_.calls.size() - 2].what, "down");
  EXPECT_EQ(elb_.calls.back().target.port, tasks[0].containers[0].network_bindings[0].host_port);
}

TEST_F(EcsSchedulerTest, TerminatedInstanceTakesItsTargetsDown) {
  Boot("i-a", "us-east-1a");
  std::string td = Register("web", 256, 256, 8080);
  Create(td, 2, true);
  Advance(seconds(20));
  ecs_->InstanceTerminated("i-a");
  EXPECT_EQ(elb_.Count("down"), 2);
  EXPECT_EQ(Tasks("c1", "RUNNING", "web").size(), 0u);
  Boot("i-b", "us-east-1b");
  Advance(seconds(20));
  EXPECT_EQ(Tasks("c1", "RUNNING", "web").size(), 2u);
}

TEST_F(EcsSchedulerTest, DeploymentRollsToTheNewTaskDefinition) {
  Boot("i-a", "us-east-1a");
  Boot("i-b", "us-east-1b");
  std::string v1 = Register("web", 256, 256, 8080);
  std::string v2 = Register("web", 256, 300, 8080);
  Create(v1, 2, true);
  Advance(seconds(20));
  auto upd = ecs_->UpdateService({.cluster = "c1", .service = "web", .task_definition = "web:2"});
  ASSERT_TRUE(upd.ok()) << upd.status().ToString();
  ASSERT_EQ(upd->deployments.size(), 2u);
  EXPECT_EQ(upd->deployments[0].status, "PRIMARY");
  EXPECT_EQ(upd->deployments[0].rollout_state, "IN_PROGRESS");
  EXPECT_EQ(upd->deployments[0].task_definition, v2);
  EXPECT_EQ(upd->deployments[1].status, "ACTIVE");
  EXPECT_EQ(upd->deployments[1].running_count, 2);
  Advance(seconds(5));
  auto mid = Service("web");
  ASSERT_EQ(mid.deployments.size(), 2u);
  EXPECT_EQ(mid.deployments[0].running_count + mid.deployments[0].pending_count, 2);
  Advance(seconds(90));
  auto s = Service("web");
  ASSERT_EQ(s.deployments.size(), 1u);
  EXPECT_EQ(s.deployments[0].rollout_state, "COMPLETED");
  EXPECT_EQ(s.task_definition, v2);
  auto tasks = Tasks("c1", "RUNNING", "web");
  ASSERT_EQ(tasks.size(), 2u);
  for (const auto& t : tasks) EXPECT_EQ(t.task_definition_arn, v2);
  EXPECT_EQ(elb_.Count("down"), 0);
}

TEST_F(EcsSchedulerTest, StalledDeploymentKeepsOldTasksAndSaysWhy) {
  Boot("i-a", "us-east-1a", 2, 1024);
  std::string v1 = Register("web", 256, 256);
  Register("web", 256, 4096);
  Create(v1, 2, false);
  Advance(seconds(10));
  ASSERT_TRUE(
      ecs_->UpdateService({.cluster = "c1", .service = "web", .task_definition = "web"}).ok());
  Advance(seconds(30));
  auto s = Service("web");
  ASSERT_EQ(s.deployments.size(), 2u);
  EXPECT_EQ(s.deployments[0].rollout_state, "IN_PROGRESS");
  EXPECT_EQ(s.deployments[1].running_count, 2);
  EXPECT_EQ(s.running_count, 2);
  EXPECT_NE(s.events.front().message.find("was unable to place a task"), std::string::npos);
}

TEST_F(EcsSchedulerTest, DeleteServiceDrainsToInactive) {
  Boot("i-a", "us-east-1a");
  std::string td = Register("web", 256, 256);
  Create(td, 2, false);
  Advance(seconds(10));
  auto refused = ecs_->DeleteService("c1", "web", false);
  EXPECT_EQ(SplitServiceError(refused.status()).code, "InvalidParameterException");
  auto del = ecs_->DeleteService("c1", "web", true);
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->status, "DRAINING");
  Advance(seconds(10));
  EXPECT_EQ(Service("web").status, "INACTIVE");
  EXPECT_TRUE(Tasks("c1", "RUNNING", "web").empty());
  EXPECT_EQ(
      SplitServiceError(
          ecs_->UpdateService({.cluster = "c1", .service = "web", .desired_count = 1}).status())
          .code,
      "ServiceNotActiveException");
  EXPECT_EQ(
      SplitServiceError(ecs_->UpdateService({.cluster = "c1", .service = "nope"}).status()).code,
      "ServiceNotFoundException");
  EXPECT_TRUE(ecs_->ListServices("c1", {})->arns.empty());
  // The name can be used again.
  Create(td, 1, false);
}

TEST_F(EcsSchedulerTest, CircuitBreakerFailsAndRollsBack) {
  Boot("i-a", "us-east-1a");
  std::string v1 = Register("web", 256, 256);
  // v2's essential container exits as soon as it runs (the batch convention), so it never
  // stays up.
  aws::RegisterTaskDefinitionRequest bad;
  bad.family = "web";
  bad.container_definitions.push_back(
      {.name = "app",
       .image = "broken",
       .cpu = 256,
       .memory = 256,
       .environment = {{"STEADY_RUN_SECONDS", "0"}, {"STEADY_EXIT_CODE", "1"}}});
  std::string v2 = ecs_->RegisterTaskDefinition(bad)->task_definition_arn;
  aws::CreateServiceRequest req;
  req.cluster = "c1";
  req.service_name = "web";
  req.task_definition = v1;
  req.desired_count = 2;
  req.deployment_configuration.circuit_breaker_enable = true;
  req.deployment_configuration.circuit_breaker_rollback = true;
  ASSERT_TRUE(ecs_->CreateService(req).ok());
  Advance(seconds(10));
  ASSERT_TRUE(ecs_->UpdateService({.cluster = "c1", .service = "web", .task_definition = v2}).ok());
  Advance(seconds(120));
  auto s = Service("web");
  EXPECT_TRUE(HasEvent(s, "deployment failed: tasks failed to start."));
  EXPECT_TRUE(HasEvent(s, "rolling back to deployment"));
  EXPECT_EQ(s.task_definition, v1);
  ASSERT_FALSE(s.deployments.empty());
  EXPECT_EQ(s.deployments[0].task_definition, v1);
  EXPECT_EQ(s.deployments[0].rollout_state, "COMPLETED");
  EXPECT_EQ(s.running_count, 2);
  for (const auto& t : Tasks("c1", "RUNNING", "web")) EXPECT_EQ(t.task_definition_arn, v1);
}

}  // namespace
}  // namespace steady::region
