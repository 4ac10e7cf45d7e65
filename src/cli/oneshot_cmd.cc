// `steady oneshot APP [-- CMD...]`: one batch task of an app (deploy/oneshot.h), followed to its
// end; the exit status is the app container's exit code (125 when it never ran).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/signals.h"
#include "cli/aws_clients.h"
#include "cli/commands.h"
#include "cli/deploy_common.h"
#include "cli/store.h"
#include "deploy/deployer.h"
#include "deploy/oneshot.h"
#include "deploy/task_board.h"
#include "search/grep.h"

namespace steady::cli {
namespace {

struct OneshotFlags {
  DefinitionFlags def;
  std::vector<std::string> command, env;
  bool no_wait = false, poll = false, no_logs = false;
  std::string capacity_topic, events_queue, board, log_store, timeout, capacity_timeout;
};

struct Settings {
  deploy::OneshotOptions options;
  std::string capacity_topic, events_queue, board, log_store;
  Duration logs_linger = std::chrono::seconds(90);
};

Result<Duration> DurationOf(const ConfigNode& sec, const char* key, const std::string& flag,
                            const char* fallback) {
  ASSIGN_OR_RETURN(std::string text, sec.String(key, fallback));
  if (!flag.empty()) text = flag;
  return ParseDuration(text);
}

Result<Settings> Configure(const GlobalOptions& global, const OneshotFlags& f) {
  auto config = global.config_file.empty() ? Config::Empty() : Config::LoadFile(global.config_file);
  if (!config.ok()) return config.status();
  ConfigNode sec = config->Section("oneshot");
  Settings s;
  deploy::OneshotOptions& o = s.options;
  o.command = f.command;
  for (const std::string& kv : f.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos)
      return InvalidArgumentError("--env " + kv + ": expected NAME=VALUE");
    o.environment.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
  }
  ASSIGN_OR_RETURN(o.started_by, sec.String("started_by", "steady-oneshot"));
  ASSIGN_OR_RETURN(o.capacity_retry, DurationOf(sec, "capacity_retry", "", "10s"));
  ASSIGN_OR_RETURN(o.capacity_timeout,
                   DurationOf(sec, "capacity_timeout", f.capacity_timeout, "10m"));
  ASSIGN_OR_RETURN(o.poll_interval, DurationOf(sec, "poll_interval", "", "5s"));
  ASSIGN_OR_RETURN(o.event_silence, DurationOf(sec, "event_silence", "", "60s"));
  ASSIGN_OR_RETURN(o.timeout, DurationOf(sec, "timeout", f.timeout, "0s"));
  ASSIGN_OR_RETURN(s.logs_linger, DurationOf(sec, "logs_linger", "", "90s"));
  ASSIGN_OR_RETURN(s.capacity_topic, sec.String("capacity_topic", ""));
  ASSIGN_OR_RETURN(s.events_queue, sec.String("events_queue", ""));
  ASSIGN_OR_RETURN(s.board, sec.String("board", ""));
  ASSIGN_OR_RETURN(s.log_store, sec.String("log_store", ""));
  if (!f.capacity_topic.empty()) s.capacity_topic = f.capacity_topic;
  if (!f.events_queue.empty()) s.events_queue = f.events_queue;
  if (!f.board.empty()) s.board = f.board;
  if (!f.log_store.empty()) s.log_store = f.log_store;
  if (f.poll) s.events_queue.clear();
  if (f.no_logs) s.log_store.clear();
  if (!s.events_queue.empty() && s.board.empty())
    return InvalidArgumentError(
        "an events queue needs a board store (--board DIR|s3://BUCKET/PREFIX or oneshot.board)");
  return s;
}

void Run(const GlobalOptions& global, const OneshotFlags& f) {
  auto def = LoadApp(global, f.def, nullptr);
  if (!def.ok()) FailWith("oneshot", def.status(), deploy::kNoExitCode);
  auto settings = Configure(global, f);
  if (!settings.ok()) FailWith("oneshot", settings.status(), deploy::kNoExitCode);
  MetricsRegistry& registry = MetricsRegistry::Default();
  Clock& clock = SystemClock::Get();
  auto clients = OpenAwsClients(clock, registry, f.def.endpoint);
  if (!clients.ok()) FailWith("oneshot", clients.status(), deploy::kNoExitCode);
  deploy::OneshotOptions& o = settings->options;
  if (!settings->capacity_topic.empty()) {
    auto arn = TopicArn(*clients->sns, settings->capacity_topic);
    if (!arn.ok()) FailWith("oneshot: capacity topic", arn.status(), deploy::kNoExitCode);
    o.capacity_topic_arn = *arn;
  }
  std::optional<OpenedStore> board_store;
  std::unique_ptr<deploy::TaskBoard> board;
  if (!settings->events_queue.empty()) {
    auto url = QueueUrl(*clients->sqs, settings->events_queue);
    if (!url.ok()) FailWith("oneshot: events queue", url.status(), deploy::kNoExitCode);
    auto opened = OpenStore(settings->board, clock, registry, f.def.endpoint);
    if (!opened.ok()) FailWith("oneshot: board store", opened.status(), deploy::kNoExitCode);
    board_store.emplace(std::move(*opened));
    deploy::TaskBoardOptions bo;
    bo.queue_url = *url;
    board = std::make_unique<deploy::TaskBoard>(*clients->sqs, *board_store->store, bo, registry);
  }

  deploy::Deployer registrar(*clients->ecs, nullptr, clock,
                             [](const std::string& l) { LogInfo("oneshot: " + l); });
  auto td = registrar.EnsureTaskDefinition(*def);
  if (!td.ok()) FailWith("oneshot: task definition", td.status(), deploy::kNoExitCode);
  deploy::Oneshot oneshot(*def, *td, o, {*clients->ecs, clients->sns.get(), board.get()}, clock,
                          registry);

  // SIGINT/SIGTERM: stop the task (or stop waiting for capacity) and follow it to its end.
  static std::stop_source stop;
  std::thread([] {
    int sig = WaitForTerminationSignal();
    std::fprintf(stderr, "steady oneshot: signal %d: stopping the task\n", sig);
    stop.request_stop();
  }).detach();

  auto started = oneshot.Start(stop.get_token());
  if (!started.ok()) FailWith("oneshot", started.status(), deploy::kNoExitCode);
  const std::string cluster = def->scheduler.cluster;
  if (f.no_wait) {
    nlohmann::json j = {{"taskArn", started->task_arn},
                        {"cluster", cluster},
                        {"taskDefinition", *td},
                        {"hakoTaskId", oneshot.hako_task_id()}};
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::fprintf(stderr, "steady oneshot: %s started on %s (%s)\n", started->task_arn.c_str(),
               cluster.c_str(), td->substr(td->rfind('/') + 1).c_str());

  // The task's lines, as the router files them per task, while it runs and a while after (they
  // reach the store a minute or two late).
  std::atomic<bool> stopped{false};
  std::atomic<int64_t> stopped_at_ns{0};
  std::jthread logs;
  std::optional<OpenedStore> log_store;
  std::unique_ptr<search::LogStore> log_reader;
  if (!settings->log_store.empty()) {
    auto opened = OpenStore(settings->log_store, clock, registry, f.def.endpoint);
    if (!opened.ok()) {
      LogWarn("oneshot: no log streaming", {{"error", opened.status().ToString()}});
    } else {
      log_store.emplace(std::move(*opened));
      log_reader =
          std::make_unique<search::LogStore>(log_store->store.get(), search::LogStoreOptions{});
      search::SearchRequest request;
      request.selection.family = def->app_id;
      request.selection.container = def->app.name;
      request.selection.task_id = started->task_arn.substr(started->task_arn.rfind('/') + 1);
      request.tail_lines = 1000;
      Duration linger = settings->logs_linger;
      logs = std::jthread([&, request, linger](std::stop_token st) {
        auto out = [](std::string_view chunk) {
          return std::fwrite(chunk.data(), 1, chunk.size(), stdout) == chunk.size() &&
                 std::fflush(stdout) == 0;
        };
        search::ScanCounters counters;
        Status s = search::Follow(*log_reader, request, out, &counters, [&] {
          if (st.stop_requested()) return false;
          if (stopped && clock.Now() - FromUnixNanos(stopped_at_ns.load()) > linger) return false;
          return clock.SleepFor(std::chrono::seconds(5), st);
        });
        if (!s.ok()) LogWarn("oneshot: log streaming stopped", {{"error", s.ToString()}});
      });
    }
  }
  std::string last_status;
  auto result = oneshot.Wait(stop.get_token(), [&](const aws::EcsTask& t) {
    if (t.last_status == last_status) return;
    last_status = t.last_status;
    std::fprintf(stderr, "steady oneshot: %s %s\n",
                 t.task_arn.substr(t.task_arn.rfind('/') + 1).c_str(), t.last_status.c_str());
  });
  stopped_at_ns = ToUnixNanos(clock.Now());
  stopped = true;
  if (logs.joinable()) logs.join();
  if (!result.ok()) FailWith("oneshot", result.status(), deploy::kNoExitCode);
  std::fprintf(stderr,
               "steady oneshot: exit %d%s%s (RunTask %d, capacity messages %d, ECS calls %d, "
               "DescribeTasks %d)\n",
               result->exit_code, result->reason.empty() ? "" : ": ", result->reason.c_str(),
               result->run_attempts, result->capacity_messages, result->ecs_calls,
               result->describe_calls);
  std::fflush(stdout);
  if (result->exit_code != 0) throw CLI::RuntimeError(result->exit_code);
}

}  // namespace

void AddOneshotCommand(CLI::App& app, const GlobalOptions& global) {
  static OneshotFlags f;
  auto* cmd = app.add_subcommand(
      "oneshot", "Run one batch task of APP with CMD, follow it, exit with its exit code");
  AddDefinitionFlags(cmd, f.def);
  cmd->add_option("command", f.command, "the app container's command (after --)");
  cmd->add_option("--env,-e", f.env, "NAME=VALUE for the app container (repeatable)");
  cmd->add_flag("--no-wait", f.no_wait, "print the task as JSON once it is placed, and return");
  cmd->add_flag("--poll", f.poll, "follow the task with DescribeTasks, not the events queue");
  cmd->add_flag("--no-logs", f.no_logs, "do not stream the task's log lines");
  cmd->add_option("--capacity-topic", f.capacity_topic,
                  "SNS topic (name or ARN) told when there is no room (oneshot.capacity_topic)");
  cmd->add_option("--events-queue", f.events_queue,
                  "SQS queue of ECS Task State Change events (oneshot.events_queue)");
  cmd->add_option("--board", f.board,
                  "store for task states, DIR|s3://BUCKET/PREFIX (oneshot.board)");
  cmd->add_option(
      "--log-store", f.log_store,
      "store of the routed logs to stream from, DIR|s3://BUCKET/PREFIX (oneshot.log_store)");
  cmd->add_option("--timeout", f.timeout, "stop the task after this long (default: none)");
  cmd->add_option("--capacity-timeout", f.capacity_timeout,
                  "give up waiting for room after this long (default 10m)");
  cmd->callback([&global] { Run(global, f); });
}

}  // namespace steady::cli
