// EcsModel: task definitions (families and revisions) and resource tags.
#include <algorithm>
#include <cstdio>
#include <set>

#include "region/ecs_internal.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;
using namespace ecsjson;

// ---- Task definitions ----

Result<aws::TaskDefinition> EcsModel::RegisterTaskDefinition(
    const aws::RegisterTaskDefinitionRequest& req) {
  constexpr std::string_view op = "RegisterTaskDefinition";
  auto invalid = [&](const std::string& m) { return ServiceError(op, "ClientException", m); };
  if (req.family.empty() || req.family.size() > 255) return invalid("Family is required.");
  if (req.container_definitions.empty()) return invalid("Container list cannot be empty.");
  std::set<std::string> names;
  for (const auto& cd : req.container_definitions) {
    if (cd.name.empty()) return invalid("Container.name should not be null or empty.");
    if (cd.image.empty()) return invalid("Container.image should not be null or empty.");
    if (!names.insert(cd.name).second)
      return invalid("Container names must be unique within a task definition.");
    if (!cd.memory && !cd.memory_reservation && req.memory.empty())
      return invalid("Invalid setting for container '" + cd.name +
                     "'. At least one of 'memory' or 'memoryReservation' must be specified.");
    if (cd.memory && cd.memory_reservation && *cd.memory_reservation > *cd.memory)
      return invalid("Invalid setting for container '" + cd.name +
                     "'. 'memoryReservation' must be less than 'memory'.");
    for (const auto& pm : cd.port_mappings)
      if (pm.container_port < 0 || pm.container_port > 65535 || pm.host_port < 0 ||
          pm.host_port > 65535 || (pm.protocol != "tcp" && pm.protocol != "udp"))
        return invalid("Invalid port mapping for container '" + cd.name + "'.");
  }
  aws::TaskDefinition td;
  {
    std::lock_guard lock(mu_);
    td.family = req.family;
    td.revision = static_cast<int>(taskdefs_[req.family].size()) + 1;
    td.task_definition_arn =
        ctx_.Arn("ecs", "task-definition/" + td.family + ":" + std::to_string(td.revision));
    td.container_definitions = req.container_definitions;
    td.cpu = req.cpu;
    td.memory = req.memory;
    td.network_mode = req.network_mode.empty() ? "bridge" : req.network_mode;
    td.requires_compatibilities = req.requires_compatibilities;
    td.registered_at = ctx_.clock.Now();
    PutLocked(td);
    if (!req.tags.empty())
      RecordLocked({{"op", "tags"}, {"arn", td.task_definition_arn}, {"v", ToJson(req.tags)}});
  }
  RETURN_IF_ERROR(CommitPending());
  return td;
}

Result<aws::TaskDefinition> EcsModel::DescribeTaskDefinition(const std::string& ref) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(const aws::TaskDefinition* td, TaskDefLocked("DescribeTaskDefinition", ref));
  return *td;
}

Result<aws::TaskDefinition> EcsModel::DeregisterTaskDefinition(const std::string& ref) {
  constexpr std::string_view op = "DeregisterTaskDefinition";
  if (ecs::LastSegment(ref).find(':') == std::string::npos)
    return ServiceError(op, "ClientException",
                        "The specified task definition does not exist or is not of the form "
                        "family:revision.");
  aws::TaskDefinition td;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(const aws::TaskDefinition* found, TaskDefLocked(op, ref));
    td = *found;
    if (td.status == "ACTIVE") {
      td.status = "INACTIVE";
      td.deregistered_at = ctx_.clock.Now();
      PutLocked(td);
    }
  }
  RETURN_IF_ERROR(CommitPending());
  return td;
}

Result<aws::ArnPage> EcsModel::ListTaskDefinitions(const aws::ListTaskDefinitionsRequest& req) {
  std::lock_guard lock(mu_);
  std::vector<std::string> keys;  // sortable "family:000rev" keys → ARNs
  std::map<std::string, std::string> arn_of;
  for (const auto& [family, revs] : taskdefs_) {
    if (family.rfind(req.family_prefix, 0) != 0) continue;
    for (const auto& td : revs) {
      if (!req.status.empty() && req.status != "ALL" && td.status != req.status) continue;
      char rev[16];
      snprintf(rev, sizeof rev, "%09d", td.revision);
      keys.push_back(family + ":" + rev);
      arn_of[keys.back()] = td.task_definition_arn;
    }
  }
  std::sort(keys.begin(), keys.end());
  if (req.sort == "DESC") std::reverse(keys.begin(), keys.end());
  // Tokens are positions in the key order (DESC order is not monotonic for upper_bound).
  int max = req.max_results == 0 ? 100 : req.max_results;
  if (max < 1 || max > 100)
    return ServiceError("ListTaskDefinitions", "InvalidParameterException",
                        "maxResults must be between 1 and 100.");
  size_t start = 0;
  if (!req.next_token.empty()) {
    try {
      start = std::stoul(req.next_token);
    } catch (...) {
      return ServiceError("ListTaskDefinitions", "InvalidParameterException", "Invalid nextToken.");
    }
  }
  aws::ArnPage out;
  for (size_t i = start; i < keys.size() && static_cast<int>(out.arns.size()) < max; ++i)
    out.arns.push_back(arn_of[keys[i]]);
  if (start + out.arns.size() < keys.size())
    out.next_token = std::to_string(start + out.arns.size());
  return out;
}

// ---- Tags ----

Status EcsModel::TagResource(const std::string& arn, const std::vector<aws::EcsTag>& tags) {
  {
    std::lock_guard lock(mu_);
    bool known = false;
    for (const auto& [n, c] : clusters_) {
      if (c->c.cluster_arn == arn || c->instances.count(arn) || c->tasks.count(arn)) known = true;
      for (const auto& [sn, s] : c->services)
        if (s.s.service_arn == arn) known = true;
    }
    for (const auto& [f, revs] : taskdefs_)
      for (const auto& td : revs)
        if (td.task_definition_arn == arn) known = true;
    if (!known)
      return ServiceError("TagResource", "InvalidParameterException",
                          "The specified resource is not valid.");
    std::vector<aws::EcsTag> merged = tags_[arn];
    for (const auto& t : tags) {
      auto it = std::find_if(merged.begin(), merged.end(),
                             [&](const aws::EcsTag& e) { return e.key == t.key; });
      if (it != merged.end())
        it->value = t.value;
      else
        merged.push_back(t);
    }
    if (merged.size() > 50)
      return ServiceError("TagResource", "InvalidParameterException",
                          "The resource can have at most 50 tags.");
    RecordLocked({{"op", "tags"}, {"arn", arn}, {"v", ToJson(merged)}});
  }
  return CommitPending();
}

Result<std::vector<aws::EcsTag>> EcsModel::ListTagsForResource(const std::string& arn) {
  std::lock_guard lock(mu_);
  auto it = tags_.find(arn);
  if (it == tags_.end()) return std::vector<aws::EcsTag>{};
  return it->second;
}

}  // namespace steady::region
