#include <CLI/CLI.hpp>

#include <cstdio>

#include "base/log.h"
#include "base/metrics.h"
#include "base/signals.h"
#include "cli/commands.h"
#include "net/http_server.h"

namespace steady::cli {
void AddUpCommand(CLI::App& app, const GlobalOptions& /*global*/) {
  auto* cmd = app.add_subcommand("up", "Start the whole system on the embedded local region");
  static std::string metrics_listen = "127.0.0.1:9464";
  cmd->add_option("--metrics-listen", metrics_listen, "HOST:PORT for steady's own /metrics");
  cmd->callback([] {
    MetricsRegistry& registry = MetricsRegistry::Default();
    auto& up = registry.AddGauge("steady_up", "1 while steady up runs.");
    up.Get().Set(1);
    net::HttpServer metrics({.listen = metrics_listen}, [&](const net::ServerRequest& req) {
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
    if (Status s = metrics.Start(); !s.ok()) {
      LogError("cannot start the metrics endpoint", {{"error", s.ToString()}});
      throw CLI::RuntimeError(1);
    }
    std::printf("steady up: started\n  metrics   %s/metrics\n\nPress Ctrl-C to stop.\n",
                metrics.base_url().c_str());
    std::fflush(stdout);
    int sig = WaitForTerminationSignal();
    LogInfo("stopping", {{"signal", sig}});
    metrics.Stop();
    std::printf("steady up: stopped\n");
  });
}

}  // namespace steady::cli
