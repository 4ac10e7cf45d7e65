// S3Model's bucket notifications: the configuration (queues, event names, key filters) and the
// messages S3 sends, in its event JSON, once the mutation that caused them is durable.
#include <nlohmann/json.hpp>

#include <set>

#include "base/log.h"
#include "base/time_format.h"
#include "region/s3_model.h"
#include "region/s3_util.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;
using nlohmann::ordered_json;
using namespace s3_internal;  // NOLINT: this component's own helpers

namespace {

const std::set<std::string>& KnownEvents() {
  static const std::set<std::string> kEvents = {
      "s3:ReducedRedundancyLostObject",
      "s3:ObjectCreated:*",
      "s3:ObjectCreated:Put",
      "s3:ObjectCreated:Post",
      "s3:ObjectCreated:Copy",
      "s3:ObjectCreated:CompleteMultipartUpload",
      "s3:ObjectRemoved:*",
      "s3:ObjectRemoved:Delete",
      "s3:ObjectRemoved:DeleteMarkerCreated",
      "s3:ObjectRestore:*",
      "s3:ObjectRestore:Post",
      "s3:ObjectRestore:Completed",
      "s3:ObjectRestore:Delete",
      "s3:Replication:*",
      "s3:Replication:OperationFailedReplication",
      "s3:Replication:OperationNotTracked",
      "s3:Replication:OperationMissedThreshold",
      "s3:Replication:OperationReplicatedAfterThreshold",
      "s3:LifecycleTransition",
      "s3:IntelligentTiering",
      "s3:ObjectAcl:Put",
      "s3:LifecycleExpiration:*",
      "s3:LifecycleExpiration:Delete",
      "s3:LifecycleExpiration:DeleteMarkerCreated",
      "s3:ObjectTagging:*",
      "s3:ObjectTagging:Put",
      "s3:ObjectTagging:Delete",
  };
  return kEvents;
}

// "s3:ObjectCreated:*" matches "ObjectCreated:Put"; other names match exactly.
bool EventMatches(const std::string& configured, std::string_view event_name) {
  std::string_view c = configured;
  if (!c.starts_with("s3:")) return false;
  c.remove_prefix(3);
  if (c.ends_with(":*")) return event_name.starts_with(c.substr(0, c.size() - 1));
  return c == event_name;
}

std::string PrincipalOf(const S3Caller& caller, const std::string& account) {
  return caller.principal_id.empty() ? "AWS:" + account : caller.principal_id;
}

}  // namespace

std::string S3EventKeyEncode(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(key.size());
  for (unsigned char c : key) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '*' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Status S3Model::PutBucketNotificationConfiguration(const std::string& bucket,
                                                   std::vector<S3QueueNotification> queues,
                                                   const S3Caller& caller) {
  constexpr std::string_view kOp = "PutBucketNotificationConfiguration";
  {
    std::lock_guard lock(mu_);
    RETURN_IF_ERROR(BucketLocked(kOp, bucket).status());
  }
  std::set<std::string> ids;
  for (S3QueueNotification& q : queues) {
    if (q.events.empty())
      return ServiceError(kOp, "InvalidArgument", "A notification must name at least one event.");
    for (const std::string& e : q.events)
      if (!KnownEvents().count(e))
        return ServiceError(kOp, "InvalidArgument", "The event is not supported for notifications");
    // S3 checks that it can deliver to every destination before it accepts a configuration.
    if (!q.queue_arn.starts_with("arn:") || !sqs_.QueueArn(q.queue_arn).ok())
      return ServiceError(kOp, "InvalidArgument",
                          "Unable to validate the following destination configurations");
    if (q.id.empty()) q.id = ctx_.NewId();
    if (!ids.insert(q.id).second)
      return ServiceError(kOp, "InvalidArgument",
                          "Configuration IDs must be unique within a notification configuration");
  }
  json cfg = json::array();
  for (const auto& n : queues)
    cfg.push_back(
        {{"id", n.id}, {"q", n.queue_arn}, {"ev", n.events}, {"pre", n.prefix}, {"suf", n.suffix}});
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    RETURN_IF_ERROR(BucketLocked(kOp, bucket).status());
    seq = RecordLocked({{"op", "notif"}, {"b", bucket}, {"cfg", cfg}}, nullptr);
  }
  // S3 tells each destination that it was configured.
  std::vector<Event> tests;
  std::set<std::string> sent;
  for (const auto& n : queues) {
    if (!sent.insert(n.queue_arn).second) continue;
    ordered_json body = {{"Service", "Amazon S3"},
                         {"Event", "s3:TestEvent"},
                         {"Time", FormatIso8601(ctx_.clock.Now(), true)},
                         {"Bucket", bucket},
                         {"RequestId", caller.request_id},
                         {"HostId", caller.host_id}};
    tests.push_back({n.queue_arn, body.dump()});
  }
  return Finish(seq, {}, tests);
}

Result<std::vector<S3QueueNotification>> S3Model::GetBucketNotificationConfiguration(
    const std::string& bucket) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Bucket * b, BucketLocked("GetBucketNotificationConfiguration", bucket));
  return b->notifications;
}

void S3Model::CollectEventsLocked(const Bucket& b, const std::string& key,
                                  std::string_view event_name, const S3ObjectMeta* meta,
                                  uint64_t sequencer, const S3Caller& caller,
                                  std::vector<Event>& out) const {
  for (const S3QueueNotification& n : b.notifications) {
    bool wanted = false;
    for (const std::string& e : n.events) wanted = wanted || EventMatches(e, event_name);
    if (!wanted || !key.starts_with(n.prefix) || !key.ends_with(n.suffix)) continue;
    char seq_hex[17];
    std::snprintf(seq_hex, sizeof seq_hex, "%016llX", static_cast<unsigned long long>(sequencer));
    std::string principal = PrincipalOf(caller, ctx_.account_id);
    ordered_json object = {{"key", S3EventKeyEncode(key)}};
    if (meta) {
      object["size"] = meta->size;
      object["eTag"] = meta->etag;
    }
    object["sequencer"] = seq_hex;
    ordered_json record = {
        {"eventVersion", "2.1"},
        {"eventSource", "aws:s3"},
        {"awsRegion", ctx_.region},
        {"eventTime", FormatIso8601(meta ? meta->last_modified : ctx_.clock.Now(), true)},
        {"eventName", event_name},
        {"userIdentity", {{"principalId", principal}}},
        {"requestParameters", {{"sourceIPAddress", caller.source_ip}}},
        {"responseElements",
         {{"x-amz-request-id", caller.request_id}, {"x-amz-id-2", caller.host_id}}},
        {"s3",
         {{"s3SchemaVersion", "1.0"},
          {"configurationId", n.id},
          {"bucket",
           {{"name", b.name},
            {"ownerIdentity", {{"principalId", principal}}},
            {"arn", "arn:aws:s3:::" + b.name}}},
          {"object", object}}}};
    ordered_json body = {{"Records", ordered_json::array({record})}};
    out.push_back({n.queue_arn, body.dump()});
  }
}

void S3Model::Deliver(const std::vector<Event>& events) {
  for (const Event& e : events) {
    // S3 drops what it cannot deliver (the queue was deleted after the configuration was put).
    if (auto sent = sqs_.SendToArn(e.queue_arn, e.body); !sent.ok())
      LogWarn("s3: cannot deliver a bucket notification",
              {{"queue", e.queue_arn}, {"error", sent.status().ToString()}});
  }
}

}  // namespace steady::region
