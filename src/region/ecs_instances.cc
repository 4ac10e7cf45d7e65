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

// The parsed form of an expression: MatchExpression's recursion, done once. A part that
// MatchExpression would reject becomes an error node, reported when evaluation reaches it.
struct Expression::Node {
  enum Kind { kTrue, kOr, kAnd, kCompare, kList, kError } kind = kTrue;
  std::vector<Node> parts;  // kOr, kAnd
  enum Subject { kInstanceId, kAz, kType } subject = kInstanceId;
  bool negate = false;          // != / not in
  bool prefix = false;          // kCompare: value ends in '*' (a wildcard)
  std::string value;            // kCompare (without the '*')
  std::set<std::string> items;  // kList
  Status error;                 // kError

  static Node Parse(const std::string& expression);
  Result<bool> Match(const std::string& instance_id, const std::string& az,
                     const std::string& type) const;
};

Expression::Node Expression::Node::Parse(const std::string& expression) {
  Node n;
  std::string expr = Trim(expression);
  if (expr.empty()) return n;  // kTrue
  for (const char* sep : {" or ", " || "}) {
    auto parts = SplitWord(expr, sep);
    if (parts.size() > 1) {
      n.kind = kOr;
      for (const auto& p : parts) n.parts.push_back(Parse(p));
      return n;
    }
  }
  for (const char* sep : {" and ", " && "}) {
    auto parts = SplitWord(expr, sep);
    if (parts.size() > 1) {
      n.kind = kAnd;
      for (const auto& p : parts) n.parts.push_back(Parse(p));
      return n;
    }
  }
  if (expr.front() == '(' && expr.back() == ')') return Parse(expr.substr(1, expr.size() - 2));
  auto fail = [&](Status s) {
    n.kind = kError;
    n.error = std::move(s);
    return n;
  };
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
      return fail(InvalidArgumentError("unsupported expression '" + expression + "'"));
    }
  }
  subject = Trim(subject);
  if (subject == "ec2InstanceId")
    n.subject = kInstanceId;
  else if (subject == "attribute:ecs.availability-zone")
    n.subject = kAz;
  else if (subject == "attribute:ecs.instance-type")
    n.subject = kType;
  else
    return fail(InvalidArgumentError("unsupported subject '" + subject + "' in expression"));
  value = Trim(value);
  if (op == "==" || op == "!=") {
    n.kind = kCompare;
    n.negate = op == "!=";
    // A trailing '*' is a wildcard (attribute:ecs.instance-type == t2.*).
    n.prefix = !value.empty() && value.back() == '*';
    n.value = n.prefix ? value.substr(0, value.size() - 1) : value;
    return n;
  }
  if (value.size() < 2 || value.front() != '[' || value.back() != ']')
    return fail(
        InvalidArgumentError("expected a [list] after '" + op + "' in '" + expression + "'"));
  n.kind = kList;
  n.negate = op == "not in";
  for (const auto& item : SplitWord(value.substr(1, value.size() - 2), ","))
    n.items.insert(Trim(item));
  return n;
}

Result<bool> Expression::Node::Match(const std::string& instance_id, const std::string& az,
                                     const std::string& type) const {
  switch (kind) {
    case kTrue: return true;
    case kOr:
      for (const auto& p : parts) {
        ASSIGN_OR_RETURN(bool m, p.Match(instance_id, az, type));
        if (m) return true;
      }
      return false;
    case kAnd:
      for (const auto& p : parts) {
        ASSIGN_OR_RETURN(bool m, p.Match(instance_id, az, type));
        if (!m) return false;
      }
      return true;
    case kError: return error;
    case kCompare:
    case kList: break;
  }
  const std::string& actual = subject == kInstanceId ? instance_id : subject == kAz ? az : type;
  bool found = kind == kList ? items.count(actual) > 0
               : prefix      ? actual.rfind(value, 0) == 0
                             : actual == value;
  return negate ? !found : found;
}

Expression Expression::Parse(const std::string& expression) {
  Expression e;
  e.root_ = std::make_shared<const Node>(Node::Parse(expression));
  return e;
}

Result<bool> Expression::Match(const std::string& instance_id, const std::string& az,
                               const std::string& type) const {
  return root_->Match(instance_id, az, type);
}

Result<bool> MatchExpression(const std::string& expression, const std::string& instance_id,
                             const std::string& az, const std::string& type) {
  return Expression::Parse(expression).Match(instance_id, az, type);
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
    if (auto same = c.inst_by_ec2.find(fi.instance_id); same != c.inst_by_ec2.end())
      for (const auto& arn : same->second)
        if (c.instances.at(arn).ci.status != "INACTIVE") return;
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
  std::lock_guard effects(effects_mu_);
  Effects fx;
  {
    std::lock_guard lock(mu_);
    Time now = ctx_.clock.Now();
    for (auto& [name, cp] : clusters_) {
      Cluster& c = *cp;
      auto same = c.inst_by_ec2.find(instance_id);
      if (same == c.inst_by_ec2.end()) continue;
      const std::vector<std::string> arns(same->second.begin(), same->second.end());
      for (const auto& arn : arns) {
        Inst& i = c.instances.at(arn);
        if (i.ci.status == "INACTIVE") continue;
        for (Task* tp : TasksOnLocked(c, arn)) {
          Task& t = *tp;
          if (t.t.last_status == "STOPPED") continue;
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
  const ecs::Expression filter = ecs::Expression::Parse(req.filter);
  for (const auto& [arn, i] : c->instances) {
    if (req.status.empty() ? i.ci.status == "INACTIVE" : i.ci.status != req.status) continue;
    auto m = filter.Match(i.ci.ec2_instance_id, i.az, i.type);
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
  std::lock_guard effects(effects_mu_);
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
    for (Task* t : TasksOnLocked(*c, i->ci.container_instance_arn))
      if (t->t.last_status != "STOPPED")
        StopLocked(*c, *t, "TaskFailedToStart", "Container instance deregistration forced by user",
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
