// The local region: every service model, their durable journal and the HTTP front door, in
// one object. The same Region runs in real time behind HTTP (`steady region`, `steady up`)
// and in virtual time in-process (tests and simulations hand it a ManualClock and never
// start the front).
//
// Thread safety: the models are thread-safe; Start/Stop from one thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"
#include "region/ecs_metrics.h"
#include "region/front.h"
#include "region/journal.h"
#include "region/region_context.h"
#include "region/sqs_model.h"

namespace steady::region {

class Ec2Model;
class EcsModel;
class Elbv2Model;
class AutoScalingModel;
class GlueModel;

struct RegionOptions {
  std::string listen = "127.0.0.1:4566";
  std::string state_dir;  // empty: state lives in memory only
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  uint64_t seed = 42;
  // Request threads. A durable call waits for its fdatasync, and concurrent waiters share one
  // (group commit), so more threads than cores pay off.
  int threads = 8;
  std::map<std::string, std::string> verify_keys;        // see FrontOptions
  std::map<std::string, FrontOptions::Bucket> throttle;  // see FrontOptions
  size_t compact_bytes = 64 * 1024 * 1024;
  // How long a new EC2 instance stays pending before it runs and joins its cluster (AWS-like
  // default; `steady region --boot-delay` and tests shorten it).
  Duration boot_delay = std::chrono::seconds(60);
  // Random spot interruptions per running spot instance-hour (0: only on demand, through the
  // admin API's POST /_steady/interrupt).
  double spot_interruptions_per_hour = 0;
};

class Region {
 public:
  // Builds the models and replays --state (kDataLoss if it cannot be read).
  static Result<std::unique_ptr<Region>> Open(RegionOptions options, Clock& clock,
                                              MetricsRegistry& metrics);
  ~Region();

  // Serves HTTP on options.listen; the models' URLs then use the bound address.
  Status Start();
  void Stop();
  // "http://127.0.0.1:4566" (the bound address once started).
  std::string endpoint() const { return ctx_->endpoint(); }

  SqsModel& sqs() { return *sqs_; }
  // The Glue Data Catalog (aws::Glue in-process).
  GlueModel& glue() { return *glue_; }
  // Every model, SQS first (others deliver into it).
  const std::vector<ServiceModel*>& models() const { return models_; }
  RegionContext& context() { return *ctx_; }
  Journal& journal() { return *journal_; }

  // The model serving `service` ("sns", "events", "s3", ...), or nullptr.
  ServiceModel* model(std::string_view service) const;

  // Applies a declarative setup (region/setup.h) to the models in-process.
  Result<std::string> ApplySetupYaml(std::string_view yaml, const std::string& source);

  // Writes a snapshot of every service and drops the log it covers.
  Status Compact();

  // The fleet models (region part 2).
  Ec2Model& ec2() { return *ec2_; }
  EcsModel& ecs() { return *ecs_; }
  Elbv2Model& elbv2() { return *elb_; }
  AutoScalingModel& autoscaling() { return *asg_; }
  // Runs the fleet's time-driven behaviour due at the clock's now (EC2, Auto Scaling, ECS,
  // ELBv2, in that order). Start() runs it every second; tests on a ManualClock call it.
  void TickFleet();

 private:
  Region(RegionOptions options, Clock& clock, MetricsRegistry& metrics);
  Status Replay(std::string_view record);
  void Admin(const net::ServerRequest& req, net::Responder respond);
  Status RestoreSnapshot(std::string_view snapshot);

  RegionOptions options_;
  Clock& clock_;
  MetricsRegistry& metrics_;
  std::unique_ptr<Journal> boot_journal_;  // memory journal the models see during replay
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RegionContext> ctx_;
  std::unique_ptr<SqsModel> sqs_;
  std::vector<std::unique_ptr<ServiceModel>> owned_;  // the models other than SQS
  std::unique_ptr<EcsMetrics> ecs_metrics_;           // reads ECS, writes CloudWatch
  std::vector<ServiceModel*> models_;
  std::unique_ptr<RegionFront> front_;
  Ec2Model* ec2_ = nullptr;
  EcsModel* ecs_ = nullptr;
  Elbv2Model* elb_ = nullptr;
  AutoScalingModel* asg_ = nullptr;
  GlueModel* glue_ = nullptr;
  std::mutex tick_mu_;
  std::jthread maintenance_;
  std::jthread fleet_ticker_;
};

}  // namespace steady::region
