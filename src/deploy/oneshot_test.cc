// Oneshot in the in-process region under a ManualClock: an Auto Scaling group backs cluster
// "batch", an EventBridge rule feeds ECS task state changes to a queue the task-state board
// pumps, and the capacity topic is read through a subscribed queue. Each Oneshot runs on its own
// thread; the test moves time only once every running Oneshot waits on the clock.
#include "deploy/oneshot.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "aws/local_object_store.h"
#include "aws/sns_envelope.h"
#include "base/temp_dir.h"
#include "region/autoscaling_model.h"
#include "region/ecs_model.h"
#include "region/events_model.h"
#include "region/region.h"
#include "region/sns_model.h"

namespace steady::deploy {
namespace {

using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;

AppDefinition App() {
  AppDefinition def;
  def.app_id = "job";
  def.scheduler.type = "oneshot";
  def.scheduler.cluster = "batch";
  def.scheduler.group_name = "batch-asg";
  def.app.name = "app";
  def.app.image = "job:1";
  def.app.cpu = 512;
  def.app.memory = 1024;
  def.log_configuration = ForwardLogConfiguration("job", kDefaultForwardAddress);
  return def;
}

std::vector<aws::KeyValuePair> Runs(int seconds, int exit_code) {
  return {{"STEADY_RUN_SECONDS", std::to_string(seconds)},
          {"STEADY_EXIT_CODE", std::to_string(exit_code)}};
}

struct Worker {
  std::unique_ptr<TaskBoard> board;
  std::unique_ptr<Oneshot> oneshot;
  std::optional<Result<aws::EcsTask>> started;
  std::optional<Result<OneshotResult>> result;
  std::vector<std::string> changes;  // on_change's statuses
  std::stop_source stop;
  std::atomic<bool> done{false};
  std::jthread thread;
};

class OneshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    region::RegionOptions ro;
    ro.boot_delay = seconds(10);
    auto r = region::Region::Open(ro, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    ASSERT_TRUE(region_->ecs().CreateCluster("batch", {}).ok());
    aws::CreateAutoScalingGroupRequest asg;
    asg.auto_scaling_group_name = "batch-asg";
    asg.launch_template = aws::AsgLaunchTemplate{.launch_template_name = "lt",
                                                 .instance_type = "m5.large",
                                                 .user_data = "ECS_CLUSTER=batch"};
    asg.min_size = 0;
    asg.max_size = 3;
    asg.desired_capacity = instances_;
    asg.availability_zones = {"us-east-1a", "us-east-1b"};
    ASSERT_TRUE(region_->autoscaling().CreateAutoScalingGroup(asg).ok());
    ASSERT_TRUE(Drive([&] { return Instances() == instances_; }, 120));

    auto td = region_->ecs().RegisterTaskDefinition(RenderTaskDefinition(App()));
    ASSERT_TRUE(td.ok()) << td.status().ToString();
    task_definition_ = td->family + ":" + std::to_string(td->revision);

    auto& sqs = region_->sqs();
    events_url_ = *sqs.CreateQueue("ecs-task-events", {});
    auto* events = dynamic_cast<region::EventsModel*>(region_->model("events"));
    ASSERT_NE(events, nullptr);
    ASSERT_TRUE(events
                    ->PutRule({.name = "ecs-tasks", .event_pattern = R"({"source": ["aws.ecs"],
                                                     "detail-type": ["ECS Task State Change"]})"})
                    .ok());
    ASSERT_TRUE(
        events->PutTargets("ecs-tasks", "", {{.id = "q", .arn = *sqs.QueueArn(events_url_)}}).ok());

    sns_ = dynamic_cast<region::SnsModel*>(region_->model("sns"));
    ASSERT_NE(sns_, nullptr);
    topic_ = *sns_->CreateTopic({.name = "capacity"});
    capacity_url_ = *sqs.CreateQueue("capacity-requests", {});
    ASSERT_TRUE(
        sns_->Subscribe(
                {.topic_arn = topic_, .protocol = "sqs", .endpoint = *sqs.QueueArn(capacity_url_)})
            .ok());

    auto store = aws::LocalObjectStore::Open(dir_.path() + "/store", {.fsync = false});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  void TearDown() override {
    // A failed assertion may leave workers waiting: stop them and let time run out.
    for (auto& w : workers_) w->stop.request_stop();
    Drive([] { return false; }, 0);
    for (int i = 0; i < 600 && active_ > 0; ++i) {
      Settle();
      clock_.Advance(seconds(1));
      region_->TickFleet();
    }
  }

  OneshotOptions Options(std::vector<aws::KeyValuePair> env) {
    OneshotOptions o;
    o.command = {"run-job", "--now"};
    o.environment = std::move(env);
    o.capacity_topic_arn = topic_;
    return o;
  }

  // Starts a Oneshot on its own thread: Start, then Wait. `queue` "" → no board.
  Worker& Launch(OneshotOptions o, const std::string& queue, AppDefinition def = App()) {
    auto w = std::make_unique<Worker>();
    if (!queue.empty())
      w->board = std::make_unique<TaskBoard>(
          region_->sqs(), *store_, TaskBoardOptions{.queue_url = queue, .wait_seconds = wait_},
          metrics_);
    w->oneshot = std::make_unique<Oneshot>(
        std::move(def), task_definition_, std::move(o),
        OneshotClients{.ecs = region_->ecs(), .sns = sns_, .board = w->board.get()}, clock_,
        metrics_);
    Worker* p = w.get();
    ++active_;
    w->thread = std::jthread([this, p] {
      p->started = p->oneshot->Start(p->stop.get_token());
      if (p->started->ok())
        p->result = p->oneshot->Wait(p->stop.get_token(), [p](const aws::EcsTask& t) {
          p->changes.push_back(t.last_status);
        });
      p->done = true;
      --active_;
    });
    workers_.push_back(std::move(w));
    return *p;
  }

  // Lets every running Oneshot reach its next wait on the clock before time moves.
  void Settle() {
    while (clock_.sleepers() < active_) std::this_thread::yield();
  }
  template <typename F>
  bool Drive(F until, int seconds_) {
    for (int i = 0; i < seconds_; ++i) {
      Settle();
      if (until()) return true;
      clock_.Advance(seconds(1));
      region_->TickFleet();
    }
    Settle();
    return until();
  }
  const OneshotResult& Finish(Worker& w, int seconds_ = 300) {
    EXPECT_TRUE(Drive([&] { return w.done.load(); }, seconds_)) << "oneshot did not finish";
    w.thread.join();
    static const OneshotResult kNone;
    if (!w.started || !w.started->ok()) {
      ADD_FAILURE() << "Start: " << (w.started ? w.started->status().ToString() : "not run");
      return kNone;
    }
    if (!w.result || !w.result->ok()) {
      ADD_FAILURE() << "Wait: " << (w.result ? w.result->status().ToString() : "not run");
      return kNone;
    }
    return **w.result;
  }

  int Instances() {
    auto page = region_->ecs().ListContainerInstances({.cluster = "batch", .status = "ACTIVE"});
    return page.ok() ? static_cast<int>(page->arns.size()) : -1;
  }

  // The capacity messages published so far (drained from the subscribed queue).
  std::vector<json> CapacityMessages() {
    for (;;) {
      auto got = region_->sqs().ReceiveMessage(
          {.queue_url = capacity_url_, .max_number_of_messages = 10, .wait_time_seconds = 0});
      EXPECT_TRUE(got.ok());
      if (!got.ok() || got->empty()) break;
      for (const auto& m : *got) {
        auto payload = aws::UnwrapSnsNotification(m.body);
        EXPECT_TRUE(payload.ok() && payload->layers == 1) << m.body;
        if (payload.ok()) capacity_.push_back(json::parse(payload->message));
        EXPECT_TRUE(region_->sqs().DeleteMessage(capacity_url_, m.receipt_handle).ok());
      }
    }
    return capacity_;
  }

  double EcsCalls(const std::string& op) {
    return metrics_.AddCounter("steady_oneshot_ecs_calls_total", "", {"op"}).With({op}).value();
  }

  int instances_ = 1;  // m5.large: 2048 CPU units
  int wait_ = 0;       // the board's long poll
  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
  MetricsRegistry metrics_;
  testutil::TempDir dir_{"oneshot"};
  std::unique_ptr<region::Region> region_;
  region::SnsModel* sns_ = nullptr;
  std::unique_ptr<aws::LocalObjectStore> store_;
  std::string task_definition_, events_url_, topic_, capacity_url_;
  std::vector<json> capacity_;
  std::atomic<int> active_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
};

TEST_F(OneshotTest, FollowsTheTaskThroughEventsWithoutDescribeTasks) {
  wait_ = 1;  // the board long-polls, as in production
  Worker& w = Launch(Options(Runs(20, 0)), events_url_);
  const OneshotResult& r = Finish(w);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.task.last_status, "STOPPED");
  EXPECT_EQ(r.task.stop_code, "EssentialContainerExited");
  EXPECT_EQ(r.describe_calls, 0);
  EXPECT_EQ(EcsCalls("DescribeTasks"), 0);
  EXPECT_EQ(r.run_attempts, 1);
  EXPECT_EQ(r.ecs_calls, 1);
  EXPECT_FALSE(r.stopped_by_us);
  EXPECT_EQ(w.changes, (std::vector<std::string>{"RUNNING", "STOPPED"}));
  ASSERT_TRUE(r.task.stopped_at && r.task.started_at);
  EXPECT_GE(*r.task.stopped_at - *r.task.started_at, seconds(20));
  // What ECS was asked: the command override on the app container, startedBy.
  auto d = region_->ecs().DescribeTasks("batch", {r.task.task_arn});
  ASSERT_TRUE(d.ok() && d->items.size() == 1);
  EXPECT_EQ(d->items[0].started_by, "steady-oneshot");
  ASSERT_EQ(d->items[0].overrides.size(), 1u);
  EXPECT_EQ(d->items[0].overrides[0].name, "app");
  EXPECT_EQ(d->items[0].overrides[0].command, (std::vector<std::string>{"run-job", "--now"}));
  EXPECT_TRUE(CapacityMessages().empty());
}

TEST_F(OneshotTest, AnswersTheAppContainersExitCode) {
  Worker& w = Launch(Options(Runs(5, 3)), events_url_);
  const OneshotResult& r = Finish(w);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.describe_calls, 0);
}

TEST_F(OneshotTest, ManyOneshotsShareOneQueueAndEachGetsItsOwnExitCode) {
  std::vector<Worker*> ws;
  for (int k = 1; k <= 3; ++k) ws.push_back(&Launch(Options(Runs(5 + 7 * k, k)), events_url_));
  for (int k = 1; k <= 3; ++k) {
    const OneshotResult& r = Finish(*ws[k - 1]);
    EXPECT_EQ(r.exit_code, k);
    EXPECT_EQ(r.describe_calls, 0);
  }
}

TEST_F(OneshotTest, PollsDescribeTasksWithoutABoard) {
  Worker& w = Launch(Options(Runs(30, 4)), "");
  const OneshotResult& r = Finish(w);
  EXPECT_EQ(r.exit_code, 4);
  // A round every 5 s over a task that lived ~34 s.
  EXPECT_GE(r.describe_calls, 6);
  EXPECT_LE(r.describe_calls, 9);
  EXPECT_EQ(r.ecs_calls, r.run_attempts + r.describe_calls);
  EXPECT_EQ(EcsCalls("DescribeTasks"), r.describe_calls);
}

TEST_F(OneshotTest, DescribesAfterEventSilenceWhenNobodyFeedsTheQueue) {
  std::string silent = *region_->sqs().CreateQueue("silent", {});
  OneshotOptions o = Options(Runs(100, 5));
  o.event_silence = seconds(30);
  Worker& w = Launch(o, silent);
  const OneshotResult& r = Finish(w);
  EXPECT_EQ(r.exit_code, 5);
  // One check per 30 s of silence over ~105 s: far fewer than polling every 5 s.
  EXPECT_GE(r.describe_calls, 3);
  EXPECT_LE(r.describe_calls, 5);
}

TEST_F(OneshotTest, StopRequestStopsTheTaskAndFollowsItToStopped) {
  Worker& w = Launch(Options(Runs(600, 0)), events_url_);
  Drive([] { return false; }, 10);
  ASSERT_FALSE(w.done);
  w.stop.request_stop();
  const OneshotResult& r = Finish(w, 60);
  EXPECT_TRUE(r.stopped_by_us);
  EXPECT_EQ(r.exit_code, 143);
  EXPECT_EQ(r.task.stopped_reason, kInterruptedReason);
  EXPECT_EQ(r.task.stop_code, "UserInitiated");
  EXPECT_EQ(EcsCalls("StopTask"), 1);
}

TEST_F(OneshotTest, TimeoutStopsTheTask) {
  OneshotOptions o = Options(Runs(600, 0));
  o.timeout = seconds(30);
  Worker& w = Launch(o, events_url_);
  const OneshotResult& r = Finish(w, 120);
  EXPECT_TRUE(r.stopped_by_us);
  EXPECT_EQ(r.exit_code, 143);
  EXPECT_EQ(r.task.stopped_reason, kTimeoutReason);
  ASSERT_TRUE(r.task.stopped_at.has_value());
  EXPECT_LT(*r.task.stopped_at - r.task.created_at, seconds(40));
}

TEST_F(OneshotTest, ResourceShortagePublishesUntilRoomIsFreed) {
  // A blocker takes every CPU unit of the one instance.
  aws::RegisterTaskDefinitionRequest blocker;
  blocker.family = "blocker";
  blocker.container_definitions = {{.name = "b", .image = "b:1", .cpu = 2048, .memory = 128}};
  ASSERT_TRUE(region_->ecs().RegisterTaskDefinition(blocker).ok());
  auto run = region_->ecs().RunTask({.cluster = "batch", .task_definition = "blocker"});
  ASSERT_TRUE(run.ok() && run->items.size() == 1);

  Worker& w = Launch(Options(Runs(5, 0)), events_url_);
  Drive([] { return false; }, 25);  // attempts at 0, 10 and 20 s
  ASSERT_FALSE(w.done);
  EXPECT_EQ(CapacityMessages().size(), 3u);
  ASSERT_TRUE(region_->ecs().StopTask("batch", run->items[0].task_arn, "make room").ok());
  const OneshotResult& r = Finish(w);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.run_attempts, 4);
  EXPECT_EQ(r.capacity_messages, 3);
  std::vector<json> msgs = CapacityMessages();
  ASSERT_EQ(msgs.size(), 3u);
  for (const json& m : msgs) {
    EXPECT_EQ(m["hako_task_id"], w.oneshot->hako_task_id());
    EXPECT_EQ(m["cluster"], "batch");
    EXPECT_EQ(m["group_name"], "batch-asg");
    EXPECT_EQ(m["cpu"], 512);
    EXPECT_EQ(m["memory"], 1024);
  }
  EXPECT_EQ(w.oneshot->hako_task_id().size(), 32u);
}

class OneshotEmptyClusterTest : public OneshotTest {
 protected:
  OneshotEmptyClusterTest() { instances_ = 0; }
};

TEST_F(OneshotEmptyClusterTest, NoInstancesPublishesUntilTheGroupScalesOut) {
  Worker& w = Launch(Options(Runs(5, 0)), events_url_);
  Drive([] { return false; }, 25);
  ASSERT_FALSE(w.done);
  ASSERT_EQ(CapacityMessages().size(), 3u);
  // What the autoscaler would do on those messages.
  ASSERT_TRUE(region_->autoscaling().SetDesiredCapacity("batch-asg", 1).ok());
  const OneshotResult& r = Finish(w);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_GE(r.run_attempts, 5);  // the instance boots in 10 s, then joins
  EXPECT_EQ(r.capacity_messages, r.run_attempts - 1);
  std::vector<json> msgs = CapacityMessages();
  ASSERT_EQ(static_cast<int>(msgs.size()), r.capacity_messages);
  for (const json& m : msgs) EXPECT_EQ(m["hako_task_id"], msgs[0]["hako_task_id"]);
}

TEST_F(OneshotEmptyClusterTest, GivesUpAfterTheCapacityTimeout) {
  OneshotOptions o = Options(Runs(5, 0));
  o.capacity_timeout = seconds(30);
  o.hako_task_id = "fixed-id";
  Worker& w = Launch(o, events_url_);
  ASSERT_TRUE(Drive([&] { return w.done.load(); }, 60));
  ASSERT_TRUE(w.started.has_value());
  EXPECT_EQ(w.started->status().code(), StatusCode::kResourceExhausted)
      << w.started->status().ToString();
  std::vector<json> msgs = CapacityMessages();
  EXPECT_EQ(msgs.size(), 4u);  // 0, 10, 20, 30 s
  for (const json& m : msgs) EXPECT_EQ(m["hako_task_id"], "fixed-id");
}

TEST_F(OneshotEmptyClusterTest, StopWhileWaitingForCapacityCancels) {
  Worker& w = Launch(Options(Runs(5, 0)), events_url_);
  Drive([] { return false; }, 12);
  w.stop.request_stop();
  // A stopped wait ends without time moving (the worker may not have run yet: sleepers() still
  // counts it, so Drive would move time ahead of it). Bounded in real time so a bug fails.
  auto give_up = std::chrono::steady_clock::now() + seconds(10);
  while (!w.done && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  ASSERT_TRUE(w.done);
  ASSERT_TRUE(w.started.has_value());
  EXPECT_EQ(w.started->status().code(), StatusCode::kCancelled);
  EXPECT_EQ(CapacityMessages().size(), 2u);  // 0 and 10 s
  EXPECT_EQ(EcsCalls("StopTask"), 0);
}

TEST_F(OneshotTest, PlacementThatCanNeverSucceedFailsAtOnce) {
  AppDefinition def = App();
  def.scheduler.placement_constraints = {{"memberOf", "attribute:ecs.instance-type == x9.huge"}};
  Worker& w = Launch(Options(Runs(5, 0)), events_url_, def);
  ASSERT_TRUE(Drive([&] { return w.done.load(); }, 5));
  ASSERT_TRUE(w.started.has_value());
  EXPECT_EQ(w.started->status().code(), StatusCode::kFailedPrecondition)
      << w.started->status().ToString();
  EXPECT_TRUE(CapacityMessages().empty());
}

TEST_F(OneshotTest, WaitBeforeStartIsAnError) {
  Oneshot o(App(), task_definition_, {}, {.ecs = region_->ecs()}, clock_, metrics_);
  EXPECT_EQ(o.Wait({}).status().code(), StatusCode::kFailedPrecondition);
}

TEST(OneshotSizeTest, TaskLevelSizesWinOverTheContainersSum) {
  aws::RegisterTaskDefinitionRequest td;
  td.container_definitions = {{.name = "a", .cpu = 256, .memory = 512},
                              {.name = "b", .cpu = 128, .memory = 256, .memory_reservation = 64}};
  EXPECT_EQ(TaskSizeOf(td).cpu, 384);
  EXPECT_EQ(TaskSizeOf(td).memory, 576);
  for (auto [cpu, memory, want_cpu, want_memory] :
       std::vector<std::tuple<std::string, std::string, int, int>>{
           {"1024", "2048", 1024, 2048},
           {"1 vCPU", "2 GB", 1024, 2048},
           {".25 vCPU", "512 MiB", 256, 512},
           {"2vcpu", "3GB", 2048, 3072},
           {"lots", "huge", 384, 576},
           {"-1", "0", 384, 576}}) {
    td.cpu = cpu;
    td.memory = memory;
    EXPECT_EQ(TaskSizeOf(td).cpu, want_cpu) << cpu;
    EXPECT_EQ(TaskSizeOf(td).memory, want_memory) << memory;
  }
}

TEST(OneshotExitCodeTest, TheAppContainerDecides) {
  aws::EcsTask t;
  t.stopped_reason = "CannotPullContainerError: no such image";
  t.containers = {{.name = "sidecar", .exit_code = 0}, {.name = "app"}};
  std::string why;
  EXPECT_EQ(AppExitCode(t, "app", &why), kNoExitCode);
  EXPECT_NE(why.find("CannotPullContainerError"), std::string::npos);
  t.containers[1].exit_code = 9;
  EXPECT_EQ(AppExitCode(t, "app", nullptr), 9);
  why.clear();
  EXPECT_EQ(AppExitCode(t, "web", &why), kNoExitCode);
  EXPECT_NE(why.find("no container named \"web\""), std::string::npos);
}

}  // namespace
}  // namespace steady::deploy
