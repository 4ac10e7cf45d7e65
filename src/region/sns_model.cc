#include "region/sns_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <optional>
#include <set>

#include "base/base64.h"
#include "base/log.h"
#include "base/time_format.h"
#include "region/event_pattern.h"
#include "region/service_error.h"
#include "region/sns_message.h"

namespace steady::region {

using nlohmann::json;

namespace {

constexpr size_t kPageSize = 100;

const std::set<std::string> kTopicAttributes = {
    "DeliveryPolicy",   "DisplayName",         "FifoTopic",           "Policy",
    "SignatureVersion", "TracingConfig",       "KmsMasterKeyId",      "ContentBasedDeduplication",
    "ArchivePolicy",    "FifoThroughputScope", "DataProtectionPolicy"};
const std::set<std::string> kSubscriptionAttributes = {
    "DeliveryPolicy", "FilterPolicy",        "FilterPolicyScope", "RawMessageDelivery",
    "RedrivePolicy",  "SubscriptionRoleArn", "ReplayPolicy"};
const std::set<std::string> kProtocols = {"http", "https",       "email",  "email-json", "sms",
                                          "sqs",  "application", "lambda", "firehose"};
// Protocols whose endpoint must confirm before it receives anything.
const std::set<std::string> kConfirmed = {"http", "https", "email", "email-json"};

Status InvalidParameter(std::string_view op, const std::string& what) {
  return ServiceError(op, "InvalidParameter", "Invalid parameter: " + what);
}
Status NotFound(std::string_view op, const std::string& what) {
  return ServiceError(op, "NotFound", what, 404);
}

// arn:aws:sns:<region>:<account>:<name>[:<subscription id>]
bool IsSnsArn(const std::string& arn, bool subscription) {
  if (arn.rfind("arn:", 0) != 0) return false;
  size_t parts = std::count(arn.begin(), arn.end(), ':') + 1;
  if (parts != (subscription ? 7u : 6u)) return false;
  size_t a = arn.find(':', 4);
  size_t b = arn.find(':', a + 1);
  return arn.substr(a + 1, b - a - 1) == "sns" && arn.back() != ':';
}

std::string NameOf(const std::string& arn) { return arn.substr(arn.find_last_of(':') + 1); }

bool ValidTopicName(const std::string& name, bool fifo) {
  std::string_view base = name;
  if (fifo) {
    if (base.size() < 5 || base.substr(base.size() - 5) != ".fifo") return false;
    base.remove_suffix(5);
  }
  if (base.empty() || name.size() > 256) return false;
  return std::all_of(base.begin(), base.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Validates and normalizes one subscription attribute; the FilterPolicy must compile.
Status CheckSubscriptionAttribute(std::string_view op, const std::string& name,
                                  std::string& value) {
  if (!kSubscriptionAttributes.count(name)) return InvalidParameter(op, "AttributeName");
  if (name == "RawMessageDelivery") {
    std::string v = Lower(value);
    if (v != "true" && v != "false")
      return InvalidParameter(op, "Attributes Reason: RawMessageDelivery: Invalid value [" + value +
                                      "]. Must be true or false.");
    value = v;
  } else if (name == "FilterPolicy" && !value.empty()) {
    auto p = EventPattern::Parse(value);
    if (!p.ok()) return InvalidParameter(op, "FilterPolicy: " + p.status().message());
  } else if (name == "FilterPolicyScope" && value != "MessageAttributes" &&
             value != "MessageBody") {
    return InvalidParameter(op, "Attributes Reason: FilterPolicyScope: Invalid value [" + value +
                                    "]. Please use either MessageBody or MessageAttributes");
  } else if ((name == "DeliveryPolicy" || name == "RedrivePolicy" || name == "ReplayPolicy") &&
             !value.empty() && !json::accept(value)) {
    return InvalidParameter(op, name + ": failed to parse JSON.");
  }
  return Status::Ok();
}

std::string DefaultPolicy(const std::string& topic_arn, const std::string& account) {
  json statement = {{"Sid", "__default_statement_ID"},
                    {"Effect", "Allow"},
                    {"Principal", {{"AWS", "*"}}},
                    {"Action",
                     {"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                      "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                      "SNS:ListSubscriptionsByTopic", "SNS:Publish"}},
                    {"Resource", topic_arn},
                    {"Condition", {{"StringEquals", {{"AWS:SourceOwner", account}}}}}};
  return json{{"Version", "2008-10-17"}, {"Id", "__default_policy_ID"}, {"Statement", {statement}}}
      .dump();
}

constexpr std::string_view kEffectiveDeliveryPolicy =
    R"({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,)"
    R"("numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,)"
    R"("backoffFunction":"linear"},"disableSubscriptionOverrides":false,)"
    R"("defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}})";

}  // namespace

struct SnsModel::Topic {
  std::string name, arn;
  std::map<std::string, std::string> attributes;
  std::vector<aws::SnsTag> tags;
  Time created;
  bool fifo() const {
    auto it = attributes.find("FifoTopic");
    return it != attributes.end() && Lower(it->second) == "true";
  }
};

struct SnsModel::Subscription {
  std::string arn, topic_arn, protocol, endpoint;
  std::map<std::string, std::string> attributes;
  std::optional<EventPattern> filter;
  bool pending() const { return kConfirmed.count(protocol) > 0; }
  bool raw() const {
    auto it = attributes.find("RawMessageDelivery");
    return it != attributes.end() && it->second == "true";
  }
  bool filter_on_body() const {
    auto it = attributes.find("FilterPolicyScope");
    return it != attributes.end() && it->second == "MessageBody";
  }
};

// One message for one queue, built under the lock and sent after it.
struct SnsModel::Delivery {
  std::string queue_arn, body;
  aws::MessageAttributes attributes;
};

SnsModel::SnsModel(RegionContext& ctx, SqsModel& sqs) : ctx_(ctx), sqs_(sqs) {}
SnsModel::~SnsModel() = default;

SnsModel::Topic* SnsModel::FindTopicLocked(const std::string& arn) {
  auto it = topics_.find(NameOf(arn));
  if (it == topics_.end() || it->second->arn != arn) return nullptr;
  return it->second.get();
}

uint64_t SnsModel::RecordLocked(json record) {
  record["s"] = "sns";
  Status s = ApplyLocked(record);
  // Live records are built by this file from validated input; failing to apply one is a bug.
  assert(s.ok());
  (void)s;
  return ctx_.journal().Enqueue(record.dump());
}

Status SnsModel::Replay(const json& record) {
  std::lock_guard lock(mu_);
  return ApplyLocked(record);
}

Status SnsModel::ApplyLocked(const json& r) {
  try {
    const std::string op = r.at("op");
    if (op == "topic") {
      auto t = std::make_unique<Topic>();
      t->name = r.at("name");
      t->arn = ctx_.Arn("sns", t->name);
      t->attributes = r.at("attrs").get<std::map<std::string, std::string>>();
      for (const auto& kv : r.value("tags", json::array())) t->tags.push_back({kv.at(0), kv.at(1)});
      t->created = FromUnixNanos(r.at("t"));
      topics_[t->name] = std::move(t);
    } else if (op == "topicattr") {
      auto it = topics_.find(r.at("topic"));
      if (it == topics_.end()) return DataLossError("sns journal names unknown topic");
      const std::string value = r.at("value");
      if (value.empty())
        it->second->attributes.erase(r.at("name"));
      else
        it->second->attributes[r.at("name")] = value;
    } else if (op == "deltopic") {
      auto it = topics_.find(r.at("topic"));
      if (it == topics_.end()) return Status::Ok();
      std::erase_if(subscriptions_,
                    [&](const auto& kv) { return kv.second->topic_arn == it->second->arn; });
      topics_.erase(it);
    } else if (op == "sub") {
      auto s = std::make_unique<Subscription>();
      s->arn = r.at("arn");
      s->topic_arn = r.at("topic");
      s->protocol = r.at("protocol");
      s->endpoint = r.at("endpoint");
      s->attributes = r.at("attrs").get<std::map<std::string, std::string>>();
      if (auto it = s->attributes.find("FilterPolicy"); it != s->attributes.end()) {
        auto p = EventPattern::Parse(it->second);
        if (!p.ok()) return DataLossError("sns journal holds a bad filter policy");
        s->filter = std::move(*p);
      }
      subscriptions_[s->arn] = std::move(s);
    } else if (op == "unsub") {
      subscriptions_.erase(r.at("arn").get<std::string>());
    } else if (op == "subattr") {
      auto it = subscriptions_.find(r.at("arn"));
      if (it == subscriptions_.end())
        return DataLossError("sns journal names unknown subscription");
      Subscription& s = *it->second;
      const std::string name = r.at("name"), value = r.at("value");
      if (value.empty())
        s.attributes.erase(name);
      else
        s.attributes[name] = value;
      if (name == "FilterPolicy") {
        s.filter.reset();
        if (!value.empty()) {
          auto p = EventPattern::Parse(value);
          if (!p.ok()) return DataLossError("sns journal holds a bad filter policy");
          s.filter = std::move(*p);
        }
      }
    } else {
      return DataLossError("unknown sns journal op " + op);
    }
  } catch (const json::exception& e) {
    return DataLossError(std::string("bad sns journal record: ") + e.what());
  }
  return Status::Ok();
}

json SnsModel::Snapshot() const {
  // As records that replay to the same state, like SQS: one code path restores both.
  json records = json::array();
  for (const auto& [name, t] : topics_) {
    json tags = json::array();
    for (const auto& tag : t->tags) tags.push_back({tag.key, tag.value});
    records.push_back({{"s", "sns"},
                       {"op", "topic"},
                       {"name", name},
                       {"attrs", t->attributes},
                       {"tags", tags},
                       {"t", ToUnixNanos(t->created)}});
  }
  for (const auto& [arn, s] : subscriptions_) {
    records.push_back({{"s", "sns"},
                       {"op", "sub"},
                       {"arn", arn},
                       {"topic", s->topic_arn},
                       {"protocol", s->protocol},
                       {"endpoint", s->endpoint},
                       {"attrs", s->attributes}});
  }
  return records;
}

Status SnsModel::Restore(const json& snapshot) {
  std::lock_guard lock(mu_);
  topics_.clear();
  subscriptions_.clear();
  for (const json& r : snapshot) RETURN_IF_ERROR(ApplyLocked(r));
  return Status::Ok();
}

Result<std::string> SnsModel::CreateTopic(const aws::CreateTopicRequest& req) {
  constexpr std::string_view kOp = "CreateTopic";
  for (const auto& [k, v] : req.attributes)
    if (!kTopicAttributes.count(k)) return InvalidParameter(kOp, "AttributeName");
  auto fifo_it = req.attributes.find("FifoTopic");
  bool fifo = fifo_it != req.attributes.end() && Lower(fifo_it->second) == "true";
  if (!ValidTopicName(req.name, fifo)) {
    if (fifo || req.name.ends_with(".fifo"))
      return InvalidParameter(kOp,
                              "Fifo Topic names must end with .fifo and must be made up of "
                              "only uppercase and lowercase ASCII letters, numbers, "
                              "underscores, and hyphens, and must be between 1 and 256 "
                              "characters long.");
    return InvalidParameter(kOp, "Topic Name");
  }
  for (const auto& tag : req.tags)
    if (tag.key.empty() || tag.key.size() > 128 || tag.value.size() > 256)
      return InvalidParameter(kOp, "Tags Reason: invalid tag");
  for (const char* policy : {"Policy", "DeliveryPolicy", "DataProtectionPolicy", "ArchivePolicy"})
    if (auto it = req.attributes.find(policy);
        it != req.attributes.end() && !it->second.empty() && !json::accept(it->second))
      return InvalidParameter(kOp, std::string(policy) + ": failed to parse JSON.");
  uint64_t seq = 0;
  std::string arn;
  {
    std::lock_guard lock(mu_);
    if (auto it = topics_.find(req.name); it != topics_.end()) {
      // Idempotent, as SNS: the same request returns the topic; a different one is refused.
      if (it->second->attributes != req.attributes && !req.attributes.empty())
        return InvalidParameter(
            kOp, "Attributes Reason: Topic already exists with different attributes");
      if (!req.tags.empty() && it->second->tags != req.tags)
        return InvalidParameter(kOp, "Tags Reason: Topic already exists with different tags");
      return it->second->arn;
    }
    json tags = json::array();
    for (const auto& tag : req.tags) tags.push_back({tag.key, tag.value});
    seq = RecordLocked({{"op", "topic"},
                        {"name", req.name},
                        {"attrs", req.attributes},
                        {"tags", tags},
                        {"t", ToUnixNanos(ctx_.clock.Now())}});
    arn = topics_.at(req.name)->arn;
  }
  RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return arn;
}

Result<aws::ListTopicsResult> SnsModel::ListTopics(const std::string& next_token) {
  std::string start;
  if (!next_token.empty()) {
    auto decoded = Base64Decode(next_token);
    if (!decoded.ok() || decoded->rfind("topic:", 0) != 0)
      return InvalidParameter("ListTopics", "NextToken");
    start = decoded->substr(6);
  }
  std::lock_guard lock(mu_);
  aws::ListTopicsResult out;
  for (auto it = topics_.lower_bound(start); it != topics_.end(); ++it) {
    if (out.topic_arns.size() == kPageSize) {
      out.next_token = Base64Encode("topic:" + it->first);
      break;
    }
    out.topic_arns.push_back(it->second->arn);
  }
  return out;
}

Result<std::map<std::string, std::string>> SnsModel::GetTopicAttributes(const std::string& arn) {
  constexpr std::string_view kOp = "GetTopicAttributes";
  if (!IsSnsArn(arn, false)) return InvalidParameter(kOp, "TopicArn");
  std::lock_guard lock(mu_);
  Topic* t = FindTopicLocked(arn);
  if (!t) return NotFound(kOp, "Topic does not exist");
  int confirmed = 0, pending = 0;
  for (const auto& [sarn, s] : subscriptions_) {
    if (s->topic_arn != arn) continue;
    (s->pending() ? pending : confirmed)++;
  }
  std::map<std::string, std::string> out = {
      {"TopicArn", t->arn},
      {"Owner", ctx_.account_id},
      {"Policy", DefaultPolicy(t->arn, ctx_.account_id)},
      {"DisplayName", ""},
      {"SubscriptionsConfirmed", std::to_string(confirmed)},
      {"SubscriptionsPending", std::to_string(pending)},
      {"SubscriptionsDeleted", "0"},
      {"EffectiveDeliveryPolicy", std::string(kEffectiveDeliveryPolicy)},
  };
  for (const auto& [k, v] : t->attributes) out[k] = v;
  return out;
}

Status SnsModel::SetTopicAttributes(const std::string& arn, const std::string& name,
                                    const std::string& value) {
  constexpr std::string_view kOp = "SetTopicAttributes";
  if (!IsSnsArn(arn, false)) return InvalidParameter(kOp, "TopicArn");
  if (!kTopicAttributes.count(name)) return InvalidParameter(kOp, "AttributeName");
  if (name == "FifoTopic") return InvalidParameter(kOp, "AttributeName: FifoTopic is immutable");
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    Topic* t = FindTopicLocked(arn);
    if (!t) return NotFound(kOp, "Topic does not exist");
    seq = RecordLocked({{"op", "topicattr"}, {"topic", t->name}, {"name", name}, {"value", value}});
  }
  return ctx_.journal().Commit(seq);
}

Status SnsModel::DeleteTopic(const std::string& arn) {
  constexpr std::string_view kOp = "DeleteTopic";
  if (!IsSnsArn(arn, false)) return InvalidParameter(kOp, "TopicArn");
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    Topic* t = FindTopicLocked(arn);
    if (!t) return Status::Ok();  // as SNS: deleting a missing topic is not an error
    seq = RecordLocked({{"op", "deltopic"}, {"topic", t->name}});
  }
  return ctx_.journal().Commit(seq);
}

Result<std::string> SnsModel::Subscribe(const aws::SubscribeRequest& req) {
  constexpr std::string_view kOp = "Subscribe";
  if (!IsSnsArn(req.topic_arn, false)) return InvalidParameter(kOp, "TopicArn");
  std::string protocol = Lower(req.protocol);
  if (!kProtocols.count(protocol))
    return InvalidParameter(kOp,
                            "Amazon SNS does not support this protocol string: " + req.protocol);
  const std::string& ep = req.endpoint;
  if (ep.empty()) return InvalidParameter(kOp, "Endpoint");
  if (protocol == "sqs" && (ep.rfind("arn:", 0) != 0 || ep.find(":sqs:") == std::string::npos ||
                            std::count(ep.begin(), ep.end(), ':') != 5 || ep.back() == ':'))
    return InvalidParameter(kOp, "SQS endpoint ARN");
  if ((protocol == "http" && ep.rfind("http://", 0) != 0) ||
      (protocol == "https" && ep.rfind("https://", 0) != 0))
    return InvalidParameter(kOp, "Endpoint must match the specified protocol");
  if ((protocol == "email" || protocol == "email-json") && ep.find('@') == std::string::npos)
    return InvalidParameter(kOp, "Email address");
  std::map<std::string, std::string> attrs = req.attributes;
  for (auto& [k, v] : attrs) RETURN_IF_ERROR(CheckSubscriptionAttribute(kOp, k, v));
  if (attrs.count("RawMessageDelivery") && protocol != "sqs" && protocol != "http" &&
      protocol != "https" && protocol != "firehose")
    return InvalidParameter(kOp, "Attributes Reason: Delivery protocol [" + protocol +
                                     "] does not support raw message delivery.");
  uint64_t seq = 0;
  std::string arn;
  bool pending;
  {
    std::lock_guard lock(mu_);
    if (!FindTopicLocked(req.topic_arn)) return NotFound(kOp, "Topic does not exist");
    for (const auto& [sarn, s] : subscriptions_) {
      if (s->topic_arn != req.topic_arn || s->protocol != protocol || s->endpoint != ep) continue;
      if (!attrs.empty() && s->attributes != attrs)
        return InvalidParameter(
            kOp, "Attributes Reason: Subscription already exists with different attributes");
      if (s->pending() && !req.return_subscription_arn) return std::string("pending confirmation");
      return sarn;
    }
    arn = req.topic_arn + ":" + ctx_.NewId();
    seq = RecordLocked({{"op", "sub"},
                        {"arn", arn},
                        {"topic", req.topic_arn},
                        {"protocol", protocol},
                        {"endpoint", ep},
                        {"attrs", attrs}});
    pending = subscriptions_.at(arn)->pending();
  }
  RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  if (pending && !req.return_subscription_arn) return std::string("pending confirmation");
  return arn;
}

Status SnsModel::Unsubscribe(const std::string& arn) {
  constexpr std::string_view kOp = "Unsubscribe";
  if (!IsSnsArn(arn, true)) return InvalidParameter(kOp, "SubscriptionArn");
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    if (!subscriptions_.count(arn)) return NotFound(kOp, "Subscription does not exist");
    seq = RecordLocked({{"op", "unsub"}, {"arn", arn}});
  }
  return ctx_.journal().Commit(seq);
}

Result<aws::ListSubscriptionsResult> SnsModel::ListSubscriptionsLocked(
    std::string_view op, const Topic* topic, const std::string& next_token) {
  std::string start;
  if (!next_token.empty()) {
    auto decoded = Base64Decode(next_token);
    if (!decoded.ok() || decoded->rfind("sub:", 0) != 0) return InvalidParameter(op, "NextToken");
    start = decoded->substr(4);
  }
  aws::ListSubscriptionsResult out;
  for (auto it = subscriptions_.lower_bound(start); it != subscriptions_.end(); ++it) {
    const Subscription& s = *it->second;
    if (topic && s.topic_arn != topic->arn) continue;
    if (out.subscriptions.size() == kPageSize) {
      out.next_token = Base64Encode("sub:" + it->first);
      break;
    }
    out.subscriptions.push_back({s.pending() ? "PendingConfirmation" : s.arn, ctx_.account_id,
                                 s.protocol, s.endpoint, s.topic_arn});
  }
  return out;
}

Result<aws::ListSubscriptionsResult> SnsModel::ListSubscriptions(const std::string& next_token) {
  std::lock_guard lock(mu_);
  return ListSubscriptionsLocked("ListSubscriptions", nullptr, next_token);
}

Result<aws::ListSubscriptionsResult> SnsModel::ListSubscriptionsByTopic(
    const std::string& topic_arn, const std::string& next_token) {
  constexpr std::string_view kOp = "ListSubscriptionsByTopic";
  if (!IsSnsArn(topic_arn, false)) return InvalidParameter(kOp, "TopicArn");
  std::lock_guard lock(mu_);
  Topic* t = FindTopicLocked(topic_arn);
  if (!t) return NotFound(kOp, "Topic does not exist");
  return ListSubscriptionsLocked(kOp, t, next_token);
}

Result<std::map<std::string, std::string>> SnsModel::GetSubscriptionAttributes(
    const std::string& arn) {
  constexpr std::string_view kOp = "GetSubscriptionAttributes";
  if (!IsSnsArn(arn, true)) return InvalidParameter(kOp, "SubscriptionArn");
  std::lock_guard lock(mu_);
  auto it = subscriptions_.find(arn);
  if (it == subscriptions_.end()) return NotFound(kOp, "Subscription does not exist");
  const Subscription& s = *it->second;
  std::map<std::string, std::string> out = {
      {"SubscriptionArn", s.arn},
      {"TopicArn", s.topic_arn},
      {"Owner", ctx_.account_id},
      {"Protocol", s.protocol},
      {"Endpoint", s.endpoint},
      {"PendingConfirmation", s.pending() ? "true" : "false"},
      {"ConfirmationWasAuthenticated", s.pending() ? "false" : "true"},
      {"RawMessageDelivery", "false"},
      {"SubscriptionPrincipal", "arn:aws:iam::" + ctx_.account_id + ":root"},
  };
  for (const auto& [k, v] : s.attributes) out[k] = v;
  if (s.filter && !out.count("FilterPolicyScope")) out["FilterPolicyScope"] = "MessageAttributes";
  return out;
}

Status SnsModel::SetSubscriptionAttributes(const std::string& arn, const std::string& name,
                                           const std::string& value) {
  constexpr std::string_view kOp = "SetSubscriptionAttributes";
  if (!IsSnsArn(arn, true)) return InvalidParameter(kOp, "SubscriptionArn");
  std::string v = value;
  RETURN_IF_ERROR(CheckSubscriptionAttribute(kOp, name, v));
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    auto it = subscriptions_.find(arn);
    if (it == subscriptions_.end()) return NotFound(kOp, "Subscription does not exist");
    const std::string& protocol = it->second->protocol;
    if (name == "RawMessageDelivery" && protocol != "sqs" && protocol != "http" &&
        protocol != "https" && protocol != "firehose")
      return InvalidParameter(kOp, "Attributes Reason: Delivery protocol [" + protocol +
                                       "] does not support raw message delivery.");
    seq = RecordLocked({{"op", "subattr"}, {"arn", arn}, {"name", name}, {"value", v}});
  }
  return ctx_.journal().Commit(seq);
}

Result<aws::PublishResult> SnsModel::Publish(const aws::PublishRequest& req) {
  constexpr std::string_view kOp = "Publish";
  if (req.topic_arn.empty() && req.target_arn.empty())
    return InvalidParameter(kOp, "TopicArn or TargetArn Reason: no value for required parameter");
  if (!req.topic_arn.empty() && !req.target_arn.empty())
    return InvalidParameter(kOp,
                            "TopicArn Reason: Only one of TopicArn or TargetArn may be "
                            "specified");
  const std::string& arn = req.topic_arn.empty() ? req.target_arn : req.topic_arn;
  if (!IsSnsArn(arn, false))
    return InvalidParameter(kOp, req.topic_arn.empty() ? "TargetArn" : "TopicArn");
  ASSIGN_OR_RETURN(std::string sqs_message, SnsCheckPublish(req));

  aws::PublishResult result;
  result.message_id = ctx_.NewId();
  const std::string timestamp = FormatIso8601(ctx_.clock.Now(), /*millis=*/true);
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    Topic* t = FindTopicLocked(arn);
    if (!t) return NotFound(kOp, "Topic does not exist");
    if (t->fifo()) {
      if (req.message_group_id.empty())
        return InvalidParameter(kOp, "The MessageGroupId parameter is required for FIFO topics");
      auto cbd = t->attributes.find("ContentBasedDeduplication");
      if (req.message_deduplication_id.empty() &&
          (cbd == t->attributes.end() || Lower(cbd->second) != "true"))
        return InvalidParameter(kOp,
                                "The topic should either have ContentBasedDeduplication "
                                "enabled or MessageDeduplicationId provided explicitly");
      result.sequence_number = std::to_string(ToUnixNanos(ctx_.clock.Now()));
      result.sequence_number.insert(0, 20 - std::min<size_t>(20, result.sequence_number.size()),
                                    '1');
    }
    std::string signature_version = "1";
    if (auto it = t->attributes.find("SignatureVersion"); it != t->attributes.end())
      signature_version = it->second;
    json attrs_view = SnsFilterView(req.message_attributes);
    json body_view;  // parsed once, for subscriptions filtering on the body
    for (const auto& [sarn, s] : subscriptions_) {
      if (s->topic_arn != t->arn || s->protocol != "sqs") continue;
      if (s->filter) {
        const json* view = &attrs_view;
        if (s->filter_on_body()) {
          if (body_view.is_null()) body_view = json::parse(sqs_message, nullptr, false);
          view = &body_view;
        }
        if (!s->filter->Matches(*view)) continue;
      }
      Delivery d;
      d.queue_arn = s->endpoint;
      if (s->raw()) {
        d.body = sqs_message;
        d.attributes = req.message_attributes;
      } else {
        d.body = SnsNotificationJson({.message_id = result.message_id,
                                      .sequence_number = result.sequence_number,
                                      .topic_arn = t->arn,
                                      .subject = req.subject,
                                      .message = sqs_message,
                                      .timestamp = timestamp,
                                      .signature_version = signature_version,
                                      .endpoint = ctx_.endpoint(),
                                      .subscription_arn = s->arn,
                                      .attributes = &req.message_attributes});
      }
      deliveries.push_back(std::move(d));
    }
  }
  // Outside the lock: SQS takes its own, and the region may be holding every model's.
  for (const Delivery& d : deliveries) {
    auto sent = sqs_.SendToArn(d.queue_arn, d.body, d.attributes);
    if (!sent.ok())
      LogWarn("sns: delivery to queue failed",
              {{"topic", arn}, {"queue", d.queue_arn}, {"error", sent.status().ToString()}});
  }
  return result;
}

}  // namespace steady::region
