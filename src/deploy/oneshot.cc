#include "deploy/oneshot.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include "base/ids.h"
#include "base/log.h"

namespace steady::deploy {

namespace {

// "1024", "1 vCPU", "0.25 vCPU", "2 GB", "2GB", "512 MiB" → the integer in CPU units / MiB;
// nullopt when it is none of these (or not positive).
std::optional<int64_t> ParseTaskLevelSize(std::string_view s, bool cpu) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
    return v;
  };
  s = trim(s);
  if (s.empty()) return std::nullopt;
  double n = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  if (r.ec != std::errc() || !std::isfinite(n) || n <= 0) return std::nullopt;
  std::string unit(trim(std::string_view(r.ptr, s.data() + s.size() - r.ptr)));
  for (char& ch : unit) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  double scale = 0;
  if (unit.empty()) scale = 1;
  if (cpu && unit == "vcpu") scale = 1024;
  if (!cpu && (unit == "gb" || unit == "gib")) scale = 1024;
  if (!cpu && (unit == "mb" || unit == "mib")) scale = 1;
  if (scale == 0 || n * scale > 1e12) return std::nullopt;
  return static_cast<int64_t>(std::llround(n * scale));
}

int Rank(const std::string& last_status) {
  static constexpr const char* kOrder[] = {"PROVISIONING", "PENDING",  "ACTIVATING",     "RUNNING",
                                           "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"};
  for (int k = 0; k < static_cast<int>(std::size(kOrder)); ++k)
    if (last_status == kOrder[k]) return k;
  return -1;
}

// A later state of the same task than `than` (statuses only move forward; within one status,
// ECS bumps `version` on every change).
bool Newer(const aws::EcsTask& t, const aws::EcsTask& than) {
  int a = Rank(t.last_status), b = Rank(than.last_status);
  return a > b || (a == b && t.version > than.version);
}

std::string Reasons(const std::vector<aws::EcsFailure>& failures) {
  std::string out;
  for (const auto& f : failures) {
    if (out.find(f.reason) != std::string::npos) continue;
    if (!out.empty()) out += ", ";
    out += f.reason;
  }
  return out.empty() ? "no task and no failure" : out;
}

bool ResourceFailure(const aws::RunTaskResult& r) {
  return std::any_of(r.failures.begin(), r.failures.end(), [](const aws::EcsFailure& f) {
    return f.reason.rfind("RESOURCE:", 0) == 0 ||
           f.reason.find("No Container Instances") != std::string::npos;
  });
}

// ECS answers RunTask on a cluster without (connected, ACTIVE) instances with an
// InvalidParameterException: "No Container Instances were found in your cluster."
bool NoInstances(const Status& s) {
  return s.message().find("No Container Instances were found") != std::string::npos;
}

std::string NewHakoTaskId() {
  std::string id;
  for (char ch : NewUuid())
    if (ch != '-') id += ch;
  return id;
}

}  // namespace

TaskSize TaskSizeOf(const aws::RegisterTaskDefinitionRequest& td) {
  TaskSize sum;
  for (const auto& c : td.container_definitions) {
    sum.cpu += c.cpu;
    sum.memory += c.memory_reservation ? *c.memory_reservation : c.memory.value_or(0);
  }
  if (auto cpu = ParseTaskLevelSize(td.cpu, true)) sum.cpu = *cpu;
  if (auto memory = ParseTaskLevelSize(td.memory, false)) sum.memory = *memory;
  return sum;
}

int AppExitCode(const aws::EcsTask& task, const std::string& app_container, std::string* reason) {
  auto why = [&](std::string r) {
    if (reason) *reason = std::move(r);
    return kNoExitCode;
  };
  for (const auto& c : task.containers) {
    if (c.name != app_container) continue;
    if (c.exit_code) return *c.exit_code;
    std::string r =
        task.stopped_reason.empty() ? "the app container has no exit code" : task.stopped_reason;
    if (!c.reason.empty()) r += " (" + c.reason + ")";
    return why(std::move(r));
  }
  return why("no container named \"" + app_container + "\" in the task" +
             (task.stopped_reason.empty() ? "" : ": " + task.stopped_reason));
}

Oneshot::Oneshot(AppDefinition def, std::string task_definition, OneshotOptions options,
                 OneshotClients clients, Clock& clock, MetricsRegistry& metrics)
    : def_(std::move(def)),
      task_definition_(std::move(task_definition)),
      options_(std::move(options)),
      clients_(clients),
      clock_(clock),
      size_(TaskSizeOf(RenderTaskDefinition(def_))),
      hako_task_id_(options_.hako_task_id.empty() ? NewHakoTaskId() : options_.hako_task_id) {
  auto& calls =
      metrics.AddCounter("steady_oneshot_ecs_calls_total", "ECS calls made by oneshot.", {"op"});
  run_tasks_ = &calls.With({"RunTask"});
  describes_ = &calls.With({"DescribeTasks"});
  stops_ = &calls.With({"StopTask"});
  auto& capacity = metrics.AddCounter(
      "steady_oneshot_capacity_messages_total",
      "No-capacity messages for the autoscaler, by result (published, failed).", {"result"});
  capacity_published_ = &capacity.With({"published"});
  capacity_failed_ = &capacity.With({"failed"});
}

void Oneshot::PublishCapacity() {
  if (clients_.sns == nullptr || options_.capacity_topic_arn.empty()) return;
  // The autoscaler refuses cpu or memory of 0 (a task of cpu-0 containers still needs room).
  nlohmann::json m = {{"group_name", def_.scheduler.group_name},
                      {"cluster", def_.scheduler.cluster},
                      {"cpu", std::max<int64_t>(size_.cpu, 1)},
                      {"memory", std::max<int64_t>(size_.memory, 1)},
                      {"hako_task_id", hako_task_id_}};
  aws::PublishRequest req;
  req.topic_arn = options_.capacity_topic_arn;
  req.message = m.dump();
  if (auto r = clients_.sns->Publish(req); !r.ok()) {
    capacity_failed_->Inc();
    LogWarn("oneshot: cannot publish the no-capacity message",
            {{"topic", options_.capacity_topic_arn}, {"error", r.status().ToString()}});
    return;
  }
  capacity_published_->Inc();
  ++counts_.capacity_messages;
}

Result<aws::EcsTask> Oneshot::Start(std::stop_token stop) {
  aws::RunTaskRequest req;
  req.cluster = def_.scheduler.cluster;
  req.task_definition = task_definition_;
  req.started_by = options_.started_by;
  req.placement_strategy = def_.scheduler.placement_strategy;
  req.placement_constraints = def_.scheduler.placement_constraints;
  req.overrides.push_back(
      {.name = def_.app.name, .command = options_.command, .environment = options_.environment});
  const Time deadline = clock_.Now() + options_.capacity_timeout;
  std::string why;
  for (;;) {
    if (stop.stop_requested()) return CancelledError("oneshot: stopped before the task was placed");
    ++counts_.run_attempts;
    ++counts_.ecs_calls;
    run_tasks_->Inc();
    auto r = clients_.ecs.RunTask(req);
    if (r.ok() && !r->items.empty()) {
      task_ = r->items.front();
      started_at_ = clock_.Now();
      LogInfo("oneshot: task started", {{"task", task_.task_arn},
                                        {"cluster", def_.scheduler.cluster},
                                        {"attempts", counts_.run_attempts}});
      return task_;
    }
    if (!r.ok()) {
      if (!NoInstances(r.status()) && !r.status().retryable()) return r.status();
      why = r.status().message();
      if (NoInstances(r.status())) PublishCapacity();
    } else if (ResourceFailure(*r)) {
      why = Reasons(r->failures);
      PublishCapacity();
    } else {
      return FailedPreconditionError("RunTask " + task_definition_ + " in " +
                                     def_.scheduler.cluster + ": " + Reasons(r->failures));
    }
    Time now = clock_.Now();
    if (now >= deadline)
      return ResourceExhaustedError("oneshot: no capacity in " + def_.scheduler.cluster +
                                    " after " + std::to_string(counts_.run_attempts) +
                                    " attempts: " + why);
    LogInfo("oneshot: no capacity yet; retrying", {{"cluster", def_.scheduler.cluster},
                                                   {"reason", why},
                                                   {"hako_task_id", hako_task_id_},
                                                   {"attempt", counts_.run_attempts}});
    if (!clock_.SleepUntil(std::min(now + options_.capacity_retry, deadline), stop))
      return CancelledError("oneshot: stopped before the task was placed");
  }
}

std::optional<aws::EcsTask> Oneshot::Describe(OneshotResult& result, int& missing) {
  ++result.ecs_calls;
  ++result.describe_calls;
  describes_->Inc();
  auto d = clients_.ecs.DescribeTasks(def_.scheduler.cluster, {task_.task_arn});
  if (!d.ok()) {
    LogWarn("oneshot: DescribeTasks failed",
            {{"task", task_.task_arn}, {"error", d.status().ToString()}});
    return std::nullopt;
  }
  for (const auto& t : d->items)
    if (t.task_arn == task_.task_arn) {
      missing = 0;
      return t;
    }
  ++missing;
  return std::nullopt;
}

Result<OneshotResult> Oneshot::Wait(std::stop_token stop,
                                    std::function<void(const aws::EcsTask&)> on_change) {
  if (task_.task_arn.empty()) return FailedPreconditionError("oneshot: Wait before Start");
  OneshotResult result = counts_;
  aws::EcsTask current = task_;
  const Time deadline =
      options_.timeout > Duration::zero() ? started_at_ + options_.timeout : Time::max();
  Time last_news = clock_.Now(), last_check = last_news;
  std::string stop_reason;  // set once we decided to stop the task
  bool stop_done = false;
  Time follow_deadline = Time::max();
  int missing = 0;
  for (;;) {
    const Time round = clock_.Now();
    if (stop_reason.empty() && (stop.stop_requested() || round >= deadline)) {
      stop_reason = stop.stop_requested() ? kInterruptedReason : kTimeoutReason;
      follow_deadline = round + options_.stop_follow_timeout;
    }
    if (!stop_reason.empty() && !stop_done) {
      ++result.ecs_calls;
      stops_->Inc();
      auto s = clients_.ecs.StopTask(def_.scheduler.cluster, task_.task_arn, stop_reason);
      if (s.ok()) {
        stop_done = result.stopped_by_us = true;
        LogInfo("oneshot: stopping the task", {{"task", task_.task_arn}, {"reason", stop_reason}});
        if (Newer(*s, current)) current = *s;
      } else {
        // Retried next round when transient; otherwise (the task is gone or already stopped)
        // following it tells the rest.
        stop_done = !s.status().retryable();
        LogWarn("oneshot: StopTask failed",
                {{"task", task_.task_arn}, {"error", s.status().ToString()}});
      }
    }
    // Once the task is being stopped, no request may cut the follow short (the CLI exits with
    // the exit code of a task that is really gone).
    std::stop_token token = stop_reason.empty() ? stop : std::stop_token{};

    std::optional<aws::EcsTask> seen;
    if (clients_.board) {
      if (auto p = clients_.board->Pump(token); !p.ok())
        LogDebug("oneshot: task-state queue receive failed", {{"error", p.status().ToString()}});
      if (auto l = clients_.board->Latest(task_.task_arn); !l.ok())
        LogWarn("oneshot: cannot read the task-state board",
                {{"task", task_.task_arn}, {"error", l.status().ToString()}});
      else if (l->has_value())
        seen = std::move(**l);
      if (!(seen && Newer(*seen, current)) &&
          clock_.Now() - std::max(last_news, last_check) >= options_.event_silence) {
        last_check = clock_.Now();
        seen = Describe(result, missing);
      }
    } else {
      seen = Describe(result, missing);
    }
    if (seen && Newer(*seen, current)) {
      current = std::move(*seen);
      last_news = clock_.Now();
      if (on_change) on_change(current);
    }
    if (current.last_status == "STOPPED") {
      result.exit_code = AppExitCode(current, def_.app.name, &result.reason);
      result.task = std::move(current);
      LogInfo("oneshot: task stopped", {{"task", task_.task_arn},
                                        {"exit_code", result.exit_code},
                                        {"stop_code", result.task.stop_code},
                                        {"describe_calls", result.describe_calls}});
      return result;
    }
    if (missing >= 3) return NotFoundError("oneshot: ECS no longer knows task " + task_.task_arn);
    if (clock_.Now() >= follow_deadline)
      return DeadlineExceededError("oneshot: task " + task_.task_arn + " not stopped " +
                                   "within the stop follow timeout (last status " +
                                   current.last_status + ")");
    Time next = round + options_.poll_interval;
    if (stop_reason.empty()) next = std::min(next, deadline);
    clock_.SleepUntil(next, token);
  }
}

}  // namespace steady::deploy
