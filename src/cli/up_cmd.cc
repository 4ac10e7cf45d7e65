#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
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
#include "deploy/deployer.h"
#include "deploy/oneshot.h"
#include "deploy/task_board.h"
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

// Writes the sample apps (examples/apps/) to DIR, where `steady deploy|oneshot --definitions
// DIR` find them too.
Status WriteSampleApps(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir + ": " + ec.message());
  for (auto [name, text] : {std::pair{"sample.libsonnet", kSampleAppsLibsonnet},
                            std::pair{"web.jsonnet", kSampleWebJsonnet},
                            std::pair{"batch.jsonnet", kSampleBatchJsonnet}}) {
    std::ofstream out(dir + "/" + name, std::ios::trunc);
    out << text;
    if (!out.flush()) return InternalError("cannot write " + dir + "/" + name);
  }
  return Status::Ok();
}

// The sample web service, rolled out as an operator would: `steady deploy web`. The setup file
// created web:1 as a bare fixture; the definition (fluentd logging to the aggregator, ...) is a
// new revision, so this is a rolling deployment, waited for, rolled back if it fails.
void DeploySampleWeb(std::stop_token stop, aws::Ecs& ecs, aws::Elbv2& elbv2, std::string apps_dir,
                     std::string forward_address) {
  deploy::LoadOptions lo;
  lo.forward_address = forward_address;
  auto def = deploy::LoadDefinition(apps_dir + "/web.jsonnet", lo);
  if (!def.ok()) {
    LogError("up: the sample web definition", {{"error", def.status().ToString()}});
    return;
  }
  deploy::Deployer deployer(ecs, &elbv2, SystemClock::Get(),
                            [](const std::string& line) { LogInfo("up: deploy: " + line); });
  deploy::DeployOptions options;
  options.stop = stop;  // Ctrl-C during the rollout: stop waiting, ECS finishes it
  auto r = deployer.Deploy(*def, options);
  if (!r.ok() && stop.stop_requested())
    LogInfo("up: deploy web: " + r.status().message());
  else if (!r.ok())
    LogError("up: deploy web failed", {{"error", r.status().ToString()}});
  else
    LogInfo("up: deploy web", {{"outcome", deploy::DeployOutcomeName(r->outcome)},
                               {"task_definition", r->task_definition}});
}

// The sample's batch jobs, as a job scheduler would start them: `steady oneshot batch` every
// `every`, each followed to its end on its own thread (as concurrent oneshot processes would)
// through the task-state board fed by task-events; with no room, a capacity message goes to
// steady-sample-capacity, which the autoscaler reads.
void OneshotTrickle(std::stop_token stop, aws::Ecs& ecs, aws::Sns& sns, deploy::TaskBoard& board,
                    std::string apps_dir, std::string forward_address, std::string topic_arn,
                    Duration every) {
  deploy::LoadOptions lo;
  lo.forward_address = forward_address;
  auto def = deploy::LoadDefinition(apps_dir + "/batch.jsonnet", lo);
  if (!def.ok()) {
    LogError("up: the sample batch definition", {{"error", def.status().ToString()}});
    return;
  }
  Clock& clock = SystemClock::Get();
  deploy::Deployer registrar(ecs, nullptr, clock,
                             [](const std::string& line) { LogInfo("up: oneshot: " + line); });
  auto td = registrar.EnsureTaskDefinition(*def);
  if (!td.ok()) {
    LogError("up: the sample batch task definition", {{"error", td.status().ToString()}});
    return;
  }
  struct Run {
    std::jthread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Run> runs;
  uint64_t n = 0;
  while (clock.SleepFor(every, stop)) {
    std::erase_if(runs, [](Run& r) { return r.done->load(); });  // joins the finished
    deploy::OneshotOptions o;
    o.command = {"report", "--since", "1h", "--run", std::to_string(++n)};
    o.capacity_topic_arn = topic_arn;
    o.started_by = "steady-up";
    o.stop_follow_timeout = std::chrono::seconds(10);
    auto done = std::make_shared<std::atomic<bool>>(false);
    runs.push_back(
        {std::jthread([&, o, done](std::stop_token st) {
           deploy::Oneshot one(*def, *td, o, {ecs, &sns, &board}, clock,
                               MetricsRegistry::Default());
           auto started = one.Start(st);
           if (!started.ok()) {
             LogInfo("up: oneshot not started", {{"error", started.status().ToString()}});
           } else if (auto r = one.Wait(st); !r.ok()) {
             LogWarn("up: oneshot", {{"error", r.status().ToString()}});
           } else {
             LogInfo("up: oneshot ended", {{"task", started->task_arn},
                                           {"exit_code", r->exit_code},
                                           {"ecs_calls", r->ecs_calls}});
           }
           *done = true;
         }),
         done});
  }
  // Stop requested: every run stops its task and follows it briefly, all at once.
  for (Run& r : runs) r.thread.request_stop();
  runs.clear();
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
    // The sample apps, deployed and run as an operator would: steady deploy and steady oneshot.
    const std::string apps_dir = f.var + "/apps";
    const std::string forward = "127.0.0.1:" + std::to_string((*aggregator)->port());
    if (Status s = WriteSampleApps(apps_dir); !s.ok()) {
      LogError("up: cannot write the sample apps", {{"error", s.ToString()}});
      throw CLI::RuntimeError(1);
    }
    std::jthread deploy_web(DeploySampleWeb, std::ref(*clients->ecs), std::ref(*clients->elbv2),
                            apps_dir, forward);
    auto task_events = QueueUrl(*clients->sqs, "task-events");
    auto capacity_topic = TopicArn(*clients->sns, "steady-sample-capacity");
    if (!task_events.ok() || !capacity_topic.ok()) {
      LogError("up: the sample's task-events queue or capacity topic is missing");
      throw CLI::RuntimeError(1);
    }
    deploy::TaskBoardOptions board_options;
    board_options.queue_url = *task_events;
    deploy::TaskBoard board(*clients->sqs, *log_store->store, board_options, registry);
    std::jthread trickle;
    if (f.batch_every > 0)
      trickle = std::jthread(OneshotTrickle, std::ref(*clients->ecs), std::ref(*clients->sns),
                             std::ref(board), apps_dir, forward, *capacity_topic,
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
        "  apps      web: steady deploy %s/web.jsonnet; batch: steady oneshot %s/batch.jsonnet "
        "every %g s\n"
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
        "  steady status web --definitions %s --endpoint-url %s\n"
        "  steady oneshot batch --definitions %s --endpoint-url %s --events-queue task-events "
        "--board s3://steady-logs --log-store s3://steady-logs -- report --since 1h\n"
        "\nPress Ctrl-C to stop.\n",
        ep.c_str(), f.var.c_str(), applied->c_str(), (*metrics)->port(), (*aggregator)->port(),
        log_store->store->Describe().c_str(), exporter.base_url().c_str(), kSampleCluster,
        fleet->c_str(),
        log_router ? "consuming router-events: service-logs/ objects re-filed per task under "
                     "task-logs/"
                   : "off (a DIR log store has no notifications; see steady router backfill)",
        apps_dir.c_str(), apps_dir.c_str(), f.batch_every, ep.c_str(), ep.c_str(), ep.c_str(),
        ep.c_str(), ep.c_str(), ep.c_str(), ep.c_str(), ep.c_str(), ep.c_str(), apps_dir.c_str(),
        ep.c_str(), apps_dir.c_str(), ep.c_str());
    std::fflush(stdout);
    int sig = WaitForTerminationSignal();
    LogInfo("up: stopping", {{"signal", sig}});
    // Every sample thread is told at once, then each is waited for.
    deploy_web.request_stop();
    trickle.request_stop();
    sample_logs.request_stop();
    if (deploy_web.joinable()) deploy_web.join();
    if (trickle.joinable()) trickle.join();
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
