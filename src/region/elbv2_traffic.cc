// Elbv2Model's traffic model and the deaths of targets (ElbFleetLink::TargetDown).
#include <nlohmann/json.hpp>

#include <cmath>

#include "base/log.h"
#include "region/elbv2_model.h"
#include "region/elbv2_model_internal.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;

namespace {
json TargetRecord(const std::string& arn, const Elbv2Model::Target& t) {
  return {{"op", "target"},
          {"arn", arn},
          {"t",
           {{"id", t.id},
            {"port", t.port},
            {"az", t.az},
            {"reg", ToUnixNanos(t.registered)},
            {"dereg", t.deregistered ? ToUnixNanos(*t.deregistered) : 0},
            {"down", t.down ? ToUnixNanos(*t.down) : 0}}}};
}
}  // namespace

void Elbv2Model::Count(Group& g, int64_t served, int64_t failed, Failure cause) {
  g.served += served;
  g.failed += failed;
  g.failed_by[static_cast<int>(cause)] += failed;
  if (!requests_) return;
  if (served) requests_->With({g.config.target_group_name, "served"}).Inc(served);
  if (failed) requests_->With({g.config.target_group_name, "failed"}).Inc(failed);
}

void Elbv2Model::CompleteLocked(Group& g, Target& t, Time now) {
  int64_t served = 0;
  while (!t.in_flight.empty() && t.in_flight.front().first <= now) {
    served += t.in_flight.front().second;
    t.in_flight.pop_front();
  }
  Count(g, served, 0);
}

void Elbv2Model::KillLocked(Group& g, Target& t, Time now, Failure cause) {
  CompleteLocked(g, t, now);
  int64_t failed = 0;
  for (const auto& [at, n] : t.in_flight) failed += n;
  t.in_flight.clear();
  Count(g, 0, failed, cause);
}

Status Elbv2Model::SetTraffic(const std::string& arn, double requests_per_second,
                              double request_seconds) {
  if (!(requests_per_second >= 0) || !(request_seconds >= 0))
    return ServiceError("SetTraffic", "ValidationError", "rates must be >= 0");
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    if (!FindLocked(arn)) return NoGroup("SetTraffic", arn);
    seq = RecordLocked(
        {{"op", "traffic"}, {"arn", arn}, {"rps", requests_per_second}, {"secs", request_seconds}});
  }
  return ctx_.journal().Commit(seq);
}

Result<Elbv2Model::TrafficStats> Elbv2Model::Traffic(const std::string& arn) {
  std::lock_guard lock(mu_);
  Group* g = FindLocked(arn);
  if (!g) return NoGroup("Traffic", arn);
  TrafficStats s;
  s.served = g->served;
  s.failed = g->failed;
  s.failed_cut = g->failed_by[static_cast<int>(Failure::kCut)];
  s.failed_drain_end = g->failed_by[static_cast<int>(Failure::kDrainEnd)];
  s.failed_reregistered = g->failed_by[static_cast<int>(Failure::kReregistered)];
  s.failed_no_target = g->failed_by[static_cast<int>(Failure::kNoTarget)];
  s.failed_refused = g->failed_by[static_cast<int>(Failure::kRefused)];
  s.requests_per_second = g->rps;
  s.request_seconds = g->request_seconds;
  for (const auto& [key, t] : g->targets)
    for (const auto& [at, n] : t.in_flight) s.in_flight += n;
  return s;
}

void Elbv2Model::TargetDown(const FleetTarget& target) {
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    Time now = ctx_.clock.Now();
    for (auto& [arn, g] : groups_) {
      auto it = g->targets.find({target.id, target.port});
      if (it == g->targets.end()) continue;
      KillLocked(*g, it->second, now, Failure::kCut);
      if (it->second.down) continue;
      if (!it->second.deregistered)  // it keeps receiving requests until health checks notice
        LogWarn("elbv2: a registered target died",
                {{"target_group", g->config.target_group_name},
                 {"target", target.id + ":" + std::to_string(target.port)},
                 {"state", StateLocked(*g, it->second, now)},
                 {"registered_seconds_ago",
                  std::chrono::duration<double>(now - it->second.registered).count()}});
      Target t = it->second;
      t.down = now;
      seq = RecordLocked(TargetRecord(arn, t));
    }
  }
  if (Status s = seq ? ctx_.journal().Commit(seq) : Status::Ok(); !s.ok())
    LogError("elbv2: journal commit failed", {{"error", s.ToString()}});
}

void Elbv2Model::InstanceDown(const std::string& instance_id) {
  std::vector<FleetTarget> targets;
  {
    std::lock_guard lock(mu_);
    for (auto& [arn, g] : groups_)
      for (auto& [key, t] : g->targets)
        if (t.id == instance_id) targets.push_back({t.id, t.port});
  }
  for (const auto& t : targets) TargetDown(t);
}

void Elbv2Model::TrafficLocked(Group& g, Time now, double dt) {
  for (auto& [key, t] : g.targets) CompleteLocked(g, t, now);
  if (g.rps <= 0) {
    g.arrivals = 0;
    return;
  }
  g.arrivals += g.rps * dt;
  auto n = static_cast<int64_t>(std::floor(g.arrivals));
  g.arrivals -= static_cast<double>(n);
  if (n == 0) return;
  std::vector<Target*> healthy;
  for (auto& [key, t] : g.targets)
    if (StateLocked(g, t, now) == "healthy") healthy.push_back(&t);
  if (healthy.empty()) {
    Count(g, 0, n, Failure::kNoTarget);  // 503: no healthy target
    return;
  }
  const int64_t m = static_cast<int64_t>(healthy.size());
  const int64_t base = n / m, extra = n % m;
  const auto duration =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(g.request_seconds));
  for (int64_t k = 0; k < m; ++k) {
    Target& t = *healthy[(g.next + k) % m];
    int64_t count = base + (k < extra ? 1 : 0);
    if (count == 0) continue;
    if (t.down) {
      Count(g, 0, count, Failure::kRefused);  // the process is gone: connection refused / 502
    } else if (duration <= Duration::zero()) {
      Count(g, count, 0);
    } else {
      t.in_flight.push_back({now + duration, count});
    }
  }
  g.next = (g.next + static_cast<size_t>(extra)) % static_cast<size_t>(m);
}

void Elbv2Model::Tick() {
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    Time now = ctx_.clock.Now();
    double dt = last_tick_ && now > *last_tick_
                    ? std::chrono::duration<double>(now - *last_tick_).count()
                    : 0;
    last_tick_ = now;
    for (auto& [arn, g] : groups_) {
      TrafficLocked(*g, now, dt);
      // Draining is over: the target is gone, and what it still had in flight is cut off.
      std::vector<TargetKey> done;
      for (auto& [key, t] : g->targets)
        if (t.deregistered && StateLocked(*g, t, now) == "unused") done.push_back(key);
      for (const auto& key : done) {
        KillLocked(*g, g->targets[key], now, Failure::kDrainEnd);
        seq = RecordLocked(
            {{"op", "deltarget"}, {"arn", arn}, {"id", key.first}, {"port", key.second}});
      }
    }
  }
  if (Status s = seq ? ctx_.journal().Commit(seq) : Status::Ok(); !s.ok())
    LogError("elbv2: journal commit failed", {{"error", s.ToString()}});
}

}  // namespace steady::region
