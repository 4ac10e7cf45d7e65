#include "autoscaler/observer.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

#include "base/log.h"

namespace steady::autoscaler {

namespace {

constexpr int kDescribeContainerInstancesMax = 100;
constexpr int kDescribeServicesMax = 10;
constexpr size_t kEc2FilterValuesMax = 200;

int64_t ResourceValue(const std::vector<aws::EcsResource>& resources, std::string_view name) {
  for (const auto& r : resources)
    if (r.name == name) return r.integer_value;
  return 0;
}

// A task-level size ("512"); nullopt when absent or not a plain number ("1 GB").
std::optional<int64_t> TaskLevel(const std::string& s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

// Pending, Pending:Wait, Pending:Proceed and InService count; Terminating*, Terminated, Standby
// and Detaching do not.
bool KeptLifecycleState(const std::string& state) {
  return state == "InService" || state.starts_with("Pending");
}

bool Gone(const std::string& ec2_state) {
  return ec2_state == "shutting-down" || ec2_state == "terminated" || ec2_state == "stopping" ||
         ec2_state == "stopped";
}

}  // namespace

Observer::Observer(std::string cluster, std::vector<GroupConfig> groups, ObserverClients clients,
                   Clock& clock, int64_t reserved_memory_mib)
    : cluster_(std::move(cluster)),
      groups_(std::move(groups)),
      clients_(clients),
      clock_(clock),
      reserved_memory_mib_(reserved_memory_mib) {}

Result<std::vector<GroupConfig>> Observer::ResolveGroups() {
  if (resolved_) return groups_;
  std::vector<std::string> missing;
  for (const GroupConfig& g : groups_)
    for (const InstanceType& t : g.instance_types)
      if ((t.capacity.cpu <= 0 || t.capacity.memory <= 0) &&
          std::find(missing.begin(), missing.end(), t.name) == missing.end())
        missing.push_back(t.name);
  if (!missing.empty()) {
    auto infos = clients_.ec2.DescribeInstanceTypes(missing);
    if (!infos.ok()) return infos.status();
    std::map<std::string, Resources> found;
    for (const aws::InstanceTypeInfo& i : *infos)
      found[i.instance_type] = {int64_t{i.default_vcpus} * 1024,
                                std::max<int64_t>(0, i.size_in_mib - reserved_memory_mib_)};
    for (GroupConfig& g : groups_) {
      for (InstanceType& t : g.instance_types) {
        if (t.capacity.cpu > 0 && t.capacity.memory > 0) continue;
        auto it = found.find(t.name);
        if (it == found.end())
          return NotFoundError("DescribeInstanceTypes did not describe " + t.name + " (group " +
                               g.name + ")");
        // A configured half (cpu or memory) wins over the catalogue's.
        if (t.capacity.cpu <= 0) t.capacity.cpu = it->second.cpu;
        if (t.capacity.memory <= 0) t.capacity.memory = it->second.memory;
      }
    }
  }
  resolved_ = true;
  return groups_;
}

Status Observer::ObserveGroups(ClusterView& view) {
  std::vector<std::string> asg_names, fleet_ids;
  for (const GroupConfig& g : groups_)
    (g.kind == GroupConfig::Kind::kSpotFleet ? fleet_ids : asg_names).push_back(g.name);

  std::map<std::string, const aws::AutoScalingGroup*> asgs;
  std::vector<aws::AutoScalingGroup> described_asgs;
  if (!asg_names.empty()) {
    ASSIGN_OR_RETURN(described_asgs, clients_.autoscaling.DescribeAutoScalingGroups(asg_names));
    for (const auto& a : described_asgs) asgs[a.auto_scaling_group_name] = &a;
  }
  std::map<std::string, aws::SpotFleetRequestConfig> fleets;
  if (!fleet_ids.empty()) {
    ASSIGN_OR_RETURN(auto described, clients_.ec2.DescribeSpotFleetRequests(fleet_ids));
    for (auto& f : described) fleets[f.spot_fleet_request_id] = std::move(f);
  }

  for (const GroupConfig& g : groups_) {
    if (g.kind == GroupConfig::Kind::kAutoScalingGroup) {
      auto it = asgs.find(g.name);
      // DescribeAutoScalingGroups leaves unknown names out: a missing group is an error, not an
      // empty group (the policy would scale a group that does not exist).
      if (it == asgs.end())
        return NotFoundError("Auto Scaling group '" + g.name + "' not found (cluster " + cluster_ +
                             ")");
      const aws::AutoScalingGroup& a = *it->second;
      view.groups.push_back({g.name, a.desired_capacity});
      for (const aws::AsgInstance& i : a.instances) {
        if (!KeptLifecycleState(i.lifecycle_state)) continue;
        InstanceView v;
        v.instance_id = i.instance_id;
        v.group = g.name;
        v.instance_type = i.instance_type;
        v.purchase = i.spot ? Purchase::kSpot : g.purchase;
        v.scale_in_protected = i.protected_from_scale_in;
        view.instances.push_back(std::move(v));
      }
    } else {
      auto it = fleets.find(g.name);
      if (it == fleets.end())
        return NotFoundError("Spot Fleet request '" + g.name + "' not found (cluster " + cluster_ +
                             ")");
      view.groups.push_back({g.name, it->second.config.target_capacity});
      ASSIGN_OR_RETURN(auto active, clients_.ec2.DescribeSpotFleetInstances(g.name));
      for (const aws::ActiveInstance& i : active) {
        InstanceView v;
        v.instance_id = i.instance_id;
        v.group = g.name;
        v.instance_type = i.instance_type;
        v.purchase = Purchase::kSpot;
        view.instances.push_back(std::move(v));
      }
    }
  }
  return Status::Ok();
}

Status Observer::ObserveEc2(ClusterView& view) {
  if (view.instances.empty()) return Status::Ok();
  // A filter, not InstanceIds: an id EC2 no longer knows is left out instead of failing the call.
  std::map<std::string, const aws::Ec2Instance*> by_id;
  std::vector<std::vector<aws::Reservation>> pages;
  for (size_t b = 0; b < view.instances.size(); b += kEc2FilterValuesMax) {
    aws::DescribeInstancesRequest req;
    aws::Ec2Filter f{.name = "instance-id", .values = {}};
    for (size_t i = b; i < std::min(view.instances.size(), b + kEc2FilterValuesMax); ++i)
      f.values.push_back(view.instances[i].instance_id);
    req.filters.push_back(std::move(f));
    ASSIGN_OR_RETURN(auto reservations, clients_.ec2.DescribeInstances(req));
    pages.push_back(std::move(reservations));
  }
  for (const auto& page : pages)
    for (const auto& r : page)
      for (const auto& i : r.instances) by_id[i.instance_id] = &i;
  std::set<std::string> gone;
  for (InstanceView& v : view.instances) {
    auto it = by_id.find(v.instance_id);
    if (it == by_id.end()) {
      // Just launched and not yet listed by DescribeInstances (EC2 is eventually consistent):
      // booting since now.
      v.launched = view.at;
      continue;
    }
    const aws::Ec2Instance& e = *it->second;
    if (Gone(e.state.name)) gone.insert(v.instance_id);
    v.launched = e.launch_time;
    v.purchase = e.instance_lifecycle == "spot" ? Purchase::kSpot : Purchase::kOnDemand;
    if (v.instance_type.empty()) v.instance_type = e.instance_type;
  }
  std::erase_if(view.instances,
                [&](const InstanceView& v) { return gone.count(v.instance_id) > 0; });
  return Status::Ok();
}

Status Observer::ObserveContainerInstances(ClusterView& view) {
  std::vector<std::string> arns;
  aws::ListContainerInstancesRequest list;
  list.cluster = cluster_;
  list.max_results = 100;
  do {
    ++last_calls_;
    ASSIGN_OR_RETURN(aws::ArnPage page, clients_.ecs.ListContainerInstances(list));
    arns.insert(arns.end(), page.arns.begin(), page.arns.end());
    list.next_token = page.next_token;
  } while (!list.next_token.empty());

  std::map<std::string, aws::ContainerInstance> by_ec2;
  for (size_t b = 0; b < arns.size(); b += kDescribeContainerInstancesMax) {
    std::vector<std::string> chunk(
        arns.begin() + b, arns.begin() + std::min(arns.size(), b + kDescribeContainerInstancesMax));
    ++last_calls_;
    ASSIGN_OR_RETURN(auto described, clients_.ecs.DescribeContainerInstances(cluster_, chunk));
    // failures: deregistered between the two calls; such an instance is simply not registered.
    for (auto& ci : described.items)
      if (ci.status != "INACTIVE") by_ec2[ci.ec2_instance_id] = std::move(ci);
  }

  for (InstanceView& v : view.instances) {
    auto it = by_ec2.find(v.instance_id);
    if (it == by_ec2.end()) continue;  // booting
    const aws::ContainerInstance& ci = it->second;
    v.registered = true;
    v.active = ci.status == "ACTIVE";
    v.registered_resources = {ResourceValue(ci.registered_resources, "CPU"),
                              ResourceValue(ci.registered_resources, "MEMORY")};
    v.remaining = {ResourceValue(ci.remaining_resources, "CPU"),
                   ResourceValue(ci.remaining_resources, "MEMORY")};
    v.running_tasks = ci.running_tasks_count;
    v.pending_tasks = ci.pending_tasks_count;
  }
  return Status::Ok();
}

Result<Resources> Observer::TaskReservation(const std::string& task_definition_arn) {
  if (auto it = task_definitions_.find(task_definition_arn); it != task_definitions_.end())
    return it->second;
  ++last_calls_;
  ASSIGN_OR_RETURN(aws::TaskDefinition td,
                   clients_.ecs.DescribeTaskDefinition(task_definition_arn));
  Resources r;
  for (const aws::ContainerDefinition& c : td.container_definitions) {
    r.cpu += c.cpu;
    r.memory += c.memory.value_or(c.memory_reservation.value_or(0));
  }
  // Task-level sizes, when given, are what ECS reserves for the task on an instance.
  if (auto cpu = TaskLevel(td.cpu)) r.cpu = *cpu;
  if (auto memory = TaskLevel(td.memory)) r.memory = *memory;
  task_definitions_[task_definition_arn] = r;
  return r;
}

Status Observer::ObserveServices(ClusterView& view) {
  std::vector<std::string> arns;
  aws::PageRequest page_req;
  page_req.max_results = 100;
  do {
    ++last_calls_;
    ASSIGN_OR_RETURN(aws::ArnPage page, clients_.ecs.ListServices(cluster_, page_req));
    arns.insert(arns.end(), page.arns.begin(), page.arns.end());
    page_req.next_token = page.next_token;
  } while (!page_req.next_token.empty());

  for (size_t b = 0; b < arns.size(); b += kDescribeServicesMax) {
    std::vector<std::string> chunk(arns.begin() + b,
                                   arns.begin() + std::min(arns.size(), b + kDescribeServicesMax));
    ++last_calls_;
    ASSIGN_OR_RETURN(auto described, clients_.ecs.DescribeServices(cluster_, chunk));
    // failures: deleted between the two calls.
    for (const aws::EcsService& s : described.items) {
      if (s.status == "INACTIVE") continue;
      ServiceView v;
      v.name = s.service_name;
      v.desired = s.desired_count;
      v.running = s.running_count;
      v.pending = s.pending_count;
      ASSIGN_OR_RETURN(v.task, TaskReservation(s.task_definition));
      view.services.push_back(std::move(v));
    }
  }
  return Status::Ok();
}

Result<ClusterView> Observer::Observe() {
  last_calls_ = 0;
  ClusterView view;
  view.cluster = cluster_;
  view.at = clock_.Now();
  RETURN_IF_ERROR(ObserveGroups(view));
  RETURN_IF_ERROR(ObserveEc2(view));
  RETURN_IF_ERROR(ObserveContainerInstances(view));
  RETURN_IF_ERROR(ObserveServices(view));
  return view;
}

}  // namespace steady::autoscaler
