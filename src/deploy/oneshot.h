// `steady oneshot APP -- CMD...`: runs one batch task of an app and follows it to its end.
//
// Start: RunTask on the definition's cluster with the command (and environment) overriding the
// app container's, `startedBy` set, the definition's placement. When ECS has no room — RunTask
// failures with a reason "RESOURCE:..." (RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS), or
// "No Container Instances were found in your cluster" — it publishes to the capacity topic the
// message the autoscaler consumes (autoscaler/capacity.h):
//   {"group_name": "<scheduler.group_name>", "cluster": "<cluster>", "cpu": N, "memory": N,
//    "hako_task_id": "<id>"}
// (cpu and memory from TaskSizeOf, at least 1 each, as the autoscaler requires) with the same id
// on every retry of one Oneshot (so the autoscaler counts the work once), and
// tries RunTask again every capacity_retry until the task is placed or capacity_timeout has
// passed. Transient (retryable) RunTask errors are retried on the same schedule.
//
// Wait: follows the task until it is STOPPED and answers the app container's exit code. With a
// TaskBoard (task_board.h) each round pumps the shared event queue and reads the task's state
// from the board; DescribeTasks is called only after event_silence without news (one call, then
// again after another event_silence). Without a board it polls DescribeTasks every
// poll_interval (the fallback, and the baseline the board is measured against). On a stop
// request, or once `timeout` has passed, it calls StopTask (reason "steady oneshot: interrupted"
// or "steady oneshot: timeout") and keeps following, no longer interruptible, until the task is
// STOPPED or stop_follow_timeout has passed.
//
// All waiting is on the injected Clock. One Oneshot runs one task: call Start, then Wait, from
// one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "aws/ecs.h"
#include "aws/sns.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"
#include "deploy/definition.h"
#include "deploy/task_board.h"

namespace steady::deploy {

// The exit code when the app container never exited (the task failed to start, or the app
// container is missing): what `docker run` answers when the container cannot run.
inline constexpr int kNoExitCode = 125;

inline constexpr char kInterruptedReason[] = "steady oneshot: interrupted";
inline constexpr char kTimeoutReason[] = "steady oneshot: timeout";

struct OneshotClients {
  aws::Ecs& ecs;
  aws::Sns* sns = nullptr;     // nullptr: no capacity messages
  TaskBoard* board = nullptr;  // nullptr: Wait polls DescribeTasks
};

struct OneshotOptions {
  std::vector<std::string> command;            // empty: the image's
  std::vector<aws::KeyValuePair> environment;  // added to the app container's
  std::string started_by = "steady-oneshot";
  std::string capacity_topic_arn;  // "" → no capacity messages
  std::string hako_task_id;        // "" → 32 random hex digits
  Duration capacity_retry = std::chrono::seconds(10);
  Duration capacity_timeout = std::chrono::minutes(10);
  // A round of Wait: pump + read the board, or (no board) one DescribeTasks.
  Duration poll_interval = std::chrono::seconds(5);
  // With a board: no news for this long → one DescribeTasks to check.
  Duration event_silence = std::chrono::seconds(60);
  Duration timeout{};  // 0: none; else StopTask once the task has run this long after Start
  Duration stop_follow_timeout = std::chrono::minutes(5);
};

struct OneshotResult {
  aws::EcsTask task;          // the last state seen (STOPPED)
  int exit_code = 0;          // the app container's; kNoExitCode when it has none
  std::string reason;         // when exit_code is kNoExitCode: the task's stoppedReason (or why)
  int run_attempts = 0;       // RunTask calls
  int capacity_messages = 0;  // published
  int ecs_calls = 0;          // every ECS call (RunTask, DescribeTasks, StopTask)
  int describe_calls = 0;     // DescribeTasks
  bool stopped_by_us = false;
};

// What RunTask needs of an instance: task-level cpu/memory when set ("1024", "1 vCPU",
// "2 GB", "512 MiB"), else the sum over containers of cpu and of memoryReservation (or memory
// when there is none), as ECS places tasks.
struct TaskSize {
  int64_t cpu = 0;
  int64_t memory = 0;  // MiB
};
TaskSize TaskSizeOf(const aws::RegisterTaskDefinitionRequest& td);

// The app container's exit code in `task` (kNoExitCode if it has none), and why there is none.
int AppExitCode(const aws::EcsTask& task, const std::string& app_container, std::string* reason);

class Oneshot {
 public:
  // `task_definition` is what RunTask runs (family:revision or ARN), registered from `def`.
  Oneshot(AppDefinition def, std::string task_definition, OneshotOptions options,
          OneshotClients clients, Clock& clock, MetricsRegistry& metrics);

  // Runs the task, waiting for capacity as described above. Errors: kCancelled (stop requested
  // before the task was placed), kResourceExhausted (no capacity by capacity_timeout),
  // kFailedPrecondition (RunTask refused for another reason: its failures), or RunTask's own
  // error.
  Result<aws::EcsTask> Start(std::stop_token stop);

  // Follows the started task until STOPPED; `on_change` sees every newer state. Errors:
  // kFailedPrecondition before a successful Start, kDeadlineExceeded if the task was stopped by
  // us and had not stopped after stop_follow_timeout, kNotFound if ECS no longer knows the task.
  Result<OneshotResult> Wait(std::stop_token stop,
                             std::function<void(const aws::EcsTask&)> on_change = {});

  const std::string& hako_task_id() const { return hako_task_id_; }
  const std::string& task_arn() const { return task_.task_arn; }

 private:
  void PublishCapacity();
  std::optional<aws::EcsTask> Describe(OneshotResult& result, int& missing);

  AppDefinition def_;
  std::string task_definition_;
  OneshotOptions options_;
  OneshotClients clients_;
  Clock& clock_;
  TaskSize size_;
  std::string hako_task_id_;
  aws::EcsTask task_;
  Time started_at_{};
  OneshotResult counts_;  // counters carried from Start into Wait's result
  Counter* run_tasks_;
  Counter* describes_;
  Counter* stops_;
  Counter* capacity_published_;
  Counter* capacity_failed_;
};

}  // namespace steady::deploy
