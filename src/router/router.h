// steady router: re-files every service-log object per task.
//
// Consumes S3 ObjectCreated events (events.h: S3 event JSON, SNS-wrapped, or EventBridge) from
// one SQS queue with `workers` threads, each handling one message at a time, so at most
// `workers` objects are split at once (memory: workers × the splitter's bound, splitter.h).
// Per message:
//   - s3:TestEvent, or only non-ObjectCreated records → deleted.
//   - malformed body → counted (failures{kind="malformed_message"}) and logged; sent to
//     dead_letter_queue_url (attribute "steady-reason") and deleted when one is configured,
//     otherwise left alone so that the queue's redrive policy moves it after maxReceiveCount.
//   - each created object: an event for another bucket, or a key outside the service-logs
//     prefix or not in the layout (logs/layout.h) → counted ("foreign_key"), logged, nothing
//     written; a source that no longer exists → counted ("missing_object"); otherwise split
//     (splitter.h) and every task object written.
//   - all objects done → the message is deleted. A store failure → the message is hidden for
//     retry_after and redelivered later; reprocessing rewrites the same keys (idempotent), so a
//     failure after some task objects were written ends in the right state on the retry.
// While an object is being split the message's visibility is extended every
// visibility_timeout/2. Stop() cancels in-flight splits between reads and hands their messages
// back at once (visibility 0); nothing is deleted that was not fully written.
//
// Backfill processes existing objects found by listing, the same way.
//
// Metrics: steady_router_objects_total{result=ok|damaged|skipped|missing|failed},
// steady_router_lines_total{kind=task|no_task_id|invalid_json|oversize},
// steady_router_bytes_total{direction=read|inflated|written}, steady_router_object_seconds,
// steady_router_failures_total{kind=malformed_message|foreign_key|missing_object|
// truncated_gzip|corrupt_gzip|store|sqs}, steady_router_messages_total{action}.
//
// Thread safety: Start/Stop from one thread; HandleMessage, ProcessKey and Backfill may be
// called from many.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "aws/object_store.h"
#include "aws/sqs.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"
#include "logs/layout.h"
#include "router/splitter.h"

namespace steady::router {

struct RouterOptions {
  std::string queue_url;
  std::string dead_letter_queue_url;  // "" → malformed messages stay for the queue's redrive
  std::string service_prefix = "service-logs";
  // Events name S3 keys; the store sees keys below its own prefix. `bucket` ("" → any) and
  // `store_prefix` ("" or ending in '/': an S3 store's PREFIX) map one to the other.
  std::string bucket;
  std::string store_prefix;
  int workers = 2;
  int wait_time_seconds = 20;
  Duration visibility_timeout = std::chrono::seconds(120);
  Duration retry_after = std::chrono::seconds(30);
  SplitOptions split;
};

enum class ObjectResult { kOk, kDamaged, kSkipped, kMissing, kFailed, kCancelled };
enum class MessageAction { kDeleted, kDeadLettered, kLeft, kRetryLater, kReturned };
const char* ObjectResultName(ObjectResult r);
const char* MessageActionName(MessageAction a);

struct BackfillReport {
  uint64_t objects = 0, ok = 0, damaged = 0, skipped = 0, missing = 0, failed = 0;
  uint64_t lines = 0, bytes_inflated = 0, task_objects = 0;
};

class Router {
 public:
  // `sqs` may be null for backfill-only use. Store and sqs must outlive the router.
  Router(RouterOptions options, aws::ObjectStore& store, aws::Sqs* sqs, Clock& clock,
         MetricsRegistry& metrics);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Starts the workers (kFailedPrecondition without a queue).
  Status Start();
  // Stops receiving, cancels in-flight objects and hands their messages back. Idempotent.
  void Stop();

  // One received message, start to end (deletes it, or not, as described above).
  MessageAction HandleMessage(const aws::SqsMessage& message, std::stop_token stop = {});

  // Splits one source object by its store key. `heartbeat` runs between reads.
  ObjectResult ProcessKey(const std::string& key, std::stop_token stop = {},
                          const std::function<void()>& heartbeat = {}, SplitStats* stats = nullptr);

  // Processes every service-log object whose minute may hold events in `range` (optionally of
  // one family, and one container), with options.workers threads.
  Result<BackfillReport> Backfill(const logs::TimeRange& range, const std::string& family = "",
                                  const std::string& container = "", std::stop_token stop = {});

  const RouterOptions& options() const { return options_; }

 private:
  void Worker(std::stop_token stop);
  Status Release(const aws::SqsMessage& m, Duration visibility);
  Status DeleteMessage(const aws::SqsMessage& m);

  RouterOptions options_;
  std::string service_prefix_;  // without a trailing '/'
  aws::ObjectStore& store_;
  aws::Sqs* sqs_;
  Clock& clock_;
  MetricFamily<Counter>& objects_;
  MetricFamily<Counter>& lines_;
  MetricFamily<Counter>& bytes_;
  MetricFamily<Counter>& failures_;
  MetricFamily<Counter>& messages_;
  Histogram& seconds_;
  std::vector<std::jthread> workers_;
};

}  // namespace steady::router
