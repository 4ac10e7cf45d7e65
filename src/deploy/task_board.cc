#include "deploy/task_board.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <utility>
#include <vector>

#include "aws/ecs_client.h"
#include "aws/sns_envelope.h"
#include "base/log.h"

namespace steady::deploy {

using nlohmann::json;

namespace {

constexpr char kTaskStateChange[] = "ECS Task State Change";

// A task id becomes one segment of an object key: ECS ids are hex (or older UUIDs); anything
// else in a message is refused rather than written.
bool GoodTaskId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char ch : id)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-') return false;
  return true;
}

}  // namespace

std::string TaskIdOf(std::string_view task_arn) {
  size_t slash = task_arn.rfind('/');
  return std::string(slash == std::string_view::npos ? task_arn : task_arn.substr(slash + 1));
}

Result<std::optional<TaskStateChange>> ParseTaskStateChangeMessage(std::string_view body) {
  ASSIGN_OR_RETURN(aws::SnsPayload payload, aws::UnwrapSnsNotification(body));
  json e = json::parse(payload.message, nullptr, /*allow_exceptions=*/false);
  if (e.is_discarded())
    return InvalidArgumentError(payload.layers ? "SNS Message is not JSON" : "not JSON");
  if (!e.is_object()) return InvalidArgumentError("not a JSON object");
  const json* detail = &e;  // a bare detail (InputPath "$.detail")
  if (auto dt = e.find("detail-type"); dt != e.end()) {
    if (!dt->is_string()) return InvalidArgumentError("detail-type is not a string");
    if (dt->get_ref<const std::string&>() != kTaskStateChange)
      return std::optional<TaskStateChange>();
    auto d = e.find("detail");
    if (d == e.end() || !d->is_object()) return InvalidArgumentError("detail is not an object");
    detail = &*d;
  } else if (!e.contains("taskArn")) {
    return InvalidArgumentError("neither an EventBridge event nor a task state change detail");
  }
  auto arn = detail->find("taskArn");
  if (arn == detail->end() || !arn->is_string() || arn->get_ref<const std::string&>().empty())
    return InvalidArgumentError("detail.taskArn is missing or not a string");
  auto status = detail->find("lastStatus");
  if (status == detail->end() || !status->is_string())
    return InvalidArgumentError("detail.lastStatus is missing or not a string");
  TaskStateChange out;
  out.task_id = TaskIdOf(arn->get_ref<const std::string&>());
  if (!GoodTaskId(out.task_id))
    return InvalidArgumentError("detail.taskArn does not end in a task id");
  out.last_status = status->get<std::string>();
  if (out.last_status != "RUNNING" && out.last_status != "STOPPED")
    return std::optional<TaskStateChange>();
  out.detail = detail->dump();
  // The object must read back as a task: refuse now what Latest could not parse later.
  if (auto task = aws::ParseEcsTaskJson(out.detail); !task.ok())
    return InvalidArgumentError("detail: " + task.status().message());
  return std::optional<TaskStateChange>(std::move(out));
}

Result<aws::EcsTask> ParseTaskDetail(std::string_view detail) {
  return aws::ParseEcsTaskJson(detail);
}

TaskBoard::TaskBoard(aws::Sqs& sqs, aws::ObjectStore& store, TaskBoardOptions options,
                     MetricsRegistry& metrics)
    : sqs_(sqs), store_(store), options_(std::move(options)) {
  auto& messages = metrics.AddCounter(
      "steady_oneshot_board_messages_total",
      "Task-state board queue messages, by what became of them (stored, ignored, malformed).",
      {"result"});
  stored_ = &messages.With({"stored"});
  ignored_ = &messages.With({"ignored"});
  malformed_ = &messages.With({"malformed"});
  auto& errors = metrics.AddCounter("steady_oneshot_board_errors_total",
                                    "Task-state board calls that failed, by call.", {"op"});
  receive_errors_ = &errors.With({"receive"});
  put_errors_ = &errors.With({"put"});
  delete_errors_ = &errors.With({"delete"});
  dead_letter_errors_ = &errors.With({"dead_letter"});
}

std::string TaskBoard::KeyOf(const std::string& task_id, const std::string& status) const {
  return options_.prefix + task_id + "/" + status;
}

bool TaskBoard::DeadLetter(const aws::SqsMessage& m, const std::string& reason) {
  if (options_.dead_letter_queue_url.empty()) return true;
  Status sent = aws::SendToDeadLetterQueue(sqs_, options_.dead_letter_queue_url, options_.queue_url,
                                           m, reason);
  if (!sent.ok()) {
    dead_letter_errors_->Inc();
    LogWarn("oneshot: cannot dead-letter a task-state message; it stays in its queue",
            {{"message", m.message_id}, {"error", sent.ToString()}});
    return false;
  }
  return true;
}

Result<int> TaskBoard::Pump(std::stop_token stop) {
  aws::ReceiveMessageRequest req;
  req.queue_url = options_.queue_url;
  req.max_number_of_messages = 10;
  req.wait_time_seconds = options_.wait_seconds;
  auto received = sqs_.ReceiveMessage(req, stop);
  if (!received.ok()) {
    receive_errors_->Inc();
    return received.status();
  }
  std::vector<aws::DeleteMessageBatchEntry> done;
  for (const aws::SqsMessage& m : *received) {
    auto parsed = ParseTaskStateChangeMessage(m.body);
    if (!parsed.ok()) {
      malformed_->Inc();
      LogWarn("oneshot: task-state message not understood",
              {{"queue", options_.queue_url},
               {"message", m.message_id},
               {"reason", parsed.status().message()}});
      if (!DeadLetter(m, "malformed: " + parsed.status().message())) continue;
    } else if (!parsed->has_value()) {
      ignored_->Inc();
    } else {
      const TaskStateChange& change = **parsed;
      if (Status put = store_.Put(KeyOf(change.task_id, change.last_status), change.detail);
          !put.ok()) {
        // Left in the queue: it shows again after its visibility timeout.
        put_errors_->Inc();
        LogWarn(
            "oneshot: cannot store a task state; the message stays in the queue",
            {{"task", change.task_id}, {"status", change.last_status}, {"error", put.ToString()}});
        continue;
      }
      stored_->Inc();
    }
    done.push_back({std::to_string(done.size()), m.receipt_handle});
  }
  if (Status deleted = aws::DeleteMessages(sqs_, options_.queue_url, done); !deleted.ok()) {
    // Redelivered later; storing the same state again is harmless.
    delete_errors_->Inc();
    LogWarn("oneshot: cannot delete task-state messages",
            {{"queue", options_.queue_url}, {"error", deleted.ToString()}});
  }
  return static_cast<int>(received->size());
}

Result<std::optional<aws::EcsTask>> TaskBoard::Latest(const std::string& task) {
  std::string id = TaskIdOf(task);
  if (!GoodTaskId(id)) return InvalidArgumentError("not a task ARN or id: " + task);
  for (const char* status : {"STOPPED", "RUNNING"}) {
    auto got = store_.Get(KeyOf(id, status));
    if (!got.ok()) {
      if (got.status().code() == StatusCode::kNotFound) continue;
      return got.status();
    }
    ASSIGN_OR_RETURN(aws::EcsTask t, ParseTaskDetail(*got));
    return std::optional<aws::EcsTask>(std::move(t));
  }
  return std::optional<aws::EcsTask>();
}

}  // namespace steady::deploy
