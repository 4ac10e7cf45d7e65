#include "region/elbv2_model.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "region/ec2_model_testing.h"

namespace steady::region {
namespace {

using std::chrono::seconds;
using testing::FleetWorld;

class Elbv2ModelTest : public ::testing::Test {
 protected:
  Elbv2ModelTest() {
    aws::CreateTargetGroupRequest req;
    req.name = "web";
    req.port = 8080;
    req.health_check_interval_seconds = 10;
    req.healthy_threshold_count = 3;    // healthy after 30 s
    req.unhealthy_threshold_count = 2;  // unhealthy 20 s after death
    auto g = w_.elb->CreateTargetGroup(req);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    arn_ = g->target_group_arn;
  }

  std::string Health(const std::string& id, int port = 8080) {
    auto h = w_.elb->DescribeTargetHealth(arn_, {{id, port, ""}});
    EXPECT_TRUE(h.ok());
    return h.ok() ? (*h)[0].target_health.state : "";
  }
  Elbv2Model::TrafficStats Stats() { return *w_.elb->Traffic(arn_); }

  FleetWorld w_;
  std::string arn_;
};

TEST_F(Elbv2ModelTest, TargetGroupsAndAttributes) {
  EXPECT_NE(arn_.find("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/"),
            std::string::npos);
  auto groups = w_.elb->DescribeTargetGroups({}, {"web"});
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ((*groups)[0].port, 8080);
  EXPECT_FALSE(w_.elb->DescribeTargetGroups({}, {"nope"}).ok());
  auto attrs = w_.elb->DescribeTargetGroupAttributes(arn_);
  EXPECT_EQ(attrs->at("deregistration_delay.timeout_seconds"), "300");
  auto changed =
      w_.elb->ModifyTargetGroupAttributes(arn_, {{"deregistration_delay.timeout_seconds", "20"}});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->at("deregistration_delay.timeout_seconds"), "20");
  EXPECT_FALSE(
      w_.elb->ModifyTargetGroupAttributes(arn_, {{"deregistration_delay.timeout_seconds", "x"}})
          .ok());
  EXPECT_FALSE(w_.elb->ModifyTargetGroupAttributes(arn_, {{"bogus", "1"}}).ok());
  aws::CreateTargetGroupRequest bad;
  bad.name = "bad_name";
  EXPECT_FALSE(w_.elb->CreateTargetGroup(bad).ok());
}

TEST_F(Elbv2ModelTest, HealthTransitionsAndDeregistrationDelay) {
  ASSERT_TRUE(
      w_.elb->ModifyTargetGroupAttributes(arn_, {{"deregistration_delay.timeout_seconds", "60"}})
          .ok());
  ASSERT_TRUE(w_.elb->RegisterTargets(arn_, {{"i-a", std::nullopt, ""}, {"i-b", 9000, ""}}).ok());
  EXPECT_EQ(Health("i-a"), "initial");
  w_.Run(seconds(29));
  EXPECT_EQ(Health("i-a"), "initial");
  w_.Run(seconds(1));
  EXPECT_EQ(Health("i-a"), "healthy");
  EXPECT_EQ(Health("i-b", 9000), "healthy");
  EXPECT_EQ(w_.elb->TargetState(arn_, {"i-a", 8080}), "healthy");

  ASSERT_TRUE(w_.elb->DeregisterTargets(arn_, {{"i-a", std::nullopt, ""}}).ok());
  auto h = *w_.elb->DescribeTargetHealth(arn_, {{"i-a", 8080, ""}});
  EXPECT_EQ(h[0].target_health.state, "draining");
  EXPECT_EQ(h[0].target_health.reason, "Target.DeregistrationInProgress");
  w_.Run(seconds(59));
  EXPECT_EQ(Health("i-a"), "draining");
  w_.Run(seconds(1));
  EXPECT_EQ(Health("i-a"), "unused");
  EXPECT_EQ(w_.elb->DescribeTargetHealth(arn_, {})->size(), 1u);  // only i-b remains

  // Death: still "healthy" until the unhealthy threshold is reached.
  w_.elb->TargetDown({"i-b", 9000});
  w_.Run(seconds(19));
  EXPECT_EQ(Health("i-b", 9000), "healthy");
  w_.Run(seconds(1));
  EXPECT_EQ(Health("i-b", 9000), "unhealthy");
  EXPECT_FALSE(w_.elb->DeregisterTargets(arn_, {{"i-zzz", std::nullopt, ""}}).ok());
}

TEST_F(Elbv2ModelTest, NoFailuresWhenTargetsDrainBeforeTheyDie) {
  ASSERT_TRUE(
      w_.elb->ModifyTargetGroupAttributes(arn_, {{"deregistration_delay.timeout_seconds", "30"}})
          .ok());
  ASSERT_TRUE(
      w_.elb->RegisterTargets(arn_, {{"i-a", std::nullopt, ""}, {"i-b", std::nullopt, ""}}).ok());
  w_.Run(seconds(30));
  ASSERT_TRUE(w_.elb->SetTraffic(arn_, 100, 2.5).ok());
  w_.Run(seconds(60));
  auto s = Stats();
  EXPECT_GT(s.served, 5000);
  EXPECT_EQ(s.failed, 0);
  EXPECT_GT(s.in_flight, 0);

  // Replace i-a by i-c the safe way: register the new one, wait, deregister, drain, then kill.
  ASSERT_TRUE(w_.elb->RegisterTargets(arn_, {{"i-c", std::nullopt, ""}}).ok());
  w_.Run(seconds(30));
  ASSERT_TRUE(w_.elb->DeregisterTargets(arn_, {{"i-a", std::nullopt, ""}}).ok());
  w_.Run(seconds(30));
  EXPECT_EQ(Health("i-a"), "unused");
  w_.elb->TargetDown({"i-a", 8080});
  w_.Run(seconds(60));
  s = Stats();
  EXPECT_EQ(s.failed, 0);
  EXPECT_GT(s.served, 17000);
}

TEST_F(Elbv2ModelTest, FailuresWhenATargetDiesWhileHealthy) {
  MetricsRegistry metrics;
  w_.elb->SetMetrics(metrics);
  ASSERT_TRUE(
      w_.elb->RegisterTargets(arn_, {{"i-a", std::nullopt, ""}, {"i-b", std::nullopt, ""}}).ok());
  w_.Run(seconds(30));
  ASSERT_TRUE(w_.elb->SetTraffic(arn_, 100, 2).ok());
  w_.Run(seconds(10));
  EXPECT_EQ(Stats().failed, 0);
  int64_t in_flight = Stats().in_flight;
  EXPECT_GT(in_flight, 0);
  // The instance behind i-a dies: its in-flight requests fail, and so does every request the
  // balancer sends it until the health checks notice (2 × 10 s).
  w_.elb->InstanceDown("i-a");
  auto s = Stats();
  EXPECT_GT(s.failed, 50);
  EXPECT_LE(s.failed, in_flight);
  w_.Run(seconds(20));
  EXPECT_EQ(Health("i-a"), "unhealthy");
  int64_t failed = Stats().failed;
  EXPECT_GT(failed, 900);  // ~half of 20 s × 100 rps went to the dead target
  w_.Run(seconds(20));
  EXPECT_EQ(Stats().failed, failed);  // then everything goes to i-b
  std::string text = metrics.Render();
  EXPECT_NE(text.find("steady_region_elb_requests_total{target_group=\"web\",result=\"failed\"}"),
            std::string::npos)
      << text;

  // With no healthy target at all, requests fail (503).
  w_.elb->TargetDown({"i-b", 8080});
  w_.Run(seconds(40));
  EXPECT_GT(Stats().failed, failed + 3000);
}

TEST_F(Elbv2ModelTest, SnapshotRestoreRoundTrip) {
  ASSERT_TRUE(w_.elb->RegisterTargets(arn_, {{"i-a", std::nullopt, ""}}).ok());
  ASSERT_TRUE(
      w_.elb->ModifyTargetGroupAttributes(arn_, {{"deregistration_delay.timeout_seconds", "5"}})
          .ok());
  ASSERT_TRUE(w_.elb->SetTraffic(arn_, 10, 1).ok());
  w_.elb->TargetDown({"i-a", 8080});
  nlohmann::json snap;
  {
    std::lock_guard lock(w_.elb->mutex());
    snap = w_.elb->Snapshot();
  }
  Elbv2Model copy(*w_.ctx);
  ASSERT_TRUE(copy.Restore(snap).ok());
  std::lock_guard lock(copy.mutex());
  EXPECT_EQ(copy.Snapshot(), snap);
}

}  // namespace
}  // namespace steady::region
