#include "metrics/ecs_labels.h"

#include "base/metrics.h"

namespace steady::metrics {
namespace {

std::string Get(const std::map<std::string, std::string>& labels, std::string_view key) {
  auto it = labels.find(std::string(key));
  return it == labels.end() ? std::string() : it->second;
}

bool NameMatches(std::string_view pattern, std::string_view name) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return name.substr(0, pattern.size()) == pattern;
  }
  return pattern == name;
}

void Append(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  if (!out.empty()) out += ',';
  out += key;
  out += "=\"";
  out += EscapeLabelValue(value);
  out += '"';
}

}  // namespace

std::string_view TaskIdFromArn(std::string_view arn) {
  size_t slash = arn.rfind('/');
  return slash == std::string_view::npos ? arn : arn.substr(slash + 1);
}

EcsIdentity IdentityFromLabels(const std::map<std::string, std::string>& labels) {
  EcsIdentity id;
  id.cluster = Get(labels, kEcsClusterLabel);
  // The agent labels the cluster as configured, which may be an ARN ("...:cluster/prod").
  if (size_t slash = id.cluster.rfind('/'); slash != std::string::npos)
    id.cluster = id.cluster.substr(slash + 1);
  id.task_arn = Get(labels, kEcsTaskArnLabel);
  id.task_id = std::string(TaskIdFromArn(id.task_arn));
  id.family = Get(labels, kEcsFamilyLabel);
  id.revision = Get(labels, kEcsRevisionLabel);
  id.container = Get(labels, kEcsContainerLabel);
  return id;
}

const std::vector<std::string>& DefaultExcludedContainers() {
  static const std::vector<std::string> kNames = {
      "~internal~ecs~pause",  // awsvpc network pause container
      "ecs-agent",
      "log_router",
      "log-router",
      "firelens*",
      "fluentd",
      "fluent-bit",
      "envoy",
      "aws-otel-collector",
      "xray-daemon",
      "aws-xray-daemon",
      "datadog-agent",
      "cloudwatch-agent",
      "cwagent"};
  return kNames;
}

std::string_view ExclusionReason(const Container& c, const EcsIdentity& id,
                                 const ExportPolicy& policy) {
  if (!id.is_ecs() && !policy.include_non_ecs) return "not an ECS container";
  if (auto it = c.labels.find(std::string(kExcludeLabel));
      it != c.labels.end() && it->second == "true")
    return "excluded by label";
  for (const std::string& spec : policy.excluded_labels) {
    size_t eq = spec.find('=');
    std::string key = spec.substr(0, eq);
    auto it = c.labels.find(key);
    if (it == c.labels.end()) continue;
    if (eq == std::string::npos || it->second == std::string_view(spec).substr(eq + 1))
      return "excluded by label";
  }
  std::string_view name = id.is_ecs() && !id.container.empty() ? id.container : c.name;
  for (const std::string& pattern : policy.excluded_names)
    if (NameMatches(pattern, name)) return "excluded by name";
  return "";
}

std::string RenderLabels(const Container& c, const EcsIdentity& id, const LabelOptions& options,
                         bool include_container) {
  std::string out;
  Append(out, "ecs_cluster", id.cluster);
  Append(out, "ecs_service", id.service);
  Append(out, "ecs_task_family", id.family);
  Append(out, "ecs_task_revision", id.revision);
  Append(out, "ecs_task_id", id.task_id);
  if (!include_container) return out;
  Append(out, "ecs_container", id.container);
  if (options.name || !id.is_ecs()) Append(out, "name", c.name);
  if (options.image) Append(out, "image", c.image);
  return out;
}

std::string TaskKey(const Container& c, const EcsIdentity& id) {
  return id.is_ecs() ? id.task_arn : c.id;
}

}  // namespace steady::metrics
