#include "region/region.h"

#include <nlohmann/json.hpp>

#include "base/config.h"
#include "base/log.h"
#include "region/autoscaling_model.h"
#include "region/cloudwatch_model.h"
#include "region/ec2_model.h"
#include "region/ecs_model.h"
#include "region/elbv2_model.h"
#include "region/events_model.h"
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
  r->owned_.push_back(std::make_unique<CloudWatchModel>(*r->ctx_));
  r->owned_.push_back(std::make_unique<S3Model>(
      *r->ctx_, *r->sqs_, S3ModelOptions{.state_dir = r->options_.state_dir}));
  r->owned_.push_back(std::make_unique<SnsModel>(*r->ctx_, *r->sqs_));
  auto events = std::make_unique<EventsModel>(*r->ctx_, *r->sqs_);
  EventsModel* ev = events.get();
  r->owned_.push_back(std::move(events));
  // The fleet (region part 2): EC2 boots instances into ECS, ECS registers tasks with ELBv2,
  // Auto Scaling launches through EC2; the links are wired both ways (region/fleet.h).
  auto ec2 = std::make_unique<Ec2Model>(*r->ctx_, ev, Ec2ModelOptions{.seed = r->options_.seed});
  auto elb = std::make_unique<Elbv2Model>(*r->ctx_);
  elb->SetMetrics(metrics);
  auto ecs = std::make_unique<EcsModel>(*r->ctx_);
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
  ASSIGN_OR_RETURN(SetupSummary sum, ApplySetup(config.root(), t));
  return sum.ToString();
}

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
