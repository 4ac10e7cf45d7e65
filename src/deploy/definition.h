// Application definitions: what `steady deploy` and `steady oneshot` roll out. One file per app,
// in Jsonnet (.jsonnet/.libsonnet, as hako uses), YAML (.yaml/.yml) or JSON (.json); all three
// are read into the same JSON tree and checked by one validator, so they mean the same thing.
// The format is documented in docs/deploy.md.
//
// Errors: kInvalidArgument for anything wrong with the file, with every problem found, one per
// line, each "SOURCE: FIELD.PATH: what is wrong" (e.g. `web.jsonnet: app.memory: expected a
// positive integer, got "lots"`); kNotFound if the file does not exist. Secret references
// (`value_from`) are never echoed in errors (someone may have pasted the value itself), and
// secret values are never read.
//
// Thread safety: free functions over values; Load* may run concurrently (each evaluation has
// its own Jsonnet VM).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws/ecs.h"
#include "base/status.h"

namespace steady::deploy {

// The Forward-protocol aggregator address every container logs to unless it says otherwise.
inline constexpr char kDefaultForwardAddress[] = "127.0.0.1:24224";

// The Docker labels the aggregator routes by (logs/log_record.h), comma-separated as the
// fluentd log driver's `labels` option wants them.
inline constexpr char kEcsLogLabels[] =
    "com.amazonaws.ecs.task-definition-family,com.amazonaws.ecs.container-name,"
    "com.amazonaws.ecs.task-arn,com.amazonaws.ecs.cluster";

struct SecretRef {
  std::string name;        // the environment variable the container sees
  std::string value_from;  // SSM parameter ARN or name, or Secrets Manager secret ARN
};

struct PortMappingDef {
  int container_port = 0;
  int host_port = 0;  // 0: dynamic
  std::string protocol = "tcp";
};

struct LogConfigurationDef {
  std::string log_driver;
  std::map<std::string, std::string> options;
};

struct ContainerDef {
  std::string name;  // "app" for the app container unless it sets one
  std::string image;
  int cpu = 0;
  std::optional<int> memory;              // MiB, hard limit
  std::optional<int> memory_reservation;  // MiB, soft limit
  bool essential = true;                  // the app container always; sidecars default false
  std::vector<std::string> command;       // empty: the image's
  std::map<std::string, std::string> env;
  std::vector<PortMappingDef> port_mappings;
  std::vector<SecretRef> secrets;
  std::optional<LogConfigurationDef> log_configuration;  // as written; see EffectiveLog
};

struct DeploymentDef {
  int minimum_healthy_percent = 100;
  int maximum_percent = 200;
};

struct SchedulerDef {
  std::string type = "ecs";  // ecs (a long-running service) or oneshot (batch tasks)
  std::string cluster;
  std::string service_name;  // ecs: defaults to the app id
  int desired_count = 1;
  std::vector<aws::PlacementStrategy> placement_strategy;
  std::vector<aws::PlacementConstraint> placement_constraints;
  std::string target_group_arn;   // "" → no load balancer (unless target_group_name)
  std::string target_group_name;  // by name: the deployer resolves it to target_group_arn
  std::string container_name;     // defaults to the app container's name
  int container_port = 0;
  DeploymentDef deployment;
  std::string group_name;  // capacity group for oneshot's no-capacity message ("" → none)
  // Task-level settings.
  std::string cpu, memory;   // task-level sizes ("" → not set)
  std::string network_mode;  // "" → bridge
  std::vector<std::string> requires_compatibilities;
};

struct AppDefinition {
  std::string app_id;  // the task-definition family; the file's base name unless `app_id`
  SchedulerDef scheduler;
  ContainerDef app;
  std::vector<ContainerDef> sidecars;
  // Applied to every container without its own: the definition's top-level
  // `log_configuration`, or the Forward default (ForwardLogConfiguration).
  LogConfigurationDef log_configuration;
};

struct LoadOptions {
  // Jsonnet external variables (std.extVar). `appId` is set to the app id derived from the file
  // name unless given here.
  std::map<std::string, std::string> ext_vars;
  std::vector<std::string> jsonnet_paths;  // extra library search paths (-J)
  std::string forward_address = kDefaultForwardAddress;
};

enum class DefinitionFormat { kJsonnet, kYaml, kJson };

// Reads and validates the definition at `path`; the format comes from the extension
// (.jsonnet/.libsonnet, .yaml/.yml, .json; anything else is kInvalidArgument). The app id is the
// file's base name without its extension unless the file sets `app_id`.
Result<AppDefinition> LoadDefinition(const std::string& path, const LoadOptions& options = {});

// As LoadDefinition, from text. `source_name` prefixes errors and, for Jsonnet, anchors relative
// imports (as if the text were read from that path); `default_app_id` is used when the text sets
// no `app_id`.
Result<AppDefinition> ParseDefinition(const std::string& text, DefinitionFormat format,
                                      const std::string& source_name,
                                      const std::string& default_app_id,
                                      const LoadOptions& options = {});

// {fluentd, {fluentd-address: address, labels: kEcsLogLabels, tag: "ecs.<family>"}}.
LogConfigurationDef ForwardLogConfiguration(const std::string& family, const std::string& address);

// The task definition to register: the app container first, then the sidecars in order, each
// with its environment sorted by name and the effective log configuration.
aws::RegisterTaskDefinitionRequest RenderTaskDefinition(const AppDefinition& def);

// The service requests for scheduler type ecs (kFailedPrecondition for oneshot).
// `task_definition` is what to run (family:revision or ARN). The update sets the task
// definition, desired count, deployment configuration and placement; load balancers cannot be
// changed by UpdateService and are left alone.
Result<aws::CreateServiceRequest> RenderCreateService(const AppDefinition& def,
                                                      const std::string& task_definition);
Result<aws::UpdateServiceRequest> RenderUpdateService(const AppDefinition& def,
                                                      const std::string& task_definition);

// True if registering `wanted` would give a task definition equivalent to `current`: same
// family, task cpu/memory, network mode ("" = bridge), compatibilities (as a set), and the same
// containers in the same order with every field equal — environment and secrets compared as
// sets by name, port mappings in order, log options as maps.
bool SameTaskDefinition(const aws::TaskDefinition& current,
                        const aws::RegisterTaskDefinitionRequest& wanted);

// A readable unified-style diff ("--- current FAMILY:REV", "+++ wanted", "@@" hunks with three
// lines of context) of the two in a canonical JSON form; "" when SameTaskDefinition.
std::string DiffTaskDefinition(const aws::TaskDefinition& current,
                               const aws::RegisterTaskDefinitionRequest& wanted);

}  // namespace steady::deploy
