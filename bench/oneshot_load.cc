// Issue 10's oneshot benchmark: N concurrent `steady oneshot` runs against the local region over
// HTTP with ECS's throttling profile on, in real time; once following their tasks through the
// task-state board (ECS Task State Change events on one shared SQS queue) and once polling
// DescribeTasks (the baseline). Each run gets its own AWS context (credentials, client-side ECS
// rate limits, retries), as separate processes would. Prints, per mode, the ECS calls per
// oneshot by operation (as the region counted them), the calls the region throttled, the
// oneshots that ended with exit code 0, and the wall time.
//
//   build/default/bench/oneshot_load [ONESHOTS] [TASK_SECONDS]     (bench/oneshot.sh runs it)
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

#include "aws/aws_context.h"
#include "aws/ecs_client.h"
#include "aws/local_object_store.h"
#include "aws/sqs_client.h"
#include "base/env.h"
#include "base/log.h"
#include "base/metrics.h"
#include "deploy/definition.h"
#include "deploy/deployer.h"
#include "deploy/oneshot.h"
#include "deploy/task_board.h"
#include "region/region.h"
#include "region/throttle_profiles.h"

namespace steady {
namespace {

struct Clients {
  std::unique_ptr<aws::AwsContext> context;
  std::unique_ptr<aws::EcsClient> ecs;
  std::unique_ptr<aws::SqsClient> sqs;
};

Clients Open(const std::string& endpoint, MetricsRegistry& metrics) {
  aws::AwsSettings s;
  s.endpoint_url = endpoint;
  Clients c;
  auto ctx = aws::AwsContext::Create(s, ProcessEnvironment::Get(), SystemClock::Get(), metrics);
  if (!ctx.ok()) {
    std::fprintf(stderr, "aws context: %s\n", ctx.status().ToString().c_str());
    std::exit(1);
  }
  c.context = std::move(*ctx);
  c.ecs = std::make_unique<aws::EcsClient>(**c.context->Transport(aws::EcsServiceInfo()));
  c.sqs = std::make_unique<aws::SqsClient>(**c.context->Transport(aws::SqsService()));
  return c;
}

std::map<std::string, double> EcsRequests(MetricsRegistry& m) {
  std::map<std::string, double> out;
  auto& f = m.AddCounter("steady_region_requests_total", "", {"service", "operation", "code"});
  for (const auto& [labels, c] : f.Series())
    if (labels.size() >= 2 && labels[0] == "ecs") out[labels[1]] += c->value();
  return out;
}

double EcsThrottled(MetricsRegistry& m) {
  double n = 0;
  auto& f = m.AddCounter("steady_region_throttled_total", "", {"service", "operation"});
  for (const auto& [labels, c] : f.Series())
    if (!labels.empty() && labels[0] == "ecs") n += c->value();
  return n;
}

void RunMode(bool events, int n, const std::string& endpoint, const deploy::AppDefinition& def,
             const std::string& td, const std::string& queue_url, aws::ObjectStore& store,
             MetricsRegistry& region_metrics) {
  MetricsRegistry client_metrics;  // the oneshots' own (kept apart from the region's)
  auto before = EcsRequests(region_metrics);
  double throttled_before = EcsThrottled(region_metrics);
  std::atomic<int> ok{0}, failed{0}, describes{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      Clients c = Open(endpoint, client_metrics);
      std::unique_ptr<deploy::TaskBoard> board;
      if (events) {
        deploy::TaskBoardOptions bo;
        bo.queue_url = queue_url;
        board = std::make_unique<deploy::TaskBoard>(*c.sqs, store, bo, client_metrics);
      }
      deploy::OneshotOptions o;
      o.command = {"job", std::to_string(i)};
      o.started_by = "bench";
      deploy::Oneshot one(def, td, o, {*c.ecs, nullptr, board.get()}, SystemClock::Get(),
                          client_metrics);
      auto started = one.Start({});
      if (!started.ok()) {
        ++failed;
        LogWarn("bench: not started", {{"error", started.status().ToString()}});
        return;
      }
      auto r = one.Wait({});
      if (r.ok() && r->exit_code == 0) {
        ++ok;
        describes += r->describe_calls;
      } else {
        ++failed;
        LogWarn("bench: oneshot failed", {{"error", r.ok() ? "exit " + std::to_string(r->exit_code)
                                                           : r.status().ToString()}});
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto after = EcsRequests(region_metrics);
  double total = 0;
  std::string by_op;
  for (const auto& [op, v] : after) {
    double d = v - before[op];
    if (d <= 0) continue;
    total += d;
    char buf[96];
    std::snprintf(buf, sizeof buf, " %s %.2f", op.c_str(), d / n);
    by_op += buf;
  }
  std::printf(
      "%-22s oneshots %d  exit-0 %d  failed %d  ECS calls/oneshot %.2f (%s )  "
      "DescribeTasks by oneshot/oneshot %.2f  ECS throttled %.0f  wall %.0f s\n",
      events ? "events (task board)" : "polling DescribeTasks", n, ok.load(), failed.load(),
      total / n, by_op.c_str(), static_cast<double>(describes.load()) / n,
      EcsThrottled(region_metrics) - throttled_before, secs);
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200;
  const int task_seconds = argc > 2 ? std::atoi(argv[2]) : 30;
  setenv("AWS_ACCESS_KEY_ID", "steady", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "steady", 1);
  setenv("AWS_DEFAULT_REGION", "us-east-1", 1);
  LogLevel level = LogLevel::kError;
  if (const char* l = getenv("STEADY_BENCH_LOG_LEVEL")) ParseLogLevel(l, level);
  SetLogLevel(level);

  MetricsRegistry region_metrics;
  region::RegionOptions ro;
  ro.listen = "127.0.0.1:0";
  ro.boot_delay = std::chrono::seconds(1);
  auto buckets = region::ThrottleProfileBuckets("ecs");
  if (!buckets.ok()) return 1;
  ro.throttle = *buckets;
  auto region = region::Region::Open(ro, SystemClock::Get(), region_metrics);
  if (!region.ok() || !(*region)->Start().ok()) {
    std::fprintf(stderr, "cannot start the region\n");
    return 1;
  }
  // 128 CPU units / 256 MiB each: an m5.xlarge (4096 / 16 GiB) holds 32.
  const int instances = (n + 31) / 32 + 1;
  std::string setup =
      "queues: [{name: task-events}]\n"
      "rules:\n"
      "  - name: task-state\n"
      "    pattern: {source: [aws.ecs], detail-type: [ECS Task State Change]}\n"
      "    targets: [{queue: task-events}]\n"
      "clusters: [{name: bench}]\n"
      "auto_scaling_groups:\n"
      "  - {name: bench, cluster: bench, instance_types: [m5.xlarge], min: " +
      std::to_string(instances) + ", max: " + std::to_string(instances) +
      ", desired: " + std::to_string(instances) + "}\n";
  if (auto s = (*region)->ApplySetupYaml(setup, "bench.yaml"); !s.ok()) {
    std::fprintf(stderr, "setup: %s\n", s.status().ToString().c_str());
    return 1;
  }
  const std::string endpoint = (*region)->endpoint();
  Clients admin = Open(endpoint, region_metrics);
  for (int i = 0; i < 300; ++i) {
    aws::ListContainerInstancesRequest req;
    req.cluster = "bench";
    auto page = admin.ecs->ListContainerInstances(req);
    if (page.ok() && static_cast<int>(page->arns.size()) >= instances) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto def = deploy::ParseDefinition(
      "scheduler: {type: oneshot, cluster: bench}\n"
      "app: {name: job, image: 'bench/job:1', cpu: 128, memory: 256,\n"
      "      env: {STEADY_RUN_SECONDS: '" +
          std::to_string(task_seconds) + "'}}\n",
      deploy::DefinitionFormat::kYaml, "job.yaml", "job");
  if (!def.ok()) {
    std::fprintf(stderr, "definition: %s\n", def.status().ToString().c_str());
    return 1;
  }
  // Registered once here: what is measured is what a oneshot does with it.
  deploy::Deployer registrar(*admin.ecs, nullptr, SystemClock::Get());
  auto td = registrar.EnsureTaskDefinition(*def);
  auto queue = admin.sqs->GetQueueUrl("task-events");
  if (!td.ok() || !queue.ok()) {
    std::fprintf(stderr, "task definition or queue missing\n");
    return 1;
  }
  std::string dir = std::filesystem::temp_directory_path() / "steady-oneshot-bench-XXXXXX";
  if (!mkdtemp(dir.data())) return 1;
  auto store = aws::LocalObjectStore::Open(dir, {});
  if (!store.ok()) return 1;

  std::printf("%d concurrent oneshots, tasks of %d s, %d m5.xlarge, ECS throttling profile on\n", n,
              task_seconds, instances);
  RunMode(true, n, endpoint, *def, *td, *queue, **store, region_metrics);
  RunMode(false, n, endpoint, *def, *td, *queue, **store, region_metrics);
  std::filesystem::remove_all(dir);
  (*region)->Stop();
  return 0;
}

}  // namespace
}  // namespace steady

int main(int argc, char** argv) { return steady::Main(argc, argv); }
