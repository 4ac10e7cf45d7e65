// AWS/ECS metrics: EcsModel::ClusterReservation and EcsMetrics publishing into CloudWatch on
// the manual clock, read back with GetMetricStatistics / GetMetricData.
#include "region/ecs_metrics.h"

#include <gtest/gtest.h>

#include "region/cloudwatch_model.h"
#include "region/ecs_test_fixture.h"

namespace steady::region {
namespace {

using std::chrono::seconds;

class EcsMetricsTest : public EcsTest {
 protected:
  EcsMetricsTest() {
    cw_ = std::make_unique<CloudWatchModel>(*ctx_);
    metrics_ = std::make_unique<EcsMetrics>(*ecs_, *cw_, clock_);
    EXPECT_TRUE(ecs_->CreateCluster("c1", {}).ok());
  }

  // A task definition of `cpu` units and `memory` MiB whose tasks use `cpu_util` percent of
  // their CPU (the utilisation stand-in).
  std::string RegisterBusy(const std::string& family, int cpu, int memory, int cpu_util) {
    aws::RegisterTaskDefinitionRequest req;
    req.family = family;
    aws::ContainerDefinition cd;
    cd.name = "app";
    cd.image = "nginx";
    cd.cpu = cpu;
    cd.memory = memory;
    cd.environment = {{"STEADY_CPU_UTILIZATION", std::to_string(cpu_util)}};
    req.container_definitions.push_back(cd);
    auto td = ecs_->RegisterTaskDefinition(req);
    EXPECT_TRUE(td.ok()) << td.status().ToString();
    return td.ok() ? td->task_definition_arn : "";
  }

  void CreateService(const std::string& name, const std::string& td, int count) {
    aws::CreateServiceRequest req;
    req.cluster = "c1";
    req.service_name = name;
    req.task_definition = td;
    req.desired_count = count;
    auto s = ecs_->CreateService(req);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
  }

  // Advances the clock second by second, ticking the model and the metrics like the region.
  void Run(Duration d) {
    for (Duration t{}; t < d; t += seconds(1)) {
      clock_.Advance(seconds(1));
      ecs_->Tick();
      metrics_->Tick();
    }
  }

  std::vector<aws::Datapoint> Stats(const std::string& metric, std::vector<aws::Dimension> dims) {
    aws::GetMetricStatisticsRequest req;
    req.namespace_ = "AWS/ECS";
    req.metric_name = metric;
    req.dimensions = std::move(dims);
    req.start_time = start_ - seconds(600);
    req.end_time = clock_.Now() + seconds(60);
    req.period = 60;
    req.statistics = {"Average", "SampleCount"};
    auto r = cw_->GetMetricStatistics(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->datapoints : std::vector<aws::Datapoint>{};
  }

  Time start_ = clock_.Now();  // 1,700,000,000 s: 20 s into a minute
  std::unique_ptr<CloudWatchModel> cw_;
  std::unique_ptr<EcsMetrics> metrics_;
};

TEST_F(EcsMetricsTest, ClusterReservationCountsActiveAndDrainingInstancesOnly) {
  Boot("i-1", "us-east-1a");  // 2048 CPU, 4096 MiB each
  std::string b = Boot("i-2", "us-east-1b");
  CreateService("web", RegisterBusy("web", 512, 1024, 50), 2);
  Run(seconds(6));
  Boot("i-3", "us-east-1c");
  ASSERT_TRUE(ecs_->UpdateContainerInstancesState("c1", {b}, "DRAINING").ok());
  ecs_->InstanceTerminated("i-3");

  auto all = ecs_->ClusterReservation();
  ASSERT_EQ(all.size(), 1u);
  const auto& c = all[0];
  EXPECT_EQ(c.cluster_name, "c1");
  EXPECT_EQ(c.instances, 2);  // i-3 is INACTIVE; i-2 DRAINING still counts
  EXPECT_EQ(c.registered_cpu, 2 * 2048);
  EXPECT_EQ(c.registered_memory, 2 * 4096);
  EXPECT_EQ(c.registered_cpu - c.remaining_cpu, 2 * 512);
  EXPECT_EQ(c.registered_memory - c.remaining_memory, 2 * 1024);
  EXPECT_DOUBLE_EQ(c.used_cpu, 512.0);  // half of what the two tasks reserve
  EXPECT_DOUBLE_EQ(c.used_memory, 2048.0);
  ASSERT_EQ(c.services.size(), 1u);
  EXPECT_EQ(c.services[0].service_name, "web");
  EXPECT_EQ(c.services[0].running, 2);
  EXPECT_EQ(c.services[0].reserved_cpu, 1024);
  EXPECT_DOUBLE_EQ(c.services[0].used_cpu, 512.0);
  EXPECT_DOUBLE_EQ(c.services[0].used_memory, 2048.0);
}

TEST_F(EcsMetricsTest, PublishesReservationAndUtilizationOncePerMinute) {
  Boot("i-1", "us-east-1a");
  Boot("i-2", "us-east-1b");
  CreateService("web", RegisterBusy("web", 512, 1024, 50), 2);
  Run(seconds(30));  // no minute boundary yet (it is at +40 s)
  EXPECT_EQ(metrics_->published(), 0u);
  Run(seconds(100));  // boundaries at +40 s and +100 s
  // Per boundary: 4 cluster metrics and 2 for the service.
  EXPECT_EQ(metrics_->published(), 12u);

  const std::vector<aws::Dimension> cluster = {{"ClusterName", "c1"}};
  for (const char* m : {"CPUReservation", "MemoryReservation", "MemoryUtilization"}) {
    auto dps = Stats(m, cluster);
    ASSERT_EQ(dps.size(), 2u) << m;
    for (const auto& dp : dps) {
      EXPECT_DOUBLE_EQ(*dp.average, 25.0) << m;  // 2 × 512 of 4096; 2 × 1024 of 8192
      EXPECT_EQ(*dp.sample_count, 1.0) << m;
      EXPECT_EQ(dp.unit, "Percent");
    }
    // Stamped with the start of the minute that ended.
    EXPECT_EQ(dps[0].timestamp, start_ - seconds(20)) << m;
    EXPECT_EQ(dps[1].timestamp, start_ + seconds(40)) << m;
  }
  auto cpu = Stats("CPUUtilization", cluster);
  ASSERT_EQ(cpu.size(), 2u);
  EXPECT_DOUBLE_EQ(*cpu[1].average, 12.5);  // the tasks use half of what they reserve

  // GetMetricData, with the per-service dimensions.
  aws::GetMetricDataRequest req;
  req.start_time = start_ - seconds(600);
  req.end_time = clock_.Now() + seconds(60);
  req.scan_by = "TimestampAscending";
  auto query = [](const std::string& id, const std::string& metric,
                  std::vector<aws::Dimension> dims) {
    aws::MetricDataQuery q;
    q.id = id;
    q.metric_stat = aws::MetricStat{
        .metric = {.namespace_ = "AWS/ECS", .metric_name = metric, .dimensions = std::move(dims)},
        .period = 60,
        .stat = "Average"};
    return q;
  };
  req.metric_data_queries = {
      query("mem", "MemoryReservation", cluster),
      query("svccpu", "CPUUtilization", {{"ClusterName", "c1"}, {"ServiceName", "web"}}),
      query("svcmem", "MemoryUtilization", {{"ClusterName", "c1"}, {"ServiceName", "web"}})};
  auto got = cw_->GetMetricData(req);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->metric_data_results.size(), 3u);
  EXPECT_EQ(got->metric_data_results[0].values, (std::vector<double>{25.0, 25.0}));
  EXPECT_EQ(got->metric_data_results[1].values, (std::vector<double>{50.0, 50.0}));
  EXPECT_EQ(got->metric_data_results[2].values, (std::vector<double>{100.0, 100.0}));
}

TEST_F(EcsMetricsTest, ReservationFollowsTheFleet) {
  std::string a = Boot("i-1", "us-east-1a");
  Boot("i-2", "us-east-1b");
  std::string td = RegisterBusy("job", 1024, 2048, 100);
  auto run = ecs_->StartTask({.cluster = "c1", .task_definition = td, .container_instances = {a}});
  ASSERT_TRUE(run.ok() && run->items.size() == 1) << run.status().ToString();
  Run(seconds(60));  // one boundary (+40 s): 1024 of 4096 CPU
  // The other instance goes away: the task now holds half of what is left.
  ecs_->InstanceTerminated("i-2");
  Run(seconds(60));  // the next boundary (+100 s)
  auto dps = Stats("CPUReservation", {{"ClusterName", "c1"}});
  ASSERT_EQ(dps.size(), 2u);
  EXPECT_DOUBLE_EQ(*dps[0].average, 25.0);
  EXPECT_DOUBLE_EQ(*dps[1].average, 50.0);
  // A cluster whose instances are all gone publishes nothing more.
  ecs_->InstanceTerminated("i-1");
  Run(seconds(60));
  EXPECT_EQ(Stats("CPUReservation", {{"ClusterName", "c1"}}).size(), 2u);
}

}  // namespace
}  // namespace steady::region
