// EcsModel: container instances (registered by the fleet link), their state changes, and the
// cluster query language used by ListContainerInstances filters and memberOf constraints.
#include <algorithm>
#include <cctype>

#include "base/log.h"
#include "region/ecs_internal.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;

namespace ecs {

const std::vector<int>& ReservedPorts() {
  static const std::vector<int> kPorts = {22, 2375, 2376, 51678, 51679};
  return kPorts;
}

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front())
    s = s.substr(1, s.size() - 2);
  return s;
}

// Splits on `sep` (case-insensitive word), outside brackets.
std::vector<std::string> SplitWord(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::string lower = s;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t start = 0, depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '[' || s[i] == '(') ++depth;
    if ((s[i] == ']' || s[i] == ')') && depth > 0) --depth;
    if (depth == 0 && lower.compare(i, sep.size(), sep) == 0) {
      out.push_back(s.substr(start, i - start));
      start = i + sep.size();
      i = start - 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

}  // namespace

Result<bool> MatchExpression(const std::string& expression, const std::string& instance_id,
                             const std::string& az, const std::string& type) {
  std::string expr = Trim(expression);
  if (expr.empty()) return true;
  for (const char* sep : {" or ", " || "}) {
    auto parts = SplitWord(expr, sep);
    if (parts.size() > 1) {
      for (const auto& p : parts) {
        ASSIGN_OR_RETURN(bool m, MatchExpression(p, instance_id, az, type));
        if (m) return true;
      }
      return false;
    }
  }
  for (const char* sep : {" and ", " && "}) {
    auto parts = SplitWord(expr, sep);
    if (parts.size() > 1) {
      for (const auto& p : parts) {
        ASSIGN_OR_RETURN(bool m, MatchExpression(p, instance_id, az, type));
        if (!m) return false;
      }
      return true;
    }
  }
  if (expr.front() == '(' && expr.back() == ')')
    return MatchExpression(expr.substr(1, expr.size() - 2), instance_id, az, type);
  // SUBJECT OP VALUE with OP one of ==, !=, in, not in.
  std::string subject, op, value;
  if (size_t p = expr.find("=="); p != std::string::npos) {
    subject = expr.substr(0, p), op = "==", value = expr.substr(p + 2);
  } else if (size_t q = expr.find("!="); q != std::string::npos) {
    subject = expr.substr(0, q), op = "!=", value = expr.substr(q + 2);
  } else {
    auto parts = SplitWord(expr, " not in ");
    if (parts.size() == 2) {
      subject = parts[0], op = "not in", value = parts[1];
    } else if (parts = SplitWord(expr, " in "); parts.size() == 2) {
      subject = parts[0], op = "in", value = parts[1];
    } else {
      return InvalidArgumentError("unsupported expression '" + expression + "'");
    }
  }
  subject = Trim(subject);
  std::string actual;
  if (subject == "ec2InstanceId")
    actual = instance_id;
  else if (subject == "attribute:ecs.availability-zone")
    actual = az;
  else if (subject == "attribute:ecs.instance-type")
    actual = type;
  else
    return InvalidArgumentError("unsupported subject '" + subject + "' in expression");
  if (op == "==" || op == "!=") {
    value = Trim(value);
    // A trailing '*' is a wildcard (attribute:ecs.instance-type == t2.*).
    bool eq = !value.empty() && value.back() == '*'
                  ? actual.rfind(value.substr(0, value.size() - 1), 0) == 0
                  : actual == value;
    return op == "==" ? eq : !eq;
  }
  value = Trim(value);
  if (value.size() < 2 || value.front() != '[' || value.back() != ']')
    return InvalidArgumentError("expected a [list] after '" + op + "' in '" + expression + "'");
  bool found = false;
  for (const auto& item : SplitWord(value.substr(1, value.size() - 2), ","))
    if (Trim(item) == actual) found = true;
  return op == "in" ? found : !found;
}

}  // namespace ecs

// ---- Fleet link ----

void EcsModel::InstanceBooted(const FleetInstance& fi) {
  {
    std::lock_guard lock(mu_);
    if (fi.cluster.empty()) return;
    auto it = clusters_.find(fi.cluster);
    if (it == clusters_.end() || it->second->c.status != "ACTIVE") {
      LogWarn("ecs: instance " + fi.instance_id + " booted for unknown cluster " + fi.cluster +
              "; not registered");
      return;
    }
    Cluster& c = *it->second;
    for (const auto& [arn, i] : c.instances)
      if (i.ci.ec2_instance_id == fi.instance_id && i.ci.status != "INACTIVE") return;
    Inst i;
    i.cluster = c.c.cluster_name;
    i.az = fi.availability_zone;
    i.type = fi.instance_type;
    i.spot = fi.spot;
    i.ci.container_instance_arn =
        ctx_.Arn("ecs", "container-instance/" + c.c.cluster_name + "/" + ctx_.NewHex(32));
    i.ci.ec2_instance_id = fi.instance_id;
    i.ci.registered_at = ctx_.clock.Now();
    aws::EcsResource cpu{"CPU", "INTEGER", int64_t{fi.vcpus} * 1024, {}};
    aws::EcsResource mem{"MEMORY",
                         "INTEGER",
                         std::max<int64_t>(0, fi.memory_mib - options_.reserved_memory_mib),
                         {}};
    aws::EcsResource ports{"PORTS", "STRINGSET", 0, {}};
    for (int p : ecs::ReservedPorts()) ports.string_set_value.push_back(std::to_string(p));
    aws::EcsResource udp{"PORTS_UDP", "STRINGSET", 0, {}};
    i.ci.registered_resources = {cpu, mem, ports, udp};
    i.ci.attributes = {{"ecs.availability-zone", fi.availability_zone},
                       {"ecs.instance-type", fi.instance_type},
                       {"ecs.os-type", "linux"},
                       {"ecs.capability.docker-remote-api.1.19", ""}};
    PutLocked(c, i);
  }
  (void)CommitPending();
}

void EcsModel::InstanceTerminated(const std::string& instance_id) {
  Effects fx;
  {
    std::lock_guard lock(mu_);
    Time now = ctx_.clock.Now();
    for (auto& [name, cp] : clusters_) {
      Cluster& c = *cp;
      for (auto& [arn, i] : c.instances) {
        if (i.ci.ec2_instance_id != instance_id || i.ci.status == "INACTIVE") continue;
        for (auto& [tarn, t] : c.tasks) {
          if (t.t.container_instance_arn != arn || t.t.last_status == "STOPPED") continue;
          StopLocked(c, t, i.spot ? "SpotInterruption" : "TerminationNotice",
                     "Host EC2 (instance " + instance_id + ") terminated.", true, fx,
                     /*host_lost=*/true);
        }
        Inst copy = i;
        copy.ci.status = "INACTIVE";
        copy.ci.agent_connected = false;
        copy.inactive_at = now;
        PutLocked(c, copy);
      }
    }
  }
  (void)CommitPending();
  RunEffects(fx);
}

// ---- Container instance operations ----

Result<aws::ArnPage> EcsModel::ListContainerInstances(
    const aws::ListContainerInstancesRequest& req) {
  constexpr std::string_view op = "ListContainerInstances";
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, req.cluster));
  std::vector<std::string> arns;
  for (const auto& [arn, i] : c->instances) {
    if (req.status.empty() ? i.ci.status == "INACTIVE" : i.ci.status != req.status) continue;
    auto m = ecs::MatchExpression(req.filter, i.ci.ec2_instance_id, i.az, i.type);
    if (!m.ok()) return ServiceError(op, "InvalidParameterException", m.status().message());
    if (*m) arns.push_back(arn);
  }
  int max = req.max_results == 0 ? 100 : req.max_results;
  if (max < 1 || max > 100)
    return ServiceError(op, "InvalidParameterException", "maxResults must be between 1 and 100.");
  aws::ArnPage out;
  auto it = req.next_token.empty() ? arns.begin()
                                   : std::upper_bound(arns.begin(), arns.end(), req.next_token);
  for (; it != arns.end() && static_cast<int>(out.arns.size()) < max; ++it) out.arns.push_back(*it);
  if (it != arns.end()) out.next_token = out.arns.back();
  return out;
}

Result<aws::Described<aws::ContainerInstance>> EcsModel::DescribeContainerInstances(
    const std::string& cluster, const std::vector<std::string>& refs) {
  constexpr std::string_view op = "DescribeContainerInstances";
  if (refs.empty() || refs.size() > 100)
    return ServiceError(op, "InvalidParameterException",
                        "containerInstances must contain between 1 and 100 items.");
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, cluster));
  const auto& usage = c->usage;
  aws::Described<aws::ContainerInstance> out;
  for (const auto& ref : refs) {
    Inst* i = InstLocked(*c, ref);
    if (!i) {
      out.failures.push_back({ref, "MISSING", ""});
      continue;
    }
    auto u = usage.find(i->ci.container_instance_arn);
    out.items.push_back(ViewLocked(*i, u == usage.end() ? nullptr : &u->second));
  }
  return out;
}

Result<aws::Described<aws::ContainerInstance>> EcsModel::UpdateContainerInstancesState(
    const std::string& cluster, const std::vector<std::string>& refs, const std::string& status) {
  constexpr std::string_view op = "UpdateContainerInstancesState";
  if (status != "ACTIVE" && status != "DRAINING")
    return ServiceError(op, "InvalidParameterException",
                        "Container instance status should be one of [ACTIVE, DRAINING].");
  if (refs.empty() || refs.size() > 10)
    return ServiceError(op, "InvalidParameterException",
                        "containerInstances must contain between 1 and 10 items.");
  aws::Described<aws::ContainerInstance> out;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, cluster));
    for (const auto& ref : refs) {
      Inst* i = InstLocked(*c, ref);
      if (!i) {
        out.failures.push_back({ref, "MISSING", ""});
        continue;
      }
      if (i->ci.status == "INACTIVE") {
        out.failures.push_back({i->ci.container_instance_arn, "INACTIVE", ""});
        continue;
      }
      if (i->ci.status != status) {
        Inst copy = *i;
        copy.ci.status = status;
        PutLocked(*c, copy);
        i = InstLocked(*c, ref);
      }
    }
    const auto& usage = c->usage;
    for (const auto& ref : refs)
      if (Inst* i = InstLocked(*c, ref); i && i->ci.status == status) {
        auto u = usage.find(i->ci.container_instance_arn);
        out.items.push_back(ViewLocked(*i, u == usage.end() ? nullptr : &u->second));
      }
  }
  RETURN_IF_ERROR(CommitPending());
  return out;
}

Result<aws::ContainerInstance> EcsModel::DeregisterContainerInstance(const std::string& cluster,
                                                                     const std::string& ref,
                                                                     bool force) {
  constexpr std::string_view op = "DeregisterContainerInstance";
  aws::ContainerInstance view;
  Effects fx;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Cluster * c, ClusterLocked(op, cluster));
    Inst* i = InstLocked(*c, ref);
    if (!i || i->ci.status == "INACTIVE")
      return ServiceError(op, "InvalidParameterException", "Container instance not found: " + ref);
    const auto& usage = c->usage;
    auto u = usage.find(i->ci.container_instance_arn);
    if (u != usage.end() && (u->second.running + u->second.pending) > 0 && !force)
      return ServiceError(op, "InvalidParameterException", "Found running tasks on the instance.");
    // Forced: the tasks are orphaned; ECS stops them (services replace them elsewhere).
    for (auto& [tarn, t] : c->tasks)
      if (t.t.container_instance_arn == i->ci.container_instance_arn &&
          t.t.last_status != "STOPPED")
        StopLocked(*c, t, "TaskFailedToStart", "Container instance deregistration forced by user",
                   true, fx);
    Inst copy = *i;
    copy.ci.status = "INACTIVE";
    copy.ci.agent_connected = false;
    copy.inactive_at = ctx_.clock.Now();
    PutLocked(*c, copy);
    view = ViewLocked(copy, nullptr);
  }
  RETURN_IF_ERROR(CommitPending());
  RunEffects(fx);
  return view;
}

}  // namespace steady::region
