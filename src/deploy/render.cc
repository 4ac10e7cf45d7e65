// From an AppDefinition to ECS requests, and the comparison that decides whether a new
// task-definition revision is needed. Both sides of the comparison are put in one canonical JSON
// form (sets sorted, defaults filled in), so "same" and "the diff is empty" agree by construction.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "deploy/definition.h"

namespace steady::deploy {
namespace {

using nlohmann::ordered_json;

aws::ContainerDefinition RenderContainer(const ContainerDef& c, const LogConfigurationDef& log) {
  aws::ContainerDefinition cd;
  cd.name = c.name;
  cd.image = c.image;
  cd.cpu = c.cpu;
  cd.memory = c.memory;
  cd.memory_reservation = c.memory_reservation;
  cd.essential = c.essential;
  for (const auto& pm : c.port_mappings)
    cd.port_mappings.push_back({pm.container_port, pm.host_port, pm.protocol});
  for (const auto& [k, v] : c.env) cd.environment.push_back({k, v});
  cd.command = c.command;
  const LogConfigurationDef& l = c.log_configuration ? *c.log_configuration : log;
  cd.log_configuration = aws::LogConfiguration{l.log_driver, l.options};
  for (const auto& s : c.secrets) cd.secrets.push_back({s.name, s.value_from});
  return cd;
}

Status NeedEcs(const AppDefinition& def) {
  if (def.scheduler.type != "ecs")
    return FailedPreconditionError(def.app_id + ": scheduler type is " + def.scheduler.type +
                                   ", not ecs: there is no service to create or update");
  return Status::Ok();
}

aws::DeploymentConfiguration RenderDeployment(const DeploymentDef& d) {
  aws::DeploymentConfiguration dc;
  dc.minimum_healthy_percent = d.minimum_healthy_percent;
  dc.maximum_percent = d.maximum_percent;
  // The circuit breaker stops a deployment whose tasks keep failing (rolloutState FAILED);
  // rolling back is steady deploy's own job (it also rolls back on a timeout).
  dc.circuit_breaker_enable = true;
  dc.circuit_breaker_rollback = false;
  return dc;
}

// Canonical form. Keys in a fixed order (ordered_json keeps insertion order) so the diff reads
// like a task definition; environment and secrets sorted by name (ECS treats them as sets).
ordered_json Canonical(const std::string& family, const std::string& cpu, const std::string& memory,
                       const std::string& network_mode, std::vector<std::string> compat,
                       const std::vector<aws::ContainerDefinition>& containers) {
  ordered_json j;
  j["family"] = family;
  j["cpu"] = cpu;
  j["memory"] = memory;
  j["networkMode"] = network_mode.empty() ? "bridge" : network_mode;
  std::sort(compat.begin(), compat.end());
  compat.erase(std::unique(compat.begin(), compat.end()), compat.end());
  j["requiresCompatibilities"] = compat;
  ordered_json cs = ordered_json::array();
  for (const auto& c : containers) {
    ordered_json o;
    o["name"] = c.name;
    o["image"] = c.image;
    o["cpu"] = c.cpu;
    o["memory"] = c.memory ? ordered_json(*c.memory) : ordered_json(nullptr);
    o["memoryReservation"] =
        c.memory_reservation ? ordered_json(*c.memory_reservation) : ordered_json(nullptr);
    o["essential"] = c.essential;
    o["command"] = c.command;
    auto env = c.environment;
    std::sort(env.begin(), env.end(), [](const auto& a, const auto& b) {
      return std::tie(a.name, a.value) < std::tie(b.name, b.value);
    });
    ordered_json e = ordered_json::array();
    for (const auto& kv : env) e.push_back({{"name", kv.name}, {"value", kv.value}});
    o["environment"] = e;
    ordered_json pms = ordered_json::array();
    for (const auto& pm : c.port_mappings)
      pms.push_back({{"containerPort", pm.container_port},
                     {"hostPort", pm.host_port},
                     {"protocol", pm.protocol.empty() ? "tcp" : pm.protocol}});
    o["portMappings"] = pms;
    auto secrets = c.secrets;
    std::sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) {
      return std::tie(a.name, a.value_from) < std::tie(b.name, b.value_from);
    });
    ordered_json ss = ordered_json::array();
    for (const auto& s : secrets) ss.push_back({{"name", s.name}, {"valueFrom", s.value_from}});
    o["secrets"] = ss;
    if (c.log_configuration) {
      ordered_json opts = ordered_json::object();
      for (const auto& [k, v] : c.log_configuration->options) opts[k] = v;  // std::map: sorted
      o["logConfiguration"] = {{"logDriver", c.log_configuration->log_driver}, {"options", opts}};
    } else {
      o["logConfiguration"] = nullptr;
    }
    cs.push_back(o);
  }
  j["containerDefinitions"] = cs;
  return j;
}

ordered_json CanonicalOf(const aws::TaskDefinition& td) {
  return Canonical(td.family, td.cpu, td.memory, td.network_mode, td.requires_compatibilities,
                   td.container_definitions);
}

ordered_json CanonicalOf(const aws::RegisterTaskDefinitionRequest& r) {
  return Canonical(r.family, r.cpu, r.memory, r.network_mode, r.requires_compatibilities,
                   r.container_definitions);
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Line diff by longest common subsequence (task definitions are a few hundred lines at most),
// printed as unified hunks with `context` lines around each change.
std::string UnifiedDiff(const std::vector<std::string>& a, const std::vector<std::string>& b,
                        const std::string& a_name, const std::string& b_name, size_t context) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  struct Op {
    char kind;      // ' ', '-', '+'
    size_t ai, bi;  // line numbers (0-based) before this op in a and b
    const std::string* line;
  };
  std::vector<Op> ops;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.push_back({' ', i, j, &a[i]});
      ++i, ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {  // removals first
      ops.push_back({'-', i, j, &a[i]});
      ++i;
    } else {
      ops.push_back({'+', i, j, &b[j]});
      ++j;
    }
  }
  std::string out = "--- " + a_name + "\n+++ " + b_name + "\n";
  size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` after the last change that
    // is within 2*context of the previous one.
    size_t start = k >= context ? k - context : 0;
    while (start < k && ops[start].kind != ' ') ++start;
    size_t end = k;  // one past the last change
    size_t scan = k;
    while (scan < ops.size()) {
      if (ops[scan].kind != ' ') {
        end = scan + 1;
        ++scan;
        continue;
      }
      if (scan - end >= 2 * context) break;
      ++scan;
    }
    size_t stop = std::min(ops.size(), end + context);
    size_t a_count = 0, b_count = 0;
    for (size_t x = start; x < stop; ++x) {
      a_count += ops[x].kind != '+';
      b_count += ops[x].kind != '-';
    }
    out += "@@ -" + std::to_string(ops[start].ai + (a_count ? 1 : 0)) + "," +
           std::to_string(a_count) + " +" + std::to_string(ops[start].bi + (b_count ? 1 : 0)) +
           "," + std::to_string(b_count) + " @@\n";
    for (size_t x = start; x < stop; ++x) out += std::string(1, ops[x].kind) + *ops[x].line + "\n";
    k = stop;
  }
  return out;
}

}  // namespace

aws::RegisterTaskDefinitionRequest RenderTaskDefinition(const AppDefinition& def) {
  aws::RegisterTaskDefinitionRequest req;
  req.family = def.app_id;
  req.container_definitions.push_back(RenderContainer(def.app, def.log_configuration));
  for (const auto& sc : def.sidecars)
    req.container_definitions.push_back(RenderContainer(sc, def.log_configuration));
  req.cpu = def.scheduler.cpu;
  req.memory = def.scheduler.memory;
  req.network_mode = def.scheduler.network_mode;
  req.requires_compatibilities = def.scheduler.requires_compatibilities;
  return req;
}

Result<aws::CreateServiceRequest> RenderCreateService(const AppDefinition& def,
                                                      const std::string& task_definition) {
  RETURN_IF_ERROR(NeedEcs(def));
  const SchedulerDef& s = def.scheduler;
  aws::CreateServiceRequest req;
  req.cluster = s.cluster;
  req.service_name = s.service_name;
  req.task_definition = task_definition;
  req.desired_count = s.desired_count;
  if (!s.target_group_arn.empty())
    req.load_balancers.push_back({s.target_group_arn, s.container_name, s.container_port});
  req.placement_strategy = s.placement_strategy;
  req.placement_constraints = s.placement_constraints;
  req.deployment_configuration = RenderDeployment(s.deployment);
  return req;
}

Result<aws::UpdateServiceRequest> RenderUpdateService(const AppDefinition& def,
                                                      const std::string& task_definition) {
  RETURN_IF_ERROR(NeedEcs(def));
  const SchedulerDef& s = def.scheduler;
  aws::UpdateServiceRequest req;
  req.cluster = s.cluster;
  req.service = s.service_name;
  req.task_definition = task_definition;
  req.desired_count = s.desired_count;
  req.deployment_configuration = RenderDeployment(s.deployment);
  req.placement_strategy = s.placement_strategy;
  req.placement_constraints = s.placement_constraints;
  return req;
}

bool SameTaskDefinition(const aws::TaskDefinition& current,
                        const aws::RegisterTaskDefinitionRequest& wanted) {
  return CanonicalOf(current) == CanonicalOf(wanted);
}

std::string DiffTaskDefinition(const aws::TaskDefinition& current,
                               const aws::RegisterTaskDefinitionRequest& wanted) {
  if (SameTaskDefinition(current, wanted)) return "";
  std::string name = "current";
  if (!current.family.empty())
    name += " " + current.family + ":" + std::to_string(current.revision);
  return UnifiedDiff(Lines(CanonicalOf(current).dump(2)), Lines(CanonicalOf(wanted).dump(2)), name,
                     "wanted", 3);
}

}  // namespace steady::deploy
