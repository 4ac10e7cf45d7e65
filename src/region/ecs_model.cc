// EcsModel: journal plumbing, clusters, task definitions, tags and the derived views.
#include <algorithm>
#include <cassert>

#include "region/ecs_internal.h"
#include "region/events_model.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;
using namespace ecsjson;

namespace {

Status ClusterNotFound(std::string_view op) {
  return ServiceError(op, "ClusterNotFoundException", "Cluster not found.");
}

json TimeOrNull(const std::optional<Time>& t) { return t ? Seconds(*t) : json(nullptr); }
std::optional<Time> OptTimeFrom(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return TimeFrom(*it);
}

}  // namespace

namespace ecs {

std::string LastSegment(const std::string& s) {
  size_t slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

}  // namespace ecs

EcsModel::EcsModel(RegionContext& ctx) : EcsModel(ctx, Options{}) {}
EcsModel::EcsModel(RegionContext& ctx, Options options)
    : ctx_(ctx), options_(options), rng_(options.seed) {}
EcsModel::~EcsModel() = default;

void EcsModel::SetEvents(EventsModel* events) {
  std::lock_guard lock(mu_);
  events_ = events;
  if (!events_) pending_events_.clear();
}

void EcsModel::SetLinks(ElbFleetLink* elb, Ec2FleetLink* ec2) {
  std::lock_guard lock(mu_);
  elb_ = elb;
  ec2_ = ec2;
}

// ---- Journal ----

void EcsModel::RecordLocked(json record) {
  record["s"] = "ecs";
  Status s = ApplyLocked(record);
  assert(s.ok());  // live records are built from validated state
  (void)s;
  last_seq_ = ctx_.journal().Enqueue(record.dump());
}

Status EcsModel::CommitPending() {
  uint64_t seq;
  std::vector<json> events;
  EventsModel* sink;
  {
    std::lock_guard lock(mu_);
    seq = last_seq_;
    events.swap(pending_events_);
    sink = events_;
  }
  Status s = seq == 0 ? Status::Ok() : ctx_.journal().Commit(seq);
  // The change is applied whether or not it became durable; the events say what happened.
  if (sink)
    for (const json& e : events) (void)sink->Emit(e);
  return s;
}

json EcsModel::InstRecord(const Inst& i) {
  return {{"op", "ci"},
          {"c", i.cluster},
          {"v", ToJson(i.ci)},
          {"x",
           {{"az", i.az},
            {"type", i.type},
            {"spot", i.spot},
            {"version", i.version},
            {"inactiveAt", TimeOrNull(i.inactive_at)}}}};
}

json EcsModel::TaskRecord(const Task& t) {
  return {{"op", "task"},
          {"c", t.cluster},
          {"v", ToJson(t.t)},
          {"x",
           {{"service", t.service},
            {"instance", t.instance_id},
            {"cpu", t.cpu},
            {"memory", t.memory},
            {"nextAt", Seconds(t.next_at)},
            {"exitAt", TimeOrNull(t.exit_at)},
            {"exitCode", t.exit_code},
            {"runSeconds", t.run_seconds},
            {"registered", t.registered},
            {"deregistering", t.deregistering},
            {"cpuUtil", t.cpu_util},
            {"memoryUtil", t.memory_util}}}};
}

json EcsModel::SvcRecord(const Svc& s) {
  return {{"op", "service"}, {"c", s.cluster}, {"v", ToJson(s.s)}, {"x", {{"steady", s.steady}}}};
}

void EcsModel::PutLocked(const Cluster& c) {
  RecordLocked({{"op", "cluster"}, {"v", ToJson(c.c)}});
}
void EcsModel::PutLocked(const aws::TaskDefinition& td) {
  RecordLocked({{"op", "taskdef"}, {"v", ToJson(td)}});
}
void EcsModel::PutLocked(const Cluster& c, const Inst& in) {
  const Inst* old = nullptr;
  if (auto it = c.instances.find(in.ci.container_instance_arn); it != c.instances.end())
    old = &it->second;
  Inst i = in;
  bool changed =
      !old || old->ci.status != i.ci.status || old->ci.agent_connected != i.ci.agent_connected;
  if (old) i.version = old->version + (changed ? 1 : 0);
  if (changed && events_) InstanceEventLocked(c, old, i);
  json r = InstRecord(i);
  r["c"] = c.c.cluster_name;
  RecordLocked(std::move(r));
}
void EcsModel::PutLocked(const Cluster& c, const Task& t) {
  if (events_) {
    auto it = c.tasks.find(t.t.task_arn);
    TaskEventLocked(c, it == c.tasks.end() ? nullptr : &it->second, t);
  }
  json r = TaskRecord(t);
  r["c"] = c.c.cluster_name;
  RecordLocked(std::move(r));
}
void EcsModel::PutLocked(const Cluster& c, const Svc& s) {
  json r = SvcRecord(s);
  r["c"] = c.c.cluster_name;
  RecordLocked(std::move(r));
}
void EcsModel::DeleteLocked(const std::string& kind, const std::string& cluster,
                            const std::string& key) {
  RecordLocked({{"op", "del"}, {"kind", kind}, {"c", cluster}, {"k", key}});
}

Status EcsModel::Replay(const json& record) {
  std::lock_guard lock(mu_);
  return ApplyLocked(record);
}

Status EcsModel::ApplyLocked(const json& r) {
  try {
    const std::string op = r.at("op");
    if (op == "cluster") {
      aws::EcsCluster v;
      FromJson(r.at("v"), v);
      auto& c = clusters_[v.cluster_name];
      if (!c) c = std::make_unique<Cluster>();
      c->c = v;
      return Status::Ok();
    }
    if (op == "taskdef") {
      aws::TaskDefinition v;
      FromJson(r.at("v"), v);
      auto& revs = taskdefs_[v.family];
      if (v.revision < 1 || v.revision > static_cast<int>(revs.size()) + 1)
        return DataLossError("ecs journal: task definition revision out of order");
      if (v.revision == static_cast<int>(revs.size()) + 1)
        revs.push_back(v);
      else
        revs[v.revision - 1] = v;
      return Status::Ok();
    }
    if (op == "tags") {
      tags_[r.at("arn")] = ListFrom<aws::EcsTag>(r, "v");
      return Status::Ok();
    }
    auto cit = clusters_.find(r.at("c").get<std::string>());
    if (cit == clusters_.end())
      return DataLossError("ecs journal names unknown cluster " + r.at("c").get<std::string>());
    Cluster& c = *cit->second;
    if (op == "ci") {
      Inst i;
      FromJson(r.at("v"), i.ci);
      const json& x = r.at("x");
      i.cluster = c.c.cluster_name;
      i.az = x.value("az", "");
      i.type = x.value("type", "");
      i.spot = x.value("spot", false);
      i.inactive_at = OptTimeFrom(x, "inactiveAt");
      i.version = x.value("version", int64_t{1});
      auto [it, fresh] = c.instances.try_emplace(i.ci.container_instance_arn);
      if (!fresh) IndexInstLocked(c, it->second, -1);
      it->second = std::move(i);
      IndexInstLocked(c, it->second, 1);
      return Status::Ok();
    }
    if (op == "task") {
      Task t;
      FromJson(r.at("v"), t.t);
      const json& x = r.at("x");
      t.cluster = c.c.cluster_name;
      t.service = x.value("service", "");
      t.instance_id = x.value("instance", "");
      t.cpu = x.value("cpu", int64_t{0});
      t.memory = x.value("memory", int64_t{0});
      t.next_at = TimeFrom(x.at("nextAt"));
      t.exit_at = OptTimeFrom(x, "exitAt");
      t.exit_code = x.value("exitCode", 0);
      t.run_seconds = x.value("runSeconds", int64_t{-1});
      t.registered = x.value("registered", false);
      t.deregistering = x.value("deregistering", false);
      t.cpu_util = x.value("cpuUtil", 100);
      t.memory_util = x.value("memoryUtil", 100);
      auto [it, fresh] = c.tasks.try_emplace(t.t.task_arn);
      if (!fresh) {
        AccountLocked(c, it->second, -1);
        IndexTaskLocked(c, it->first, it->second, -1);
      }
      AccountLocked(c, t, 1);
      it->second = std::move(t);
      IndexTaskLocked(c, it->first, it->second, 1);
      return Status::Ok();
    }
    if (op == "service") {
      Svc s;
      FromJson(r.at("v"), s.s);
      s.cluster = c.c.cluster_name;
      s.steady = r.at("x").value("steady", false);
      c.services[s.s.service_name] = std::move(s);
      return Status::Ok();
    }
    if (op == "del") {
      const std::string kind = r.at("kind"), key = r.at("k");
      if (kind == "task") {
        auto old = c.tasks.find(key);
        if (old != c.tasks.end()) {
          AccountLocked(c, old->second, -1);
          IndexTaskLocked(c, old->first, old->second, -1);
          c.tasks.erase(old);
        }
      }
      if (kind == "ci") {
        auto old = c.instances.find(key);
        if (old != c.instances.end()) {
          IndexInstLocked(c, old->second, -1);
          c.instances.erase(old);
        }
      }
      if (kind == "service") c.services.erase(key);
      return Status::Ok();
    }
    return DataLossError("ecs journal: unknown op " + op);
  } catch (const json::exception& e) {
    return DataLossError(std::string("ecs journal record unreadable: ") + e.what());
  }
}

json EcsModel::Snapshot() const {
  // The snapshot is the list of put records that rebuild the state; Restore applies them.
  json records = json::array();
  for (const auto& [name, c] : clusters_) {
    records.push_back({{"op", "cluster"}, {"v", ToJson(c->c)}});
  }
  for (const auto& [family, revs] : taskdefs_)
    for (const auto& td : revs) records.push_back({{"op", "taskdef"}, {"v", ToJson(td)}});
  for (const auto& [arn, tags] : tags_)
    records.push_back({{"op", "tags"}, {"arn", arn}, {"v", ToJson(tags)}});
  for (const auto& [name, c] : clusters_) {
    for (const auto& [arn, i] : c->instances) records.push_back(InstRecord(i));
    for (const auto& [arn, t] : c->tasks) records.push_back(TaskRecord(t));
    for (const auto& [n, sv] : c->services) records.push_back(SvcRecord(sv));
  }
  return {{"records", records}};
}

Status EcsModel::Restore(const json& snapshot) {
  std::lock_guard lock(mu_);
  clusters_.clear();
  taskdefs_.clear();
  tags_.clear();
  if (!snapshot.is_object() || !snapshot.contains("records")) return Status::Ok();
  for (const json& r : snapshot["records"]) RETURN_IF_ERROR(ApplyLocked(r));
  return Status::Ok();
}

// ---- Lookups ----

Result<EcsModel::Cluster*> EcsModel::ClusterLocked(std::string_view op,
                                                   const std::string& name_or_arn) {
  std::string name = name_or_arn.empty() ? "default" : ecs::LastSegment(name_or_arn);
  auto it = clusters_.find(name);
  if (it == clusters_.end() || it->second->c.status != "ACTIVE") return ClusterNotFound(op);
  return it->second.get();
}

Result<const aws::TaskDefinition*> EcsModel::TaskDefLocked(std::string_view op,
                                                           const std::string& ref) {
  std::string s = ecs::LastSegment(ref);
  std::string family = s;
  int rev = 0;
  if (size_t colon = s.rfind(':'); colon != std::string::npos) {
    family = s.substr(0, colon);
    try {
      rev = std::stoi(s.substr(colon + 1));
    } catch (...) {
      rev = -1;
    }
  }
  auto it = taskdefs_.find(family);
  auto missing = [&] {
    return ServiceError(op, "ClientException",
                        op == "DescribeTaskDefinition" ? "Unable to describe task definition."
                                                       : "TaskDefinition not found.");
  };
  if (it == taskdefs_.end() || rev < 0 || rev > static_cast<int>(it->second.size()))
    return missing();
  if (rev > 0) return &it->second[rev - 1];
  for (auto r = it->second.rbegin(); r != it->second.rend(); ++r)
    if (r->status == "ACTIVE") return &*r;
  return missing();
}

EcsModel::Inst* EcsModel::InstLocked(Cluster& c, const std::string& ref) {
  // The first instance in ARN order whose ARN ends in ref's last segment or whose EC2 instance
  // id is ref.
  const std::string* best = nullptr;
  if (auto it = c.inst_by_id.find(ecs::LastSegment(ref)); it != c.inst_by_id.end())
    if (!it->second.empty()) best = &*it->second.begin();
  if (auto it = c.inst_by_ec2.find(ref); it != c.inst_by_ec2.end())
    if (!it->second.empty() && (!best || *it->second.begin() < *best)) best = &*it->second.begin();
  if (!best) return nullptr;
  auto it = c.instances.find(*best);
  return it == c.instances.end() ? nullptr : &it->second;
}

EcsModel::Task* EcsModel::TaskLocked(Cluster& c, const std::string& ref) {
  if (auto it = c.tasks.find(ref); it != c.tasks.end()) return &it->second;
  std::string id = ecs::LastSegment(ref);
  std::string arn = ctx_.Arn("ecs", "task/" + c.c.cluster_name + "/" + id);
  if (auto it = c.tasks.find(arn); it != c.tasks.end()) return &it->second;
  return nullptr;
}

EcsModel::Svc* EcsModel::SvcLocked(Cluster& c, const std::string& ref) {
  auto it = c.services.find(ecs::LastSegment(ref));
  return it == c.services.end() ? nullptr : &it->second;
}

// ---- Derived views ----

void EcsModel::IndexTaskLocked(Cluster& c, const std::string& arn, Task& t, int sign) const {
  auto edit = [&](std::unordered_map<std::string, Cluster::TaskSet>& index,
                  const std::string& key) {
    if (sign > 0) {
      index[key].emplace(arn, &t);
      return;
    }
    auto it = index.find(key);
    if (it == index.end()) return;
    it->second.erase(arn);
    if (it->second.empty()) index.erase(it);
  };
  if (!t.service.empty()) {
    edit(c.tasks_by_service, t.service);
    ++c.service_task_changes[t.service];
  }
  edit(c.tasks_by_group, t.t.group);
  edit(c.tasks_by_instance, t.t.container_instance_arn);
  const std::string& st = t.t.last_status;
  if (st == "RUNNING") c.running_tasks += sign;
  if (st == "PENDING" || st == "PROVISIONING") c.pending_tasks += sign;
  if (t.registered || t.deregistering) {
    if (sign > 0)
      c.targeted.emplace(arn, &t);
    else
      c.targeted.erase(arn);
  }
  // What AdvanceTasksLocked acts on, and from when.
  std::optional<Time> due;
  if (st == "STOPPED") {
    if (t.t.stopped_at) due = *t.t.stopped_at + options_.keep_stopped;
  } else if (st == "RUNNING") {
    due = t.exit_at;
  } else if (st == "PROVISIONING" || st == "PENDING" || st == "STOPPING") {
    due = t.next_at;
  }
  if (due) {
    if (sign > 0)
      c.timers.emplace(*due, arn, &t);
    else
      c.timers.erase({*due, arn, &t});
  }
}

void EcsModel::IndexInstLocked(Cluster& c, const Inst& i, int sign) {
  auto edit = [&](std::unordered_map<std::string, std::set<std::string>>& index,
                  const std::string& key) {
    const std::string& arn = i.ci.container_instance_arn;
    if (sign > 0) {
      index[key].insert(arn);
      return;
    }
    auto it = index.find(key);
    if (it == index.end()) return;
    it->second.erase(arn);
    if (it->second.empty()) index.erase(it);
  };
  ++c.instance_changes;
  edit(c.inst_by_id, ecs::LastSegment(i.ci.container_instance_arn));
  edit(c.inst_by_ec2, i.ci.ec2_instance_id);
}

std::vector<EcsModel::Task*> EcsModel::TasksOnLocked(Cluster& c, const std::string& instance_arn) {
  std::vector<Task*> out;
  if (auto it = c.tasks_by_instance.find(instance_arn); it != c.tasks_by_instance.end())
    for (const auto& [arn, t] : it->second) out.push_back(t);
  return out;
}

void EcsModel::AccountLocked(Cluster& c, const Task& t, int sign) {
  if (t.t.last_status == "STOPPED") return;
  Usage& u = c.usage[t.t.container_instance_arn];
  u.cpu += sign * t.cpu;
  u.memory += sign * t.memory;
  for (const auto& ct : t.t.containers)
    for (const auto& b : ct.network_bindings) {
      std::set<int>& ports = b.protocol == "udp" ? u.udp : u.tcp;
      if (sign > 0)
        ports.insert(b.host_port);
      else
        ports.erase(b.host_port);
    }
  (t.t.last_status == "RUNNING" ? u.running : u.pending) += sign;
}

aws::ContainerInstance EcsModel::ViewLocked(const Inst& i, const Usage* u) const {
  aws::ContainerInstance v = i.ci;
  Usage none;
  if (!u) u = &none;
  v.running_tasks_count = u->running;
  v.pending_tasks_count = u->pending;
  v.remaining_resources.clear();
  for (const auto& r : i.ci.registered_resources) {
    aws::EcsResource rem = r;
    if (r.name == "CPU") rem.integer_value = r.integer_value - u->cpu;
    if (r.name == "MEMORY") rem.integer_value = r.integer_value - u->memory;
    const std::set<int>* ports = r.name == "PORTS"       ? &u->tcp
                                 : r.name == "PORTS_UDP" ? &u->udp
                                                         : nullptr;
    if (ports)
      for (int p : *ports) rem.string_set_value.push_back(std::to_string(p));
    v.remaining_resources.push_back(std::move(rem));
  }
  if (auto it = tags_.find(i.ci.container_instance_arn); it != tags_.end()) v.tags = it->second;
  return v;
}

aws::EcsCluster EcsModel::ViewLocked(const Cluster& c) const {
  aws::EcsCluster v = c.c;
  for (const auto& [arn, i] : c.instances)
    if (i.ci.status != "INACTIVE") ++v.registered_container_instances_count;
  v.running_tasks_count += c.running_tasks;
  v.pending_tasks_count += c.pending_tasks;
  for (const auto& [n, s] : c.services)
    if (s.s.status == "ACTIVE") ++v.active_services_count;
  if (auto it = tags_.find(c.c.cluster_arn); it != tags_.end()) v.tags = it->second;
  return v;
}

aws::EcsService EcsModel::ViewLocked(const Cluster& c, const Svc& s) const {
  aws::EcsService v = s.s;
  v.running_count = v.pending_count = 0;
  for (auto& d : v.deployments) d.running_count = d.pending_count = 0;
  auto mine = c.tasks_by_service.find(s.s.service_name);
  if (mine != c.tasks_by_service.end())
    for (const auto& [arn, tp] : mine->second) {
      const Task& t = *tp;
      if (t.t.last_status == "STOPPED") continue;
      bool running = t.t.last_status == "RUNNING";
      bool pending = t.t.last_status == "PENDING" || t.t.last_status == "PROVISIONING";
      if (running) ++v.running_count;
      if (pending) ++v.pending_count;
      for (auto& d : v.deployments)
        if (d.id == t.t.started_by) {
          if (running) ++d.running_count;
          if (pending) ++d.pending_count;
        }
    }
  if (auto it = tags_.find(s.s.service_arn); it != tags_.end()) v.tags = it->second;
  return v;
}

std::vector<EcsModel::ClusterUsage> EcsModel::ClusterReservation() const {
  std::lock_guard lock(mu_);
  std::vector<ClusterUsage> out;
  for (const auto& [name, cp] : clusters_) {
    const Cluster& c = *cp;
    if (c.c.status != "ACTIVE") continue;
    ClusterUsage cu;
    cu.cluster_name = c.c.cluster_name;
    cu.cluster_arn = c.c.cluster_arn;
    std::set<std::string_view> counted;  // container instance ARNs that count
    for (const auto& [arn, i] : c.instances) {
      if ((i.ci.status != "ACTIVE" && i.ci.status != "DRAINING") || !i.ci.agent_connected) continue;
      counted.insert(arn);
      ++cu.instances;
      int64_t cpu = 0, mem = 0;
      for (const auto& r : i.ci.registered_resources) {
        if (r.name == "CPU") cpu = r.integer_value;
        if (r.name == "MEMORY") mem = r.integer_value;
      }
      cu.registered_cpu += cpu;
      cu.registered_memory += mem;
      cu.remaining_cpu += cpu;
      cu.remaining_memory += mem;
      if (auto u = c.usage.find(arn); u != c.usage.end()) {
        cu.remaining_cpu -= u->second.cpu;
        cu.remaining_memory -= u->second.memory;
      }
    }
    std::map<std::string, ServiceUsage> services;
    for (const auto& [n, s] : c.services)
      if (s.s.status != "INACTIVE") services[n].service_name = n;
    for (const auto& [arn, t] : c.tasks) {
      if (t.t.last_status != "RUNNING") continue;
      double cpu = static_cast<double>(t.cpu) * t.cpu_util / 100.0;
      double mem = static_cast<double>(t.memory) * t.memory_util / 100.0;
      if (counted.count(t.t.container_instance_arn)) {
        cu.used_cpu += cpu;
        cu.used_memory += mem;
      }
      auto s = services.find(t.service);
      if (t.service.empty() || s == services.end()) continue;
      ++s->second.running;
      s->second.reserved_cpu += t.cpu;
      s->second.reserved_memory += t.memory;
      s->second.used_cpu += cpu;
      s->second.used_memory += mem;
    }
    for (auto& [n, su] : services) cu.services.push_back(std::move(su));
    out.push_back(std::move(cu));
  }
  return out;
}

// ---- Clusters ----

Result<aws::EcsCluster> EcsModel::CreateCluster(const std::string& name_in,
                                                const std::vector<aws::EcsTag>& tags) {
  std::string name = name_in.empty() ? "default" : name_in;
  bool ok = name.size() <= 255 && std::all_of(name.begin(), name.end(), [](char ch) {
              return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
            });
  if (!ok)
    return ServiceError("CreateCluster", "InvalidParameterException",
                        "Cluster name can have up to 255 characters: letters, numbers, hyphens "
                        "and underscores.");
  aws::EcsCluster view;
  {
    std::lock_guard lock(mu_);
    auto it = clusters_.find(name);
    if (it == clusters_.end() || it->second->c.status != "ACTIVE") {
      Cluster c;
      c.c.cluster_name = name;
      c.c.cluster_arn = ctx_.Arn("ecs", "cluster/" + name);
      PutLocked(c);
      if (!tags.empty())
        RecordLocked({{"op", "tags"}, {"arn", c.c.cluster_arn}, {"v", ToJson(tags)}});
    }
    view = ViewLocked(*clusters_[name]);
  }
  RETURN_IF_ERROR(CommitPending());
  return view;
}

Result<aws::Described<aws::EcsCluster>> EcsModel::DescribeClusters(
    const std::vector<std::string>& clusters) {
  std::lock_guard lock(mu_);
  aws::Described<aws::EcsCluster> out;
  std::vector<std::string> names =
      clusters.empty() ? std::vector<std::string>{"default"} : clusters;
  for (const auto& ref : names) {
    auto it = clusters_.find(ecs::LastSegment(ref));
    if (it == clusters_.end()) {
      std::string arn = ref.rfind("arn:", 0) == 0 ? ref : ctx_.Arn("ecs", "cluster/" + ref);
      out.failures.push_back({arn, "MISSING", ""});
      continue;
    }
    out.items.push_back(ViewLocked(*it->second));
  }
  return out;
}

namespace {

// One page of `sorted` keys after `token`.
Result<aws::ArnPage> PageOf(std::string_view op, const std::vector<std::string>& sorted,
                            const aws::PageRequest& page) {
  int max = page.max_results == 0 ? 100 : page.max_results;
  if (max < 1 || max > 100)
    return ServiceError(op, "InvalidParameterException", "maxResults must be between 1 and 100.");
  aws::ArnPage out;
  size_t start = 0;
  if (!page.next_token.empty()) {
    auto it = std::upper_bound(sorted.begin(), sorted.end(), page.next_token);
    start = it - sorted.begin();
  }
  for (size_t i = start; i < sorted.size() && static_cast<int>(out.arns.size()) < max; ++i)
    out.arns.push_back(sorted[i]);
  if (start + out.arns.size() < sorted.size()) out.next_token = out.arns.back();
  return out;
}

}  // namespace

Result<aws::ArnPage> EcsModel::ListClusters(const aws::PageRequest& page) {
  std::lock_guard lock(mu_);
  std::vector<std::string> arns;
  for (const auto& [n, c] : clusters_)
    if (c->c.status == "ACTIVE") arns.push_back(c->c.cluster_arn);
  std::sort(arns.begin(), arns.end());
  return PageOf("ListClusters", arns, page);
}

}  // namespace steady::region
