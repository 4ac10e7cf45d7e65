#include "region/setup.h"

#include <algorithm>

#include "region/s3_model.h"

namespace steady::region {

std::string SetupSummary::ToString() const {
  return std::to_string(queues) + " queues, " + std::to_string(topics) + " topics, " +
         std::to_string(subscriptions) + " subscriptions, " + std::to_string(rules) + " rules, " +
         std::to_string(targets) + " targets, " + std::to_string(buckets) + " buckets";
}

namespace {

std::string QueueArn(const SetupTargets& t, const std::string& name) {
  return "arn:aws:sqs:" + t.region + ":" + t.account_id + ":" + name;
}

Status ApplyQueues(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto queues, setup.List("queues"));
  // Dead-letter queues first, so redrive policies can name them.
  std::vector<std::pair<const ConfigNode*, std::string>> ordered;
  for (const ConfigNode& q : queues) {
    RETURN_IF_ERROR(q.CheckKeys({"name", "attributes", "dead_letter"}));
    ASSIGN_OR_RETURN(std::string name, q.String("name"));
    ordered.push_back({&q, name});
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return !a.first->Has("dead_letter") && b.first->Has("dead_letter");
  });
  for (const auto& [q, name] : ordered) {
    std::map<std::string, std::string> attrs;
    ConfigNode a = q->Child("attributes");
    for (const std::string& k : a.Keys()) {
      ASSIGN_OR_RETURN(attrs[k], a.String(k));
    }
    if (q->Has("dead_letter")) {
      ConfigNode dl = q->Child("dead_letter");
      RETURN_IF_ERROR(dl.CheckKeys({"queue", "max_receive_count"}));
      ASSIGN_OR_RETURN(std::string dlq, dl.String("queue"));
      ASSIGN_OR_RETURN(int64_t max, dl.Int("max_receive_count", 5));
      attrs["RedrivePolicy"] = "{\"deadLetterTargetArn\":\"" + QueueArn(t, dlq) +
                               "\",\"maxReceiveCount\":\"" + std::to_string(max) + "\"}";
    }
    auto url = t.sqs.CreateQueue(name, {});
    if (!url.ok()) return url.status().WithContext(q->Where() + ": queue " + name);
    if (!attrs.empty())
      RETURN_IF_ERROR(
          t.sqs.SetQueueAttributes(*url, attrs).WithContext(q->Where() + ": queue " + name));
    ++sum.queues;
  }
  return Status::Ok();
}

Status ApplyTopics(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto topics, setup.List("topics"));
  if (!topics.empty() && !t.sns) return FailedPreconditionError("topics: this region has no SNS");
  for (const ConfigNode& topic : topics) {
    RETURN_IF_ERROR(topic.CheckKeys({"name", "subscriptions"}));
    ASSIGN_OR_RETURN(std::string name, topic.String("name"));
    auto arn = t.sns->CreateTopic({name, {}, {}});
    if (!arn.ok()) return arn.status().WithContext(topic.Where() + ": topic " + name);
    ++sum.topics;
    ASSIGN_OR_RETURN(auto subs, topic.List("subscriptions"));
    for (const ConfigNode& s : subs) {
      RETURN_IF_ERROR(s.CheckKeys({"queue", "raw"}));
      ASSIGN_OR_RETURN(std::string queue, s.String("queue"));
      ASSIGN_OR_RETURN(bool raw, s.Bool("raw", false));
      aws::SubscribeRequest req{
          *arn, "sqs", QueueArn(t, queue), {{"RawMessageDelivery", raw ? "true" : "false"}}, true};
      auto sub = t.sns->Subscribe(req);
      if (!sub.ok()) return sub.status().WithContext(s.Where() + ": subscription to " + queue);
      ++sum.subscriptions;
    }
  }
  return Status::Ok();
}

Status ApplyRules(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto rules, setup.List("rules"));
  if (!rules.empty() && !t.events)
    return FailedPreconditionError("rules: this region has no EventBridge");
  for (const ConfigNode& rule : rules) {
    RETURN_IF_ERROR(rule.CheckKeys({"name", "pattern", "description", "targets"}));
    aws::PutRuleRequest req;
    ASSIGN_OR_RETURN(req.name, rule.String("name"));
    ASSIGN_OR_RETURN(req.event_pattern, rule.Json("pattern"));
    ASSIGN_OR_RETURN(req.description, rule.String("description", ""));
    auto arn = t.events->PutRule(req);
    if (!arn.ok()) return arn.status().WithContext(rule.Where() + ": rule " + req.name);
    ++sum.rules;
    ASSIGN_OR_RETURN(auto targets, rule.List("targets"));
    std::vector<aws::EventTarget> list;
    for (const ConfigNode& target : targets) {
      RETURN_IF_ERROR(target.CheckKeys({"queue", "id", "input_path"}));
      aws::EventTarget et;
      ASSIGN_OR_RETURN(std::string queue, target.String("queue"));
      ASSIGN_OR_RETURN(et.id, target.String("id", queue));
      ASSIGN_OR_RETURN(et.input_path, target.String("input_path", ""));
      et.arn = QueueArn(t, queue);
      list.push_back(std::move(et));
    }
    if (!list.empty()) {
      auto r = t.events->PutTargets(req.name, "", list);
      if (!r.ok()) return r.status().WithContext(rule.Where() + ": targets of " + req.name);
      if (r->failed_entry_count > 0)
        return InvalidArgumentError(rule.Where() + ": target " + r->failed_entries[0].target_id +
                                    " of " + req.name + ": " + r->failed_entries[0].error_message);
      sum.targets += static_cast<int>(list.size());
    }
  }
  return Status::Ok();
}

Status ApplyBuckets(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto buckets, setup.List("buckets"));
  if (!buckets.empty() && !t.buckets)
    return FailedPreconditionError("buckets: this region has no S3");
  for (const ConfigNode& b : buckets) {
    RETURN_IF_ERROR(b.CheckKeys({"name", "notifications"}));
    ASSIGN_OR_RETURN(std::string name, b.String("name"));
    if (t.buckets->HeadBucket(name).code() == StatusCode::kNotFound)
      RETURN_IF_ERROR(t.buckets->CreateBucket(name).WithContext(b.Where() + ": bucket " + name));
    ASSIGN_OR_RETURN(auto notes, b.List("notifications"));
    std::vector<S3QueueNotification> list;
    for (const ConfigNode& n : notes) {
      RETURN_IF_ERROR(n.CheckKeys({"queue", "events", "prefix", "suffix", "id"}));
      S3QueueNotification qn;
      ASSIGN_OR_RETURN(std::string queue, n.String("queue"));
      qn.queue_arn = QueueArn(t, queue);
      ASSIGN_OR_RETURN(qn.id, n.String("id", name + "-to-" + queue));
      ASSIGN_OR_RETURN(qn.events, n.StringList("events"));
      if (qn.events.empty()) qn.events = {"s3:ObjectCreated:*"};
      ASSIGN_OR_RETURN(qn.prefix, n.String("prefix", ""));
      ASSIGN_OR_RETURN(qn.suffix, n.String("suffix", ""));
      list.push_back(std::move(qn));
    }
    if (!list.empty())
      RETURN_IF_ERROR(t.buckets->PutBucketNotificationConfiguration(name, list)
                          .WithContext(b.Where() + ": notifications of " + name));
    ++sum.buckets;
  }
  return Status::Ok();
}

}  // namespace

Result<SetupSummary> ApplySetup(const ConfigNode& setup, SetupTargets& targets) {
  RETURN_IF_ERROR(setup.CheckKeys({"queues", "topics", "rules", "buckets"}));
  SetupSummary sum;
  RETURN_IF_ERROR(ApplyQueues(setup, targets, sum));
  RETURN_IF_ERROR(ApplyTopics(setup, targets, sum));
  RETURN_IF_ERROR(ApplyRules(setup, targets, sum));
  RETURN_IF_ERROR(ApplyBuckets(setup, targets, sum));
  return sum;
}

}  // namespace steady::region
