// EcsModel's EventBridge events: delivered through a rule into an SQS queue, as a consumer of
// "ECS Task State Change" / "ECS Container Instance State Change" sees them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "base/time_format.h"
#include "region/ecs_test_fixture.h"
#include "region/events_model.h"
#include "region/sqs_model.h"

namespace steady::region {
namespace {

using nlohmann::json;
using std::chrono::seconds;

class EcsEventsTest : public EcsTest {
 protected:
  EcsEventsTest() {
    sqs_ = std::make_unique<SqsModel>(*ctx_);
    events_ = std::make_unique<EventsModel>(*ctx_, *sqs_);
    ecs_->SetEvents(events_.get());
    url_ = *sqs_->CreateQueue("ecs-events", {});
    auto arn = events_->PutRule({.name = "ecs", .event_pattern = R"({"source": ["aws.ecs"]})"});
    EXPECT_TRUE(arn.ok()) << arn.status().ToString();
    auto t = events_->PutTargets("ecs", "", {{.id = "q", .arn = *sqs_->QueueArn(url_)}});
    EXPECT_TRUE(t.ok() && t->failed_entry_count == 0);
    EXPECT_TRUE(ecs_->CreateCluster("c1", {}).ok());
  }

  // Every event delivered so far (drained), optionally only those of `detail_type`.
  std::vector<json> Drain(const std::string& detail_type = "") {
    std::vector<json> out;
    for (;;) {
      auto got = sqs_->ReceiveMessage({.queue_url = url_, .max_number_of_messages = 10});
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok() || got->empty()) break;
      for (const auto& m : *got) {
        json e = json::parse(m.body);
        if (detail_type.empty() || e["detail-type"] == detail_type) out.push_back(e);
        EXPECT_TRUE(sqs_->DeleteMessage(url_, m.receipt_handle).ok());
      }
    }
    return out;
  }

  std::vector<json> TaskEvents() {
    auto v = Drain("ECS Task State Change");
    std::stable_sort(v.begin(), v.end(), [](const json& a, const json& b) {
      return a["detail"]["version"].get<int64_t>() < b["detail"]["version"].get<int64_t>();
    });
    return v;
  }
  std::vector<json> InstanceEvents() {
    auto v = Drain("ECS Container Instance State Change");
    std::stable_sort(v.begin(), v.end(), [](const json& a, const json& b) {
      return a["detail"]["version"].get<int64_t>() < b["detail"]["version"].get<int64_t>();
    });
    return v;
  }

  static void ExpectTime(const json& j, const char* key) {
    ASSERT_TRUE(j.contains(key)) << key << " in " << j.dump();
    ASSERT_TRUE(j[key].is_string()) << key;
    EXPECT_TRUE(ParseRfc3339(j[key].get<std::string>()).ok()) << j[key];
  }

  std::unique_ptr<SqsModel> sqs_;
  std::unique_ptr<EventsModel> events_;
  std::string url_;
};

TEST_F(EcsEventsTest, TaskLifecycleEmitsEachStateChangeInOrder) {
  std::string ci = Boot("i-1", "us-east-1a");
  std::string td = Register("web", 256, 512, 80, 8080);
  Drain();
  aws::RunTaskRequest req;
  req.cluster = "c1";
  req.task_definition = td;
  req.started_by = "tester";
  auto run = ecs_->RunTask(req);
  ASSERT_TRUE(run.ok() && run->items.size() == 1);
  std::string task = run->items[0].task_arn;
  Advance(seconds(5));  // PROVISIONING → PENDING (1 s) → RUNNING (3 s)
  ASSERT_TRUE(ecs_->StopTask("c1", task, "scale in").ok());
  Advance(seconds(3));  // STOPPING → STOPPED (2 s)

  auto events = TaskEvents();
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& e : events)
    got.push_back({e["detail"]["lastStatus"], e["detail"]["desiredStatus"]});
  std::vector<std::pair<std::string, std::string>> want = {{"PROVISIONING", "RUNNING"},
                                                           {"PENDING", "RUNNING"},
                                                           {"RUNNING", "RUNNING"},
                                                           {"STOPPING", "STOPPED"},
                                                           {"STOPPED", "STOPPED"}};
  EXPECT_EQ(got, want);
  ASSERT_EQ(events.size(), 5u);
  for (size_t k = 0; k < events.size(); ++k) {
    EXPECT_EQ(events[k]["detail"]["version"], static_cast<int64_t>(k + 1));
    EXPECT_EQ(events[k]["resources"], json::array({task}));
  }

  // The envelope and the detail of the last one, as the ECS developer guide shows them.
  const json& e = events.back();
  EXPECT_EQ(e["source"], "aws.ecs");
  EXPECT_EQ(e["detail-type"], "ECS Task State Change");
  EXPECT_EQ(e["version"], "0");
  EXPECT_EQ(e["account"], ctx_->account_id);
  EXPECT_EQ(e["region"], ctx_->region);
  ExpectTime(e, "time");
  const json& d = e["detail"];
  EXPECT_EQ(d["clusterArn"], ctx_->Arn("ecs", "cluster/c1"));
  EXPECT_EQ(d["taskArn"], task);
  EXPECT_EQ(d["taskDefinitionArn"], td);
  EXPECT_EQ(d["containerInstanceArn"], ci);
  EXPECT_EQ(d["availabilityZone"], "us-east-1a");
  EXPECT_EQ(d["group"], "family:web");
  EXPECT_EQ(d["startedBy"], "tester");
  EXPECT_EQ(d["launchType"], "EC2");
  EXPECT_EQ(d["cpu"], "256");
  EXPECT_EQ(d["memory"], "512");
  EXPECT_EQ(d["stopCode"], "UserInitiated");
  EXPECT_EQ(d["stoppedReason"], "scale in");
  for (const char* k : {"createdAt", "pullStartedAt", "startedAt", "stoppingAt", "stoppedAt",
                        "executionStoppedAt", "updatedAt"})
    ExpectTime(d, k);
  EXPECT_LT(d["startedAt"].get<std::string>(), d["stoppedAt"].get<std::string>());
  ASSERT_EQ(d["containers"].size(), 1u);
  const json& c = d["containers"][0];
  EXPECT_EQ(c["name"], "app");
  EXPECT_EQ(c["taskArn"], task);
  EXPECT_EQ(c["lastStatus"], "STOPPED");
  EXPECT_EQ(c["exitCode"], 143);
  EXPECT_TRUE(c["containerArn"].get<std::string>().rfind("arn:aws:ecs:", 0) == 0);
  ASSERT_EQ(c["networkBindings"].size(), 1u);
  EXPECT_EQ(
      c["networkBindings"][0],
      json(
          {{"bindIP", "0.0.0.0"}, {"containerPort", 80}, {"hostPort", 8080}, {"protocol", "tcp"}}));
  EXPECT_EQ(d["overrides"]["containerOverrides"], json::array({{{"name", "app"}}}));
  // A task not yet stopped carries no stop fields.
  EXPECT_FALSE(events[2]["detail"].contains("stopCode"));
  EXPECT_FALSE(events[2]["detail"].contains("stoppedAt"));
  EXPECT_FALSE(events[0]["detail"].contains("startedAt"));
}

TEST_F(EcsEventsTest, BatchTaskExitEmitsStoppedWithItsExitCode) {
  Boot("i-1", "us-east-1a");
  std::string td = Register("job", 128, 128);
  aws::RunTaskRequest req;
  req.cluster = "c1";
  req.task_definition = td;
  req.overrides.push_back(
      {.name = "app",
       .command = {},
       .environment = {{"STEADY_RUN_SECONDS", "10"}, {"STEADY_EXIT_CODE", "3"}}});
  ASSERT_TRUE(ecs_->RunTask(req).ok());
  Drain();
  Advance(seconds(20));
  auto events = TaskEvents();
  ASSERT_EQ(events.size(), 3u);  // PENDING, RUNNING, STOPPED (no STOPPING: the container exited)
  const json& d = events.back()["detail"];
  EXPECT_EQ(d["lastStatus"], "STOPPED");
  EXPECT_EQ(d["desiredStatus"], "STOPPED");
  EXPECT_EQ(d["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(d["containers"][0]["exitCode"], 3);
  ASSERT_EQ(d["overrides"]["containerOverrides"].size(), 1u);
  EXPECT_EQ(d["overrides"]["containerOverrides"][0]["environment"][1],
            json({{"name", "STEADY_EXIT_CODE"}, {"value", "3"}}));
}

TEST_F(EcsEventsTest, InstanceRegisterDrainAndDeregisterEmitTheirStatus) {
  std::string ci = Boot("i-1", "us-east-1b");
  auto events = InstanceEvents();
  ASSERT_EQ(events.size(), 1u);
  const json& reg = events[0];
  EXPECT_EQ(reg["source"], "aws.ecs");
  EXPECT_EQ(reg["resources"], json::array({ci}));
  const json& d = reg["detail"];
  EXPECT_EQ(d["status"], "ACTIVE");
  EXPECT_EQ(d["agentConnected"], true);
  EXPECT_EQ(d["clusterArn"], ctx_->Arn("ecs", "cluster/c1"));
  EXPECT_EQ(d["containerInstanceArn"], ci);
  EXPECT_EQ(d["ec2InstanceId"], "i-1");
  EXPECT_EQ(d["version"], 1);
  ExpectTime(d, "updatedAt");
  EXPECT_TRUE(d["versionInfo"].contains("agentVersion"));
  EXPECT_NE(std::find(d["attributes"].begin(), d["attributes"].end(),
                      json({{"name", "ecs.availability-zone"}, {"value", "us-east-1b"}})),
            d["attributes"].end());
  EXPECT_NE(std::find(d["attributes"].begin(), d["attributes"].end(),
                      json({{"name", "ecs.capability.docker-remote-api.1.19"}})),
            d["attributes"].end());
  ASSERT_EQ(d["registeredResources"].size(), 4u);
  EXPECT_EQ(d["registeredResources"][0],
            json({{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", 2048}}));
  EXPECT_EQ(d["registeredResources"][1],
            json({{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", 4096}}));
  EXPECT_EQ(d["registeredResources"][2]["type"], "STRINGSET");
  EXPECT_EQ(d["registeredResources"][2]["stringSetValue"].size(), 5u);

  // A task placed, then the instance drained: the DRAINING event shows what the task holds.
  ASSERT_TRUE(ecs_->RunTask({.cluster = "c1", .task_definition = Register("w", 512, 1024)}).ok());
  ASSERT_TRUE(ecs_->UpdateContainerInstancesState("c1", {ci}, "DRAINING").ok());
  // Setting the same status again is no change and no event.
  ASSERT_TRUE(ecs_->UpdateContainerInstancesState("c1", {ci}, "DRAINING").ok());
  events = InstanceEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["detail"]["status"], "DRAINING");
  EXPECT_EQ(events[0]["detail"]["version"], 2);
  EXPECT_EQ(events[0]["detail"]["remainingResources"][0]["integerValue"], 2048 - 512);
  EXPECT_EQ(events[0]["detail"]["remainingResources"][1]["integerValue"], 4096 - 1024);

  ASSERT_TRUE(ecs_->UpdateContainerInstancesState("c1", {ci}, "ACTIVE").ok());
  ASSERT_TRUE(ecs_->DeregisterContainerInstance("c1", ci, /*force=*/true).ok());
  events = InstanceEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["detail"]["status"], "ACTIVE");
  EXPECT_EQ(events[1]["detail"]["status"], "INACTIVE");
  EXPECT_EQ(events[1]["detail"]["agentConnected"], false);
  EXPECT_EQ(events[1]["detail"]["version"], 4);
  EXPECT_EQ(events[1]["detail"]["remainingResources"][0]["integerValue"], 2048);
}

TEST_F(EcsEventsTest, TerminatedHostStopsTasksAndDisconnectsTheAgent) {
  Boot("i-1", "us-east-1a");
  ASSERT_TRUE(ecs_->RunTask({.cluster = "c1", .task_definition = Register("w", 256, 256)}).ok());
  Advance(seconds(5));
  Drain();
  ecs_->InstanceTerminated("i-1");
  auto tasks = TaskEvents();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0]["detail"]["lastStatus"], "STOPPED");
  EXPECT_EQ(tasks[0]["detail"]["stopCode"], "TerminationNotice");
  EXPECT_EQ(tasks[0]["detail"]["stoppedReason"], "Host EC2 (instance i-1) terminated.");
  // (TaskEvents drained the instance's event too.) Terminating again changes nothing.
  ecs_->InstanceTerminated("i-1");
  EXPECT_TRUE(Drain().empty());
}

TEST_F(EcsEventsTest, InstanceTerminationEventReportsInactiveAndDisconnected) {
  std::string ci = Boot("i-1", "us-east-1a");
  Drain();
  ecs_->InstanceTerminated("i-1");
  auto events = InstanceEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["detail"]["status"], "INACTIVE");
  EXPECT_EQ(events[0]["detail"]["agentConnected"], false);
  EXPECT_EQ(events[0]["detail"]["containerInstanceArn"], ci);
}

TEST_F(EcsEventsTest, ServiceTasksEmitAndReplayEmitsNothing) {
  Boot("i-1", "us-east-1a");
  aws::CreateServiceRequest req;
  req.cluster = "c1";
  req.service_name = "web";
  req.task_definition = Register("web", 256, 256);
  req.desired_count = 2;
  ASSERT_TRUE(ecs_->CreateService(req).ok());
  Advance(seconds(6));
  auto events = TaskEvents();
  int running = 0;
  for (const auto& e : events) {
    EXPECT_EQ(e["detail"]["group"], "service:web");
    running += e["detail"]["lastStatus"] == "RUNNING";
  }
  EXPECT_EQ(running, 2);

  // Rebuilding the state from a snapshot is not a state change.
  EcsModel other(*ctx_);
  other.SetEvents(events_.get());
  ASSERT_TRUE(other.Restore(ecs_->Snapshot()).ok());
  other.Tick();
  EXPECT_TRUE(Drain().empty());
}

TEST_F(EcsEventsTest, NoEventsWithoutAnEventsModel) {
  ecs_->SetEvents(nullptr);
  Boot("i-1", "us-east-1a");
  ASSERT_TRUE(ecs_->RunTask({.cluster = "c1", .task_definition = Register("w", 256, 256)}).ok());
  Advance(seconds(5));
  EXPECT_TRUE(Drain().empty());
  EXPECT_EQ(events_->stats().events, 0u);
}

}  // namespace
}  // namespace steady::region
