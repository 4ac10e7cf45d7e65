// Ec2Model's time: Tick (boot, interruption timeline, shutdown, purge), spot interruptions and
// Spot Fleet requests.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "base/time_format.h"
#include "region/ec2_model.h"
#include "region/ec2_model_internal.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;
using namespace ec2internal;

namespace {
constexpr auto kInterruptionNotice = std::chrono::minutes(2);
}  // namespace

void Ec2Model::WarnLocked(Inst& inst, Time at, Effects& fx) {
  inst.warned = true;
  inst.warn_at.reset();
  inst.terminate_at = at + kInterruptionNotice;
  fx.events.push_back({{"source", "aws.ec2"},
                       {"detail-type", "EC2 Spot Instance Interruption Warning"},
                       {"time", FormatRfc3339Nanos(at)},
                       {"resources", {InstanceArn(inst.id)}},
                       {"detail", {{"instance-id", inst.id}, {"instance-action", "terminate"}}}});
}

Status Ec2Model::Interrupt(const std::vector<std::string>& instance_ids, bool rebalance_first) {
  Effects fx;
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& id : instance_ids) {
      auto it = instances_.find(id);
      if (it == instances_.end() || !it->second->spot || !Active(*it->second))
        return ServiceError("Interrupt", "InvalidParameterValue",
                            "Instance " + id + " is not a pending or running spot instance.");
    }
    Time now = ctx_.clock.Now();
    for (const auto& id : instance_ids) {
      Inst i = *instances_[id];
      if (i.warned || i.warn_at) continue;  // already being interrupted
      if (rebalance_first) {
        fx.events.push_back({{"source", "aws.ec2"},
                             {"detail-type", "EC2 Instance Rebalance Recommendation"},
                             {"time", FormatRfc3339Nanos(now)},
                             {"resources", {InstanceArn(i.id)}},
                             {"detail", {{"instance-id", i.id}}}});
        i.warn_at = now + options_.rebalance_lead;
      } else {
        WarnLocked(i, now, fx);
      }
      seq = PutInstanceLocked(i);
    }
  }
  Run(fx, seq);
  return Status::Ok();
}

void Ec2Model::RandomInterruptionsLocked(Time now, Effects& fx, uint64_t& seq) {
  if (options_.spot_interruptions_per_hour <= 0 || !last_tick_ || now <= *last_tick_) return;
  double hours = std::chrono::duration<double>(now - *last_tick_).count() / 3600.0;
  double p = 1.0 - std::exp(-options_.spot_interruptions_per_hour * hours);
  for (auto& [id, ip] : instances_) {
    if (!ip->spot || ip->state != "running" || ip->warned || ip->warn_at) continue;
    Inst i = *ip;
    if (rng_.UniformDouble() >= p) continue;
    if (rng_.UniformDouble() < options_.rebalance_probability) {
      fx.events.push_back({{"source", "aws.ec2"},
                           {"detail-type", "EC2 Instance Rebalance Recommendation"},
                           {"time", FormatRfc3339Nanos(now)},
                           {"resources", {InstanceArn(i.id)}},
                           {"detail", {{"instance-id", i.id}}}});
      i.warn_at = now + options_.rebalance_lead;
    } else {
      WarnLocked(i, now, fx);
    }
    seq = PutInstanceLocked(i);
  }
}

void Ec2Model::Tick() {
  Effects fx;
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    Time now = ctx_.clock.Now();
    std::vector<std::string> purge;
    for (auto& [id, ip] : instances_) {
      // Most instances have nothing due: look before copying.
      const Inst& cur = *ip;
      bool due = (cur.state == "pending" && cur.boot_at <= now) ||
                 (Active(cur) && ((cur.warn_at && *cur.warn_at <= now) ||
                                  (cur.terminate_at && *cur.terminate_at <= now))) ||
                 (cur.state == "shutting-down" && cur.terminated_at && *cur.terminated_at <= now) ||
                 (cur.state == "terminated" && cur.since + options_.terminated_visible <= now);
      if (!due) continue;
      Inst i = *ip;
      bool changed = false;
      if (i.state == "pending" && i.boot_at <= now) {
        TransitionLocked(i, "running", i.boot_at, fx);
        fx.booted.push_back(ToFleet(i));
        changed = true;
      }
      if (Active(i) && i.warn_at && *i.warn_at <= now) {
        WarnLocked(i, *i.warn_at, fx);
        changed = true;
      }
      if (Active(i) && i.terminate_at && *i.terminate_at <= now) {
        BeginTerminateLocked(i, "Server.SpotInstanceTermination: Spot instance termination",
                             *i.terminate_at, fx);
        changed = true;
      }
      if (i.state == "shutting-down" && i.terminated_at && *i.terminated_at <= now) {
        Time at = *i.terminated_at;
        i.terminated_at.reset();
        TransitionLocked(i, "terminated", at, fx);
        changed = true;
      }
      if (i.state == "terminated" && i.since + options_.terminated_visible <= now) {
        purge.push_back(id);
        continue;
      }
      if (changed) seq = PutInstanceLocked(i);
    }
    for (const auto& id : purge) {
      json record = {{"s", "ec2"}, {"op", "del"}, {"id", id}};
      (void)ApplyLocked(record);
      seq = ctx_.journal().Enqueue(record.dump());
    }
    RandomInterruptionsLocked(now, fx, seq);
    TickFleetsLocked(now, fx, seq);
    last_tick_ = now;
  }
  Run(fx, seq);
}

void Ec2Model::TickFleetsLocked(Time now, Effects& fx, uint64_t& seq) {
  for (auto& [fid, fp] : fleets_) {
    Fleet f = *fp;
    std::vector<Inst*> members;
    double fulfilled = 0;
    for (auto& [id, ip] : instances_) {
      if (ip->fleet != fid || !Active(*ip)) continue;
      members.push_back(ip.get());
      fulfilled += ip->weight;
    }
    if (f.state == "cancelled_terminating") {
      if (members.empty()) {
        f.state = "cancelled";
        seq = PutFleetLocked(f);
      }
      continue;
    }
    if (f.state != "active") continue;
    const double target = f.config.target_capacity;
    bool replace = f.config.type == "maintain" || f.activity != "fulfilled";
    // Launch the cheapest capacity (spot price per unit of weight) until the target is met.
    while (replace && fulfilled < target) {
      const aws::SpotFleetLaunchSpecification* best = nullptr;
      double best_cost = 0;
      for (const auto& spec : f.config.launch_specifications) {
        auto type = InstanceType(spec.instance_type);
        if (!type) continue;
        double cost = type->spot_price / spec.weighted_capacity.value_or(1);
        if (!best || cost < best_cost) best = &spec, best_cost = cost;
      }
      if (!best) break;
      Inst i = NewInstanceLocked(
          {best->instance_type, best->availability_zone, true, best->user_data, best->tags}, now);
      i.reservation = "r-" + ctx_.NewHex(17);
      i.fleet = fid;
      i.weight = best->weighted_capacity.value_or(1);
      i.tags.push_back({"aws:ec2spot:fleet-request-id", fid});
      TransitionLocked(i, "pending", now, fx);
      fulfilled += i.weight;
      seq = PutInstanceLocked(i);
    }
    // Excess capacity (the target was lowered): terminate the newest instances.
    std::sort(members.begin(), members.end(),
              [](const Inst* a, const Inst* b) { return a->launch > b->launch; });
    for (Inst* m : members) {
      if (f.config.excess_capacity_termination_policy == "noTermination") break;
      if (fulfilled - m->weight < target) break;
      Inst i = *m;
      fulfilled -= i.weight;
      BeginTerminateLocked(i, "Spot Fleet excess capacity", now, fx);
      seq = PutInstanceLocked(i);
    }
    std::string activity = fulfilled >= target ? "fulfilled" : "pending_fulfillment";
    if (activity != f.activity) {
      f.activity = activity;
      seq = PutFleetLocked(f);
    }
  }
}

Result<std::string> Ec2Model::RequestSpotFleet(const aws::SpotFleetRequestConfigData& config) {
  const char* op = "RequestSpotFleet";
  if (config.target_capacity < 0)
    return ServiceError(op, "InvalidSpotFleetRequestConfig", "TargetCapacity must be >= 0.");
  if (config.launch_specifications.empty())
    return ServiceError(op, "InvalidSpotFleetRequestConfig",
                        "At least one launch specification is required.");
  if (config.type != "maintain" && config.type != "request")
    return ServiceError(op, "InvalidParameterValue", "Type must be maintain or request.");
  for (const auto& s : config.launch_specifications) {
    if (!InstanceType(s.instance_type))
      return ServiceError(op, "InvalidParameterValue",
                          "Invalid value '" + s.instance_type + "' for InstanceType.");
    if (s.weighted_capacity && *s.weighted_capacity <= 0)
      return ServiceError(op, "InvalidSpotFleetRequestConfig",
                          "WeightedCapacity must be greater than 0.");
  }
  Fleet f;
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    f.id = "sfr-" + ctx_.NewId();
    f.created = ctx_.clock.Now();
    f.config = config;
    seq = PutFleetLocked(f);
  }
  RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return f.id;
}

Result<std::vector<aws::SpotFleetRequestConfig>> Ec2Model::DescribeSpotFleetRequests(
    const std::vector<std::string>& ids) {
  std::lock_guard lock(mu_);
  std::vector<const Fleet*> picked;
  if (ids.empty()) {
    for (const auto& [id, f] : fleets_) picked.push_back(f.get());
  } else {
    for (const auto& id : ids) {
      auto it = fleets_.find(id);
      if (it == fleets_.end())
        return ServiceError("DescribeSpotFleetRequests", "InvalidSpotFleetRequestId.NotFound",
                            "The spot fleet request ID '" + id + "' does not exist");
      picked.push_back(it->second.get());
    }
  }
  std::vector<aws::SpotFleetRequestConfig> out;
  for (const Fleet* f : picked) {
    aws::SpotFleetRequestConfig c;
    c.spot_fleet_request_id = f->id;
    c.spot_fleet_request_state = f->state;
    c.activity_status = f->activity;
    c.create_time = f->created;
    c.config = f->config;
    for (const auto& [id, ip] : instances_)
      if (ip->fleet == f->id && Active(*ip)) c.fulfilled_capacity += ip->weight;
    out.push_back(std::move(c));
  }
  return out;
}

Status Ec2Model::ModifySpotFleetRequest(const std::string& id, int target_capacity,
                                        const std::string& excess_capacity_termination_policy) {
  const char* op = "ModifySpotFleetRequest";
  if (target_capacity < 0)
    return ServiceError(op, "InvalidParameterValue", "TargetCapacity must be >= 0.");
  const std::string& excess = excess_capacity_termination_policy;
  if (!excess.empty() && excess != "default" && excess != "noTermination")
    return ServiceError(op, "InvalidParameterValue",
                        "ExcessCapacityTerminationPolicy must be default or noTermination.");
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    auto it = fleets_.find(id);
    if (it == fleets_.end())
      return ServiceError(op, "InvalidSpotFleetRequestId.NotFound",
                          "The spot fleet request ID '" + id + "' does not exist");
    if (it->second->state != "active")
      return ServiceError(op, "InvalidSpotFleetRequestId.Malformed",
                          "Spot fleet request " + id + " is not active.");
    Fleet f = *it->second;
    f.config.target_capacity = target_capacity;
    if (!excess.empty()) f.config.excess_capacity_termination_policy = excess;
    f.activity = "pending_fulfillment";
    seq = PutFleetLocked(f);
  }
  // The change takes effect on the next Tick, as AWS's "modifying" state does.
  return ctx_.journal().Commit(seq);
}

Result<std::vector<aws::ActiveInstance>> Ec2Model::DescribeSpotFleetInstances(
    const std::string& id) {
  std::lock_guard lock(mu_);
  if (!fleets_.count(id))
    return ServiceError("DescribeSpotFleetInstances", "InvalidSpotFleetRequestId.NotFound",
                        "The spot fleet request ID '" + id + "' does not exist");
  std::vector<aws::ActiveInstance> out;
  for (const auto& [iid, ip] : instances_)
    if (ip->fleet == id && Active(*ip)) out.push_back({iid, ip->type, ip->sir, "healthy"});
  return out;
}

Result<std::vector<aws::CancelledSpotFleetRequest>> Ec2Model::CancelSpotFleetRequests(
    const std::vector<std::string>& ids, bool terminate_instances) {
  Effects fx;
  uint64_t seq = 0;
  std::vector<aws::CancelledSpotFleetRequest> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& id : ids)
      if (!fleets_.count(id))
        return ServiceError("CancelSpotFleetRequests", "InvalidSpotFleetRequestId.NotFound",
                            "The spot fleet request ID '" + id + "' does not exist");
    Time now = ctx_.clock.Now();
    for (const auto& id : ids) {
      Fleet f = *fleets_[id];
      std::string previous = f.state;
      if (previous == "active") {
        f.state = terminate_instances ? "cancelled_terminating" : "cancelled_running";
        seq = PutFleetLocked(f);
        if (terminate_instances) {
          for (auto& [iid, ip] : instances_) {
            if (ip->fleet != id || !Active(*ip)) continue;
            Inst i = *ip;
            BeginTerminateLocked(i, "Spot Fleet request cancelled", now, fx);
            seq = PutInstanceLocked(i);
          }
        }
      }
      out.push_back({id, f.state, previous});
    }
  }
  Run(fx, seq);
  return out;
}

}  // namespace steady::region
