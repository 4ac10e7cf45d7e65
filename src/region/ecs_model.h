// The local region's ECS: clusters, task definitions, container instances registered by the
// fleet (EcsFleetLink), tasks with a timed lifecycle, placement (binpack/spread/random,
// distinctInstance/memberOf) with ECS's RESOURCE:* failures, and the service scheduler with
// rolling deployments and load-balancer registration through ElbFleetLink.
//
// Durability: every mutation is a journal record that carries the new state of one object
// ("put" of a cluster, task definition, container instance, task or service, or its removal);
// the same ApplyLocked runs live and on replay, so replay cannot drift from what was answered.
// Derived figures (remaining resources, task counts, service/deployment counts) are computed
// from the tasks when read.
//
// Time: task transitions, the service scheduler and pruning of stopped tasks run in Tick() at
// clock.Now(). Tick queries ElbFleetLink::TargetStates and calls the links only while the
// model's lock is NOT held (fleet.h's rule). A service whose last scheduler pass changed nothing
// is skipped while its tasks, the container instances and its targets' states stay as they were.
//
// Batch convention: a container whose environment (or override) sets STEADY_RUN_SECONDS=N
// exits N seconds after its task is RUNNING with exit code STEADY_EXIT_CODE (default 0); when
// it is essential the task stops with stopCode EssentialContainerExited.
//
// Events: with an EventsModel (SetEvents), every change of a task's lastStatus or desiredStatus
// emits "ECS Task State Change" and every registration, status change (ACTIVE/DRAINING/
// INACTIVE) or agent disconnect of a container instance emits "ECS Container Instance State
// Change" (source aws.ecs, shapes as in the ECS developer guide; ecs_events.cc). Events are
// collected under the lock while the change is recorded and emitted by CommitPending once the
// lock is released; replayed records emit nothing.
//
// Utilisation stand-in (for AWS/ECS CPUUtilization/MemoryUtilization, region/ecs_metrics.h): a
// RUNNING task uses STEADY_CPU_UTILIZATION / STEADY_MEMORY_UTILIZATION percent (container
// environment or override; default 100) of the CPU / memory it reserves.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "aws/ecs.h"
#include "base/ids.h"
#include "region/fleet.h"
#include "region/region_context.h"
#include "region/service_model.h"

namespace steady::region {

class EcsTaskSet;
class EventsModel;

class EcsModel final : public aws::Ecs, public ServiceModel, public EcsFleetLink {
 public:
  struct Options {
    Duration provisioning_delay = std::chrono::seconds(1);  // PROVISIONING → PENDING
    Duration pending_delay = std::chrono::seconds(3);       // PENDING → RUNNING
    Duration stop_delay = std::chrono::seconds(2);          // STOPPING → STOPPED
    int64_t reserved_memory_mib = 256;                      // the agent's share of memory
    Duration keep_stopped = std::chrono::hours(1);          // stopped tasks / inactive instances
    size_t max_events = 100;                                // per service
    uint64_t seed = 7;                                      // placement's random choices
  };

  explicit EcsModel(RegionContext& ctx);
  EcsModel(RegionContext& ctx, Options options);
  ~EcsModel() override;

  // Wires the other fleet models (either may be null: no load balancer / no EC2).
  void SetLinks(ElbFleetLink* elb, Ec2FleetLink* ec2);

  // Where task and container instance state changes go (null: nowhere, the default).
  void SetEvents(EventsModel* events);

  // What one cluster's container instances offer and its tasks hold, for AWS/ECS metrics and
  // the autoscaler. Only ACTIVE and DRAINING instances with a connected agent count (as for
  // AWS's CPUReservation/MemoryReservation); `remaining` is registered minus what the tasks on
  // them that are not STOPPED reserve; `used` is the utilisation stand-in of their RUNNING
  // tasks (see above), in CPU units / MiB.
  struct ServiceUsage {
    std::string service_name;
    int running = 0;                                // RUNNING tasks
    int64_t reserved_cpu = 0, reserved_memory = 0;  // what those tasks reserve
    double used_cpu = 0, used_memory = 0;
  };
  struct ClusterUsage {
    std::string cluster_name, cluster_arn;
    int instances = 0;
    int64_t registered_cpu = 0, registered_memory = 0;
    int64_t remaining_cpu = 0, remaining_memory = 0;
    double used_cpu = 0, used_memory = 0;
    std::vector<ServiceUsage> services;  // ACTIVE/DRAINING services, by name
  };
  // Every ACTIVE cluster, by name. O(instances + tasks) under the lock.
  std::vector<ClusterUsage> ClusterReservation() const;

  // Runs everything due at clock.Now(): task transitions, the service scheduler, pruning.
  void Tick();

  // aws::Ecs.
  Result<aws::EcsCluster> CreateCluster(const std::string& name,
                                        const std::vector<aws::EcsTag>& tags) override;
  Result<aws::Described<aws::EcsCluster>> DescribeClusters(
      const std::vector<std::string>& clusters) override;
  Result<aws::ArnPage> ListClusters(const aws::PageRequest& page) override;
  Result<aws::TaskDefinition> RegisterTaskDefinition(
      const aws::RegisterTaskDefinitionRequest& request) override;
  Result<aws::TaskDefinition> DescribeTaskDefinition(const std::string& task_definition) override;
  Result<aws::TaskDefinition> DeregisterTaskDefinition(const std::string& task_definition) override;
  Result<aws::ArnPage> ListTaskDefinitions(const aws::ListTaskDefinitionsRequest& request) override;
  Result<aws::ArnPage> ListContainerInstances(
      const aws::ListContainerInstancesRequest& request) override;
  Result<aws::Described<aws::ContainerInstance>> DescribeContainerInstances(
      const std::string& cluster, const std::vector<std::string>& container_instances) override;
  Result<aws::Described<aws::ContainerInstance>> UpdateContainerInstancesState(
      const std::string& cluster, const std::vector<std::string>& container_instances,
      const std::string& status) override;
  Result<aws::ContainerInstance> DeregisterContainerInstance(const std::string& cluster,
                                                             const std::string& container_instance,
                                                             bool force) override;
  Result<aws::EcsService> CreateService(const aws::CreateServiceRequest& request) override;
  Result<aws::EcsService> UpdateService(const aws::UpdateServiceRequest& request) override;
  Result<aws::EcsService> DeleteService(const std::string& cluster, const std::string& service,
                                        bool force) override;
  Result<aws::Described<aws::EcsService>> DescribeServices(
      const std::string& cluster, const std::vector<std::string>& services) override;
  Result<aws::ArnPage> ListServices(const std::string& cluster,
                                    const aws::PageRequest& page) override;
  Result<aws::RunTaskResult> RunTask(const aws::RunTaskRequest& request) override;
  Result<aws::RunTaskResult> StartTask(const aws::StartTaskRequest& request) override;
  Result<aws::EcsTask> StopTask(const std::string& cluster, const std::string& task,
                                const std::string& reason) override;
  Result<aws::Described<aws::EcsTask>> DescribeTasks(
      const std::string& cluster, const std::vector<std::string>& tasks) override;
  Result<aws::ArnPage> ListTasks(const aws::ListTasksRequest& request) override;
  Status TagResource(const std::string& resource_arn,
                     const std::vector<aws::EcsTag>& tags) override;
  Result<std::vector<aws::EcsTag>> ListTagsForResource(const std::string& resource_arn) override;

  // EcsFleetLink.
  void InstanceBooted(const FleetInstance& instance) override;
  void InstanceTerminated(const std::string& instance_id) override;

  // ServiceModel.
  std::string service() const override { return "ecs"; }
  Status Replay(const nlohmann::json& record) override;
  nlohmann::json Snapshot() const override;
  Status Restore(const nlohmann::json& snapshot) override;
  std::mutex& mutex() override { return mu_; }
  std::unique_ptr<ServiceFront> MakeFront() override;

 private:
  struct Inst;
  struct Task;
  struct Svc;
  struct Cluster;
  struct Effects;  // link calls collected under the lock, made after it
  struct Usage;    // what the live tasks of one instance hold
  struct Placed;
  struct TargetStates;  // the load balancer's view of the targets, asked once per tick
  struct TickView;      // what one tick gathers for the scheduler
  friend class EcsTaskSet;

  // Journal plumbing (ecs_model.cc). Caller holds mu_.
  Status ApplyLocked(const nlohmann::json& record);
  void RecordLocked(nlohmann::json record);
  void PutLocked(const Cluster& c);
  void PutLocked(const aws::TaskDefinition& td);
  void PutLocked(const Cluster& c, const Inst& i);
  void PutLocked(const Cluster& c, const Task& t);
  void PutLocked(const Cluster& c, const Svc& s);
  static nlohmann::json InstRecord(const Inst& i);
  static nlohmann::json TaskRecord(const Task& t);
  static nlohmann::json SvcRecord(const Svc& s);
  void DeleteLocked(const std::string& kind, const std::string& cluster, const std::string& key);
  // Commits everything recorded so far (call after unlocking).
  Status CommitPending();

  // Lookups. Caller holds mu_.
  Result<Cluster*> ClusterLocked(std::string_view op, const std::string& name_or_arn);
  Result<const aws::TaskDefinition*> TaskDefLocked(std::string_view op, const std::string& ref);
  Inst* InstLocked(Cluster& c, const std::string& ref);
  Task* TaskLocked(Cluster& c, const std::string& ref);
  Svc* SvcLocked(Cluster& c, const std::string& ref);

  // Derived state (ecs_model.cc). Caller holds mu_.
  // Adds (sign 1) or removes (-1) what a live task holds on its instance.
  static void AccountLocked(Cluster& c, const Task& t, int sign);
  // Adds (sign 1) or removes (-1) a stored task / container instance in the cluster's indexes
  // (ecs_internal.h); `t` is the stored task (its ARN key is what the indexes view).
  void IndexTaskLocked(Cluster& c, const std::string& arn, Task& t, int sign) const;
  static void IndexInstLocked(Cluster& c, const Inst& i, int sign);
  // The tasks on a container instance, in ARN order.
  static std::vector<Task*> TasksOnLocked(Cluster& c, const std::string& instance_arn);
  aws::ContainerInstance ViewLocked(const Inst& i, const Usage* u) const;
  aws::EcsCluster ViewLocked(const Cluster& c) const;
  aws::EcsService ViewLocked(const Cluster& c, const Svc& s) const;

  // Tasks and placement (ecs_tasks.cc). Caller holds mu_.
  Task NewTaskLocked(const Cluster& c, const aws::TaskDefinition& td, const Inst& inst,
                     Usage& usage, const std::string& started_by, const std::string& group,
                     const std::vector<aws::ContainerOverride>& overrides);
  // Places up to `count` tasks of `td`; failures per instance as ECS reports them; the error
  // when the cluster has no usable instance at all.
  Result<std::vector<Placed>> PlaceLocked(std::string_view op, Cluster& c,
                                          const aws::TaskDefinition& td, int count,
                                          const std::string& group,
                                          const std::vector<aws::PlacementStrategy>& strategies,
                                          const std::vector<aws::PlacementConstraint>& constraints,
                                          std::vector<aws::EcsFailure>& failures);
  // Moves a task towards STOPPED (STOPPING, or STOPPED at once when `now`), recording it.
  void StopLocked(Cluster& c, Task& t, const std::string& stop_code, const std::string& reason,
                  bool now, Effects& fx, bool host_lost = false);
  // Host lost: tasks whose targets the load balancer now sees as unhealthy leave their groups.
  void ReleaseLostTargetsLocked(Cluster& c, const TargetStates& states, Effects& fx);
  void AdvanceTasksLocked(Cluster& c, Time now, Effects& fx);

  // Service scheduler (ecs_scheduler.cc). Caller holds mu_.
  // `tasks` are the service's tasks in ARN order (Cluster::tasks_by_service); `view` what Tick
  // gathered once for every service of the cluster (ecs_internal.h).
  void ScheduleLocked(Cluster& c, Svc& s, Time now, const TickView& view, std::vector<Task*> tasks,
                      Effects& fx);
  void AddEventLocked(Svc& s, const std::string& message, Time now);
  void RunEffects(Effects& fx);

  // Events (ecs_events.cc). Caller holds mu_; `old` is the state before the change (null: new).
  void TaskEventLocked(const Cluster& c, const Task* old, const Task& t);
  void InstanceEventLocked(const Cluster& c, const Inst* old, const Inst& i);

  RegionContext& ctx_;
  Options options_;
  mutable std::mutex mu_;
  // Held by every change that has load-balancer effects, from before it takes mu_ until its
  // effects are applied (RunEffects), so that effects reach ELB in the order of the changes:
  // without it a StopTask's deregistration on a request thread could overtake the
  // registration a Tick computed a moment before, leaving a stopped task registered.
  // Order: effects_mu_ before mu_.
  std::mutex effects_mu_;
  std::map<std::string, std::unique_ptr<Cluster>> clusters_;          // by name
  std::map<std::string, std::vector<aws::TaskDefinition>> taskdefs_;  // family → revisions
  std::map<std::string, std::vector<aws::EcsTag>> tags_;              // ARN → tags
  uint64_t last_seq_ = 0;  // the last journal record enqueued
  Random rng_;
  ElbFleetLink* elb_ = nullptr;
  Ec2FleetLink* ec2_ = nullptr;
  EventsModel* events_ = nullptr;
  std::vector<nlohmann::json> pending_events_;  // emitted by CommitPending, unlocked
};

}  // namespace steady::region
