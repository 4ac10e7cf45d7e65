// "RunTask failed for lack of resources" messages, in the format the hako deploy tool and
// steady oneshot (deploy/oneshot.h) publish, read from an SQS queue, directly or wrapped in an
// SNS Notification (once or twice):
//   {"group_name": "batch", "cluster": "steady-sample", "cpu": 256, "memory": 512,
//    "hako_task_id": "d3b0c1..."}
// cpu/memory may be numbers or numeric strings; cluster and hako_task_id are required;
// cpu and memory must be > 0.
//
// CapacityRequests keeps the requests still waiting, per cluster, deduplicated by
// hako_task_id: a task id seen again while its request is held is the same work (hako retries
// RunTask with the same id) and is not counted twice. A request is held for `hold` after it was
// first received (the time capacity needs to boot and the task to be retried), then dropped; a
// retry after that counts again (the capacity it caused went to other work). Requests of
// clusters not watched are counted and dropped.
//
// The queue consumer (Poll) receives up to 10 messages, parses each, adds the valid ones and
// deletes every message it could read (valid or not: bad ones are logged and counted, and sent
// to the dead-letter queue first when one is configured, so they are never lost silently).
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "autoscaler/view.h"
#include "aws/sqs.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"

namespace steady::autoscaler {

struct CapacityMessage {
  std::string cluster;
  CapacityRequest request;  // received left for the caller
};

// Parses one message body (direct or SNS-wrapped). kInvalidArgument naming what is wrong.
Result<CapacityMessage> ParseCapacityMessage(std::string_view body);

class CapacityRequests {
 public:
  struct Options {
    std::set<std::string> clusters;  // names watched (ARN bodies are matched by their name)
    Duration hold = std::chrono::minutes(5);
    std::string queue_url;              // "" → Poll does nothing
    std::string dead_letter_queue_url;  // "" → bad messages only logged and counted
    int wait_seconds = 1;               // ReceiveMessage long poll
  };
  CapacityRequests(Options options, aws::Sqs* sqs, Clock& clock, MetricsRegistry& metrics);

  // Adds a parsed message (also what Poll does). False when it was a duplicate or its cluster
  // is not watched.
  bool Add(CapacityMessage message);

  // One receive-parse-add-delete round. Returns the messages read; an error only when
  // ReceiveMessage fails. A message that cannot be dead-lettered stays in the queue (its redrive
  // policy takes it); failed deletes are logged and counted (a redelivered valid message is a
  // duplicate while held).
  Result<int> Poll();

  // The requests still held for `cluster` (expired ones are dropped first).
  std::vector<CapacityRequest> Pending(const std::string& cluster);

  // Drops a held request once its task is known placed (optional: expiry does it otherwise).
  void Done(const std::string& task_id);

 private:
  void ExpireLocked(Time now);
  // Sends a bad message to the dead-letter queue; false when that failed.
  bool DeadLetter(const aws::SqsMessage& m, const std::string& reason);

  Options options_;
  aws::Sqs* sqs_;
  Clock& clock_;
  Counter* received_;
  Counter* duplicates_;
  Counter* malformed_;
  Counter* unwatched_;
  Counter* queue_errors_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, CapacityRequest>>
      held_;  // task id → (cluster, request)
};

}  // namespace steady::autoscaler
