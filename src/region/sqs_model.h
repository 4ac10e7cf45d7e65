// The local region's SQS: standard queues with visibility timeouts, delays, long polling on
// the injected clock, message attributes with SQS's MD5s, retention, and redrive to a
// dead-letter queue after maxReceiveCount. Every mutation is a journal record applied through
// one path (live and on replay), so --state restores exactly what was acknowledged.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "aws/sqs.h"
#include "region/region_context.h"
#include "region/service_model.h"

namespace steady::region {

class SqsModel final : public aws::Sqs, public ServiceModel {
 public:
  explicit SqsModel(RegionContext& ctx);
  ~SqsModel() override;

  Result<std::string> CreateQueue(const std::string& name,
                                  const std::map<std::string, std::string>& attributes) override;
  Result<std::string> GetQueueUrl(const std::string& name) override;
  Result<std::vector<std::string>> ListQueues(const std::string& prefix) override;
  Result<std::map<std::string, std::string>> GetQueueAttributes(
      const std::string& queue_url, const std::vector<std::string>& names) override;
  Status SetQueueAttributes(const std::string& queue_url,
                            const std::map<std::string, std::string>& attributes) override;
  Status DeleteQueue(const std::string& queue_url) override;
  Status PurgeQueue(const std::string& queue_url) override;
  Result<aws::SendMessageResult> SendMessage(const aws::SendMessageRequest& request) override;
  Result<aws::SendMessageBatchResult> SendMessageBatch(
      const std::string& queue_url,
      const std::vector<aws::SendMessageBatchEntry>& entries) override;
  Result<std::vector<aws::SqsMessage>> ReceiveMessage(const aws::ReceiveMessageRequest& request,
                                                      std::stop_token stop = {}) override;
  Status DeleteMessage(const std::string& queue_url, const std::string& receipt_handle) override;
  Result<aws::DeleteMessageBatchResult> DeleteMessageBatch(
      const std::string& queue_url,
      const std::vector<aws::DeleteMessageBatchEntry>& entries) override;
  Status ChangeMessageVisibility(const std::string& queue_url, const std::string& receipt_handle,
                                 int visibility_timeout) override;

  // Delivery from other services (SNS, EventBridge, S3 notifications) by queue ARN.
  // kNotFound if no such queue.
  Result<aws::SendMessageResult> SendToArn(const std::string& queue_arn, const std::string& body,
                                           const aws::MessageAttributes& attributes = {});
  // The ARN of the queue at `queue_url` (or named so), for wiring subscriptions.
  Result<std::string> QueueArn(const std::string& queue_url_or_name);

  // ServiceModel.
  std::string service() const override { return "sqs"; }
  Status Replay(const nlohmann::json& record) override;
  nlohmann::json Snapshot() const override;
  Status Restore(const nlohmann::json& snapshot) override;
  std::mutex& mutex() override { return mu_; }
  std::unique_ptr<ServiceFront> MakeFront() override;

  // Long polls waiting on a queue now (lets tests send only once a poll waits).
  int waiting(const std::string& queue_url_or_name);

  struct Counts {
    int64_t visible = 0, in_flight = 0, delayed = 0;
  };
  // Message counts of a queue (kNotFound if none).
  Result<Counts> QueueCounts(const std::string& queue_url_or_name);

 private:
  struct Message;
  struct Queue;

  // Looks a queue up by URL, ARN or name. Caller holds mu_.
  Queue* FindLocked(const std::string& url_or_name);
  Status NoQueue(std::string_view op) const;
  // Applies one record to the in-memory state (caller holds mu_). The same code runs for live
  // mutations and replay, so they cannot drift apart.
  Status ApplyLocked(const nlohmann::json& record);
  // Applies and enqueues to the journal; returns the journal sequence to Commit.
  uint64_t RecordLocked(nlohmann::json record);
  // Moves due in-flight/delayed messages to visible and drops expired ones (caller holds mu_).
  void RefreshLocked(Queue& q, Time now);
  Result<aws::SendMessageResult> SendLocked(Queue& q, const std::string& body, int delay_seconds,
                                            const aws::MessageAttributes& attributes,
                                            std::string_view op, uint64_t& seq);
  std::vector<aws::SqsMessage> TryReceiveLocked(Queue& q, const aws::ReceiveMessageRequest& req,
                                                uint64_t& seq);
  void WakeWaitersLocked(Queue& q);
  std::string UrlFor(const std::string& name) const;
  // Applies `record` (given the queue's name as "q") to the queue at `queue_url` and commits it.
  Status QueueRecord(std::string_view op, const std::string& queue_url, nlohmann::json record);

  RegionContext& ctx_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Queue>> queues_;  // by name
  uint64_t next_seq_ = 1;                                 // message order across all queues
};

}  // namespace steady::region
