#include "metrics/exporter.h"

#include <filesystem>
#include <fstream>

#include "metrics/ecs_labels.h"
#include "metrics/file_source.h"
#include "net/http_server.h"

namespace steady::metrics {
namespace {

// YAML double-quoted scalar (JSON string escaping is valid YAML).
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

struct Exporter::Impl {
  std::unique_ptr<ContainerSource> owned_source;
  DockerSource* docker = nullptr;  // owned_source, when it is docker
  ContainerSource* source = nullptr;
  std::unique_ptr<Scraper> scraper;
  std::unique_ptr<net::HttpServer> server;
  bool started = false;
};

Exporter::Exporter(ExporterOptions options, MetricsRegistry& registry, Clock& clock)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  if (!options_.containers_file.empty()) {
    impl_->owned_source = std::make_unique<FileSource>(options_.containers_file);
  } else {
    auto docker = std::make_unique<DockerSource>(
        DockerSourceOptions{.socket = options_.docker_socket,
                            .resync_interval = options_.docker_resync_interval},
        clock);
    impl_->docker = docker.get();
    impl_->owned_source = std::move(docker);
  }
  impl_->source = impl_->owned_source.get();
  impl_->scraper = std::make_unique<Scraper>(options_.scrape, *impl_->source, registry, clock);
}

Exporter::Exporter(ExporterOptions options, ContainerSource& source, MetricsRegistry& registry,
                   Clock& clock)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  impl_->source = &source;
  impl_->scraper = std::make_unique<Scraper>(options_.scrape, source, registry, clock);
}

Exporter::~Exporter() { Stop(); }

Status Exporter::Start() {
  Scraper* scraper = impl_->scraper.get();
  impl_->server = std::make_unique<net::HttpServer>(
      net::HttpServerOptions{.listen = options_.listen, .server_header = "steady-exporter"},
      [scraper](const net::ServerRequest& req) {
        net::HttpResponse resp;
        if (req.method != "GET" && req.method != "HEAD") {
          resp.status = 405;
          resp.body = "method not allowed\n";
        } else if (req.path == "/metrics") {
          Format format = FormatFromAccept(req.headers.Get("Accept"));
          resp.status = 200;
          resp.headers.Set("Content-Type", ContentType(format));
          scraper->Scrape(format, resp.body);
        } else if (req.path == "/healthz") {
          resp.status = 200;
          resp.body = "ok\n";
        } else if (req.path == "/") {
          resp.status = 200;
          resp.headers.Set("Content-Type", "text/html");
          resp.body =
              "<html><head><title>steady exporter</title></head><body><h1>steady "
              "exporter</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
        } else {
          resp.status = 404;
          resp.body = "not found\n";
        }
        return resp;
      });
  if (Status s = impl_->server->Start(); !s.ok()) {
    impl_->server.reset();
    return s.WithContext("exporter listen " + options_.listen);
  }
  if (impl_->docker) impl_->docker->Start();
  impl_->started = true;
  return Status::Ok();
}

void Exporter::Stop() {
  if (!impl_->started) return;
  impl_->started = false;
  impl_->server->Stop();
  if (impl_->docker) impl_->docker->Stop();
}

std::string Exporter::Scrape(Format format) { return impl_->scraper->Scrape(format); }

std::string Exporter::base_url() const {
  return impl_->server ? impl_->server->base_url() : std::string();
}

Container ProcessContainer(int pid, const std::string& name, const std::string& cluster,
                           const std::string& family) {
  Container c;
  c.id = "pid-" + std::to_string(pid);
  c.name = name;
  c.image = "steady";
  c.pid = pid;
  std::string task_id = "local-" + std::to_string(pid);
  c.labels[std::string(kEcsClusterLabel)] = cluster;
  c.labels[std::string(kEcsTaskArnLabel)] =
      "arn:aws:ecs:us-east-1:000000000000:task/" + cluster + "/" + task_id;
  c.labels[std::string(kEcsFamilyLabel)] = family;
  c.labels[std::string(kEcsRevisionLabel)] = "1";
  c.labels[std::string(kEcsContainerLabel)] = name;
  return c;
}

Status WriteContainersFile(const std::string& path, const ContainerList& containers) {
  std::string out = "# Containers for `steady exporter --containers-file` (see docs/exporter.md)\n";
  out += containers.empty() ? "containers: []\n" : "containers:\n";
  for (const Container& c : containers) {
    out += "  - id: " + Quote(c.id) + "\n";
    if (!c.name.empty()) out += "    name: " + Quote(c.name) + "\n";
    if (!c.image.empty()) out += "    image: " + Quote(c.image) + "\n";
    if (c.pid > 0) out += "    pid: " + std::to_string(c.pid) + "\n";
    if (!c.cgroup_parent.empty()) out += "    cgroup_parent: " + Quote(c.cgroup_parent) + "\n";
    const CgroupPaths& p = c.cgroup;
    if (!p.empty()) {
      out += "    cgroup_v1: {cpu: " + Quote(p.cpu) + ", cpuacct: " + Quote(p.cpuacct) +
             ", memory: " + Quote(p.memory) + ", blkio: " + Quote(p.blkio) +
             ", pids: " + Quote(p.pids) + "}\n";
      if (!p.unified.empty()) out += "    cgroup: " + Quote(p.unified) + "\n";
    }
    if (!c.labels.empty()) {
      out += "    labels:\n";
      for (const auto& [k, v] : c.labels) out += "      " + Quote(k) + ": " + Quote(v) + "\n";
    }
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << out;
    if (!f) return UnavailableError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return UnavailableError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace steady::metrics
