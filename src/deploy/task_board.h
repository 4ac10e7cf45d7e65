// The task-state board: how many `steady oneshot` processes follow their ECS tasks from one
// shared SQS queue without routing messages to their owners (the scheme hako calls its S3
// method).
//
// An EventBridge rule (`{"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"]}`)
// feeds one queue. Every process that waits on a task pumps that queue and acts as a relay: each
// event it receives, whoever's task it is, is written to the object store under
//   <prefix><task id>/<lastStatus>        e.g. task-state/5c9f.../STOPPED
// (the task id is the last path segment of taskArn; only RUNNING and STOPPED are kept), and the
// message is deleted. A process then reads its own task's objects. So one event reaches its
// owner whichever process received it, and nobody calls DescribeTasks in a loop (many
// concurrent oneshots polling DescribeTasks trip ECS's rate limits).
//
// The object holds the event's `detail` as received (JSON; the shape ECS documents in "Amazon
// ECS task state change events"; src/region/ecs_events.cc builds the same one). Objects are
// never deleted here: give the bucket (prefix) a lifecycle rule that expires them after a day
// or so.
//
// Message bodies accepted: the EventBridge event itself (rule target without InputPath), the
// same wrapped in one or more SNS Notification envelopes (aws/sns_envelope.h), or the bare
// `detail` (a target with InputPath "$.detail"). Events of another detail-type and task
// statuses other than RUNNING and STOPPED are ignored (deleted). A body that cannot be read is
// logged, counted, sent to the dead-letter queue when one is configured, and deleted; one that
// cannot be dead-lettered stays in the queue (its redrive policy takes it). A message whose
// Put fails stays in the queue too, so it is delivered again. Nothing in a message can crash
// the board.
//
// Thread safety: Pump and Latest may be called from any thread, concurrently.
#pragma once

#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "aws/ecs.h"
#include "aws/object_store.h"
#include "aws/sqs.h"
#include "base/metrics.h"
#include "base/status.h"

namespace steady::deploy {

// One task state change as the board keeps it.
struct TaskStateChange {
  std::string task_id;      // last segment of taskArn
  std::string last_status;  // detail.lastStatus
  std::string detail;       // the detail object, serialized
};

// Reads one queue message body. Returns nullopt for a well-formed event the board does not keep
// (another detail-type, or a lastStatus other than RUNNING and STOPPED); kInvalidArgument naming
// what is wrong for anything else (not JSON, no detail, no taskArn, a task id that cannot be part
// of an object key, ...). Pure; thread-safe.
Result<std::optional<TaskStateChange>> ParseTaskStateChangeMessage(std::string_view body);

// The EcsTask a task state change `detail` describes (aws::ParseEcsTaskJson: the detail has
// DescribeTasks' member names). kDataLoss if it is not a JSON object of that shape.
Result<aws::EcsTask> ParseTaskDetail(std::string_view detail);

struct TaskBoardOptions {
  std::string queue_url;               // the queue the EventBridge rule feeds
  std::string prefix = "task-state/";  // "" or ends with '/'
  int wait_seconds = 1;                // ReceiveMessage long poll, 0..20
  std::string dead_letter_queue_url;   // "" → unreadable messages are only logged and counted
};

class TaskBoard {
 public:
  TaskBoard(aws::Sqs& sqs, aws::ObjectStore& store, TaskBoardOptions options,
            MetricsRegistry& metrics);

  // One receive round (up to 10 messages, long-polling up to wait_seconds; `stop` ends the poll
  // early): stores what it can read, deletes what it is done with. Returns the messages received;
  // an error only when ReceiveMessage fails.
  Result<int> Pump(std::stop_token stop = {});

  // The newest state the board holds for the task (ARN or id): STOPPED if stored, else RUNNING,
  // else nullopt. Errors are the store's (kNotFound is not one: it is nullopt); kDataLoss when
  // the stored object cannot be read as a task.
  Result<std::optional<aws::EcsTask>> Latest(const std::string& task);

  // <prefix><task id>/<status>.
  std::string KeyOf(const std::string& task_id, const std::string& status) const;

  const TaskBoardOptions& options() const { return options_; }

 private:
  bool DeadLetter(const aws::SqsMessage& m, const std::string& reason);

  aws::Sqs& sqs_;
  aws::ObjectStore& store_;
  TaskBoardOptions options_;
  Counter* stored_;
  Counter* ignored_;
  Counter* malformed_;
  Counter* receive_errors_;
  Counter* put_errors_;
  Counter* delete_errors_;
  Counter* dead_letter_errors_;
};

// The id part of a task ARN ("arn:aws:ecs:R:A:task/CLUSTER/ID" or the old ".../task/ID"), or the
// argument itself when it has no '/'.
std::string TaskIdOf(std::string_view task_arn);

}  // namespace steady::deploy
