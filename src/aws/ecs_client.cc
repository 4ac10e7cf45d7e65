#include "aws/ecs_client.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "aws/protocol_json.h"
#include "aws/rate_limiter.h"

namespace steady::aws {

using nlohmann::json;

namespace {

constexpr std::string_view kTarget = "AmazonEC2ContainerServiceV20141113";

Result<json> Call(AwsTransport& t, std::string_view op, const json& body) {
  SendOptions opts;
  opts.limiter_group = std::string(EcsLimiterGroup(op));
  ASSIGN_OR_RETURN(net::HttpResponse resp,
                   t.Send(op, JsonRpcRequest(Protocol::kJson11, kTarget, op, body), opts));
  return ParseJsonBody(resp.body, op);
}

// A member of the wrong JSON type (or a number that does not parse) throws; Decode turns that
// into kDataLoss.
struct ShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename F>
auto Decode(std::string_view op, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const json::exception& e) {
    return DataLossError(std::string(op) + ": unexpected response shape: " + e.what());
  } catch (const ShapeError& e) {
    return DataLossError(std::string(op) + ": unexpected response shape: " + e.what());
  }
}

// ---- writing -------------------------------------------------------------------------------

void PutStr(json& j, const char* key, const std::string& s) {
  if (!s.empty()) j[key] = s;
}

json TagsJson(const std::vector<EcsTag>& tags) {
  json out = json::array();
  for (const auto& t : tags) out.push_back({{"key", t.key}, {"value", t.value}});
  return out;
}

json KvJson(const std::vector<KeyValuePair>& kvs) {
  json out = json::array();
  for (const auto& kv : kvs) out.push_back({{"name", kv.name}, {"value", kv.value}});
  return out;
}

json ContainerDefinitionJson(const ContainerDefinition& v) {
  json j = {{"name", v.name}, {"image", v.image}, {"cpu", v.cpu}, {"essential", v.essential}};
  if (v.memory) j["memory"] = *v.memory;
  if (v.memory_reservation) j["memoryReservation"] = *v.memory_reservation;
  if (!v.port_mappings.empty()) {
    json pm = json::array();
    for (const auto& p : v.port_mappings)
      pm.push_back({{"containerPort", p.container_port},
                    {"hostPort", p.host_port},
                    {"protocol", p.protocol}});
    j["portMappings"] = pm;
  }
  if (!v.environment.empty()) j["environment"] = KvJson(v.environment);
  if (!v.command.empty()) j["command"] = v.command;
  if (v.log_configuration) {
    json lc = {{"logDriver", v.log_configuration->log_driver}};
    if (!v.log_configuration->options.empty()) lc["options"] = v.log_configuration->options;
    j["logConfiguration"] = lc;
  }
  if (!v.secrets.empty()) {
    json s = json::array();
    for (const auto& e : v.secrets) s.push_back({{"name", e.name}, {"valueFrom", e.value_from}});
    j["secrets"] = s;
  }
  return j;
}

json StrategiesJson(const std::vector<PlacementStrategy>& list) {
  json out = json::array();
  for (const auto& s : list) {
    json j = {{"type", s.type}};
    PutStr(j, "field", s.field);
    out.push_back(j);
  }
  return out;
}

json ConstraintsJson(const std::vector<PlacementConstraint>& list) {
  json out = json::array();
  for (const auto& c : list) {
    json j = {{"type", c.type}};
    PutStr(j, "expression", c.expression);
    out.push_back(j);
  }
  return out;
}

json DeploymentConfigurationJson(const DeploymentConfiguration& v) {
  return {{"maximumPercent", v.maximum_percent},
          {"minimumHealthyPercent", v.minimum_healthy_percent},
          {"deploymentCircuitBreaker",
           {{"enable", v.circuit_breaker_enable}, {"rollback", v.circuit_breaker_rollback}}}};
}

json OverridesJson(const std::vector<ContainerOverride>& list) {
  json out = json::array();
  for (const auto& o : list) {
    json j = {{"name", o.name}};
    if (!o.command.empty()) j["command"] = o.command;
    if (!o.environment.empty()) j["environment"] = KvJson(o.environment);
    out.push_back(j);
  }
  return {{"containerOverrides", out}};
}

void PutPage(json& body, const PageRequest& page) {
  if (!page.next_token.empty()) body["nextToken"] = page.next_token;
  if (page.max_results > 0) body["maxResults"] = page.max_results;
}

// ---- reading -------------------------------------------------------------------------------

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

Time TimeFrom(const json& v) {
  Result<Time> t = JsonTimestamp(v);
  if (!t.ok()) throw ShapeError("bad timestamp " + v.dump());
  return *t;
}
void OptTime(const json& j, const char* key, Time& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = TimeFrom(*it);
}
void OptTime(const json& j, const char* key, std::optional<Time>& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) out = TimeFrom(*it);
}

// ECS sends a container's cpu/memory as strings ("256").
int IntFromString(const json& v) {
  if (v.is_number_integer()) return v.get<int>();
  const std::string s = v.get<std::string>();
  int out = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    throw ShapeError("not an integer: \"" + s + "\"");
  return out;
}

// A list member: absent or null → empty; anything but an array throws.
template <class T, class F>
std::vector<T> ListOf(const json& j, const char* key, F&& read) {
  std::vector<T> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  for (const json& e : it->get_ref<const json::array_t&>()) out.push_back(read(e));
  return out;
}

EcsTag TagFrom(const json& j) {
  EcsTag t;
  Opt(j, "key", t.key);
  Opt(j, "value", t.value);
  return t;
}
std::vector<EcsTag> TagsFrom(const json& j, const char* key = "tags") {
  return ListOf<EcsTag>(j, key, TagFrom);
}

KeyValuePair KvFrom(const json& j) {
  KeyValuePair kv;
  Opt(j, "name", kv.name);
  Opt(j, "value", kv.value);
  return kv;
}

ContainerDefinition ContainerDefinitionFrom(const json& j) {
  ContainerDefinition v;
  Opt(j, "name", v.name);
  Opt(j, "image", v.image);
  Opt(j, "cpu", v.cpu);
  Opt(j, "memory", v.memory);
  Opt(j, "memoryReservation", v.memory_reservation);
  Opt(j, "essential", v.essential);
  v.port_mappings = ListOf<PortMapping>(j, "portMappings", [](const json& e) {
    PortMapping p;
    Opt(e, "containerPort", p.container_port);
    Opt(e, "hostPort", p.host_port);
    Opt(e, "protocol", p.protocol);
    return p;
  });
  v.environment = ListOf<KeyValuePair>(j, "environment", KvFrom);
  Opt(j, "command", v.command);
  if (auto it = j.find("logConfiguration"); it != j.end() && it->is_object()) {
    LogConfiguration lc;
    Opt(*it, "logDriver", lc.log_driver);
    Opt(*it, "options", lc.options);
    v.log_configuration = lc;
  }
  v.secrets = ListOf<EcsSecret>(j, "secrets", [](const json& e) {
    EcsSecret s;
    Opt(e, "name", s.name);
    Opt(e, "valueFrom", s.value_from);
    return s;
  });
  return v;
}

TaskDefinition TaskDefinitionFrom(const json& j) {
  TaskDefinition v;
  Opt(j, "taskDefinitionArn", v.task_definition_arn);
  Opt(j, "family", v.family);
  Opt(j, "revision", v.revision);
  Opt(j, "status", v.status);
  v.container_definitions =
      ListOf<ContainerDefinition>(j, "containerDefinitions", ContainerDefinitionFrom);
  Opt(j, "cpu", v.cpu);
  Opt(j, "memory", v.memory);
  Opt(j, "networkMode", v.network_mode);
  Opt(j, "requiresCompatibilities", v.requires_compatibilities);
  OptTime(j, "registeredAt", v.registered_at);
  OptTime(j, "deregisteredAt", v.deregistered_at);
  return v;
}

EcsResource ResourceFrom(const json& j) {
  EcsResource v;
  Opt(j, "name", v.name);
  Opt(j, "type", v.type);
  Opt(j, "integerValue", v.integer_value);
  Opt(j, "stringSetValue", v.string_set_value);
  return v;
}

ContainerInstance ContainerInstanceFrom(const json& j) {
  ContainerInstance v;
  Opt(j, "containerInstanceArn", v.container_instance_arn);
  Opt(j, "ec2InstanceId", v.ec2_instance_id);
  Opt(j, "status", v.status);
  Opt(j, "agentConnected", v.agent_connected);
  v.registered_resources = ListOf<EcsResource>(j, "registeredResources", ResourceFrom);
  v.remaining_resources = ListOf<EcsResource>(j, "remainingResources", ResourceFrom);
  Opt(j, "runningTasksCount", v.running_tasks_count);
  Opt(j, "pendingTasksCount", v.pending_tasks_count);
  v.attributes = ListOf<EcsAttribute>(j, "attributes", [](const json& a) {
    EcsAttribute at;
    Opt(a, "name", at.name);
    Opt(a, "value", at.value);
    return at;
  });
  OptTime(j, "registeredAt", v.registered_at);
  v.tags = TagsFrom(j);
  return v;
}

ContainerOverride OverrideFrom(const json& j) {
  ContainerOverride v;
  Opt(j, "name", v.name);
  Opt(j, "command", v.command);
  v.environment = ListOf<KeyValuePair>(j, "environment", KvFrom);
  return v;
}

EcsContainer ContainerFrom(const json& j) {
  if (!j.is_object()) throw ShapeError("a container is not an object");
  EcsContainer v;
  Opt(j, "containerArn", v.container_arn);
  Opt(j, "taskArn", v.task_arn);
  Opt(j, "name", v.name);
  Opt(j, "image", v.image);
  Opt(j, "lastStatus", v.last_status);
  Opt(j, "exitCode", v.exit_code);
  Opt(j, "reason", v.reason);
  Opt(j, "essential", v.essential);
  v.network_bindings = ListOf<NetworkBinding>(j, "networkBindings", [](const json& b) {
    NetworkBinding nb;
    Opt(b, "bindIP", nb.bind_ip);
    Opt(b, "containerPort", nb.container_port);
    Opt(b, "hostPort", nb.host_port);
    Opt(b, "protocol", nb.protocol);
    return nb;
  });
  if (auto it = j.find("cpu"); it != j.end() && !it->is_null()) v.cpu = IntFromString(*it);
  if (auto it = j.find("memory"); it != j.end() && !it->is_null()) v.memory = IntFromString(*it);
  if (auto it = j.find("memoryReservation"); it != j.end() && !it->is_null())
    v.memory_reservation = IntFromString(*it);
  return v;
}

EcsTask TaskFrom(const json& j) {
  EcsTask v;
  Opt(j, "taskArn", v.task_arn);
  Opt(j, "clusterArn", v.cluster_arn);
  Opt(j, "taskDefinitionArn", v.task_definition_arn);
  Opt(j, "containerInstanceArn", v.container_instance_arn);
  Opt(j, "lastStatus", v.last_status);
  Opt(j, "desiredStatus", v.desired_status);
  Opt(j, "startedBy", v.started_by);
  Opt(j, "group", v.group);
  Opt(j, "launchType", v.launch_type);
  Opt(j, "cpu", v.cpu);
  Opt(j, "memory", v.memory);
  Opt(j, "availabilityZone", v.availability_zone);
  v.containers = ListOf<EcsContainer>(j, "containers", ContainerFrom);
  if (auto it = j.find("overrides"); it != j.end() && it->is_object())
    v.overrides = ListOf<ContainerOverride>(*it, "containerOverrides", OverrideFrom);
  OptTime(j, "createdAt", v.created_at);
  OptTime(j, "pullStartedAt", v.pull_started_at);
  OptTime(j, "startedAt", v.started_at);
  OptTime(j, "stoppingAt", v.stopping_at);
  OptTime(j, "stoppedAt", v.stopped_at);
  Opt(j, "stopCode", v.stop_code);
  Opt(j, "stoppedReason", v.stopped_reason);
  Opt(j, "version", v.version);
  v.tags = TagsFrom(j);
  return v;
}

EcsFailure FailureFrom(const json& j) {
  EcsFailure f;
  Opt(j, "arn", f.arn);
  Opt(j, "reason", f.reason);
  Opt(j, "detail", f.detail);
  return f;
}

PlacementStrategy StrategyFrom(const json& j) {
  PlacementStrategy v;
  Opt(j, "type", v.type);
  Opt(j, "field", v.field);
  return v;
}

PlacementConstraint ConstraintFrom(const json& j) {
  PlacementConstraint v;
  Opt(j, "type", v.type);
  Opt(j, "expression", v.expression);
  return v;
}

EcsService ServiceFrom(const json& j) {
  EcsService v;
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
  v.load_balancers = ListOf<EcsLoadBalancer>(j, "loadBalancers", [](const json& e) {
    EcsLoadBalancer lb;
    Opt(e, "targetGroupArn", lb.target_group_arn);
    Opt(e, "containerName", lb.container_name);
    Opt(e, "containerPort", lb.container_port);
    return lb;
  });
  v.placement_strategy = ListOf<PlacementStrategy>(j, "placementStrategy", StrategyFrom);
  v.placement_constraints = ListOf<PlacementConstraint>(j, "placementConstraints", ConstraintFrom);
  if (auto it = j.find("deploymentConfiguration"); it != j.end() && it->is_object()) {
    DeploymentConfiguration& d = v.deployment_configuration;
    Opt(*it, "maximumPercent", d.maximum_percent);
    Opt(*it, "minimumHealthyPercent", d.minimum_healthy_percent);
    if (auto cb = it->find("deploymentCircuitBreaker"); cb != it->end() && cb->is_object()) {
      Opt(*cb, "enable", d.circuit_breaker_enable);
      Opt(*cb, "rollback", d.circuit_breaker_rollback);
    }
  }
  v.deployments = ListOf<Deployment>(j, "deployments", [](const json& e) {
    Deployment d;
    Opt(e, "id", d.id);
    Opt(e, "status", d.status);
    Opt(e, "taskDefinition", d.task_definition);
    Opt(e, "desiredCount", d.desired_count);
    Opt(e, "pendingCount", d.pending_count);
    Opt(e, "runningCount", d.running_count);
    Opt(e, "failedTasks", d.failed_tasks);
    OptTime(e, "createdAt", d.created_at);
    OptTime(e, "updatedAt", d.updated_at);
    Opt(e, "rolloutState", d.rollout_state);
    Opt(e, "rolloutStateReason", d.rollout_state_reason);
    return d;
  });
  v.events = ListOf<ServiceEvent>(j, "events", [](const json& e) {
    ServiceEvent ev;
    Opt(e, "id", ev.id);
    OptTime(e, "createdAt", ev.created_at);
    Opt(e, "message", ev.message);
    return ev;
  });
  OptTime(j, "createdAt", v.created_at);
  v.tags = TagsFrom(j);
  return v;
}

EcsCluster ClusterFrom(const json& j) {
  EcsCluster v;
  Opt(j, "clusterArn", v.cluster_arn);
  Opt(j, "clusterName", v.cluster_name);
  Opt(j, "status", v.status);
  Opt(j, "registeredContainerInstancesCount", v.registered_container_instances_count);
  Opt(j, "runningTasksCount", v.running_tasks_count);
  Opt(j, "pendingTasksCount", v.pending_tasks_count);
  Opt(j, "activeServicesCount", v.active_services_count);
  v.tags = TagsFrom(j);
  return v;
}

template <class T, class F>
Described<T> DescribedFrom(const json& out, const char* key, F&& read) {
  Described<T> d;
  d.items = ListOf<T>(out, key, read);
  d.failures = ListOf<EcsFailure>(out, "failures", FailureFrom);
  return d;
}

ArnPage PageFrom(const json& out, const char* key) {
  ArnPage p;
  Opt(out, key, p.arns);
  Opt(out, "nextToken", p.next_token);
  return p;
}

// The member `key` of `out`, which must be an object.
const json& Member(const json& out, const char* key) {
  const json& m = out.at(key);
  if (!m.is_object()) throw ShapeError(std::string(key) + " is not an object");
  return m;
}

}  // namespace

Result<EcsTask> ParseEcsTaskJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return DataLossError("ECS task: not a JSON object");
  try {
    return TaskFrom(j);
  } catch (const std::exception& ex) {
    return DataLossError(std::string("ECS task: unexpected shape: ") + ex.what());
  }
}

ServiceInfo EcsServiceInfo() { return {"ECS", "ecs", "ecs", Protocol::kJson11}; }

Result<EcsCluster> EcsClient::CreateCluster(const std::string& name,
                                            const std::vector<EcsTag>& tags) {
  json body = json::object();
  PutStr(body, "clusterName", name);
  if (!tags.empty()) body["tags"] = TagsJson(tags);
  ASSIGN_OR_RETURN(json out, Call(transport_, "CreateCluster", body));
  return Decode("CreateCluster",
                [&]() -> Result<EcsCluster> { return ClusterFrom(Member(out, "cluster")); });
}

Result<Described<EcsCluster>> EcsClient::DescribeClusters(
    const std::vector<std::string>& clusters) {
  json body = {{"include", {"TAGS"}}};
  if (!clusters.empty()) body["clusters"] = clusters;
  ASSIGN_OR_RETURN(json out, Call(transport_, "DescribeClusters", body));
  return Decode("DescribeClusters", [&]() -> Result<Described<EcsCluster>> {
    return DescribedFrom<EcsCluster>(out, "clusters", ClusterFrom);
  });
}

Result<ArnPage> EcsClient::ListClusters(const PageRequest& page) {
  json body = json::object();
  PutPage(body, page);
  ASSIGN_OR_RETURN(json out, Call(transport_, "ListClusters", body));
  return Decode("ListClusters", [&]() -> Result<ArnPage> { return PageFrom(out, "clusterArns"); });
}

Result<TaskDefinition> EcsClient::RegisterTaskDefinition(
    const RegisterTaskDefinitionRequest& request) {
  json defs = json::array();
  for (const auto& c : request.container_definitions) defs.push_back(ContainerDefinitionJson(c));
  json body = {{"family", request.family}, {"containerDefinitions", defs}};
  PutStr(body, "cpu", request.cpu);
  PutStr(body, "memory", request.memory);
  PutStr(body, "networkMode", request.network_mode);
  if (!request.requires_compatibilities.empty())
    body["requiresCompatibilities"] = request.requires_compatibilities;
  if (!request.tags.empty()) body["tags"] = TagsJson(request.tags);
  ASSIGN_OR_RETURN(json out, Call(transport_, "RegisterTaskDefinition", body));
  return Decode("RegisterTaskDefinition", [&]() -> Result<TaskDefinition> {
    return TaskDefinitionFrom(Member(out, "taskDefinition"));
  });
}

Result<TaskDefinition> EcsClient::DescribeTaskDefinition(const std::string& task_definition) {
  ASSIGN_OR_RETURN(
      json out, Call(transport_, "DescribeTaskDefinition", {{"taskDefinition", task_definition}}));
  return Decode("DescribeTaskDefinition", [&]() -> Result<TaskDefinition> {
    return TaskDefinitionFrom(Member(out, "taskDefinition"));
  });
}

Result<TaskDefinition> EcsClient::DeregisterTaskDefinition(const std::string& task_definition) {
  ASSIGN_OR_RETURN(json out, Call(transport_, "DeregisterTaskDefinition",
                                  {{"taskDefinition", task_definition}}));
  return Decode("DeregisterTaskDefinition", [&]() -> Result<TaskDefinition> {
    return TaskDefinitionFrom(Member(out, "taskDefinition"));
  });
}

Result<ArnPage> EcsClient::ListTaskDefinitions(const ListTaskDefinitionsRequest& request) {
  json body = json::object();
  PutStr(body, "familyPrefix", request.family_prefix);
  PutStr(body, "status", request.status);
  PutStr(body, "sort", request.sort);
  PutPage(body, request);
  ASSIGN_OR_RETURN(json out, Call(transport_, "ListTaskDefinitions", body));
  return Decode("ListTaskDefinitions",
                [&]() -> Result<ArnPage> { return PageFrom(out, "taskDefinitionArns"); });
}

Result<ArnPage> EcsClient::ListContainerInstances(const ListContainerInstancesRequest& request) {
  json body = json::object();
  PutStr(body, "cluster", request.cluster);
  PutStr(body, "filter", request.filter);
  PutStr(body, "status", request.status);
  PutPage(body, request);
  ASSIGN_OR_RETURN(json out, Call(transport_, "ListContainerInstances", body));
  return Decode("ListContainerInstances",
                [&]() -> Result<ArnPage> { return PageFrom(out, "containerInstanceArns"); });
}

Result<Described<ContainerInstance>> EcsClient::DescribeContainerInstances(
    const std::string& cluster, const std::vector<std::string>& container_instances) {
  json body = {{"containerInstances", container_instances}, {"include", {"TAGS"}}};
  PutStr(body, "cluster", cluster);
  ASSIGN_OR_RETURN(json out, Call(transport_, "DescribeContainerInstances", body));
  return Decode("DescribeContainerInstances", [&]() -> Result<Described<ContainerInstance>> {
    return DescribedFrom<ContainerInstance>(out, "containerInstances", ContainerInstanceFrom);
  });
}

Result<Described<ContainerInstance>> EcsClient::UpdateContainerInstancesState(
    const std::string& cluster, const std::vector<std::string>& container_instances,
    const std::string& status) {
  json body = {{"containerInstances", container_instances}, {"status", status}};
  PutStr(body, "cluster", cluster);
  ASSIGN_OR_RETURN(json out, Call(transport_, "UpdateContainerInstancesState", body));
  return Decode("UpdateContainerInstancesState", [&]() -> Result<Described<ContainerInstance>> {
    return DescribedFrom<ContainerInstance>(out, "containerInstances", ContainerInstanceFrom);
  });
}

Result<ContainerInstance> EcsClient::DeregisterContainerInstance(
    const std::string& cluster, const std::string& container_instance, bool force) {
  json body = {{"containerInstance", container_instance}, {"force", force}};
  PutStr(body, "cluster", cluster);
  ASSIGN_OR_RETURN(json out, Call(transport_, "DeregisterContainerInstance", body));
  return Decode("DeregisterContainerInstance", [&]() -> Result<ContainerInstance> {
    return ContainerInstanceFrom(Member(out, "containerInstance"));
  });
}

Result<EcsService> EcsClient::CreateService(const CreateServiceRequest& request) {
  json body = {
      {"serviceName", request.service_name},
      {"taskDefinition", request.task_definition},
      {"desiredCount", request.desired_count},
      {"launchType", "EC2"},
      {"deploymentConfiguration", DeploymentConfigurationJson(request.deployment_configuration)}};
  PutStr(body, "cluster", request.cluster);
  if (!request.load_balancers.empty()) {
    json lbs = json::array();
    for (const auto& lb : request.load_balancers)
      lbs.push_back({{"targetGroupArn", lb.target_group_arn},
                     {"containerName", lb.container_name},
                     {"containerPort", lb.container_port}});
    body["loadBalancers"] = lbs;
  }
  if (!request.placement_strategy.empty())
    body["placementStrategy"] = StrategiesJson(request.placement_strategy);
  if (!request.placement_constraints.empty())
    body["placementConstraints"] = ConstraintsJson(request.placement_constraints);
  if (!request.tags.empty()) body["tags"] = TagsJson(request.tags);
  ASSIGN_OR_RETURN(json out, Call(transport_, "CreateService", body));
  return Decode("CreateService",
                [&]() -> Result<EcsService> { return ServiceFrom(Member(out, "service")); });
}

Result<EcsService> EcsClient::UpdateService(const UpdateServiceRequest& request) {
  json body = {{"service", request.service}};
  PutStr(body, "cluster", request.cluster);
  if (request.task_definition) body["taskDefinition"] = *request.task_definition;
  if (request.desired_count) body["desiredCount"] = *request.desired_count;
  if (request.deployment_configuration)
    body["deploymentConfiguration"] =
        DeploymentConfigurationJson(*request.deployment_configuration);
  if (request.placement_strategy)
    body["placementStrategy"] = StrategiesJson(*request.placement_strategy);
  if (request.placement_constraints)
    body["placementConstraints"] = ConstraintsJson(*request.placement_constraints);
  if (request.force_new_deployment) body["forceNewDeployment"] = true;
  ASSIGN_OR_RETURN(json out, Call(transport_, "UpdateService", body));
  return Decode("UpdateService",
                [&]() -> Result<EcsService> { return ServiceFrom(Member(out, "service")); });
}

Result<EcsService> EcsClient::DeleteService(const std::string& cluster, const std::string& service,
                                            bool force) {
  json body = {{"service", service}};
  PutStr(body, "cluster", cluster);
  if (force) body["force"] = true;
  ASSIGN_OR_RETURN(json out, Call(transport_, "DeleteService", body));
  return Decode("DeleteService",
                [&]() -> Result<EcsService> { return ServiceFrom(Member(out, "service")); });
}

Result<Described<EcsService>> EcsClient::DescribeServices(
    const std::string& cluster, const std::vector<std::string>& services) {
  json body = {{"services", services}, {"include", {"TAGS"}}};
  PutStr(body, "cluster", cluster);
  ASSIGN_OR_RETURN(json out, Call(transport_, "DescribeServices", body));
  return Decode("DescribeServices", [&]() -> Result<Described<EcsService>> {
    return DescribedFrom<EcsService>(out, "services", ServiceFrom);
  });
}

Result<ArnPage> EcsClient::ListServices(const std::string& cluster, const PageRequest& page) {
  json body = json::object();
  PutStr(body, "cluster", cluster);
  PutPage(body, page);
  ASSIGN_OR_RETURN(json out, Call(transport_, "ListServices", body));
  return Decode("ListServices", [&]() -> Result<ArnPage> { return PageFrom(out, "serviceArns"); });
}

Result<RunTaskResult> EcsClient::RunTask(const RunTaskRequest& request) {
  json body = {
      {"taskDefinition", request.task_definition}, {"count", request.count}, {"launchType", "EC2"}};
  PutStr(body, "cluster", request.cluster);
  PutStr(body, "startedBy", request.started_by);
  PutStr(body, "group", request.group);
  if (!request.placement_strategy.empty())
    body["placementStrategy"] = StrategiesJson(request.placement_strategy);
  if (!request.placement_constraints.empty())
    body["placementConstraints"] = ConstraintsJson(request.placement_constraints);
  if (!request.overrides.empty()) body["overrides"] = OverridesJson(request.overrides);
  if (!request.tags.empty()) body["tags"] = TagsJson(request.tags);
  ASSIGN_OR_RETURN(json out, Call(transport_, "RunTask", body));
  return Decode("RunTask", [&]() -> Result<RunTaskResult> {
    return DescribedFrom<EcsTask>(out, "tasks", TaskFrom);
  });
}

Result<RunTaskResult> EcsClient::StartTask(const StartTaskRequest& request) {
  json body = {{"taskDefinition", request.task_definition},
               {"containerInstances", request.container_instances}};
  PutStr(body, "cluster", request.cluster);
  PutStr(body, "startedBy", request.started_by);
  PutStr(body, "group", request.group);
  if (!request.overrides.empty()) body["overrides"] = OverridesJson(request.overrides);
  if (!request.tags.empty()) body["tags"] = TagsJson(request.tags);
  ASSIGN_OR_RETURN(json out, Call(transport_, "StartTask", body));
  return Decode("StartTask", [&]() -> Result<RunTaskResult> {
    return DescribedFrom<EcsTask>(out, "tasks", TaskFrom);
  });
}

Result<EcsTask> EcsClient::StopTask(const std::string& cluster, const std::string& task,
                                    const std::string& reason) {
  json body = {{"task", task}};
  PutStr(body, "cluster", cluster);
  PutStr(body, "reason", reason);
  ASSIGN_OR_RETURN(json out, Call(transport_, "StopTask", body));
  return Decode("StopTask", [&]() -> Result<EcsTask> { return TaskFrom(Member(out, "task")); });
}

Result<Described<EcsTask>> EcsClient::DescribeTasks(const std::string& cluster,
                                                    const std::vector<std::string>& tasks) {
  json body = {{"tasks", tasks}, {"include", {"TAGS"}}};
  PutStr(body, "cluster", cluster);
  ASSIGN_OR_RETURN(json out, Call(transport_, "DescribeTasks", body));
  return Decode("DescribeTasks", [&]() -> Result<Described<EcsTask>> {
    return DescribedFrom<EcsTask>(out, "tasks", TaskFrom);
  });
}

Result<ArnPage> EcsClient::ListTasks(const ListTasksRequest& request) {
  json body = json::object();
  PutStr(body, "cluster", request.cluster);
  PutStr(body, "containerInstance", request.container_instance);
  PutStr(body, "family", request.family);
  PutStr(body, "serviceName", request.service_name);
  PutStr(body, "desiredStatus", request.desired_status);
  PutStr(body, "startedBy", request.started_by);
  PutPage(body, request);
  ASSIGN_OR_RETURN(json out, Call(transport_, "ListTasks", body));
  return Decode("ListTasks", [&]() -> Result<ArnPage> { return PageFrom(out, "taskArns"); });
}

Status EcsClient::TagResource(const std::string& resource_arn, const std::vector<EcsTag>& tags) {
  return Call(transport_, "TagResource", {{"resourceArn", resource_arn}, {"tags", TagsJson(tags)}})
      .status();
}

Result<std::vector<EcsTag>> EcsClient::ListTagsForResource(const std::string& resource_arn) {
  ASSIGN_OR_RETURN(json out,
                   Call(transport_, "ListTagsForResource", {{"resourceArn", resource_arn}}));
  return Decode("ListTagsForResource",
                [&]() -> Result<std::vector<EcsTag>> { return TagsFrom(out); });
}

}  // namespace steady::aws
