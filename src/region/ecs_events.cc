// EcsModel: the EventBridge events ECS sends (source "aws.ecs"), shaped as the ECS developer
// guide documents them ("Amazon ECS task state change events", "Amazon ECS container instance
// state change events"): the envelope's resources hold the task / container instance ARN and
// the detail mirrors DescribeTasks' Task / DescribeContainerInstances' ContainerInstance with
// ISO 8601 timestamps (milliseconds) instead of epoch seconds.
#include "base/time_format.h"
#include "region/ecs_internal.h"

namespace steady::region {

using nlohmann::json;

namespace ecs {

namespace {

std::string Millis(Time t) { return FormatIso8601(t, true); }

void PutTime(json& j, const char* key, const std::optional<Time>& t) {
  if (t) j[key] = Millis(*t);
}

json Resources(const std::vector<aws::EcsResource>& resources) {
  json out = json::array();
  for (const auto& r : resources) {
    json j = {{"name", r.name}, {"type", r.type}};
    if (r.type == "STRINGSET")
      j["stringSetValue"] = r.string_set_value;
    else
      j["integerValue"] = r.integer_value;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

json TaskStateChange(const aws::EcsTask& t, Time now) {
  json containers = json::array();
  json overrides = json::array();
  for (const auto& ct : t.containers) {
    json c = {{"containerArn", ct.container_arn},
              {"lastStatus", ct.last_status},
              {"name", ct.name},
              {"image", ct.image},
              {"taskArn", ct.task_arn},
              {"cpu", std::to_string(ct.cpu)}};
    if (ct.memory) c["memory"] = std::to_string(*ct.memory);
    if (ct.memory_reservation) c["memoryReservation"] = std::to_string(*ct.memory_reservation);
    if (ct.exit_code) c["exitCode"] = *ct.exit_code;
    if (!ct.reason.empty()) c["reason"] = ct.reason;
    json bindings = json::array();
    for (const auto& b : ct.network_bindings)
      bindings.push_back({{"bindIP", b.bind_ip},
                          {"containerPort", b.container_port},
                          {"hostPort", b.host_port},
                          {"protocol", b.protocol}});
    c["networkBindings"] = std::move(bindings);
    containers.push_back(std::move(c));
    // ECS lists every container in overrides, with what was overridden.
    json o = {{"name", ct.name}};
    for (const auto& ov : t.overrides) {
      if (ov.name != ct.name) continue;
      if (!ov.command.empty()) o["command"] = ov.command;
      if (!ov.environment.empty()) {
        json env = json::array();
        for (const auto& kv : ov.environment)
          env.push_back({{"name", kv.name}, {"value", kv.value}});
        o["environment"] = std::move(env);
      }
    }
    overrides.push_back(std::move(o));
  }
  json d = {{"attachments", json::array()},
            {"availabilityZone", t.availability_zone},
            {"clusterArn", t.cluster_arn},
            {"containerInstanceArn", t.container_instance_arn},
            {"containers", std::move(containers)},
            {"cpu", t.cpu},
            {"createdAt", Millis(t.created_at)},
            {"desiredStatus", t.desired_status},
            {"group", t.group},
            {"launchType", t.launch_type},
            {"lastStatus", t.last_status},
            {"memory", t.memory},
            {"overrides", {{"containerOverrides", std::move(overrides)}}},
            {"taskArn", t.task_arn},
            {"taskDefinitionArn", t.task_definition_arn},
            {"updatedAt", Millis(now)},
            {"version", t.version}};
  PutTime(d, "pullStartedAt", t.pull_started_at);
  PutTime(d, "pullStoppedAt", t.started_at);  // the model pulls until the task starts
  PutTime(d, "startedAt", t.started_at);
  PutTime(d, "stoppingAt", t.stopping_at);
  PutTime(d, "stoppedAt", t.stopped_at);
  PutTime(d, "executionStoppedAt", t.stopped_at);
  if (!t.started_by.empty()) d["startedBy"] = t.started_by;
  if (!t.stop_code.empty()) d["stopCode"] = t.stop_code;
  if (!t.stopped_reason.empty()) d["stoppedReason"] = t.stopped_reason;
  return {{"source", "aws.ecs"},
          {"detail-type", "ECS Task State Change"},
          {"time", FormatIso8601(now)},
          {"resources", {t.task_arn}},
          {"detail", std::move(d)}};
}

json InstanceStateChange(const aws::ContainerInstance& ci, const std::string& cluster_arn,
                         int64_t version, Time now) {
  json attributes = json::array();
  for (const auto& a : ci.attributes) {
    json j = {{"name", a.name}};
    if (!a.value.empty()) j["value"] = a.value;
    attributes.push_back(std::move(j));
  }
  json d = {{"agentConnected", ci.agent_connected},
            {"attributes", std::move(attributes)},
            {"clusterArn", cluster_arn},
            {"containerInstanceArn", ci.container_instance_arn},
            {"ec2InstanceId", ci.ec2_instance_id},
            {"registeredResources", Resources(ci.registered_resources)},
            {"remainingResources", Resources(ci.remaining_resources)},
            {"status", ci.status},
            {"version", version},
            {"versionInfo",
             {{"agentHash", "steady"},
              {"agentVersion", "1.80.0"},
              {"dockerVersion", "DockerVersion: 20.10.25"}}},
            {"updatedAt", Millis(now)}};
  return {{"source", "aws.ecs"},
          {"detail-type", "ECS Container Instance State Change"},
          {"time", FormatIso8601(now)},
          {"resources", {ci.container_instance_arn}},
          {"detail", std::move(d)}};
}

}  // namespace ecs

void EcsModel::TaskEventLocked(const Cluster& /*c*/, const Task* old, const Task& t) {
  if (!events_) return;
  if (old && old->t.last_status == t.t.last_status && old->t.desired_status == t.t.desired_status)
    return;
  pending_events_.push_back(ecs::TaskStateChange(t.t, ctx_.clock.Now()));
}

void EcsModel::InstanceEventLocked(const Cluster& c, const Inst* /*old*/, const Inst& i) {
  if (!events_) return;
  // Remaining resources as they stand (an instance leaving holds nothing any more).
  const Usage* u = nullptr;
  if (i.ci.status != "INACTIVE")
    if (auto it = c.usage.find(i.ci.container_instance_arn); it != c.usage.end()) u = &it->second;
  pending_events_.push_back(
      ecs::InstanceStateChange(ViewLocked(i, u), c.c.cluster_arn, i.version, ctx_.clock.Now()));
}

}  // namespace steady::region
