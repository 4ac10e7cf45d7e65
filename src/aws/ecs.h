// Amazon ECS as steady uses it: one abstract interface with the API's types, implemented
// in-process by the local region's model (region/ecs_model.h) and, later, over HTTP by an
// EcsClient. Names follow the ECS API reference (camelCase members become snake_case here).
//
// Errors are ECS's, as Statuses made by aws::ErrorToStatus: ClusterNotFoundException,
// ServiceNotFoundException, ServiceNotActiveException, InvalidParameterException and
// ClientException (with ECS's messages). Times are absolute (Time); on the wire they are epoch
// seconds. Thread safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

struct EcsTag {
  std::string key, value;
  friend bool operator==(const EcsTag&, const EcsTag&) = default;
};

struct KeyValuePair {
  std::string name, value;
  friend bool operator==(const KeyValuePair&, const KeyValuePair&) = default;
};

struct PortMapping {
  int container_port = 0;
  int host_port = 0;  // 0: dynamic (32768-60999) in bridge mode
  std::string protocol = "tcp";
};

struct LogConfiguration {
  std::string log_driver;
  std::map<std::string, std::string> options;
};

// Secrets are kept as given (valueFrom is never resolved).
struct EcsSecret {
  std::string name, value_from;
};

struct ContainerDefinition {
  std::string name;
  std::string image;
  int cpu = 0;                            // CPU units (1024 = one vCPU)
  std::optional<int> memory;              // hard limit, MiB
  std::optional<int> memory_reservation;  // soft limit, MiB
  bool essential = true;
  std::vector<PortMapping> port_mappings;
  std::vector<KeyValuePair> environment;
  std::vector<std::string> command;
  std::optional<LogConfiguration> log_configuration;
  std::vector<EcsSecret> secrets;
};

struct TaskDefinition {
  std::string task_definition_arn;
  std::string family;
  int revision = 0;
  std::string status = "ACTIVE";  // ACTIVE, INACTIVE
  std::vector<ContainerDefinition> container_definitions;
  std::string cpu, memory;  // task-level sizes as strings ("" when not given)
  std::string network_mode = "bridge";
  std::vector<std::string> requires_compatibilities;
  Time registered_at{};
  std::optional<Time> deregistered_at;
};

struct RegisterTaskDefinitionRequest {
  std::string family;
  std::vector<ContainerDefinition> container_definitions;
  std::string cpu, memory;
  std::string network_mode;  // "" → bridge
  std::vector<std::string> requires_compatibilities;
  std::vector<EcsTag> tags;
};

// CPU, MEMORY (INTEGER) and PORTS, PORTS_UDP (STRINGSET).
struct EcsResource {
  std::string name;
  std::string type = "INTEGER";
  int64_t integer_value = 0;
  std::vector<std::string> string_set_value;
};

struct EcsAttribute {
  std::string name, value;
};

struct ContainerInstance {
  std::string container_instance_arn;
  std::string ec2_instance_id;
  std::string status = "ACTIVE";  // ACTIVE, DRAINING, INACTIVE
  bool agent_connected = true;
  std::vector<EcsResource> registered_resources;
  std::vector<EcsResource> remaining_resources;
  int running_tasks_count = 0;
  int pending_tasks_count = 0;
  std::vector<EcsAttribute> attributes;  // ecs.availability-zone, ecs.instance-type, ...
  Time registered_at{};
  std::vector<EcsTag> tags;
};

struct NetworkBinding {
  std::string bind_ip = "0.0.0.0";
  int container_port = 0;
  int host_port = 0;
  std::string protocol = "tcp";
};

struct EcsContainer {
  std::string container_arn;
  std::string task_arn;
  std::string name;
  std::string image;
  std::string last_status = "PENDING";
  std::optional<int> exit_code;
  std::string reason;
  std::vector<NetworkBinding> network_bindings;
  int cpu = 0;
  std::optional<int> memory, memory_reservation;
  bool essential = true;
};

struct ContainerOverride {
  std::string name;
  std::vector<std::string> command;
  std::vector<KeyValuePair> environment;
};

struct EcsTask {
  std::string task_arn;
  std::string cluster_arn;
  std::string task_definition_arn;
  std::string container_instance_arn;
  std::string last_status = "PROVISIONING";  // PROVISIONING, PENDING, RUNNING, STOPPING, STOPPED
  std::string desired_status = "RUNNING";
  std::string started_by;
  std::string group;  // "service:NAME" or "family:NAME"
  std::string launch_type = "EC2";
  std::string cpu, memory;  // what the task reserves, as strings
  std::string availability_zone;
  std::vector<EcsContainer> containers;
  std::vector<ContainerOverride> overrides;
  Time created_at{};
  std::optional<Time> pull_started_at, started_at, stopping_at, stopped_at;
  std::string stop_code;  // TaskFailedToStart, EssentialContainerExited, UserInitiated, ...
  std::string stopped_reason;
  int64_t version = 1;
  std::vector<EcsTag> tags;
};

struct EcsFailure {
  std::string arn;
  std::string reason;  // "MISSING", "RESOURCE:MEMORY", ...
  std::string detail;
};

struct PlacementStrategy {
  std::string type;   // binpack, spread, random
  std::string field;  // memory|cpu, attribute:ecs.availability-zone|instanceId
};

struct PlacementConstraint {
  std::string type;  // distinctInstance, memberOf
  std::string expression;
};

struct EcsLoadBalancer {
  std::string target_group_arn;
  std::string container_name;
  int container_port = 0;
};

struct DeploymentConfiguration {
  int maximum_percent = 200;
  int minimum_healthy_percent = 100;
  bool circuit_breaker_enable = false;
  bool circuit_breaker_rollback = false;
};

struct Deployment {
  std::string id;               // "ecs-svc/<digits>"
  std::string status;           // PRIMARY, ACTIVE, INACTIVE
  std::string task_definition;  // ARN
  int desired_count = 0, pending_count = 0, running_count = 0, failed_tasks = 0;
  Time created_at{}, updated_at{};
  std::string rollout_state;  // IN_PROGRESS, COMPLETED, FAILED
  std::string rollout_state_reason;
};

struct ServiceEvent {
  std::string id;
  Time created_at{};
  std::string message;
};

struct EcsService {
  std::string service_arn;
  std::string service_name;
  std::string cluster_arn;
  std::string status = "ACTIVE";  // ACTIVE, DRAINING, INACTIVE
  std::string task_definition;
  int desired_count = 0, running_count = 0, pending_count = 0;
  std::string launch_type = "EC2";
  std::string scheduling_strategy = "REPLICA";
  std::vector<EcsLoadBalancer> load_balancers;
  std::vector<PlacementStrategy> placement_strategy;
  std::vector<PlacementConstraint> placement_constraints;
  DeploymentConfiguration deployment_configuration;
  std::vector<Deployment> deployments;  // PRIMARY first
  std::vector<ServiceEvent> events;     // newest first, at most 100
  Time created_at{};
  std::vector<EcsTag> tags;
};

struct EcsCluster {
  std::string cluster_arn;
  std::string cluster_name;
  std::string status = "ACTIVE";
  int registered_container_instances_count = 0;
  int running_tasks_count = 0;
  int pending_tasks_count = 0;
  int active_services_count = 0;
  std::vector<EcsTag> tags;
};

template <class T>
struct Described {
  std::vector<T> items;
  std::vector<EcsFailure> failures;
};

// A page of ARNs; next_token is empty on the last page.
struct ArnPage {
  std::vector<std::string> arns;
  std::string next_token;
};

struct PageRequest {
  std::string next_token;
  int max_results = 0;  // 0: the operation's default (100)
};

struct RunTaskRequest {
  std::string cluster;          // name or ARN; "" → default
  std::string task_definition;  // family, family:revision or ARN
  int count = 1;                // 1-10
  std::string started_by;
  std::string group;
  std::vector<PlacementStrategy> placement_strategy;
  std::vector<PlacementConstraint> placement_constraints;
  std::vector<ContainerOverride> overrides;
  std::vector<EcsTag> tags;
};

struct StartTaskRequest {
  std::string cluster;
  std::string task_definition;
  std::vector<std::string> container_instances;  // ARNs or ids, 1-10
  std::string started_by;
  std::string group;
  std::vector<ContainerOverride> overrides;
  std::vector<EcsTag> tags;
};

using RunTaskResult = Described<EcsTask>;

struct CreateServiceRequest {
  std::string cluster;
  std::string service_name;
  std::string task_definition;
  int desired_count = 0;
  std::vector<EcsLoadBalancer> load_balancers;
  std::vector<PlacementStrategy> placement_strategy;
  std::vector<PlacementConstraint> placement_constraints;
  DeploymentConfiguration deployment_configuration;
  std::vector<EcsTag> tags;
};

struct UpdateServiceRequest {
  std::string cluster;
  std::string service;
  std::optional<std::string> task_definition;
  std::optional<int> desired_count;
  std::optional<DeploymentConfiguration> deployment_configuration;
  std::optional<std::vector<PlacementStrategy>> placement_strategy;
  std::optional<std::vector<PlacementConstraint>> placement_constraints;
  bool force_new_deployment = false;
};

struct ListTasksRequest : PageRequest {
  std::string cluster;
  std::string container_instance;
  std::string family;
  std::string service_name;
  std::string desired_status;  // RUNNING (default), PENDING, STOPPED
  std::string started_by;
};

struct ListContainerInstancesRequest : PageRequest {
  std::string cluster;
  std::string filter;  // cluster query language; `ec2InstanceId in [...]`, attribute:... ==
  std::string status;  // ACTIVE, DRAINING, ...
};

struct ListTaskDefinitionsRequest : PageRequest {
  std::string family_prefix;
  std::string status = "ACTIVE";
  std::string sort = "ASC";
};

class Ecs {
 public:
  virtual ~Ecs() = default;

  virtual Result<EcsCluster> CreateCluster(const std::string& name,
                                           const std::vector<EcsTag>& tags) = 0;
  virtual Result<Described<EcsCluster>> DescribeClusters(
      const std::vector<std::string>& clusters) = 0;
  virtual Result<ArnPage> ListClusters(const PageRequest& page) = 0;

  virtual Result<TaskDefinition> RegisterTaskDefinition(
      const RegisterTaskDefinitionRequest& request) = 0;
  virtual Result<TaskDefinition> DescribeTaskDefinition(const std::string& task_definition) = 0;
  virtual Result<TaskDefinition> DeregisterTaskDefinition(const std::string& task_definition) = 0;
  virtual Result<ArnPage> ListTaskDefinitions(const ListTaskDefinitionsRequest& request) = 0;

  virtual Result<ArnPage> ListContainerInstances(const ListContainerInstancesRequest& request) = 0;
  virtual Result<Described<ContainerInstance>> DescribeContainerInstances(
      const std::string& cluster, const std::vector<std::string>& container_instances) = 0;
  virtual Result<Described<ContainerInstance>> UpdateContainerInstancesState(
      const std::string& cluster, const std::vector<std::string>& container_instances,
      const std::string& status) = 0;
  virtual Result<ContainerInstance> DeregisterContainerInstance(
      const std::string& cluster, const std::string& container_instance, bool force) = 0;

  virtual Result<EcsService> CreateService(const CreateServiceRequest& request) = 0;
  virtual Result<EcsService> UpdateService(const UpdateServiceRequest& request) = 0;
  virtual Result<EcsService> DeleteService(const std::string& cluster, const std::string& service,
                                           bool force) = 0;
  virtual Result<Described<EcsService>> DescribeServices(
      const std::string& cluster, const std::vector<std::string>& services) = 0;
  virtual Result<ArnPage> ListServices(const std::string& cluster, const PageRequest& page) = 0;

  virtual Result<RunTaskResult> RunTask(const RunTaskRequest& request) = 0;
  virtual Result<RunTaskResult> StartTask(const StartTaskRequest& request) = 0;
  virtual Result<EcsTask> StopTask(const std::string& cluster, const std::string& task,
                                   const std::string& reason) = 0;
  virtual Result<Described<EcsTask>> DescribeTasks(const std::string& cluster,
                                                   const std::vector<std::string>& tasks) = 0;
  virtual Result<ArnPage> ListTasks(const ListTasksRequest& request) = 0;

  virtual Status TagResource(const std::string& resource_arn, const std::vector<EcsTag>& tags) = 0;
  virtual Result<std::vector<EcsTag>> ListTagsForResource(const std::string& resource_arn) = 0;
};

}  // namespace steady::aws
