// The fleet at scale (issue 6): an in-process Region on a ManualClock with 1,000 container
// instances (an Auto Scaling group of EC2 m5.xlarge booted into one ECS cluster) and 20,000 RUNNING
// service tasks (20 services of 1,000; 4 of them behind ELBv2 target groups carrying traffic).
// Prints p50/p99/max latencies of the ECS read and write calls the service-out daemon and the
// autoscaler make, of Region::TickFleet in steady state and right after 50 instances are
// drained (the scheduler replaces 1,000 tasks), the same reads through the HTTP front, the time
// to set the fleet up and the process's RSS.
//
//   build/<dir>/bench/region_fleet_bench [--instances 1000] [--services 20] [--ticks 60]
//                                        [--no-http]
//   bench/region_fleet.sh builds it and runs it.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/autoscaling.h"
#include "aws/ecs.h"
#include "aws/elbv2.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/metrics.h"
#include "net/http_client_curl.h"
#include "region/autoscaling_model.h"
#include "region/ec2_model.h"
#include "region/ecs_model.h"
#include "region/elbv2_model.h"
#include "region/front.h"
#include "region/region.h"

using namespace steady;
using namespace steady::region;
using nlohmann::json;

namespace {

using WallClock = std::chrono::steady_clock;

double MsSince(WallClock::time_point start) {
  return std::chrono::duration<double, std::milli>(WallClock::now() - start).count();
}

void Print(const std::string& what, std::vector<double> ms) {
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(ms.size() - 1) + 0.5);
    return ms[std::min(i, ms.size() - 1)];
  };
  std::printf("%-58s n=%-5zu p50 %9.3f ms  p99 %9.3f ms  max %9.3f ms\n", what.c_str(), ms.size(),
              at(0.5), at(0.99), ms.back());
  std::fflush(stdout);
}

// Runs `f` `n` times and returns each call's wall time.
std::vector<double> Repeat(int n, const std::function<void(int)>& f) {
  std::vector<double> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto start = WallClock::now();
    f(i);
    out.push_back(MsSince(start));
  }
  return out;
}

long StatusKiB(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
  return -1;
}

void Check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "region_fleet_bench: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  int instances = 1000, services = 20, lb_services = 4, ticks = 60;
  bool http = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--instances") && i + 1 < argc)
      instances = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--services") && i + 1 < argc)
      services = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--ticks") && i + 1 < argc)
      ticks = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--no-http"))
      http = false;
  }
  lb_services = std::min(lb_services, services);
  const int tasks_per_service = instances;  // one task of every service on every instance
  SetLogLevel(LogLevel::kWarn);
  ManualClock clock(FromUnixSeconds(1'790'000'000));
  MetricsRegistry metrics;
  RegionOptions o;
  o.listen = "127.0.0.1:0";
  auto opened = Region::Open(o, clock, metrics);
  Check(opened.ok(), "cannot open the region");
  Region& region = **opened;
  EcsModel& ecs = region.ecs();
  std::vector<double> ticks_setup;
  auto tick = [&](int seconds) {
    for (int s = 0; s < seconds; ++s) {
      clock.Advance(std::chrono::seconds(1));
      auto start = WallClock::now();
      region.TickFleet();
      ticks_setup.push_back(MsSince(start));
    }
  };

  // ---- The fleet ----
  std::printf(
      "== fleet: %d instances (m5.xlarge), %d services x %d tasks (%d behind a target "
      "group)\n",
      instances, services, tasks_per_service, lb_services);
  auto setup_start = WallClock::now();
  Check(ecs.CreateCluster("fleet", {}).ok(), "CreateCluster");
  aws::CreateAutoScalingGroupRequest asg;
  asg.auto_scaling_group_name = "fleet-od";
  asg.launch_template = aws::AsgLaunchTemplate{
      .launch_template_name = "lt", .instance_type = "m5.xlarge", .user_data = "ECS_CLUSTER=fleet"};
  asg.min_size = asg.max_size = instances;
  asg.desired_capacity = instances;
  asg.availability_zones = {"us-east-1a", "us-east-1b", "us-east-1c"};
  Check(region.autoscaling().CreateAutoScalingGroup(asg).ok(), "CreateAutoScalingGroup");
  tick(62);  // the group launches, EC2's boot_delay is 60 s
  std::vector<std::string> ci_arns;
  {
    aws::ListContainerInstancesRequest req;
    req.cluster = "fleet";
    do {
      auto page = ecs.ListContainerInstances(req);
      Check(page.ok(), "ListContainerInstances");
      ci_arns.insert(ci_arns.end(), page->arns.begin(), page->arns.end());
      req.next_token = page->next_token;
    } while (!req.next_token.empty());
  }
  Check(static_cast<int>(ci_arns.size()) == instances, "not every instance registered");
  double boot_ms = MsSince(setup_start);

  for (const char* family : {"svc", "batch"}) {
    aws::RegisterTaskDefinitionRequest td;
    td.family = family;
    aws::ContainerDefinition app;
    app.name = "app";
    app.image = std::string(family) + ":1";
    app.cpu = 128;
    app.memory = 256;
    if (std::string(family) == "svc") app.port_mappings = {{.container_port = 8080}};
    td.container_definitions = {app};
    Check(ecs.RegisterTaskDefinition(td).ok(), "RegisterTaskDefinition");
  }
  std::vector<std::string> tgs;
  for (int k = 0; k < lb_services; ++k) {
    aws::CreateTargetGroupRequest tg;
    tg.name = "tg" + std::to_string(k);
    tg.health_check_interval_seconds = 5;
    tg.healthy_threshold_count = 2;
    auto created = region.elbv2().CreateTargetGroup(tg);
    Check(created.ok(), "CreateTargetGroup");
    tgs.push_back(created->target_group_arn);
    Check(region.elbv2()
              .ModifyTargetGroupAttributes(tgs.back(),
                                           {{"deregistration_delay.timeout_seconds", "30"}})
              .ok(),
          "ModifyTargetGroupAttributes");
  }
  auto services_start = WallClock::now();
  for (int k = 0; k < services; ++k) {
    aws::CreateServiceRequest svc;
    svc.cluster = "fleet";
    svc.service_name = "svc" + std::to_string(k);
    svc.task_definition = "svc";
    svc.desired_count = tasks_per_service;
    if (k < lb_services) svc.load_balancers = {{tgs[k], "app", 8080}};
    Check(ecs.CreateService(svc).ok(), "CreateService");
  }
  auto running = [&] {
    aws::EcsCluster c = ecs.DescribeClusters({"fleet"})->items.at(0);
    return c.running_tasks_count;
  };
  int waited = 0;
  while (running() < services * tasks_per_service && waited < 120) {
    tick(1);
    ++waited;
  }
  Check(running() == services * tasks_per_service, "the services did not reach their count");
  tick(20);  // targets healthy, services steady
  for (const auto& tg : tgs) Check(region.elbv2().SetTraffic(tg, 2000, 0.1).ok(), "SetTraffic");
  tick(5);
  double services_ms = MsSince(services_start);
  std::printf(
      "setup: %d instances booted and registered in %.0f ms; %d tasks RUNNING and "
      "steady in %.0f ms (%d ticks); total %.1f s\n",
      instances, boot_ms, running(), services_ms, waited + 25, MsSince(setup_start) / 1000);
  Print("TickFleet during setup (boot, placement of 20,000)", ticks_setup);
  std::printf("rss after setup: %.1f MiB (peak %.1f MiB)\n", StatusKiB("VmRSS:") / 1024.0,
              StatusKiB("VmHWM:") / 1024.0);

  std::mt19937 rng(42);
  auto pick = [&](int n) {
    std::vector<std::string> out;
    std::vector<size_t> idx(ci_arns.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::shuffle(idx.begin(), idx.end(), rng);
    for (int i = 0; i < n && i < static_cast<int>(idx.size()); ++i) out.push_back(ci_arns[idx[i]]);
    return out;
  };
  std::vector<aws::ContainerInstance> described_all;
  for (size_t i = 0; i < ci_arns.size(); i += 100) {
    std::vector<std::string> ids(ci_arns.begin() + i,
                                 ci_arns.begin() + std::min(ci_arns.size(), i + 100));
    auto d = ecs.DescribeContainerInstances("fleet", ids);
    Check(d.ok(), "DescribeContainerInstances");
    described_all.insert(described_all.end(), d->items.begin(), d->items.end());
  }

  // ---- Reads ----
  const int batch = std::min(100, instances);  // ids per Describe call
  std::printf("\n== ECS calls in-process (model lock, no JSON)\n");
  Print("DescribeContainerInstances x100 ids", Repeat(200, [&](int) {
          auto d = ecs.DescribeContainerInstances("fleet", pick(batch));
          Check(d.ok() && static_cast<int>(d->items.size()) == batch, "DescribeContainerInstances");
        }));
  Print("ListContainerInstances filter ec2InstanceId in [100]", Repeat(50, [&](int) {
          std::vector<size_t> idx(described_all.size());
          for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
          std::shuffle(idx.begin(), idx.end(), rng);
          std::string filter = "ec2InstanceId in [";
          for (int k = 0; k < batch; ++k)
            filter += (k ? "," : "") + described_all[idx[k]].ec2_instance_id;
          filter += "]";
          aws::ListContainerInstancesRequest req;
          req.cluster = "fleet";
          req.filter = filter;
          auto page = ecs.ListContainerInstances(req);
          Check(page.ok() && static_cast<int>(page->arns.size()) == batch,
                "ListContainerInstances filter");
        }));
  Print("ListTasks containerInstance=one (20 tasks)", Repeat(200, [&](int) {
          aws::ListTasksRequest req;
          req.cluster = "fleet";
          req.container_instance = pick(1)[0];
          auto page = ecs.ListTasks(req);
          Check(page.ok() && !page->arns.empty(), "ListTasks by instance");
        }));
  std::vector<std::string> task_arns;
  Print("ListTasks all pages of the cluster (200 pages)", Repeat(5, [&](int) {
          task_arns.clear();
          aws::ListTasksRequest req;
          req.cluster = "fleet";
          do {
            auto page = ecs.ListTasks(req);
            Check(page.ok(), "ListTasks");
            task_arns.insert(task_arns.end(), page->arns.begin(), page->arns.end());
            req.next_token = page->next_token;
          } while (!req.next_token.empty());
        }));
  Check(static_cast<int>(task_arns.size()) == services * tasks_per_service, "ListTasks count");
  Print("ListTasks serviceName=svc0, first page", Repeat(100, [&](int) {
          aws::ListTasksRequest req;
          req.cluster = "fleet";
          req.service_name = "svc0";
          Check(ecs.ListTasks(req).ok(), "ListTasks by service");
        }));
  Print("DescribeTasks x100", Repeat(200, [&](int) {
          std::vector<std::string> ids;
          for (int k = 0; k < 100; ++k) ids.push_back(task_arns[rng() % task_arns.size()]);
          auto d = ecs.DescribeTasks("fleet", ids);
          Check(d.ok() && d->items.size() == 100, "DescribeTasks");
        }));
  Print("DescribeServices x10", Repeat(50, [&](int) {
          std::vector<std::string> names;
          for (int k = 0; k < std::min(10, services); ++k)
            names.push_back("svc" + std::to_string(k));
          Check(ecs.DescribeServices("fleet", names).ok(), "DescribeServices");
        }));

  // ---- Writes ----
  std::printf("\n== ECS writes in-process (journal in memory)\n");
  std::vector<std::string> batch_tasks;
  auto run = [&](int count) {
    aws::RunTaskRequest req;
    req.cluster = "fleet";
    req.task_definition = "batch";
    req.count = count;
    auto r = ecs.RunTask(req);
    Check(r.ok() && static_cast<int>(r->items.size()) == count, "RunTask");
    for (const auto& t : r->items) batch_tasks.push_back(t.task_arn);
  };
  Print("RunTask count=1 (random placement)", Repeat(100, [&](int) { run(1); }));
  Print("RunTask count=10", Repeat(50, [&](int) { run(10); }));
  Print("RunTask count=1 spread(instanceId)", Repeat(50, [&](int) {
          aws::RunTaskRequest req;
          req.cluster = "fleet";
          req.task_definition = "batch";
          req.placement_strategy = {{"spread", "instanceId"}};
          auto r = ecs.RunTask(req);
          Check(r.ok() && r->items.size() == 1, "RunTask spread");
          batch_tasks.push_back(r->items[0].task_arn);
        }));
  Print("StopTask", Repeat(300, [&](int i) {
          Check(ecs.StopTask("fleet", batch_tasks[i], "bench").ok(), "StopTask");
        }));
  Print("UpdateContainerInstancesState DRAINING x10 (then ACTIVE)", Repeat(20, [&](int) {
          auto ids = pick(10);
          Check(ecs.UpdateContainerInstancesState("fleet", ids, "DRAINING").ok(), "DRAINING");
          Check(ecs.UpdateContainerInstancesState("fleet", ids, "ACTIVE").ok(), "ACTIVE");
        }));
  Print("UpdateContainerInstancesState DRAINING of 20 (2 calls)", Repeat(10, [&](int) {
          auto ids = pick(20);
          std::vector<std::string> a(ids.begin(), ids.begin() + 10), b(ids.begin() + 10, ids.end());
          Check(ecs.UpdateContainerInstancesState("fleet", a, "DRAINING").ok(), "DRAINING");
          Check(ecs.UpdateContainerInstancesState("fleet", b, "DRAINING").ok(), "DRAINING");
          (void)ecs.UpdateContainerInstancesState("fleet", a, "ACTIVE");
          (void)ecs.UpdateContainerInstancesState("fleet", b, "ACTIVE");
        }));

  // ---- Ticks ----
  std::printf("\n== TickFleet (EC2, Auto Scaling, ECS, ELBv2; traffic 4 x 2000 req/s)\n");
  tick(30);  // the batch tasks started above settle
  Print("TickFleet steady state", Repeat(ticks, [&](int) {
          clock.Advance(std::chrono::seconds(1));
          region.TickFleet();
        }));
  auto drained = pick(50);
  for (size_t i = 0; i < drained.size(); i += 10) {
    std::vector<std::string> ids(drained.begin() + i, drained.begin() + i + 10);
    Check(ecs.UpdateContainerInstancesState("fleet", ids, "DRAINING").ok(), "DRAINING 50");
  }
  std::vector<double> after;
  auto drain_start = WallClock::now();
  int drain_ticks = 0;
  // Service tasks not yet STOPPED on the drained instances, draining ones included
  // (standalone RunTask tasks stay on DRAINING instances, as in ECS, so they are not waited
  // for).
  auto left_on_drained = [&] {
    int n = 0;
    for (const auto& arn : drained) {
      std::vector<std::string> on;
      for (const char* desired : {"RUNNING", "STOPPED"}) {
        aws::ListTasksRequest req;
        req.cluster = "fleet";
        req.container_instance = arn;
        req.desired_status = desired;
        do {
          auto page = ecs.ListTasks(req);
          Check(page.ok(), "ListTasks on a drained instance");
          on.insert(on.end(), page->arns.begin(), page->arns.end());
          req.next_token = page->next_token;
        } while (!req.next_token.empty());
      }
      for (size_t i = 0; i < on.size(); i += 100) {
        std::vector<std::string> ids(on.begin() + i, on.begin() + std::min(on.size(), i + 100));
        auto d = ecs.DescribeTasks("fleet", ids);
        Check(d.ok(), "DescribeTasks on a drained instance");
        for (const auto& t : d->items)
          n += t.group.rfind("service:", 0) == 0 && t.last_status != "STOPPED" ? 1 : 0;
      }
    }
    return n;
  };
  while (drain_ticks < 300) {
    clock.Advance(std::chrono::seconds(1));
    auto start = WallClock::now();
    region.TickFleet();
    after.push_back(MsSince(start));
    ++drain_ticks;
    if (drain_ticks % 10 == 0 && left_on_drained() == 0) break;
  }
  std::printf(
      "drain of 50 instances: %d service tasks left on them after %d s of virtual time (%.0f "
      "ms wall); RUNNING in the cluster %d\n",
      left_on_drained(), drain_ticks, MsSince(drain_start), running());
  Print("TickFleet first 5 ticks after the drain",
        std::vector<double>(after.begin(), after.begin() + 5));
  Print("TickFleet during the drain's replacement", after);
  Print("TickFleet steady state after the drain", Repeat(ticks / 2, [&](int) {
          clock.Advance(std::chrono::seconds(1));
          region.TickFleet();
        }));
  for (const auto& tg : tgs) {
    auto t = region.elbv2().Traffic(tg);
    std::printf("traffic %s: served %lld failed %lld\n", tg.substr(tg.rfind(':') + 1).c_str(),
                static_cast<long long>(t->served), static_cast<long long>(t->failed));
  }

  // ---- HTTP ----
  if (http) {
    std::printf("\n== through the HTTP front (awsJson 1.1, curl keep-alive, no signing)\n");
    FrontOptions fo;
    fo.listen = "127.0.0.1:0";
    fo.threads = 2;
    RegionFront front(fo, clock, metrics);
    front.Register(ecs.MakeFront());
    Check(front.Start().ok(), "front");
    net::CurlHttpClient client;
    size_t bytes = 0;
    auto call = [&](const std::string& op, const json& body) {
      net::HttpRequest req;
      req.method = "POST";
      req.url = front.base_url() + "/";
      req.body = body.dump();
      req.headers.Add("Content-Type", "application/x-amz-json-1.1");
      req.headers.Add("X-Amz-Target", "AmazonEC2ContainerServiceV20141113." + op);
      auto resp = client.Send(req);
      Check(resp.ok() && resp->status == 200, op + " over HTTP");
      bytes = resp->body.size();
    };
    Print("HTTP DescribeContainerInstances x100 ids", Repeat(100, [&](int) {
            call("DescribeContainerInstances",
                 {{"cluster", "fleet"}, {"containerInstances", pick(batch)}});
          }));
    std::printf("  (response %zu bytes)\n", bytes);
    Print("HTTP ListTasks containerInstance=one", Repeat(200, [&](int) {
            call("ListTasks", {{"cluster", "fleet"}, {"containerInstance", pick(1)[0]}});
          }));
    Print("HTTP ListTasks one page of 100", Repeat(100, [&](int) {
            call("ListTasks", {{"cluster", "fleet"}});
          }));
    Print("HTTP DescribeTasks x100", Repeat(100, [&](int) {
            std::vector<std::string> ids;
            for (int k = 0; k < 100; ++k) ids.push_back(task_arns[rng() % task_arns.size()]);
            call("DescribeTasks", {{"cluster", "fleet"}, {"tasks", ids}});
          }));
    std::printf("  (response %zu bytes)\n", bytes);
    front.Stop();
  }
  std::printf("\nrss at the end: %.1f MiB (peak %.1f MiB)\n", StatusKiB("VmRSS:") / 1024.0,
              StatusKiB("VmHWM:") / 1024.0);
  return 0;
}
