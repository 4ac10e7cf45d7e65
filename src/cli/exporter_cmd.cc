#include <CLI/CLI.hpp>

#include <cstdio>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/signals.h"
#include "cli/commands.h"
#include "metrics/exporter.h"

namespace steady::cli {

void AddExporterCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "exporter", "Serve per-task, per-container metrics from cgroups for Prometheus");
  struct Flags {
    std::string listen, docker_socket, containers_file, cgroup_root, proc_root;
    std::vector<std::string> exclude_containers, exclude_labels;
    bool no_default_excludes = false, include_non_ecs = false, task_aggregates = false;
    bool label_name = false, label_image = false;
  };
  static Flags f;
  cmd->add_option("--listen", f.listen, "HOST:PORT to serve /metrics on (default 127.0.0.1:9101)");
  cmd->add_option("--docker-socket", f.docker_socket,
                  "Docker Engine API socket (default /var/run/docker.sock)");
  cmd->add_option("--containers-file", f.containers_file,
                  "discover containers from this YAML/JSON file instead of docker");
  cmd->add_option("--cgroup-root", f.cgroup_root, "cgroupfs mount (default /sys/fs/cgroup)");
  cmd->add_option("--proc-root", f.proc_root, "procfs mount (default /proc)");
  cmd->add_option("--exclude-container", f.exclude_containers,
                  "ECS container name to leave out, added to the default sidecar list; a "
                  "trailing * matches a prefix (repeatable)");
  cmd->add_flag("--no-default-excludes", f.no_default_excludes,
                "do not exclude the default sidecars (envoy, fluent-bit, ...)");
  cmd->add_option("--exclude-label", f.exclude_labels,
                  "KEY=VALUE (or KEY): leave out containers with this docker label (repeatable)");
  cmd->add_flag("--include-non-ecs", f.include_non_ecs,
                "also export containers not started by the ECS agent");
  cmd->add_flag("--task-aggregates", f.task_aggregates,
                "add ecs_task_* series summed over each task's containers");
  cmd->add_flag("--label-name", f.label_name, "add the docker container name as label `name`");
  cmd->add_flag("--label-image", f.label_image, "add the image as label `image`");

  cmd->callback([&global] {
    auto config =
        global.config_file.empty() ? Config::Empty() : Config::LoadFile(global.config_file);
    if (!config.ok()) throw CLI::ValidationError("--config", config.status().message());
    ConfigNode sec = config->Section("exporter");
    if (Status s = sec.CheckKeys({"listen", "docker_socket", "containers_file", "cgroup_root",
                                  "proc_root", "exclude_containers", "default_excludes",
                                  "exclude_labels", "include_non_ecs", "task_aggregates",
                                  "label_name", "label_image", "docker_resync_interval"});
        !s.ok())
      throw CLI::ValidationError("--config", s.message());
    auto check = [](auto r) {
      if (!r.ok()) throw CLI::ValidationError("--config", r.status().message());
      return *r;
    };
    auto pick = [&](const std::string& flag, const char* key, const std::string& fallback) {
      return flag.empty() ? check(sec.String(key, fallback)) : flag;
    };
    metrics::ExporterOptions o;
    o.listen = pick(f.listen, "listen", o.listen);
    o.docker_socket = pick(f.docker_socket, "docker_socket", o.docker_socket);
    o.containers_file = pick(f.containers_file, "containers_file", "");
    o.docker_resync_interval = check(sec.Dur("docker_resync_interval", o.docker_resync_interval));
    metrics::ScrapeOptions& so = o.scrape;
    so.cgroup.cgroup_root = pick(f.cgroup_root, "cgroup_root", so.cgroup.cgroup_root);
    so.cgroup.proc_root = pick(f.proc_root, "proc_root", so.cgroup.proc_root);
    if (f.no_default_excludes || !check(sec.Bool("default_excludes", true)))
      so.policy.excluded_names.clear();
    for (const auto& n : check(sec.StringList("exclude_containers")))
      so.policy.excluded_names.push_back(n);
    for (const auto& n : f.exclude_containers) so.policy.excluded_names.push_back(n);
    so.policy.excluded_labels = check(sec.StringList("exclude_labels"));
    for (const auto& l : f.exclude_labels) so.policy.excluded_labels.push_back(l);
    so.policy.include_non_ecs = f.include_non_ecs || check(sec.Bool("include_non_ecs", false));
    so.task_aggregates = f.task_aggregates || check(sec.Bool("task_aggregates", false));
    so.labels.name = f.label_name || check(sec.Bool("label_name", false));
    so.labels.image = f.label_image || check(sec.Bool("label_image", false));

    metrics::Exporter exporter(o, MetricsRegistry::Default(), SystemClock::Get());
    if (Status s = exporter.Start(); !s.ok()) {
      LogError("exporter: cannot start", {{"error", s.ToString()}});
      throw CLI::RuntimeError(1);
    }
    std::printf("steady exporter serving %s/metrics (containers from %s)\n",
                exporter.base_url().c_str(),
                o.containers_file.empty() ? ("docker " + o.docker_socket).c_str()
                                          : o.containers_file.c_str());
    std::fflush(stdout);
    int sig = WaitForTerminationSignal();
    LogInfo("exporter: stopping", {{"signal", sig}});
    exporter.Stop();
  });
}

}  // namespace steady::cli
