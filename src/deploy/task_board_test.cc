// The task-state board: message parsing (every shape it refuses), Pump against the local
// region's SQS (stored, ignored, malformed, dead-lettered, Put failures redelivered) and Latest.
#include "deploy/task_board.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>

#include "aws/local_object_store.h"
#include "base/temp_dir.h"
#include "base/time_format.h"
#include "logs/faulty_object_store.h"
#include "region/events_model.h"
#include "region/region.h"

namespace steady::deploy {
namespace {

using nlohmann::json;

constexpr char kArn[] =
    "arn:aws:ecs:us-east-1:000000000000:task/batch/0123456789abcdef0123456789abcdef";
constexpr char kId[] = "0123456789abcdef0123456789abcdef";

json Detail(const std::string& status, int64_t version, std::optional<int> exit_code = {}) {
  json c = {{"containerArn", std::string(kArn) + "-c"},
            {"lastStatus", status},
            {"name", "app"},
            {"taskArn", kArn},
            {"cpu", "128"},
            {"memory", "256"}};
  if (exit_code) c["exitCode"] = *exit_code;
  json d = {{"taskArn", kArn},
            {"clusterArn", "arn:aws:ecs:us-east-1:000000000000:cluster/batch"},
            {"lastStatus", status},
            {"desiredStatus", status == "STOPPED" ? "STOPPED" : "RUNNING"},
            {"containers", json::array({c})},
            {"cpu", "128"},
            {"memory", "256"},
            {"version", version},
            {"createdAt", "2026-01-02T03:04:05.678Z"}};
  if (status == "STOPPED") {
    d["stopCode"] = "EssentialContainerExited";
    d["stoppedReason"] = "Essential container in task exited";
    d["stoppedAt"] = "2026-01-02T03:05:05.000Z";
  }
  return d;
}

json Event(json detail, const std::string& type = "ECS Task State Change") {
  return {{"version", "0"},
          {"id", "e-1"},
          {"detail-type", type},
          {"source", "aws.ecs"},
          {"account", "000000000000"},
          {"time", "2026-01-02T03:04:05Z"},
          {"region", "us-east-1"},
          {"resources", json::array({kArn})},
          {"detail", std::move(detail)}};
}

std::string SnsWrapped(const std::string& payload) {
  return json({{"Type", "Notification"},
               {"MessageId", "m-1"},
               {"TopicArn", "arn:aws:sns:us-east-1:000000000000:ecs"},
               {"Message", payload}})
      .dump();
}

TEST(TaskBoardParseTest, ReadsTheEventDirectSnsWrappedAndBare) {
  for (const std::string& body :
       {Event(Detail("STOPPED", 4, 3)).dump(), SnsWrapped(Event(Detail("STOPPED", 4, 3)).dump()),
        SnsWrapped(SnsWrapped(Event(Detail("STOPPED", 4, 3)).dump())),
        Detail("STOPPED", 4, 3).dump()}) {
    auto got = ParseTaskStateChangeMessage(body);
    ASSERT_TRUE(got.ok()) << got.status().ToString() << "\n" << body;
    ASSERT_TRUE(got->has_value()) << body;
    EXPECT_EQ((*got)->task_id, kId);
    EXPECT_EQ((*got)->last_status, "STOPPED");
    auto task = ParseTaskDetail((*got)->detail);
    ASSERT_TRUE(task.ok()) << task.status().ToString();
    EXPECT_EQ(task->task_arn, kArn);
    EXPECT_EQ(task->version, 4);
    EXPECT_EQ(task->stop_code, "EssentialContainerExited");
    ASSERT_EQ(task->containers.size(), 1u);
    EXPECT_EQ(task->containers[0].exit_code, 3);
    EXPECT_EQ(task->containers[0].cpu, 128);
    EXPECT_EQ(task->containers[0].memory, 256);
    ASSERT_TRUE(task->stopped_at.has_value());
    EXPECT_EQ(task->created_at, *ParseRfc3339("2026-01-02T03:04:05.678Z"));
  }
}

TEST(TaskBoardParseTest, IgnoresOtherEventsAndStatuses) {
  for (const std::string& body :
       {Event(Detail("PENDING", 2)).dump(), Event(Detail("STOPPING", 5)).dump(),
        Event(json::object(), "ECS Container Instance State Change").dump(),
        Detail("PROVISIONING", 1).dump()}) {
    auto got = ParseTaskStateChangeMessage(body);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_FALSE(got->has_value()) << body;
  }
}

TEST(TaskBoardParseTest, RejectsEveryMalformedShape) {
  auto with = [](auto&& edit) {
    json e = Event(Detail("RUNNING", 3));
    edit(e);
    return e.dump();
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "{"},
      {"array", "[1,2]"},
      {"string", "\"RUNNING\""},
      {"no detail-type, no taskArn", R"({"source":"aws.ecs"})"},
      {"detail-type number", with([](json& e) { e["detail-type"] = 7; })},
      {"no detail", with([](json& e) { e.erase("detail"); })},
      {"detail array", with([](json& e) { e["detail"] = json::array(); })},
      {"no taskArn", with([](json& e) { e["detail"].erase("taskArn"); })},
      {"taskArn number", with([](json& e) { e["detail"]["taskArn"] = 12; })},
      {"taskArn empty", with([](json& e) { e["detail"]["taskArn"] = ""; })},
      {"id not a key segment", with([](json& e) { e["detail"]["taskArn"] = "task/c/.."; })},
      {"id ends in slash", with([](json& e) { e["detail"]["taskArn"] = "task/c/"; })},
      {"no lastStatus", with([](json& e) { e["detail"].erase("lastStatus"); })},
      {"lastStatus number", with([](json& e) { e["detail"]["lastStatus"] = 1; })},
      {"containers object", with([](json& e) { e["detail"]["containers"] = json::object(); })},
      {"container string", with([](json& e) { e["detail"]["containers"] = {"app"}; })},
      {"exitCode string", with([](json& e) { e["detail"]["containers"][0]["exitCode"] = "3"; })},
      {"cpu not integer", with([](json& e) { e["detail"]["containers"][0]["cpu"] = "lots"; })},
      {"version string", with([](json& e) { e["detail"]["version"] = "3"; })},
      {"bad time", with([](json& e) { e["detail"]["createdAt"] = "yesterday"; })},
      {"SNS message not json", SnsWrapped("{oops")},
  };
  for (const auto& [name, body] : cases) {
    auto got = ParseTaskStateChangeMessage(body);
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << name << ": " << body;
  }
  EXPECT_EQ(ParseTaskDetail("[]").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseTaskDetail("{\"containers\": 1}").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseTaskDetail("").status().code(), StatusCode::kDataLoss);
}

TEST(TaskBoardParseTest, TaskIdOfTakesTheLastSegment) {
  EXPECT_EQ(TaskIdOf(kArn), kId);
  EXPECT_EQ(TaskIdOf("arn:aws:ecs:us-east-1:1:task/abc"), "abc");
  EXPECT_EQ(TaskIdOf("abc"), "abc");
}

class TaskBoardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = region::Region::Open(region::RegionOptions{}, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    auto store = aws::LocalObjectStore::Open(dir_.path() + "/store", {.fsync = false});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    local_ = std::move(*store);
    flaky_ = std::make_unique<logs::FaultyObjectStore>(*local_);
    url_ = *region_->sqs().CreateQueue("task-state", {{"VisibilityTimeout", "30"}});
    dlq_ = *region_->sqs().CreateQueue("task-state-dlq", {});
  }

  TaskBoard& Board(std::string dlq = "") {
    board_ = std::make_unique<TaskBoard>(
        region_->sqs(), *flaky_,
        TaskBoardOptions{.queue_url = url_, .wait_seconds = 0, .dead_letter_queue_url = dlq},
        metrics_);
    return *board_;
  }

  void Send(const std::string& body, const std::string& url = "") {
    ASSERT_TRUE(region_->sqs()
                    .SendMessage({.queue_url = url.empty() ? url_ : url, .message_body = body})
                    .ok());
  }

  int Attr(const std::string& url, const std::string& name) {
    auto a = region_->sqs().GetQueueAttributes(url, {name});
    return a.ok() ? std::stoi(a->at(name)) : -1;
  }

  double Messages(const std::string& result) {
    return metrics_.AddCounter("steady_oneshot_board_messages_total", "", {"result"})
        .With({result})
        .value();
  }

  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
  MetricsRegistry metrics_;
  testutil::TempDir dir_{"task-board"};
  std::unique_ptr<region::Region> region_;
  std::unique_ptr<aws::LocalObjectStore> local_;
  std::unique_ptr<logs::FaultyObjectStore> flaky_;
  std::unique_ptr<TaskBoard> board_;
  std::string url_, dlq_;
};

TEST_F(TaskBoardTest, PumpStoresRunningAndStoppedAndLatestPrefersStopped) {
  TaskBoard& board = Board();
  auto none = board.Latest(kArn);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());

  Send(Event(Detail("PENDING", 2)).dump());
  Send(Event(Detail("RUNNING", 3)).dump());
  ASSERT_EQ(board.Pump().value_or(-1), 2);
  EXPECT_TRUE(local_->Head("task-state/" + std::string(kId) + "/RUNNING").ok());
  EXPECT_EQ(local_->Head("task-state/" + std::string(kId) + "/PENDING").status().code(),
            StatusCode::kNotFound);
  auto running = board.Latest(kArn);
  ASSERT_TRUE(running.ok() && running->has_value());
  EXPECT_EQ((*running)->last_status, "RUNNING");
  EXPECT_FALSE((*running)->containers[0].exit_code.has_value());

  // STOPPED arrives SNS-wrapped; a late RUNNING redelivery after it changes nothing.
  Send(SnsWrapped(Event(Detail("STOPPED", 4, 7)).dump()));
  Send(Event(Detail("RUNNING", 3)).dump());
  ASSERT_EQ(board.Pump().value_or(-1), 2);
  auto stopped = board.Latest(kId);  // an id works as well as the ARN
  ASSERT_TRUE(stopped.ok() && stopped->has_value()) << stopped.status().ToString();
  EXPECT_EQ((*stopped)->last_status, "STOPPED");
  EXPECT_EQ((*stopped)->containers[0].exit_code, 7);
  EXPECT_EQ(Messages("stored"), 3);
  EXPECT_EQ(Messages("ignored"), 1);
  EXPECT_EQ(Attr(url_, "ApproximateNumberOfMessages") +
                Attr(url_, "ApproximateNumberOfMessagesNotVisible"),
            0);
}

TEST_F(TaskBoardTest, EventBridgeRuleDeliversIntoTheBoard) {
  auto* events = dynamic_cast<region::EventsModel*>(region_->model("events"));
  ASSERT_NE(events, nullptr);
  ASSERT_TRUE(events
                  ->PutRule({.name = "ecs-tasks", .event_pattern = R"({"source": ["aws.ecs"],
                                                   "detail-type": ["ECS Task State Change"]})"})
                  .ok());
  ASSERT_TRUE(
      events->PutTargets("ecs-tasks", "", {{.id = "q", .arn = *region_->sqs().QueueArn(url_)}})
          .ok());
  json e = Event(Detail("STOPPED", 5, 0));
  ASSERT_TRUE(events->Emit(e).ok());
  TaskBoard& board = Board();
  ASSERT_EQ(board.Pump().value_or(-1), 1);
  auto t = board.Latest(kArn);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->containers[0].exit_code, 0);
}

TEST_F(TaskBoardTest, BadMessagesAreCountedAndDeleted) {
  TaskBoard& board = Board();
  Send("not json");
  Send("[]");
  Send(Event(json::array()).dump());
  Send(Event(Detail("RUNNING", 3)).dump());
  ASSERT_EQ(board.Pump().value_or(-1), 4);
  EXPECT_EQ(Messages("malformed"), 3);
  EXPECT_EQ(Messages("stored"), 1);
  EXPECT_EQ(Attr(url_, "ApproximateNumberOfMessages") +
                Attr(url_, "ApproximateNumberOfMessagesNotVisible"),
            0);
}

TEST_F(TaskBoardTest, BadMessagesGoToTheDeadLetterQueue) {
  TaskBoard& board = Board(dlq_);
  Send("garbage");
  ASSERT_EQ(board.Pump().value_or(-1), 1);
  EXPECT_EQ(Attr(url_, "ApproximateNumberOfMessages") +
                Attr(url_, "ApproximateNumberOfMessagesNotVisible"),
            0);
  auto got = region_->sqs().ReceiveMessage(
      {.queue_url = dlq_, .max_number_of_messages = 10, .message_attribute_names = {"All"}});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].body, "garbage");
  EXPECT_EQ((*got)[0].message_attributes.at("steady-reason").string_value.rfind("malformed", 0),
            0u);

  // A message that cannot be dead-lettered stays in its queue.
  board_ = std::make_unique<TaskBoard>(
      region_->sqs(), *flaky_,
      TaskBoardOptions{.queue_url = url_,
                       .wait_seconds = 0,
                       .dead_letter_queue_url = "http://nowhere/000000000000/missing"},
      metrics_);
  Send("garbage again");
  ASSERT_EQ(board_->Pump().value_or(-1), 1);
  EXPECT_EQ(Attr(url_, "ApproximateNumberOfMessagesNotVisible"), 1);
}

TEST_F(TaskBoardTest, PutFailureKeepsTheMessageForRedelivery) {
  TaskBoard& board = Board();
  flaky_->SetDown(true);
  Send(Event(Detail("STOPPED", 4, 2)).dump());
  ASSERT_EQ(board.Pump().value_or(-1), 1);
  EXPECT_EQ(Attr(url_, "ApproximateNumberOfMessagesNotVisible"), 1);
  auto nothing = board.Latest(kArn);
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->has_value());
  EXPECT_EQ(
      metrics_.AddCounter("steady_oneshot_board_errors_total", "", {"op"}).With({"put"}).value(),
      1);

  flaky_->SetDown(false);
  ASSERT_EQ(board.Pump().value_or(-1), 0);  // still invisible
  clock_.Advance(std::chrono::seconds(31));
  ASSERT_EQ(board.Pump().value_or(-1), 1);
  auto stopped = board.Latest(kArn);
  ASSERT_TRUE(stopped.ok() && stopped->has_value());
  EXPECT_EQ((*stopped)->containers[0].exit_code, 2);
  EXPECT_EQ(Attr(url_, "ApproximateNumberOfMessages") +
                Attr(url_, "ApproximateNumberOfMessagesNotVisible"),
            0);
}

TEST_F(TaskBoardTest, LatestReportsACorruptObjectAndABadTaskName) {
  TaskBoard& board = Board();
  ASSERT_TRUE(local_->Put(board.KeyOf(kId, "STOPPED"), "{not json").ok());
  EXPECT_EQ(board.Latest(kArn).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(board.Latest("task/c/..").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TaskBoardTest, ReceiveErrorIsReturned) {
  board_ = std::make_unique<TaskBoard>(
      region_->sqs(), *flaky_,
      TaskBoardOptions{.queue_url = "http://nowhere/000000000000/missing", .wait_seconds = 0},
      metrics_);
  EXPECT_FALSE(board_->Pump().ok());
}

}  // namespace
}  // namespace steady::deploy
