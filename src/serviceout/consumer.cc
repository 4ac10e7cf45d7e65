#include "serviceout/consumer.h"

#include <algorithm>
#include <thread>

#include "base/log.h"

namespace steady::serviceout {

namespace {
constexpr int kMaxVisibilitySeconds = 12 * 3600;  // SQS's limit
}  // namespace

Consumer::Consumer(ConsumerOptions options, aws::Sqs& sqs, ServiceOut& service_out,
                   InstanceLocator& locator, Clock& clock, MetricsRegistry& metrics)
    : options_(std::move(options)),
      sqs_(sqs),
      so_(service_out),
      locator_(locator),
      clock_(clock),
      messages_(metrics.AddCounter("steady_terminator_messages_total",
                                   "Queue messages received, by what they were.", {"kind"})),
      events_(metrics.AddCounter("steady_terminator_events_total",
                                 "Service-out events received, by type.", {"type"})),
      api_errors_(&metrics
                       .AddCounter("steady_terminator_queue_errors_total",
                                   "SQS calls of the consumer that failed.")
                       .Get()) {}

int Consumer::Seconds(Duration d) const {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return static_cast<int>(std::clamp<int64_t>(s, 0, kMaxVisibilitySeconds));
}

void Consumer::Count(const char* kind) { messages_.With({kind}).Inc(); }

MessageAction Consumer::Delete(const std::string& queue_url, const aws::SqsMessage& m) {
  Status s = sqs_.DeleteMessage(queue_url, m.receipt_handle);
  if (!s.ok()) {
    api_errors_->Inc();
    LogWarn("terminator: cannot delete a message",
            {{"queue", queue_url}, {"message", m.message_id}, {"error", s.ToString()}});
    return MessageAction::kFailed;
  }
  return MessageAction::kDeleted;
}

MessageAction Consumer::DeadLetter(const std::string& queue_url, const aws::SqsMessage& m,
                                   const std::string& kind, const std::string& reason) {
  LogWarn("terminator: message not understood",
          {{"queue", queue_url}, {"message", m.message_id}, {"kind", kind}, {"reason", reason}});
  if (options_.dead_letter_queue_url.empty()) {
    // Hidden a while; the queue's redrive policy moves it after its maxReceiveCount.
    (void)sqs_.ChangeMessageVisibility(queue_url, m.receipt_handle, Seconds(options_.retry_after));
    return MessageAction::kDeferred;
  }
  if (Status sent = aws::SendToDeadLetterQueue(sqs_, options_.dead_letter_queue_url, queue_url, m,
                                               kind + ": " + reason);
      !sent.ok()) {
    api_errors_->Inc();
    LogWarn("terminator: cannot dead-letter a message; it stays in its queue",
            {{"message", m.message_id}, {"error", sent.ToString()}});
    (void)sqs_.ChangeMessageVisibility(queue_url, m.receipt_handle, Seconds(options_.retry_after));
    return MessageAction::kFailed;
  }
  return Delete(queue_url, m) == MessageAction::kDeleted ? MessageAction::kDeadLettered
                                                         : MessageAction::kFailed;
}

bool Consumer::RebalanceWanted(const std::string& instance_id) {
  if (options_.rebalance_clusters.count("*")) return true;
  if (options_.rebalance_clusters.empty()) return false;
  auto loc = locator_.Locate(instance_id);
  if (!loc.ok()) return false;
  for (const std::string& c : options_.rebalance_clusters) {
    // Names match the ARN's last segment.
    if (loc->cluster == c ||
        (loc->cluster.size() > c.size() &&
         loc->cluster.compare(loc->cluster.size() - c.size(), c.size(), c) == 0 &&
         loc->cluster[loc->cluster.size() - c.size() - 1] == '/'))
      return true;
  }
  return false;
}

MessageAction Consumer::HandleMessage(const std::string& queue_url, const aws::SqsMessage& m) {
  ParsedMessage p = ParseMessage(m.body);
  Count(MessageKindName(p.kind));
  switch (p.kind) {
    case MessageKind::kTestNotification:
    case MessageKind::kIgnored:
      LogInfo("terminator: message needs no service-out",
              {{"message", m.message_id}, {"kind", MessageKindName(p.kind)}, {"reason", p.reason}});
      return Delete(queue_url, m);
    case MessageKind::kMalformed:
    case MessageKind::kUnknown: return DeadLetter(queue_url, m, MessageKindName(p.kind), p.reason);
    case MessageKind::kServiceOut: break;
  }
  Tracked t{queue_url, m.receipt_handle, m.message_id, {}, clock_.Now()};
  Time now = clock_.Now();
  for (const ServiceOutRequest& r : p.requests) {
    events_.With({TriggerName(r.trigger)}).Inc();
    if (r.trigger == Trigger::kRebalanceRecommendation && !RebalanceWanted(r.instance_id)) {
      LogInfo("terminator: rebalance recommendation for a cluster that did not opt in",
              {{"instance", r.instance_id}});
      continue;
    }
    if (r.trigger == Trigger::kScheduledChange && r.deadline &&
        *r.deadline - options_.scheduled_lead > now) {
      Duration wait = *r.deadline - options_.scheduled_lead - now;
      LogInfo("terminator: scheduled change deferred",
              {{"instance", r.instance_id}, {"seconds", static_cast<int64_t>(Seconds(wait))}});
      if (Status s = sqs_.ChangeMessageVisibility(queue_url, m.receipt_handle, Seconds(wait));
          !s.ok()) {
        api_errors_->Inc();
        return MessageAction::kFailed;
      }
      return MessageAction::kDeferred;
    }
    t.workflows.push_back(so_.Submit(r));
  }
  if (t.workflows.empty()) return Delete(queue_url, m);
  std::lock_guard lock(mu_);
  tracked_.push_back(std::move(t));
  return MessageAction::kTracked;
}

void Consumer::Reconcile() {
  std::vector<Tracked> done;
  std::vector<Tracked*> extend;
  std::unique_lock lock(mu_);
  Time now = clock_.Now();
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    bool finished = std::all_of(it->workflows.begin(), it->workflows.end(),
                                [](const auto& h) { return ServiceOut::Poll(h).has_value(); });
    if (finished) {
      done.push_back(std::move(*it));
      it = tracked_.erase(it);
      continue;
    }
    if (now >= it->next_extend) extend.push_back(&*it);
    ++it;
  }
  for (Tracked* t : extend) {
    Status s = sqs_.ChangeMessageVisibility(t->queue_url, t->receipt_handle,
                                            Seconds(options_.visibility_timeout));
    if (!s.ok()) {
      api_errors_->Inc();
      LogWarn("terminator: cannot extend a message's visibility",
              {{"message", t->message_id}, {"error", s.ToString()}});
    }
    t->next_extend = now + options_.visibility_timeout / 2;
  }
  lock.unlock();
  for (const Tracked& t : done) {
    bool acked = true;
    for (const auto& h : t.workflows) {
      Outcome o = *ServiceOut::Poll(h);
      if (o.code == OutcomeCode::kServicedOut) continue;
      if (o.code == OutcomeCode::kNotInCluster && options_.delete_unknown_instances) continue;
      acked = false;
    }
    aws::SqsMessage m{.message_id = t.message_id, .receipt_handle = t.receipt_handle};
    if (acked) {
      Delete(t.queue_url, m);
    } else {
      // Redelivered later, the workflow resumes from what ECS and ELB show.
      (void)sqs_.ChangeMessageVisibility(t.queue_url, t.receipt_handle,
                                         Seconds(options_.retry_after));
    }
  }
}

void Consumer::HandBack() {
  std::vector<Tracked> all;
  {
    std::lock_guard lock(mu_);
    all.swap(tracked_);
  }
  for (const Tracked& t : all) {
    bool finished = std::all_of(t.workflows.begin(), t.workflows.end(),
                                [](const auto& h) { return ServiceOut::Poll(h).has_value(); });
    bool acked = finished && std::all_of(t.workflows.begin(), t.workflows.end(), [](const auto& h) {
                   return ServiceOut::Poll(h)->code == OutcomeCode::kServicedOut;
                 });
    if (acked) {
      (void)sqs_.DeleteMessage(t.queue_url, t.receipt_handle);
    } else {
      (void)sqs_.ChangeMessageVisibility(t.queue_url, t.receipt_handle, 0);
    }
  }
}

size_t Consumer::tracked() const {
  std::lock_guard lock(mu_);
  return tracked_.size();
}

void Consumer::Run(std::stop_token stop) {
  std::vector<std::jthread> receivers;
  for (const std::string& url : options_.queue_urls) {
    receivers.emplace_back([this, url, stop] {
      while (!stop.stop_requested()) {
        aws::ReceiveMessageRequest req;
        req.queue_url = url;
        req.max_number_of_messages = 10;
        req.wait_time_seconds = options_.wait_time_seconds;
        req.visibility_timeout = Seconds(options_.visibility_timeout);
        req.attribute_names = {"All"};
        auto got = sqs_.ReceiveMessage(req, stop);
        if (!got.ok()) {
          api_errors_->Inc();
          LogWarn("terminator: receive failed",
                  {{"queue", url}, {"error", got.status().ToString()}});
          clock_.SleepFor(options_.retry_after / 6, stop);
          continue;
        }
        for (const aws::SqsMessage& m : *got) HandleMessage(url, m);
      }
    });
  }
  while (clock_.SleepFor(options_.reconcile_interval, stop)) Reconcile();
  receivers.clear();
  Reconcile();
  HandBack();
}

}  // namespace steady::serviceout
