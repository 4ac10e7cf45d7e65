#include "autoscaler/policy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

namespace steady::autoscaler {
namespace {

constexpr Purchase kPurchases[] = {Purchase::kOnDemand, Purchase::kSpot};

int Index(Purchase p) { return p == Purchase::kSpot ? 1 : 0; }

bool Fits(const Resources& task, const Resources& room) {
  return task.cpu <= room.cpu && task.memory <= room.memory;
}

void Take(Resources& room, const Resources& task) {
  room.cpu -= task.cpu;
  room.memory -= task.memory;
}

double Percent(int64_t used, int64_t total) {
  return total > 0 ? 100.0 * static_cast<double>(used) / static_cast<double>(total) : 0.0;
}

std::string Format(const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string Seconds(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

// How far `od` on-demand instances of `total` are from the share, in instances (both options
// compare at the same total, so this ranks as the share itself would without dividing).
double ShareError(int od, int total, double share) { return std::abs(od - share * total); }

// True if on-demand with `od_error` is strictly closer than spot with `spot_error`; ties (within
// rounding) go to spot.
bool OnDemandCloser(double od_error, double spot_error) { return od_error < spot_error - 1e-9; }

// The purchase option of the next instance to add so that the on-demand share stays closest to
// `share` (ties go to spot).
Purchase NextToAdd(int od, int spot, double share) {
  const int total = od + spot + 1;
  return OnDemandCloser(ShareError(od + 1, total, share), ShareError(od, total, share))
             ? Purchase::kOnDemand
             : Purchase::kSpot;
}

// The purchase option of the next instance to remove, same rule.
Purchase NextToRemove(int od, int spot, double share) {
  if (od <= 0) return Purchase::kSpot;
  if (spot <= 0) return Purchase::kOnDemand;
  const int total = od + spot - 1;
  return OnDemandCloser(ShareError(od - 1, total, share), ShareError(od, total, share))
             ? Purchase::kOnDemand
             : Purchase::kSpot;
}

// What one group can do in this decision.
struct GroupState {
  const GroupConfig* config = nullptr;
  const InstanceType* first = nullptr;  // null: the group lists no instance type
  int weight = 1;                       // capacity units of one instance of `first`
  int desired = 0;                      // as observed
  int base = 0;                         // desired raised to min
  int pending_launch = 0;               // instances desired but not in the view yet
  int room = 0;                         // instances it may still add in this decision
  int add = 0;                          // instances this decision adds
  int scaling_in_units = 0;             // units of this policy's victims still in the view
};

// Registered (ACTIVE) and reserved resources of one purchase option, plus what is booting.
struct Usage {
  Resources registered;
  Resources reserved;
  Resources booting;  // booting instances and launches the groups are about to make
  int instances = 0;  // ACTIVE instances, booting ones and pending launches (for the share)
  bool high = false;
  bool low = false;
};

struct PackBin {
  Resources room;
};

}  // namespace

Policy::Policy(ClusterPolicy config) : config_(std::move(config)) {}

Decision Policy::Evaluate(const ClusterView& view, int scaling_in) {
  Decision d;
  const Time now = view.at;
  const ClusterPolicy& c = config_;

  // ---- Groups.
  std::map<std::string, GroupState> groups;
  for (const GroupConfig& g : c.groups) {
    GroupState& s = groups[g.name];
    s.config = &g;
    if (!g.instance_types.empty()) {
      s.first = &g.instance_types.front();
      s.weight = std::max(1, s.first->weight);
    }
  }
  auto type_of = [&](const GroupState& g, const std::string& name) -> const InstanceType* {
    for (const InstanceType& t : g.config->instance_types) {
      if (t.name == name) return &t;
    }
    return g.first;
  };
  std::map<std::string, int> units;  // group → capacity units of its instances in the view
  std::set<std::string> in_view;
  for (const InstanceView& i : view.instances) {
    in_view.insert(i.instance_id);
    auto it = groups.find(i.group);
    if (it == groups.end()) continue;
    const InstanceType* t = type_of(it->second, i.instance_type);
    units[i.group] += t ? std::max(1, t->weight) : 1;
    if (victims_.contains(i.instance_id)) {
      it->second.scaling_in_units += t ? std::max(1, t->weight) : 1;
    }
  }
  std::erase_if(victims_, [&](const std::string& id) { return !in_view.contains(id); });
  for (auto& [name, s] : groups) {
    s.desired = units[name];  // a group missing from the view: what it runs
    for (const GroupView& gv : view.groups) {
      if (gv.name == name) s.desired = gv.desired;
    }
    s.base = std::max(s.desired, s.config->min);
    s.pending_launch = std::max(0, s.base - units[name]) / s.weight;
    if (s.first != nullptr) {
      s.room = std::clamp((s.config->max - s.base) / s.weight, 0, std::max(0, c.max_step));
    }
  }

  // ---- Reservation per purchase option.
  Usage usage[2];
  int draining = 0;
  for (const InstanceView& i : view.instances) {
    auto it = groups.find(i.group);
    if (it == groups.end()) continue;
    if (!i.active) {
      ++draining;
      continue;
    }
    Usage& u = usage[Index(i.purchase)];
    ++u.instances;
    if (i.registered) {
      u.registered.cpu += i.registered_resources.cpu;
      u.registered.memory += i.registered_resources.memory;
      u.reserved.cpu += i.registered_resources.cpu - i.remaining.cpu;
      u.reserved.memory += i.registered_resources.memory - i.remaining.memory;
    } else if (const InstanceType* t = type_of(it->second, i.instance_type)) {
      u.booting.cpu += t->capacity.cpu;
      u.booting.memory += t->capacity.memory;
    }
  }
  for (const auto& [name, s] : groups) {
    if (s.first == nullptr || s.pending_launch == 0) continue;
    Usage& u = usage[Index(s.config->purchase)];
    u.instances += s.pending_launch;
    u.booting.cpu += s.pending_launch * s.first->capacity.cpu;
    u.booting.memory += s.pending_launch * s.first->capacity.memory;
  }

  // Fill order per purchase option: the group with the most room first (then by name).
  std::vector<GroupState*> order[2];
  for (auto& [name, s] : groups) {
    if (s.first != nullptr) order[Index(s.config->purchase)].push_back(&s);
  }
  for (auto& o : order) {
    std::stable_sort(o.begin(), o.end(),
                     [](const GroupState* a, const GroupState* b) { return a->room > b->room; });
  }
  // The group of option p that takes the next instance, given `taken` already planned per group.
  auto next_group = [&](Purchase p, const std::map<const GroupState*, int>& taken) -> GroupState* {
    for (GroupState* g : order[Index(p)]) {
      auto it = taken.find(g);
      if ((it == taken.end() ? 0 : it->second) < g->room) return g;
    }
    return nullptr;
  };

  int reservation_step[2] = {0, 0};
  for (Purchase p : kPurchases) {
    Usage& u = usage[Index(p)];
    const double out =
        p == Purchase::kSpot ? c.spot_scale_out_reservation : c.scale_out_reservation;
    const double in = p == Purchase::kSpot ? c.spot_scale_in_reservation : c.scale_in_reservation;
    if (u.registered.cpu <= 0 || u.registered.memory <= 0) {
      low_since_.erase(p);
      continue;
    }
    if (view.metric_reservation) {  // CloudWatch's figures, cluster-wide
      u.reserved.cpu = static_cast<int64_t>(view.metric_reservation->cpu / 100 * u.registered.cpu);
      u.reserved.memory =
          static_cast<int64_t>(view.metric_reservation->memory / 100 * u.registered.memory);
    }
    const double cpu = Percent(u.reserved.cpu, u.registered.cpu);
    const double mem = Percent(u.reserved.memory, u.registered.memory);
    u.high = cpu > out || mem > out;
    u.low = cpu < in && mem < in;
    if (u.high) {
      // Instances of the first type so that reserved / (registered + booting + k·capacity)
      // falls to the threshold.
      int k = 0;
      std::string sized = ", no group can grow";
      if (GroupState* g = next_group(p, {})) {
        auto need = [&](int64_t reserved, int64_t registered, int64_t booting, int64_t cap) {
          if (cap <= 0) return 0;
          const double missing = reserved * 100.0 / out - registered - booting;
          return std::max(0, static_cast<int>(std::ceil(missing / cap - 1e-9)));
        };
        k = std::max(need(u.reserved.cpu, u.registered.cpu, u.booting.cpu, g->first->capacity.cpu),
                     need(u.reserved.memory, u.registered.memory, u.booting.memory,
                          g->first->capacity.memory));
        sized = k > 0 ? Format(", needs %d × %s", k, g->first->name.c_str())
                      : std::string(", covered by booting capacity");
      }
      reservation_step[Index(p)] = k;
      d.signals.push_back({"reservation", Format("%s cpu %.1f%% memory %.1f%% > %.0f%%%s",
                                                 PurchaseName(p), cpu, mem, out, sized.c_str())});
    }
    if (u.low) {
      low_since_.emplace(p, now);  // keeps the first time it was seen low
      d.signals.push_back(
          {"low_reservation", Format("%s cpu %.1f%% memory %.1f%% < %.0f%% for %s", PurchaseName(p),
                                     cpu, mem, in, Seconds(now - low_since_[p]).c_str())});
    } else {
      low_since_.erase(p);
    }
  }

  // ---- Waiting work: stalled services (after the grace) and capacity requests.
  struct Work {
    Resources task;
    const CapacityRequest* request = nullptr;
    bool served = false;                 // a request an earlier decision provisioned for
    bool in_booting = false;             // packed into booting room
    const GroupState* new_in = nullptr;  // packed onto a new instance of this group
  };
  std::vector<Work> work;
  bool services_missing = false;
  std::set<std::string> stalled_now;
  for (const ServiceView& s : view.services) {
    const int missing = s.desired - s.running - s.pending;
    if (missing <= 0) continue;
    services_missing = true;
    stalled_now.insert(s.name);
    const Time since = stalled_since_.emplace(s.name, now).first->second;
    const bool past_grace = now - since > c.stalled_grace;
    d.signals.push_back({"stalled_service", Format("%s: %d of %d missing for %s%s", s.name.c_str(),
                                                   missing, s.desired, Seconds(now - since).c_str(),
                                                   past_grace ? "" : " (within grace)")});
    if (past_grace) work.insert(work.end(), missing, Work{.task = s.task});
  }
  std::erase_if(stalled_since_, [&](const auto& e) { return !stalled_now.contains(e.first); });
  if (!view.capacity_requests.empty()) {
    Resources total;
    std::set<std::string> ids;
    for (const CapacityRequest& r : view.capacity_requests) {
      ids.insert(r.task_id);
      auto it = served_.find(r.task_id);
      work.push_back({.task = r.task,
                      .request = &r,
                      .served = it != served_.end() && it->second == r.received});
      total.cpu += r.task.cpu;
      total.memory += r.task.memory;
    }
    d.signals.push_back(
        {"capacity_request",
         Format("%zu waiting (cpu %lld, memory %lld MiB)", view.capacity_requests.size(),
                static_cast<long long>(total.cpu), static_cast<long long>(total.memory))});
    std::erase_if(served_, [&](const auto& e) { return !ids.contains(e.first); });
  } else {
    served_.clear();
  }
  d.pending_tasks = static_cast<int>(work.size());

  // ---- Packing: booting room first, then first-fit-decreasing onto new instances.
  int packed_step[2] = {0, 0};
  int unplaced = 0;
  int provisioned = 0;  // served requests beyond the booting room: their capacity registered
  if (!work.empty()) {
    // Served requests first, so that they keep the booting room launched for them.
    std::stable_sort(work.begin(), work.end(), [](const Work& a, const Work& b) {
      return std::tie(a.served, a.task.cpu, a.task.memory) >
             std::tie(b.served, b.task.cpu, b.task.memory);
    });
    std::vector<PackBin> bins;
    std::vector<const InstanceView*> booting;
    for (const InstanceView& i : view.instances) {
      if (!i.registered && i.active && groups.contains(i.group)) booting.push_back(&i);
    }
    std::sort(booting.begin(), booting.end(), [](const InstanceView* a, const InstanceView* b) {
      return a->instance_id < b->instance_id;
    });
    for (const InstanceView* i : booting) {
      if (const InstanceType* t = type_of(groups[i->group], i->instance_type)) {
        bins.push_back({t->capacity});
      }
    }
    for (const auto& [name, s] : groups) {
      if (s.first != nullptr) bins.insert(bins.end(), s.pending_launch, PackBin{s.first->capacity});
    }
    std::map<const GroupState*, int> taken;
    int count[2] = {usage[0].instances, usage[1].instances};
    for (Work& item : work) {
      const Resources& task = item.task;
      auto bin = std::find_if(bins.begin(), bins.end(),
                              [&](const PackBin& b) { return Fits(task, b.room); });
      if (bin != bins.end()) {
        Take(bin->room, task);
        item.in_booting = true;
        continue;
      }
      if (item.served) {
        // Its capacity was asked for and is no longer booting: the task was placed there, or
        // that room went to other work and hako's retry after capacity.h's hold counts anew.
        ++provisioned;
        continue;
      }
      // A new instance: of the purchase option that keeps the share, if its group's type fits.
      GroupState* pick[2];
      for (Purchase p : kPurchases) {
        GroupState* g = next_group(p, taken);
        pick[Index(p)] = g != nullptr && Fits(task, g->first->capacity) ? g : nullptr;
      }
      Purchase p = NextToAdd(count[0], count[1], c.on_demand_share);
      if (pick[Index(p)] == nullptr)
        p = p == Purchase::kSpot ? Purchase::kOnDemand : Purchase::kSpot;
      GroupState* g = pick[Index(p)];
      if (g == nullptr) {
        ++unplaced;
        continue;
      }
      ++taken[g];
      item.new_in = g;
      ++count[Index(p)];
      ++packed_step[Index(p)];
      bins.push_back({g->first->capacity});
      Take(bins.back().room, task);
    }
  }

  // ---- Scale-out: the larger step per purchase option, spread over its groups by room.
  std::vector<std::string> out_parts;
  std::vector<std::string> held_parts;
  for (Purchase p : kPurchases) {
    int n = std::max(reservation_step[Index(p)], packed_step[Index(p)]);
    for (GroupState* g : order[Index(p)]) {
      g->add = std::min(n, g->room);
      n -= g->add;
    }
  }
  bool scaled_out = false;
  for (auto& [name, g] : groups) {
    if (g.add > 0) {
      auto last = last_scale_out_.find(name);
      if (last != last_scale_out_.end() && now - last->second < c.scale_out_cooldown &&
          g.add <= last_step_[name]) {
        held_parts.push_back(
            Format("%s +%d (cooldown, last +%d)", name.c_str(), g.add, last_step_[name]));
        g.add = 0;
      }
    }
    const int target =
        std::clamp(g.base + g.add * g.weight, g.config->min, std::max(g.config->max, g.base));
    if (target != g.desired) {
      d.desired[name] = target;
      if (g.add > 0) {
        scaled_out = true;
        last_scale_out_[name] = now;
        last_step_[name] = g.add;
        out_parts.push_back(Format("%s %d→%d (+%d)", name.c_str(), g.desired, target, g.add));
      } else {
        out_parts.push_back(Format("%s %d→%d (min)", name.c_str(), g.desired, target));
      }
    }
  }
  if (!d.desired.empty()) last_cluster_change_ = now;
  for (const Work& item : work) {
    if (item.request == nullptr || item.served) continue;
    if (item.in_booting || (item.new_in != nullptr && item.new_in->add > 0)) {
      served_[item.request->task_id] = item.request->received;
    }
  }

  // ---- Scale-in.
  std::string in_blocked;
  bool any_low_long = false;
  for (Purchase p : kPurchases) {
    auto it = low_since_.find(p);
    if (it != low_since_.end() && now - it->second >= c.scale_in_after) any_low_long = true;
  }
  int remembered_draining = 0;
  for (const InstanceView& i : view.instances) {
    if (!i.active && victims_.contains(i.instance_id)) ++remembered_draining;
  }
  const int in_flight = draining + std::max(0, scaling_in - remembered_draining);
  const int budget = c.disruption_budget - in_flight;
  if (!any_low_long) {
    // nothing to do
  } else if (!d.desired.empty()) {
    in_blocked = "scale-in held: scaling out";
  } else if (services_missing || !view.capacity_requests.empty()) {
    in_blocked = "scale-in held: work is waiting";
  } else if (last_cluster_change_ && now - *last_cluster_change_ < c.scale_in_cooldown) {
    in_blocked = "scale-in held: cooldown (" + Seconds(now - *last_cluster_change_) + " of " +
                 Seconds(c.scale_in_cooldown) + ")";
  } else if (last_scale_in_ && now - *last_scale_in_ < c.scale_in_interval) {
    in_blocked = "scale-in held: interval (" + Seconds(now - *last_scale_in_) + " of " +
                 Seconds(c.scale_in_interval) + ")";
  } else if (budget <= 0) {
    in_blocked = Format("scale-in held: disruption budget (%d being scaled in)", in_flight);
  } else {
    bool eligible[2];
    for (Purchase p : kPurchases) {
      auto it = low_since_.find(p);
      eligible[Index(p)] = it != low_since_.end() && now - it->second >= c.scale_in_after;
    }
    // Candidates per option, emptiest first.
    auto reserved_of = [](const InstanceView& i) {
      return Resources{i.registered_resources.cpu - i.remaining.cpu,
                       i.registered_resources.memory - i.remaining.memory};
    };
    std::vector<const InstanceView*> candidates[2];
    // Registered ACTIVE instances that stay, with their free room and the tasks moved onto them.
    struct Host {
      const InstanceView* instance;
      Resources room;
      int moved = 0;
    };
    std::vector<Host> staying;
    for (const InstanceView& i : view.instances) {
      if (!groups.contains(i.group) || !i.registered || !i.active) continue;
      staying.push_back({&i, i.remaining, 0});
      if (eligible[Index(i.purchase)] && !i.scale_in_protected &&
          !victims_.contains(i.instance_id)) {
        candidates[Index(i.purchase)].push_back(&i);
      }
    }
    std::sort(staying.begin(), staying.end(), [](const auto& a, const auto& b) {
      return a.instance->instance_id < b.instance->instance_id;
    });
    for (auto& cs : candidates) {
      std::sort(cs.begin(), cs.end(), [&](const InstanceView* a, const InstanceView* b) {
        const Resources ra = reserved_of(*a), rb = reserved_of(*b);
        return std::make_tuple(a->running_tasks + a->pending_tasks, ra.cpu, ra.memory, b->launched,
                               a->instance_id) <
               std::make_tuple(b->running_tasks + b->pending_tasks, rb.cpu, rb.memory, a->launched,
                               b->instance_id);
      });
    }
    int count[2] = {usage[0].instances, usage[1].instances};
    std::set<std::string> chosen;
    std::set<std::string> refused;
    std::vector<std::string> refusals;
    // Tries to take `v` out; on success commits rooms and usage.
    auto try_victim = [&](const InstanceView& v) -> bool {
      GroupState& g = groups[v.group];
      const InstanceType* t = type_of(g, v.instance_type);
      const int w = t ? std::max(1, t->weight) : 1;
      if (g.base - g.scaling_in_units - w < g.config->min) {
        refusals.push_back(v.instance_id + ": " + v.group + " at min");
        return false;
      }
      // The view carries no per-task sizes: the instance's reservation is split evenly over
      // its tasks and placed first-fit on the instances that stay.
      auto rooms = staying;
      auto self =
          std::find_if(rooms.begin(), rooms.end(), [&](const Host& h) { return h.instance == &v; });
      if (self == rooms.end()) return false;  // candidates are hosts; kept for safety
      // Counts what earlier victims of this decision moved onto it.
      const Resources reserved{v.registered_resources.cpu - self->room.cpu,
                               v.registered_resources.memory - self->room.memory};
      const int tasks = v.running_tasks + v.pending_tasks + self->moved;
      rooms.erase(self);
      Usage after[2] = {usage[0], usage[1]};
      Usage& own = after[Index(v.purchase)];
      own.registered.cpu -= v.registered_resources.cpu;
      own.registered.memory -= v.registered_resources.memory;
      own.reserved.cpu -= reserved.cpu;
      own.reserved.memory -= reserved.memory;
      if (tasks > 0) {
        const Resources piece{(reserved.cpu + tasks - 1) / tasks,
                              (reserved.memory + tasks - 1) / tasks};
        for (int k = 0; k < tasks; ++k) {
          auto room = std::find_if(rooms.begin(), rooms.end(),
                                   [&](const Host& h) { return Fits(piece, h.room); });
          if (room == rooms.end()) {
            refusals.push_back(v.instance_id + ": its tasks would not fit");
            return false;
          }
          Take(room->room, piece);
          ++room->moved;
          Usage& to = after[Index(room->instance->purchase)];
          to.reserved.cpu += piece.cpu;
          to.reserved.memory += piece.memory;
        }
      }
      for (Purchase p : kPurchases) {
        const Usage& u = after[Index(p)];
        const double out =
            p == Purchase::kSpot ? c.spot_scale_out_reservation : c.scale_out_reservation;
        if (u.registered.cpu <= 0 || u.registered.memory <= 0) {
          if (u.reserved.cpu > 0 || u.reserved.memory > 0) return false;
          continue;
        }
        if (Percent(u.reserved.cpu, u.registered.cpu) >= out ||
            Percent(u.reserved.memory, u.registered.memory) >= out) {
          refusals.push_back(v.instance_id +
                             Format(": %s reservation would reach %.0f%%", PurchaseName(p), out));
          return false;
        }
      }
      staying = std::move(rooms);
      usage[0] = after[0];
      usage[1] = after[1];
      g.scaling_in_units += w;
      return true;
    };
    while (static_cast<int>(d.scale_in.size()) < budget) {
      const Purchase first = NextToRemove(count[0], count[1], c.on_demand_share);
      const Purchase second = first == Purchase::kSpot ? Purchase::kOnDemand : Purchase::kSpot;
      const InstanceView* picked = nullptr;
      for (Purchase p : {first, second}) {
        for (const InstanceView* v : candidates[Index(p)]) {
          if (chosen.contains(v->instance_id) || refused.contains(v->instance_id)) continue;
          if (try_victim(*v)) {
            picked = v;
            break;
          }
          refused.insert(v->instance_id);
        }
        if (picked != nullptr) break;
      }
      if (picked == nullptr) break;
      chosen.insert(picked->instance_id);
      --count[Index(picked->purchase)];
      d.scale_in.push_back({picked->instance_id, picked->group});
    }
    if (d.scale_in.empty()) {
      in_blocked = "scale-in: no instance can go";
      if (!refusals.empty()) in_blocked += " (" + refusals.front() + ")";
    }
  }
  if (!d.scale_in.empty()) {
    last_scale_in_ = now;
    for (const Decision::Victim& v : d.scale_in) victims_.insert(v.instance_id);
  }

  // ---- Reason.
  std::string reason;
  auto join = [](const std::vector<std::string>& parts) {
    std::string s;
    for (const std::string& p : parts) s += (s.empty() ? "" : ", ") + p;
    return s;
  };
  if (scaled_out || !d.desired.empty()) {
    reason = "scale out: " + join(out_parts);
    if (d.pending_tasks > 0) reason += Format(" for %d waiting tasks", d.pending_tasks);
  } else if (!d.scale_in.empty()) {
    std::vector<std::string> ids;
    for (const Decision::Victim& v : d.scale_in)
      ids.push_back(v.instance_id + " (" + v.group + ")");
    reason = "scale in: " + join(ids);
  } else if (!held_parts.empty()) {
    reason = "no action: " + join(held_parts);
  } else if (!in_blocked.empty()) {
    reason = "no action: " + in_blocked;
  } else if (d.pending_tasks > unplaced) {
    reason = Format("no action: %d waiting tasks fit in booting capacity",
                    d.pending_tasks - unplaced - provisioned);
    if (provisioned > 0) reason += Format(", %d already provisioned for", provisioned);
  } else if (usage[0].high || usage[1].high) {
    reason = "no action: high reservation covered by booting capacity or group max";
  } else {
    reason = "no action: reservation within thresholds";
  }
  if (unplaced > 0) {
    reason += Format("; %d tasks fit no instance type of a group with room", unplaced);
  }
  d.reason = std::move(reason);
  return d;
}

}  // namespace steady::autoscaler
