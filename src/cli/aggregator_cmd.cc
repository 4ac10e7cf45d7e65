#include <CLI/CLI.hpp>

#include <cstdio>
#include <thread>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/signals.h"
#include "cli/commands.h"
#include "cli/store.h"
#include "logs/aggregator.h"

namespace steady::cli {

namespace {

struct AggregatorFlags {
  std::string listen, metrics_listen, store, buffer_dir, key_prefix, grace, max_buffer, codec,
      shared_key, tls_cert, tls_key, fallback_family, self_hostname, shutdown_timeout,
      multipart_threshold;
  std::vector<std::string> users;
  int threads = 0, upload_workers = 0;
};

// Flags win over the config file's `aggregator:` section, which wins over the defaults.
Result<logs::AggregatorOptions> BuildOptions(const AggregatorFlags& f, const ConfigNode& sec,
                                             std::string* store, std::string* metrics_listen) {
  RETURN_IF_ERROR(sec.CheckKeys({"listen", "metrics_listen", "store", "buffer_dir", "key_prefix",
                                 "grace", "max_buffer", "codec", "threads", "shared_key", "users",
                                 "tls_cert", "tls_key", "fallback_family", "self_hostname",
                                 "upload_workers", "multipart_threshold", "shutdown_timeout"}));
  auto pick = [&](const std::string& flag, const char* key,
                  const std::string& fallback) -> Result<std::string> {
    if (!flag.empty()) return flag;
    return sec.String(key, fallback);
  };
  logs::AggregatorOptions o;
  ASSIGN_OR_RETURN(o.server.listen, pick(f.listen, "listen", "127.0.0.1:24224"));
  ASSIGN_OR_RETURN(*metrics_listen, pick(f.metrics_listen, "metrics_listen", "127.0.0.1:9465"));
  ASSIGN_OR_RETURN(*store, pick(f.store, "store", "var/logs"));
  ASSIGN_OR_RETURN(o.buffer.dir, pick(f.buffer_dir, "buffer_dir", "var/aggregator"));
  ASSIGN_OR_RETURN(o.buffer.key_prefix, pick(f.key_prefix, "key_prefix", "service-logs"));
  ASSIGN_OR_RETURN(std::string grace, pick(f.grace, "grace", "10s"));
  ASSIGN_OR_RETURN(o.buffer.grace, ParseDuration(grace));
  ASSIGN_OR_RETURN(std::string max_buffer, pick(f.max_buffer, "max_buffer", "1GiB"));
  ASSIGN_OR_RETURN(int64_t max_buffer_bytes, ParseBytes(max_buffer));
  o.buffer.max_buffer_bytes = static_cast<uint64_t>(max_buffer_bytes);
  ASSIGN_OR_RETURN(std::string codec, pick(f.codec, "codec", "isal"));
  ASSIGN_OR_RETURN(o.codec, logs::ParseGzipCodec(codec));
  ASSIGN_OR_RETURN(int64_t threads, sec.Int("threads", 0));
  o.server.threads = f.threads > 0 ? f.threads : static_cast<int>(threads);
  ASSIGN_OR_RETURN(int64_t workers, sec.Int("upload_workers", 4));
  o.uploader.workers = f.upload_workers > 0 ? f.upload_workers : static_cast<int>(workers);
  ASSIGN_OR_RETURN(std::string multipart,
                   pick(f.multipart_threshold, "multipart_threshold", "8MiB"));
  ASSIGN_OR_RETURN(int64_t multipart_bytes, ParseBytes(multipart));
  o.uploader.multipart_threshold = static_cast<uint64_t>(multipart_bytes);
  ASSIGN_OR_RETURN(std::string timeout, pick(f.shutdown_timeout, "shutdown_timeout", "60s"));
  ASSIGN_OR_RETURN(o.shutdown_timeout, ParseDuration(timeout));
  ASSIGN_OR_RETURN(o.server.auth.shared_key, pick(f.shared_key, "shared_key", ""));
  ASSIGN_OR_RETURN(o.server.auth.self_hostname,
                   pick(f.self_hostname, "self_hostname", "steady-aggregator"));
  ASSIGN_OR_RETURN(o.server.tls_cert_file, pick(f.tls_cert, "tls_cert", ""));
  ASSIGN_OR_RETURN(o.server.tls_key_file, pick(f.tls_key, "tls_key", ""));
  ASSIGN_OR_RETURN(o.records.fallback_family,
                   pick(f.fallback_family, "fallback_family", "_unrouted"));
  ASSIGN_OR_RETURN(std::vector<std::string> users, sec.StringList("users"));
  users.insert(users.end(), f.users.begin(), f.users.end());
  for (const auto& u : users) {
    size_t colon = u.find(':');
    if (colon == std::string::npos || colon == 0) {
      return InvalidArgumentError("--user: expected USER:PASSWORD, got '" + u + "'");
    }
    o.server.auth.users.emplace_back(u.substr(0, colon), u.substr(colon + 1));
  }
  if (!o.server.auth.users.empty() && o.server.auth.shared_key.empty()) {
    return InvalidArgumentError("--user needs --shared-key (the Forward handshake carries both)");
  }
  return o;
}

}  // namespace

void AddAggregatorCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "aggregator",
      "Receive logs over the fluentd Forward protocol; write one gzip object per minute per "
      "service to the store");
  static AggregatorFlags f;
  cmd->add_option("--listen", f.listen,
                  "HOST:PORT for Forward TCP and UDP heartbeat "
                  "(default 127.0.0.1:24224)");
  cmd->add_option("--metrics-listen", f.metrics_listen,
                  "HOST:PORT for /metrics (default 127.0.0.1:9465)");
  cmd->add_option("--store", f.store, "DIR or s3://BUCKET/PREFIX (default var/logs)");
  cmd->add_option("--buffer-dir", f.buffer_dir,
                  "disk buffer; survives restarts (default var/aggregator)");
  cmd->add_option("--key-prefix", f.key_prefix, "object key prefix (default service-logs)");
  cmd->add_option("--grace", f.grace,
                  "wait this long after a minute ends for late records "
                  "before uploading it (default 10s)");
  cmd->add_option("--max-buffer", f.max_buffer,
                  "stop reading from clients above this much buffered data (default 1GiB)");
  cmd->add_option("--codec", f.codec, "gzip codec: isal, libdeflate or zlib (default isal)");
  cmd->add_option("--threads", f.threads, "I/O threads (default: one per core)");
  cmd->add_option("--upload-workers", f.upload_workers, "parallel uploads (default 4)");
  cmd->add_option("--multipart-threshold", f.multipart_threshold,
                  "objects above this go up as multipart uploads (default 8MiB)");
  cmd->add_option("--shutdown-timeout", f.shutdown_timeout,
                  "on SIGTERM, how long to try uploading before leaving data on disk (60s)");
  cmd->add_option("--shared-key", f.shared_key, "require the HELO/PING/PONG handshake")
      ->envname("STEADY_AGGREGATOR_SHARED_KEY");
  cmd->add_option("--user", f.users, "USER:PASSWORD accepted in the handshake (repeatable)");
  cmd->add_option("--self-hostname", f.self_hostname, "hostname sent in PONG");
  cmd->add_option("--tls-cert", f.tls_cert, "PEM certificate chain: serve TLS");
  cmd->add_option("--tls-key", f.tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--fallback-family", f.fallback_family,
                  "family for records without ECS labels (default _unrouted)");

  cmd->callback([&global] {
    auto config =
        global.config_file.empty() ? Config::Empty() : Config::LoadFile(global.config_file);
    if (!config.ok()) throw CLI::ValidationError("--config", config.status().message());
    std::string store_spec, metrics_listen;
    auto options = BuildOptions(f, config->Section("aggregator"), &store_spec, &metrics_listen);
    if (!options.ok()) throw CLI::ValidationError("aggregator", options.status().message());

    MetricsRegistry& registry = MetricsRegistry::Default();
    Clock& clock = SystemClock::Get();
    auto store = OpenStore(store_spec, clock, registry);
    if (!store.ok()) {
      LogError("aggregator: cannot open the store", {{"error", store.status().ToString()}});
      throw CLI::RuntimeError(1);
    }
    auto agg = logs::Aggregator::Open(std::move(*options), *store->store, clock, registry);
    if (!agg.ok()) {
      LogError("aggregator: cannot open the buffer", {{"error", agg.status().ToString()}});
      throw CLI::RuntimeError(1);
    }
    auto metrics = StartMetricsEndpoint(metrics_listen, registry);
    if (!metrics.ok()) {
      LogError("aggregator: cannot serve metrics", {{"error", metrics.status().ToString()}});
      throw CLI::RuntimeError(1);
    }
    if (Status s = (*agg)->Start(); !s.ok()) {
      LogError("aggregator: cannot start", {{"error", s.ToString()}});
      throw CLI::RuntimeError(1);
    }
    std::printf("steady aggregator listening on port %d, writing to %s, metrics on port %d\n",
                (*agg)->port(), store->store->Describe().c_str(), (*metrics)->port());
    std::fflush(stdout);
    int sig = WaitForTerminationSignal();
    LogInfo("aggregator: stopping, flushing every open slice", {{"signal", sig}});
    if (Status s = (*agg)->Stop(); !s.ok()) {
      LogError("aggregator: data left in the disk buffer", {{"error", s.ToString()}});
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace steady::cli
