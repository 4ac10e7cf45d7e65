#include "aws/ecs_client.h"

#include <nlohmann/json.hpp>

#include "aws/rate_limiter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/fake_http_client.h"

namespace steady::aws {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class EcsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TransportOptions t;
    t.endpoint = "http://127.0.0.1:4566";
    t.max_attempts = 1;
    transport_ = std::make_unique<AwsTransport>(EcsServiceInfo(), t, http_, *credentials_, clock_,
                                                metrics_, &limiter_);
    client_ = std::make_unique<EcsClient>(*transport_);
  }
  void Answer(int status, std::string body) {
    http_.handler = [status, body](const net::HttpRequest&) {
      net::HttpResponse r;
      r.status = status;
      r.body = body;
      r.headers.Set("Content-Type", "application/x-amz-json-1.1");
      return r;
    };
  }
  json LastBody() {
    EXPECT_FALSE(http_.requests.empty());
    if (http_.requests.empty()) return {};
    return json::parse(http_.requests.back().body);
  }
  std::string LastTarget() { return http_.requests.back().headers.Get("X-Amz-Target"); }

  net::FakeHttpClient http_;
  ManualClock clock_;
  MetricsRegistry metrics_;
  RateLimiter limiter_{clock_};
  std::unique_ptr<CredentialsProvider> credentials_ =
      StaticCredentials({.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"});
  std::unique_ptr<AwsTransport> transport_;
  std::unique_ptr<EcsClient> client_;
};

TEST_F(EcsClientTest, RunTaskEncodesTheRequestAndReadsTasksAndFailures) {
  Answer(200, R"({"tasks":[{"taskArn":"arn:task/1","clusterArn":"arn:cluster/web",
    "taskDefinitionArn":"arn:td/batch:3","containerInstanceArn":"arn:ci/1",
    "lastStatus":"PROVISIONING","desiredStatus":"RUNNING","startedBy":"me","group":"family:batch",
    "launchType":"EC2","cpu":"256","memory":"512","availabilityZone":"us-east-1a",
    "createdAt":1700000000.5,"version":1,
    "containers":[{"containerArn":"arn:c/1","taskArn":"arn:task/1","name":"main","image":"busybox",
      "lastStatus":"PENDING","cpu":"256","memory":"512","essential":true,
      "networkBindings":[{"bindIP":"0.0.0.0","containerPort":80,"hostPort":32768,"protocol":"tcp"}]}],
    "overrides":{"containerOverrides":[{"name":"main","command":["sleep","5"]}]},
    "tags":[{"key":"k","value":"v"}]}],
    "failures":[{"arn":"arn:ci/2","reason":"RESOURCE:MEMORY"}]})");
  RunTaskRequest req;
  req.cluster = "web";
  req.task_definition = "batch:3";
  req.count = 2;
  req.started_by = "me";
  req.placement_strategy = {{"binpack", "memory"}};
  req.placement_constraints = {{"distinctInstance", ""}};
  req.overrides = {{"main", {"sleep", "5"}, {{"EXIT_CODE", "3"}}}};
  req.tags = {{"k", "v"}};
  auto r = client_->RunTask(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(LastTarget(), "AmazonEC2ContainerServiceV20141113.RunTask");
  EXPECT_EQ(http_.requests.back().headers.Get("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_THAT(http_.requests.back().headers.Get("Authorization"),
              HasSubstr("/us-east-1/ecs/aws4_request"));
  EXPECT_EQ(LastBody(), json::parse(R"({"cluster":"web","taskDefinition":"batch:3","count":2,
    "launchType":"EC2","startedBy":"me",
    "placementStrategy":[{"type":"binpack","field":"memory"}],
    "placementConstraints":[{"type":"distinctInstance"}],
    "overrides":{"containerOverrides":[{"name":"main","command":["sleep","5"],
      "environment":[{"name":"EXIT_CODE","value":"3"}]}]},
    "tags":[{"key":"k","value":"v"}]})"));
  ASSERT_EQ(r->items.size(), 1u);
  const EcsTask& t = r->items[0];
  EXPECT_EQ(t.task_arn, "arn:task/1");
  EXPECT_EQ(t.group, "family:batch");
  EXPECT_EQ(t.memory, "512");
  EXPECT_EQ(t.created_at, FromUnixNanos(1'700'000'000'500'000'000));
  ASSERT_EQ(t.containers.size(), 1u);
  EXPECT_EQ(t.containers[0].cpu, 256);
  EXPECT_EQ(t.containers[0].memory, 512);
  ASSERT_EQ(t.containers[0].network_bindings.size(), 1u);
  EXPECT_EQ(t.containers[0].network_bindings[0].host_port, 32768);
  ASSERT_EQ(t.overrides.size(), 1u);
  EXPECT_EQ(t.overrides[0].command, (std::vector<std::string>{"sleep", "5"}));
  ASSERT_EQ(r->failures.size(), 1u);
  EXPECT_EQ(r->failures[0].reason, "RESOURCE:MEMORY");
}

TEST_F(EcsClientTest, RegisterTaskDefinitionAndServices) {
  Answer(200, R"({"taskDefinition":{"taskDefinitionArn":"arn:td/web:1","family":"web",
    "revision":1,"status":"ACTIVE","networkMode":"bridge","registeredAt":1700000000,
    "containerDefinitions":[{"name":"web","image":"nginx","cpu":128,"memoryReservation":256,
      "essential":true,"portMappings":[{"containerPort":80,"hostPort":0,"protocol":"tcp"}],
      "environment":[{"name":"A","value":"1"}],
      "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"g"}},
      "secrets":[{"name":"S","valueFrom":"arn:secret"}]}]}})");
  RegisterTaskDefinitionRequest req;
  req.family = "web";
  ContainerDefinition c;
  c.name = "web";
  c.image = "nginx";
  c.cpu = 128;
  c.memory_reservation = 256;
  c.port_mappings = {{80, 0, "tcp"}};
  c.environment = {{"A", "1"}};
  c.log_configuration = LogConfiguration{"awslogs", {{"awslogs-group", "g"}}};
  c.secrets = {{"S", "arn:secret"}};
  req.container_definitions = {c};
  auto td = client_->RegisterTaskDefinition(req);
  ASSERT_TRUE(td.ok()) << td.status().ToString();
  EXPECT_EQ(LastBody(), json::parse(R"({"family":"web","containerDefinitions":[{"name":"web",
    "image":"nginx","cpu":128,"essential":true,"memoryReservation":256,
    "portMappings":[{"containerPort":80,"hostPort":0,"protocol":"tcp"}],
    "environment":[{"name":"A","value":"1"}],
    "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"g"}},
    "secrets":[{"name":"S","valueFrom":"arn:secret"}]}]})"));
  EXPECT_EQ(td->revision, 1);
  ASSERT_EQ(td->container_definitions.size(), 1u);
  EXPECT_EQ(td->container_definitions[0].memory_reservation, 256);
  EXPECT_EQ(td->container_definitions[0].secrets[0].value_from, "arn:secret");
  ASSERT_TRUE(td->container_definitions[0].log_configuration.has_value());
  EXPECT_EQ(td->container_definitions[0].log_configuration->options.at("awslogs-group"), "g");

  Answer(200, R"({"service":{"serviceArn":"arn:svc/web","serviceName":"web","desiredCount":3,
    "deploymentConfiguration":{"maximumPercent":150,"minimumHealthyPercent":50,
      "deploymentCircuitBreaker":{"enable":true,"rollback":false}},
    "deployments":[{"id":"ecs-svc/1","status":"PRIMARY","rolloutState":"IN_PROGRESS",
      "desiredCount":3,"runningCount":1,"createdAt":1700000000,"updatedAt":1700000001}],
    "events":[{"id":"e1","createdAt":1700000002,"message":"(service web) has reached a steady state."}]}})");
  UpdateServiceRequest u;
  u.cluster = "prod";
  u.service = "web";
  u.desired_count = 3;
  u.task_definition = "web:2";
  u.deployment_configuration = DeploymentConfiguration{150, 50, true, false};
  auto svc = client_->UpdateService(u);
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  EXPECT_EQ(LastTarget(), "AmazonEC2ContainerServiceV20141113.UpdateService");
  EXPECT_EQ(LastBody(), json::parse(R"({"cluster":"prod","service":"web","desiredCount":3,
    "taskDefinition":"web:2","deploymentConfiguration":{"maximumPercent":150,
    "minimumHealthyPercent":50,"deploymentCircuitBreaker":{"enable":true,"rollback":false}}})"));
  EXPECT_EQ(svc->deployment_configuration.maximum_percent, 150);
  EXPECT_TRUE(svc->deployment_configuration.circuit_breaker_enable);
  ASSERT_EQ(svc->deployments.size(), 1u);
  EXPECT_EQ(svc->deployments[0].rollout_state, "IN_PROGRESS");
  EXPECT_EQ(svc->deployments[0].running_count, 1);
  ASSERT_EQ(svc->events.size(), 1u);
  EXPECT_THAT(svc->events[0].message, HasSubstr("steady state"));
}

TEST_F(EcsClientTest, ListsAskForTheRightFiltersAndDescribesAskForTags) {
  Answer(200, R"({"taskArns":["a","b"],"nextToken":"t2"})");
  ListTasksRequest lt;
  lt.cluster = "web";
  lt.container_instance = "ci-1";
  lt.desired_status = "STOPPED";
  lt.next_token = "t1";
  lt.max_results = 50;
  auto page = client_->ListTasks(lt);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(LastBody(), json::parse(R"({"cluster":"web","containerInstance":"ci-1",
    "desiredStatus":"STOPPED","nextToken":"t1","maxResults":50})"));
  EXPECT_EQ(page->arns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(page->next_token, "t2");

  Answer(200, R"({"containerInstanceArns":["ci"]})");
  ListContainerInstancesRequest lci;
  lci.cluster = "web";
  lci.filter = "ec2InstanceId in ['i-1']";
  lci.status = "DRAINING";
  ASSERT_TRUE(client_->ListContainerInstances(lci).ok());
  EXPECT_EQ(LastBody(), json::parse(R"({"cluster":"web","filter":"ec2InstanceId in ['i-1']",
    "status":"DRAINING"})"));

  Answer(200, R"({"containerInstances":[{"containerInstanceArn":"ci","ec2InstanceId":"i-1",
    "status":"ACTIVE","agentConnected":true,"runningTasksCount":2,"pendingTasksCount":1,
    "registeredResources":[{"name":"CPU","type":"INTEGER","integerValue":2048},
      {"name":"PORTS","type":"STRINGSET","stringSetValue":["22","80"]}],
    "remainingResources":[{"name":"MEMORY","type":"INTEGER","integerValue":100}],
    "attributes":[{"name":"ecs.availability-zone","value":"us-east-1a"}],
    "registeredAt":1700000000,"tags":[{"key":"k","value":"v"}]}],
    "failures":[{"arn":"ci-2","reason":"MISSING"}]})");
  auto d = client_->DescribeContainerInstances("web", {"ci", "ci-2"});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(LastBody(), json::parse(R"({"cluster":"web","containerInstances":["ci","ci-2"],
    "include":["TAGS"]})"));
  ASSERT_EQ(d->items.size(), 1u);
  EXPECT_EQ(d->items[0].registered_resources[1].string_set_value,
            (std::vector<std::string>{"22", "80"}));
  EXPECT_EQ(d->items[0].remaining_resources[0].integer_value, 100);
  EXPECT_EQ(d->items[0].attributes[0].value, "us-east-1a");
  EXPECT_EQ(d->items[0].pending_tasks_count, 1);
  ASSERT_EQ(d->failures.size(), 1u);
  EXPECT_EQ(d->failures[0].reason, "MISSING");
}

TEST_F(EcsClientTest, CallsDrawFromTheEcsRateLimitGroups) {
  AddEcsRateLimits(limiter_, 1.0);
  std::string group(EcsLimiterGroup("RunTask"));
  ASSERT_FALSE(group.empty());
  double before = limiter_.Available(group);
  Answer(200, R"({"tasks":[],"failures":[]})");
  ASSERT_TRUE(client_->RunTask({.cluster = "c", .task_definition = "t"}).ok());
  EXPECT_LT(limiter_.Available(group), before);
}

TEST_F(EcsClientTest, ErrorsMapAndWrongShapesAreDataLoss) {
  Answer(400, R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})");
  auto r = client_->DescribeServices("nope", {"web"});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AwsErrorCode(r.status()), "ClusterNotFoundException");

  Answer(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})");
  EXPECT_EQ(client_->ListClusters({}).status().code(), StatusCode::kThrottled);

  for (const char* bad : {R"({"cluster":5})", R"({"cluster":{"clusterName":7}})", R"([])",
                          R"({"nothing":1})", "nope"}) {
    Answer(200, bad);
    EXPECT_EQ(client_->CreateCluster("c", {}).status().code(), StatusCode::kDataLoss) << bad;
  }
  Answer(200, R"({"tasks":[{"containers":[{"cpu":"lots"}]}]})");
  EXPECT_EQ(client_->DescribeTasks("c", {"t"}).status().code(), StatusCode::kDataLoss);
  Answer(200, R"({"tasks":[{"createdAt":"yesterday"}]})");
  EXPECT_EQ(client_->DescribeTasks("c", {"t"}).status().code(), StatusCode::kDataLoss);
  Answer(200, R"({"tasks":{"a":1}})");
  EXPECT_EQ(client_->DescribeTasks("c", {"t"}).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace steady::aws
