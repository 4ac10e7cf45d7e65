#include "region/ec2_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <cmath>

#include "base/log.h"
#include "base/time_format.h"
#include "region/ec2_model_internal.h"
#include "region/events_model.h"
#include "region/front.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;

namespace ec2internal {
namespace {

int64_t Ns(Time t) { return ToUnixNanos(t); }
int64_t OptNs(const std::optional<Time>& t) { return t ? ToUnixNanos(*t) : 0; }
std::optional<Time> OptTime(const json& j, const char* key) {
  int64_t v = j.value(key, int64_t{0});
  if (v == 0) return std::nullopt;
  return FromUnixNanos(v);
}

json TagsToJson(const std::vector<aws::Ec2Tag>& tags) {
  json a = json::array();
  for (const auto& t : tags) a.push_back({t.key, t.value});
  return a;
}
std::vector<aws::Ec2Tag> TagsFromJson(const json& j) {
  std::vector<aws::Ec2Tag> out;
  for (const auto& t : j) out.push_back({t.at(0).get<std::string>(), t.at(1).get<std::string>()});
  return out;
}

}  // namespace

json InstToJson(const Ec2Model::Inst& i) {
  return {{"id", i.id},
          {"type", i.type},
          {"state", i.state},
          {"az", i.az},
          {"ip", i.ip},
          {"sir", i.sir},
          {"res", i.reservation},
          {"ud", i.user_data},
          {"fleet", i.fleet},
          {"reason", i.reason},
          {"spot", i.spot},
          {"w", i.weight},
          {"launch", Ns(i.launch)},
          {"since", Ns(i.since)},
          {"boot", Ns(i.boot_at)},
          {"tags", TagsToJson(i.tags)},
          {"warn", OptNs(i.warn_at)},
          {"warned", i.warned},
          {"term", OptNs(i.terminate_at)},
          {"gone", OptNs(i.terminated_at)}};
}

Ec2Model::Inst InstFromJson(const json& j) {
  Ec2Model::Inst i;
  i.id = j.at("id");
  i.type = j.at("type");
  i.state = j.at("state");
  i.az = j.at("az");
  i.ip = j.at("ip");
  i.sir = j.at("sir");
  i.reservation = j.at("res");
  i.user_data = j.at("ud");
  i.fleet = j.at("fleet");
  i.reason = j.at("reason");
  i.spot = j.at("spot");
  i.weight = j.at("w");
  i.launch = FromUnixNanos(j.at("launch"));
  i.since = FromUnixNanos(j.at("since"));
  i.boot_at = FromUnixNanos(j.at("boot"));
  i.tags = TagsFromJson(j.at("tags"));
  i.warn_at = OptTime(j, "warn");
  i.warned = j.at("warned");
  i.terminate_at = OptTime(j, "term");
  i.terminated_at = OptTime(j, "gone");
  return i;
}

json FleetToJson(const Ec2Model::Fleet& f) {
  json specs = json::array();
  for (const auto& s : f.config.launch_specifications) {
    specs.push_back({{"type", s.instance_type},
                     {"w", s.weighted_capacity ? json(*s.weighted_capacity) : json()},
                     {"az", s.availability_zone},
                     {"subnet", s.subnet_id},
                     {"ud", s.user_data},
                     {"tags", TagsToJson(s.tags)}});
  }
  return {{"id", f.id},
          {"state", f.state},
          {"activity", f.activity},
          {"created", Ns(f.created)},
          {"role", f.config.iam_fleet_role},
          {"target", f.config.target_capacity},
          {"type", f.config.type},
          {"alloc", f.config.allocation_strategy},
          {"excess", f.config.excess_capacity_termination_policy},
          {"specs", specs}};
}

Ec2Model::Fleet FleetFromJson(const json& j) {
  Ec2Model::Fleet f;
  f.id = j.at("id");
  f.state = j.at("state");
  f.activity = j.at("activity");
  f.created = FromUnixNanos(j.at("created"));
  f.config.iam_fleet_role = j.at("role");
  f.config.target_capacity = j.at("target");
  f.config.type = j.at("type");
  f.config.allocation_strategy = j.at("alloc");
  f.config.excess_capacity_termination_policy = j.value("excess", "default");
  for (const auto& s : j.at("specs")) {
    aws::SpotFleetLaunchSpecification spec;
    spec.instance_type = s.at("type");
    if (!s.at("w").is_null()) spec.weighted_capacity = s.at("w").get<double>();
    spec.availability_zone = s.at("az");
    spec.subnet_id = s.at("subnet");
    spec.user_data = s.at("ud");
    spec.tags = TagsFromJson(s.at("tags"));
    f.config.launch_specifications.push_back(std::move(spec));
  }
  return f;
}

int StateCode(const std::string& state) {
  if (state == "pending") return 0;
  if (state == "running") return 16;
  if (state == "shutting-down") return 32;
  if (state == "terminated") return 48;
  if (state == "stopping") return 64;
  return 80;
}

bool Active(const Ec2Model::Inst& i) { return i.state == "pending" || i.state == "running"; }

std::string ClusterOf(const Ec2Model::Inst& i) {
  const std::string key = "ECS_CLUSTER=";
  if (size_t p = i.user_data.find(key); p != std::string::npos) {
    size_t b = p + key.size();
    size_t e = i.user_data.find_first_of(" \t\r\n\"';>", b);
    return i.user_data.substr(b, e == std::string::npos ? std::string::npos : e - b);
  }
  for (const auto& t : i.tags)
    if (t.key == "ECS_CLUSTER" || t.key == "ecs:cluster-name") return t.value;
  return "";
}

}  // namespace ec2internal

using namespace ec2internal;

namespace {

// us-east-1 Linux prices (USD/hour) of the large size; each size up doubles vCPUs, memory and
// price. The spot price is a fixed fraction of on-demand per family.
struct Family {
  const char* name;
  int64_t large_mib;
  double large_price;
  double spot_fraction;
  int sizes;  // large, xlarge, 2xlarge, 4xlarge
};
constexpr Family kFamilies[] = {
    {"t3", 8192, 0.0832, 0.30, 3}, {"m5", 8192, 0.096, 0.40, 4},   {"m6i", 8192, 0.096, 0.38, 4},
    {"m5a", 8192, 0.086, 0.42, 4}, {"c5", 4096, 0.085, 0.36, 4},   {"c6i", 4096, 0.085, 0.37, 4},
    {"r5", 16384, 0.126, 0.30, 4}, {"r6i", 16384, 0.126, 0.32, 4},
};
constexpr const char* kSizes[] = {"large", "xlarge", "2xlarge", "4xlarge"};

std::vector<aws::InstanceTypeInfo> BuildCatalogue() {
  std::vector<aws::InstanceTypeInfo> out;
  for (const auto& f : kFamilies) {
    for (int s = 0; s < f.sizes; ++s) {
      int mult = 1 << s;
      aws::InstanceTypeInfo t;
      t.instance_type = std::string(f.name) + "." + kSizes[s];
      t.default_vcpus = 2 * mult;
      t.size_in_mib = f.large_mib * mult;
      t.on_demand_price = f.large_price * mult;
      t.spot_price = std::round(f.large_price * mult * f.spot_fraction * 10000) / 10000;
      out.push_back(t);
    }
  }
  return out;
}

const std::vector<aws::InstanceTypeInfo>& Catalogue() {
  static const std::vector<aws::InstanceTypeInfo> catalogue = BuildCatalogue();
  return catalogue;
}

}  // namespace

Ec2Model::Ec2Model(RegionContext& ctx, EventsModel* events, Ec2ModelOptions options)
    : ctx_(ctx), events_(events), options_(std::move(options)), rng_(options_.seed) {}
Ec2Model::~Ec2Model() = default;

void Ec2Model::SetLinks(EcsFleetLink* ecs, ElbFleetLink* elb) {
  std::lock_guard lock(mu_);
  ecs_ = ecs;
  elb_ = elb;
}

std::optional<aws::InstanceTypeInfo> Ec2Model::InstanceType(const std::string& instance_type) {
  for (const auto& t : Catalogue())
    if (t.instance_type == instance_type) return t;
  return std::nullopt;
}

std::string Ec2Model::InstanceArn(const std::string& id) const {
  return ctx_.Arn("ec2", "instance/" + id);
}

uint64_t Ec2Model::PutInstanceLocked(const Inst& inst) {
  json record = {{"s", "ec2"}, {"op", "put"}, {"i", InstToJson(inst)}, {"n", launched_}};
  Status s = ApplyLocked(record);
  assert(s.ok());
  (void)s;
  return ctx_.journal().Enqueue(record.dump());
}

uint64_t Ec2Model::PutFleetLocked(const Fleet& fleet) {
  json record = {{"s", "ec2"}, {"op", "fleet"}, {"f", FleetToJson(fleet)}};
  Status s = ApplyLocked(record);
  assert(s.ok());
  (void)s;
  return ctx_.journal().Enqueue(record.dump());
}

Status Ec2Model::Replay(const json& record) {
  std::lock_guard lock(mu_);
  return ApplyLocked(record);
}

Status Ec2Model::ApplyLocked(const json& r) {
  try {
    const std::string op = r.at("op");
    if (op == "put") {
      auto inst = std::make_unique<Inst>(InstFromJson(r.at("i")));
      launched_ = std::max<uint64_t>(launched_, r.at("n").get<uint64_t>());
      std::string id = inst->id;
      instances_[id] = std::move(inst);
      return Status::Ok();
    }
    if (op == "del") {
      instances_.erase(r.at("id").get<std::string>());
      return Status::Ok();
    }
    if (op == "fleet") {
      auto f = std::make_unique<Fleet>(FleetFromJson(r.at("f")));
      std::string id = f->id;
      fleets_[id] = std::move(f);
      return Status::Ok();
    }
    return DataLossError("ec2 journal: unknown op " + op);
  } catch (const json::exception& e) {
    return DataLossError(std::string("ec2 journal: bad record: ") + e.what());
  }
}

json Ec2Model::Snapshot() const {
  json records = json::array();
  for (const auto& [id, inst] : instances_)
    records.push_back({{"s", "ec2"}, {"op", "put"}, {"i", InstToJson(*inst)}, {"n", launched_}});
  for (const auto& [id, f] : fleets_)
    records.push_back({{"s", "ec2"}, {"op", "fleet"}, {"f", FleetToJson(*f)}});
  return records;
}

Status Ec2Model::Restore(const json& snapshot) {
  std::lock_guard lock(mu_);
  instances_.clear();
  fleets_.clear();
  for (const json& r : snapshot) RETURN_IF_ERROR(ApplyLocked(r));
  return Status::Ok();
}

Ec2Model::Inst Ec2Model::NewInstanceLocked(const Ec2LaunchSpec& spec, Time now) {
  Inst i;
  uint64_t n = ++launched_;
  i.id = "i-" + ctx_.NewHex(17);
  i.type = spec.instance_type;
  i.az = spec.availability_zone.empty()
             ? options_.availability_zones[(n - 1) % options_.availability_zones.size()]
             : spec.availability_zone;
  i.ip = "10.0." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 4);
  i.spot = spec.spot;
  if (spec.spot) i.sir = "sir-" + ctx_.NewHex(8);
  i.user_data = spec.user_data;
  i.tags = spec.tags;
  i.launch = i.since = now;
  i.boot_at = now + options_.boot_delay;
  return i;
}

void Ec2Model::TransitionLocked(Inst& inst, const std::string& state, Time at, Effects& fx) {
  inst.state = state;
  inst.since = at;
  fx.events.push_back({{"source", "aws.ec2"},
                       {"detail-type", "EC2 Instance State-change Notification"},
                       {"time", FormatRfc3339Nanos(at)},
                       {"resources", {InstanceArn(inst.id)}},
                       {"detail", {{"instance-id", inst.id}, {"state", state}}}});
}

void Ec2Model::BeginTerminateLocked(Inst& inst, const std::string& reason, Time at, Effects& fx) {
  inst.reason = reason;
  inst.terminate_at.reset();
  inst.warn_at.reset();
  inst.terminated_at = at + options_.shutdown_delay;
  TransitionLocked(inst, "shutting-down", at, fx);
  fx.down.push_back(inst.id);
}

Result<std::vector<std::string>> Ec2Model::RunInstances(const Ec2LaunchSpec& spec, int count) {
  if (!InstanceType(spec.instance_type))
    return ServiceError("RunInstances", "InvalidParameterValue",
                        "Invalid value '" + spec.instance_type + "' for InstanceType.");
  if (count < 1) return ServiceError("RunInstances", "InvalidParameterValue", "Bad MinCount.");
  Effects fx;
  uint64_t seq = 0;
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    Time now = ctx_.clock.Now();
    std::string reservation = "r-" + ctx_.NewHex(17);
    for (int k = 0; k < count; ++k) {
      Inst i = NewInstanceLocked(spec, now);
      i.reservation = reservation;
      TransitionLocked(i, "pending", now, fx);
      ids.push_back(i.id);
      seq = PutInstanceLocked(i);
    }
  }
  Run(fx, seq);
  return ids;
}

void Ec2Model::Run(Effects& fx, uint64_t seq) {
  if (seq) {
    // The change is applied; only its durability failed (the journal reports the cause).
    if (Status s = ctx_.journal().Commit(seq); !s.ok())
      LogError("ec2: journal commit failed", {{"error", s.ToString()}});
  }
  EcsFleetLink* ecs;
  ElbFleetLink* elb;
  {
    std::lock_guard lock(mu_);
    ecs = ecs_;
    elb = elb_;
  }
  if (events_)
    for (const auto& e : fx.events) (void)events_->Emit(e);
  for (const auto& id : fx.down) {
    if (ecs) ecs->InstanceTerminated(id);
    if (elb) elb->InstanceDown(id);
  }
  if (ecs)
    for (const auto& b : fx.booted) ecs->InstanceBooted(b);
}

aws::Ec2Instance Ec2Model::ToApi(const Inst& i) const {
  aws::Ec2Instance out;
  out.instance_id = i.id;
  out.instance_type = i.type;
  out.state = {StateCode(i.state), i.state};
  if (i.state != "terminated") out.private_ip_address = i.ip;
  out.availability_zone = i.az;
  out.instance_lifecycle = i.spot ? "spot" : "";
  out.spot_instance_request_id = i.sir;
  out.launch_time = i.launch;
  out.state_transition_reason = i.reason;
  out.tags = i.tags;
  out.user_data = i.user_data;
  return out;
}

Result<std::vector<aws::Reservation>> Ec2Model::DescribeInstances(
    const aws::DescribeInstancesRequest& request) {
  std::lock_guard lock(mu_);
  for (const auto& id : request.instance_ids)
    if (!instances_.count(id))
      return ServiceError("DescribeInstances", "InvalidInstanceID.NotFound",
                          "The instance ID '" + id + "' does not exist");
  auto matches = [&](const Inst& i) {
    if (!request.instance_ids.empty() &&
        std::find(request.instance_ids.begin(), request.instance_ids.end(), i.id) ==
            request.instance_ids.end())
      return false;
    for (const auto& f : request.filters) {
      auto any = [&](const std::string& v) {
        return std::find(f.values.begin(), f.values.end(), v) != f.values.end();
      };
      bool ok = false;
      if (f.name == "instance-id")
        ok = any(i.id);
      else if (f.name == "instance-state-name")
        ok = any(i.state);
      else if (f.name == "instance-type")
        ok = any(i.type);
      else if (f.name == "availability-zone")
        ok = any(i.az);
      else if (f.name == "instance-lifecycle")
        ok = any(i.spot ? "spot" : "scheduled") && i.spot;
      else if (f.name == "private-ip-address")
        ok = any(i.ip);
      else if (f.name == "tag-key") {
        for (const auto& t : i.tags) ok = ok || any(t.key);
      } else if (f.name.rfind("tag:", 0) == 0) {
        for (const auto& t : i.tags) ok = ok || (t.key == f.name.substr(4) && any(t.value));
      } else {
        ok = true;  // filters the model does not know match everything
      }
      if (!ok) return false;
    }
    return true;
  };
  std::vector<aws::Reservation> out;
  std::map<std::string, size_t> by_reservation;
  for (const auto& [id, inst] : instances_) {
    if (!matches(*inst)) continue;
    auto [it, fresh] = by_reservation.emplace(inst->reservation, out.size());
    if (fresh) out.push_back({inst->reservation, ctx_.account_id, {}});
    out[it->second].instances.push_back(ToApi(*inst));
  }
  return out;
}

Result<std::vector<aws::InstanceStateChange>> Ec2Model::TerminateInstances(
    const std::vector<std::string>& instance_ids) {
  Effects fx;
  uint64_t seq = 0;
  std::vector<aws::InstanceStateChange> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& id : instance_ids)
      if (!instances_.count(id))
        return ServiceError("TerminateInstances", "InvalidInstanceID.NotFound",
                            "The instance ID '" + id + "' does not exist");
    Time now = ctx_.clock.Now();
    for (const auto& id : instance_ids) {
      Inst i = *instances_[id];
      aws::InstanceStateChange c{id, {}, {StateCode(i.state), i.state}};
      if (Active(i)) {
        BeginTerminateLocked(i, "User initiated (" + FormatIso8601(now) + ")", now, fx);
        seq = PutInstanceLocked(i);
      }
      c.current_state = {StateCode(i.state), i.state};
      out.push_back(c);
    }
  }
  Run(fx, seq);
  return out;
}

Result<std::vector<aws::InstanceTypeInfo>> Ec2Model::DescribeInstanceTypes(
    const std::vector<std::string>& instance_types) {
  if (instance_types.empty()) return Catalogue();
  std::vector<aws::InstanceTypeInfo> out;
  for (const auto& name : instance_types) {
    auto t = InstanceType(name);
    if (!t)
      return ServiceError("DescribeInstanceTypes", "InvalidInstanceType",
                          "The following supplied instance types do not exist: [" + name + "]");
    out.push_back(*t);
  }
  return out;
}

std::string Ec2Model::InstanceStateName(const std::string& instance_id) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(instance_id);
  return it == instances_.end() ? "" : it->second->state;
}

std::vector<std::string> Ec2Model::InstanceStateNames(const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  std::lock_guard lock(mu_);
  for (const auto& id : ids) {
    auto it = instances_.find(id);
    out.push_back(it == instances_.end() ? "" : it->second->state);
  }
  return out;
}

std::optional<FleetInstance> Ec2Model::Instance(const std::string& instance_id) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) return std::nullopt;
  return ToFleet(*it->second);
}

FleetInstance ec2internal::ToFleet(const Ec2Model::Inst& i) {
  auto type = Ec2Model::InstanceType(i.type);
  FleetInstance f;
  f.instance_id = i.id;
  f.instance_type = i.type;
  f.availability_zone = i.az;
  f.private_ip = i.ip;
  f.spot = i.spot;
  f.vcpus = type ? type->default_vcpus : 0;
  f.memory_mib = type ? type->size_in_mib : 0;
  f.cluster = ClusterOf(i);
  return f;
}

}  // namespace steady::region
