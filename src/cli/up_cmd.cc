#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <thread>

#include <unistd.h>

#include "base/log.h"
#include "base/metrics.h"
#include "base/signals.h"
#include "cli/commands.h"
#include "cli/embedded.h"
#include "cli/store.h"
#include "logs/aggregator.h"
#include "logs/forward_client.h"
#include "metrics/exporter.h"
#include "region/region.h"

namespace steady::cli {
namespace {

// The sample workload's logs until the region runs ECS tasks: two services whose containers log
// a few lines a second through the Forward protocol, labelled as the ECS agent labels them.
void SampleLogs(std::stop_token stop, std::string aggregator) {
  logs::ForwardClient client;
  struct Sample {
    const char* family;
    const char* container;
    const char* task;
  };
  const Sample samples[] = {{"web", "app", "0b8f0d6d7c2a4c55a1c1e1f3e9d0a001"},
                            {"web", "app", "0b8f0d6d7c2a4c55a1c1e1f3e9d0a002"},
                            {"batch-report", "job", "5e1d3f7a9b2c4d6e8f0a1b2c3d4e5f60"}};
  uint64_t n = 0;
  Clock& clock = SystemClock::Get();
  while (!stop.stop_requested()) {
    if (!client.connected() && !client.Connect(aggregator).ok()) {
      clock.SleepFor(std::chrono::seconds(1), stop);
      continue;
    }
    for (const Sample& smp : samples) {
      std::string arn =
          std::string("arn:aws:ecs:us-east-1:000000000000:task/steady-local/") + smp.task;
      Time now = clock.Now();
      int64_t ns = ToUnixNanos(now);
      logs::EventTime t{ns / 1000000000, static_cast<uint32_t>(ns % 1000000000)};
      std::string line = std::string(n % 10 == 9 ? "WARN" : "INFO") + " handled request " +
                         std::to_string(n) + " in " + std::to_string(3 + n % 40) + "ms";
      std::vector<std::pair<logs::EventTime, std::string>> events;
      events.emplace_back(
          t, logs::PackStringMap({{"log", line},
                                  {"source", "stdout"},
                                  {"container_id", std::string(smp.task).substr(0, 12)},
                                  {"com.amazonaws.ecs.cluster", "steady-local"},
                                  {"com.amazonaws.ecs.task-arn", arn},
                                  {"com.amazonaws.ecs.task-definition-family", smp.family},
                                  {"com.amazonaws.ecs.container-name", smp.container}}));
      if (!client.Send(std::string("ecs.") + smp.family, events, /*ack=*/true).ok()) break;
      ++n;
    }
    clock.SleepFor(std::chrono::milliseconds(500), stop);
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
  cmd->add_option("--var", f.var, "directory for state and logs (the embedded default ./var)");
  cmd->callback([] {
    MetricsRegistry& registry = MetricsRegistry::Default();
    std::error_code ec;
    std::filesystem::create_directories(f.var, ec);

    region::RegionOptions ro;
    ro.listen = f.listen;
    ro.state_dir = f.var + "/region";
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
    std::jthread sample_logs(SampleLogs, "127.0.0.1:" + std::to_string((*aggregator)->port()));
    std::printf(
        "steady up: started\n"
        "  region    %s  (state in %s/region; sample setup: %s)\n"
        "  metrics   http://127.0.0.1:%d/metrics\n"
        "  logs      Forward protocol on 127.0.0.1:%d -> %s (one gzip object per minute per "
        "service)\n"
        "  exporter  %s/metrics  (per-container metrics)\n"
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
        "\nPress Ctrl-C to stop.\n",
        ep.c_str(), f.var.c_str(), applied->c_str(), (*metrics)->port(), (*aggregator)->port(),
        log_store->store->Describe().c_str(), exporter.base_url().c_str(), ep.c_str(), ep.c_str(),
        ep.c_str(), ep.c_str(), ep.c_str(), ep.c_str(), ep.c_str());
    std::fflush(stdout);
    int sig = WaitForTerminationSignal();
    LogInfo("up: stopping", {{"signal", sig}});
    sample_logs.request_stop();
    sample_logs.join();
    exporter.Stop();
    if (Status s = (*aggregator)->Stop(); !s.ok()) {
      LogWarn("up: logs left in the aggregator's buffer", {{"error", s.ToString()}});
    }
    (*region)->Stop();
    std::printf("steady up: stopped\n");
  });
}

}  // namespace steady::cli
