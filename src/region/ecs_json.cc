#include "region/ecs_json.h"

namespace steady::region::ecsjson {

namespace {

template <class T>
void Opt(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = it->get<T>();
}
template <class T>
void Opt(const json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = it->get<T>();
}
void OptTime(const json& j, const char* key, Time& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = TimeFrom(*it);
}
void OptTime(const json& j, const char* key, std::optional<Time>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = TimeFrom(*it);
}
void PutTime(json& j, const char* key, const std::optional<Time>& t) {
  if (t) j[key] = Seconds(*t);
}
void PutStr(json& j, const char* key, const std::string& s) {
  if (!s.empty()) j[key] = s;
}

}  // namespace

json Seconds(Time t) {
  int64_t ns = ToUnixNanos(t);
  if (ns % 1'000'000'000 == 0) return ns / 1'000'000'000;
  return static_cast<double>(ns) / 1e9;
}

Time TimeFrom(const json& j) {
  if (j.is_number_integer()) return FromUnixNanos(j.get<int64_t>() * 1'000'000'000);
  return FromUnixNanos(
      static_cast<int64_t>(j.get<double>() * 1e9 + (j.get<double>() > 0 ? 0.5 : -0.5)));
}

json ToJson(const aws::EcsTag& v) { return {{"key", v.key}, {"value", v.value}}; }
void FromJson(const json& j, aws::EcsTag& v) {
  Opt(j, "key", v.key);
  Opt(j, "value", v.value);
}

json ToJson(const aws::KeyValuePair& v) { return {{"name", v.name}, {"value", v.value}}; }
void FromJson(const json& j, aws::KeyValuePair& v) {
  Opt(j, "name", v.name);
  Opt(j, "value", v.value);
}

json ToJson(const aws::PortMapping& v) {
  return {{"containerPort", v.container_port}, {"hostPort", v.host_port}, {"protocol", v.protocol}};
}
void FromJson(const json& j, aws::PortMapping& v) {
  Opt(j, "containerPort", v.container_port);
  Opt(j, "hostPort", v.host_port);
  Opt(j, "protocol", v.protocol);
}

json ToJson(const aws::ContainerDefinition& v) {
  json j = {{"name", v.name},
            {"image", v.image},
            {"cpu", v.cpu},
            {"essential", v.essential},
            {"portMappings", ToJson(v.port_mappings)},
            {"environment", ToJson(v.environment)}};
  if (v.memory) j["memory"] = *v.memory;
  if (v.memory_reservation) j["memoryReservation"] = *v.memory_reservation;
  if (!v.command.empty()) j["command"] = v.command;
  if (v.log_configuration)
    j["logConfiguration"] = {{"logDriver", v.log_configuration->log_driver},
                             {"options", v.log_configuration->options}};
  if (!v.secrets.empty()) {
    json s = json::array();
    for (const auto& e : v.secrets) s.push_back({{"name", e.name}, {"valueFrom", e.value_from}});
    j["secrets"] = s;
  }
  return j;
}
void FromJson(const json& j, aws::ContainerDefinition& v) {
  Opt(j, "name", v.name);
  Opt(j, "image", v.image);
  Opt(j, "cpu", v.cpu);
  Opt(j, "memory", v.memory);
  Opt(j, "memoryReservation", v.memory_reservation);
  Opt(j, "essential", v.essential);
  v.port_mappings = ListFrom<aws::PortMapping>(j, "portMappings");
  v.environment = ListFrom<aws::KeyValuePair>(j, "environment");
  Opt(j, "command", v.command);
  if (auto it = j.find("logConfiguration"); it != j.end() && it->is_object()) {
    aws::LogConfiguration lc;
    Opt(*it, "logDriver", lc.log_driver);
    Opt(*it, "options", lc.options);
    v.log_configuration = lc;
  }
  if (auto it = j.find("secrets"); it != j.end() && it->is_array()) {
    for (const json& e : *it) {
      aws::EcsSecret s;
      Opt(e, "name", s.name);
      Opt(e, "valueFrom", s.value_from);
      v.secrets.push_back(s);
    }
  }
}

json ToJson(const aws::TaskDefinition& v) {
  json j = {{"taskDefinitionArn", v.task_definition_arn},
            {"family", v.family},
            {"revision", v.revision},
            {"status", v.status},
            {"containerDefinitions", ToJson(v.container_definitions)},
            {"networkMode", v.network_mode},
            {"compatibilities", {"EC2"}},
            {"requiresCompatibilities", v.requires_compatibilities},
            {"registeredAt", Seconds(v.registered_at)}};
  PutStr(j, "cpu", v.cpu);
  PutStr(j, "memory", v.memory);
  PutTime(j, "deregisteredAt", v.deregistered_at);
  return j;
}
void FromJson(const json& j, aws::TaskDefinition& v) {
  Opt(j, "taskDefinitionArn", v.task_definition_arn);
  Opt(j, "family", v.family);
  Opt(j, "revision", v.revision);
  Opt(j, "status", v.status);
  v.container_definitions = ListFrom<aws::ContainerDefinition>(j, "containerDefinitions");
  Opt(j, "cpu", v.cpu);
  Opt(j, "memory", v.memory);
  Opt(j, "networkMode", v.network_mode);
  Opt(j, "requiresCompatibilities", v.requires_compatibilities);
  OptTime(j, "registeredAt", v.registered_at);
  OptTime(j, "deregisteredAt", v.deregistered_at);
}

json ToJson(const aws::EcsResource& v) {
  json j = {{"name", v.name}, {"type", v.type}, {"doubleValue", 0.0}, {"longValue", 0}};
  j["integerValue"] = v.integer_value;
  if (v.type == "STRINGSET") j["stringSetValue"] = v.string_set_value;
  return j;
}
void FromJson(const json& j, aws::EcsResource& v) {
  Opt(j, "name", v.name);
  Opt(j, "type", v.type);
  Opt(j, "integerValue", v.integer_value);
  Opt(j, "stringSetValue", v.string_set_value);
}

json ToJson(const aws::ContainerInstance& v) {
  json attrs = json::array();
  for (const auto& a : v.attributes) attrs.push_back({{"name", a.name}, {"value", a.value}});
  return {{"containerInstanceArn", v.container_instance_arn},
          {"ec2InstanceId", v.ec2_instance_id},
          {"status", v.status},
          {"agentConnected", v.agent_connected},
          {"registeredResources", ToJson(v.registered_resources)},
          {"remainingResources", ToJson(v.remaining_resources)},
          {"runningTasksCount", v.running_tasks_count},
          {"pendingTasksCount", v.pending_tasks_count},
          {"attributes", attrs},
          {"registeredAt", Seconds(v.registered_at)},
          {"version", 1},
          {"tags", ToJson(v.tags)}};
}
void FromJson(const json& j, aws::ContainerInstance& v) {
  Opt(j, "containerInstanceArn", v.container_instance_arn);
  Opt(j, "ec2InstanceId", v.ec2_instance_id);
  Opt(j, "status", v.status);
  Opt(j, "agentConnected", v.agent_connected);
  v.registered_resources = ListFrom<aws::EcsResource>(j, "registeredResources");
  v.remaining_resources = ListFrom<aws::EcsResource>(j, "remainingResources");
  Opt(j, "runningTasksCount", v.running_tasks_count);
  Opt(j, "pendingTasksCount", v.pending_tasks_count);
  if (auto it = j.find("attributes"); it != j.end() && it->is_array())
    for (const json& a : *it) v.attributes.push_back({a.value("name", ""), a.value("value", "")});
  OptTime(j, "registeredAt", v.registered_at);
  v.tags = ListFrom<aws::EcsTag>(j, "tags");
}

json ToJson(const aws::EcsContainer& v) {
  json nb = json::array();
  for (const auto& b : v.network_bindings)
    nb.push_back({{"bindIP", b.bind_ip},
                  {"containerPort", b.container_port},
                  {"hostPort", b.host_port},
                  {"protocol", b.protocol}});
  json j = {{"containerArn", v.container_arn},
            {"taskArn", v.task_arn},
            {"name", v.name},
            {"image", v.image},
            {"lastStatus", v.last_status},
            {"networkBindings", nb},
            {"cpu", std::to_string(v.cpu)},
            {"essential", v.essential}};
  if (v.exit_code) j["exitCode"] = *v.exit_code;
  PutStr(j, "reason", v.reason);
  if (v.memory) j["memory"] = std::to_string(*v.memory);
  if (v.memory_reservation) j["memoryReservation"] = std::to_string(*v.memory_reservation);
  return j;
}
void FromJson(const json& j, aws::EcsContainer& v) {
  Opt(j, "containerArn", v.container_arn);
  Opt(j, "taskArn", v.task_arn);
  Opt(j, "name", v.name);
  Opt(j, "image", v.image);
  Opt(j, "lastStatus", v.last_status);
  Opt(j, "exitCode", v.exit_code);
  Opt(j, "reason", v.reason);
  Opt(j, "essential", v.essential);
  if (auto it = j.find("networkBindings"); it != j.end() && it->is_array())
    for (const json& b : *it) {
      aws::NetworkBinding nb;
      Opt(b, "bindIP", nb.bind_ip);
      Opt(b, "containerPort", nb.container_port);
      Opt(b, "hostPort", nb.host_port);
      Opt(b, "protocol", nb.protocol);
      v.network_bindings.push_back(nb);
    }
  if (j.contains("cpu")) v.cpu = std::stoi(j["cpu"].get<std::string>());
  if (j.contains("memory")) v.memory = std::stoi(j["memory"].get<std::string>());
  if (j.contains("memoryReservation"))
    v.memory_reservation = std::stoi(j["memoryReservation"].get<std::string>());
}

json ToJson(const aws::ContainerOverride& v) {
  json j = {{"name", v.name}};
  if (!v.command.empty()) j["command"] = v.command;
  if (!v.environment.empty()) j["environment"] = ToJson(v.environment);
  return j;
}
void FromJson(const json& j, aws::ContainerOverride& v) {
  Opt(j, "name", v.name);
  Opt(j, "command", v.command);
  v.environment = ListFrom<aws::KeyValuePair>(j, "environment");
}

json ToJson(const aws::EcsTask& v) {
  json j = {{"taskArn", v.task_arn},
            {"clusterArn", v.cluster_arn},
            {"taskDefinitionArn", v.task_definition_arn},
            {"containerInstanceArn", v.container_instance_arn},
            {"lastStatus", v.last_status},
            {"desiredStatus", v.desired_status},
            {"launchType", v.launch_type},
            {"containers", ToJson(v.containers)},
            {"overrides", {{"containerOverrides", ToJson(v.overrides)}}},
            {"createdAt", Seconds(v.created_at)},
            {"version", v.version},
            {"tags", ToJson(v.tags)}};
  PutStr(j, "startedBy", v.started_by);
  PutStr(j, "group", v.group);
  PutStr(j, "cpu", v.cpu);
  PutStr(j, "memory", v.memory);
  PutStr(j, "availabilityZone", v.availability_zone);
  PutStr(j, "stopCode", v.stop_code);
  PutStr(j, "stoppedReason", v.stopped_reason);
  PutTime(j, "pullStartedAt", v.pull_started_at);
  PutTime(j, "startedAt", v.started_at);
  PutTime(j, "stoppingAt", v.stopping_at);
  PutTime(j, "stoppedAt", v.stopped_at);
  return j;
}
void FromJson(const json& j, aws::EcsTask& v) {
  Opt(j, "taskArn", v.task_arn);
  Opt(j, "clusterArn", v.cluster_arn);
  Opt(j, "taskDefinitionArn", v.task_definition_arn);
  Opt(j, "containerInstanceArn", v.container_instance_arn);
  Opt(j, "lastStatus", v.last_status);
  Opt(j, "desiredStatus", v.desired_status);
  Opt(j, "launchType", v.launch_type);
  v.containers = ListFrom<aws::EcsContainer>(j, "containers");
  if (auto it = j.find("overrides"); it != j.end() && it->is_object())
    v.overrides = ListFrom<aws::ContainerOverride>(*it, "containerOverrides");
  OptTime(j, "createdAt", v.created_at);
  Opt(j, "version", v.version);
  v.tags = ListFrom<aws::EcsTag>(j, "tags");
  Opt(j, "startedBy", v.started_by);
  Opt(j, "group", v.group);
  Opt(j, "cpu", v.cpu);
  Opt(j, "memory", v.memory);
  Opt(j, "availabilityZone", v.availability_zone);
  Opt(j, "stopCode", v.stop_code);
  Opt(j, "stoppedReason", v.stopped_reason);
  OptTime(j, "pullStartedAt", v.pull_started_at);
  OptTime(j, "startedAt", v.started_at);
  OptTime(j, "stoppingAt", v.stopping_at);
  OptTime(j, "stoppedAt", v.stopped_at);
}

json ToJson(const aws::EcsFailure& v) {
  json j = {{"arn", v.arn}, {"reason", v.reason}};
  PutStr(j, "detail", v.detail);
  return j;
}

json ToJson(const aws::PlacementStrategy& v) {
  json j = {{"type", v.type}};
  PutStr(j, "field", v.field);
  return j;
}
void FromJson(const json& j, aws::PlacementStrategy& v) {
  Opt(j, "type", v.type);
  Opt(j, "field", v.field);
}

json ToJson(const aws::PlacementConstraint& v) {
  json j = {{"type", v.type}};
  PutStr(j, "expression", v.expression);
  return j;
}
void FromJson(const json& j, aws::PlacementConstraint& v) {
  Opt(j, "type", v.type);
  Opt(j, "expression", v.expression);
}

json ToJson(const aws::EcsLoadBalancer& v) {
  return {{"targetGroupArn", v.target_group_arn},
          {"containerName", v.container_name},
          {"containerPort", v.container_port}};
}
void FromJson(const json& j, aws::EcsLoadBalancer& v) {
  Opt(j, "targetGroupArn", v.target_group_arn);
  Opt(j, "containerName", v.container_name);
  Opt(j, "containerPort", v.container_port);
}

json ToJson(const aws::DeploymentConfiguration& v) {
  return {{"maximumPercent", v.maximum_percent},
          {"minimumHealthyPercent", v.minimum_healthy_percent},
          {"deploymentCircuitBreaker",
           {{"enable", v.circuit_breaker_enable}, {"rollback", v.circuit_breaker_rollback}}}};
}
void FromJson(const json& j, aws::DeploymentConfiguration& v) {
  Opt(j, "maximumPercent", v.maximum_percent);
  Opt(j, "minimumHealthyPercent", v.minimum_healthy_percent);
  if (auto it = j.find("deploymentCircuitBreaker"); it != j.end() && it->is_object()) {
    Opt(*it, "enable", v.circuit_breaker_enable);
    Opt(*it, "rollback", v.circuit_breaker_rollback);
  }
}

json ToJson(const aws::Deployment& v) {
  json j = {{"id", v.id},
            {"status", v.status},
            {"taskDefinition", v.task_definition},
            {"desiredCount", v.desired_count},
            {"pendingCount", v.pending_count},
            {"runningCount", v.running_count},
            {"failedTasks", v.failed_tasks},
            {"createdAt", Seconds(v.created_at)},
            {"updatedAt", Seconds(v.updated_at)},
            {"launchType", "EC2"},
            {"rolloutState", v.rollout_state}};
  PutStr(j, "rolloutStateReason", v.rollout_state_reason);
  return j;
}
void FromJson(const json& j, aws::Deployment& v) {
  Opt(j, "id", v.id);
  Opt(j, "status", v.status);
  Opt(j, "taskDefinition", v.task_definition);
  Opt(j, "desiredCount", v.desired_count);
  Opt(j, "pendingCount", v.pending_count);
  Opt(j, "runningCount", v.running_count);
  Opt(j, "failedTasks", v.failed_tasks);
  OptTime(j, "createdAt", v.created_at);
  OptTime(j, "updatedAt", v.updated_at);
  Opt(j, "rolloutState", v.rollout_state);
  Opt(j, "rolloutStateReason", v.rollout_state_reason);
}

json ToJson(const aws::ServiceEvent& v) {
  return {{"id", v.id}, {"createdAt", Seconds(v.created_at)}, {"message", v.message}};
}
void FromJson(const json& j, aws::ServiceEvent& v) {
  Opt(j, "id", v.id);
  OptTime(j, "createdAt", v.created_at);
  Opt(j, "message", v.message);
}

json ToJson(const aws::EcsService& v) {
  return {{"serviceArn", v.service_arn},
          {"serviceName", v.service_name},
          {"clusterArn", v.cluster_arn},
          {"status", v.status},
          {"taskDefinition", v.task_definition},
          {"desiredCount", v.desired_count},
          {"runningCount", v.running_count},
          {"pendingCount", v.pending_count},
          {"launchType", v.launch_type},
          {"schedulingStrategy", v.scheduling_strategy},
          {"loadBalancers", ToJson(v.load_balancers)},
          {"placementStrategy", ToJson(v.placement_strategy)},
          {"placementConstraints", ToJson(v.placement_constraints)},
          {"deploymentConfiguration", ToJson(v.deployment_configuration)},
          {"deployments", ToJson(v.deployments)},
          {"events", ToJson(v.events)},
          {"createdAt", Seconds(v.created_at)},
          {"tags", ToJson(v.tags)}};
}
void FromJson(const json& j, aws::EcsService& v) {
  Opt(j, "serviceArn", v.service_arn);
  Opt(j, "serviceName", v.service_name);
  Opt(j, "clusterArn", v.cluster_arn);
  Opt(j, "status", v.status);
  Opt(j, "taskDefinition", v.task_definition);
  Opt(j, "desiredCount", v.desired_count);
  Opt(j, "runningCount", v.running_count);
  Opt(j, "pendingCount", v.pending_count);
  Opt(j, "launchType", v.launch_type);
  Opt(j, "schedulingStrategy", v.scheduling_strategy);
  v.load_balancers = ListFrom<aws::EcsLoadBalancer>(j, "loadBalancers");
  v.placement_strategy = ListFrom<aws::PlacementStrategy>(j, "placementStrategy");
  v.placement_constraints = ListFrom<aws::PlacementConstraint>(j, "placementConstraints");
  if (auto it = j.find("deploymentConfiguration"); it != j.end() && it->is_object())
    FromJson(*it, v.deployment_configuration);
  v.deployments = ListFrom<aws::Deployment>(j, "deployments");
  v.events = ListFrom<aws::ServiceEvent>(j, "events");
  OptTime(j, "createdAt", v.created_at);
  v.tags = ListFrom<aws::EcsTag>(j, "tags");
}

json ToJson(const aws::EcsCluster& v) {
  return {{"clusterArn", v.cluster_arn},
          {"clusterName", v.cluster_name},
          {"status", v.status},
          {"registeredContainerInstancesCount", v.registered_container_instances_count},
          {"runningTasksCount", v.running_tasks_count},
          {"pendingTasksCount", v.pending_tasks_count},
          {"activeServicesCount", v.active_services_count},
          {"tags", ToJson(v.tags)}};
}
void FromJson(const json& j, aws::EcsCluster& v) {
  Opt(j, "clusterArn", v.cluster_arn);
  Opt(j, "clusterName", v.cluster_name);
  Opt(j, "status", v.status);
  v.tags = ListFrom<aws::EcsTag>(j, "tags");
}

}  // namespace steady::region::ecsjson
