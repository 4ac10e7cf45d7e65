#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <thread>

#include <unistd.h>

#include "autoscaler/autoscaler.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/signals.h"
#include "cli/aws_clients.h"
#include "cli/commands.h"
#include "cli/embedded.h"
#include "cli/store.h"
#include "logs/aggregator.h"
#include "logs/forward_client.h"
#include "metrics/exporter.h"
#include "net/http_client_curl.h"
#include "region/ecs_model.h"
#include "region/region.h"
#include "router/router.h"
#include "serviceout/terminator.h"

namespace steady::cli {
namespace {

constexpr char kSampleCluster[] = "steady-sample";

// The sample fleet's tasks, as the stand-in for their containers' output: every RUNNING task of
// the sample cluster logs a line or two a second through the Forward protocol, labelled as the
// ECS agent labels containers, so the aggregator files them by family, container and task.
void SampleLogs(std::stop_token stop, std::string aggregator, aws::Ecs& ecs) {
  logs::ForwardClient client;
  struct Running {
    std::string arn, family, container;
  };
  std::vector<Running> running;
  Time refreshed{};
  uint64_t n = 0;
  Clock& clock = SystemClock::Get();
  while (!stop.stop_requested()) {
    if (clock.Now() - refreshed > std::chrono::seconds(5)) {
      refreshed = clock.Now();
      running.clear();
      aws::ListTasksRequest req;
      req.cluster = kSampleCluster;
      auto page = ecs.ListTasks(req);
      auto tasks = page.ok() && !page->arns.empty()
                       ? ecs.DescribeTasks(kSampleCluster, page->arns)
                       : Result<aws::Described<aws::EcsTask>>(aws::Described<aws::EcsTask>{});
      if (tasks.ok()) {
        for (const aws::EcsTask& t : tasks->items) {
          if (t.last_status != "RUNNING" || t.containers.empty()) continue;
          std::string family = t.group.substr(t.group.find(':') + 1);
          if (t.group.rfind("service:", 0) == 0) {
            // The family is in the task definition ARN: .../task-definition/FAMILY:REV.
            size_t slash = t.task_definition_arn.rfind('/');
            family = t.task_definition_arn.substr(slash + 1,
                                                  t.task_definition_arn.rfind(':') - slash - 1);
          }
          running.push_back({t.task_arn, family, t.containers.front().name});
        }
      }
    }
    if (!running.empty() && !client.connected() && !client.Connect(aggregator).ok()) {
      clock.SleepFor(std::chrono::seconds(1), stop);
      continue;
    }
    for (const Running& r : running) {
      int64_t ns = ToUnixNanos(clock.Now());
      logs::EventTime t{ns / 1000000000, static_cast<uint32_t>(ns % 1000000000)};
      const char* level = n % 20 == 19 ? "ERROR" : n % 10 == 9 ? "WARN" : "INFO";
      std::string line = std::string(level) + " handled request " + std::to_string(n) + " in " +
                         std::to_string(3 + n % 40) + "ms";
      std::string task_id = r.arn.substr(r.arn.rfind('/') + 1);
      std::vector<std::pair<logs::EventTime, std::string>> events;
      events.emplace_back(
          t, logs::PackStringMap({{"log", line},
                                  {"source", "stdout"},
                                  {"container_id", task_id.substr(0, 12)},
                                  {"com.amazonaws.ecs.cluster", kSampleCluster},
                                  {"com.amazonaws.ecs.task-arn", r.arn},
                                  {"com.amazonaws.ecs.task-definition-family", r.family},
                                  {"com.amazonaws.ecs.container-name", r.container}}));
      if (!client.Send("ecs." + r.family, events, /*ack=*/true).ok()) break;
      ++n;
    }
    clock.SleepFor(std::chrono::milliseconds(500), stop);
  }
}

// A trickle of batch jobs: RunTask of the sample's "batch" family every `every`, through the
// region's HTTP API as any client would (until `steady oneshot` takes this role).
// A RunTask every `every`; one that fails for lack of resources is reported to the
// autoscaler's capacity queue in the hako deploy tool's format (as `steady oneshot` will).
void BatchTrickle(std::stop_token stop, aws::Ecs& ecs, aws::Sqs& sqs, std::string capacity_url,
                  Duration every) {
  Clock& clock = SystemClock::Get();
  uint64_t n = 0;
  while (clock.SleepFor(every, stop)) {
    aws::RunTaskRequest req;
    req.cluster = kSampleCluster;
    req.task_definition = "batch";
    req.started_by = "steady-up";
    auto r = ecs.RunTask(req);
    if (!r.ok()) {
      LogWarn("up: batch RunTask failed", {{"error", r.status().ToString()}});
    } else if (!r->failures.empty()) {
      LogInfo("up: batch task not placed", {{"reason", r->failures.front().reason}});
      std::string body = "{\"group_name\":\"batch\",\"cluster\":\"" + std::string(kSampleCluster) +
                         "\",\"cpu\":128,\"memory\":256,\"hako_task_id\":\"steady-up-" +
                         std::to_string(::getpid()) + "-" + std::to_string(++n) + "\"}";
      if (auto sent = sqs.SendMessage({.queue_url = capacity_url, .message_body = body});
          !sent.ok())
        LogWarn("up: capacity message not sent", {{"error", sent.status().ToString()}});
    }
  }
}

}  // namespace

void AddUpCommand(CLI::App& app, const GlobalOptions& /*global*/) {
  auto* cmd = app.add_subcommand("up", "Start the whole system on the embedded local region");
  struct Flags {
    std::string listen = "127.0.0.1:4566";
    std::string metrics_listen = "127.0.0.1:9464";
    std::string var = "var";
    std::string aggregator_listen = "127.0.0.1:24224";
    std::string log_store = "s3://steady-logs";
    std::string exporter_listen = "127.0.0.1:9101";
    double boot_delay = 20;
    double batch_every = 20;
  };
  static Flags f;
  cmd->add_option("--listen", f.listen, "HOST:PORT of the local region");
  cmd->add_option("--metrics-listen", f.metrics_listen, "HOST:PORT for steady's own /metrics");
  cmd->add_option("--aggregator-listen", f.aggregator_listen,
                  "HOST:PORT of the log aggregator (Forward protocol)");
  cmd->add_option("--log-store", f.log_store,
                  "where the aggregator writes: s3://BUCKET[/PREFIX] in the local region, or DIR");
  cmd->add_option("--exporter-listen", f.exporter_listen,
                  "HOST:PORT of the per-container metrics exporter");
  cmd->add_option("--boot-delay", f.boot_delay,
                  "seconds a sample EC2 instance takes to boot (default 20)");
  cmd->add_option("--batch-every", f.batch_every,
                  "seconds between the sample's batch RunTasks (default 20; 0: none)");
  cmd->add_option("--var", f.var, "directory for state and logs (the embedded default ./var)");
  cmd->callback([] {
    MetricsRegistry& registry = MetricsRegistry::Default();
    std::error_code ec;
    std::filesystem::create_directories(f.var, ec);

    region::RegionOptions ro;
    ro.listen = f.listen;
    ro.state_dir = f.var + "/region";
    ro.boot_delay = std::chrono::milliseconds(static_cast<int64_t>(f.boot_delay * 1000));
    auto region = region::Region::Open(ro, SystemClock::Get(), registry);
    if (!region.ok()) {
      LogError("up: cannot open the local region", {{"error", region.status().ToString()}});
      throw CLI::RuntimeError(1);
    }
    if (Status s = (*region)->Start(); !s.ok()) {
      LogError("up: cannot start the local region", {{"error", s.ToString()}});
      throw CLI::RuntimeError(1);
    }
    auto applied = (*region)->ApplySetupYaml(kLocalSetupYaml, "examples/local-setup.yaml");
    if (!applied.ok()) {
      LogError("up: cannot apply the sample setup", {{"error", applied.status().ToString()}});
      throw CLI::RuntimeError(1);
    }
    auto fleet = (*region)->ApplySetupYaml(kFleetSampleYaml, "examples/fleet-sample.yaml");
    if (!fleet.ok()) {
      LogError("up: cannot apply the sample fleet", {{"error", fleet.status().ToString()}});
      throw CLI::RuntimeError(1);
    }
    std::string ep = (*region)->endpoint();
    auto metrics = StartMetricsEndpoint(f.metrics_listen, registry);
    if (!metrics.ok()) {
      LogError("up: cannot start the metrics endpoint", {{"error", metrics.status().ToString()}});
      throw CLI::RuntimeError(1);
    }

    // The log aggregator, writing to the sample setup's bucket in this region.
    auto log_store = OpenStore(f.log_store, SystemClock::Get(), registry, ep);
    if (!log_store.ok()) {
      LogError("up: cannot open the log store", {{"error", log_store.status().ToString()}});
      throw CLI::RuntimeError(1);
    }
    logs::AggregatorOptions ao;
    ao.server.listen = f.aggregator_listen;
    ao.buffer.dir = f.var + "/aggregator";
    ao.shutdown_timeout = std::chrono::seconds(10);
    auto aggregator = logs::Aggregator::Open(ao, *log_store->store, SystemClock::Get(), registry);
    Status agg_started = aggregator.ok() ? (*aggregator)->Start() : aggregator.status();
    if (!agg_started.ok()) {
      LogError("up: cannot start the aggregator", {{"error", agg_started.ToString()}});
      throw CLI::RuntimeError(1);
    }
    // The per-container exporter. Without Docker here, it watches steady's own process as the
    // one container of a local task (file discovery); on a container instance it reads Docker.
    std::filesystem::create_directories(f.var + "/exporter", ec);
    metrics::ExporterOptions eo;
    eo.listen = f.exporter_listen;
    eo.containers_file = f.var + "/exporter/containers.yaml";
    (void)metrics::WriteContainersFile(
        eo.containers_file, {metrics::ProcessContainer(::getpid(), "steady-up", "steady-local")});
    metrics::Exporter exporter(eo, registry, SystemClock::Get());
    if (Status s = exporter.Start(); !s.ok()) {
      LogError("up: cannot start the exporter", {{"error", s.ToString()}});
      throw CLI::RuntimeError(1);
    }
    // The terminator on the sample cluster, through the region's HTTP API like any client.
    auto clients = OpenAwsClients(SystemClock::Get(), registry, ep);
    if (!clients.ok()) {
      LogError("up: cannot open the AWS clients", {{"error", clients.status().ToString()}});
      throw CLI::RuntimeError(1);
    }
    serviceout::TerminatorOptions to;
    to.locator.clusters = {kSampleCluster};
    auto events_url = QueueUrl(*clients->sqs, "steady-terminator-events");
    auto dlq_url = QueueUrl(*clients->sqs, "steady-terminator-dlq");
    if (!events_url.ok() || !dlq_url.ok()) {
      LogError("up: the sample's terminator queues are missing");
      throw CLI::RuntimeError(1);
    }
    to.consumer.queue_urls = {*events_url};
    to.consumer.dead_letter_queue_url = *dlq_url;
    net::CurlHttpClient webhook_http;
    serviceout::Terminator terminator(to,
                                      {*clients->ecs, *clients->elbv2, clients->autoscaling.get()},
                                      *clients->sqs, webhook_http, SystemClock::Get(), registry);
    terminator.Start();
    // The router: re-files the aggregator's objects per task (task-logs/) from the bucket's
    // notifications on router-events (examples/local-setup.yaml). A local DIR store has no
    // notifications: `steady router backfill` files its objects instead.
    std::unique_ptr<router::Router> log_router;
    auto spec = aws::ParseStoreSpec(f.log_store);
    if (spec.ok() && spec->kind == aws::StoreSpec::Kind::kS3) {
      router::RouterOptions rto;
      auto router_url = QueueUrl(*clients->sqs, "router-events");
      auto router_dlq = QueueUrl(*clients->sqs, "router-dlq");
      if (!router_url.ok() || !router_dlq.ok()) {
        LogError("up: the sample's router queues are missing");
        throw CLI::RuntimeError(1);
      }
      rto.queue_url = *router_url;
      rto.dead_letter_queue_url = *router_dlq;
      rto.bucket = spec->bucket;
      rto.store_prefix = spec->prefix;
      log_router = std::make_unique<router::Router>(rto, *log_store->store, clients->sqs.get(),
                                                    SystemClock::Get(), registry);
      if (Status s = log_router->Start(); !s.ok()) {
        LogError("up: cannot start the router", {{"error", s.ToString()}});
        throw CLI::RuntimeError(1);
      }
    }
    // The autoscaler on the sample cluster: the on-demand group and the spot fleet, 1:4.
    autoscaler::AutoscalerOptions aso;
    {
      autoscaler::ClusterPolicy p;
      p.cluster = kSampleCluster;
      p.groups = {{.name = "steady-sample-od", .min = 1, .max = 4},
                  {.name = "steady-sample-spot",
                   .kind = autoscaler::GroupConfig::Kind::kSpotFleet,
                   .purchase = autoscaler::Purchase::kSpot,
                   .min = 2,
                   .max = 16}};
      aso.clusters = {p};
    }
    auto capacity_url = QueueUrl(*clients->sqs, "steady-autoscaler-capacity");
    if (!capacity_url.ok()) {
      LogError("up: the sample's capacity queue is missing");
      throw CLI::RuntimeError(1);
    }
    aso.capacity.queue_url = *capacity_url;
    autoscaler::Autoscaler scaler(aso,
                                  {*clients->ecs, *clients->ec2, *clients->autoscaling,
                                   *clients->elbv2, clients->sqs.get(), clients->cloudwatch.get()},
                                  SystemClock::Get(), registry);
    if (Status s = scaler.Start(); !s.ok()) {
      LogError("up: cannot start the autoscaler", {{"error", s.ToString()}});
      throw CLI::RuntimeError(1);
    }

    std::jthread sample_logs(SampleLogs, "127.0.0.1:" + std::to_string((*aggregator)->port()),
                             std::ref((*region)->ecs()));
    std::jthread trickle;
    if (f.batch_every > 0)
      trickle = std::jthread(BatchTrickle, std::ref(*clients->ecs), std::ref(*clients->sqs),
                             *capacity_url,
                             std::chrono::milliseconds(static_cast<int64_t>(f.batch_every * 1000)));
    std::printf(
        "steady up: started\n"
        "  region    %s  (state in %s/region; sample setup: %s)\n"
        "  metrics   http://127.0.0.1:%d/metrics\n"
        "  logs      Forward protocol on 127.0.0.1:%d -> %s (one gzip object per minute per "
        "service)\n"
        "  exporter  %s/metrics  (per-container metrics)\n"
        "  fleet     cluster %s: %s\n"
        "  terminator  consuming steady-terminator-events (spot warnings, lifecycle actions)\n"
        "  router    %s\n"
        "  autoscaler  steady-sample-od (1..4) + steady-sample-spot (2..16), 1:4; capacity "
        "failures on steady-autoscaler-capacity\n"
        "\nTry it (any credentials work):\n"
        "  export AWS_ACCESS_KEY_ID=steady AWS_SECRET_ACCESS_KEY=steady "
        "AWS_DEFAULT_REGION=us-east-1\n"
        "  aws --endpoint-url %s sqs list-queues\n"
        "  aws --endpoint-url %s sqs create-queue --queue-name demo\n"
        "  aws --endpoint-url %s sqs send-message --queue-url %s/000000000000/demo --message-body "
        "hi\n"
        "  aws --endpoint-url %s sqs receive-message --queue-url %s/000000000000/demo\n"
        "  aws --endpoint-url %s s3 ls --recursive s3://steady-logs/service-logs/  "
        "# after the first minute\n"
        "  steady region status --endpoint %s           # instances, services, traffic\n"
        "  steady region interrupt --endpoint %s i-...  # a spot interruption: watch the "
        "terminator\n"
        "\nPress Ctrl-C to stop.\n",
        ep.c_str(), f.var.c_str(), applied->c_str(), (*metrics)->port(), (*aggregator)->port(),
        log_store->store->Describe().c_str(), exporter.base_url().c_str(), kSampleCluster,
        fleet->c_str(),
        log_router ? "consuming router-events: service-logs/ objects re-filed per task under "
                     "task-logs/"
                   : "off (a DIR log store has no notifications; see steady router backfill)",
        ep.c_str(), ep.c_str(), ep.c_str(), ep.c_str(), ep.c_str(), ep.c_str(), ep.c_str(),
        ep.c_str(), ep.c_str());
    std::fflush(stdout);
    int sig = WaitForTerminationSignal();
    LogInfo("up: stopping", {{"signal", sig}});
    if (trickle.joinable()) {
      trickle.request_stop();
      trickle.join();
    }
    sample_logs.request_stop();
    sample_logs.join();
    scaler.Stop();
    if (log_router) log_router->Stop();
    terminator.Stop();
    exporter.Stop();
    if (Status s = (*aggregator)->Stop(); !s.ok()) {
      LogWarn("up: logs left in the aggregator's buffer", {{"error", s.ToString()}});
    }
    (*region)->Stop();
    std::printf("steady up: stopped\n");
  });
}

}  // namespace steady::cli
