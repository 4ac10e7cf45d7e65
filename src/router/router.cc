#include "router/router.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "base/log.h"
#include "router/events.h"

namespace steady::router {

namespace {

int Seconds(Duration d) {
  return static_cast<int>(
      std::clamp<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(d).count(), 0, 43200));
}

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

const char* ObjectResultName(ObjectResult r) {
  switch (r) {
    case ObjectResult::kOk: return "ok";
    case ObjectResult::kDamaged: return "damaged";
    case ObjectResult::kSkipped: return "skipped";
    case ObjectResult::kMissing: return "missing";
    case ObjectResult::kFailed: return "failed";
    case ObjectResult::kCancelled: return "cancelled";
  }
  return "?";
}

const char* MessageActionName(MessageAction a) {
  switch (a) {
    case MessageAction::kDeleted: return "deleted";
    case MessageAction::kDeadLettered: return "dead_lettered";
    case MessageAction::kLeft: return "left";
    case MessageAction::kRetryLater: return "retry_later";
    case MessageAction::kReturned: return "returned";
  }
  return "?";
}

Router::Router(RouterOptions options, aws::ObjectStore& store, aws::Sqs* sqs, Clock& clock,
               MetricsRegistry& metrics)
    : options_(std::move(options)),
      service_prefix_(TrimSlash(options_.service_prefix)),
      store_(store),
      sqs_(sqs),
      clock_(clock),
      objects_(metrics.AddCounter("steady_router_objects_total",
                                  "Service-log objects the router handled, by result.",
                                  {"result"})),
      lines_(metrics.AddCounter("steady_router_lines_total",
                                "Lines routed, by kind (task, no_task_id, invalid_json, oversize).",
                                {"kind"})),
      bytes_(metrics.AddCounter(
          "steady_router_bytes_total",
          "Bytes read (compressed source), inflated, and written (compressed task objects).",
          {"direction"})),
      failures_(metrics.AddCounter("steady_router_failures_total",
                                   "Problems the router counted and got past, by kind.", {"kind"})),
      messages_(metrics.AddCounter("steady_router_messages_total",
                                   "Queue messages handled, by what became of them.", {"action"})),
      seconds_(metrics
                   .AddHistogram("steady_router_object_seconds",
                                 "Time to split one service-log object and write its task objects.")
                   .Get()) {
  if (options_.workers < 1) options_.workers = 1;
  if (!options_.store_prefix.empty() && options_.store_prefix.back() != '/')
    options_.store_prefix += '/';
}

Router::~Router() { Stop(); }

Status Router::Start() {
  if (sqs_ == nullptr || options_.queue_url.empty())
    return FailedPreconditionError("router: no queue to consume");
  if (!workers_.empty()) return Status::Ok();
  for (int i = 0; i < options_.workers; ++i)
    workers_.emplace_back([this](std::stop_token stop) { Worker(stop); });
  LogInfo(
      "router: started",
      {{"queue", options_.queue_url}, {"store", store_.Describe()}, {"workers", options_.workers}});
  return Status::Ok();
}

void Router::Stop() {
  for (auto& w : workers_) w.request_stop();
  workers_.clear();  // joins
}

void Router::Worker(std::stop_token stop) {
  while (!stop.stop_requested()) {
    aws::ReceiveMessageRequest req;
    req.queue_url = options_.queue_url;
    req.max_number_of_messages = 1;  // one object at a time per worker: bounded concurrency
    req.visibility_timeout = Seconds(options_.visibility_timeout);
    req.wait_time_seconds = options_.wait_time_seconds;
    req.attribute_names = {"All"};
    auto got = sqs_->ReceiveMessage(req, stop);
    if (!got.ok()) {
      failures_.With({"sqs"}).Inc();
      LogWarn("router: cannot receive",
              {{"queue", options_.queue_url}, {"error", got.status().ToString()}});
      clock_.SleepFor(std::chrono::seconds(1), stop);
      continue;
    }
    for (const aws::SqsMessage& m : *got) HandleMessage(m, stop);
  }
}

Status Router::Release(const aws::SqsMessage& m, Duration visibility) {
  if (sqs_ == nullptr) return Status::Ok();
  Status s =
      sqs_->ChangeMessageVisibility(options_.queue_url, m.receipt_handle, Seconds(visibility));
  if (!s.ok()) failures_.With({"sqs"}).Inc();
  return s;
}

Status Router::DeleteMessage(const aws::SqsMessage& m) {
  if (sqs_ == nullptr) return Status::Ok();
  Status s = sqs_->DeleteMessage(options_.queue_url, m.receipt_handle);
  if (!s.ok()) {
    failures_.With({"sqs"}).Inc();
    LogWarn("router: cannot delete a message (it will be redelivered and rewritten)",
            {{"message", m.message_id}, {"error", s.ToString()}});
  }
  return s;
}

MessageAction Router::HandleMessage(const aws::SqsMessage& m, std::stop_token stop) {
  auto done = [&](MessageAction a) {
    messages_.With({MessageActionName(a)}).Inc();
    return a;
  };
  auto parsed = ParseRouterMessage(m.body);
  if (!parsed.ok()) {
    failures_.With({"malformed_message"}).Inc();
    LogWarn("router: malformed message", {{"queue", options_.queue_url},
                                          {"message", m.message_id},
                                          {"error", parsed.status().message()}});
    if (!options_.dead_letter_queue_url.empty() && sqs_ != nullptr) {
      Status sent = aws::SendToDeadLetterQueue(*sqs_, options_.dead_letter_queue_url,
                                               options_.queue_url, m, parsed.status().message());
      if (sent.ok()) {
        (void)DeleteMessage(m);
        return done(MessageAction::kDeadLettered);
      }
      failures_.With({"sqs"}).Inc();
    }
    return done(MessageAction::kLeft);
  }
  if (parsed->kind == RouterMessage::Kind::kTestEvent) {
    (void)DeleteMessage(m);
    return done(MessageAction::kDeleted);
  }
  Time last_extend = clock_.Now();
  auto heartbeat = [&] {
    if (sqs_ == nullptr || clock_.Now() - last_extend < options_.visibility_timeout / 2) return;
    last_extend = clock_.Now();
    (void)Release(m, options_.visibility_timeout);
  };
  bool retry = false;
  for (const CreatedObject& obj : parsed->objects) {
    if ((!options_.bucket.empty() && obj.bucket != options_.bucket) ||
        !obj.key.starts_with(options_.store_prefix)) {
      failures_.With({"foreign_key"}).Inc();
      objects_.With({"skipped"}).Inc();
      LogWarn("router: event for an object outside the store; skipped",
              {{"bucket", obj.bucket}, {"key", obj.key}, {"message", m.message_id}});
      continue;
    }
    ObjectResult r = ProcessKey(obj.key.substr(options_.store_prefix.size()), stop, heartbeat);
    if (r == ObjectResult::kCancelled) {
      (void)Release(m, Duration::zero());
      return done(MessageAction::kReturned);
    }
    if (r == ObjectResult::kFailed) retry = true;
  }
  if (retry) {
    (void)Release(m, options_.retry_after);
    return done(MessageAction::kRetryLater);
  }
  (void)DeleteMessage(m);
  return done(MessageAction::kDeleted);
}

ObjectResult Router::ProcessKey(const std::string& key, std::stop_token stop,
                                const std::function<void()>& heartbeat, SplitStats* out) {
  auto finish = [&](ObjectResult r) {
    if (r != ObjectResult::kCancelled) objects_.With({ObjectResultName(r)}).Inc();
    return r;
  };
  auto parsed = logs::ParseServiceLogKey(key);
  if (!parsed.ok() || parsed->prefix != service_prefix_) {
    failures_.With({"foreign_key"}).Inc();
    LogWarn(
        "router: not a service-log key; skipped",
        {{"key", key},
         {"error", parsed.ok() ? "prefix is not " + service_prefix_ : parsed.status().message()}});
    return finish(ObjectResult::kSkipped);
  }
  Time start = clock_.Now();
  auto keep_going = [&] {
    if (heartbeat) heartbeat();
    return !stop.stop_requested();
  };
  auto stats = SplitObject(store_, key, *parsed, options_.split, keep_going);
  if (!stats.ok()) {
    if (stats.status().code() == StatusCode::kCancelled) return finish(ObjectResult::kCancelled);
    if (stats.status().code() == StatusCode::kNotFound) {
      failures_.With({"missing_object"}).Inc();
      LogWarn("router: source object is gone; skipped", {{"key", key}});
      return finish(ObjectResult::kMissing);
    }
    failures_.With({"store"}).Inc();
    LogWarn("router: cannot split (will retry)",
            {{"key", key}, {"error", stats.status().ToString()}});
    return finish(ObjectResult::kFailed);
  }
  seconds_.Observe(std::chrono::duration<double>(clock_.Now() - start).count());
  lines_.With({"task"}).Inc(static_cast<double>(stats->lines_task));
  lines_.With({"no_task_id"}).Inc(static_cast<double>(stats->lines_no_task_id));
  lines_.With({"invalid_json"}).Inc(static_cast<double>(stats->lines_invalid_json));
  lines_.With({"oversize"}).Inc(static_cast<double>(stats->lines_oversize));
  bytes_.With({"read"}).Inc(static_cast<double>(stats->bytes_read));
  bytes_.With({"inflated"}).Inc(static_cast<double>(stats->bytes_inflated));
  bytes_.With({"written"}).Inc(static_cast<double>(stats->bytes_written));
  ObjectResult r = ObjectResult::kOk;
  if (stats->gzip_truncated || stats->gzip_corrupt) {
    failures_.With({stats->gzip_truncated ? "truncated_gzip" : "corrupt_gzip"}).Inc();
    LogWarn("router: damaged gzip; kept what was readable",
            {{"key", key}, {"error", stats->gzip_error}, {"lines", stats->lines()}});
    r = ObjectResult::kDamaged;
  }
  if (stats->lines_invalid_json + stats->lines_oversize + stats->lines_no_task_id > 0) {
    LogInfo("router: lines without a task", {{"key", key},
                                             {"no_task_id", stats->lines_no_task_id},
                                             {"invalid_json", stats->lines_invalid_json},
                                             {"oversize", stats->lines_oversize}});
  }
  if (out != nullptr) *out = std::move(*stats);
  return finish(r);
}

Result<BackfillReport> Router::Backfill(const logs::TimeRange& range, const std::string& family,
                                        const std::string& container, std::stop_token stop) {
  std::string root = service_prefix_.empty() ? "" : service_prefix_ + "/";
  auto children = [&](const std::string& prefix, std::vector<std::string>* out) -> Status {
    return store_.ListAll({.prefix = prefix, .delimiter = "/"}, [&](const aws::ListEntry& e) {
      if (e.is_prefix) {
        std::string name = e.object.key.substr(prefix.size());
        if (!name.empty() && name.back() == '/') name.pop_back();
        if (!name.empty()) out->push_back(name);
      }
      return !stop.stop_requested();
    });
  };
  std::vector<std::string> families;
  if (family.empty()) {
    RETURN_IF_ERROR(children(root, &families));
  } else {
    families.push_back(family);
  }
  std::vector<std::string> keys;
  for (const std::string& f : families) {
    std::vector<std::string> containers;
    if (container.empty()) {
      RETURN_IF_ERROR(children(root + f + "/", &containers));
    } else {
      containers.push_back(container);
    }
    for (const std::string& c : containers) {
      for (const std::string& prefix : logs::ServiceLogListPrefixes(service_prefix_, f, c, range)) {
        RETURN_IF_ERROR(store_.ListAll({.prefix = prefix}, [&](const aws::ListEntry& e) {
          if (e.is_prefix) return true;
          auto k = logs::ParseServiceLogKey(e.object.key);
          if (k.ok() && k->prefix == service_prefix_ && range.CoversMinute(k->name.minute))
            keys.push_back(e.object.key);
          return !stop.stop_requested();
        }));
      }
    }
  }
  BackfillReport report;
  report.objects = keys.size();
  std::mutex mu;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < keys.size() && !stop.stop_requested();) {
      SplitStats stats;
      ObjectResult r = ProcessKey(keys[i], stop, {}, &stats);
      std::lock_guard lock(mu);
      switch (r) {
        case ObjectResult::kOk: ++report.ok; break;
        case ObjectResult::kDamaged: ++report.damaged; break;
        case ObjectResult::kSkipped: ++report.skipped; break;
        case ObjectResult::kMissing: ++report.missing; break;
        case ObjectResult::kFailed: ++report.failed; break;
        case ObjectResult::kCancelled: break;
      }
      report.lines += stats.lines();
      report.bytes_inflated += stats.bytes_inflated;
      report.task_objects += stats.keys.size();
    }
  };
  {
    std::vector<std::jthread> threads;
    int n = std::min<int>(options_.workers, static_cast<int>(keys.size()));
    for (int i = 1; i < n; ++i) threads.emplace_back(work);
    work();
  }
  if (stop.stop_requested()) return CancelledError("backfill stopped");
  return report;
}

}  // namespace steady::router
