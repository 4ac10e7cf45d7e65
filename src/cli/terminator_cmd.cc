#include <CLI/CLI.hpp>

#include <cstdio>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/signals.h"
#include "base/time_format.h"
#include "cli/aws_clients.h"
#include "cli/commands.h"
#include "cli/store.h"
#include "net/http_client_curl.h"
#include "serviceout/terminator.h"

namespace steady::cli {

namespace {

struct TerminatorFlags {
  std::vector<std::string> clusters, queues, rebalance;
  std::string dead_letter, webhook, metrics_listen, endpoint;
  // drain
  std::vector<std::string> instances;
  bool wait = false;
  std::string reason, timeout = "15m";
};

Result<serviceout::TerminatorOptions> Options(const GlobalOptions& global, const TerminatorFlags& f,
                                              std::string* metrics_listen) {
  auto config = global.config_file.empty() ? Config::Empty() : Config::LoadFile(global.config_file);
  if (!config.ok()) return config.status();
  ConfigNode sec = config->Section("terminator");
  serviceout::TerminatorOptions o;
  RETURN_IF_ERROR(serviceout::TerminatorOptionsFromConfig(sec, o));
  if (!f.clusters.empty()) o.locator.clusters = f.clusters;
  if (!f.queues.empty()) o.consumer.queue_urls = f.queues;
  if (!f.dead_letter.empty()) o.consumer.dead_letter_queue_url = f.dead_letter;
  o.consumer.rebalance_clusters.insert(f.rebalance.begin(), f.rebalance.end());
  if (!f.webhook.empty()) o.webhook.url = f.webhook;
  if (metrics_listen) {
    ASSIGN_OR_RETURN(*metrics_listen, sec.String("metrics_listen", "127.0.0.1:9466"));
    if (!f.metrics_listen.empty()) *metrics_listen = f.metrics_listen;
  }
  if (o.locator.clusters.empty())
    return InvalidArgumentError("no clusters to watch: give --cluster or terminator.clusters");
  return o;
}

void Fail(const char* what, const Status& s) {
  std::fprintf(stderr, "steady: %s: %s\n", what, s.ToString().c_str());
  throw CLI::RuntimeError(1);
}

void RunTerminator(const GlobalOptions& global, const TerminatorFlags& f) {
  MetricsRegistry& registry = MetricsRegistry::Default();
  std::string metrics_listen;
  auto o = Options(global, f, &metrics_listen);
  if (!o.ok()) throw CLI::ValidationError("terminator", o.status().message());
  if (o->consumer.queue_urls.empty())
    throw CLI::ValidationError("terminator", "no queues: give --queue or terminator.queues");
  auto clients = OpenAwsClients(SystemClock::Get(), registry, f.endpoint);
  if (!clients.ok()) Fail("terminator", clients.status());
  for (std::string& q : o->consumer.queue_urls) {
    auto url = QueueUrl(*clients->sqs, q);
    if (!url.ok()) Fail("terminator", url.status());
    q = *url;
  }
  if (!o->consumer.dead_letter_queue_url.empty()) {
    auto url = QueueUrl(*clients->sqs, o->consumer.dead_letter_queue_url);
    if (!url.ok()) Fail("terminator", url.status());
    o->consumer.dead_letter_queue_url = *url;
  }
  auto endpoint = StartMetricsEndpoint(metrics_listen, registry);
  if (!endpoint.ok()) Fail("terminator: metrics endpoint", endpoint.status());
  net::CurlHttpClient http;
  serviceout::Terminator terminator(*o,
                                    {*clients->ecs, *clients->elbv2, clients->autoscaling.get()},
                                    *clients->sqs, http, SystemClock::Get(), registry);
  terminator.Start();
  std::printf(
      "steady terminator: watching %zu clusters through %zu queues on %s; metrics on "
      "http://127.0.0.1:%d/metrics\n",
      o->locator.clusters.size(), o->consumer.queue_urls.size(), clients->Describe().c_str(),
      (*endpoint)->port());
  std::fflush(stdout);
  int sig = WaitForTerminationSignal();
  LogInfo("terminator: stopping; unfinished messages go back to their queues", {{"signal", sig}});
  terminator.Stop();
}

// Without --wait: queue a manual request for the running daemon. With --wait: run the
// workflow here and report each instance's outcome (exit 1 unless all were serviced out).
void RunDrain(const GlobalOptions& global, const TerminatorFlags& f) {
  MetricsRegistry& registry = MetricsRegistry::Default();
  auto o = Options(global, f, nullptr);
  if (!o.ok()) throw CLI::ValidationError("drain", o.status().message());
  auto clients = OpenAwsClients(SystemClock::Get(), registry, f.endpoint);
  if (!clients.ok()) Fail("drain", clients.status());
  if (!f.wait) {
    if (o->consumer.queue_urls.empty())
      throw CLI::ValidationError("drain", "no terminator queue to send to (or use --wait)");
    auto url = QueueUrl(*clients->sqs, o->consumer.queue_urls.front());
    if (!url.ok()) Fail("drain", url.status());
    for (const std::string& id : f.instances) {
      auto sent = clients->sqs->SendMessage(
          {.queue_url = *url,
           .message_body = serviceout::ManualRequestBody(id, f.reason, SystemClock::Get().Now())});
      if (!sent.ok()) Fail("drain", sent.status());
      std::printf("%s: queued for the terminator (message %s)\n", id.c_str(),
                  sent->message_id.c_str());
    }
    return;
  }
  auto timeout = ParseDuration(f.timeout);
  if (!timeout.ok()) throw CLI::ValidationError("--timeout", timeout.status().message());
  o->service_out.soft_deadline = *timeout;
  serviceout::InstanceLocator locator(o->locator, *clients->ecs, SystemClock::Get(), registry);
  serviceout::ServiceOut so(o->service_out,
                            {*clients->ecs, *clients->elbv2, clients->autoscaling.get()}, locator,
                            SystemClock::Get(), registry);
  std::vector<std::shared_ptr<serviceout::ServiceOut::Handle>> handles;
  for (const std::string& id : f.instances) {
    handles.push_back(
        so.Submit({.trigger = serviceout::Trigger::kManual,
                   .instance_id = id,
                   .event_time = SystemClock::Get().Now(),
                   .detail = f.reason.empty() ? "manual drain" : "manual drain: " + f.reason}));
  }
  // Ctrl-C stops waiting; the watcher blocks in sigwait for the life of the process.
  static std::stop_source stop;
  std::thread([] {
    WaitForTerminationSignal();
    stop.request_stop();
  }).detach();
  int failures = 0;
  for (const auto& h : handles) {
    auto out = serviceout::ServiceOut::Wait(h, stop.get_token());
    if (!out) {
      std::fprintf(stderr, "interrupted; the instances stay DRAINING\n");
      so.Stop();
      throw CLI::RuntimeError(130);
    }
    std::printf(
        "%s: %s in %.0f s (%zu tasks: %d service, %d batch stopped; %d targets "
        "deregistered)%s%s\n",
        out->instance_id.c_str(), serviceout::OutcomeName(out->code),
        ToUnixSeconds(out->finished) - ToUnixSeconds(out->started), out->tasks.size(),
        out->service_tasks_stopped, out->batch_tasks_stopped, out->targets_deregistered,
        out->error.empty() ? "" : ": ", out->error.c_str());
    if (out->code != serviceout::OutcomeCode::kServicedOut) ++failures;
  }
  if (failures) throw CLI::RuntimeError(1);
}

}  // namespace

void AddTerminatorCommand(CLI::App& app, const GlobalOptions& global) {
  static TerminatorFlags f;
  auto common = [](CLI::App* cmd) {
    cmd->add_option("--cluster", f.clusters, "ECS cluster to watch (repeatable)");
    cmd->add_option("--queue", f.queues, "SQS queue name or URL to consume (repeatable)");
    cmd->add_option("--endpoint-url", f.endpoint, "send AWS calls here (e.g. a local region)");
  };
  auto* cmd = app.add_subcommand(
      "terminator",
      "Service-out daemon: take instances out of ECS before spot or Auto Scaling removes them");
  common(cmd);
  cmd->add_option("--dead-letter-queue", f.dead_letter, "queue for messages not understood");
  cmd->add_option("--rebalance-cluster", f.rebalance,
                  "act on rebalance recommendations in this cluster (repeatable; * for all)");
  cmd->add_option("--webhook", f.webhook, "Slack-compatible webhook URL");
  cmd->add_option("--metrics-listen", f.metrics_listen, "HOST:PORT for /metrics");
  cmd->callback([&global] { RunTerminator(global, f); });

  auto* drain = app.add_subcommand(
      "drain", "Service out instances by hand (queued for the terminator, or here with --wait)");
  common(drain);
  drain->add_option("instances", f.instances, "EC2 instance ids")->required();
  drain->add_flag("--wait", f.wait, "run the workflow here and wait for it");
  drain->add_option("--reason", f.reason, "why (in logs, task stop reasons and the webhook)");
  drain->add_option("--timeout", f.timeout, "with --wait: the deadline (default 15m)");
  drain->callback([&global] { RunDrain(global, f); });
}

}  // namespace steady::cli
