// The deployer against the local region in virtual time: diff-only registration, rollouts that
// complete, rollouts that fail (circuit breaker) or time out and are rolled back, dry runs,
// rollback, status and remove.
#include "deploy/deployer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "deploy/test_region.h"

namespace steady::deploy {
namespace {

using ::testing::HasSubstr;

class DeployerTest : public RegionTest {
 protected:
  // A web app: `image`, `desired` tasks behind target group "web"; `env` goes into the app
  // container (the region reads STEADY_RUN_SECONDS / STEADY_EXIT_CODE from it).
  AppDefinition Web(const std::string& image, int desired = 2, const std::string& env = "",
                    int memory = 512) {
    std::string yaml = "scheduler:\n  cluster: apps\n  desired_count: " + std::to_string(desired) +
                       "\n  target_group: web" +
                       "\n  container_port: 8080\n"
                       "app:\n  image: " +
                       image + "\n  cpu: 256\n  memory: " + std::to_string(memory) +
                       "\n  port_mappings: [{container_port: 8080}]\n" +
                       (env.empty() ? "" : "  env: {" + env + "}\n");
    auto def = ParseDefinition(yaml, DefinitionFormat::kYaml, "web.yaml", "web");
    EXPECT_TRUE(def.ok()) << def.status().ToString();
    return def.ok() ? *def : AppDefinition{};
  }

  Deployer& D() {
    if (!deployer_)
      deployer_ = std::make_unique<Deployer>(region_->ecs(), &region_->elbv2(), clock_,
                                             [this](const std::string& l) { lines_.push_back(l); });
    return *deployer_;
  }

  DeployReport Deploy(const AppDefinition& def, DeployOptions o = {}, int seconds = 1200) {
    Result<DeployReport> r = InternalError("not run");
    EXPECT_TRUE(Drive([&] { r = D().Deploy(def, o); }, seconds)) << "deploy did not end";
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : DeployReport{};
  }

  int Revisions() {
    aws::ListTaskDefinitionsRequest req;
    req.family_prefix = "web";
    auto page = region_->ecs().ListTaskDefinitions(req);
    return page.ok() ? static_cast<int>(page->arns.size()) : -1;
  }

  std::string ServiceTaskDefinition() {
    auto d = region_->ecs().DescribeServices("apps", {"web"});
    if (!d.ok() || d->items.empty()) return "";
    const std::string& arn = d->items[0].task_definition;
    return arn.substr(arn.rfind('/') + 1);
  }

  bool Said(const std::string& part) {
    for (const auto& l : lines_)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }

  std::vector<std::string> lines_;
  std::unique_ptr<Deployer> deployer_;
};

TEST_F(DeployerTest, FirstDeployRegistersCreatesAndWaitsForTheRollout) {
  DeployReport r = Deploy(Web("web:1"));
  EXPECT_EQ(r.outcome, DeployOutcome::kDeployed) << r.failure;
  EXPECT_TRUE(r.registered);
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.task_definition, "web:1");
  EXPECT_EQ(Tasks("web").size(), 2u);
  for (const auto& t : Tasks("web")) EXPECT_EQ(t.last_status, "RUNNING");
  EXPECT_TRUE(Said("rollout of web:1 completed"));
  // It waited for the targets to be healthy, not only for the tasks to run.
  auto health = region_->elbv2().DescribeTargetHealth(tg_, {});
  ASSERT_TRUE(health.ok());
  int healthy = 0;
  for (const auto& h : *health) healthy += h.target_health.state == "healthy";
  EXPECT_EQ(healthy, 2);
}

TEST_F(DeployerTest, TheSameDefinitionRegistersNothingAndChangesNothing) {
  Deploy(Web("web:1"));
  lines_.clear();
  DeployReport r = Deploy(Web("web:1"));
  EXPECT_EQ(r.outcome, DeployOutcome::kUpToDate);
  EXPECT_FALSE(r.registered);
  EXPECT_EQ(r.diff, "");
  EXPECT_EQ(Revisions(), 1);
  EXPECT_FALSE(Said("updated service"));
}

TEST_F(DeployerTest, ADesiredCountChangeUpdatesTheServiceWithoutANewRevision) {
  Deploy(Web("web:1"));
  DeployReport r = Deploy(Web("web:1", 3));
  EXPECT_EQ(r.outcome, DeployOutcome::kDeployed);
  EXPECT_FALSE(r.registered);
  EXPECT_EQ(r.task_definition, "web:1");
  EXPECT_THAT(r.service_changes, ::testing::Contains("desired_count: 2 -> 3"));
  EXPECT_EQ(Revisions(), 1);
  EXPECT_EQ(Tasks("web").size(), 3u);
}

TEST_F(DeployerTest, ANewImageRegistersARevisionAndReplacesEveryTask) {
  Deploy(Web("web:1"));
  DeployReport r = Deploy(Web("web:2"));
  EXPECT_EQ(r.outcome, DeployOutcome::kDeployed) << r.failure;
  EXPECT_TRUE(r.registered);
  EXPECT_EQ(r.previous_task_definition, "web:1");
  EXPECT_EQ(r.task_definition, "web:2");
  EXPECT_THAT(r.diff, HasSubstr("+      \"image\": \"web:2\""));
  EXPECT_EQ(ServiceTaskDefinition(), "web:2");
  auto tasks = Tasks("web");
  ASSERT_EQ(tasks.size(), 2u);
  for (const auto& t : tasks) EXPECT_THAT(t.task_definition_arn, HasSubstr("web:2"));
}

TEST_F(DeployerTest, ADryRunReportsTheDiffAndTheServiceChangesAndTouchesNothing) {
  Deploy(Web("web:1"));
  DeployOptions o;
  o.dry_run = true;
  DeployReport r = Deploy(Web("web:2", 4), o);
  EXPECT_EQ(r.outcome, DeployOutcome::kDryRun);
  EXPECT_TRUE(r.registered);
  EXPECT_EQ(r.task_definition, "web:2");
  EXPECT_THAT(r.diff, HasSubstr("-      \"image\": \"web:1\""));
  EXPECT_THAT(r.diff, HasSubstr("+      \"image\": \"web:2\""));
  EXPECT_THAT(r.service_changes, ::testing::Contains("desired_count: 2 -> 4"));
  EXPECT_EQ(Revisions(), 1);
  EXPECT_EQ(ServiceTaskDefinition(), "web:1");
  EXPECT_EQ(Tasks("web").size(), 2u);
}

TEST_F(DeployerTest, ARolloutWhoseTasksKeepFailingIsRolledBack) {
  Deploy(Web("web:1"));
  // web:2's app exits with 1 right after it starts: the circuit breaker fails the deployment.
  DeployReport r = Deploy(Web("web:2", 2, "STEADY_RUN_SECONDS: '0', STEADY_EXIT_CODE: '1'"));
  EXPECT_EQ(r.outcome, DeployOutcome::kRolledBack);
  EXPECT_THAT(r.failure, HasSubstr("circuit breaker"));
  EXPECT_EQ(ServiceTaskDefinition(), "web:1");
  auto tasks = Tasks("web");
  ASSERT_EQ(tasks.size(), 2u);
  for (const auto& t : tasks) {
    EXPECT_THAT(t.task_definition_arn, HasSubstr("web:1"));
    EXPECT_EQ(t.last_status, "RUNNING");
  }
  EXPECT_TRUE(Said("rolled back to web:1"));
}

TEST_F(DeployerTest, ARolloutThatCannotFinishInTimeIsRolledBack) {
  Deploy(Web("web:1"));
  DeployOptions o;
  o.rollout_timeout = std::chrono::minutes(3);
  // 30 GiB fits on no m5.large: the new tasks never start, nothing fails, time runs out.
  DeployReport r = Deploy(Web("web:2", 2, "", 30 * 1024), o);
  EXPECT_EQ(r.outcome, DeployOutcome::kRolledBack);
  EXPECT_THAT(r.failure, HasSubstr("not complete after 180 s"));
  EXPECT_EQ(ServiceTaskDefinition(), "web:1");
  EXPECT_EQ(Tasks("web").size(), 2u);
}

TEST_F(DeployerTest, AStopEndsTheWaitAndLeavesTheRolloutToEcs) {
  Deploy(Web("web:1"));
  std::stop_source stop;
  DeployOptions o;
  o.stop = stop.get_token();
  Result<DeployReport> r = InternalError("not run");
  // 30 GiB fits on no m5.large: the rollout would wait for its whole timeout.
  std::thread t([&] { r = D().Deploy(Web("web:2", 2, "", 30 * 1024), o); });
  clock_.AwaitSleepers(1);
  stop.request_stop();
  t.join();
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_EQ(ServiceTaskDefinition(), "web:2");  // not rolled back: ECS goes on with it
}

TEST_F(DeployerTest, WithoutRollbackAFailedRolloutIsReportedAndLeftAlone) {
  Deploy(Web("web:1"));
  DeployOptions o;
  o.rollback_on_failure = false;
  o.rollout_timeout = std::chrono::minutes(2);
  DeployReport r = Deploy(Web("web:2", 2, "", 30 * 1024), o);
  EXPECT_EQ(r.outcome, DeployOutcome::kFailed);
  EXPECT_EQ(ServiceTaskDefinition(), "web:2");
}

TEST_F(DeployerTest, RollbackGoesToThePreviousRevision) {
  Deploy(Web("web:1"));
  Deploy(Web("web:2"));
  Result<DeployReport> r = InternalError("not run");
  ASSERT_TRUE(Drive([&] { r = D().Rollback(Web("web:2"), {}); }, 1200));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, DeployOutcome::kDeployed);
  EXPECT_EQ(r->previous_task_definition, "web:2");
  EXPECT_EQ(r->task_definition, "web:1");
  EXPECT_EQ(ServiceTaskDefinition(), "web:1");
  // From web:1 there is nothing older.
  Result<DeployReport> again = InternalError("not run");
  ASSERT_TRUE(Drive([&] { again = D().Rollback(Web("web:2"), {}); }, 10));
  EXPECT_EQ(again.status().code(), StatusCode::kNotFound);
}

TEST_F(DeployerTest, StatusShowsDeploymentsTasksWhereTheyRunAndTargetHealth) {
  Deploy(Web("web:1"));
  auto st = D().Describe(Web("web:1"));
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_EQ(st->tasks.size(), 2u);
  for (const auto& t : st->tasks) {
    EXPECT_EQ(t.task_definition, "web:1");
    EXPECT_EQ(t.last_status, "RUNNING");
    EXPECT_THAT(t.instance_id, ::testing::StartsWith("i-"));
    EXPECT_EQ(t.health, "healthy");
  }
  std::string text = FormatStatus(*st);
  EXPECT_THAT(text, HasSubstr("service web (apps) ACTIVE: web:1, desired 2, running 2"));
  EXPECT_THAT(text, HasSubstr("PRIMARY web:1"));
  EXPECT_THAT(text, HasSubstr("target healthy"));
  EXPECT_EQ(D().Describe(Web("web:1", 1)).ok(), true);
}

TEST_F(DeployerTest, RemoveDeletesTheServiceAndWaitsForItsTasks) {
  Deploy(Web("web:1"));
  Status s = InternalError("not run");
  ASSERT_TRUE(Drive([&] { s = D().Remove(Web("web:1"), {}); }, 600));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(Tasks("web").empty());
  EXPECT_EQ(D().Describe(Web("web:1")).status().code(), StatusCode::kNotFound);
  // The revisions stay: they are the history a later deploy diffs against.
  EXPECT_EQ(Revisions(), 1);
  // Removing again is not an error.
  EXPECT_TRUE(D().Remove(Web("web:1"), {}).ok());
}

TEST_F(DeployerTest, EnsureTaskDefinitionRegistersOnlyWhatDiffers) {
  bool registered = false;
  auto first = D().EnsureTaskDefinition(Web("web:1"), &registered);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(registered);
  auto again = D().EnsureTaskDefinition(Web("web:1"), &registered);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(registered);
  EXPECT_EQ(*again, *first);
  auto changed = D().EnsureTaskDefinition(Web("web:1", 2, "FEATURE: 'on'"), &registered);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(registered);
  EXPECT_THAT(*changed, ::testing::EndsWith("web:2"));
  EXPECT_EQ(Revisions(), 2);
}

TEST_F(DeployerTest, AOneshotDefinitionIsNotDeployedAsAService) {
  auto def =
      ParseDefinition("scheduler: {type: oneshot, cluster: apps}\napp: {image: job, memory: 64}\n",
                      DefinitionFormat::kYaml, "job.yaml", "job");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(D().Deploy(*def, {}).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace steady::deploy
