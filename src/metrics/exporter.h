// The exporter as a component: a container source, a Scraper and an HTTP server answering
// GET /metrics (Prometheus text 0.0.4, or OpenMetrics 1.0.0 when the Accept header asks for
// application/openmetrics-text) and GET /healthz. `steady exporter` and `steady up` run it.
//
//   metrics::ExporterOptions o;               // listen 127.0.0.1:9101, /sys/fs/cgroup, /proc
//   o.containers_file = "var/exporter/containers.yaml";   // or o.docker_socket
//   metrics::Exporter exporter(o, registry, clock);
//   RETURN_IF_ERROR(exporter.Start());  ...  exporter.Stop();
//
// Thread safety: Start/Stop from one thread; Scrape from any.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"
#include "metrics/container.h"
#include "metrics/docker_source.h"
#include "metrics/exposition.h"
#include "metrics/scraper.h"

namespace steady::metrics {

struct ExporterOptions {
  std::string listen = "127.0.0.1:9101";
  // Discovery: the containers file when set, else docker on this socket.
  std::string containers_file;
  std::string docker_socket = "/var/run/docker.sock";
  Duration docker_resync_interval = std::chrono::seconds(60);
  ScrapeOptions scrape;
};

class Exporter {
 public:
  // `registry` and `clock` must outlive the exporter.
  Exporter(ExporterOptions options, MetricsRegistry& registry, Clock& clock);
  // Uses `source` (owned by the caller, outliving the exporter) instead of building one.
  Exporter(ExporterOptions options, ContainerSource& source, MetricsRegistry& registry,
           Clock& clock);
  ~Exporter();  // stops

  // Starts discovery and the HTTP server. kUnavailable if the address is taken.
  Status Start();
  void Stop();  // idempotent

  // What GET /metrics answers, without HTTP.
  std::string Scrape(Format format = Format::kPrometheusText);

  // "http://127.0.0.1:PORT" once started.
  std::string base_url() const;
  const ExporterOptions& options() const { return options_; }

 private:
  struct Impl;
  ExporterOptions options_;
  std::unique_ptr<Impl> impl_;
};

// A container standing for a local process (e.g. steady itself under `steady up`): ECS-style
// labels (cluster `cluster`, family `family`, revision 1, task id from the pid) so the default
// policy exports it; cgroups from /proc/<pid>/cgroup.
Container ProcessContainer(int pid, const std::string& name, const std::string& cluster = "local",
                           const std::string& family = "steady");

// Writes `containers` as a containers file (YAML; see file_source.h). kUnavailable on I/O error.
Status WriteContainersFile(const std::string& path, const ContainerList& containers);

}  // namespace steady::metrics
