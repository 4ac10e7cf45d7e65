// The local region's fleet services driven over HTTP through steady's own clients: EcsClient
// (awsJson1_1), Ec2Client (ec2Query), AutoScalingClient and Elbv2Client (awsQuery), against an
// in-process Region on 127.0.0.1:0 under a ManualClock. Each resource goes create → describe →
// modify → delete, and what comes back over the wire is checked against what was sent and,
// where it is cheap, against what the model answers in-process: a shape bug on either side
// (client or *_front.cc) shows up as a difference. This is what lets the terminator and the
// autoscaler be handed either the HTTP client or the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "aws/autoscaling_client.h"
#include "aws/aws_error.h"
#include "aws/credentials.h"
#include "aws/ec2_client.h"
#include "aws/ecs_client.h"
#include "aws/elbv2_client.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "net/http_client_curl.h"
#include "region/autoscaling_model.h"
#include "region/ec2_model.h"
#include "region/ecs_model.h"
#include "region/elbv2_model.h"
#include "region/region.h"

namespace steady {
namespace {

class RegionFleetClients : public ::testing::Test {
 protected:
  void SetUp() override {
    region::RegionOptions o;
    o.listen = "127.0.0.1:0";
    auto r = region::Region::Open(o, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    ASSERT_TRUE(region_->Start().ok());
    creds_ = aws::StaticCredentials({"AKIDTEST", "secret", "", std::nullopt});
    aws::TransportOptions to;
    to.endpoint = region_->endpoint();
    to.max_attempts = 1;  // backoff would sleep on the manual clock
    auto transport = [&](aws::ServiceInfo s) {
      return std::make_unique<aws::AwsTransport>(std::move(s), to, http_, *creds_, clock_,
                                                 metrics_);
    };
    ecs_transport_ = transport(aws::EcsServiceInfo());
    ec2_transport_ = transport(aws::Ec2Service());
    asg_transport_ = transport(aws::AutoScalingService());
    elb_transport_ = transport(aws::Elbv2Service());
    ecs_ = std::make_unique<aws::EcsClient>(*ecs_transport_);
    ec2_ = std::make_unique<aws::Ec2Client>(*ec2_transport_);
    asg_ = std::make_unique<aws::AutoScalingClient>(*asg_transport_);
    elb_ = std::make_unique<aws::Elbv2Client>(*elb_transport_);
  }
  void TearDown() override {
    if (region_) region_->Stop();
  }

  // Advances the clock a second at a time, ticking the fleet, until `done` or `seconds` pass.
  template <typename F>
  bool RunUntil(F done, int seconds) {
    for (int i = 0; i < seconds; ++i) {
      if (done()) return true;
      clock_.Advance(std::chrono::seconds(1));
      region_->TickFleet();
    }
    return done();
  }

  // An Auto Scaling group over HTTP whose instances join `cluster` (group tag ECS_CLUSTER).
  void Group(const std::string& name, const std::string& cluster, int desired) {
    aws::CreateAutoScalingGroupRequest g;
    g.auto_scaling_group_name = name;
    g.launch_template = aws::AsgLaunchTemplate{.launch_template_name = "m5.large"};
    g.min_size = 0;
    g.max_size = 10;
    g.desired_capacity = desired;
    g.availability_zones = {"us-east-1a", "us-east-1b"};
    g.tags = {{"ECS_CLUSTER", cluster, true}};
    Status s = asg_->CreateAutoScalingGroup(g);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::vector<std::string> ContainerInstances(const std::string& cluster) {
    aws::ListContainerInstancesRequest req;
    req.cluster = cluster;
    auto r = ecs_->ListContainerInstances(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->arns : std::vector<std::string>{};
  }

  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<region::Region> region_;
  net::CurlHttpClient http_;
  std::unique_ptr<aws::CredentialsProvider> creds_;
  std::unique_ptr<aws::AwsTransport> ecs_transport_, ec2_transport_, asg_transport_, elb_transport_;
  std::unique_ptr<aws::EcsClient> ecs_;
  std::unique_ptr<aws::Ec2Client> ec2_;
  std::unique_ptr<aws::AutoScalingClient> asg_;
  std::unique_ptr<aws::Elbv2Client> elb_;
};

TEST_F(RegionFleetClients, EcsClustersTaskDefinitionsAndTags) {
  auto c = ecs_->CreateCluster("web", {{"team", "a"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cluster_name, "web");
  EXPECT_EQ(c->status, "ACTIVE");
  EXPECT_NE(c->cluster_arn.find(":cluster/web"), std::string::npos) << c->cluster_arn;

  auto d = ecs_->DescribeClusters({"web", "nope"});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->items.size(), 1u);
  EXPECT_EQ(d->items[0].cluster_arn, c->cluster_arn);
  EXPECT_EQ(d->items[0].tags, (std::vector<aws::EcsTag>{{"team", "a"}}));
  ASSERT_EQ(d->failures.size(), 1u);
  EXPECT_EQ(d->failures[0].reason, "MISSING");

  auto list = ecs_->ListClusters({});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_NE(std::find(list->arns.begin(), list->arns.end(), c->cluster_arn), list->arns.end());

  aws::RegisterTaskDefinitionRequest td;
  td.family = "batch";
  aws::ContainerDefinition app;
  app.name = "main";
  app.image = "busybox:1";
  app.cpu = 256;
  app.memory = 512;
  app.memory_reservation = 256;
  app.essential = true;
  app.port_mappings = {{.container_port = 8080, .host_port = 0}};
  app.environment = {{"MODE", "batch"}};
  app.command = {"run", "--fast"};
  app.log_configuration = aws::LogConfiguration{"awslogs", {{"awslogs-group", "/steady"}}};
  app.secrets = {{"TOKEN", "arn:aws:ssm:us-east-1:000000000000:parameter/token"}};
  td.container_definitions = {app};
  td.tags = {{"k", "v"}};
  auto reg = ecs_->RegisterTaskDefinition(td);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ(reg->family, "batch");
  EXPECT_EQ(reg->revision, 1);
  auto reg2 = ecs_->RegisterTaskDefinition(td);
  ASSERT_TRUE(reg2.ok()) << reg2.status().ToString();
  EXPECT_EQ(reg2->revision, 2);

  auto got = ecs_->DescribeTaskDefinition("batch:1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->task_definition_arn, reg->task_definition_arn);
  EXPECT_EQ(got->network_mode, "bridge");
  ASSERT_EQ(got->container_definitions.size(), 1u);
  const aws::ContainerDefinition& back = got->container_definitions[0];
  EXPECT_EQ(back.name, "main");
  EXPECT_EQ(back.image, "busybox:1");
  EXPECT_EQ(back.cpu, 256);
  EXPECT_EQ(back.memory, 512);
  EXPECT_EQ(back.memory_reservation, 256);
  ASSERT_EQ(back.port_mappings.size(), 1u);
  EXPECT_EQ(back.port_mappings[0].container_port, 8080);
  EXPECT_EQ(back.environment, app.environment);
  EXPECT_EQ(back.command, app.command);
  ASSERT_TRUE(back.log_configuration.has_value());
  EXPECT_EQ(back.log_configuration->options, app.log_configuration->options);
  ASSERT_EQ(back.secrets.size(), 1u);
  EXPECT_EQ(back.secrets[0].value_from, app.secrets[0].value_from);
  // The model in-process says the same.
  auto in_process = region_->ecs().DescribeTaskDefinition("batch:1");
  ASSERT_TRUE(in_process.ok());
  EXPECT_EQ(in_process->registered_at, got->registered_at);

  aws::ListTaskDefinitionsRequest ltd;
  ltd.family_prefix = "batch";
  auto tds = ecs_->ListTaskDefinitions(ltd);
  ASSERT_TRUE(tds.ok()) << tds.status().ToString();
  EXPECT_EQ(tds->arns,
            (std::vector<std::string>{reg->task_definition_arn, reg2->task_definition_arn}));

  auto dereg = ecs_->DeregisterTaskDefinition("batch:1");
  ASSERT_TRUE(dereg.ok()) << dereg.status().ToString();
  EXPECT_EQ(dereg->status, "INACTIVE");
  tds = ecs_->ListTaskDefinitions(ltd);
  ASSERT_TRUE(tds.ok());
  EXPECT_EQ(tds->arns, (std::vector<std::string>{reg2->task_definition_arn}));

  ASSERT_TRUE(ecs_->TagResource(c->cluster_arn, {{"env", "test"}}).ok());
  auto tags = ecs_->ListTagsForResource(c->cluster_arn);
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  std::set<std::string> keys;
  for (const auto& t : *tags) keys.insert(t.key + "=" + t.value);
  EXPECT_EQ(keys, (std::set<std::string>{"env=test", "team=a"}));

  // ECS's errors come back as ECS's codes.
  auto missing = ecs_->DescribeServices("nope", {"x"});
  EXPECT_EQ(aws::AwsErrorCode(missing.status()), "ClusterNotFoundException")
      << missing.status().ToString();
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(RegionFleetClients, EcsInstancesTasksAndServices) {
  ASSERT_TRUE(ecs_->CreateCluster("prod", {}).ok());
  Group("prod-asg", "prod", 2);
  ASSERT_TRUE(RunUntil([&] { return ContainerInstances("prod").size() == 2; }, 300))
      << "instances did not boot into the cluster";
  std::vector<std::string> cis = ContainerInstances("prod");

  auto described = ecs_->DescribeContainerInstances("prod", cis);
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  ASSERT_EQ(described->items.size(), 2u);
  const aws::ContainerInstance& ci = described->items[0];
  EXPECT_EQ(ci.status, "ACTIVE");
  EXPECT_TRUE(ci.agent_connected);
  EXPECT_EQ(ci.ec2_instance_id.rfind("i-", 0), 0u) << ci.ec2_instance_id;
  std::map<std::string, int64_t> registered;
  for (const auto& r : ci.registered_resources) registered[r.name] = r.integer_value;
  EXPECT_EQ(registered["CPU"], 2048);  // m5.large
  EXPECT_GT(registered["MEMORY"], 7000);
  bool has_az = false;
  for (const auto& a : ci.attributes) has_az |= a.name == "ecs.availability-zone";
  EXPECT_TRUE(has_az);
  // Same figures in-process.
  auto in_process = region_->ecs().DescribeContainerInstances("prod", {ci.container_instance_arn});
  ASSERT_TRUE(in_process.ok());
  ASSERT_EQ(in_process->items.size(), 1u);
  EXPECT_EQ(in_process->items[0].registered_at, ci.registered_at);
  EXPECT_EQ(in_process->items[0].ec2_instance_id, ci.ec2_instance_id);

  aws::ListContainerInstancesRequest byid;
  byid.cluster = "prod";
  byid.filter = "ec2InstanceId in ['" + ci.ec2_instance_id + "']";
  auto filtered = ecs_->ListContainerInstances(byid);
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  EXPECT_EQ(filtered->arns, (std::vector<std::string>{ci.container_instance_arn}));

  aws::RegisterTaskDefinitionRequest td;
  td.family = "job";
  aws::ContainerDefinition app;
  app.name = "main";
  app.image = "busybox";
  app.cpu = 256;
  app.memory = 256;
  td.container_definitions = {app};
  ASSERT_TRUE(ecs_->RegisterTaskDefinition(td).ok());

  aws::RunTaskRequest run;
  run.cluster = "prod";
  run.task_definition = "job";
  run.count = 2;
  run.started_by = "e2e";
  run.placement_strategy = {{"spread", "instanceId"}};
  run.overrides = {{"main", {"sleep", "600"}, {{"A", "1"}}}};
  run.tags = {{"k", "v"}};
  auto tasks = ecs_->RunTask(run);
  ASSERT_TRUE(tasks.ok()) << tasks.status().ToString();
  ASSERT_EQ(tasks->items.size(), 2u);
  EXPECT_TRUE(tasks->failures.empty());
  EXPECT_NE(tasks->items[0].container_instance_arn, tasks->items[1].container_instance_arn);
  const std::string task = tasks->items[0].task_arn;
  EXPECT_EQ(tasks->items[0].started_by, "e2e");
  EXPECT_EQ(tasks->items[0].group, "family:job");

  // Too big to fit anywhere: RESOURCE:MEMORY, as ECS reports it.
  aws::RegisterTaskDefinitionRequest huge = td;
  huge.family = "huge";
  huge.container_definitions[0].memory = 1'000'000;
  ASSERT_TRUE(ecs_->RegisterTaskDefinition(huge).ok());
  auto nofit = ecs_->RunTask({.cluster = "prod", .task_definition = "huge"});
  ASSERT_TRUE(nofit.ok()) << nofit.status().ToString();
  EXPECT_TRUE(nofit->items.empty());
  ASSERT_FALSE(nofit->failures.empty());
  EXPECT_EQ(nofit->failures[0].reason, "RESOURCE:MEMORY");

  ASSERT_TRUE(RunUntil(
      [&] {
        auto d = ecs_->DescribeTasks("prod", {task});
        return d.ok() && d->items.size() == 1 && d->items[0].last_status == "RUNNING";
      },
      300));
  auto dt = ecs_->DescribeTasks("prod", {task});
  ASSERT_TRUE(dt.ok()) << dt.status().ToString();
  const aws::EcsTask& t = dt->items[0];
  EXPECT_TRUE(t.started_at.has_value());
  EXPECT_EQ(t.tags, (std::vector<aws::EcsTag>{{"k", "v"}}));
  ASSERT_EQ(t.containers.size(), 1u);
  EXPECT_EQ(t.containers[0].memory, 256);
  ASSERT_EQ(t.overrides.size(), 1u);
  EXPECT_EQ(t.overrides[0].command, (std::vector<std::string>{"sleep", "600"}));

  aws::ListTasksRequest lt;
  lt.cluster = "prod";
  lt.family = "job";
  auto listed = ecs_->ListTasks(lt);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->arns.size(), 2u);
  lt.family.clear();
  lt.container_instance = tasks->items[0].container_instance_arn;
  listed = ecs_->ListTasks(lt);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->arns, (std::vector<std::string>{task}));

  auto stopped = ecs_->StopTask("prod", task, "e2e says stop");
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  EXPECT_EQ(stopped->desired_status, "STOPPED");
  EXPECT_EQ(stopped->stopped_reason, "e2e says stop");

  // StartTask on a chosen instance.
  auto started = ecs_->StartTask({.cluster = "prod",
                                  .task_definition = "job",
                                  .container_instances = {cis[1]},
                                  .started_by = "e2e-start"});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_EQ(started->items.size(), 1u);
  EXPECT_EQ(started->items[0].container_instance_arn, cis[1]);

  // A service: create → describe → update → list → delete.
  aws::CreateServiceRequest svc;
  svc.cluster = "prod";
  svc.service_name = "web";
  svc.task_definition = "job";
  svc.desired_count = 1;
  svc.placement_strategy = {{"binpack", "memory"}};
  svc.placement_constraints = {{"distinctInstance", ""}};
  svc.deployment_configuration = {.maximum_percent = 150, .minimum_healthy_percent = 50};
  svc.tags = {{"svc", "web"}};
  auto created = ecs_->CreateService(svc);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->service_name, "web");
  EXPECT_EQ(created->desired_count, 1);
  EXPECT_EQ(created->deployment_configuration.maximum_percent, 150);
  EXPECT_EQ(created->deployment_configuration.minimum_healthy_percent, 50);
  ASSERT_EQ(created->placement_strategy.size(), 1u);
  EXPECT_EQ(created->placement_strategy[0].field, "memory");
  ASSERT_EQ(created->placement_constraints.size(), 1u);
  EXPECT_EQ(created->placement_constraints[0].type, "distinctInstance");
  ASSERT_FALSE(created->deployments.empty());
  EXPECT_EQ(created->deployments[0].status, "PRIMARY");

  ASSERT_TRUE(RunUntil(
      [&] {
        auto d = ecs_->DescribeServices("prod", {"web"});
        return d.ok() && d->items.size() == 1 && d->items[0].running_count == 1;
      },
      300));
  aws::UpdateServiceRequest up;
  up.cluster = "prod";
  up.service = "web";
  up.desired_count = 2;
  auto updated = ecs_->UpdateService(up);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->desired_count, 2);
  auto ds = ecs_->DescribeServices("prod", {"web", "ghost"});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ(ds->items.size(), 1u);
  EXPECT_EQ(ds->items[0].desired_count, 2);
  EXPECT_EQ(ds->items[0].tags, (std::vector<aws::EcsTag>{{"svc", "web"}}));
  EXPECT_FALSE(ds->items[0].events.empty());
  ASSERT_EQ(ds->failures.size(), 1u);
  EXPECT_EQ(ds->failures[0].reason, "MISSING");
  auto services = ecs_->ListServices("prod", {});
  ASSERT_TRUE(services.ok()) << services.status().ToString();
  EXPECT_EQ(services->arns, (std::vector<std::string>{created->service_arn}));

  // Draining an instance the ECS way.
  auto drained = ecs_->UpdateContainerInstancesState("prod", {cis[0]}, "DRAINING");
  ASSERT_TRUE(drained.ok()) << drained.status().ToString();
  ASSERT_EQ(drained->items.size(), 1u);
  EXPECT_EQ(drained->items[0].status, "DRAINING");
  aws::ListContainerInstancesRequest draining;
  draining.cluster = "prod";
  draining.status = "DRAINING";
  auto dl = ecs_->ListContainerInstances(draining);
  ASSERT_TRUE(dl.ok()) << dl.status().ToString();
  EXPECT_EQ(dl->arns, (std::vector<std::string>{cis[0]}));

  auto deleted = ecs_->DeleteService("prod", "web", true);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_NE(deleted->status, "ACTIVE");

  auto gone = ecs_->DeregisterContainerInstance("prod", cis[0], true);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_EQ(gone->container_instance_arn, cis[0]);
  EXPECT_EQ(ContainerInstances("prod").size(), 1u);
}

TEST_F(RegionFleetClients, Ec2SpotFleetAndInstances) {
  auto types = ec2_->DescribeInstanceTypes({"m5.large", "c5.xlarge"});
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  ASSERT_EQ(types->size(), 2u);
  for (const auto& t : *types) {
    auto model = region_->ec2().DescribeInstanceTypes({t.instance_type});
    ASSERT_TRUE(model.ok());
    ASSERT_EQ(model->size(), 1u);
    EXPECT_EQ(t.default_vcpus, (*model)[0].default_vcpus) << t.instance_type;
    EXPECT_EQ(t.size_in_mib, (*model)[0].size_in_mib) << t.instance_type;
  }
  auto all = ec2_->DescribeInstanceTypes({});
  ASSERT_TRUE(all.ok());
  EXPECT_GT(all->size(), 2u);

  ASSERT_TRUE(ecs_->CreateCluster("spot", {}).ok());
  aws::SpotFleetRequestConfigData c;
  c.iam_fleet_role = "arn:aws:iam::000000000000:role/fleet";
  c.target_capacity = 4;
  c.type = "maintain";
  c.allocation_strategy = "lowestPrice";
  aws::SpotFleetLaunchSpecification s;
  s.instance_type = "c5.xlarge";
  s.weighted_capacity = 2;
  s.availability_zone = "us-east-1b";
  s.user_data = "ECS_CLUSTER=spot";
  s.tags = {{"role", "spot"}};
  c.launch_specifications = {s};
  auto id = ec2_->RequestSpotFleet(c);
  ASSERT_TRUE(id.ok()) << id.status().ToString();

  auto reqs = ec2_->DescribeSpotFleetRequests({*id});
  ASSERT_TRUE(reqs.ok()) << reqs.status().ToString();
  ASSERT_EQ(reqs->size(), 1u);
  const aws::SpotFleetRequestConfig& f = (*reqs)[0];
  EXPECT_EQ(f.spot_fleet_request_id, *id);
  EXPECT_EQ(f.config.target_capacity, 4);
  EXPECT_EQ(f.config.type, "maintain");
  EXPECT_EQ(f.config.iam_fleet_role, c.iam_fleet_role);
  ASSERT_EQ(f.config.launch_specifications.size(), 1u);
  EXPECT_EQ(f.config.launch_specifications[0].instance_type, "c5.xlarge");
  EXPECT_EQ(f.config.launch_specifications[0].weighted_capacity, 2.0);
  EXPECT_EQ(f.config.launch_specifications[0].availability_zone, "us-east-1b");
  auto all_reqs = ec2_->DescribeSpotFleetRequests({});
  ASSERT_TRUE(all_reqs.ok());
  EXPECT_EQ(all_reqs->size(), 1u);

  ASSERT_TRUE(RunUntil(
      [&] {
        auto a = ec2_->DescribeSpotFleetInstances(*id);
        return a.ok() && a->size() == 2;
      },
      120));
  auto active = ec2_->DescribeSpotFleetInstances(*id);
  ASSERT_TRUE(active.ok()) << active.status().ToString();
  std::vector<std::string> ids;
  for (const auto& a : *active) {
    EXPECT_EQ(a.instance_type, "c5.xlarge");
    ids.push_back(a.instance_id);
  }

  aws::DescribeInstancesRequest di;
  di.filters = {{"instance-lifecycle", {"spot"}}, {"availability-zone", {"us-east-1b"}}};
  auto res = ec2_->DescribeInstances(di);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  std::vector<aws::Ec2Instance> instances;
  for (const auto& r : *res)
    for (const auto& i : r.instances) instances.push_back(i);
  ASSERT_EQ(instances.size(), 2u);
  for (const auto& i : instances) {
    EXPECT_EQ(i.instance_lifecycle, "spot");
    EXPECT_EQ(i.availability_zone, "us-east-1b");
    EXPECT_EQ(i.instance_type, "c5.xlarge");
    EXPECT_FALSE(i.private_ip_address.empty());
    EXPECT_FALSE(i.spot_instance_request_id.empty());
  }
  // Same instance in-process and over the wire.
  aws::DescribeInstancesRequest one;
  one.instance_ids = {ids[0]};
  auto wire = ec2_->DescribeInstances(one);
  auto model = region_->ec2().DescribeInstances(one);
  ASSERT_TRUE(wire.ok() && model.ok());
  ASSERT_EQ(wire->size(), 1u);
  ASSERT_EQ(model->size(), 1u);
  EXPECT_EQ((*wire)[0].reservation_id, (*model)[0].reservation_id);
  EXPECT_EQ((*wire)[0].instances[0].launch_time, (*model)[0].instances[0].launch_time);
  EXPECT_EQ((*wire)[0].instances[0].state.code, (*model)[0].instances[0].state.code);

  // The booted instances registered in the cluster named in the (base64) user data.
  ASSERT_TRUE(RunUntil([&] { return ContainerInstances("spot").size() == 2; }, 300));

  ASSERT_TRUE(ec2_->ModifySpotFleetRequest(*id, 6, "noTermination").ok());
  reqs = ec2_->DescribeSpotFleetRequests({*id});
  ASSERT_TRUE(reqs.ok());
  EXPECT_EQ((*reqs)[0].config.target_capacity, 6);
  ASSERT_TRUE(RunUntil(
      [&] {
        auto a = ec2_->DescribeSpotFleetInstances(*id);
        return a.ok() && a->size() == 3;
      },
      120));

  auto term = ec2_->TerminateInstances({ids[0]});
  ASSERT_TRUE(term.ok()) << term.status().ToString();
  ASSERT_EQ(term->size(), 1u);
  EXPECT_EQ((*term)[0].instance_id, ids[0]);
  EXPECT_EQ((*term)[0].previous_state.name, "running");
  EXPECT_TRUE((*term)[0].current_state.name == "shutting-down" ||
              (*term)[0].current_state.name == "terminated")
      << (*term)[0].current_state.name;

  auto cancelled = ec2_->CancelSpotFleetRequests({*id}, true);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  ASSERT_EQ(cancelled->size(), 1u);
  EXPECT_EQ((*cancelled)[0].spot_fleet_request_id, *id);
  EXPECT_EQ((*cancelled)[0].current_state, "cancelled_terminating");
  EXPECT_EQ((*cancelled)[0].previous_state, "active");

  auto unknown = ec2_->TerminateInstances({"i-0000000000000dead"});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound) << unknown.status().ToString();
  EXPECT_EQ(aws::AwsErrorCode(unknown.status()), "InvalidInstanceID.NotFound");
  auto bad_fleet = ec2_->ModifySpotFleetRequest("sfr-nope", 1, "");
  EXPECT_EQ(bad_fleet.code(), StatusCode::kNotFound) << bad_fleet.ToString();
}

// RequestSpotFleet's LaunchSpecifications.N.TagSpecificationSet.N.Tag.N.{Key,Value} (botocore's
// form, sent by Ec2Client) must reach the fleet's instances, as they do in-process.
// DISABLED until region/ec2_front.cc reads TagSpecificationSet (it drops the tags today); enable
// it with that fix.
TEST_F(RegionFleetClients, SpotFleetLaunchSpecificationTagsReachInstances) {
  aws::SpotFleetRequestConfigData c;
  c.iam_fleet_role = "arn:aws:iam::000000000000:role/fleet";
  c.target_capacity = 1;
  aws::SpotFleetLaunchSpecification s;
  s.instance_type = "m5.large";
  s.tags = {{"role", "spot"}};
  c.launch_specifications = {s};
  auto id = ec2_->RequestSpotFleet(c);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(RunUntil(
      [&] {
        auto a = ec2_->DescribeSpotFleetInstances(*id);
        return a.ok() && a->size() == 1;
      },
      120));
  auto active = ec2_->DescribeSpotFleetInstances(*id);
  ASSERT_TRUE(active.ok());
  aws::DescribeInstancesRequest di;
  di.instance_ids = {(*active)[0].instance_id};
  auto res = ec2_->DescribeInstances(di);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->size(), 1u);
  bool tagged = false;
  for (const auto& t : (*res)[0].instances[0].tags) tagged |= t.key == "role" && t.value == "spot";
  EXPECT_TRUE(tagged) << "launch specification tags did not reach the instance";
}

TEST_F(RegionFleetClients, AutoScalingGroupsAndLifecycleHooks) {
  ASSERT_TRUE(ecs_->CreateCluster("asg", {}).ok());
  aws::CreateAutoScalingGroupRequest g;
  g.auto_scaling_group_name = "mixed";
  aws::MixedInstancesPolicy m;
  m.launch_template.launch_template_name = "m5.large";
  m.overrides = {"m5.large", "c5.large"};
  m.instances_distribution = {.on_demand_base_capacity = 1,
                              .on_demand_percentage_above_base_capacity = 50,
                              .spot_allocation_strategy = "lowest-price"};
  g.mixed_instances_policy = m;
  g.min_size = 1;
  g.max_size = 6;
  g.desired_capacity = 2;
  g.availability_zones = {"us-east-1a", "us-east-1c"};
  g.vpc_zone_identifier = "subnet-1,subnet-2";
  g.tags = {{"ECS_CLUSTER", "asg", true}, {"team", "b", false}};
  Status s = asg_->CreateAutoScalingGroup(g);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(aws::AwsErrorCode(asg_->CreateAutoScalingGroup(g)), "AlreadyExists");

  auto groups = asg_->DescribeAutoScalingGroups({"mixed"});
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u);
  const aws::AutoScalingGroup& got = (*groups)[0];
  EXPECT_FALSE(got.auto_scaling_group_arn.empty());
  EXPECT_EQ(got.min_size, 1);
  EXPECT_EQ(got.max_size, 6);
  EXPECT_EQ(got.desired_capacity, 2);
  EXPECT_EQ(got.availability_zones, g.availability_zones);
  EXPECT_EQ(got.vpc_zone_identifier, "subnet-1,subnet-2");
  ASSERT_TRUE(got.mixed_instances_policy.has_value());
  EXPECT_EQ(got.mixed_instances_policy->launch_template.launch_template_name, "m5.large");
  EXPECT_EQ(got.mixed_instances_policy->overrides, m.overrides);
  EXPECT_EQ(got.mixed_instances_policy->instances_distribution.on_demand_base_capacity, 1);
  EXPECT_EQ(
      got.mixed_instances_policy->instances_distribution.on_demand_percentage_above_base_capacity,
      50);
  ASSERT_EQ(got.tags.size(), 2u);
  auto model = region_->autoscaling().DescribeAutoScalingGroups({"mixed"});
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)[0].created_time, got.created_time);

  aws::UpdateAutoScalingGroupRequest up;
  up.auto_scaling_group_name = "mixed";
  up.max_size = 8;
  up.new_instances_protected_from_scale_in = true;
  ASSERT_TRUE(asg_->UpdateAutoScalingGroup(up).ok());
  ASSERT_TRUE(asg_->SetDesiredCapacity("mixed", 3).ok());
  groups = asg_->DescribeAutoScalingGroups({});
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].max_size, 8);
  EXPECT_EQ((*groups)[0].desired_capacity, 3);
  EXPECT_TRUE((*groups)[0].new_instances_protected_from_scale_in);

  ASSERT_TRUE(RunUntil(
      [&] {
        auto i = asg_->DescribeAutoScalingInstances({});
        if (!i.ok() || i->size() != 3) return false;
        for (const auto& d : *i)
          if (d.instance.lifecycle_state != "InService") return false;
        return true;
      },
      300));
  auto instances = asg_->DescribeAutoScalingInstances({});
  ASSERT_TRUE(instances.ok()) << instances.status().ToString();
  std::vector<std::string> ids;
  for (const auto& d : *instances) {
    EXPECT_EQ(d.auto_scaling_group_name, "mixed");
    ids.push_back(d.instance.instance_id);
  }
  auto one = asg_->DescribeAutoScalingInstances({ids[0]});
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].instance.instance_id, ids[0]);

  ASSERT_TRUE(asg_->SetInstanceProtection("mixed", {ids[1]}, false).ok());
  ASSERT_TRUE(asg_->SetInstanceProtection("mixed", {ids[0]}, true).ok());
  one = asg_->DescribeAutoScalingInstances({ids[0], ids[1]});
  ASSERT_TRUE(one.ok());
  for (const auto& d : *one)
    EXPECT_EQ(d.instance.protected_from_scale_in, d.instance.instance_id == ids[0]);

  aws::LifecycleHook hook;
  hook.lifecycle_hook_name = "drain";
  hook.auto_scaling_group_name = "mixed";
  hook.heartbeat_timeout = 120;
  hook.default_result = "CONTINUE";
  hook.notification_metadata = "meta";
  ASSERT_TRUE(asg_->PutLifecycleHook(hook).ok());
  auto hooks = asg_->DescribeLifecycleHooks("mixed", {});
  ASSERT_TRUE(hooks.ok()) << hooks.status().ToString();
  ASSERT_EQ(hooks->size(), 1u);
  EXPECT_EQ((*hooks)[0].lifecycle_hook_name, "drain");
  EXPECT_EQ((*hooks)[0].lifecycle_transition, "autoscaling:EC2_INSTANCE_TERMINATING");
  EXPECT_EQ((*hooks)[0].heartbeat_timeout, 120);
  EXPECT_EQ((*hooks)[0].default_result, "CONTINUE");
  EXPECT_EQ((*hooks)[0].notification_metadata, "meta");
  EXPECT_GT((*hooks)[0].global_timeout, 0);

  auto activity = asg_->TerminateInstanceInAutoScalingGroup(ids[1], true);
  ASSERT_TRUE(activity.ok()) << activity.status().ToString();
  EXPECT_NE(activity->find(ids[1]), std::string::npos) << *activity;
  auto state = [&](const std::string& id) -> std::string {
    auto d = asg_->DescribeAutoScalingInstances({id});
    if (!d.ok() || d->empty()) return "";
    return (*d)[0].instance.lifecycle_state;
  };
  ASSERT_TRUE(RunUntil([&] { return state(ids[1]) == "Terminating:Wait"; }, 30)) << state(ids[1]);
  Status hb = asg_->RecordLifecycleActionHeartbeat("drain", "mixed", "", ids[1]);
  EXPECT_TRUE(hb.ok()) << hb.ToString();
  Status done = asg_->CompleteLifecycleAction({.lifecycle_hook_name = "drain",
                                               .auto_scaling_group_name = "mixed",
                                               .instance_id = ids[1],
                                               .lifecycle_action_result = "CONTINUE"});
  ASSERT_TRUE(done.ok()) << done.ToString();
  ASSERT_TRUE(RunUntil(
      [&] {
        std::string st = state(ids[1]);
        return st.empty() || st == "Terminated";
      },
      120))
      << state(ids[1]);
  groups = asg_->DescribeAutoScalingGroups({"mixed"});
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ((*groups)[0].desired_capacity, 2);

  Status unknown = asg_->SetDesiredCapacity("nope", 1);
  EXPECT_EQ(aws::AwsErrorCode(unknown), "ValidationError") << unknown.ToString();
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
}

TEST_F(RegionFleetClients, Elbv2TargetGroupsAndHealth) {
  aws::CreateTargetGroupRequest req;
  req.name = "web";
  req.port = 8080;
  req.vpc_id = "vpc-1";
  req.health_check_path = "/health";
  req.health_check_interval_seconds = 5;
  req.healthy_threshold_count = 2;
  req.unhealthy_threshold_count = 3;
  auto tg = elb_->CreateTargetGroup(req);
  ASSERT_TRUE(tg.ok()) << tg.status().ToString();
  EXPECT_EQ(tg->target_group_name, "web");
  EXPECT_EQ(tg->port, 8080);
  EXPECT_EQ(tg->protocol, "HTTP");
  EXPECT_EQ(tg->vpc_id, "vpc-1");
  EXPECT_EQ(tg->health_check_path, "/health");
  EXPECT_EQ(tg->health_check_interval_seconds, 5);
  EXPECT_EQ(tg->healthy_threshold_count, 2);
  EXPECT_EQ(tg->unhealthy_threshold_count, 3);
  EXPECT_EQ(tg->target_type, "instance");
  const std::string arn = tg->target_group_arn;

  auto by_name = elb_->DescribeTargetGroups({}, {"web"});
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  ASSERT_EQ(by_name->size(), 1u);
  EXPECT_EQ((*by_name)[0].target_group_arn, arn);
  auto by_arn = elb_->DescribeTargetGroups({arn}, {});
  ASSERT_TRUE(by_arn.ok());
  ASSERT_EQ(by_arn->size(), 1u);
  EXPECT_EQ((*by_arn)[0].target_group_name, "web");
  auto every = elb_->DescribeTargetGroups({}, {});
  ASSERT_TRUE(every.ok());
  EXPECT_EQ(every->size(), 1u);

  auto attrs =
      elb_->ModifyTargetGroupAttributes(arn, {{"deregistration_delay.timeout_seconds", "15"}});
  ASSERT_TRUE(attrs.ok()) << attrs.status().ToString();
  EXPECT_EQ(attrs->at("deregistration_delay.timeout_seconds"), "15");
  auto read = elb_->DescribeTargetGroupAttributes(arn);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->at("deregistration_delay.timeout_seconds"), "15");
  auto model_attrs = region_->elbv2().DescribeTargetGroupAttributes(arn);
  ASSERT_TRUE(model_attrs.ok());
  EXPECT_EQ(*model_attrs, *read);

  // Targets need running instances: two from a group.
  ASSERT_TRUE(ecs_->CreateCluster("elb", {}).ok());
  Group("elb-asg", "elb", 2);
  std::vector<std::string> ids;
  ASSERT_TRUE(RunUntil(
      [&] {
        aws::DescribeInstancesRequest di;
        di.filters = {{"instance-state-name", {"running"}}};
        auto r = ec2_->DescribeInstances(di);
        ids.clear();
        if (r.ok())
          for (const auto& res : *r)
            for (const auto& i : res.instances) ids.push_back(i.instance_id);
        return ids.size() == 2;
      },
      300));

  ASSERT_TRUE(elb_->RegisterTargets(arn, {{ids[0], 32768, ""}, {ids[1], {}, ""}}).ok());
  auto health = elb_->DescribeTargetHealth(arn, {});
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  ASSERT_EQ(health->size(), 2u);
  for (const auto& h : *health) {
    EXPECT_EQ(h.target_health.state, "initial") << h.target.id;
    EXPECT_EQ(h.target_health.reason, "Elb.RegistrationInProgress");
    ASSERT_TRUE(h.target.port.has_value());
    EXPECT_EQ(*h.target.port, h.target.id == ids[0] ? 32768 : 8080);
  }
  ASSERT_TRUE(RunUntil(
      [&] {
        auto h = elb_->DescribeTargetHealth(arn, {{ids[0], 32768, ""}});
        return h.ok() && h->size() == 1 && (*h)[0].target_health.state == "healthy";
      },
      120));

  ASSERT_TRUE(elb_->DeregisterTargets(arn, {{ids[0], 32768, ""}}).ok());
  health = elb_->DescribeTargetHealth(arn, {{ids[0], 32768, ""}});
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  ASSERT_EQ(health->size(), 1u);
  EXPECT_EQ((*health)[0].target_health.state, "draining");
  EXPECT_EQ((*health)[0].target_health.reason, "Target.DeregistrationInProgress");
  ASSERT_TRUE(RunUntil(
      [&] {
        auto h = elb_->DescribeTargetHealth(arn, {});
        return h.ok() && h->size() == 1;
      },
      60));

  ASSERT_TRUE(elb_->DeleteTargetGroup(arn).ok());
  auto after = elb_->DescribeTargetGroups({arn}, {});
  EXPECT_EQ(after.status().code(), StatusCode::kNotFound) << after.status().ToString();
  EXPECT_EQ(aws::AwsErrorCode(after.status()), "TargetGroupNotFound");
}

}  // namespace
}  // namespace steady
