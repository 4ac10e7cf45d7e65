#include "aws/sqs.h"

#include <openssl/evp.h>

#include "base/ids.h"

namespace steady::aws {
namespace {

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  return HexEncode(digest, len);
}

void AppendLengthPrefixed(std::string& out, std::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  out += static_cast<char>((n >> 24) & 0xff);
  out += static_cast<char>((n >> 16) & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  out += static_cast<char>(n & 0xff);
  out += s;
}

}  // namespace

std::string SqsMd5OfBody(std::string_view body) { return Md5Hex(body); }

Status SendToDeadLetterQueue(Sqs& sqs, const std::string& dead_letter_queue_url,
                             const std::string& source_queue_url, const SqsMessage& message,
                             const std::string& reason) {
  SendMessageRequest req;
  req.queue_url = dead_letter_queue_url;
  req.message_body = message.body;
  req.message_attributes["steady-reason"] = {.string_value = reason};
  req.message_attributes["steady-source-queue"] = {.string_value = source_queue_url};
  return sqs.SendMessage(req).status();
}

Status DeleteMessages(Sqs& sqs, const std::string& queue_url,
                      const std::vector<DeleteMessageBatchEntry>& entries) {
  if (entries.empty()) return Status::Ok();
  auto deleted = sqs.DeleteMessageBatch(queue_url, entries);
  if (!deleted.ok()) return deleted.status();
  if (!deleted->failed.empty())
    return UnavailableError("DeleteMessageBatch: " + deleted->failed.front().message);
  return Status::Ok();
}

std::string SqsMd5OfMessageAttributes(const MessageAttributes& attributes) {
  if (attributes.empty()) return "";
  // std::map iterates names in byte order, as SQS sorts them.
  std::string buf;
  for (const auto& [name, value] : attributes) {
    AppendLengthPrefixed(buf, name);
    AppendLengthPrefixed(buf, value.data_type);
    bool binary = value.data_type.rfind("Binary", 0) == 0;
    buf += static_cast<char>(binary ? 2 : 1);
    AppendLengthPrefixed(buf, binary ? value.binary_value : value.string_value);
  }
  return Md5Hex(buf);
}

}  // namespace steady::aws
