#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include "base/log.h"
#include "base/metrics.h"
#include "base/signals.h"
#include "cli/commands.h"
#include "cli/embedded.h"
#include "net/http_server.h"
#include "region/region.h"

namespace steady::cli {
namespace {

// Serves /metrics and /healthz for a registry (steady's own metrics while `up` runs).
std::unique_ptr<net::HttpServer> MetricsServer(const std::string& listen,
                                               MetricsRegistry& registry) {
  return std::make_unique<net::HttpServer>(
      net::HttpServerOptions{.listen = listen}, [&registry](const net::ServerRequest& req) {
        net::HttpResponse resp;
        if (req.path == "/metrics") {
          resp.status = 200;
          resp.headers.Set("Content-Type", "text/plain; version=0.0.4");
          resp.body = registry.Render();
        } else if (req.path == "/healthz") {
          resp.status = 200;
          resp.body = "ok\n";
        } else {
          resp.status = 404;
          resp.body = "not found\n";
        }
        return resp;
      });
}

}  // namespace

void AddUpCommand(CLI::App& app, const GlobalOptions& /*global*/) {
  auto* cmd = app.add_subcommand("up", "Start the whole system on the embedded local region");
  struct Flags {
    std::string listen = "127.0.0.1:4566";
    std::string metrics_listen = "127.0.0.1:9464";
    std::string var = "var";
  };
  static Flags f;
  cmd->add_option("--listen", f.listen, "HOST:PORT of the local region");
  cmd->add_option("--metrics-listen", f.metrics_listen, "HOST:PORT for steady's own /metrics");
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
    auto metrics = MetricsServer(f.metrics_listen, registry);
    if (Status s = metrics->Start(); !s.ok()) {
      LogError("up: cannot start the metrics endpoint", {{"error", s.ToString()}});
      throw CLI::RuntimeError(1);
    }
    std::string ep = (*region)->endpoint();
    std::printf(
        "steady up: started\n"
        "  region    %s  (state in %s/region; sample setup: %s)\n"
        "  metrics   %s/metrics\n"
        "\nTry it (any credentials work):\n"
        "  export AWS_ACCESS_KEY_ID=steady AWS_SECRET_ACCESS_KEY=steady "
        "AWS_DEFAULT_REGION=us-east-1\n"
        "  aws --endpoint-url %s sqs list-queues\n"
        "  aws --endpoint-url %s sqs create-queue --queue-name demo\n"
        "  aws --endpoint-url %s sqs send-message --queue-url %s/000000000000/demo --message-body "
        "hi\n"
        "  aws --endpoint-url %s sqs receive-message --queue-url %s/000000000000/demo\n"
        "\nPress Ctrl-C to stop.\n",
        ep.c_str(), f.var.c_str(), applied->c_str(), metrics->base_url().c_str(), ep.c_str(),
        ep.c_str(), ep.c_str(), ep.c_str(), ep.c_str(), ep.c_str());
    std::fflush(stdout);
    int sig = WaitForTerminationSignal();
    LogInfo("up: stopping", {{"signal", sig}});
    metrics->Stop();
    (*region)->Stop();
    std::printf("steady up: stopped\n");
  });
}

}  // namespace steady::cli
