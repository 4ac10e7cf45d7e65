// The fleet part of the declarative setup (region/setup.h): examples/fleet-sample.yaml brings
// up a working fleet on a ManualClock, applying twice changes nothing, changed values update
// the resources, and mistakes name their key.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "base/metrics.h"
#include "region/autoscaling_model.h"
#include "region/ec2_model.h"
#include "region/ecs_model.h"
#include "region/elbv2_model.h"
#include "region/region.h"

namespace steady::region {
namespace {

std::string ReadSample() {
  std::ifstream in(std::string(STEADY_SOURCE_DIR) + "/examples/fleet-sample.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `text` with the first `from` replaced by `to` (the test fails if it is absent).
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class FleetSetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = Region::Open(RegionOptions{}, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    sample_ = ReadSample();
    ASSERT_FALSE(sample_.empty()) << "examples/fleet-sample.yaml not found";
  }

  void RunFor(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.Advance(std::chrono::seconds(1));
      region_->TickFleet();
    }
  }

  std::vector<aws::Ec2Instance> Instances(const std::string& state) {
    std::vector<aws::Ec2Instance> out;
    auto rs = region_->ec2().DescribeInstances({});
    EXPECT_TRUE(rs.ok());
    if (!rs.ok()) return out;
    for (const auto& r : *rs)
      for (const auto& i : r.instances)
        if (i.state.name == state) out.push_back(i);
    return out;
  }

  int RunningWebTasks() {
    aws::ListTasksRequest req;
    req.cluster = "steady-sample";
    req.service_name = "web";
    auto page = region_->ecs().ListTasks(req);
    if (!page.ok() || page->arns.empty()) return 0;
    auto tasks = region_->ecs().DescribeTasks("steady-sample", page->arns);
    int n = 0;
    if (tasks.ok())
      for (const auto& t : tasks->items) n += t.last_status == "RUNNING";
    return n;
  }

  std::string WebGroupArn() {
    auto groups = region_->elbv2().DescribeTargetGroups({}, {"web"});
    return groups.ok() && !groups->empty() ? groups->front().target_group_arn : "";
  }

  aws::EcsService WebService() {
    auto d = region_->ecs().DescribeServices("steady-sample", {"web"});
    EXPECT_TRUE(d.ok() && d->items.size() == 1);
    return d.ok() && !d->items.empty() ? d->items[0] : aws::EcsService{};
  }

  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
  MetricsRegistry metrics_;
  std::unique_ptr<Region> region_;
  std::string sample_;
};

TEST_F(FleetSetupTest, SampleBringsUpAServingFleet) {
  auto applied = region_->ApplySetupYaml(sample_, "fleet-sample.yaml");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_NE(applied->find("1 clusters, 2 task definitions, 1 target groups, 1 auto scaling "
                          "groups, 1 spot fleets, 1 services"),
            std::string::npos)
      << *applied;

  RunFor(180);
  auto running = Instances("running");
  ASSERT_EQ(running.size(), 5u);
  int spot = 0;
  for (const auto& i : running) {
    spot += i.instance_lifecycle == "spot";
    EXPECT_EQ(region_->ec2().Instance(i.instance_id)->cluster, "steady-sample");
  }
  EXPECT_EQ(spot, 4);  // 1 on-demand : 4 spot
  EXPECT_EQ(RunningWebTasks(), 4);
  auto traffic = region_->elbv2().Traffic(WebGroupArn());
  ASSERT_TRUE(traffic.ok());
  EXPECT_GT(traffic->served, 0);
  EXPECT_EQ(traffic->requests_per_second, 50);
  // Traffic starts with the setup, so requests fail (503) until the first targets are healthy;
  // none fails once the service serves.
  RunFor(30);
  auto later = region_->elbv2().Traffic(WebGroupArn());
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->served - traffic->served, 30 * 50);
  EXPECT_EQ(later->failed, traffic->failed);

  // The lifecycle hook points at the terminator's queue, which got the test notification.
  auto hooks = region_->autoscaling().DescribeLifecycleHooks("steady-sample-od", {});
  ASSERT_TRUE(hooks.ok());
  ASSERT_EQ(hooks->size(), 1u);
  EXPECT_EQ(hooks->at(0).notification_target_arn,
            "arn:aws:sqs:us-east-1:000000000000:steady-terminator-events");
  EXPECT_EQ(hooks->at(0).heartbeat_timeout, 300);
  auto got = region_->sqs().ReceiveMessage(
      {.queue_url = "steady-terminator-events", .max_number_of_messages = 10});
  ASSERT_TRUE(got.ok());
  bool test_notification = false;
  for (const auto& m : *got)
    test_notification |= m.body.find("autoscaling:TEST_NOTIFICATION") != std::string::npos;
  EXPECT_TRUE(test_notification);

  // The batch family follows the model's batch convention.
  auto batch = region_->ecs().DescribeTaskDefinition("batch");
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(
      batch->container_definitions[0].environment,
      (std::vector<aws::KeyValuePair>{{"STEADY_RUN_SECONDS", "45"}, {"STEADY_EXIT_CODE", "0"}}));
}

TEST_F(FleetSetupTest, ApplyingTwiceChangesNothing) {
  ASSERT_TRUE(region_->ApplySetupYaml(sample_, "fleet-sample.yaml").ok());
  RunFor(90);
  auto again = region_->ApplySetupYaml(sample_, "fleet-sample.yaml");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_NE(again->find("(0 created or updated)"), std::string::npos) << *again;

  auto fleets = region_->ec2().DescribeSpotFleetRequests({});
  ASSERT_TRUE(fleets.ok());
  EXPECT_EQ(fleets->size(), 1u);
  aws::ListTaskDefinitionsRequest list;
  list.family_prefix = "web";
  auto web = region_->ecs().ListTaskDefinitions(list);
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->arns.size(), 1u);
  EXPECT_EQ(WebService().deployments.size(), 1u);
  auto groups = region_->autoscaling().DescribeAutoScalingGroups({});
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(groups->size(), 1u);
}

TEST_F(FleetSetupTest, ChangedValuesUpdateTheResources) {
  ASSERT_TRUE(region_->ApplySetupYaml(sample_, "fleet-sample.yaml").ok());
  std::string changed = Replace(sample_, "desired_count: 4", "desired_count: 6");
  changed = Replace(changed, "target_capacity: 4", "target_capacity: 6");
  changed = Replace(changed, "    desired: 1\n", "    desired: 2\n");
  changed = Replace(changed, "image: steady/sample-web:latest", "image: steady/sample-web:2");
  changed = Replace(changed, "requests_per_second: 50", "requests_per_second: 20");
  changed = Replace(changed, "deregistration_delay: 30s", "deregistration_delay: 45s");
  auto applied = region_->ApplySetupYaml(changed, "fleet-sample.yaml");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  // A new web revision, the service, the spot fleet, the group, traffic and the attribute.
  EXPECT_NE(applied->find("(6 created or updated)"), std::string::npos) << *applied;

  auto svc = WebService();
  EXPECT_EQ(svc.desired_count, 6);
  EXPECT_NE(svc.task_definition.find("task-definition/web:2"), std::string::npos)
      << svc.task_definition;
  auto fleets = region_->ec2().DescribeSpotFleetRequests({});
  ASSERT_TRUE(fleets.ok());
  ASSERT_EQ(fleets->size(), 1u);
  EXPECT_EQ(fleets->at(0).config.target_capacity, 6);
  auto groups = region_->autoscaling().DescribeAutoScalingGroups({"steady-sample-od"});
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ(groups->at(0).desired_capacity, 2);
  auto traffic = region_->elbv2().Traffic(WebGroupArn());
  ASSERT_TRUE(traffic.ok());
  EXPECT_EQ(traffic->requests_per_second, 20);
  auto attrs = region_->elbv2().DescribeTargetGroupAttributes(WebGroupArn());
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ(attrs->at("deregistration_delay.timeout_seconds"), "45");

  // Leaving desired_count out leaves the autoscaler's choice alone.
  aws::UpdateServiceRequest scale;
  scale.cluster = "steady-sample";
  scale.service = "web";
  scale.desired_count = 3;
  ASSERT_TRUE(region_->ecs().UpdateService(scale).ok());
  auto unmanaged =
      region_->ApplySetupYaml(Replace(changed, "    desired_count: 6\n", ""), "fleet-sample.yaml");
  ASSERT_TRUE(unmanaged.ok()) << unmanaged.status().ToString();
  EXPECT_NE(unmanaged->find("(0 created or updated)"), std::string::npos) << *unmanaged;
  EXPECT_EQ(WebService().desired_count, 3);
}

TEST_F(FleetSetupTest, ErrorsNameTheKey) {
  auto typo = region_->ApplySetupYaml(
      "clusters: [{name: c}]\nservices:\n  - name: s\n    cluster: c\n    desird_count: 1\n",
      "setup.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("services[0].desird_count"), std::string::npos)
      << typo.status().message();

  auto no_family = region_->ApplySetupYaml(
      "clusters: [{name: c}]\nservices:\n  - name: s\n    cluster: c\n    task_definition: nope\n",
      "setup.yaml");
  ASSERT_FALSE(no_family.ok());
  EXPECT_NE(no_family.status().message().find("setup.yaml:3:"), std::string::npos)
      << no_family.status().message();
  EXPECT_NE(no_family.status().message().find("task_definition nope"), std::string::npos)
      << no_family.status().message();

  ASSERT_TRUE(region_->ApplySetupYaml(sample_, "fleet-sample.yaml").ok());
  auto bad_tg = region_->ApplySetupYaml(Replace(sample_, "target_group: web", "target_group: api"),
                                        "fleet-sample.yaml");
  ASSERT_FALSE(bad_tg.ok());
  EXPECT_NE(bad_tg.status().message().find("no target group named 'api'"), std::string::npos)
      << bad_tg.status().message();

  auto respec = region_->ApplySetupYaml(
      Replace(sample_, "{type: c5.large, weight: 1}", "{type: c5.large, weight: 2}"),
      "fleet-sample.yaml");
  ASSERT_FALSE(respec.ok());
  EXPECT_NE(respec.status().message().find("only target_capacity can change"), std::string::npos)
      << respec.status().message();

  auto bad_type = region_->ApplySetupYaml(
      "auto_scaling_groups:\n  - name: g\n    instance_types: [m5.large, c5.large]\n",
      "setup.yaml");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("setup.yaml:2:"), std::string::npos)
      << bad_type.status().message();
}

}  // namespace
}  // namespace steady::region
