#include "deploy/deployer.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "base/log.h"
#include "base/time_format.h"

namespace steady::deploy {
namespace {

// "arn:aws:ecs:R:A:task-definition/web:3" → "web:3"; a family:revision stays as it is.
std::string ShortTaskDefinition(const std::string& arn) {
  auto slash = arn.rfind('/');
  return slash == std::string::npos ? arn : arn.substr(slash + 1);
}

std::string LastSegment(const std::string& arn) {
  auto slash = arn.rfind('/');
  return slash == std::string::npos ? arn : arn.substr(slash + 1);
}

int RevisionOf(const std::string& arn) {
  auto colon = arn.rfind(':');
  if (colon == std::string::npos) return 0;
  try {
    return std::stoi(arn.substr(colon + 1));
  } catch (...) {
    return 0;
  }
}

std::string FamilyOf(const std::string& arn) {
  std::string s = ShortTaskDefinition(arn);
  return s.substr(0, s.rfind(':'));
}

std::string Strategies(const std::vector<aws::PlacementStrategy>& v) {
  std::string out;
  for (const auto& p : v) out += (out.empty() ? "" : ",") + p.type + ":" + p.field;
  return "[" + out + "]";
}

std::string Constraints(const std::vector<aws::PlacementConstraint>& v) {
  std::string out;
  for (const auto& p : v) out += (out.empty() ? "" : ",") + p.type + ":" + p.expression;
  return "[" + out + "]";
}

// The service settings `update` would change on `s`, one "field: old -> new" line each, plus a
// warning line for the load balancer, which UpdateService cannot change.
std::vector<std::string> ServiceChanges(const aws::EcsService& s,
                                        const aws::UpdateServiceRequest& u,
                                        const AppDefinition& def) {
  std::vector<std::string> out;
  if (u.desired_count && *u.desired_count != s.desired_count)
    out.push_back("desired_count: " + std::to_string(s.desired_count) + " -> " +
                  std::to_string(*u.desired_count));
  if (u.deployment_configuration) {
    const auto& a = s.deployment_configuration;
    const auto& b = *u.deployment_configuration;
    if (a.minimum_healthy_percent != b.minimum_healthy_percent ||
        a.maximum_percent != b.maximum_percent)
      out.push_back("deployment: " + std::to_string(a.minimum_healthy_percent) + "-" +
                    std::to_string(a.maximum_percent) + "% -> " +
                    std::to_string(b.minimum_healthy_percent) + "-" +
                    std::to_string(b.maximum_percent) + "%");
    if (a.circuit_breaker_enable != b.circuit_breaker_enable ||
        a.circuit_breaker_rollback != b.circuit_breaker_rollback)
      out.push_back(std::string("circuit_breaker: ") + (a.circuit_breaker_enable ? "on" : "off") +
                    " -> " + (b.circuit_breaker_enable ? "on" : "off"));
  }
  if (u.placement_strategy && Strategies(*u.placement_strategy) != Strategies(s.placement_strategy))
    out.push_back("placement_strategy: " + Strategies(s.placement_strategy) + " -> " +
                  Strategies(*u.placement_strategy));
  if (u.placement_constraints &&
      Constraints(*u.placement_constraints) != Constraints(s.placement_constraints))
    out.push_back("placement_constraints: " + Constraints(s.placement_constraints) + " -> " +
                  Constraints(*u.placement_constraints));
  std::string want_lb = def.scheduler.target_group_arn.empty()
                            ? ""
                            : def.scheduler.target_group_arn + " " + def.scheduler.container_name +
                                  ":" + std::to_string(def.scheduler.container_port);
  std::string have_lb;
  if (!s.load_balancers.empty())
    have_lb = s.load_balancers[0].target_group_arn + " " + s.load_balancers[0].container_name +
              ":" + std::to_string(s.load_balancers[0].container_port);
  if (want_lb != have_lb)
    out.push_back(
        "load_balancer: [" + have_lb + "] -> [" + want_lb +
        "] NOT APPLIED: UpdateService cannot change it (remove the app and deploy again)");
  return out;
}

bool OnlyWarnings(const std::vector<std::string>& changes) {
  return std::all_of(changes.begin(), changes.end(), [](const std::string& c) {
    return c.find("NOT APPLIED") != std::string::npos;
  });
}

std::string RolloutLine(const aws::EcsService& s) {
  std::ostringstream o;
  o << s.service_name << ":";
  for (const auto& d : s.deployments) {
    o << " " << (d.status == "PRIMARY" ? "" : "(old) ") << ShortTaskDefinition(d.task_definition)
      << " running " << d.running_count << "/" << d.desired_count;
    if (d.pending_count) o << " pending " << d.pending_count;
    if (d.failed_tasks) o << " failed " << d.failed_tasks;
    if (d.status == "PRIMARY" && !d.rollout_state.empty()) o << " " << d.rollout_state;
    o << ";";
  }
  std::string line = o.str();
  if (!line.empty() && line.back() == ';') line.pop_back();
  return line;
}

}  // namespace

const char* DeployOutcomeName(DeployOutcome o) {
  switch (o) {
    case DeployOutcome::kUpToDate: return "up-to-date";
    case DeployOutcome::kDeployed: return "deployed";
    case DeployOutcome::kRolledBack: return "rolled-back";
    case DeployOutcome::kFailed: return "failed";
    case DeployOutcome::kDryRun: return "dry-run";
  }
  return "?";
}

Deployer::Deployer(aws::Ecs& ecs, aws::Elbv2* elbv2, Clock& clock, Progress progress)
    : ecs_(ecs), elbv2_(elbv2), clock_(clock), progress_(std::move(progress)) {}

void Deployer::Say(const std::string& line) {
  if (progress_) progress_(line);
}

Result<std::optional<aws::EcsService>> Deployer::FindService(const AppDefinition& def) {
  ASSIGN_OR_RETURN(auto d,
                   ecs_.DescribeServices(def.scheduler.cluster, {def.scheduler.service_name}));
  for (auto& s : d.items)
    if (s.service_name == def.scheduler.service_name && s.status != "INACTIVE")
      return std::optional<aws::EcsService>(std::move(s));
  return std::optional<aws::EcsService>();
}

Result<DeployReport> Deployer::Deploy(const AppDefinition& def, const DeployOptions& options) {
  if (def.scheduler.type != "ecs")
    return FailedPreconditionError(def.app_id + ": scheduler type is " + def.scheduler.type +
                                   ": deploy rolls out services (type ecs); run it with oneshot");
  ASSIGN_OR_RETURN(AppDefinition resolved, ResolveTargetGroup(def));
  return DeployResolved(resolved, options);
}

Result<AppDefinition> Deployer::ResolveTargetGroup(const AppDefinition& def) {
  AppDefinition out = def;
  const std::string& name = def.scheduler.target_group_name;
  if (name.empty() || !def.scheduler.target_group_arn.empty()) return out;
  if (!elbv2_)
    return FailedPreconditionError(def.app_id + ": target group " + name +
                                   " is given by name and there is no ELB client to look it up");
  auto groups = elbv2_->DescribeTargetGroups({}, {name});
  if (!groups.ok()) return groups.status().WithContext("target group " + name);
  if (groups->empty()) return NotFoundError(def.app_id + ": no target group " + name);
  out.scheduler.target_group_arn = groups->front().target_group_arn;
  return out;
}

Result<DeployReport> Deployer::DeployResolved(const AppDefinition& def,
                                              const DeployOptions& options) {
  DeployReport report;
  aws::RegisterTaskDefinitionRequest wanted = RenderTaskDefinition(def);
  ASSIGN_OR_RETURN(auto service, FindService(def));

  // The revision to run: the family's newest when it is what we want, else a new one.
  std::optional<aws::TaskDefinition> newest;
  if (auto latest = ecs_.DescribeTaskDefinition(def.app_id); latest.ok())
    newest = *latest;
  else if (latest.status().code() != StatusCode::kNotFound &&
           latest.status().code() != StatusCode::kInvalidArgument)
    return latest.status();
  std::optional<aws::TaskDefinition> running;
  if (service) {
    report.previous_task_definition = ShortTaskDefinition(service->task_definition);
    if (newest && newest->task_definition_arn == service->task_definition) {
      running = newest;
    } else {
      ASSIGN_OR_RETURN(auto td, ecs_.DescribeTaskDefinition(service->task_definition));
      running = td;
    }
  }
  const bool reuse = newest && SameTaskDefinition(*newest, wanted);
  report.registered = !reuse;
  // The diff shows what changes for the running service (or against the newest revision).
  const aws::TaskDefinition base = running ? *running : newest ? *newest : aws::TaskDefinition{};
  report.diff = DiffTaskDefinition(base, wanted);

  std::string td_arn = reuse ? newest->task_definition_arn : "";
  report.task_definition =
      reuse ? ShortTaskDefinition(td_arn)
            : def.app_id + ":" + std::to_string(newest ? newest->revision + 1 : 1);
  if (service) {
    ASSIGN_OR_RETURN(auto update, RenderUpdateService(def, td_arn));
    report.service_changes = ServiceChanges(*service, update, def);
  } else {
    report.created = true;
  }
  const bool same_td = running && reuse && running->task_definition_arn == td_arn;
  if (options.dry_run) {
    report.outcome = DeployOutcome::kDryRun;
    return report;
  }
  if (same_td && !report.created && OnlyWarnings(report.service_changes)) {
    for (const auto& c : report.service_changes) Say(c);
    report.outcome = DeployOutcome::kUpToDate;
    return report;
  }

  if (!reuse) {
    ASSIGN_OR_RETURN(auto td, ecs_.RegisterTaskDefinition(wanted));
    td_arn = td.task_definition_arn;
    report.task_definition = ShortTaskDefinition(td_arn);
    Say("registered " + report.task_definition);
  }
  if (!service) {
    ASSIGN_OR_RETURN(auto create, RenderCreateService(def, td_arn));
    RETURN_IF_ERROR(ecs_.CreateService(create).status());
    Say("created service " + def.scheduler.service_name + " in " + def.scheduler.cluster +
        " with " + report.task_definition);
  } else {
    ASSIGN_OR_RETURN(auto update, RenderUpdateService(def, td_arn));
    RETURN_IF_ERROR(ecs_.UpdateService(update).status());
    for (const auto& c : report.service_changes) Say(c);
    Say("updated service " + def.scheduler.service_name + ": " + report.previous_task_definition +
        " -> " + report.task_definition);
  }
  report.outcome = DeployOutcome::kDeployed;
  if (!options.wait) return report;

  ASSIGN_OR_RETURN(std::string failure, WaitRollout(def, td_arn, options));
  if (failure.empty()) {
    Say("rollout of " + report.task_definition + " completed");
    return report;
  }
  report.failure = failure;
  Say("rollout of " + report.task_definition + " failed: " + failure);
  report.outcome = DeployOutcome::kFailed;
  if (!options.rollback_on_failure || !service) {
    if (!service) Say("nothing to roll back to: the service is new");
    return report;
  }
  RETURN_IF_ERROR(RollBackAfter(def, service->task_definition, options, report));
  return report;
}

Status Deployer::RollBackAfter(const AppDefinition& def, const std::string& previous_arn,
                               const DeployOptions& options, DeployReport& report) {
  aws::UpdateServiceRequest back;
  back.cluster = def.scheduler.cluster;
  back.service = def.scheduler.service_name;
  back.task_definition = previous_arn;
  RETURN_IF_ERROR(ecs_.UpdateService(back).status());
  Say("rolling back to " + ShortTaskDefinition(previous_arn));
  DeployOptions back_options = options;
  back_options.rollout_timeout = options.rollback_timeout;
  ASSIGN_OR_RETURN(std::string again, WaitRollout(def, previous_arn, back_options));
  if (!again.empty()) {
    report.failure +=
        "; the rollback to " + ShortTaskDefinition(previous_arn) + " failed too: " + again;
    Say("rollback to " + ShortTaskDefinition(previous_arn) + " failed: " + again);
    return Status::Ok();
  }
  Say("rolled back to " + ShortTaskDefinition(previous_arn));
  report.outcome = DeployOutcome::kRolledBack;
  return Status::Ok();
}

namespace {
Status StoppedWaiting(const AppDefinition& def) {
  return CancelledError("stopped waiting for " + def.scheduler.service_name +
                        "; ECS goes on with it");
}
}  // namespace

Result<std::string> Deployer::WaitRollout(const AppDefinition& def,
                                          const std::string& task_definition_arn,
                                          const DeployOptions& options) {
  const Time deadline = clock_.Now() + options.rollout_timeout;
  std::string last_line;
  for (;;) {
    ASSIGN_OR_RETURN(auto service, FindService(def));
    if (!service) return std::string("the service was deleted");
    if (service->deployments.empty()) return std::string("the service has no deployment");
    std::string line = RolloutLine(*service);
    if (line != last_line) Say(line);
    last_line = line;
    const aws::Deployment& primary = service->deployments.front();
    if (primary.task_definition != task_definition_arn)
      return "superseded by a deployment of " + ShortTaskDefinition(primary.task_definition);
    // COMPLETED alone is not enough: a desired-count change keeps the deployment COMPLETED
    // while the new tasks start.
    if (primary.rollout_state == "COMPLETED" && service->deployments.size() == 1 &&
        primary.running_count == primary.desired_count &&
        service->running_count == service->desired_count)
      return std::string();
    if (primary.rollout_state == "FAILED")
      return primary.rollout_state_reason.empty() ? std::string("the deployment failed")
                                                  : primary.rollout_state_reason;
    if (clock_.Now() >= deadline) {
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(options.rollout_timeout);
      return "not complete after " + std::to_string(secs.count()) + " s (running " +
             std::to_string(primary.running_count) + "/" + std::to_string(primary.desired_count) +
             ", failed " + std::to_string(primary.failed_tasks) + ")";
    }
    if (!clock_.SleepUntil(std::min(deadline, clock_.Now() + options.poll_interval), options.stop))
      return StoppedWaiting(def);
  }
}

Result<std::string> Deployer::EnsureTaskDefinition(const AppDefinition& def, bool* registered) {
  aws::RegisterTaskDefinitionRequest wanted = RenderTaskDefinition(def);
  if (registered) *registered = false;
  auto latest = ecs_.DescribeTaskDefinition(def.app_id);
  if (latest.ok() && SameTaskDefinition(*latest, wanted)) return latest->task_definition_arn;
  if (!latest.ok() && latest.status().code() != StatusCode::kNotFound &&
      latest.status().code() != StatusCode::kInvalidArgument)
    return latest.status();
  ASSIGN_OR_RETURN(auto td, ecs_.RegisterTaskDefinition(wanted));
  if (registered) *registered = true;
  Say("registered " + ShortTaskDefinition(td.task_definition_arn));
  return td.task_definition_arn;
}

Result<DeployReport> Deployer::Rollback(const AppDefinition& def, const DeployOptions& options) {
  ASSIGN_OR_RETURN(auto service, FindService(def));
  if (!service)
    return NotFoundError(def.app_id + ": no service " + def.scheduler.service_name + " in " +
                         def.scheduler.cluster);
  const std::string current = service->task_definition;
  const int current_rev = RevisionOf(current);
  // The newest ACTIVE revision of the family below the one running.
  std::string previous;
  aws::ListTaskDefinitionsRequest list;
  list.family_prefix = def.app_id;
  list.sort = "DESC";
  for (;;) {
    ASSIGN_OR_RETURN(auto page, ecs_.ListTaskDefinitions(list));
    for (const auto& arn : page.arns)
      if (FamilyOf(arn) == FamilyOf(current) && RevisionOf(arn) < current_rev) {
        previous = arn;
        break;
      }
    if (!previous.empty() || page.next_token.empty()) break;
    list.next_token = page.next_token;
  }
  if (previous.empty())
    return NotFoundError(def.app_id + ": no ACTIVE revision older than " +
                         ShortTaskDefinition(current) + " to roll back to");
  DeployReport report;
  report.previous_task_definition = ShortTaskDefinition(current);
  report.task_definition = ShortTaskDefinition(previous);
  if (options.dry_run) {
    report.outcome = DeployOutcome::kDryRun;
    return report;
  }
  aws::UpdateServiceRequest u;
  u.cluster = def.scheduler.cluster;
  u.service = def.scheduler.service_name;
  u.task_definition = previous;
  RETURN_IF_ERROR(ecs_.UpdateService(u).status());
  Say("updated service " + u.service + ": " + report.previous_task_definition + " -> " +
      report.task_definition);
  report.outcome = DeployOutcome::kDeployed;
  if (!options.wait) return report;
  ASSIGN_OR_RETURN(report.failure, WaitRollout(def, previous, options));
  if (!report.failure.empty()) {
    report.outcome = DeployOutcome::kFailed;
    Say("rollback to " + report.task_definition + " failed: " + report.failure);
  } else {
    Say("rollback to " + report.task_definition + " completed");
  }
  return report;
}

Result<AppStatus> Deployer::Describe(const AppDefinition& def) {
  ASSIGN_OR_RETURN(auto service, FindService(def));
  if (!service)
    return NotFoundError(def.app_id + ": no service " + def.scheduler.service_name + " in " +
                         def.scheduler.cluster);
  AppStatus st;
  st.service = *service;
  aws::ListTasksRequest lt;
  lt.cluster = def.scheduler.cluster;
  lt.service_name = def.scheduler.service_name;
  std::vector<std::string> arns;
  for (;;) {
    ASSIGN_OR_RETURN(auto page, ecs_.ListTasks(lt));
    arns.insert(arns.end(), page.arns.begin(), page.arns.end());
    if (page.next_token.empty()) break;
    lt.next_token = page.next_token;
  }
  std::vector<aws::EcsTask> tasks;
  for (size_t i = 0; i < arns.size(); i += 100) {
    std::vector<std::string> batch(arns.begin() + i, arns.begin() + std::min(arns.size(), i + 100));
    ASSIGN_OR_RETURN(auto d, ecs_.DescribeTasks(def.scheduler.cluster, batch));
    tasks.insert(tasks.end(), d.items.begin(), d.items.end());
  }
  // Where the tasks run: container instance → EC2 instance id.
  std::set<std::string> cis;
  for (const auto& t : tasks)
    if (!t.container_instance_arn.empty()) cis.insert(t.container_instance_arn);
  std::map<std::string, std::string> instance_of;
  std::vector<std::string> ci_list(cis.begin(), cis.end());
  for (size_t i = 0; i < ci_list.size(); i += 100) {
    std::vector<std::string> batch(ci_list.begin() + i,
                                   ci_list.begin() + std::min(ci_list.size(), i + 100));
    ASSIGN_OR_RETURN(auto d, ecs_.DescribeContainerInstances(def.scheduler.cluster, batch));
    for (const auto& ci : d.items) instance_of[ci.container_instance_arn] = ci.ec2_instance_id;
  }
  // Target health by (instance, host port) on the service's target group.
  std::map<std::pair<std::string, int>, std::string> health;
  const aws::EcsLoadBalancer* lb =
      service->load_balancers.empty() ? nullptr : &service->load_balancers.front();
  if (lb && elbv2_) {
    auto h = elbv2_->DescribeTargetHealth(lb->target_group_arn, {});
    if (h.ok()) {
      for (const auto& d : *h)
        health[{d.target.id, d.target.port.value_or(0)}] = d.target_health.state;
    } else {
      LogWarn("status: DescribeTargetHealth failed", {{"error", h.status().ToString()}});
    }
  }
  for (const auto& t : tasks) {
    TaskStatus ts;
    ts.task_id = LastSegment(t.task_arn);
    ts.task_definition = ShortTaskDefinition(t.task_definition_arn);
    ts.last_status = t.last_status;
    ts.desired_status = t.desired_status;
    ts.instance_id = instance_of[t.container_instance_arn];
    ts.availability_zone = t.availability_zone;
    ts.stopped_reason = t.stopped_reason;
    if (lb) {
      ts.health = "-";
      for (const auto& c : t.containers)
        if (c.name == lb->container_name)
          for (const auto& nb : c.network_bindings)
            if (nb.container_port == lb->container_port) {
              auto it = health.find({ts.instance_id, nb.host_port});
              ts.health = it == health.end() ? "not registered" : it->second;
            }
    }
    st.tasks.push_back(std::move(ts));
  }
  std::sort(st.tasks.begin(), st.tasks.end(), [](const TaskStatus& a, const TaskStatus& b) {
    return std::tie(a.task_definition, a.instance_id, a.task_id) <
           std::tie(b.task_definition, b.instance_id, b.task_id);
  });
  return st;
}

std::string FormatStatus(const AppStatus& st, int events) {
  const aws::EcsService& s = st.service;
  std::ostringstream o;
  o << "service " << s.service_name << " (" << LastSegment(s.cluster_arn) << ") " << s.status
    << ": " << ShortTaskDefinition(s.task_definition) << ", desired " << s.desired_count
    << ", running " << s.running_count << ", pending " << s.pending_count << "\n";
  if (!s.load_balancers.empty())
    o << "load balancer: " << s.load_balancers[0].target_group_arn << " -> "
      << s.load_balancers[0].container_name << ":" << s.load_balancers[0].container_port << "\n";
  o << "deployments:\n";
  for (const auto& d : s.deployments)
    o << "  " << d.status << " " << ShortTaskDefinition(d.task_definition) << " desired "
      << d.desired_count << " running " << d.running_count << " pending " << d.pending_count
      << " failed " << d.failed_tasks << " " << d.rollout_state << "\n";
  o << "tasks:\n";
  for (const auto& t : st.tasks) {
    o << "  " << t.task_id << " " << t.task_definition << " " << t.last_status;
    if (t.desired_status != t.last_status) o << " (desired " << t.desired_status << ")";
    o << " on " << (t.instance_id.empty() ? "-" : t.instance_id);
    if (!t.availability_zone.empty()) o << " " << t.availability_zone;
    if (!t.health.empty()) o << " target " << t.health;
    if (!t.stopped_reason.empty()) o << " (" << t.stopped_reason << ")";
    o << "\n";
  }
  if (events > 0 && !s.events.empty()) {
    o << "events:\n";
    for (int i = 0; i < events && i < static_cast<int>(s.events.size()); ++i)
      o << "  " << FormatIso8601(s.events[i].created_at) << " " << s.events[i].message << "\n";
  }
  return o.str();
}

Status Deployer::Remove(const AppDefinition& def, const DeployOptions& options) {
  ASSIGN_OR_RETURN(auto service, FindService(def));
  if (!service) {
    Say(def.app_id + ": no service " + def.scheduler.service_name + " in " + def.scheduler.cluster +
        ": nothing to remove");
    return Status::Ok();
  }
  if (options.dry_run) {
    Say("would remove service " + def.scheduler.service_name + " (" +
        std::to_string(service->running_count) + " running tasks)");
    return Status::Ok();
  }
  aws::UpdateServiceRequest zero;
  zero.cluster = def.scheduler.cluster;
  zero.service = def.scheduler.service_name;
  zero.desired_count = 0;
  RETURN_IF_ERROR(ecs_.UpdateService(zero).status());
  RETURN_IF_ERROR(
      ecs_.DeleteService(def.scheduler.cluster, def.scheduler.service_name, true).status());
  Say("deleted service " + def.scheduler.service_name);
  if (!options.wait) return Status::Ok();
  const Time deadline = clock_.Now() + options.rollout_timeout;
  for (;;) {
    ASSIGN_OR_RETURN(auto d,
                     ecs_.DescribeServices(def.scheduler.cluster, {def.scheduler.service_name}));
    bool gone = true;
    for (const auto& s : d.items)
      if (s.service_name == def.scheduler.service_name && s.status != "INACTIVE") {
        gone = false;
        Say(s.service_name + ": " + s.status + ", running " + std::to_string(s.running_count));
      }
    if (gone) {
      Say(def.scheduler.service_name + " is INACTIVE");
      return Status::Ok();
    }
    if (clock_.Now() >= deadline)
      return DeadlineExceededError(def.scheduler.service_name +
                                   " still draining after the timeout");
    if (!clock_.SleepUntil(std::min(deadline, clock_.Now() + options.poll_interval), options.stop))
      return StoppedWaiting(def);
  }
}

}  // namespace steady::deploy
