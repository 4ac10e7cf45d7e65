#include "autoscaler/autoscaler.h"

#include <algorithm>
#include <set>

#include "base/log.h"

namespace steady::autoscaler {

namespace {

constexpr char kFleetTag[] = "steady:spot-fleet";

Result<GroupConfig> GroupFromConfig(const ConfigNode& g) {
  RETURN_IF_ERROR(
      g.CheckKeys({"auto_scaling_group", "spot_fleet", "min", "max", "instance_types"}));
  GroupConfig out;
  if (g.Has("auto_scaling_group") == g.Has("spot_fleet"))
    return InvalidArgumentError(g.Where() +
                                ": a group names exactly one of auto_scaling_group, spot_fleet");
  if (g.Has("spot_fleet")) {
    out.kind = GroupConfig::Kind::kSpotFleet;
    out.purchase = Purchase::kSpot;
    ASSIGN_OR_RETURN(out.name, g.String("spot_fleet"));
  } else {
    ASSIGN_OR_RETURN(out.name, g.String("auto_scaling_group"));
  }
  ASSIGN_OR_RETURN(int64_t min, g.Int("min", 0));
  ASSIGN_OR_RETURN(int64_t max, g.Int("max"));
  if (min < 0 || max < min) return InvalidArgumentError(g.Where() + ": need 0 <= min <= max");
  out.min = static_cast<int>(min);
  out.max = static_cast<int>(max);
  ASSIGN_OR_RETURN(auto types, g.StringList("instance_types"));
  for (auto& t : types) out.instance_types.push_back({.name = t, .capacity = {}, .weight = 1});
  return out;
}

Status PercentKey(const ConfigNode& c, std::string_view key, double& v) {
  ASSIGN_OR_RETURN(v, c.Double(key, v));
  if (!(v > 0 && v <= 100))
    return InvalidArgumentError(c.Where() + ": " + std::string(key) + " must be in (0, 100]");
  return Status::Ok();
}

Result<ClusterPolicy> ClusterFromConfig(const ConfigNode& c) {
  RETURN_IF_ERROR(c.CheckKeys({"name", "groups", "on_demand_share", "scale_out_reservation",
                               "spot_scale_out_reservation", "scale_in_reservation",
                               "spot_scale_in_reservation", "scale_in_after", "stalled_grace",
                               "scale_out_cooldown", "scale_in_cooldown", "scale_in_interval",
                               "max_step", "disruption_budget"}));
  ClusterPolicy p;
  ASSIGN_OR_RETURN(p.cluster, c.String("name"));
  ASSIGN_OR_RETURN(p.on_demand_share, c.Double("on_demand_share", p.on_demand_share));
  if (!(p.on_demand_share >= 0 && p.on_demand_share <= 1))
    return InvalidArgumentError(c.Where() + ": on_demand_share must be in [0, 1]");
  RETURN_IF_ERROR(PercentKey(c, "scale_out_reservation", p.scale_out_reservation));
  RETURN_IF_ERROR(PercentKey(c, "spot_scale_out_reservation", p.spot_scale_out_reservation));
  RETURN_IF_ERROR(PercentKey(c, "scale_in_reservation", p.scale_in_reservation));
  RETURN_IF_ERROR(PercentKey(c, "spot_scale_in_reservation", p.spot_scale_in_reservation));
  if (p.scale_in_reservation >= p.scale_out_reservation ||
      p.spot_scale_in_reservation >= p.spot_scale_out_reservation)
    return InvalidArgumentError(c.Where() +
                                ": scale-in thresholds must be below the scale-out thresholds");
  ASSIGN_OR_RETURN(p.scale_in_after, c.Dur("scale_in_after", p.scale_in_after));
  ASSIGN_OR_RETURN(p.stalled_grace, c.Dur("stalled_grace", p.stalled_grace));
  ASSIGN_OR_RETURN(p.scale_out_cooldown, c.Dur("scale_out_cooldown", p.scale_out_cooldown));
  ASSIGN_OR_RETURN(p.scale_in_cooldown, c.Dur("scale_in_cooldown", p.scale_in_cooldown));
  ASSIGN_OR_RETURN(p.scale_in_interval, c.Dur("scale_in_interval", p.scale_in_interval));
  ASSIGN_OR_RETURN(int64_t step, c.Int("max_step", p.max_step));
  ASSIGN_OR_RETURN(int64_t budget, c.Int("disruption_budget", p.disruption_budget));
  if (step < 1) return InvalidArgumentError(c.Where() + ": max_step must be >= 1");
  if (budget < 0) return InvalidArgumentError(c.Where() + ": disruption_budget must be >= 0");
  p.max_step = static_cast<int>(step);
  p.disruption_budget = static_cast<int>(budget);
  ASSIGN_OR_RETURN(auto groups, c.List("groups"));
  if (groups.empty()) return InvalidArgumentError(c.Where() + ": a cluster needs groups");
  for (const ConfigNode& g : groups) {
    ASSIGN_OR_RETURN(GroupConfig gc, GroupFromConfig(g));
    p.groups.push_back(std::move(gc));
  }
  return p;
}

}  // namespace

Status AutoscalerOptionsFromConfig(const ConfigNode& sec, AutoscalerOptions& o) {
  RETURN_IF_ERROR(
      sec.CheckKeys({"clusters", "interval", "dry_run", "protect_instances", "reserved_memory",
                     "reservation_source", "capacity_queue", "dead_letter_queue", "capacity_hold",
                     "scale_in_deadline", "metrics_listen"}));
  ASSIGN_OR_RETURN(o.interval, sec.Dur("interval", o.interval));
  if (o.interval <= Duration::zero())
    return InvalidArgumentError(sec.Where() + ": interval must be positive");
  ASSIGN_OR_RETURN(o.dry_run, sec.Bool("dry_run", o.dry_run));
  ASSIGN_OR_RETURN(o.protect_instances, sec.Bool("protect_instances", o.protect_instances));
  ASSIGN_OR_RETURN(int64_t reserved, sec.Bytes("reserved_memory", o.reserved_memory_mib << 20));
  o.reserved_memory_mib = reserved >> 20;
  ASSIGN_OR_RETURN(o.reservation_source, sec.String("reservation_source", o.reservation_source));
  if (o.reservation_source != "ecs" && o.reservation_source != "cloudwatch")
    return InvalidArgumentError(sec.Where() + ": reservation_source must be ecs or cloudwatch");
  ASSIGN_OR_RETURN(o.capacity.queue_url, sec.String("capacity_queue", o.capacity.queue_url));
  ASSIGN_OR_RETURN(o.capacity.dead_letter_queue_url,
                   sec.String("dead_letter_queue", o.capacity.dead_letter_queue_url));
  ASSIGN_OR_RETURN(o.capacity.hold, sec.Dur("capacity_hold", o.capacity.hold));
  ASSIGN_OR_RETURN(o.service_out.soft_deadline,
                   sec.Dur("scale_in_deadline", o.service_out.soft_deadline));
  ASSIGN_OR_RETURN(auto clusters, sec.List("clusters"));
  if (!clusters.empty()) o.clusters.clear();
  std::set<std::string> names;
  for (const ConfigNode& c : clusters) {
    ASSIGN_OR_RETURN(ClusterPolicy p, ClusterFromConfig(c));
    if (!names.insert(p.cluster).second)
      return InvalidArgumentError(c.Where() + ": cluster " + p.cluster + " is listed twice");
    o.capacity.clusters.insert(p.cluster);
    o.clusters.push_back(std::move(p));
  }
  return Status::Ok();
}

struct Autoscaler::Cluster {
  ClusterPolicy config;
  std::unique_ptr<Observer> observer;
  std::unique_ptr<Policy> policy;
  Decision last;
  std::string last_reason;
  std::set<std::string> answered;  // capacity requests whose reaction time was measured
};

struct Autoscaler::ScaleIn {
  std::string instance_id, cluster, group;
  std::shared_ptr<serviceout::ServiceOut::Handle> handle;
  int weight = 1;  // the instance's weighted capacity in its Spot Fleet
  int terminate_attempts = 0;
};

Autoscaler::Autoscaler(AutoscalerOptions options, AutoscalerClients clients, Clock& clock,
                       MetricsRegistry& metrics)
    : options_(std::move(options)), clients_(clients), clock_(clock) {
  m_.errors =
      &metrics.AddCounter("steady_autoscaler_errors_total",
                          "Failed AWS calls of the autoscaler, by operation.", {"cluster", "op"});
  m_.signals =
      &metrics.AddCounter("steady_autoscaler_signals_total",
                          "Scaling signals seen at evaluations, by kind.", {"cluster", "kind"});
  m_.decisions =
      &metrics.AddCounter("steady_autoscaler_decisions_total",
                          "Scaling decisions, by direction (out, in).", {"cluster", "direction"});
  m_.scaled_in = &metrics.AddCounter("steady_autoscaler_scaled_in_total",
                                     "Instances scaled in, by result (terminated, reverted).",
                                     {"cluster", "result"});
  m_.fallbacks = &metrics.AddCounter(
      "steady_autoscaler_metric_fallbacks_total",
      "Evaluations that read reservation from ECS because CloudWatch had no figure.", {"cluster"});
  m_.pending = &metrics.AddGauge(
      "steady_autoscaler_pending_tasks",
      "Tasks waiting for capacity (stalled services, capacity requests) at the last evaluation.",
      {"cluster"});
  m_.desired =
      &metrics.AddGauge("steady_autoscaler_desired_capacity",
                        "Desired capacity of each group at the last evaluation.", {"group"});
  m_.scaling_in =
      &metrics.AddGauge("steady_autoscaler_scaling_in",
                        "Instances being scaled in (service-out running).", {"cluster"});
  m_.reaction = &metrics.AddHistogram(
      "steady_autoscaler_reaction_seconds",
      "From a capacity request (RunTask failed for lack of resources) received to the capacity "
      "requested for it.");
  for (const ClusterPolicy& p : options_.clusters) options_.capacity.clusters.insert(p.cluster);
  capacity_ = std::make_unique<CapacityRequests>(options_.capacity, clients_.sqs, clock, metrics);
  serviceout::InstanceLocator::Options lo;
  for (const ClusterPolicy& p : options_.clusters) lo.clusters.push_back(p.cluster);
  lo.cache_ttl = std::chrono::seconds(5);
  locator_ = std::make_unique<serviceout::InstanceLocator>(lo, clients_.ecs, clock, metrics);
  service_out_ = std::make_unique<serviceout::ServiceOut>(
      options_.service_out,
      serviceout::ServiceOutClients{clients_.ecs, clients_.elb, &clients_.autoscaling}, *locator_,
      clock, metrics);
}

Autoscaler::~Autoscaler() { Stop(); }

const std::vector<ClusterPolicy>& Autoscaler::clusters() const { return options_.clusters; }

Status Autoscaler::Resolve() {
  if (resolved_) return Status::Ok();
  if (options_.reservation_source == "cloudwatch" && !clients_.cloudwatch)
    return InvalidArgumentError(
        "autoscaler: reservation_source cloudwatch needs a CloudWatch client");
  std::optional<std::vector<aws::SpotFleetRequestConfig>> fleets;
  for (ClusterPolicy& p : options_.clusters) {
    for (GroupConfig& g : p.groups) {
      if (g.kind == GroupConfig::Kind::kAutoScalingGroup) {
        auto found = clients_.autoscaling.DescribeAutoScalingGroups({g.name});
        if (!found.ok()) return found.status().WithContext("DescribeAutoScalingGroups " + g.name);
        if (found->empty()) return NotFoundError("autoscaler: no Auto Scaling group " + g.name);
        const aws::AutoScalingGroup& asg = found->front();
        if (const auto& m = asg.mixed_instances_policy) {
          const auto& d = m->instances_distribution;
          g.purchase =
              d.on_demand_base_capacity == 0 && d.on_demand_percentage_above_base_capacity == 0
                  ? Purchase::kSpot
                  : Purchase::kOnDemand;
          if (g.instance_types.empty())
            for (const auto& t : m->overrides) g.instance_types.push_back({.name = t});
          if (g.instance_types.empty())
            g.instance_types.push_back({.name = m->launch_template.instance_type});
        } else if (g.instance_types.empty() && asg.launch_template) {
          g.instance_types.push_back({.name = asg.launch_template->instance_type});
        }
        continue;
      }
      if (!fleets) {
        auto all = clients_.ec2.DescribeSpotFleetRequests({});
        if (!all.ok()) return all.status().WithContext("DescribeSpotFleetRequests");
        fleets = std::move(*all);
      }
      const aws::SpotFleetRequestConfig* match = nullptr;
      for (const auto& f : *fleets) {
        if (f.spot_fleet_request_state != "active" && f.spot_fleet_request_state != "submitted" &&
            f.spot_fleet_request_state != "modifying")
          continue;
        bool named = f.spot_fleet_request_id == g.name;
        for (const auto& spec : f.config.launch_specifications)
          for (const auto& tag : spec.tags)
            if (tag.key == kFleetTag && tag.value == g.name) named = true;
        if (named) match = &f;
      }
      if (!match) return NotFoundError("autoscaler: no active Spot Fleet " + g.name);
      g.name = match->spot_fleet_request_id;
      if (g.instance_types.empty()) {
        std::set<std::string> seen;
        for (const auto& spec : match->config.launch_specifications)
          if (seen.insert(spec.instance_type).second)
            g.instance_types.push_back(
                {.name = spec.instance_type,
                 .weight = static_cast<int>(spec.weighted_capacity.value_or(1))});
      }
    }
    auto cluster = std::make_unique<Cluster>();
    cluster->observer = std::make_unique<Observer>(
        p.cluster, p.groups, ObserverClients{clients_.ecs, clients_.autoscaling, clients_.ec2},
        clock_, options_.reserved_memory_mib);
    ASSIGN_OR_RETURN(p.groups, cluster->observer->ResolveGroups());
    cluster->config = p;
    cluster->policy = std::make_unique<Policy>(p);
    for (const GroupConfig& g : p.groups)
      LogInfo("autoscaler: group",
              {{"cluster", p.cluster},
               {"group", g.name},
               {"purchase", PurchaseName(g.purchase)},
               {"type", g.instance_types.empty() ? "" : g.instance_types[0].name},
               {"min", static_cast<int64_t>(g.min)},
               {"max", static_cast<int64_t>(g.max)}});
    clusters_.push_back(std::move(cluster));
  }
  resolved_ = true;
  return Status::Ok();
}

Status Autoscaler::Start() {
  RETURN_IF_ERROR(Resolve());
  // What queued up while no autoscaler ran is read before the first decision, so that a burst
  // gets its whole step at once.
  if (clients_.sqs && !options_.capacity.queue_url.empty()) {
    for (int round = 0; round < 100; ++round) {
      auto n = capacity_->Poll();
      if (!n.ok() || *n == 0) break;
    }
  }
  loop_ = std::jthread([this](std::stop_token stop) {
    while (!stop.stop_requested()) {
      Time next = clock_.Now() + options_.interval;
      if (Status s = EvaluateOnce(); !s.ok())
        LogError("autoscaler: evaluation failed", {{"error", s.ToString()}});
      Duration left = next - clock_.Now();
      if (left > Duration::zero() && !clock_.SleepFor(left, stop)) break;
    }
  });
  if (clients_.sqs && !options_.capacity.queue_url.empty()) {
    poller_ = std::jthread([this](std::stop_token stop) {
      while (!stop.stop_requested()) {
        auto n = capacity_->Poll();
        if (!n.ok()) {
          LogWarn("autoscaler: capacity queue", {{"error", n.status().ToString()}});
          if (!clock_.SleepFor(std::chrono::seconds(1), stop)) break;
        }
      }
    });
  }
  return Status::Ok();
}

void Autoscaler::Stop() {
  for (std::jthread* t : {&loop_, &poller_}) {
    if (!t->joinable()) continue;
    t->request_stop();
    t->join();
  }
  service_out_->Stop();
}

Decision Autoscaler::LastDecision(const std::string& cluster) const {
  std::lock_guard lock(mu_);
  for (const auto& c : clusters_)
    if (c->config.cluster == cluster) return c->last;
  return {};
}

std::vector<std::string> Autoscaler::ScalingIn() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& s : scale_ins_) out.push_back(s->instance_id);
  return out;
}

const GroupConfig* Autoscaler::FindGroup(const Cluster& c, const std::string& name) const {
  for (const GroupConfig& g : c.config.groups)
    if (g.name == name) return &g;
  return nullptr;
}

Status Autoscaler::EvaluateOnce() {
  RETURN_IF_ERROR(Resolve());
  ReapScaleIns();
  auto& errors = *m_.errors;
  auto& signals = *m_.signals;
  auto& decisions = *m_.decisions;
  auto& pending = *m_.pending;
  auto& desired = *m_.desired;
  auto& scaling_in = *m_.scaling_in;
  Status first_error = Status::Ok();
  for (auto& cp : clusters_) {
    Cluster& c = *cp;
    auto view = c.observer->Observe();
    if (!view.ok()) {
      errors.With({c.config.cluster, "observe"}).Inc();
      LogError("autoscaler: cannot read the cluster",
               {{"cluster", c.config.cluster}, {"error", view.status().ToString()}});
      if (first_error.ok()) first_error = view.status();
      continue;
    }
    view->capacity_requests = capacity_->Pending(c.config.cluster);
    if (options_.reservation_source == "cloudwatch")
      view->metric_reservation = ReadMetricReservation(c.config.cluster);
    if (options_.protect_instances) {
      if (!options_.dry_run) Protect(c, *view);
      for (InstanceView& i : view->instances) i.scale_in_protected = false;  // ours
    }
    int in_progress = 0;
    {
      std::lock_guard lock(mu_);
      for (const auto& s : scale_ins_) in_progress += s->cluster == c.config.cluster;
    }
    Decision d = c.policy->Evaluate(*view, in_progress);
    for (const Signal& s : d.signals) signals.With({c.config.cluster, s.kind}).Inc();
    pending.With({c.config.cluster}).Set(d.pending_tasks);
    scaling_in.With({c.config.cluster}).Set(in_progress);
    for (const GroupView& g : view->groups) desired.With({g.name}).Set(g.desired);
    if (!d.empty() || d.reason != c.last_reason) {
      std::string sig;
      for (const Signal& s : d.signals) sig += (sig.empty() ? "" : "; ") + s.kind + ": " + s.detail;
      std::string change;
      for (const auto& [g, n] : d.desired)
        change += (change.empty() ? "" : ", ") + g + " -> " + std::to_string(n);
      for (const auto& v : d.scale_in)
        change += (change.empty() ? "" : ", ") + std::string("scale in ") + v.instance_id;
      LogInfo(d.empty() ? "autoscaler: no change" : "autoscaler: decision",
              {{"cluster", c.config.cluster},
               {"reason", d.reason},
               {"signals", sig},
               {"change", change},
               {"pending_tasks", static_cast<int64_t>(d.pending_tasks)},
               {"instances", static_cast<int64_t>(view->instances.size())},
               {"dry_run", options_.dry_run}});
      c.last_reason = d.reason;
    }
    if (!d.desired.empty()) decisions.With({c.config.cluster, "out"}).Inc();
    if (!d.scale_in.empty()) decisions.With({c.config.cluster, "in"}).Inc();
    if (!options_.dry_run) {
      if (Status s = ScaleOut(c, *view, d); !s.ok() && first_error.ok()) first_error = s;
      for (const auto& v : d.scale_in) StartScaleIn(c, *view, v);
    }
    std::lock_guard lock(mu_);
    c.last = std::move(d);
  }
  return first_error;
}

Status Autoscaler::ScaleOut(Cluster& c, const ClusterView& view, const Decision& d) {
  if (d.desired.empty()) return Status::Ok();
  auto& errors = *m_.errors;
  Status first = Status::Ok();
  for (const auto& [name, n] : d.desired) {
    const GroupConfig* g = FindGroup(c, name);
    if (!g) continue;
    Status s = g->kind == GroupConfig::Kind::kAutoScalingGroup
                   ? clients_.autoscaling.SetDesiredCapacity(name, n)
                   : clients_.ec2.ModifySpotFleetRequest(name, n, "");
    if (!s.ok()) {
      errors.With({c.config.cluster, "scale_out"}).Inc();
      LogError("autoscaler: capacity request failed",
               {{"group", name}, {"desired", static_cast<int64_t>(n)}, {"error", s.ToString()}});
      if (first.ok()) first = s;
    }
  }
  // Reaction time: from a capacity request's arrival to the first capacity request that
  // follows it.
  auto& reaction = *m_.reaction;
  std::set<std::string> still;
  for (const CapacityRequest& r : view.capacity_requests) {
    still.insert(r.task_id);
    if (c.answered.insert(r.task_id).second)
      reaction.Get().Observe(std::chrono::duration<double>(view.at - r.received).count());
  }
  std::erase_if(c.answered, [&](const std::string& id) { return !still.count(id); });
  return first;
}

std::optional<MetricReservation> Autoscaler::ReadMetricReservation(const std::string& cluster) {
  auto& fallbacks = *m_.fallbacks;
  const Time now = clock_.Now();
  auto latest = [&](const char* metric) -> std::optional<double> {
    aws::GetMetricStatisticsRequest r;
    r.namespace_ = "AWS/ECS";
    r.metric_name = metric;
    r.dimensions = {{"ClusterName", cluster}};
    r.start_time = now - std::chrono::minutes(3);
    r.end_time = now;
    r.period = 60;
    r.statistics = {"Maximum"};
    auto got = clients_.cloudwatch->GetMetricStatistics(r);
    if (!got.ok()) {
      LogWarn("autoscaler: CloudWatch read failed",
              {{"cluster", cluster}, {"metric", metric}, {"error", got.status().ToString()}});
      return std::nullopt;
    }
    std::optional<double> v;
    std::optional<Time> at;
    for (const aws::Datapoint& d : got->datapoints)
      if (d.maximum && (!at || d.timestamp > *at)) at = d.timestamp, v = d.maximum;
    return v;
  };
  auto cpu = latest("CPUReservation");
  auto memory = cpu ? latest("MemoryReservation") : std::nullopt;
  if (!cpu || !memory) {
    fallbacks.With({cluster}).Inc();
    return std::nullopt;
  }
  return MetricReservation{*cpu, *memory};
}

void Autoscaler::Protect(Cluster& c, const ClusterView& view) {
  std::map<std::string, std::vector<std::string>> protect;  // group → instances
  std::set<std::string> victims;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : scale_ins_) victims.insert(s->instance_id);
  }
  for (const InstanceView& i : view.instances) {
    const GroupConfig* g = FindGroup(c, i.group);
    if (!g || g->kind != GroupConfig::Kind::kAutoScalingGroup) continue;
    if (i.scale_in_protected || victims.count(i.instance_id)) continue;
    if (i.running_tasks + i.pending_tasks == 0) continue;
    protect[i.group].push_back(i.instance_id);
  }
  for (auto& [group, ids] : protect) {
    for (size_t at = 0; at < ids.size(); at += 50) {
      std::vector<std::string> batch(ids.begin() + at, ids.begin() + std::min(ids.size(), at + 50));
      if (Status s = clients_.autoscaling.SetInstanceProtection(group, batch, true); !s.ok())
        LogWarn("autoscaler: scale-in protection failed",
                {{"group", group}, {"error", s.ToString()}});
    }
  }
}

void Autoscaler::StartScaleIn(Cluster& c, const ClusterView& view, const Decision::Victim& v) {
  {
    std::lock_guard lock(mu_);
    for (const auto& s : scale_ins_)
      if (s->instance_id == v.instance_id) return;
  }
  serviceout::ServiceOutRequest r;
  r.trigger = serviceout::Trigger::kScaleIn;
  r.instance_id = v.instance_id;
  r.event_time = clock_.Now();
  r.deadline = r.event_time + options_.service_out.soft_deadline;
  r.detail = "autoscaler scale-in of " + v.group;
  auto s = std::make_unique<ScaleIn>();
  s->instance_id = v.instance_id;
  s->cluster = c.config.cluster;
  s->group = v.group;
  const GroupConfig* g = FindGroup(c, v.group);
  for (const InstanceView& i : view.instances)
    if (i.instance_id == v.instance_id && g)
      for (const InstanceType& t : g->instance_types)
        if (t.name == i.instance_type) s->weight = t.weight;
  s->handle = service_out_->Submit(r);
  LogInfo("autoscaler: scale-in started",
          {{"cluster", c.config.cluster}, {"group", v.group}, {"instance", v.instance_id}});
  std::lock_guard lock(mu_);
  scale_ins_.push_back(std::move(s));
}

void Autoscaler::ReapScaleIns() {
  std::vector<ScaleIn*> done;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : scale_ins_) done.push_back(s.get());
  }
  auto& errors = *m_.errors;
  auto& terminated = *m_.scaled_in;
  std::set<ScaleIn*> finished;
  for (ScaleIn* s : done) {
    auto outcome = serviceout::ServiceOut::Poll(s->handle);
    if (!outcome) continue;
    const Cluster* c = nullptr;
    for (const auto& cp : clusters_)
      if (cp->config.cluster == s->cluster) c = cp.get();
    const GroupConfig* g = c ? FindGroup(*c, s->group) : nullptr;
    bool clean = outcome->code == serviceout::OutcomeCode::kServicedOut &&
                 outcome->tasks_remaining == 0 && g;
    if (!clean) {
      // Never terminate an instance whose tasks were not all serviced out: put it back.
      LogError("autoscaler: scale-in abandoned, instance back to ACTIVE",
               {{"instance", s->instance_id},
                {"outcome", serviceout::OutcomeName(outcome->code)},
                {"tasks_remaining", static_cast<int64_t>(outcome->tasks_remaining)},
                {"error", outcome->error}});
      locator_->Forget(s->instance_id);
      if (auto loc = locator_->Locate(s->instance_id); loc.ok()) {
        auto r = clients_.ecs.UpdateContainerInstancesState(
            loc->cluster, {loc->container_instance_arn}, "ACTIVE");
        if (!r.ok()) errors.With({s->cluster, "revert"}).Inc();
      }
      locator_->Forget(s->instance_id);
      terminated.With({s->cluster, "reverted"}).Inc();
      finished.insert(s);
      continue;
    }
    Status st = Status::Ok();
    if (g->kind == GroupConfig::Kind::kAutoScalingGroup) {
      if (options_.protect_instances)
        st = clients_.autoscaling.SetInstanceProtection(g->name, {s->instance_id}, false);
      if (st.ok())
        st =
            clients_.autoscaling.TerminateInstanceInAutoScalingGroup(s->instance_id, true).status();
    } else {
      auto fleet = clients_.ec2.DescribeSpotFleetRequests({g->name});
      if (!fleet.ok() || fleet->empty()) {
        st = fleet.ok() ? NotFoundError("Spot Fleet " + g->name + " is gone") : fleet.status();
      } else {
        int target = std::max(0, fleet->front().config.target_capacity - s->weight);
        st = clients_.ec2.ModifySpotFleetRequest(g->name, target, "noTermination");
        if (st.ok()) st = clients_.ec2.TerminateInstances({s->instance_id}).status();
      }
    }
    if (!st.ok()) {
      errors.With({s->cluster, "terminate"}).Inc();
      LogError("autoscaler: terminating a serviced-out instance failed",
               {{"instance", s->instance_id}, {"error", st.ToString()}});
      if (++s->terminate_attempts < 5) continue;  // retried at the next evaluation
    } else {
      LogInfo("autoscaler: scaled in",
              {{"cluster", s->cluster}, {"group", s->group}, {"instance", s->instance_id}});
      terminated.With({s->cluster, "terminated"}).Inc();
    }
    finished.insert(s);
  }
  if (finished.empty()) return;
  std::lock_guard lock(mu_);
  std::erase_if(scale_ins_, [&](const auto& s) { return finished.count(s.get()); });
}

}  // namespace steady::autoscaler
