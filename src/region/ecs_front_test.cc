// ECS over HTTP through the region's front door: awsJson 1.1 with X-Amz-Target, ECS's shapes
// and its error bodies.
#include "region/ecs_front.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/metrics.h"
#include "net/http_client_curl.h"
#include "region/ecs_test_fixture.h"

namespace steady::region {
namespace {

using nlohmann::json;

class EcsFrontTest : public EcsTest {
 protected:
  void SetUp() override {
    FrontOptions o;
    o.listen = "127.0.0.1:0";
    // ECS's "run" bucket is shared by RunTask, StopTask, ... (as the "ecs" profile defines it).
    o.throttle["ecs:run"] = {2, 0.001};
    front_ = std::make_unique<RegionFront>(o, clock_, metrics_);
    front_->Register(ecs_->MakeFront());
    ASSERT_TRUE(front_->Start().ok());
  }
  void TearDown() override { front_->Stop(); }

  // Calls `op` and returns {status, body}.
  std::pair<int, json> Call(const std::string& op, const json& body) {
    net::HttpRequest req;
    req.method = "POST";
    req.url = front_->base_url() + "/";
    req.body = body.dump();
    req.headers.Add("Content-Type", "application/x-amz-json-1.1");
    req.headers.Add("X-Amz-Target", "AmazonEC2ContainerServiceV20141113." + op);
    auto resp = http_.Send(req);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    if (!resp.ok()) return {0, json()};
    return {resp->status, json::parse(resp->body.empty() ? "{}" : resp->body)};
  }

  MetricsRegistry metrics_;
  std::unique_ptr<RegionFront> front_;
  net::CurlHttpClient http_;
};

TEST_F(EcsFrontTest, ClusterTaskDefinitionAndRunTaskShapes) {
  auto [st, cl] = Call("CreateCluster", {{"clusterName", "c1"}});
  ASSERT_EQ(st, 200) << cl.dump();
  EXPECT_EQ(cl["cluster"]["clusterArn"], "arn:aws:ecs:us-east-1:000000000000:cluster/c1");
  EXPECT_EQ(cl["cluster"]["status"], "ACTIVE");

  json td = {{"family", "web"},
             {"containerDefinitions",
              {{{"name", "app"},
                {"image", "nginx"},
                {"cpu", 256},
                {"memory", 512},
                {"essential", true},
                {"portMappings", {{{"containerPort", 80}, {"hostPort", 0}, {"protocol", "tcp"}}}},
                {"environment", {{{"name", "A"}, {"value", "1"}}}},
                {"secrets", {{{"name", "S"}, {"valueFrom", "arn:aws:ssm:x"}}}},
                {"logConfiguration",
                 {{"logDriver", "awslogs"}, {"options", {{"awslogs-group", "g"}}}}}}}}};
  auto [st2, reg] = Call("RegisterTaskDefinition", td);
  ASSERT_EQ(st2, 200) << reg.dump();
  const json& d = reg["taskDefinition"];
  EXPECT_EQ(d["taskDefinitionArn"], "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1");
  EXPECT_EQ(d["revision"], 1);
  EXPECT_EQ(d["containerDefinitions"][0]["secrets"][0]["valueFrom"], "arn:aws:ssm:x");
  EXPECT_EQ(d["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-group"], "g");
  EXPECT_TRUE(d["registeredAt"].is_number());

  // No instances yet: ECS's error.
  auto [st3, err] = Call("RunTask", {{"cluster", "c1"}, {"taskDefinition", "web"}});
  EXPECT_EQ(st3, 400);
  EXPECT_EQ(err["__type"], "com.amazonaws.ecs#InvalidParameterException");
  EXPECT_EQ(err["message"], "No Container Instances were found in your cluster.");

  Boot("i-1", "us-east-1a", 1, 1024);
  auto [st4, run] = Call(
      "RunTask",
      {{"cluster", "c1"},
       {"taskDefinition", "web"},
       {"count", 3},
       {"overrides", {{"containerOverrides", {{{"name", "app"}, {"command", {"sleep", "1"}}}}}}}});
  ASSERT_EQ(st4, 200) << run.dump();
  ASSERT_EQ(run["tasks"].size(), 2u);  // 2 x 512 MiB fit in 1024 MiB
  const json& t = run["tasks"][0];
  EXPECT_EQ(t["lastStatus"], "PROVISIONING");
  EXPECT_EQ(t["desiredStatus"], "RUNNING");
  EXPECT_EQ(t["group"], "family:web");
  EXPECT_TRUE(t["createdAt"].is_number());
  EXPECT_EQ(t["containers"][0]["networkBindings"][0]["hostPort"], 32768);
  EXPECT_EQ(run["tasks"][1]["containers"][0]["networkBindings"][0]["hostPort"], 32769);
  EXPECT_EQ(t["overrides"]["containerOverrides"][0]["command"][1], "1");
  ASSERT_EQ(run["failures"].size(), 1u);
  EXPECT_EQ(run["failures"][0]["reason"], "RESOURCE:MEMORY");
  EXPECT_EQ(run["failures"][0]["arn"].get<std::string>().find(
                "arn:aws:ecs:us-east-1:000000000000:container-instance/c1/"),
            0u);

  auto [st5, list] = Call("ListTasks", {{"cluster", "c1"}});
  ASSERT_EQ(st5, 200);
  ASSERT_EQ(list["taskArns"].size(), 2u);
  EXPECT_TRUE(list["taskArns"][0] == t["taskArn"] || list["taskArns"][1] == t["taskArn"]);
  auto [st6, desc] =
      Call("DescribeContainerInstances", {{"cluster", "c1"}, {"containerInstances", {"i-1"}}});
  ASSERT_EQ(st6, 200) << desc.dump();
  const json& ci = desc["containerInstances"][0];
  EXPECT_EQ(ci["ec2InstanceId"], "i-1");
  EXPECT_EQ(ci["pendingTasksCount"], 2);
  EXPECT_EQ(ci["agentConnected"], true);
  bool saw_az = false;
  for (const json& a : ci["attributes"])
    if (a["name"] == "ecs.availability-zone") saw_az = a["value"] == "us-east-1a";
  EXPECT_TRUE(saw_az);
}

TEST_F(EcsFrontTest, ErrorsAndThrottling) {
  auto [s1, e1] = Call("DescribeServices", {{"cluster", "nope"}, {"services", {"x"}}});
  EXPECT_EQ(s1, 400);
  EXPECT_EQ(e1["__type"], "com.amazonaws.ecs#ClusterNotFoundException");
  EXPECT_EQ(e1["message"], "Cluster not found.");
  ASSERT_EQ(Call("CreateCluster", {{"clusterName", "c1"}}).first, 200);
  auto [s2, e2] = Call("UpdateService", {{"cluster", "c1"}, {"service", "x"}});
  EXPECT_EQ(e2["__type"], "com.amazonaws.ecs#ServiceNotFoundException");
  auto [s3, e3] = Call("DescribeTaskDefinition", {{"taskDefinition", "nope"}});
  EXPECT_EQ(e3["__type"], "com.amazonaws.ecs#ClientException");
  EXPECT_EQ(e3["message"], "Unable to describe task definition.");
  auto [s4, e4] = Call("RunTask", {{"cluster", 5}});
  EXPECT_EQ(s4, 400);
  EXPECT_EQ(e4["__type"], "com.amazonaws.ecs#InvalidParameterException");
  auto [s5, e5] = Call("NoSuchOperation", json::object());
  EXPECT_EQ(s5, 400);
  // The bad RunTask above took one of the shared bucket's 2 tokens; StopTask draws from the
  // same bucket: the third call is throttled.
  EXPECT_EQ(Call("RunTask", {{"cluster", "c1"}, {"taskDefinition", "x"}}).second["__type"],
            "com.amazonaws.ecs#ClientException");
  auto [s6, e6] = Call("StopTask", {{"cluster", "c1"}, {"task", "x"}});
  EXPECT_EQ(s6, 400);
  EXPECT_EQ(e6["__type"], "com.amazonaws.ecs#ThrottlingException");
  // Other groups are not affected.
  EXPECT_EQ(Call("DescribeTasks", {{"cluster", "c1"}, {"tasks", {"x"}}}).first, 200);
  auto [s7, e7] = Call("ListTagsForResource", {{"resourceArn", "arn:x"}});
  EXPECT_EQ(s7, 200);
  EXPECT_TRUE(e7["tags"].empty());
}

TEST_F(EcsFrontTest, ServicesOverTheWire) {
  ASSERT_EQ(Call("CreateCluster", {{"clusterName", "c1"}}).first, 200);
  Register("web", 128, 128, 80);
  Boot("i-1", "us-east-1a");
  auto [s1, created] =
      Call("CreateService",
           {{"cluster", "c1"},
            {"serviceName", "web"},
            {"taskDefinition", "web"},
            {"desiredCount", 2},
            {"deploymentConfiguration", {{"maximumPercent", 200}, {"minimumHealthyPercent", 50}}}});
  ASSERT_EQ(s1, 200) << created.dump();
  EXPECT_EQ(created["service"]["serviceArn"], "arn:aws:ecs:us-east-1:000000000000:service/c1/web");
  EXPECT_EQ(created["service"]["deployments"][0]["rolloutState"], "IN_PROGRESS");
  EXPECT_EQ(created["service"]["deploymentConfiguration"]["minimumHealthyPercent"], 50);
  Advance(std::chrono::seconds(10));
  auto [s2, d] = Call("DescribeServices", {{"cluster", "c1"}, {"services", {"web", "gone"}}});
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(d["services"][0]["runningCount"], 2);
  EXPECT_EQ(d["services"][0]["events"][0]["message"], "(service web) has reached a steady state.");
  EXPECT_TRUE(d["services"][0]["events"][0]["createdAt"].is_number());
  EXPECT_EQ(d["failures"][0]["reason"], "MISSING");
  auto [s3, l] = Call("ListServices", {{"cluster", "c1"}});
  EXPECT_EQ(l["serviceArns"].size(), 1u);
  auto [s4, c] = Call("DescribeClusters", {{"clusters", {"c1"}}});
  EXPECT_EQ(c["clusters"][0]["activeServicesCount"], 1);
  EXPECT_EQ(c["clusters"][0]["runningTasksCount"], 2);
  EXPECT_EQ(c["clusters"][0]["registeredContainerInstancesCount"], 1);
}

}  // namespace
}  // namespace steady::region
