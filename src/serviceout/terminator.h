// `steady terminator`, assembled: the instance locator, the service-out engine, the queue
// consumer and the optional webhook, over the service interfaces (HTTP clients against AWS or
// a local region; the region's models in-process in tests and simulations).
#pragma once

#include <memory>
#include <stop_token>
#include <thread>

#include "aws/sqs.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/metrics.h"
#include "net/http.h"
#include "serviceout/consumer.h"
#include "serviceout/locator.h"
#include "serviceout/service_out.h"
#include "serviceout/webhook.h"

namespace steady::serviceout {

struct TerminatorOptions {
  InstanceLocator::Options locator;
  ServiceOutOptions service_out;
  ConsumerOptions consumer;  // queue_urls: URLs (names are resolved by the caller)
  WebhookOptions webhook;
};

// Reads the `terminator:` section of steady.yaml into `o` (keys as in docs/terminator.md):
// clusters, queues, dead_letter_queue, rebalance_clusters, delete_unknown_instances,
// deadline_margin, soft_deadline, poll_interval, visibility_timeout, scheduled_lead,
// stop_concurrency, webhook {url, start_template, end_template}. Queue names are left in
// o.consumer.queue_urls / dead_letter_queue_url as written (names or URLs).
Status TerminatorOptionsFromConfig(const ConfigNode& section, TerminatorOptions& o);

class Terminator {
 public:
  Terminator(TerminatorOptions options, ServiceOutClients clients, aws::Sqs& sqs,
             net::HttpClient& http, Clock& clock, MetricsRegistry& metrics);
  ~Terminator();  // Stop()s

  // Starts consuming the queues.
  void Start();
  // Stops taking messages, hands unfinished ones back to their queues, cancels workflows.
  void Stop();

  ServiceOut& service_out() { return *service_out_; }
  Consumer& consumer() { return *consumer_; }
  InstanceLocator& locator() { return *locator_; }

 private:
  TerminatorOptions options_;
  std::unique_ptr<InstanceLocator> locator_;
  std::unique_ptr<Webhook> webhook_;
  std::unique_ptr<ServiceOut> service_out_;
  std::unique_ptr<Consumer> consumer_;
  std::jthread thread_;
};

}  // namespace steady::serviceout
