#include "autoscaler/capacity.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "aws/sns_envelope.h"
#include "base/log.h"

namespace steady::autoscaler {

namespace {

using nlohmann::json;

// "arn:aws:ecs:us-east-1:123:cluster/prod" → "prod"; a name stays as it is.
std::string ClusterName(std::string_view cluster) {
  if (cluster.starts_with("arn:")) {
    if (size_t slash = cluster.rfind('/'); slash != std::string_view::npos)
      return std::string(cluster.substr(slash + 1));
  }
  return std::string(cluster);
}

Result<std::string> RequiredString(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return InvalidArgumentError(std::string("missing ") + key);
  if (!it->is_string()) return InvalidArgumentError(std::string(key) + " is not a string");
  std::string s = it->get<std::string>();
  if (s.empty()) return InvalidArgumentError(std::string(key) + " is empty");
  return s;
}

// cpu/memory: a positive integer, as a JSON number or a numeric string ("256").
Result<int64_t> PositiveAmount(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return InvalidArgumentError(std::string("missing ") + key);
  int64_t v = 0;
  if (it->is_number_integer()) {
    v = it->get<int64_t>();
    if (it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX)
      return InvalidArgumentError(std::string(key) + " is out of range");
  } else if (it->is_number_float()) {
    double d = it->get<double>();
    if (!(d >= 0 && d < 9e18) || d != static_cast<double>(static_cast<int64_t>(d)))
      return InvalidArgumentError(std::string(key) + " is not a whole number");
    v = static_cast<int64_t>(d);
  } else if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size())
      return InvalidArgumentError(std::string(key) + " is not a number: '" + s + "'");
  } else {
    return InvalidArgumentError(std::string(key) + " is not a number");
  }
  if (v <= 0) return InvalidArgumentError(std::string(key) + " must be > 0");
  return v;
}

}  // namespace

Result<CapacityMessage> ParseCapacityMessage(std::string_view body) {
  ASSIGN_OR_RETURN(aws::SnsPayload payload, aws::UnwrapSnsNotification(body));
  json o = json::parse(payload.message, nullptr, /*allow_exceptions=*/false);
  if (o.is_discarded())
    return InvalidArgumentError(payload.layers ? "SNS Message is not JSON" : "not JSON");
  if (!o.is_object()) return InvalidArgumentError("not a JSON object");
  CapacityMessage m;
  ASSIGN_OR_RETURN(std::string cluster, RequiredString(o, "cluster"));
  m.cluster = ClusterName(cluster);
  ASSIGN_OR_RETURN(m.request.task_id, RequiredString(o, "hako_task_id"));
  if (auto it = o.find("group_name"); it != o.end() && !it->is_null()) {
    if (!it->is_string()) return InvalidArgumentError("group_name is not a string");
    m.request.group_name = it->get<std::string>();
  }
  ASSIGN_OR_RETURN(m.request.task.cpu, PositiveAmount(o, "cpu"));
  ASSIGN_OR_RETURN(m.request.task.memory, PositiveAmount(o, "memory"));
  return m;
}

CapacityRequests::CapacityRequests(Options options, aws::Sqs* sqs, Clock& clock,
                                   MetricsRegistry& metrics)
    : options_(std::move(options)), sqs_(sqs), clock_(clock) {
  auto& messages = metrics.AddCounter(
      "steady_autoscaler_capacity_messages_total",
      "Capacity requests (RunTask failed for lack of resources), by what became of them.",
      {"result"});
  received_ = &messages.With({"added"});
  duplicates_ = &messages.With({"duplicate"});
  malformed_ = &messages.With({"malformed"});
  unwatched_ = &messages.With({"unwatched"});
  queue_errors_ = &metrics
                       .AddCounter("steady_autoscaler_capacity_queue_errors_total",
                                   "SQS calls of the capacity queue consumer that failed.")
                       .Get();
  std::set<std::string> names;
  for (const std::string& c : options_.clusters) names.insert(ClusterName(c));
  options_.clusters = std::move(names);
}

void CapacityRequests::ExpireLocked(Time now) {
  for (auto it = held_.begin(); it != held_.end();) {
    if (now - it->second.second.received >= options_.hold)
      it = held_.erase(it);
    else
      ++it;
  }
}

bool CapacityRequests::Add(CapacityMessage message) {
  std::string cluster = ClusterName(message.cluster);
  if (!options_.clusters.count(cluster)) {
    unwatched_->Inc();
    LogDebug("autoscaler: capacity request for a cluster not watched",
             {{"cluster", cluster}, {"task", message.request.task_id}});
    return false;
  }
  Time now = clock_.Now();
  if (message.request.received == Time{}) message.request.received = now;
  std::lock_guard lock(mu_);
  ExpireLocked(now);
  std::string id = message.request.task_id;
  if (held_.count(id)) {
    duplicates_->Inc();
    return false;
  }
  received_->Inc();
  held_.emplace(std::move(id), std::make_pair(std::move(cluster), std::move(message.request)));
  return true;
}

std::vector<CapacityRequest> CapacityRequests::Pending(const std::string& cluster) {
  std::string name = ClusterName(cluster);
  std::vector<CapacityRequest> out;
  {
    std::lock_guard lock(mu_);
    ExpireLocked(clock_.Now());
    for (const auto& [id, held] : held_)
      if (held.first == name) out.push_back(held.second);
  }
  std::stable_sort(out.begin(), out.end(), [](const CapacityRequest& a, const CapacityRequest& b) {
    return a.received < b.received;
  });
  return out;
}

void CapacityRequests::Done(const std::string& task_id) {
  std::lock_guard lock(mu_);
  held_.erase(task_id);
}

bool CapacityRequests::DeadLetter(const aws::SqsMessage& m, const std::string& reason) {
  if (options_.dead_letter_queue_url.empty()) return true;
  Status sent = aws::SendToDeadLetterQueue(*sqs_, options_.dead_letter_queue_url,
                                           options_.queue_url, m, reason);
  if (!sent.ok()) {
    queue_errors_->Inc();
    LogWarn("autoscaler: cannot dead-letter a capacity message; it stays in its queue",
            {{"message", m.message_id}, {"error", sent.ToString()}});
    return false;
  }
  return true;
}

Result<int> CapacityRequests::Poll() {
  if (options_.queue_url.empty() || sqs_ == nullptr) return 0;
  aws::ReceiveMessageRequest req;
  req.queue_url = options_.queue_url;
  req.max_number_of_messages = 10;
  req.wait_time_seconds = options_.wait_seconds;
  auto received = sqs_->ReceiveMessage(req);
  if (!received.ok()) {
    queue_errors_->Inc();
    return received.status();
  }
  std::vector<aws::DeleteMessageBatchEntry> done;
  for (const aws::SqsMessage& m : *received) {
    auto parsed = ParseCapacityMessage(m.body);
    if (parsed.ok()) {
      Add(std::move(*parsed));
    } else {
      malformed_->Inc();
      LogWarn("autoscaler: capacity message not understood",
              {{"queue", options_.queue_url},
               {"message", m.message_id},
               {"reason", parsed.status().message()}});
      // Left in the queue when it cannot be dead-lettered: its redrive policy takes it later.
      if (!DeadLetter(m, "malformed: " + std::string(parsed.status().message()))) continue;
    }
    done.push_back({std::to_string(done.size()), m.receipt_handle});
  }
  if (Status deleted = aws::DeleteMessages(*sqs_, options_.queue_url, done); !deleted.ok()) {
    queue_errors_->Inc();
    // Redelivered later: duplicates of held requests are not counted twice.
    LogWarn("autoscaler: cannot delete capacity messages",
            {{"queue", options_.queue_url}, {"error", deleted.ToString()}});
  }
  return static_cast<int>(received->size());
}

}  // namespace steady::autoscaler
