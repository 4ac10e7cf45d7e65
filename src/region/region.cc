#include "region/region.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <utility>

#include "base/config.h"
#include "base/log.h"
#include "region/autoscaling_model.h"
#include "region/cloudwatch_model.h"
#include "region/ec2_model.h"
#include "region/ecs_model.h"
#include "region/elbv2_model.h"
#include "region/events_model.h"
#include "region/glue_model.h"
#include "region/s3_model.h"
#include "region/service_model.h"
#include "region/setup.h"
#include "region/sns_model.h"

namespace steady::region {

using nlohmann::json;

Region::Region(RegionOptions options, Clock& clock, MetricsRegistry& metrics)
    : options_(std::move(options)), clock_(clock), metrics_(metrics) {}

Region::~Region() { Stop(); }

Result<std::unique_ptr<Region>> Region::Open(RegionOptions options, Clock& clock,
                                             MetricsRegistry& metrics) {
  std::unique_ptr<Region> r(new Region(std::move(options), clock, metrics));
  auto noop = [](std::string_view) { return Status::Ok(); };
  r->boot_journal_ = *Journal::Open({}, noop, noop);
  r->ctx_ = std::make_unique<RegionContext>(clock, *r->boot_journal_);
  r->ctx_->region = r->options_.region;
  r->ctx_->account_id = r->options_.account_id;
  r->ctx_->rng = Random(r->options_.seed);
  r->ctx_->set_endpoint("http://" + r->options_.listen);
  r->sqs_ = std::make_unique<SqsModel>(*r->ctx_);
  r->models_.push_back(r->sqs_.get());
  // Models that deliver into SQS are built on it. Order matters only for replay of records
  // that cross services, which each model keeps to its own state.
  auto cw = std::make_unique<CloudWatchModel>(*r->ctx_);
  CloudWatchModel* cloudwatch = cw.get();
  r->owned_.push_back(std::move(cw));
  r->owned_.push_back(std::make_unique<S3Model>(
      *r->ctx_, *r->sqs_, S3ModelOptions{.state_dir = r->options_.state_dir}));
  r->owned_.push_back(std::make_unique<SnsModel>(*r->ctx_, *r->sqs_));
  auto events = std::make_unique<EventsModel>(*r->ctx_, *r->sqs_);
  EventsModel* ev = events.get();
  r->owned_.push_back(std::move(events));
  auto glue = std::make_unique<GlueModel>(*r->ctx_);
  r->glue_ = glue.get();
  r->owned_.push_back(std::move(glue));
  // The fleet (region part 2): EC2 boots instances into ECS, ECS registers tasks with ELBv2,
  // Auto Scaling launches through EC2; the links are wired both ways (region/fleet.h).
  auto ec2 = std::make_unique<Ec2Model>(
      *r->ctx_, ev,
      Ec2ModelOptions{.boot_delay = r->options_.boot_delay,
                      .spot_interruptions_per_hour = r->options_.spot_interruptions_per_hour,
                      .seed = r->options_.seed});
  auto elb = std::make_unique<Elbv2Model>(*r->ctx_);
  elb->SetMetrics(metrics);
  auto ecs = std::make_unique<EcsModel>(*r->ctx_);
  ecs->SetEvents(ev);
  // AWS/ECS CPUReservation & co. per cluster, once a minute of the region's clock.
  r->ecs_metrics_ = std::make_unique<EcsMetrics>(*ecs, *cloudwatch, r->ctx_->clock);
  auto asg = std::make_unique<AutoScalingModel>(*r->ctx_, *ec2, r->sqs_.get(), ev);
  ec2->SetLinks(ecs.get(), elb.get());
  ecs->SetLinks(elb.get(), ec2.get());
  r->ec2_ = ec2.get();
  r->elb_ = elb.get();
  r->ecs_ = ecs.get();
  r->asg_ = asg.get();
  r->owned_.push_back(std::move(ec2));
  r->owned_.push_back(std::move(asg));
  r->owned_.push_back(std::move(ecs));
  r->owned_.push_back(std::move(elb));
  for (auto& m : r->owned_) r->models_.push_back(m.get());

  Region* self = r.get();
  auto opened = Journal::Open(
      {.dir = r->options_.state_dir, .compact_bytes = r->options_.compact_bytes},
      [self](std::string_view s) { return self->RestoreSnapshot(s); },
      [self](std::string_view s) { return self->Replay(s); });
  if (!opened.ok()) return opened.status().WithContext("open region state");
  r->journal_ = std::move(*opened);
  r->ctx_->set_journal(*r->journal_);
  return r;
}

Status Region::Replay(std::string_view record) {
  json r = json::parse(record, nullptr, false);
  if (r.is_discarded() || !r.is_object()) return DataLossError("journal record is not JSON");
  std::string service = r.value("s", "");
  for (ServiceModel* m : models_)
    if (m->service() == service) return m->Replay(r);
  return DataLossError("journal record for unknown service '" + service + "'");
}

Status Region::RestoreSnapshot(std::string_view snapshot) {
  json s = json::parse(snapshot, nullptr, false);
  if (s.is_discarded() || !s.is_object()) return DataLossError("snapshot is not JSON");
  for (ServiceModel* m : models_)
    if (s.contains(m->service())) RETURN_IF_ERROR(m->Restore(s[m->service()]));
  return Status::Ok();
}

ServiceModel* Region::model(std::string_view service) const {
  for (ServiceModel* m : models_)
    if (m->service() == service) return m;
  return nullptr;
}

Result<std::string> Region::ApplySetupYaml(std::string_view yaml, const std::string& source) {
  ASSIGN_OR_RETURN(Config config, Config::Parse(yaml, source));
  SetupTargets t{*sqs_};
  t.sns = dynamic_cast<SnsModel*>(model("sns"));
  t.events = dynamic_cast<EventsModel*>(model("events"));
  t.buckets = dynamic_cast<S3Model*>(model("s3"));
  t.region = ctx_->region;
  t.account_id = ctx_->account_id;
  t.ecs = ecs_;
  t.ec2 = ec2_;
  t.autoscaling = asg_;
  t.elbv2 = elb_;
  ASSIGN_OR_RETURN(SetupSummary sum, ApplySetup(config.root(), t));
  return sum.ToString();
}

namespace {

// The admin API's helpers (Region::Admin). Each returns (HTTP status, JSON body).
using AdminAnswer = std::pair<int, json>;

AdminAnswer AdminError(int status, const std::string& message) {
  return {status, json{{"error", message}}};
}

// POST /_steady/interrupt {"instances": [...], "rebalance": bool}: a spot interruption now.
// All or nothing: an id that is not a pending or running spot instance is a 400 naming it, and
// no instance is interrupted.
AdminAnswer AdminInterrupt(Ec2Model& ec2, const std::string& body) {
  json in = json::parse(body, nullptr, false);
  if (in.is_discarded() || !in.is_object() || !in.contains("instances") ||
      !in["instances"].is_array())
    return AdminError(400, "expected {\"instances\": [\"i-...\", ...], \"rebalance\": false}");
  std::vector<std::string> ids;
  for (const auto& id : in["instances"]) {
    if (!id.is_string()) return AdminError(400, "instances: expected instance id strings");
    ids.push_back(id.get<std::string>());
  }
  if (ids.empty()) return AdminError(400, "instances: give at least one instance id");
  const json& rb = in.contains("rebalance") ? in["rebalance"] : json(false);
  if (!rb.is_boolean()) return AdminError(400, "rebalance: expected true or false");
  bool rebalance = rb.get<bool>();
  if (Status s = ec2.Interrupt(ids, rebalance); !s.ok()) return AdminError(400, s.ToString());
  LogInfo("region: spot interruption injected",
          {{"instances", static_cast<int64_t>(ids.size())}, {"rebalance", rebalance}});
  return {200, json{{"interrupted", ids}, {"rebalance", rebalance}}};
}

// POST /_steady/traffic {"target_group": name or ARN, "requests_per_second": R,
// "request_seconds": S}. 404 for an unknown group.
AdminAnswer AdminTraffic(Elbv2Model& elb, const std::string& body) {
  json in = json::parse(body, nullptr, false);
  if (in.is_discarded() || !in.is_object() || !in.contains("target_group") ||
      !in["target_group"].is_string() || !in.contains("requests_per_second") ||
      !in["requests_per_second"].is_number())
    return AdminError(400,
                      "expected {\"target_group\": NAME or ARN, \"requests_per_second\": N, "
                      "\"request_seconds\": S}");
  std::string ref = in["target_group"];
  double rps = in["requests_per_second"];
  double secs = 0.1;
  if (in.contains("request_seconds")) {
    if (!in["request_seconds"].is_number())
      return AdminError(400, "request_seconds: expected a number");
    secs = in["request_seconds"];
  }
  std::string arn = ref.rfind("arn:", 0) == 0 ? ref : "";
  if (arn.empty()) {
    auto groups = elb.DescribeTargetGroups({}, {});
    if (!groups.ok()) return AdminError(500, groups.status().ToString());
    for (const auto& g : *groups)
      if (g.target_group_name == ref) arn = g.target_group_arn;
    if (arn.empty()) return AdminError(404, "no target group '" + ref + "'");
  }
  if (Status s = elb.SetTraffic(arn, rps, secs); !s.ok())
    return AdminError(s.code() == StatusCode::kNotFound ? 404 : 400, s.ToString());
  LogInfo("region: traffic set",
          {{"target_group", arn}, {"requests_per_second", rps}, {"request_seconds", secs}});
  return {200,
          json{{"target_group_arn", arn}, {"requests_per_second", rps}, {"request_seconds", secs}}};
}

// Every ARN of a paged ECS list call.
template <typename F>
std::vector<std::string> AllPages(F list) {
  std::vector<std::string> out;
  std::string token;
  do {
    auto page = list(token);
    if (!page.ok()) break;
    out.insert(out.end(), page->arns.begin(), page->arns.end());
    token = page->next_token;
  } while (!token.empty());
  return out;
}

int64_t Resource(const std::vector<aws::EcsResource>& rs, const std::string& name) {
  for (const auto& r : rs)
    if (r.name == name) return r.integer_value;
  return 0;
}

double Percent(int64_t part, int64_t whole) {
  return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// GET /_steady/fleet: instances, clusters' reservation, target groups' traffic and health,
// services with their deployments.
json FleetSummary(Ec2Model& ec2, EcsModel& ecs, Elbv2Model& elb) {
  json out = {{"instances", json::array()},
              {"clusters", json::array()},
              {"target_groups", json::array()},
              {"services", json::array()}};
  // Container instances by EC2 instance id, with their cluster.
  std::map<std::string, std::pair<std::string, aws::ContainerInstance>> by_instance;
  std::vector<std::string> clusters = AllPages([&](const std::string& token) {
    aws::PageRequest p;
    p.next_token = token;
    return ecs.ListClusters(p);
  });
  for (const auto& cluster_arn : clusters) {
    auto described = ecs.DescribeClusters({cluster_arn});
    if (!described.ok() || described->items.empty()) continue;
    const aws::EcsCluster& c = described->items[0];
    std::vector<std::string> cis = AllPages([&](const std::string& token) {
      aws::ListContainerInstancesRequest r;
      r.cluster = cluster_arn;
      r.next_token = token;
      return ecs.ListContainerInstances(r);
    });
    int64_t cpu = 0, cpu_free = 0, mem = 0, mem_free = 0;
    int active = 0, draining = 0;
    for (size_t i = 0; i < cis.size(); i += 100) {
      std::vector<std::string> batch(cis.begin() + i, cis.begin() + std::min(cis.size(), i + 100));
      auto d = ecs.DescribeContainerInstances(cluster_arn, batch);
      if (!d.ok()) continue;
      for (const auto& ci : d->items) {
        by_instance[ci.ec2_instance_id] = {c.cluster_name, ci};
        if (ci.status == "INACTIVE") continue;
        active += ci.status == "ACTIVE";
        draining += ci.status == "DRAINING";
        cpu += Resource(ci.registered_resources, "CPU");
        cpu_free += Resource(ci.remaining_resources, "CPU");
        mem += Resource(ci.registered_resources, "MEMORY");
        mem_free += Resource(ci.remaining_resources, "MEMORY");
      }
    }
    out["clusters"].push_back(
        {{"name", c.cluster_name},
         {"status", c.status},
         {"container_instances", {{"active", active}, {"draining", draining}}},
         {"running_tasks", c.running_tasks_count},
         {"pending_tasks", c.pending_tasks_count},
         {"active_services", c.active_services_count},
         {"cpu_registered", cpu},
         {"cpu_reserved", cpu - cpu_free},
         {"cpu_reservation_percent", Percent(cpu - cpu_free, cpu)},
         {"memory_registered", mem},
         {"memory_reserved", mem - mem_free},
         {"memory_reservation_percent", Percent(mem - mem_free, mem)}});
    std::vector<std::string> services = AllPages([&](const std::string& token) {
      aws::PageRequest p;
      p.next_token = token;
      return ecs.ListServices(cluster_arn, p);
    });
    for (size_t i = 0; i < services.size(); i += 10) {
      std::vector<std::string> batch(services.begin() + i,
                                     services.begin() + std::min(services.size(), i + 10));
      auto d = ecs.DescribeServices(cluster_arn, batch);
      if (!d.ok()) continue;
      for (const auto& s : d->items) {
        json deployments = json::array();
        for (const auto& dep : s.deployments)
          deployments.push_back({{"id", dep.id},
                                 {"status", dep.status},
                                 {"task_definition", dep.task_definition},
                                 {"desired", dep.desired_count},
                                 {"running", dep.running_count},
                                 {"pending", dep.pending_count},
                                 {"failed_tasks", dep.failed_tasks},
                                 {"rollout_state", dep.rollout_state}});
        out["services"].push_back({{"cluster", c.cluster_name},
                                   {"name", s.service_name},
                                   {"status", s.status},
                                   {"task_definition", s.task_definition},
                                   {"desired", s.desired_count},
                                   {"running", s.running_count},
                                   {"pending", s.pending_count},
                                   {"deployments", deployments},
                                   {"last_event", s.events.empty() ? "" : s.events[0].message}});
      }
    }
  }
  auto reservations = ec2.DescribeInstances({});
  if (reservations.ok()) {
    for (const auto& r : *reservations) {
      for (const auto& i : r.instances) {
        json j = {{"id", i.instance_id},
                  {"type", i.instance_type},
                  {"lifecycle", i.instance_lifecycle == "spot" ? "spot" : "on-demand"},
                  {"state", i.state.name},
                  {"az", i.availability_zone},
                  {"cluster", ""},
                  {"container_instance_status", ""},
                  {"running_tasks", 0},
                  {"pending_tasks", 0}};
        if (auto fi = ec2.Instance(i.instance_id)) j["cluster"] = fi->cluster;
        if (auto it = by_instance.find(i.instance_id); it != by_instance.end()) {
          const auto& [cluster, ci] = it->second;
          j["cluster"] = cluster;
          j["container_instance_status"] = ci.status;
          j["agent_connected"] = ci.agent_connected;
          j["running_tasks"] = ci.running_tasks_count;
          j["pending_tasks"] = ci.pending_tasks_count;
        }
        out["instances"].push_back(std::move(j));
      }
    }
  }
  auto groups = elb.DescribeTargetGroups({}, {});
  if (groups.ok()) {
    for (const auto& g : *groups) {
      json j = {{"name", g.target_group_name}, {"arn", g.target_group_arn}};
      if (auto t = elb.Traffic(g.target_group_arn); t.ok()) {
        j["served"] = t->served;
        j["failed"] = t->failed;
        j["failed_by"] = {{"cut", t->failed_cut},
                          {"drain_end", t->failed_drain_end},
                          {"reregistered", t->failed_reregistered},
                          {"no_target", t->failed_no_target},
                          {"refused", t->failed_refused}};
        j["in_flight"] = t->in_flight;
        j["requests_per_second"] = t->requests_per_second;
        j["request_seconds"] = t->request_seconds;
      }
      std::map<std::string, int> states;
      if (auto h = elb.DescribeTargetHealth(g.target_group_arn, {}); h.ok())
        for (const auto& d : *h) ++states[d.target_health.state];
      j["healthy"] = states.count("healthy") ? states["healthy"] : 0;
      j["targets"] = states;
      out["target_groups"].push_back(std::move(j));
    }
  }
  return out;
}

}  // namespace

void Region::Admin(const net::ServerRequest& req, net::Responder respond) {
  net::HttpResponse resp;
  resp.headers.Set("Content-Type", "application/json");
  auto answer = [&](int status, const json& body) {
    resp.status = status;
    resp.body = body.dump() + "\n";
    respond(std::move(resp));
  };
  if (req.path == "/_steady/health") return answer(200, {{"status", "ok"}});
  if (req.path == "/_steady/apply" && req.method == "POST") {
    auto applied = ApplySetupYaml(req.body, "apply");
    if (!applied.ok()) return answer(400, {{"error", applied.status().ToString()}});
    LogInfo("region: applied a setup", {{"summary", *applied}});
    return answer(200, {{"applied", *applied}});
  }
  if (req.path == "/_steady/interrupt" && req.method == "POST") {
    auto [status, body] = AdminInterrupt(*ec2_, req.body);
    return answer(status, body);
  }
  if (req.path == "/_steady/traffic" && req.method == "POST") {
    auto [status, body] = AdminTraffic(*elb_, req.body);
    return answer(status, body);
  }
  if (req.path == "/_steady/fleet" && req.method == "GET")
    return answer(200, FleetSummary(*ec2_, *ecs_, *elb_));
  answer(404, {{"error", "no admin operation " + req.method + " " + req.path}});
}

Status Region::Compact() {
  // Every model lock at once, in a fixed order, so the snapshot is one consistent moment.
  std::vector<std::unique_lock<std::mutex>> locks;
  for (ServiceModel* m : models_) locks.emplace_back(m->mutex());
  json snap = json::object();
  for (ServiceModel* m : models_) snap[m->service()] = m->Snapshot();
  return journal_->Compact(snap.dump());
}

Status Region::Start() {
  FrontOptions fo;
  fo.listen = options_.listen;
  fo.threads = options_.threads;
  fo.verify_keys = options_.verify_keys;
  fo.throttle = options_.throttle;
  front_ = std::make_unique<RegionFront>(fo, clock_, metrics_);
  for (ServiceModel* m : models_)
    if (auto f = m->MakeFront()) front_->Register(std::move(f));
  front_->SetAdminHandler([this](const net::ServerRequest& req, net::Responder respond) {
    Admin(req, std::move(respond));
  });
  RETURN_IF_ERROR(front_->Start());
  ctx_->set_endpoint(front_->base_url());
  // Compaction runs beside the front so that the log stays bounded under load.
  maintenance_ = std::jthread([this](std::stop_token stop) {
    while (clock_.SleepFor(std::chrono::seconds(5), stop)) {
      if (!journal_->ShouldCompact()) continue;
      if (Status s = Compact(); !s.ok())
        LogError("region: compaction failed", {{"error", s.ToString()}});
    }
  });
  // The fleet's time-driven behaviour, once a second on the region's clock.
  fleet_ticker_ = std::jthread([this](std::stop_token stop) {
    while (clock_.SleepFor(std::chrono::seconds(1), stop)) TickFleet();
  });
  return Status::Ok();
}

void Region::TickFleet() {
  std::lock_guard lock(tick_mu_);
  ec2_->Tick();
  asg_->Tick();
  ecs_->Tick();
  elb_->Tick();
  ecs_metrics_->Tick();
}

void Region::Stop() {
  if (fleet_ticker_.joinable()) {
    fleet_ticker_.request_stop();
    fleet_ticker_.join();
  }
  if (maintenance_.joinable()) {
    maintenance_.request_stop();
    maintenance_.join();
  }
  if (front_) {
    front_->Stop();
    front_.reset();
  }
}

}  // namespace steady::region
