// The terminator's queue consumer: receives from one or more SQS queues, hands each message's
// instances to ServiceOut, keeps the message invisible while its workflows run, and deletes it
// when they are done.
//
// Per message (ParseMessage):
//   service-out      → Submit every instance (joining running workflows); the message is
//                      tracked: ChangeMessageVisibility every visibility_timeout/2 while work
//                      runs, DeleteMessage when every workflow ended serviced-out (or
//                      not-in-cluster and delete_unknown_instances), else it is handed back
//                      (visibility retry_after) for a redelivery to resume from ECS/ELB state.
//   rebalance        → only for clusters that opted in (rebalance_clusters; "*" for all);
//                      others are deleted and counted as ignored.
//   scheduled change → started `scheduled_lead` before the scheduled start; until then the
//                      message is hidden again (at most SQS's 12 hours at a time).
//   test notification, ignored → deleted.
//   malformed, unknown → counted and logged with the queue and message id, then sent to
//                      dead_letter_queue_url (with the reason as a message attribute) and
//                      deleted; without one they are hidden for retry_after so that the
//                      queue's own redrive policy moves them after its maxReceiveCount.
// On Stop, tracked messages whose workflows did not finish are handed back at once
// (visibility 0): nothing acknowledged is lost, and the next consumer resumes them.
//
// Thread safety: Run on one thread; HandleMessage/Reconcile are also usable directly (tests).
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "aws/sqs.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "serviceout/service_out.h"

namespace steady::serviceout {

struct ConsumerOptions {
  std::vector<std::string> queue_urls;
  int wait_time_seconds = 20;
  Duration visibility_timeout = std::chrono::seconds(60);
  Duration retry_after = std::chrono::seconds(30);
  Duration reconcile_interval = std::chrono::seconds(2);
  bool delete_unknown_instances = true;
  std::string dead_letter_queue_url;
  std::set<std::string> rebalance_clusters;  // names or ARNs; "*" = every watched cluster
  Duration scheduled_lead = std::chrono::hours(1);
};

enum class MessageAction { kTracked, kDeleted, kDeadLettered, kDeferred, kFailed };

class Consumer {
 public:
  Consumer(ConsumerOptions options, aws::Sqs& sqs, ServiceOut& service_out,
           InstanceLocator& locator, Clock& clock, MetricsRegistry& metrics);

  // Receives from every queue until `stop`; then hands unfinished messages back.
  void Run(std::stop_token stop);

  // What one message leads to.
  MessageAction HandleMessage(const std::string& queue_url, const aws::SqsMessage& message);
  // Deletes messages whose workflows are done, hands back failed ones, extends visibility of
  // the rest. Run calls it every reconcile_interval.
  void Reconcile();
  // Hands every tracked message back to its queue (visibility 0).
  void HandBack();
  size_t tracked() const;

 private:
  struct Tracked {
    std::string queue_url;
    std::string receipt_handle;
    std::string message_id;
    std::vector<std::shared_ptr<ServiceOut::Handle>> workflows;
    Time next_extend{};
  };
  void Count(const char* kind);
  bool RebalanceWanted(const std::string& instance_id);
  MessageAction DeadLetter(const std::string& queue_url, const aws::SqsMessage& m,
                           const std::string& kind, const std::string& reason);
  MessageAction Delete(const std::string& queue_url, const aws::SqsMessage& m);
  int Seconds(Duration d) const;

  ConsumerOptions options_;
  aws::Sqs& sqs_;
  ServiceOut& so_;
  InstanceLocator& locator_;
  Clock& clock_;
  MetricFamily<Counter>& messages_;
  MetricFamily<Counter>& events_;
  Counter* api_errors_;

  mutable std::mutex mu_;
  std::vector<Tracked> tracked_;
};

}  // namespace steady::serviceout
