// Amazon SQS as steady uses it: one abstract interface, implemented over HTTP by SqsClient
// (sqs_client.h) and in-process by the local region's model (region/sqs_model.h), so that a
// daemon can be handed either. Names follow the SQS API reference.
//
// Errors: kNotFound (code AWS.SimpleQueueService.NonExistentQueue / QueueDoesNotExist) for an
// unknown queue, kInvalidArgument for bad parameters, retryable codes for transient failures.
// Thread safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

// A message attribute: DataType "String", "Number" or "Binary" (optionally with a ".custom"
// suffix); binary values travel base64-decoded here.
struct MessageAttributeValue {
  std::string data_type = "String";
  std::string string_value;
  std::string binary_value;
  friend bool operator==(const MessageAttributeValue&, const MessageAttributeValue&) = default;
};
using MessageAttributes = std::map<std::string, MessageAttributeValue>;

struct SqsMessage {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  std::string md5_of_body;
  std::string md5_of_message_attributes;  // empty when there are none
  // System attributes: ApproximateReceiveCount, SentTimestamp (ms), SenderId,
  // ApproximateFirstReceiveTimestamp.
  std::map<std::string, std::string> attributes;
  MessageAttributes message_attributes;
};

struct SendMessageRequest {
  std::string queue_url;
  std::string message_body;
  std::optional<int> delay_seconds;
  MessageAttributes message_attributes;
};

struct SendMessageResult {
  std::string message_id;
  std::string md5_of_message_body;
  std::string md5_of_message_attributes;
};

struct SendMessageBatchEntry {
  std::string id;
  std::string message_body;
  std::optional<int> delay_seconds;
  MessageAttributes message_attributes;
};

struct BatchResultErrorEntry {
  std::string id;
  std::string code;
  std::string message;
  bool sender_fault = true;
};

struct SendMessageBatchResult {
  struct Ok {
    std::string id;
    std::string message_id;
    std::string md5_of_message_body;
    std::string md5_of_message_attributes;
  };
  std::vector<Ok> successful;
  std::vector<BatchResultErrorEntry> failed;
};

struct ReceiveMessageRequest {
  std::string queue_url;
  int max_number_of_messages = 1;                    // 1..10
  std::optional<int> visibility_timeout;             // seconds; the queue's default when unset
  std::optional<int> wait_time_seconds;              // 0..20; the queue's default when unset
  std::vector<std::string> attribute_names;          // "All" or names
  std::vector<std::string> message_attribute_names;  // "All", names or "prefix.*"
};

struct DeleteMessageBatchEntry {
  std::string id;
  std::string receipt_handle;
};

struct DeleteMessageBatchResult {
  std::vector<std::string> successful;  // ids
  std::vector<BatchResultErrorEntry> failed;
};

class Sqs {
 public:
  virtual ~Sqs() = default;

  // Returns the queue URL. Creating an existing queue with the same attributes returns its URL;
  // with different attributes, kAlreadyExists (QueueAlreadyExists).
  virtual Result<std::string> CreateQueue(const std::string& name,
                                          const std::map<std::string, std::string>& attributes) = 0;
  virtual Result<std::string> GetQueueUrl(const std::string& name) = 0;
  virtual Result<std::vector<std::string>> ListQueues(const std::string& prefix) = 0;
  // `names` may hold "All".
  virtual Result<std::map<std::string, std::string>> GetQueueAttributes(
      const std::string& queue_url, const std::vector<std::string>& names) = 0;
  virtual Status SetQueueAttributes(const std::string& queue_url,
                                    const std::map<std::string, std::string>& attributes) = 0;
  virtual Status DeleteQueue(const std::string& queue_url) = 0;
  virtual Status PurgeQueue(const std::string& queue_url) = 0;

  virtual Result<SendMessageResult> SendMessage(const SendMessageRequest& request) = 0;
  virtual Result<SendMessageBatchResult> SendMessageBatch(
      const std::string& queue_url, const std::vector<SendMessageBatchEntry>& entries) = 0;
  // Long-polls up to wait_time_seconds (on the implementation's clock); returns early when
  // messages arrive or `stop` is requested (then with what it has, possibly nothing).
  virtual Result<std::vector<SqsMessage>> ReceiveMessage(const ReceiveMessageRequest& request,
                                                         std::stop_token stop = {}) = 0;
  virtual Status DeleteMessage(const std::string& queue_url, const std::string& receipt_handle) = 0;
  virtual Result<DeleteMessageBatchResult> DeleteMessageBatch(
      const std::string& queue_url, const std::vector<DeleteMessageBatchEntry>& entries) = 0;
  virtual Status ChangeMessageVisibility(const std::string& queue_url,
                                         const std::string& receipt_handle,
                                         int visibility_timeout) = 0;
};

// Sends a message that could not be handled to `dead_letter_queue_url`, with its body as is and
// the attributes steady's consumers all add: steady-reason and steady-source-queue. The caller
// deletes the original once this succeeds (or leaves it, when it fails, for its queue's redrive
// policy).
Status SendToDeadLetterQueue(Sqs& sqs, const std::string& dead_letter_queue_url,
                             const std::string& source_queue_url, const SqsMessage& message,
                             const std::string& reason);

// DeleteMessageBatch of `entries` (at most 10); OK when every one was deleted, else the error of
// the call or of the first entry that failed.
Status DeleteMessages(Sqs& sqs, const std::string& queue_url,
                      const std::vector<DeleteMessageBatchEntry>& entries);

// MD5 of the body as SQS reports it (lower-case hex).
std::string SqsMd5OfBody(std::string_view body);
// MD5OfMessageAttributes as SQS computes it (names sorted; length-prefixed name, type,
// transport byte and value). Empty string for no attributes.
std::string SqsMd5OfMessageAttributes(const MessageAttributes& attributes);

}  // namespace steady::aws
