// Test fixture for the fleet models (EC2, Auto Scaling, ELBv2) under a ManualClock: the models
// wired as the region wires them, a fake ECS link, and an SQS queue receiving every aws.ec2 /
// aws.autoscaling event through an EventBridge rule. For tests only.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "region/autoscaling_model.h"
#include "region/ec2_model.h"
#include "region/elbv2_model.h"
#include "region/events_model.h"
#include "region/sqs_model.h"

namespace steady::region::testing {

class FakeEcs final : public EcsFleetLink {
 public:
  void InstanceBooted(const FleetInstance& instance) override {
    std::lock_guard lock(mu);
    booted.push_back(instance);
  }
  void InstanceTerminated(const std::string& instance_id) override {
    std::lock_guard lock(mu);
    terminated.push_back(instance_id);
  }
  std::mutex mu;
  std::vector<FleetInstance> booted;
  std::vector<std::string> terminated;
};

struct FleetWorld {
  explicit FleetWorld(Ec2ModelOptions options = {}, std::string state_dir = "") {
    auto noop = [](std::string_view) { return Status::Ok(); };
    journal = *Journal::Open({.dir = state_dir}, noop, noop);
    ctx = std::make_unique<RegionContext>(clock, *journal);
    sqs = std::make_unique<SqsModel>(*ctx);
    events = std::make_unique<EventsModel>(*ctx, *sqs);
    ec2 = std::make_unique<Ec2Model>(*ctx, events.get(), options);
    elb = std::make_unique<Elbv2Model>(*ctx);
    asg = std::make_unique<AutoScalingModel>(*ctx, *ec2, sqs.get(), events.get());
    ec2->SetLinks(&ecs, elb.get());
    events_url = *sqs->CreateQueue("fleet-events", {});
    aws::PutRuleRequest rule;
    rule.name = "fleet";
    rule.event_pattern = R"({"source":["aws.ec2","aws.autoscaling"]})";
    EXPECT_TRUE(events->PutRule(rule).ok());
    EXPECT_TRUE(events->PutTargets("fleet", "", {{"q", *sqs->QueueArn(events_url)}}).ok());
  }

  // Advances the clock by `total` in steps of `step`, ticking every fleet model after each.
  void Run(Duration total, Duration step = std::chrono::seconds(1)) {
    for (Duration done{0}; done < total; done += step) {
      clock.Advance(step);
      Tick();
    }
  }
  void Tick() {
    ec2->Tick();
    asg->Tick();
    elb->Tick();
  }

  // Every message body waiting in `queue_url` (received and deleted).
  std::vector<nlohmann::json> Drain(const std::string& queue_url) {
    std::vector<nlohmann::json> out;
    for (;;) {
      aws::ReceiveMessageRequest r;
      r.queue_url = queue_url;
      r.max_number_of_messages = 10;
      r.wait_time_seconds = 0;
      auto got = sqs->ReceiveMessage(r);
      if (!got.ok() || got->empty()) break;
      for (const auto& m : *got) {
        out.push_back(nlohmann::json::parse(m.body));
        (void)sqs->DeleteMessage(queue_url, m.receipt_handle);
      }
    }
    return out;
  }
  std::vector<nlohmann::json> Events() { return Drain(events_url); }

  std::string State(const std::string& id) { return ec2->InstanceStateName(id); }

  ManualClock clock;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<RegionContext> ctx;
  std::unique_ptr<SqsModel> sqs;
  std::unique_ptr<EventsModel> events;
  std::unique_ptr<Ec2Model> ec2;
  std::unique_ptr<Elbv2Model> elb;
  std::unique_ptr<AutoScalingModel> asg;
  FakeEcs ecs;
  std::string events_url;
};

// The events in `events` of this detail-type.
inline std::vector<nlohmann::json> OfType(const std::vector<nlohmann::json>& events,
                                          const std::string& detail_type) {
  std::vector<nlohmann::json> out;
  for (const auto& e : events)
    if (e.value("detail-type", "") == detail_type) out.push_back(e);
  return out;
}

}  // namespace steady::region::testing
