// The service-out workflow: takes one EC2 instance out of its ECS cluster without dropping a
// request, and many such in parallel.
//
//   1. Locate the instance's container instance in the watched clusters (InstanceLocator).
//   2. UpdateContainerInstancesState → DRAINING (ECS's scheduler starts replacements).
//   3. Every task on it that sits in a target group (from its service's load balancers, by the
//      container's host port) is deregistered (DeregisterTargets) as soon as its group has a
//      healthy target on an instance not being serviced out, rather than waiting for ECS to do
//      it when it stops the task; when every healthy target of a group is on doomed instances
//      (a mass interruption), they stay until a replacement is healthy or until the deadline
//      leaves only the deregistration delay and the margin. Tasks of no service (batch) are
//      stopped at once, with a reason naming the trigger (batch jobs must be idempotent);
//      for a scale-in (Trigger::kScaleIn: nothing forces the instance out) they are left to
//      finish until `deadline - margin` and only then stopped.
//   4. Wait (DescribeTargetHealth every poll_interval) until those targets are no longer
//      registered or draining, or until `deadline - margin`. While waiting, service tasks
//      whose targets are drained are stopped as soon as their service runs desiredCount tasks
//      elsewhere (the replacement is up); lifecycle actions get a heartbeat when less than half
//      of the hook's heartbeat timeout (or less than the margin plus two polls) remains.
//   5. StopTask every task still on the instance (deregistering first the targets of tasks that
//      got their host port after the first look: a replacement placed here just before
//      DRAINING); wait until none runs or is stopping (bounded by settle_timeout and the
//      deadline).
//   6. CompleteLifecycleAction CONTINUE for every lifecycle action that joined the workflow.
//
// Deadline: spot warning + 120 s; a state change's own time (already due: no waiting); a
// scheduled change's start; a lifecycle action's hook heartbeat timeout from its event time
// (extended by heartbeats, up to the hook's global timeout); rebalance/manual: now +
// soft_deadline. A workflow that misses its deadline still finishes its steps (tasks are still
// stopped and lifecycle actions completed) and reports deadline_missed.
//
// Idempotent: a request for an instance whose workflow runs joins it (its deadline is the
// earliest, its lifecycle action is completed at the end too); a request after a workflow has
// finished starts a new one which finds nothing left to do (DRAINING already set, targets
// gone, tasks stopped) and ends quickly. No local state: a restarted daemon resumes from ECS
// and ELB state through a redelivered message.
//
// Calls go through the given interfaces; with HTTP clients those share retry and rate limiting.
// Thread safety: Submit/InFlight/Stop from any thread. Each workflow runs on its own thread,
// waiting on the injected clock (tests drive it with a ManualClock).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "aws/autoscaling.h"
#include "aws/ecs.h"
#include "aws/elbv2.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"
#include "serviceout/locator.h"
#include "serviceout/messages.h"

namespace steady::serviceout {

struct ServiceOutOptions {
  // Stop waiting for targets to drain this long before the deadline, and stop the tasks.
  Duration deadline_margin = std::chrono::seconds(20);
  // Deadline of requests that carry none (rebalance recommendations, manual drains).
  Duration soft_deadline = std::chrono::minutes(10);
  Duration poll_interval = std::chrono::seconds(2);
  // While targets drain, the instance's tasks are listed again only this often (or as soon as
  // the targets have drained): ECS's describe/list bucket (20/s account-wide) is what tens of
  // parallel workflows would otherwise queue on, delaying the first look of the later ones.
  // Target health (the ELB's own budget) is still polled every poll_interval.
  Duration task_poll_interval = std::chrono::seconds(10);
  // How long, after the last task is stopped, to wait for ECS to report none running or
  // stopping (never past the deadline); tasks still there then are Outcome::tasks_remaining.
  Duration settle_timeout = std::chrono::seconds(60);
  // Concurrent StopTask calls per workflow (ECS's run bucket is shared account-wide).
  int stop_concurrency = 4;
  // Complete a lifecycle action even when the instance is in no watched cluster (it never
  // registered, e.g. it failed to boot): the group would otherwise wait its heartbeat timeout.
  bool complete_unknown_lifecycle = true;
};

enum class OutcomeCode {
  kServicedOut,   // every step done
  kNotInCluster,  // the instance is in no watched cluster (lifecycle completed if configured)
  kFailed,        // an API error that retries did not cure; see `error`
  kCancelled,     // the daemon stopped first
};
const char* OutcomeName(OutcomeCode c);

struct Outcome {
  OutcomeCode code = OutcomeCode::kFailed;
  std::string instance_id;
  std::string cluster;  // ARN, when located
  Trigger trigger = Trigger::kManual;
  std::string detail;
  Time started{}, finished{};
  Time drained{};  // targets drained and service tasks stopped: the settle wait began
  std::optional<Time> deadline;
  bool deadline_missed = false;
  int service_tasks_stopped = 0;  // stopped by us (ECS may have stopped others itself)
  int batch_tasks_stopped = 0;
  int targets_deregistered = 0;
  int lifecycle_completed = 0;
  int tasks_remaining = 0;         // still running when the workflow ended (settle time exceeded)
  std::vector<std::string> tasks;  // ARNs found on the instance
  std::string error;
};

// Observes workflows (webhook, logs). Called on the workflow's thread.
class ServiceOutObserver {
 public:
  virtual ~ServiceOutObserver() = default;
  virtual void Started(const ServiceOutRequest& /*request*/, const Location& /*where*/) {}
  virtual void Finished(const Outcome& /*outcome*/) {}
};

struct ServiceOutClients {
  aws::Ecs& ecs;
  aws::Elbv2& elb;
  aws::AutoScaling* autoscaling = nullptr;  // null: lifecycle actions cannot be completed
};

class ServiceOut {
 public:
  class Handle;  // one workflow; shared by every request that joined it

  ServiceOut(ServiceOutOptions options, ServiceOutClients clients, InstanceLocator& locator,
             Clock& clock, MetricsRegistry& metrics, ServiceOutObserver* observer = nullptr);
  ~ServiceOut();  // Stop()s

  // Starts the workflow for request.instance_id, or joins the running one.
  std::shared_ptr<Handle> Submit(const ServiceOutRequest& request);
  // Blocks until the workflow ends (or `stop`); nullopt when stopped first.
  static std::optional<Outcome> Wait(const std::shared_ptr<Handle>& handle,
                                     std::stop_token stop = {});
  // Non-blocking: the outcome if the workflow has ended.
  static std::optional<Outcome> Poll(const std::shared_ptr<Handle>& handle);

  int InFlight() const;
  // The instances being serviced out now.
  std::set<std::string> Doomed() const;
  // Cancels running workflows (they end kCancelled where they stand; nothing is undone, and a
  // redelivered message resumes them) and joins their threads.
  void Stop();

 private:
  struct Workflow;
  void Run(std::stop_token stop, std::shared_ptr<Handle> handle);
  void Finish(const std::shared_ptr<Handle>& handle, Outcome outcome);

  ServiceOutOptions options_;
  ServiceOutClients clients_;
  InstanceLocator& locator_;
  Clock& clock_;
  ServiceOutObserver* observer_;
  Counter* joined_;
  Counter* deadline_misses_;
  Gauge* in_flight_gauge_;
  MetricsRegistry& metrics_;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Handle>> running_;  // by instance id
  std::vector<std::pair<std::shared_ptr<Handle>, std::jthread>> threads_;
  bool stopped_ = false;
};

}  // namespace steady::serviceout
