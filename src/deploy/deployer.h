// Deployer: what `steady deploy`, `rollback`, `status` and `remove` do with an AppDefinition
// (deploy/definition.h) against ECS.
//
// Deploy: render the task definition; register a new revision only when it differs from the
// family's newest ACTIVE revision (SameTaskDefinition), else reuse that one; create the service
// or update it (only the fields that differ); wait for the rollout: the PRIMARY deployment's
// rolloutState COMPLETED. A rollout that FAILS (the deployment circuit breaker, which steady
// turns on, stopped it), is superseded by another deployment, or outlasts `rollout_timeout` is
// rolled back by steady itself — UpdateService to the revision that ran before, and a wait for
// that rollout — so a timeout is handled the same way as a failure. Dry run: nothing is changed;
// the report carries the task-definition diff against what the service runs (or the family's
// newest revision) and the service fields that would change.
//
// Rollback: the service goes to the family's newest ACTIVE revision older than the one it runs.
// Remove: desired count 0, DeleteService (force), and, when asked, a wait until ECS says the
// service is INACTIVE. Task-definition revisions are kept (they are the rollback history).
//
// All waiting is on the injected Clock; every state change of the rollout is passed to
// `progress` as one line (the CLI prints it). Errors: ECS errors as they come; kNotFound when
// the app has no service (rollback, status) or no older revision (rollback);
// kFailedPrecondition for a definition whose scheduler is not `ecs`.
//
// Thread safety: one Deployer per thread.
#pragma once

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "aws/ecs.h"
#include "aws/elbv2.h"
#include "base/clock.h"
#include "base/status.h"
#include "deploy/definition.h"

namespace steady::deploy {

struct DeployOptions {
  bool dry_run = false;
  bool wait = true;                 // false: return once the service is updated
  bool rollback_on_failure = true;  // false: report the failure and leave the service as it is
  Duration rollout_timeout = std::chrono::minutes(10);
  // How long the automatic rollback's own rollout may take (the previous revision's tasks are
  // started anew, so it takes as long as any rollout, whatever timeout the failed one had).
  Duration rollback_timeout = std::chrono::minutes(10);
  Duration poll_interval = std::chrono::seconds(5);
  // A stop request ends a wait (rollout or removal) early with CancelledError; ECS goes on with
  // what it was doing. Nothing is rolled back for it.
  std::stop_token stop;
};

enum class DeployOutcome {
  kUpToDate,    // the service already ran this definition with these settings
  kDeployed,    // rolled out (or, without wait, started rolling out)
  kRolledBack,  // the rollout failed and the previous revision runs again
  kFailed,      // the rollout failed and nothing could be rolled back to (or rollback failed)
  kDryRun,      // nothing was changed
};
const char* DeployOutcomeName(DeployOutcome o);

struct DeployReport {
  DeployOutcome outcome = DeployOutcome::kUpToDate;
  std::string task_definition;           // family:revision deployed, or wanted ("family:new")
  std::string previous_task_definition;  // what the service ran before ("" for a new service)
  bool registered = false;               // a new revision was (or, dry run, would be) registered
  bool created = false;                  // the service was (or would be) created
  std::string diff;                      // task-definition diff ("" when none)
  std::vector<std::string> service_changes;  // "desired_count: 2 -> 3", ...
  std::string failure;                       // why the rollout failed (kRolledBack, kFailed)
};

struct TaskStatus {
  std::string task_id;
  std::string task_definition;  // family:revision
  std::string last_status, desired_status;
  std::string instance_id, availability_zone;
  std::string health;  // target health on the service's target group ("" without one)
  std::string stopped_reason;
};

struct AppStatus {
  aws::EcsService service;
  std::vector<TaskStatus> tasks;
};

// Renders a status report for a terminal: the service line, its deployments, its tasks (where
// they run and their target health) and its newest events.
std::string FormatStatus(const AppStatus& status, int events = 5);

class Deployer {
 public:
  using Progress = std::function<void(const std::string& line)>;
  // `elbv2` may be null (status then shows no target health).
  Deployer(aws::Ecs& ecs, aws::Elbv2* elbv2, Clock& clock, Progress progress = {});

  Result<DeployReport> Deploy(const AppDefinition& def, const DeployOptions& options);
  Result<DeployReport> Rollback(const AppDefinition& def, const DeployOptions& options);
  // The task definition to run `def` with (what `steady oneshot` uses): the family's newest
  // ACTIVE revision when it renders the same, else a newly registered one. Returns its ARN;
  // `registered` (optional) says whether it is new.
  Result<std::string> EnsureTaskDefinition(const AppDefinition& def, bool* registered = nullptr);
  Result<AppStatus> Describe(const AppDefinition& def);  // steady status
  Status Remove(const AppDefinition& def, const DeployOptions& options);

 private:
  // `def` with scheduler.target_group_name looked up into target_group_arn.
  Result<AppDefinition> ResolveTargetGroup(const AppDefinition& def);
  Result<DeployReport> DeployResolved(const AppDefinition& def, const DeployOptions& options);
  // The app's service, or nullopt when there is none or it is INACTIVE.
  Result<std::optional<aws::EcsService>> FindService(const AppDefinition& def);
  // Waits for the rollout of `task_definition_arn`; "" when it completed, else why it did not.
  Result<std::string> WaitRollout(const AppDefinition& def, const std::string& task_definition_arn,
                                  const DeployOptions& options);
  // Rolls `report` back to report.previous_task_definition after `failure`.
  Status RollBackAfter(const AppDefinition& def, const std::string& previous_arn,
                       const DeployOptions& options, DeployReport& report);
  void Say(const std::string& line);

  aws::Ecs& ecs_;
  aws::Elbv2* elbv2_;
  Clock& clock_;
  Progress progress_;
};

}  // namespace steady::deploy
