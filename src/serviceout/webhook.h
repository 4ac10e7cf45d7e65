// Posts a Slack-compatible JSON message when a service-out starts and when it ends.
//
// The body is a template with placeholders, each replaced by its value escaped for a JSON
// string: {phase} (started|finished), {instance}, {cluster}, {trigger}, {detail}, {outcome},
// {tasks} (count), {service_tasks}, {batch_tasks}, {seconds}, {deadline_missed}, {error}.
// The default template is {"text": "..."}, which Slack, Mattermost and most chat webhooks take.
//
// Posts go through a small queue on their own thread: a slow or dead webhook never delays a
// workflow. Failures are counted and logged; the queue is bounded (oldest dropped, counted).
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "base/metrics.h"
#include "net/http.h"
#include "serviceout/service_out.h"

namespace steady::serviceout {

struct WebhookOptions {
  std::string url;  // empty: no webhook
  std::string start_template =
      R"({"text": ":construction: steady terminator: servicing out {instance} ({cluster}): {detail}"})";
  std::string end_template =
      R"({"text": "steady terminator: {instance} ({cluster}) {outcome} in {seconds} s: {tasks} tasks ({service_tasks} service, {batch_tasks} batch stopped), deadline missed: {deadline_missed} {error}"})";
  size_t max_queue = 1000;
};

// Replaces {name} with JSON-escaped values[name]; unknown placeholders stay as written.
std::string RenderTemplate(const std::string& tmpl,
                           const std::map<std::string, std::string>& values);

class Webhook final : public ServiceOutObserver {
 public:
  Webhook(WebhookOptions options, net::HttpClient& http, MetricsRegistry& metrics);
  ~Webhook() override;  // sends what is queued (each post once), then stops

  void Started(const ServiceOutRequest& request, const Location& where) override;
  void Finished(const Outcome& outcome) override;

 private:
  void Post(std::string body);
  void Loop(std::stop_token stop);

  WebhookOptions options_;
  net::HttpClient& http_;
  MetricFamily<Counter>& posts_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::string> queue_;
  std::jthread worker_;
};

}  // namespace steady::serviceout
