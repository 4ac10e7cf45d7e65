#include <CLI/CLI.hpp>

#include <cstdio>

#include "autoscaler/autoscaler.h"
#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/signals.h"
#include "cli/aws_clients.h"
#include "cli/commands.h"
#include "cli/store.h"

namespace steady::cli {

namespace {

struct AutoscalerFlags {
  std::string cluster, endpoint, metrics_listen, capacity_queue, interval;
  std::vector<std::string> groups;  // asg:NAME:MIN:MAX | fleet:NAME:MIN:MAX
  bool dry_run = false;
};

// "asg:web-od:1:10" → an Auto Scaling group; "fleet:web-spot:0:40" → a Spot Fleet (request id
// or steady:spot-fleet tag value).
Result<autoscaler::GroupConfig> GroupFlag(const std::string& flag) {
  std::vector<std::string> parts;
  for (size_t at = 0;;) {
    size_t colon = flag.find(':', at);
    parts.push_back(flag.substr(at, colon == std::string::npos ? colon : colon - at));
    if (colon == std::string::npos) break;
    at = colon + 1;
  }
  auto bad = [&] {
    return InvalidArgumentError("--group " + flag + ": expected asg|fleet:NAME:MIN:MAX");
  };
  if (parts.size() != 4 || (parts[0] != "asg" && parts[0] != "fleet")) return bad();
  autoscaler::GroupConfig g;
  g.name = parts[1];
  if (parts[0] == "fleet") {
    g.kind = autoscaler::GroupConfig::Kind::kSpotFleet;
    g.purchase = autoscaler::Purchase::kSpot;
  }
  char* end = nullptr;
  g.min = static_cast<int>(std::strtol(parts[2].c_str(), &end, 10));
  if (*end) return bad();
  g.max = static_cast<int>(std::strtol(parts[3].c_str(), &end, 10));
  if (*end || g.min < 0 || g.max < g.min) return bad();
  return g;
}

void Fail(const Status& s) {
  std::fprintf(stderr, "steady: autoscaler: %s\n", s.ToString().c_str());
  throw CLI::RuntimeError(1);
}

void RunAutoscaler(const GlobalOptions& global, const AutoscalerFlags& f) {
  MetricsRegistry& registry = MetricsRegistry::Default();
  auto config = global.config_file.empty() ? Config::Empty() : Config::LoadFile(global.config_file);
  if (!config.ok()) Fail(config.status());
  ConfigNode sec = config->Section("autoscaler");
  autoscaler::AutoscalerOptions o;
  if (Status s = autoscaler::AutoscalerOptionsFromConfig(sec, o); !s.ok())
    throw CLI::ValidationError("autoscaler", s.message());
  if (!f.cluster.empty()) {
    autoscaler::ClusterPolicy p;
    p.cluster = f.cluster;
    for (const std::string& g : f.groups) {
      auto group = GroupFlag(g);
      if (!group.ok()) throw CLI::ValidationError("--group", group.status().message());
      p.groups.push_back(*group);
    }
    if (p.groups.empty()) throw CLI::ValidationError("--cluster", "give its --group too");
    o.clusters = {p};
    o.capacity.clusters = {f.cluster};
  }
  if (o.clusters.empty())
    throw CLI::ValidationError("autoscaler",
                               "no clusters: give --cluster and --group, or autoscaler.clusters");
  if (f.dry_run) o.dry_run = true;
  if (!f.interval.empty()) {
    auto d = ParseDuration(f.interval);
    if (!d.ok() || *d <= Duration::zero())
      throw CLI::ValidationError("--interval", "a positive duration, e.g. 1s");
    o.interval = *d;
  }
  if (!f.capacity_queue.empty()) o.capacity.queue_url = f.capacity_queue;
  auto listen = sec.String("metrics_listen", "127.0.0.1:9467");
  if (!listen.ok()) Fail(listen.status());
  std::string metrics_listen = f.metrics_listen.empty() ? *listen : f.metrics_listen;

  auto clients = OpenAwsClients(SystemClock::Get(), registry, f.endpoint);
  if (!clients.ok()) Fail(clients.status());
  for (std::string* q : {&o.capacity.queue_url, &o.capacity.dead_letter_queue_url}) {
    if (q->empty()) continue;
    auto url = QueueUrl(*clients->sqs, *q);
    if (!url.ok()) Fail(url.status());
    *q = *url;
  }
  auto endpoint = StartMetricsEndpoint(metrics_listen, registry);
  if (!endpoint.ok()) Fail(endpoint.status());
  autoscaler::Autoscaler scaler(o,
                                {*clients->ecs, *clients->ec2, *clients->autoscaling,
                                 *clients->elbv2, clients->sqs.get(), clients->cloudwatch.get()},
                                SystemClock::Get(), registry);
  if (Status s = scaler.Start(); !s.ok()) Fail(s);
  std::printf(
      "steady autoscaler: %zu clusters on %s, every %.1f s%s; metrics on "
      "http://127.0.0.1:%d/metrics\n",
      o.clusters.size(), clients->Describe().c_str(),
      std::chrono::duration<double>(o.interval).count(), o.dry_run ? " (dry run)" : "",
      (*endpoint)->port());
  std::fflush(stdout);
  int sig = WaitForTerminationSignal();
  LogInfo("autoscaler: stopping", {{"signal", sig}});
  scaler.Stop();
}

}  // namespace

void AddAutoscalerCommand(CLI::App& app, const GlobalOptions& global) {
  static AutoscalerFlags f;
  auto* cmd = app.add_subcommand(
      "autoscaler", "Capacity that follows demand: scale ASGs and Spot Fleets out and in");
  cmd->add_option("--cluster", f.cluster, "one ECS cluster to scale (else autoscaler.clusters)");
  cmd->add_option("--group", f.groups,
                  "with --cluster: asg:NAME:MIN:MAX or fleet:NAME:MIN:MAX (repeatable)");
  cmd->add_option("--capacity-queue", f.capacity_queue,
                  "SQS queue of RunTask capacity failures (hako format)");
  cmd->add_option("--interval", f.interval, "evaluation interval (default 1s)");
  cmd->add_flag("--dry-run", f.dry_run, "log decisions without acting");
  cmd->add_option("--endpoint-url", f.endpoint, "send AWS calls here (e.g. a local region)");
  cmd->add_option("--metrics-listen", f.metrics_listen, "HOST:PORT for /metrics");
  cmd->callback([&global] { RunAutoscaler(global, f); });
}

}  // namespace steady::cli
