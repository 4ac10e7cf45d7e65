#include "serviceout/webhook.h"

#include "base/json_string.h"
#include "base/log.h"

namespace steady::serviceout {

std::string RenderTemplate(const std::string& tmpl,
                           const std::map<std::string, std::string>& values) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find('{', i);
    if (open == std::string::npos) break;
    size_t close = tmpl.find('}', open + 1);
    if (close == std::string::npos) break;
    out.append(tmpl, i, open - i);
    auto it = values.find(tmpl.substr(open + 1, close - open - 1));
    if (it == values.end()) {
      out += '{';  // not a placeholder (JSON braces): keep going after it
      i = open + 1;
      continue;
    }
    AppendJsonEscaped(out, it->second);
    i = close + 1;
  }
  out.append(tmpl, i, std::string::npos);
  return out;
}

Webhook::Webhook(WebhookOptions options, net::HttpClient& http, MetricsRegistry& metrics)
    : options_(std::move(options)),
      http_(http),
      posts_(metrics.AddCounter("steady_terminator_webhook_posts_total",
                                "Webhook posts, by result (ok, failed, dropped).", {"result"})) {
  if (!options_.url.empty()) worker_ = std::jthread([this](std::stop_token s) { Loop(s); });
}

Webhook::~Webhook() {
  if (worker_.joinable()) {
    worker_.request_stop();
    cv_.notify_all();
  }
}

void Webhook::Started(const ServiceOutRequest& request, const Location& where) {
  Post(RenderTemplate(options_.start_template, {{"phase", "started"},
                                                {"instance", request.instance_id},
                                                {"cluster", where.cluster},
                                                {"trigger", TriggerName(request.trigger)},
                                                {"detail", request.detail}}));
}

void Webhook::Finished(const Outcome& o) {
  if (o.code == OutcomeCode::kNotInCluster) return;  // not ours: no noise
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(o.finished - o.started).count();
  Post(RenderTemplate(options_.end_template,
                      {{"phase", "finished"},
                       {"instance", o.instance_id},
                       {"cluster", o.cluster},
                       {"trigger", TriggerName(o.trigger)},
                       {"detail", o.detail},
                       {"outcome", OutcomeName(o.code)},
                       {"tasks", std::to_string(o.tasks.size())},
                       {"service_tasks", std::to_string(o.service_tasks_stopped)},
                       {"batch_tasks", std::to_string(o.batch_tasks_stopped)},
                       {"seconds", std::to_string(seconds)},
                       {"deadline_missed", o.deadline_missed ? "yes" : "no"},
                       {"error", o.error}}));
}

void Webhook::Post(std::string body) {
  if (options_.url.empty()) return;
  std::lock_guard lock(mu_);
  if (queue_.size() >= options_.max_queue) {
    queue_.pop_front();
    posts_.With({"dropped"}).Inc();
  }
  queue_.push_back(std::move(body));
  cv_.notify_one();
}

void Webhook::Loop(std::stop_token stop) {
  while (true) {
    std::string body;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, stop, [&] { return !queue_.empty(); });
      if (queue_.empty()) return;  // stopped with nothing left
      body = std::move(queue_.front());
      queue_.pop_front();
    }
    net::HttpRequest req{.method = "POST", .url = options_.url, .body = body};
    req.headers.Set("Content-Type", "application/json");
    req.timeout = std::chrono::seconds(5);
    auto resp = http_.Send(req);
    if (resp.ok() && resp->status / 100 == 2) {
      posts_.With({"ok"}).Inc();
    } else {
      posts_.With({"failed"}).Inc();
      LogWarn("terminator: webhook post failed",
              {{"error",
                resp.ok() ? "HTTP " + std::to_string(resp->status) : resp.status().ToString()}});
    }
  }
}

}  // namespace steady::serviceout
