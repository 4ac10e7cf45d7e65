// aws::Sqs over HTTP: the awsJson1_0 protocol (X-Amz-Target AmazonSQS.*) through AwsTransport
// (SigV4, retries, rate limits, counters). Long polls set a request timeout past their wait.
//
// Thread safety: thread-safe (the transport is).
#pragma once

#include "aws/aws_transport.h"
#include "aws/sqs.h"

namespace steady::aws {

// The ServiceInfo for SQS (service id "SQS", signing name "sqs", awsJson1_0).
ServiceInfo SqsService();

class SqsClient final : public Sqs {
 public:
  // `transport` must be built with SqsService() and outlive the client.
  explicit SqsClient(AwsTransport& transport) : transport_(transport) {}

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
  Result<SendMessageResult> SendMessage(const SendMessageRequest& request) override;
  Result<SendMessageBatchResult> SendMessageBatch(
      const std::string& queue_url, const std::vector<SendMessageBatchEntry>& entries) override;
  Result<std::vector<SqsMessage>> ReceiveMessage(const ReceiveMessageRequest& request,
                                                 std::stop_token stop = {}) override;
  Status DeleteMessage(const std::string& queue_url, const std::string& receipt_handle) override;
  Result<DeleteMessageBatchResult> DeleteMessageBatch(
      const std::string& queue_url, const std::vector<DeleteMessageBatchEntry>& entries) override;
  Status ChangeMessageVisibility(const std::string& queue_url, const std::string& receipt_handle,
                                 int visibility_timeout) override;

 private:
  AwsTransport& transport_;
};

}  // namespace steady::aws
