// Test helpers for the ECS model: a model on a ManualClock with a memory journal, fleet
// instances to boot, and a fake ElbFleetLink whose targets turn healthy and drain on the clock.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "region/ecs_model.h"
#include "region/journal.h"

namespace steady::region {

// Targets: initial → healthy after `healthy_after`; draining → unused after `drain`. Records
// every call with the clock's time so tests can check the order of events.
class FakeElb : public ElbFleetLink {
 public:
  explicit FakeElb(Clock& clock) : clock_(clock) {}
  struct Call {
    std::string what;  // "register", "deregister", "down"
    std::string tg;
    FleetTarget target;
    Time at;
  };
  void RegisterTargets(const std::string& tg, const std::vector<FleetTarget>& targets) override {
    for (const auto& t : targets) {
      calls.push_back({"register", tg, t, clock_.Now()});
      state_[Key(tg, t)] = {"initial", clock_.Now()};
    }
  }
  void DeregisterTargets(const std::string& tg, const std::vector<FleetTarget>& targets) override {
    for (const auto& t : targets) {
      calls.push_back({"deregister", tg, t, clock_.Now()});
      auto it = state_.find(Key(tg, t));
      if (it != state_.end()) it->second = {"draining", clock_.Now()};
    }
  }
  std::string TargetState(const std::string& tg, const FleetTarget& t) override {
    auto it = state_.find(Key(tg, t));
    if (it == state_.end()) return "unused";
    Duration age = clock_.Now() - it->second.since;
    if (it->second.state == "initial") return age >= healthy_after ? "healthy" : "initial";
    if (it->second.state == "draining") return age >= drain ? "unused" : "draining";
    return it->second.state;
  }
  void TargetDown(const FleetTarget& t) override { calls.push_back({"down", "", t, clock_.Now()}); }

  int Count(const std::string& what) const {
    int n = 0;
    for (const auto& c : calls) n += c.what == what;
    return n;
  }

  Duration healthy_after = std::chrono::seconds(10);
  Duration drain = std::chrono::seconds(30);
  std::vector<Call> calls;

 private:
  struct State {
    std::string state;
    Time since;
  };
  static std::string Key(const std::string& tg, const FleetTarget& t) {
    return tg + "|" + t.id + ":" + std::to_string(t.port);
  }
  Clock& clock_;
  std::map<std::string, State> state_;
};

class EcsTest : public ::testing::Test {
 protected:
  EcsTest() {
    journal_ = *Journal::Open(
        {}, [](std::string_view) { return Status::Ok(); },
        [](std::string_view) { return Status::Ok(); });
    ctx_ = std::make_unique<RegionContext>(clock_, *journal_);
    ecs_ = std::make_unique<EcsModel>(*ctx_);
  }

  // Boots an instance of `vcpus` and `memory_mib` (+ the agent's 256 MiB) into `cluster`.
  std::string Boot(const std::string& id, const std::string& az, int vcpus = 2,
                   int64_t memory_mib = 4096, const std::string& cluster = "c1",
                   const std::string& type = "m5.large") {
    FleetInstance fi;
    fi.instance_id = id;
    fi.instance_type = type;
    fi.availability_zone = az;
    fi.vcpus = vcpus;
    fi.memory_mib = memory_mib + 256;
    fi.cluster = cluster;
    ecs_->InstanceBooted(fi);
    aws::ListContainerInstancesRequest req;
    req.cluster = cluster;
    req.filter = "ec2InstanceId in ['" + id + "']";
    auto page = ecs_->ListContainerInstances(req);
    EXPECT_TRUE(page.ok() && page->arns.size() == 1) << id;
    return page.ok() && !page->arns.empty() ? page->arns[0] : "";
  }

  // A task definition with one essential container of `cpu` units and `memory` MiB.
  std::string Register(const std::string& family, int cpu, int memory, int container_port = 0,
                       int host_port = 0, const std::string& image = "nginx") {
    aws::RegisterTaskDefinitionRequest req;
    req.family = family;
    aws::ContainerDefinition cd;
    cd.name = "app";
    cd.image = image;
    cd.cpu = cpu;
    cd.memory = memory;
    if (container_port) cd.port_mappings.push_back({container_port, host_port, "tcp"});
    req.container_definitions.push_back(cd);
    auto td = ecs_->RegisterTaskDefinition(req);
    EXPECT_TRUE(td.ok()) << td.status().ToString();
    return td.ok() ? td->task_definition_arn : "";
  }

  void Advance(Duration d, Duration step = std::chrono::seconds(1)) {
    for (Duration t{}; t < d; t += step) {
      clock_.Advance(step);
      ecs_->Tick();
    }
  }

  std::vector<aws::EcsTask> Tasks(const std::string& cluster = "c1",
                                  const std::string& desired = "RUNNING",
                                  const std::string& service = "") {
    aws::ListTasksRequest req;
    req.cluster = cluster;
    req.desired_status = desired;
    req.service_name = service;
    auto page = ecs_->ListTasks(req);
    EXPECT_TRUE(page.ok());
    if (!page.ok() || page->arns.empty()) return {};
    auto d = ecs_->DescribeTasks(cluster, page->arns);
    EXPECT_TRUE(d.ok());
    return d.ok() ? d->items : std::vector<aws::EcsTask>{};
  }

  aws::EcsService Service(const std::string& name, const std::string& cluster = "c1") {
    auto d = ecs_->DescribeServices(cluster, {name});
    EXPECT_TRUE(d.ok() && d->items.size() == 1);
    return d.ok() && !d->items.empty() ? d->items[0] : aws::EcsService{};
  }

  ManualClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RegionContext> ctx_;
  std::unique_ptr<EcsModel> ecs_;
};

}  // namespace steady::region
