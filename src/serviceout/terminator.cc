#include "serviceout/terminator.h"

namespace steady::serviceout {

Status TerminatorOptionsFromConfig(const ConfigNode& sec, TerminatorOptions& o) {
  RETURN_IF_ERROR(
      sec.CheckKeys({"clusters", "queues", "dead_letter_queue", "rebalance_clusters",
                     "delete_unknown_instances", "deadline_margin", "soft_deadline",
                     "poll_interval", "task_poll_interval", "visibility_timeout", "scheduled_lead",
                     "stop_concurrency", "webhook", "listen", "metrics_listen", "cache_ttl"}));
  ASSIGN_OR_RETURN(auto clusters, sec.StringList("clusters"));
  if (!clusters.empty()) o.locator.clusters = clusters;
  ASSIGN_OR_RETURN(auto queues, sec.StringList("queues"));
  if (!queues.empty()) o.consumer.queue_urls = queues;
  ASSIGN_OR_RETURN(o.consumer.dead_letter_queue_url,
                   sec.String("dead_letter_queue", o.consumer.dead_letter_queue_url));
  ASSIGN_OR_RETURN(auto rebalance, sec.StringList("rebalance_clusters"));
  o.consumer.rebalance_clusters.insert(rebalance.begin(), rebalance.end());
  ASSIGN_OR_RETURN(o.consumer.delete_unknown_instances,
                   sec.Bool("delete_unknown_instances", o.consumer.delete_unknown_instances));
  ASSIGN_OR_RETURN(o.service_out.deadline_margin,
                   sec.Dur("deadline_margin", o.service_out.deadline_margin));
  ASSIGN_OR_RETURN(o.service_out.soft_deadline,
                   sec.Dur("soft_deadline", o.service_out.soft_deadline));
  ASSIGN_OR_RETURN(o.service_out.poll_interval,
                   sec.Dur("poll_interval", o.service_out.poll_interval));
  ASSIGN_OR_RETURN(o.service_out.task_poll_interval,
                   sec.Dur("task_poll_interval", o.service_out.task_poll_interval));
  ASSIGN_OR_RETURN(o.consumer.visibility_timeout,
                   sec.Dur("visibility_timeout", o.consumer.visibility_timeout));
  ASSIGN_OR_RETURN(o.consumer.scheduled_lead, sec.Dur("scheduled_lead", o.consumer.scheduled_lead));
  ASSIGN_OR_RETURN(o.locator.cache_ttl, sec.Dur("cache_ttl", o.locator.cache_ttl));
  ASSIGN_OR_RETURN(int64_t stops, sec.Int("stop_concurrency", o.service_out.stop_concurrency));
  if (stops < 1 || stops > 100)
    return InvalidArgumentError(sec.Where() + ": stop_concurrency must be 1..100");
  o.service_out.stop_concurrency = static_cast<int>(stops);
  if (sec.Has("webhook")) {
    ConfigNode w = sec.Child("webhook");
    RETURN_IF_ERROR(w.CheckKeys({"url", "start_template", "end_template"}));
    ASSIGN_OR_RETURN(o.webhook.url, w.String("url", o.webhook.url));
    ASSIGN_OR_RETURN(o.webhook.start_template,
                     w.String("start_template", o.webhook.start_template));
    ASSIGN_OR_RETURN(o.webhook.end_template, w.String("end_template", o.webhook.end_template));
  }
  if (o.service_out.poll_interval <= Duration::zero() ||
      o.service_out.task_poll_interval <= Duration::zero())
    return InvalidArgumentError(sec.Where() +
                                ": poll_interval and task_poll_interval must be positive");
  if (o.consumer.visibility_timeout < std::chrono::seconds(10))
    return InvalidArgumentError(sec.Where() + ": visibility_timeout must be at least 10s");
  return Status::Ok();
}

Terminator::Terminator(TerminatorOptions options, ServiceOutClients clients, aws::Sqs& sqs,
                       net::HttpClient& http, Clock& clock, MetricsRegistry& metrics)
    : options_(std::move(options)) {
  locator_ = std::make_unique<InstanceLocator>(options_.locator, clients.ecs, clock, metrics);
  if (!options_.webhook.url.empty())
    webhook_ = std::make_unique<Webhook>(options_.webhook, http, metrics);
  service_out_ = std::make_unique<ServiceOut>(options_.service_out, clients, *locator_, clock,
                                              metrics, webhook_.get());
  consumer_ =
      std::make_unique<Consumer>(options_.consumer, sqs, *service_out_, *locator_, clock, metrics);
}

Terminator::~Terminator() { Stop(); }

void Terminator::Start() {
  thread_ = std::jthread([this](std::stop_token stop) { consumer_->Run(stop); });
}

void Terminator::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();  // the consumer hands unfinished messages back
  }
  service_out_->Stop();
}

}  // namespace steady::serviceout
