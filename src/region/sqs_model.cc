#include "region/sqs_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <charconv>

#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;

namespace {

constexpr int kDefaultVisibility = 30;
constexpr int kDefaultRetention = 345600;
constexpr int kDefaultMaxSize = 262144;

// Attributes a queue accepts, with their allowed integer ranges (-1: not an integer).
struct AttrRule {
  const char* name;
  int64_t min, max;
};
constexpr AttrRule kAttrRules[] = {
    {"DelaySeconds", 0, 900},
    {"MaximumMessageSize", 1024, 262144},
    {"MessageRetentionPeriod", 60, 1209600},
    {"ReceiveMessageWaitTimeSeconds", 0, 20},
    {"VisibilityTimeout", 0, 43200},
    {"KmsDataKeyReusePeriodSeconds", 60, 86400},
    {"Policy", -1, -1},
    {"RedrivePolicy", -1, -1},
    {"RedriveAllowPolicy", -1, -1},
    {"KmsMasterKeyId", -1, -1},
    {"SqsManagedSseEnabled", -1, -1},
};

const char* const kComputedAttrs[] = {"ApproximateNumberOfMessages",
                                      "ApproximateNumberOfMessagesNotVisible",
                                      "ApproximateNumberOfMessagesDelayed",
                                      "CreatedTimestamp",
                                      "LastModifiedTimestamp",
                                      "QueueArn"};

bool ParseInt(std::string_view s, int64_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

// SQS allows #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF, as UTF-8.
bool ValidMessageChars(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    uint32_t cp;
    int n;
    if (c < 0x80)
      cp = c, n = 1;
    else if ((c >> 5) == 6)
      cp = c & 0x1f, n = 2;
    else if ((c >> 4) == 14)
      cp = c & 0x0f, n = 3;
    else if ((c >> 3) == 30)
      cp = c & 0x07, n = 4;
    else
      return false;
    if (i + n > s.size()) return false;
    for (int k = 1; k < n; ++k) {
      unsigned char cc = s[i + k];
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
              (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!ok) return false;
    i += n;
  }
  return true;
}

json AttrsToJson(const aws::MessageAttributes& attrs) {
  json out = json::object();
  for (const auto& [k, v] : attrs) {
    json a = {{"t", v.data_type}};
    if (v.data_type.rfind("Binary", 0) == 0) {
      // Binary values are kept as a byte array so the journal stays valid JSON.
      a["b"] = std::vector<uint8_t>(v.binary_value.begin(), v.binary_value.end());
    } else {
      a["s"] = v.string_value;
    }
    out[k] = std::move(a);
  }
  return out;
}

aws::MessageAttributes AttrsFromJson(const json& j) {
  aws::MessageAttributes out;
  for (const auto& [k, v] : j.items()) {
    aws::MessageAttributeValue a;
    a.data_type = v.value("t", "String");
    if (v.contains("b")) {
      auto bytes = v["b"].get<std::vector<uint8_t>>();
      a.binary_value.assign(bytes.begin(), bytes.end());
    } else {
      a.string_value = v.value("s", "");
    }
    out[k] = std::move(a);
  }
  return out;
}

int64_t Ns(Time t) { return ToUnixNanos(t); }

}  // namespace

struct SqsModel::Message {
  uint64_t seq = 0;
  std::string id, body, md5, md5_attrs;
  aws::MessageAttributes attrs;
  Time sent, visible_at;
  int receive_count = 0;
  std::optional<Time> first_receive;
  std::string receipt;
};

struct SqsModel::Queue {
  std::string name, arn;
  std::map<std::string, std::string> attributes;
  Time created, modified;
  std::map<uint64_t, Message> messages;
  std::set<uint64_t> visible;                  // visible now, in send order
  std::set<std::pair<Time, uint64_t>> hidden;  // in flight or delayed, by when they show
  std::set<std::stop_source*> waiters;         // long polls to wake on a new message

  int IntAttr(const char* name, int fallback) const {
    auto it = attributes.find(name);
    int64_t v;
    if (it == attributes.end() || !ParseInt(it->second, v)) return fallback;
    return static_cast<int>(v);
  }
};

SqsModel::SqsModel(RegionContext& ctx) : ctx_(ctx) {}
SqsModel::~SqsModel() = default;

std::string SqsModel::UrlFor(const std::string& name) const {
  return ctx_.endpoint() + "/" + ctx_.account_id + "/" + name;
}

SqsModel::Queue* SqsModel::FindLocked(const std::string& key) {
  // Accept a URL (any host: clients may reach the region under another name), an ARN or a name.
  std::string name = key;
  if (key.rfind("arn:", 0) == 0 || key.find('/') != std::string::npos) {
    size_t cut = key.find_last_of(key.rfind("arn:", 0) == 0 ? ':' : '/');
    name = key.substr(cut + 1);
  }
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : it->second.get();
}

Status SqsModel::NoQueue(std::string_view op) const {
  return ServiceError(op, "AWS.SimpleQueueService.NonExistentQueue",
                      "The specified queue does not exist.");
}

uint64_t SqsModel::RecordLocked(json record) {
  record["s"] = "sqs";
  Status s = ApplyLocked(record);
  // Live records are built by this file from validated input; failing to apply one is a bug.
  assert(s.ok());
  (void)s;
  return ctx_.journal().Enqueue(record.dump());
}

Status SqsModel::Replay(const json& record) {
  std::lock_guard lock(mu_);
  return ApplyLocked(record);
}

Status SqsModel::ApplyLocked(const json& r) {
  try {
    const std::string op = r.at("op");
    if (op == "create") {
      auto q = std::make_unique<Queue>();
      q->name = r.at("name");
      q->arn = ctx_.Arn("sqs", q->name);
      q->attributes = r.at("attrs").get<std::map<std::string, std::string>>();
      q->created = q->modified = FromUnixNanos(r.at("t"));
      queues_[q->name] = std::move(q);
      return Status::Ok();
    }
    if (op == "seq") {  // restore of the message counter (snapshot)
      next_seq_ = std::max<uint64_t>(next_seq_, r.at("next"));
      return Status::Ok();
    }
    Queue* q = FindLocked(r.at("q"));
    if (!q) return DataLossError("journal names unknown queue " + r.at("q").get<std::string>());
    if (op == "setattrs") {
      for (const auto& [k, v] : r.at("attrs").items()) {
        if (v.get<std::string>().empty())
          q->attributes.erase(k);
        else
          q->attributes[k] = v.get<std::string>();
      }
      q->modified = FromUnixNanos(r.at("t"));
    } else if (op == "delq") {
      for (auto* w : q->waiters) w->request_stop();
      queues_.erase(q->name);
    } else if (op == "purge") {
      q->messages.clear();
      q->visible.clear();
      q->hidden.clear();
    } else if (op == "send") {
      Message m;
      m.seq = r.at("seq");
      m.id = r.at("id");
      m.body = r.at("body");
      m.attrs = AttrsFromJson(r.at("attrs"));
      m.md5 = aws::SqsMd5OfBody(m.body);
      m.md5_attrs = aws::SqsMd5OfMessageAttributes(m.attrs);
      m.sent = FromUnixNanos(r.at("t"));
      m.visible_at = FromUnixNanos(r.at("vis"));
      m.receive_count = r.value("count", 0);
      if (m.visible_at > m.sent)
        q->hidden.insert({m.visible_at, m.seq});
      else
        q->visible.insert(m.seq);
      next_seq_ = std::max(next_seq_, m.seq + 1);
      q->messages[m.seq] = std::move(m);
    } else if (op == "recv" || op == "vis") {
      auto it = q->messages.find(r.at("seq"));
      if (it == q->messages.end()) return DataLossError("journal names unknown message");
      Message& m = it->second;
      q->visible.erase(m.seq);
      q->hidden.erase({m.visible_at, m.seq});
      m.visible_at = FromUnixNanos(r.at("vis"));
      if (op == "recv") {
        m.receive_count++;
        m.receipt = r.at("receipt");
        if (!m.first_receive) m.first_receive = FromUnixNanos(r.at("t"));
      }
      if (m.visible_at > FromUnixNanos(r.at("t")))
        q->hidden.insert({m.visible_at, m.seq});
      else
        q->visible.insert(m.seq);
    } else if (op == "del" || op == "expire") {
      auto it = q->messages.find(r.at("seq"));
      if (it != q->messages.end()) {
        q->visible.erase(it->first);
        q->hidden.erase({it->second.visible_at, it->first});
        q->messages.erase(it);
      }
    } else if (op == "move") {
      // Redrive: the message leaves this queue and shows in the dead-letter queue at once.
      auto it = q->messages.find(r.at("seq"));
      Queue* dlq = FindLocked(r.at("to"));
      if (it == q->messages.end() || !dlq)
        return DataLossError("journal move names unknown message");
      Message m = std::move(it->second);
      q->visible.erase(m.seq);
      q->hidden.erase({m.visible_at, m.seq});
      q->messages.erase(it);
      m.seq = r.at("newseq");
      m.visible_at = FromUnixNanos(r.at("t"));
      m.receipt.clear();
      dlq->visible.insert(m.seq);
      next_seq_ = std::max(next_seq_, m.seq + 1);
      dlq->messages[m.seq] = std::move(m);
      WakeWaitersLocked(*dlq);
    } else {
      return DataLossError("unknown sqs journal op " + op);
    }
  } catch (const json::exception& e) {
    return DataLossError(std::string("bad sqs journal record: ") + e.what());
  }
  return Status::Ok();
}

json SqsModel::Snapshot() const {
  // As a list of records that replay to the same state: one code path restores both.
  json records = json::array();
  records.push_back({{"s", "sqs"}, {"op", "seq"}, {"next", next_seq_}});
  for (const auto& [name, q] : queues_) {
    records.push_back({{"s", "sqs"},
                       {"op", "create"},
                       {"name", name},
                       {"attrs", q->attributes},
                       {"t", Ns(q->created)}});
  }
  for (const auto& [name, q] : queues_) {
    for (const auto& [seq, m] : q->messages) {
      records.push_back({{"s", "sqs"},
                         {"op", "send"},
                         {"q", name},
                         {"seq", seq},
                         {"id", m.id},
                         {"body", m.body},
                         {"attrs", AttrsToJson(m.attrs)},
                         {"t", Ns(m.sent)},
                         {"vis", Ns(m.visible_at)},
                         {"count", m.receive_count}});
    }
  }
  return records;
}

Status SqsModel::Restore(const json& snapshot) {
  std::lock_guard lock(mu_);
  queues_.clear();
  for (const json& r : snapshot) RETURN_IF_ERROR(ApplyLocked(r));
  return Status::Ok();
}

void SqsModel::RefreshLocked(Queue& q, Time now) {
  while (!q.hidden.empty() && q.hidden.begin()->first <= now) {
    q.visible.insert(q.hidden.begin()->second);
    q.hidden.erase(q.hidden.begin());
  }
}

void SqsModel::WakeWaitersLocked(Queue& q) {
  for (auto* w : q.waiters) w->request_stop();
}

namespace {

Status ValidateQueueAttributes(std::string_view op,
                               const std::map<std::string, std::string>& attrs) {
  for (const auto& [k, v] : attrs) {
    const AttrRule* rule = nullptr;
    for (const auto& r : kAttrRules)
      if (k == r.name) rule = &r;
    if (!rule) return ServiceError(op, "InvalidAttributeName", "Unknown Attribute " + k + ".");
    if (rule->min >= 0) {
      int64_t n;
      if (!ParseInt(v, n) || n < rule->min || n > rule->max)
        return ServiceError(op, "InvalidAttributeValue",
                            "Invalid value for the parameter " + k + ".");
    }
    if (k == "RedrivePolicy" && !v.empty()) {
      json p = json::parse(v, nullptr, false);
      if (p.is_discarded() || !p.is_object() || !p.contains("deadLetterTargetArn") ||
          !p.contains("maxReceiveCount"))
        return ServiceError(op, "InvalidAttributeValue",
                            "Value " + v +
                                " for parameter RedrivePolicy is invalid. Reason: "
                                "Redrive policy is not a dictionary with deadLetterTargetArn and "
                                "maxReceiveCount.");
    }
  }
  return Status::Ok();
}

bool ValidQueueName(std::string_view name) {
  if (name.empty() || name.size() > 80) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

}  // namespace

Result<std::string> SqsModel::CreateQueue(const std::string& name,
                                          const std::map<std::string, std::string>& attributes) {
  constexpr std::string_view kOp = "CreateQueue";
  if (name.size() > 5 && name.substr(name.size() - 5) == ".fifo")
    return ServiceError(kOp, "AWS.SimpleQueueService.UnsupportedOperation",
                        "FIFO queues are not supported by steady region.");
  if (!ValidQueueName(name))
    return ServiceError(kOp, "InvalidParameterValue",
                        "Can only include alphanumeric characters, hyphens, or underscores. 1 to "
                        "80 in length");
  RETURN_IF_ERROR(ValidateQueueAttributes(kOp, attributes));
  uint64_t seq;
  std::string url;
  {
    std::lock_guard lock(mu_);
    if (Queue* q = FindLocked(name)) {
      for (const auto& [k, v] : attributes) {
        auto it = q->attributes.find(k);
        if (it == q->attributes.end() || it->second != v)
          return ServiceError(kOp, "QueueAlreadyExists",
                              "A queue already exists with the same name and a different value "
                              "for attribute " +
                                  k);
      }
      return UrlFor(q->name);
    }
    seq = RecordLocked(
        {{"op", "create"}, {"name", name}, {"attrs", attributes}, {"t", Ns(ctx_.clock.Now())}});
    url = UrlFor(name);
  }
  RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return url;
}

Result<std::string> SqsModel::GetQueueUrl(const std::string& name) {
  std::lock_guard lock(mu_);
  Queue* q = FindLocked(name);
  if (!q || name.find('/') != std::string::npos) return NoQueue("GetQueueUrl");
  return UrlFor(q->name);
}

Result<std::vector<std::string>> SqsModel::ListQueues(const std::string& prefix) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, q] : queues_)
    if (name.rfind(prefix, 0) == 0) out.push_back(UrlFor(name));
  return out;
}

Result<std::map<std::string, std::string>> SqsModel::GetQueueAttributes(
    const std::string& queue_url, const std::vector<std::string>& names) {
  constexpr std::string_view kOp = "GetQueueAttributes";
  std::lock_guard lock(mu_);
  Queue* q = FindLocked(queue_url);
  if (!q) return NoQueue(kOp);
  Time now = ctx_.clock.Now();
  RefreshLocked(*q, now);
  std::map<std::string, std::string> all = {
      {"VisibilityTimeout", std::to_string(kDefaultVisibility)},
      {"MaximumMessageSize", std::to_string(kDefaultMaxSize)},
      {"MessageRetentionPeriod", std::to_string(kDefaultRetention)},
      {"DelaySeconds", "0"},
      {"ReceiveMessageWaitTimeSeconds", "0"},
      {"SqsManagedSseEnabled", "false"},
  };
  for (const auto& [k, v] : q->attributes) all[k] = v;
  int64_t delayed = 0, in_flight = 0;
  for (const auto& [t, seq] : q->hidden) {
    if (q->messages.at(seq).receive_count == 0)
      ++delayed;
    else
      ++in_flight;
  }
  all["ApproximateNumberOfMessages"] = std::to_string(q->visible.size());
  all["ApproximateNumberOfMessagesNotVisible"] = std::to_string(in_flight);
  all["ApproximateNumberOfMessagesDelayed"] = std::to_string(delayed);
  all["CreatedTimestamp"] = std::to_string(int64_t(ToUnixSeconds(q->created)));
  all["LastModifiedTimestamp"] = std::to_string(int64_t(ToUnixSeconds(q->modified)));
  all["QueueArn"] = q->arn;
  std::map<std::string, std::string> out;
  for (const std::string& n : names) {
    if (n == "All") return all;
    bool known = all.count(n) > 0;
    for (const auto& r : kAttrRules) known = known || n == r.name;
    for (const char* c : kComputedAttrs) known = known || n == c;
    if (!known) return ServiceError(kOp, "InvalidAttributeName", "Unknown Attribute " + n + ".");
    if (auto it = all.find(n); it != all.end()) out[n] = it->second;
  }
  return out;
}

Status SqsModel::SetQueueAttributes(const std::string& queue_url,
                                    const std::map<std::string, std::string>& attributes) {
  constexpr std::string_view kOp = "SetQueueAttributes";
  RETURN_IF_ERROR(ValidateQueueAttributes(kOp, attributes));
  return QueueRecord(kOp, queue_url,
                     {{"op", "setattrs"}, {"attrs", attributes}, {"t", Ns(ctx_.clock.Now())}});
}

Status SqsModel::QueueRecord(std::string_view op, const std::string& queue_url, json record) {
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    Queue* q = FindLocked(queue_url);
    if (!q) return NoQueue(op);
    record["q"] = q->name;
    seq = RecordLocked(std::move(record));
  }
  return ctx_.journal().Commit(seq);
}

Status SqsModel::DeleteQueue(const std::string& queue_url) {
  return QueueRecord("DeleteQueue", queue_url, {{"op", "delq"}});
}

Status SqsModel::PurgeQueue(const std::string& queue_url) {
  return QueueRecord("PurgeQueue", queue_url, {{"op", "purge"}});
}

Result<aws::SendMessageResult> SqsModel::SendLocked(Queue& q, const std::string& body,
                                                    int delay_seconds,
                                                    const aws::MessageAttributes& attributes,
                                                    std::string_view op, uint64_t& seq) {
  if (body.empty())
    return ServiceError(op, "MissingParameter",
                        "The request must contain the parameter MessageBody.");
  size_t size = body.size();
  for (const auto& [k, v] : attributes)
    size += k.size() + v.data_type.size() + v.string_value.size() + v.binary_value.size();
  int max_size = q.IntAttr("MaximumMessageSize", kDefaultMaxSize);
  if (size > static_cast<size_t>(max_size))
    return ServiceError(
        op, "InvalidParameterValue",
        "One or more parameters are invalid. Reason: Message must be shorter than " +
            std::to_string(max_size) + " bytes.");
  if (!ValidMessageChars(body))
    return ServiceError(op, "InvalidMessageContents",
                        "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | "
                        "#x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF");
  if (delay_seconds < 0) delay_seconds = q.IntAttr("DelaySeconds", 0);
  if (delay_seconds > 900)
    return ServiceError(op, "InvalidParameterValue",
                        "Value " + std::to_string(delay_seconds) +
                            " for parameter DelaySeconds is invalid. Reason: DelaySeconds must be "
                            ">= 0 and <= 900.");
  if (attributes.size() > 10)
    return ServiceError(op, "InvalidParameterValue",
                        "Number of message attributes [" + std::to_string(attributes.size()) +
                            "] exceeds the allowed maximum [10].");
  for (const auto& [k, v] : attributes) {
    bool typed = v.data_type.rfind("String", 0) == 0 || v.data_type.rfind("Number", 0) == 0 ||
                 v.data_type.rfind("Binary", 0) == 0;
    if (k.empty() || !typed)
      return ServiceError(
          op, "InvalidParameterValue",
          "The message attribute '" + k + "' has an invalid message attribute type.");
    bool binary = v.data_type.rfind("Binary", 0) == 0;
    if ((binary ? v.binary_value : v.string_value).empty())
      return ServiceError(op, "InvalidParameterValue",
                          "The message attribute '" + k +
                              "' must contain non-empty message "
                              "attribute value for message attribute type '" +
                              v.data_type + "'.");
  }
  Time now = ctx_.clock.Now();
  uint64_t mseq = next_seq_;
  std::string id = ctx_.NewId();
  seq = RecordLocked({{"op", "send"},
                      {"q", q.name},
                      {"seq", mseq},
                      {"id", id},
                      {"body", body},
                      {"attrs", AttrsToJson(attributes)},
                      {"t", Ns(now)},
                      {"vis", Ns(now + seconds(delay_seconds))}});
  if (delay_seconds == 0) WakeWaitersLocked(q);
  const Message& m = q.messages.at(mseq);
  return aws::SendMessageResult{m.id, m.md5, m.md5_attrs};
}

Result<aws::SendMessageResult> SqsModel::SendMessage(const aws::SendMessageRequest& request) {
  uint64_t seq = 0;
  Result<aws::SendMessageResult> result = InternalError("unset");
  {
    std::lock_guard lock(mu_);
    Queue* q = FindLocked(request.queue_url);
    if (!q) return NoQueue("SendMessage");
    result = SendLocked(*q, request.message_body, request.delay_seconds.value_or(-1),
                        request.message_attributes, "SendMessage", seq);
  }
  if (result.ok()) RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return result;
}

Result<aws::SendMessageResult> SqsModel::SendToArn(const std::string& queue_arn,
                                                   const std::string& body,
                                                   const aws::MessageAttributes& attributes) {
  uint64_t seq = 0;
  Result<aws::SendMessageResult> result = InternalError("unset");
  {
    std::lock_guard lock(mu_);
    Queue* q = FindLocked(queue_arn);
    if (!q) return NoQueue("SendMessage");
    result = SendLocked(*q, body, -1, attributes, "SendMessage", seq);
  }
  if (result.ok()) RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return result;
}

namespace {

Status BatchShapeError(std::string_view op, size_t n, const std::vector<std::string>& ids) {
  if (n == 0)
    return ServiceError(op, "AWS.SimpleQueueService.EmptyBatchRequest",
                        "There should be at least one entry in the request.");
  if (n > 10)
    return ServiceError(
        op, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        "Maximum number of entries per request are 10. You have sent " + std::to_string(n) + ".");
  std::set<std::string> seen;
  for (const std::string& id : ids) {
    bool valid = !id.empty() && id.size() <= 80;
    for (char c : id)
      valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    if (!valid)
      return ServiceError(op, "AWS.SimpleQueueService.InvalidBatchEntryId",
                          "A batch entry id can only contain alphanumeric characters, hyphens and "
                          "underscores. It can be at most 80 letters long.");
    if (!seen.insert(id).second)
      return ServiceError(op, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                          "Id " + id + " repeated.");
  }
  return Status::Ok();
}

}  // namespace

Result<aws::SendMessageBatchResult> SqsModel::SendMessageBatch(
    const std::string& queue_url, const std::vector<aws::SendMessageBatchEntry>& entries) {
  constexpr std::string_view kOp = "SendMessageBatch";
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  RETURN_IF_ERROR(BatchShapeError(kOp, entries.size(), ids));
  aws::SendMessageBatchResult out;
  uint64_t last_seq = 0;
  {
    std::lock_guard lock(mu_);
    Queue* q = FindLocked(queue_url);
    if (!q) return NoQueue(kOp);
    size_t total = 0;
    for (const auto& e : entries) total += e.message_body.size();
    if (total > static_cast<size_t>(kDefaultMaxSize))
      return ServiceError(kOp, "AWS.SimpleQueueService.BatchRequestTooLong",
                          "Batch requests cannot be longer than 262144 bytes. You have sent " +
                              std::to_string(total) + " bytes.");
    for (const auto& e : entries) {
      uint64_t seq = 0;
      auto r = SendLocked(*q, e.message_body, e.delay_seconds.value_or(-1), e.message_attributes,
                          kOp, seq);
      if (r.ok()) {
        out.successful.push_back(
            {e.id, r->message_id, r->md5_of_message_body, r->md5_of_message_attributes});
        last_seq = seq;
      } else {
        ErrorParts p = SplitServiceError(r.status());
        out.failed.push_back({e.id, p.code, p.message, true});
      }
    }
  }
  if (last_seq) RETURN_IF_ERROR(ctx_.journal().Commit(last_seq));
  return out;
}

std::vector<aws::SqsMessage> SqsModel::TryReceiveLocked(Queue& q,
                                                        const aws::ReceiveMessageRequest& req,
                                                        uint64_t& seq) {
  Time now = ctx_.clock.Now();
  RefreshLocked(q, now);
  // Retention: messages older than the period are gone. Messages sit in send order, so the
  // expired ones are at the front (a redriven message keeps its first send time and may linger
  // behind newer ones until they expire too).
  int retention = q.IntAttr("MessageRetentionPeriod", kDefaultRetention);
  while (!q.messages.empty()) {
    const Message& oldest = q.messages.begin()->second;
    if (oldest.sent + seconds(retention) > now) break;
    seq = RecordLocked({{"op", "expire"}, {"q", q.name}, {"seq", oldest.seq}});
  }

  int max_receives = 0;
  std::string dlq;
  if (auto it = q.attributes.find("RedrivePolicy"); it != q.attributes.end()) {
    json p = json::parse(it->second, nullptr, false);
    if (p.is_object()) {
      const json& mrc = p.value("maxReceiveCount", json());
      max_receives = mrc.is_number()
                         ? mrc.get<int>()
                         : (mrc.is_string() ? std::atoi(mrc.get<std::string>().c_str()) : 0);
      dlq = p.value("deadLetterTargetArn", "");
    }
  }
  int visibility =
      req.visibility_timeout.value_or(q.IntAttr("VisibilityTimeout", kDefaultVisibility));
  bool all_attrs = false;
  std::set<std::string> want_attrs;
  for (const auto& n : req.attribute_names) {
    if (n == "All") all_attrs = true;
    want_attrs.insert(n);
  }

  std::vector<aws::SqsMessage> out;
  while (!q.visible.empty() && static_cast<int>(out.size()) < req.max_number_of_messages) {
    uint64_t mseq = *q.visible.begin();
    Message& m = q.messages.at(mseq);
    if (max_receives > 0 && m.receive_count >= max_receives && FindLocked(dlq)) {
      seq = RecordLocked({{"op", "move"},
                          {"q", q.name},
                          {"seq", mseq},
                          {"to", dlq},
                          {"newseq", next_seq_},
                          {"t", Ns(now)}});
      continue;
    }
    std::string receipt = "r1-" + std::to_string(mseq) + "-" + ctx_.NewHex(24);
    seq = RecordLocked({{"op", "recv"},
                        {"q", q.name},
                        {"seq", mseq},
                        {"receipt", receipt},
                        {"vis", Ns(now + seconds(visibility))},
                        {"t", Ns(now)}});
    aws::SqsMessage msg;
    msg.message_id = m.id;
    msg.receipt_handle = m.receipt;
    msg.body = m.body;
    msg.md5_of_body = m.md5;
    std::map<std::string, std::string> sys = {
        {"ApproximateReceiveCount", std::to_string(m.receive_count)},
        {"SentTimestamp", std::to_string(ToUnixNanos(m.sent) / 1'000'000)},
        {"ApproximateFirstReceiveTimestamp",
         std::to_string(ToUnixNanos(m.first_receive.value_or(now)) / 1'000'000)},
        {"SenderId", ctx_.account_id},
    };
    for (auto& [k, v] : sys)
      if (all_attrs || want_attrs.count(k)) msg.attributes[k] = v;
    for (const auto& [k, v] : m.attrs) {
      bool want = false;
      for (const auto& n : req.message_attribute_names) {
        if (n == "All" || n == ".*" || n == k) want = true;
        if (n.size() > 2 && n.substr(n.size() - 2) == ".*" &&
            k.rfind(n.substr(0, n.size() - 1), 0) == 0)
          want = true;
      }
      if (want) msg.message_attributes[k] = v;
    }
    if (!msg.message_attributes.empty())
      msg.md5_of_message_attributes = aws::SqsMd5OfMessageAttributes(msg.message_attributes);
    out.push_back(std::move(msg));
  }
  return out;
}

Result<std::vector<aws::SqsMessage>> SqsModel::ReceiveMessage(const aws::ReceiveMessageRequest& req,
                                                              std::stop_token stop) {
  constexpr std::string_view kOp = "ReceiveMessage";
  if (req.max_number_of_messages < 1 || req.max_number_of_messages > 10)
    return ServiceError(kOp, "InvalidParameterValue",
                        "Value " + std::to_string(req.max_number_of_messages) +
                            " for parameter MaxNumberOfMessages is invalid. Reason: Must be "
                            "between 1 and 10, if provided.");
  if (req.wait_time_seconds && (*req.wait_time_seconds < 0 || *req.wait_time_seconds > 20))
    return ServiceError(kOp, "InvalidParameterValue",
                        "Value " + std::to_string(*req.wait_time_seconds) +
                            " for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and "
                            "<= 20, if provided.");
  if (req.visibility_timeout && (*req.visibility_timeout < 0 || *req.visibility_timeout > 43200))
    return ServiceError(kOp, "InvalidParameterValue",
                        "Value " + std::to_string(*req.visibility_timeout) +
                            " for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 "
                            "and <= 43200, if provided.");
  std::optional<Time> deadline;
  for (;;) {
    uint64_t seq = 0;
    std::vector<aws::SqsMessage> got;
    std::stop_source wake;
    Time wake_at;
    {
      std::lock_guard lock(mu_);
      Queue* q = FindLocked(req.queue_url);
      if (!q) return NoQueue(kOp);
      Time now = ctx_.clock.Now();
      if (!deadline)
        deadline =
            now +
            seconds(req.wait_time_seconds.value_or(q->IntAttr("ReceiveMessageWaitTimeSeconds", 0)));
      got = TryReceiveLocked(*q, req, seq);
      if (got.empty() && now < *deadline && !stop.stop_requested()) {
        // Sleep until the deadline, until a hidden message shows, or until a send wakes us.
        wake_at = *deadline;
        if (!q->hidden.empty()) wake_at = std::min(wake_at, q->hidden.begin()->first);
        q->waiters.insert(&wake);
      }
    }
    // A receive is not waited on: if it were lost in a crash, the message would only show
    // again sooner, which at-least-once delivery allows. Sends and deletes are waited on.
    (void)seq;
    if (!got.empty() || wake_at == Time{}) return got;
    {
      std::stop_callback forward(stop, [&] { wake.request_stop(); });
      ctx_.clock.SleepUntil(wake_at, wake.get_token());
    }
    std::lock_guard lock(mu_);
    if (Queue* q = FindLocked(req.queue_url)) q->waiters.erase(&wake);
    if (stop.stop_requested()) return std::vector<aws::SqsMessage>{};
  }
}

namespace {

// "r1-<seq>-<nonce>" → seq; false if malformed.
bool ParseReceipt(const std::string& h, uint64_t& seq) {
  if (h.rfind("r1-", 0) != 0) return false;
  size_t dash = h.find('-', 3);
  if (dash == std::string::npos || dash + 1 >= h.size()) return false;
  auto r = std::from_chars(h.data() + 3, h.data() + dash, seq);
  return r.ec == std::errc() && r.ptr == h.data() + dash;
}

}  // namespace

Status SqsModel::DeleteMessage(const std::string& queue_url, const std::string& receipt_handle) {
  constexpr std::string_view kOp = "DeleteMessage";
  uint64_t mseq, seq = 0;
  {
    std::lock_guard lock(mu_);
    Queue* q = FindLocked(queue_url);
    if (!q) return NoQueue(kOp);
    if (!ParseReceipt(receipt_handle, mseq))
      return ServiceError(kOp, "ReceiptHandleIsInvalid",
                          "The input receipt handle \"" + receipt_handle +
                              "\" is not a valid "
                              "receipt handle.");
    auto it = q->messages.find(mseq);
    // As SQS: a stale handle (the message was received again since) succeeds without deleting.
    if (it != q->messages.end() && it->second.receipt == receipt_handle)
      seq = RecordLocked({{"op", "del"}, {"q", q->name}, {"seq", mseq}});
  }
  if (seq) return ctx_.journal().Commit(seq);
  return Status::Ok();
}

Result<aws::DeleteMessageBatchResult> SqsModel::DeleteMessageBatch(
    const std::string& queue_url, const std::vector<aws::DeleteMessageBatchEntry>& entries) {
  constexpr std::string_view kOp = "DeleteMessageBatch";
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  RETURN_IF_ERROR(BatchShapeError(kOp, entries.size(), ids));
  aws::DeleteMessageBatchResult out;
  uint64_t last = 0;
  {
    std::lock_guard lock(mu_);
    Queue* q = FindLocked(queue_url);
    if (!q) return NoQueue(kOp);
    for (const auto& e : entries) {
      uint64_t mseq;
      if (!ParseReceipt(e.receipt_handle, mseq)) {
        out.failed.push_back(
            {e.id, "ReceiptHandleIsInvalid", "The input receipt handle is invalid.", true});
        continue;
      }
      auto it = q->messages.find(mseq);
      if (it != q->messages.end() && it->second.receipt == e.receipt_handle)
        last = RecordLocked({{"op", "del"}, {"q", q->name}, {"seq", mseq}});
      out.successful.push_back(e.id);
    }
  }
  if (last) RETURN_IF_ERROR(ctx_.journal().Commit(last));
  return out;
}

Status SqsModel::ChangeMessageVisibility(const std::string& queue_url,
                                         const std::string& receipt_handle,
                                         int visibility_timeout) {
  constexpr std::string_view kOp = "ChangeMessageVisibility";
  if (visibility_timeout < 0 || visibility_timeout > 43200)
    return ServiceError(kOp, "InvalidParameterValue",
                        "Value " + std::to_string(visibility_timeout) +
                            " for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 "
                            "and <= 43200.");
  uint64_t mseq, seq;
  {
    std::lock_guard lock(mu_);
    Queue* q = FindLocked(queue_url);
    if (!q) return NoQueue(kOp);
    if (!ParseReceipt(receipt_handle, mseq))
      return ServiceError(kOp, "ReceiptHandleIsInvalid",
                          "The input receipt handle \"" + receipt_handle +
                              "\" is not a valid "
                              "receipt handle.");
    Time now = ctx_.clock.Now();
    RefreshLocked(*q, now);
    auto it = q->messages.find(mseq);
    if (it == q->messages.end() || it->second.receipt != receipt_handle)
      return ServiceError(kOp, "InvalidParameterValue",
                          "Value " + receipt_handle +
                              " for parameter ReceiptHandle is invalid. "
                              "Reason: The receipt handle has expired.");
    if (q->visible.count(mseq))
      return ServiceError(kOp, "AWS.SimpleQueueService.MessageNotInflight",
                          "The message referred to is not in flight.");
    seq = RecordLocked({{"op", "vis"},
                        {"q", q->name},
                        {"seq", mseq},
                        {"vis", Ns(now + seconds(visibility_timeout))},
                        {"t", Ns(now)}});
    if (visibility_timeout == 0) WakeWaitersLocked(*q);
  }
  return ctx_.journal().Commit(seq);
}

Result<std::string> SqsModel::QueueArn(const std::string& queue_url_or_name) {
  std::lock_guard lock(mu_);
  Queue* q = FindLocked(queue_url_or_name);
  if (!q) return NoQueue("GetQueueAttributes");
  return q->arn;
}

int SqsModel::waiting(const std::string& queue_url_or_name) {
  std::lock_guard lock(mu_);
  Queue* q = FindLocked(queue_url_or_name);
  return q ? static_cast<int>(q->waiters.size()) : 0;
}

Result<SqsModel::Counts> SqsModel::QueueCounts(const std::string& queue_url_or_name) {
  std::lock_guard lock(mu_);
  Queue* q = FindLocked(queue_url_or_name);
  if (!q) return NoQueue("GetQueueAttributes");
  RefreshLocked(*q, ctx_.clock.Now());
  Counts c;
  c.visible = static_cast<int64_t>(q->visible.size());
  for (const auto& [t, seq] : q->hidden) {
    if (q->messages.at(seq).receive_count == 0)
      ++c.delayed;
    else
      ++c.in_flight;
  }
  return c;
}

}  // namespace steady::region
