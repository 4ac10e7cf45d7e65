// `steady autoscaler`, assembled: per cluster an Observer (AWS → ClusterView) and a Policy
// (view → Decision); one capacity-request queue (capacity.h) shared by the clusters; and the
// actions:
//   - scale-out: SetDesiredCapacity of an Auto Scaling group, ModifySpotFleetRequest's target
//     capacity of a Spot Fleet;
//   - scale-in: each victim goes through the terminator's service-out workflow (the same
//     serviceout::ServiceOut, Trigger::kScaleIn: targets deregistered first, replacements
//     placed, batch tasks left to finish until the workflow's deadline), and only when it ended
//     serviced out with no task left running is the instance terminated:
//     TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity (the group
//     terminates that instance and picks no other), or for a Spot Fleet ModifySpotFleetRequest
//     (target − weight, ExcessCapacityTerminationPolicy noTermination) then TerminateInstances.
//     A service-out that failed, was cancelled or left tasks running puts the container
//     instance back to ACTIVE and terminates nothing.
//   - managed termination protection (option protect_instances, default off): instances of the
//     Auto Scaling groups that run tasks get scale-in protection, so that nothing else lowering
//     a group's desired capacity (an operator, a scheduled action) can pick an instance with
//     work on it; a victim's protection is lifted just before the autoscaler terminates it.
//     With it on, every protection is taken as the autoscaler's own (the policy may still
//     choose a protected instance); with it off, a protected instance is never a victim (an
//     operator's hand protection is respected).
// dry_run: decisions are evaluated, logged and counted, nothing is changed.
//
// Every decision that acts (and every change of reason while idle) is logged with its inputs.
// Metrics: steady_autoscaler_signals_total{cluster,kind}, _decisions_total{cluster,direction},
// _desired_capacity{group}, _pending_tasks{cluster}, _scaling_in{cluster},
// _reaction_seconds (histogram: capacity request received or stalled service seen → capacity
// requested), _errors_total{cluster,op}.
//
// Thread safety: Start/Stop from one thread; EvaluateOnce is what the loop calls (tests call
// it directly under a ManualClock, without Start).
#pragma once

#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "autoscaler/capacity.h"
#include "autoscaler/observer.h"
#include "autoscaler/policy.h"
#include "aws/autoscaling.h"
#include "aws/cloudwatch.h"
#include "aws/ec2.h"
#include "aws/ecs.h"
#include "aws/elbv2.h"
#include "aws/sqs.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/metrics.h"
#include "serviceout/locator.h"
#include "serviceout/service_out.h"

namespace steady::autoscaler {

struct AutoscalerOptions {
  // Each cluster's policy; its groups name ASGs, or Spot Fleets by request id or by the value
  // of their instances' tag steady:spot-fleet (resolved at Start). Instance types and purchase
  // options left empty are read from the groups.
  std::vector<ClusterPolicy> clusters;
  Duration interval = std::chrono::seconds(1);
  bool dry_run = false;
  bool protect_instances = false;
  // Where the reservation signal reads: "ecs" (registered vs remaining resources of the
  // container instances, no lag) or "cloudwatch" (AWS/ECS CPUReservation/MemoryReservation of
  // the cluster, the latest 1-minute Maximum of the last 3 minutes; when there is none, or the
  // call fails, ECS's figures are used and the fallback is counted).
  std::string reservation_source = "ecs";
  int64_t reserved_memory_mib = 0;     // ECS_RESERVED_MEMORY of the instances
  CapacityRequests::Options capacity;  // queue URLs (names are resolved by the caller)
  serviceout::ServiceOutOptions service_out;
};

// Reads the `autoscaler:` section of steady.yaml (keys as in docs/autoscaler.md).
Status AutoscalerOptionsFromConfig(const ConfigNode& section, AutoscalerOptions& o);

struct AutoscalerClients {
  aws::Ecs& ecs;
  aws::Ec2& ec2;
  aws::AutoScaling& autoscaling;
  aws::Elbv2& elb;
  aws::Sqs* sqs = nullptr;                // null: no capacity queue
  aws::CloudWatch* cloudwatch = nullptr;  // needed by reservation_source "cloudwatch"
};

class Autoscaler {
 public:
  Autoscaler(AutoscalerOptions options, AutoscalerClients clients, Clock& clock,
             MetricsRegistry& metrics);
  ~Autoscaler();  // Stop()s

  // Resolves groups (names → ids, instance types and their capacities). Call before the first
  // EvaluateOnce; Start calls it.
  Status Resolve();
  // Resolves, reads the capacity queue until it is empty, then runs the evaluation loop and the
  // capacity queue poller on threads.
  Status Start();
  // Stops the loops and cancels running scale-ins (their instances stay DRAINING or ACTIVE as
  // they were; a restart finds DRAINING instances and counts them against the budget).
  void Stop();

  // One round: poll nothing (the poller thread or the caller feeds `capacity()`), then for
  // every cluster observe, decide, act; finishes scale-ins whose service-out ended.
  Status EvaluateOnce();

  // The decision of the last round for `cluster` (empty Decision before the first).
  Decision LastDecision(const std::string& cluster) const;
  // Instances being scaled in now.
  std::vector<std::string> ScalingIn() const;
  CapacityRequests& capacity() { return *capacity_; }
  serviceout::ServiceOut& service_out() { return *service_out_; }
  const std::vector<ClusterPolicy>& clusters() const;

 private:
  struct Cluster;
  struct ScaleIn;
  Status ScaleOut(Cluster& c, const ClusterView& view, const Decision& d);
  void StartScaleIn(Cluster& c, const ClusterView& view, const Decision::Victim& v);
  void ReapScaleIns();
  void Protect(Cluster& c, const ClusterView& view);
  std::optional<MetricReservation> ReadMetricReservation(const std::string& cluster);
  const GroupConfig* FindGroup(const Cluster& c, const std::string& name) const;

  AutoscalerOptions options_;
  AutoscalerClients clients_;
  Clock& clock_;
  struct {  // registered once, in the constructor
    MetricFamily<Counter>*errors, *signals, *decisions, *scaled_in, *fallbacks;
    MetricFamily<Gauge>*pending, *desired, *scaling_in;
    MetricFamily<Histogram>* reaction;
  } m_{};
  std::unique_ptr<CapacityRequests> capacity_;
  std::unique_ptr<serviceout::InstanceLocator> locator_;
  std::unique_ptr<serviceout::ServiceOut> service_out_;
  std::vector<std::unique_ptr<Cluster>> clusters_;
  std::vector<std::unique_ptr<ScaleIn>> scale_ins_;
  mutable std::mutex mu_;  // guards last decisions and scale_ins_ for the readers
  std::jthread loop_, poller_;
  bool resolved_ = false;
};

}  // namespace steady::autoscaler
