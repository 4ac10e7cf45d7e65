// A test fixture for deploy and oneshot: the local region in virtual time with cluster "apps"
// backed by an on-demand Auto Scaling group "apps-asg" (m5.large, 2 vCPU / 8 GiB each) and a
// target group "web", plus a driver that runs blocking work (a deploy, a oneshot) on a thread
// while the test thread moves the clock and ticks the fleet.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "base/clock.h"
#include "base/metrics.h"
#include "region/autoscaling_model.h"
#include "region/ecs_model.h"
#include "region/elbv2_model.h"
#include "region/region.h"

namespace steady::deploy {

class RegionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = region::Region::Open(region::RegionOptions{}, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    ASSERT_TRUE(region_->ecs().CreateCluster("apps", {}).ok());
    aws::CreateAutoScalingGroupRequest asg;
    asg.auto_scaling_group_name = "apps-asg";
    asg.launch_template = aws::AsgLaunchTemplate{
        .launch_template_name = "lt", .instance_type = "m5.large", .user_data = "ECS_CLUSTER=apps"};
    asg.min_size = 0;
    asg.max_size = 10;
    asg.desired_capacity = instances_;
    asg.availability_zones = {"us-east-1a", "us-east-1b"};
    ASSERT_TRUE(region_->autoscaling().CreateAutoScalingGroup(asg).ok());
    ASSERT_TRUE(Tick([&] { return Instances() == instances_; }, 300));

    aws::CreateTargetGroupRequest tg;
    tg.name = "web";
    tg.health_check_interval_seconds = 5;
    tg.healthy_threshold_count = 2;
    auto created = region_->elbv2().CreateTargetGroup(tg);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    tg_ = created->target_group_arn;
    ASSERT_TRUE(
        region_->elbv2()
            .ModifyTargetGroupAttributes(tg_, {{"deregistration_delay.timeout_seconds", "5"}})
            .ok());
  }

  // Moves virtual time a second at a time (ticking the fleet) until `done` or `seconds`.
  bool Tick(const std::function<bool()>& done, int seconds) {
    for (int i = 0; i < seconds; ++i) {
      if (done()) return true;
      clock_.Advance(std::chrono::seconds(1));
      region_->TickFleet();
    }
    return done();
  }

  // Runs `work` on a thread; whenever it waits on the clock, moves time a second and ticks the
  // fleet, until it returns (or `seconds` of virtual time passed: then false, and the work is
  // left to finish as time keeps moving).
  bool Drive(const std::function<void()>& work, int seconds) {
    std::atomic<bool> done{false};
    std::thread t([&] {
      work();
      done = true;
    });
    int elapsed = 0;
    bool finished = false;
    for (;;) {
      while (!done && clock_.sleepers() == 0) std::this_thread::yield();
      if (done) {
        finished = true;
        break;
      }
      if (elapsed >= seconds) break;
      clock_.Advance(std::chrono::seconds(1));
      region_->TickFleet();
      ++elapsed;
    }
    while (!done) {  // let it end rather than leak the thread
      while (!done && clock_.sleepers() == 0) std::this_thread::yield();
      if (done) break;
      clock_.Advance(std::chrono::seconds(1));
      region_->TickFleet();
    }
    t.join();
    return finished;
  }

  int Instances() {
    aws::ListContainerInstancesRequest req;
    req.cluster = "apps";
    req.status = "ACTIVE";
    auto page = region_->ecs().ListContainerInstances(req);
    return page.ok() ? static_cast<int>(page->arns.size()) : -1;
  }

  std::vector<aws::EcsTask> Tasks(const std::string& service, const char* desired = "RUNNING") {
    aws::ListTasksRequest req;
    req.cluster = "apps";
    req.service_name = service;
    req.desired_status = desired;
    auto page = region_->ecs().ListTasks(req);
    if (!page.ok() || page->arns.empty()) return {};
    auto d = region_->ecs().DescribeTasks("apps", page->arns);
    return d.ok() ? d->items : std::vector<aws::EcsTask>{};
  }

  int instances_ = 2;
  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
  MetricsRegistry metrics_;
  std::unique_ptr<region::Region> region_;
  std::string tg_;
};

}  // namespace steady::deploy
