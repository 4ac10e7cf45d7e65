// `steady router`: the per-task log router daemon, and `steady router backfill`.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <thread>

#include "aws/object_store.h"
#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/signals.h"
#include "base/time_format.h"
#include "cli/aws_clients.h"
#include "cli/commands.h"
#include "cli/store.h"
#include "router/router.h"

namespace steady::cli {

namespace {

struct RouterFlags {
  std::string queue, dead_letter, store, service_prefix, task_prefix, endpoint, metrics_listen,
      visibility, codec;
  int workers = 0;
  // backfill
  std::string since, until, family, container;
};

// Flags win over the config file's `router:` section, which wins over the defaults.
Result<router::RouterOptions> BuildOptions(const GlobalOptions& global, const RouterFlags& f,
                                           std::string* store, std::string* metrics_listen) {
  auto config = global.config_file.empty() ? Config::Empty() : Config::LoadFile(global.config_file);
  if (!config.ok()) return config.status();
  ConfigNode sec = config->Section("router");
  RETURN_IF_ERROR(
      sec.CheckKeys({"queue", "dead_letter_queue", "store", "service_prefix", "task_prefix",
                     "workers", "metrics_listen", "visibility_timeout", "codec"}));
  auto pick = [&](const std::string& flag, const char* key,
                  const std::string& fallback) -> Result<std::string> {
    if (!flag.empty()) return flag;
    return sec.String(key, fallback);
  };
  router::RouterOptions o;
  ASSIGN_OR_RETURN(o.queue_url, pick(f.queue, "queue", "router-events"));
  ASSIGN_OR_RETURN(o.dead_letter_queue_url, pick(f.dead_letter, "dead_letter_queue", ""));
  ASSIGN_OR_RETURN(*store, pick(f.store, "store", "var/logs"));
  ASSIGN_OR_RETURN(o.service_prefix, pick(f.service_prefix, "service_prefix", "service-logs"));
  ASSIGN_OR_RETURN(o.split.task_prefix, pick(f.task_prefix, "task_prefix", "task-logs"));
  while (!o.split.task_prefix.empty() && o.split.task_prefix.back() == '/')
    o.split.task_prefix.pop_back();
  ASSIGN_OR_RETURN(std::string codec, pick(f.codec, "codec", "isal"));
  ASSIGN_OR_RETURN(o.split.codec, logs::ParseGzipCodec(codec));
  ASSIGN_OR_RETURN(std::string visibility, pick(f.visibility, "visibility_timeout", "120s"));
  ASSIGN_OR_RETURN(o.visibility_timeout, ParseDuration(visibility));
  ASSIGN_OR_RETURN(int64_t workers,
                   sec.Int("workers", std::max(1u, std::thread::hardware_concurrency())));
  o.workers = f.workers > 0 ? f.workers : static_cast<int>(workers);
  if (metrics_listen) {
    ASSIGN_OR_RETURN(*metrics_listen, pick(f.metrics_listen, "metrics_listen", "127.0.0.1:9468"));
  }
  ASSIGN_OR_RETURN(aws::StoreSpec spec, aws::ParseStoreSpec(*store));
  if (spec.kind == aws::StoreSpec::Kind::kS3) {
    o.bucket = spec.bucket;
    o.store_prefix = spec.prefix;
  }
  return o;
}

// An absolute RFC 3339 time, or a duration back from now ("2h").
Result<Time> ParseWhen(const std::string& text) {
  if (auto t = ParseRfc3339(text); t.ok()) return *t;
  auto d = ParseDuration(text);
  if (!d.ok()) return InvalidArgumentError("expected an RFC 3339 time or a duration: " + text);
  return SystemClock::Get().Now() - *d;
}

[[noreturn]] void Fail(const char* what, const Status& s) {
  std::fprintf(stderr, "steady router: %s: %s\n", what, s.ToString().c_str());
  throw CLI::RuntimeError(1);
}

void RunRouter(const GlobalOptions& global, const RouterFlags& f) {
  MetricsRegistry& registry = MetricsRegistry::Default();
  Clock& clock = SystemClock::Get();
  std::string store_spec, metrics_listen;
  auto o = BuildOptions(global, f, &store_spec, &metrics_listen);
  if (!o.ok()) throw CLI::ValidationError("router", o.status().message());
  auto store = OpenStore(store_spec, clock, registry, f.endpoint);
  if (!store.ok()) Fail("cannot open the store", store.status());
  auto clients = OpenAwsClients(clock, registry, f.endpoint);
  if (!clients.ok()) Fail("cannot reach AWS", clients.status());
  auto url = QueueUrl(*clients->sqs, o->queue_url);
  if (!url.ok()) Fail("queue", url.status());
  o->queue_url = *url;
  if (!o->dead_letter_queue_url.empty()) {
    auto dl = QueueUrl(*clients->sqs, o->dead_letter_queue_url);
    if (!dl.ok()) Fail("dead-letter queue", dl.status());
    o->dead_letter_queue_url = *dl;
  }
  auto endpoint = StartMetricsEndpoint(metrics_listen, registry);
  if (!endpoint.ok()) Fail("metrics endpoint", endpoint.status());
  router::Router router(*o, *store->store, clients->sqs.get(), clock, registry);
  if (Status s = router.Start(); !s.ok()) Fail("cannot start", s);
  std::printf(
      "steady router: %d workers on %s (%s), writing %s/ to %s; metrics on "
      "http://127.0.0.1:%d/metrics\n",
      o->workers, o->queue_url.c_str(), clients->Describe().c_str(), o->split.task_prefix.c_str(),
      store->store->Describe().c_str(), (*endpoint)->port());
  std::fflush(stdout);
  int sig = WaitForTerminationSignal();
  LogInfo("router: stopping; unfinished messages go back to the queue", {{"signal", sig}});
  router.Stop();
}

void RunBackfill(const GlobalOptions& global, const RouterFlags& f) {
  MetricsRegistry& registry = MetricsRegistry::Default();
  Clock& clock = SystemClock::Get();
  std::string store_spec;
  auto o = BuildOptions(global, f, &store_spec, nullptr);
  if (!o.ok()) throw CLI::ValidationError("backfill", o.status().message());
  logs::TimeRange range;
  auto since = ParseWhen(f.since);
  if (!since.ok()) throw CLI::ValidationError("--since", since.status().message());
  range.since = *since;
  if (!f.until.empty()) {
    auto until = ParseWhen(f.until);
    if (!until.ok()) throw CLI::ValidationError("--until", until.status().message());
    range.until = *until;
  }
  auto store = OpenStore(store_spec, clock, registry, f.endpoint);
  if (!store.ok()) Fail("cannot open the store", store.status());
  router::Router router(*o, *store->store, nullptr, clock, registry);
  static std::stop_source stop;
  std::thread([] {
    WaitForTerminationSignal();
    stop.request_stop();
  }).detach();
  auto report = router.Backfill(range, f.family, f.container, stop.get_token());
  if (!report.ok()) Fail("backfill", report.status());
  std::printf(
      "%llu objects: %llu ok, %llu damaged, %llu skipped, %llu missing, %llu failed; %llu lines "
      "(%.1f MB) into %llu task objects\n",
      static_cast<unsigned long long>(report->objects), static_cast<unsigned long long>(report->ok),
      static_cast<unsigned long long>(report->damaged),
      static_cast<unsigned long long>(report->skipped),
      static_cast<unsigned long long>(report->missing),
      static_cast<unsigned long long>(report->failed),
      static_cast<unsigned long long>(report->lines), report->bytes_inflated / 1e6,
      static_cast<unsigned long long>(report->task_objects));
  if (report->failed > 0) throw CLI::RuntimeError(1);
}

}  // namespace

void AddRouterCommand(CLI::App& app, const GlobalOptions& global) {
  static RouterFlags f;
  auto* cmd = app.add_subcommand(
      "router", "Re-file every service-log object per task (task-logs/), from S3 events in SQS");
  auto common = [](CLI::App* c) {
    c->add_option("--store", f.store, "DIR or s3://BUCKET/PREFIX (default var/logs)");
    c->add_option("--service-prefix", f.service_prefix,
                  "where the aggregator writes (default service-logs)");
    c->add_option("--task-prefix", f.task_prefix, "where task logs go (default task-logs)");
    c->add_option("--workers", f.workers, "objects split in parallel (default: one per core)");
    c->add_option("--codec", f.codec, "gzip codec: isal, libdeflate or zlib (default isal)");
    c->add_option("--endpoint-url", f.endpoint, "send AWS calls here (e.g. a local region)");
  };
  common(cmd);
  cmd->add_option("--queue", f.queue, "SQS queue name or URL (default router-events)");
  cmd->add_option("--dead-letter-queue", f.dead_letter, "queue for messages not understood");
  cmd->add_option("--visibility-timeout", f.visibility,
                  "how long a message stays hidden per extension (default 120s)");
  cmd->add_option("--metrics-listen", f.metrics_listen,
                  "HOST:PORT for /metrics (default 127.0.0.1:9468)");
  cmd->callback([cmd, &global] {
    if (cmd->get_subcommands().empty()) RunRouter(global, f);
  });

  auto* backfill = cmd->add_subcommand(
      "backfill", "Split the existing service-log objects of a time range (by listing)");
  common(backfill);
  backfill->add_option("--since", f.since, "RFC 3339 time or a duration back from now (2h)")
      ->required();
  backfill->add_option("--until", f.until, "RFC 3339 time or a duration back (default: now)");
  backfill->add_option("--family", f.family, "only this task-definition family");
  backfill->add_option("--container", f.container, "only this container (with --family)");
  backfill->callback([&global] { RunBackfill(global, f); });
}

}  // namespace steady::cli
