// From docker labels to the exporter's small, fixed Prometheus label set, and the policy that
// decides which containers are exported at all (application containers, not sidecars).
//
// Label set, in this order, each only when non-empty:
//   ecs_cluster, ecs_service, ecs_task_family, ecs_task_revision, ecs_task_id, ecs_container,
//   name (with LabelOptions::name), image (with LabelOptions::image)
// A non-ECS container (exported only with ExportPolicy::include_non_ecs) always carries `name`.
//
// Thread safety: values and pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/container.h"

namespace steady::metrics {

// The labels the ECS agent puts on every container it starts.
inline constexpr std::string_view kEcsClusterLabel = "com.amazonaws.ecs.cluster";
inline constexpr std::string_view kEcsTaskArnLabel = "com.amazonaws.ecs.task-arn";
inline constexpr std::string_view kEcsFamilyLabel = "com.amazonaws.ecs.task-definition-family";
inline constexpr std::string_view kEcsRevisionLabel = "com.amazonaws.ecs.task-definition-version";
inline constexpr std::string_view kEcsContainerLabel = "com.amazonaws.ecs.container-name";
// Set to "true" on a container to keep it out of the exporter's output.
inline constexpr std::string_view kExcludeLabel = "steady.exporter/exclude";

struct EcsIdentity {
  std::string cluster;    // short name (the part after "cluster/" when an ARN was given)
  std::string task_arn;   // as labelled
  std::string task_id;    // last segment of the task ARN
  std::string family;     // task definition family
  std::string revision;   // task definition revision
  std::string container;  // container name in the task definition
  std::string service;    // ECS service, when known (agent introspection); else empty

  // True when the container was started by the ECS agent (it has a task ARN).
  bool is_ecs() const { return !task_arn.empty(); }
};

EcsIdentity IdentityFromLabels(const std::map<std::string, std::string>& labels);

// "arn:aws:ecs:us-east-1:123:task/prod/0f1e..." → "0f1e..."; an id without '/' is kept.
std::string_view TaskIdFromArn(std::string_view arn);

// Sidecars excluded by default, by ECS container name (docker name for non-ECS containers).
// A trailing '*' matches a prefix.
const std::vector<std::string>& DefaultExcludedContainers();

struct ExportPolicy {
  bool include_non_ecs = false;  // export containers without ECS labels too
  std::vector<std::string> excluded_names = DefaultExcludedContainers();
  // "KEY=VALUE" excludes a container with that label value; "KEY" one that has the label.
  // kExcludeLabel=true always applies.
  std::vector<std::string> excluded_labels;
};

// Why a container is not exported, or "" when it is.
std::string_view ExclusionReason(const Container& c, const EcsIdentity& id,
                                 const ExportPolicy& policy);

struct LabelOptions {
  bool name = false;   // add `name` (docker container name)
  bool image = false;  // add `image`
};

// The rendered label pairs without braces: `ecs_cluster="prod",ecs_task_family="web",...`,
// values escaped for the text format. `include_container` false leaves out ecs_container,
// name and image (the task-level aggregate series).
std::string RenderLabels(const Container& c, const EcsIdentity& id, const LabelOptions& options,
                         bool include_container = true);

// Key of the task a container belongs to (the task ARN, or the container id when not ECS).
std::string TaskKey(const Container& c, const EcsIdentity& id);

}  // namespace steady::metrics
