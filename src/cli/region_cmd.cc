#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/signals.h"
#include "cli/commands.h"
#include "net/http_client_curl.h"
#include "region/region.h"
#include "region/throttle_profiles.h"

namespace steady::cli {

namespace {

// Calls the running region's admin API; prints the error and exits 1 on failure.
nlohmann::json AdminCall(const char* command, const std::string& method, const std::string& url,
                         const std::string& body) {
  net::CurlHttpClient http;
  net::HttpRequest req{.method = method, .url = url, .body = body};
  if (!body.empty()) req.headers.Set("Content-Type", "application/json");
  auto resp = http.Send(req);
  if (!resp.ok()) {
    std::fprintf(stderr, "steady region %s: %s\n", command, resp.status().ToString().c_str());
    throw CLI::RuntimeError(1);
  }
  nlohmann::json out = nlohmann::json::parse(resp->body, nullptr, false);
  if (resp->status != 200 || out.is_discarded()) {
    std::string why = !out.is_discarded() && out.is_object() && out.contains("error")
                          ? out["error"].get<std::string>()
                          : resp->body;
    std::fprintf(stderr, "steady region %s: HTTP %d: %s\n", command, resp->status, why.c_str());
    throw CLI::RuntimeError(1);
  }
  return out;
}

std::string Str(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) return "-";
  const auto& v = j[key];
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  return v.dump();
}

// The fleet summary (GET /_steady/fleet) as tables.
void PrintFleet(const nlohmann::json& fleet) {
  std::printf("%-21s %-11s %-9s %-13s %-11s %-16s %-9s %s\n", "INSTANCE", "TYPE", "LIFECYCLE",
              "STATE", "AZ", "CLUSTER", "AGENT", "TASKS");
  for (const auto& i : fleet["instances"])
    std::printf("%-21s %-11s %-9s %-13s %-11s %-16s %-9s %s\n", Str(i, "id").c_str(),
                Str(i, "type").c_str(), Str(i, "lifecycle").c_str(), Str(i, "state").c_str(),
                Str(i, "az").c_str(), Str(i, "cluster").c_str(),
                Str(i, "container_instance_status").c_str(), Str(i, "running_tasks").c_str());
  std::printf("\n%-16s %-9s %-7s %-7s %-7s %s\n", "CLUSTER", "INSTANCES", "TASKS", "CPU%", "MEM%",
              "SERVICES");
  for (const auto& c : fleet["clusters"])
    std::printf(
        "%-16s %-9d %-7s %-7.1f %-7.1f %s\n", Str(c, "name").c_str(),
        c["container_instances"].value("active", 0) + c["container_instances"].value("draining", 0),
        Str(c, "running_tasks").c_str(), c.value("cpu_reservation_percent", 0.0),
        c.value("memory_reservation_percent", 0.0), Str(c, "active_services").c_str());
  std::printf("\n%-16s %-16s %-7s %-7s %-7s %-11s %s\n", "SERVICE", "CLUSTER", "DESIRED", "RUNNING",
              "PENDING", "DEPLOYMENTS", "LAST EVENT");
  for (const auto& s : fleet["services"]) {
    std::string rollout;
    for (const auto& d : s["deployments"])
      rollout += (rollout.empty() ? "" : ",") + Str(d, "rollout_state");
    std::printf("%-16s %-16s %-7s %-7s %-7s %-11s %s\n", Str(s, "name").c_str(),
                Str(s, "cluster").c_str(), Str(s, "desired").c_str(), Str(s, "running").c_str(),
                Str(s, "pending").c_str(), rollout.empty() ? "-" : rollout.c_str(),
                Str(s, "last_event").c_str());
  }
  std::printf("\n%-16s %-7s %-7s %-10s %-10s %s\n", "TARGET GROUP", "HEALTHY", "RPS", "SERVED",
              "FAILED", "IN FLIGHT");
  for (const auto& g : fleet["target_groups"])
    std::printf("%-16s %-7s %-7s %-10s %-10s %s\n", Str(g, "name").c_str(),
                Str(g, "healthy").c_str(), Str(g, "requests_per_second").c_str(),
                Str(g, "served").c_str(), Str(g, "failed").c_str(), Str(g, "in_flight").c_str());
}

}  // namespace

void AddRegionCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("region", "Serve an AWS-compatible region on one machine");
  struct Flags {
    std::string listen, state, region, account;
    std::vector<std::string> verify_keys;
    std::vector<std::string> throttle, throttle_profiles;
    uint64_t seed = 42;
    double boot_delay = 60;
    double spot_interruptions_per_hour = 0;
  };
  static Flags f;
  cmd->add_option("--listen", f.listen, "HOST:PORT to serve on (default 127.0.0.1:4566)");
  cmd->add_option("--state", f.state, "directory that keeps the region's state across restarts");
  cmd->add_option("--region", f.region, "region name (default us-east-1)");
  cmd->add_option("--account", f.account, "account id (default 000000000000)");
  cmd->add_option("--verify-key", f.verify_keys,
                  "AKID:SECRET; when given, requests must be signed with one of these keys");
  cmd->add_option("--seed", f.seed, "seed for ids (deterministic runs)");
  cmd->add_option("--boot-delay", f.boot_delay,
                  "seconds a new EC2 instance stays pending before it boots (default 60)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--spot-interruptions-per-hour", f.spot_interruptions_per_hour,
                  "random spot interruptions per running spot instance-hour (default 0: only "
                  "`steady region interrupt`)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--throttle", f.throttle,
                  "SERVICE:Operation=BURST/RATE (or SERVICE:*=...): answer the service's "
                  "throttling error past this token bucket (repeatable)");
  cmd->add_option("--throttle-profile", f.throttle_profiles,
                  "named set of throttle buckets, e.g. cloudwatch (repeatable)");
  auto* apply = cmd->add_subcommand(
      "apply",
      "Create the queues, topics, rules, buckets and fleet declared in a file, in a running "
      "region");
  static std::string apply_file, apply_endpoint = "http://127.0.0.1:4566";
  apply->add_option("file", apply_file, "setup YAML (see examples/local-setup.yaml)")->required();
  apply->add_option("--endpoint", apply_endpoint, "the running region");
  apply->callback([] {
    std::ifstream in(apply_file);
    if (!in) throw CLI::ValidationError("file", "cannot read " + apply_file);
    std::stringstream ss;
    ss << in.rdbuf();
    net::CurlHttpClient http;
    net::HttpRequest req{
        .method = "POST", .url = apply_endpoint + "/_steady/apply", .body = ss.str()};
    req.headers.Set("Content-Type", "application/yaml");
    auto resp = http.Send(req);
    if (!resp.ok()) {
      std::fprintf(stderr, "steady region apply: %s\n", resp.status().ToString().c_str());
      throw CLI::RuntimeError(1);
    }
    std::printf("%s", resp->body.c_str());
    if (resp->status != 200) throw CLI::RuntimeError(1);
  });

  auto* interrupt = cmd->add_subcommand(
      "interrupt", "Interrupt spot instances now: the two-minute warning, then termination");
  static std::vector<std::string> interrupt_ids;
  static bool interrupt_rebalance = false;
  static std::string admin_endpoint = "http://127.0.0.1:4566";
  interrupt->add_option("instances", interrupt_ids, "instance ids (spot)")->required();
  interrupt->add_flag("--rebalance", interrupt_rebalance,
                      "send the rebalance recommendation first, the warning two minutes later");
  interrupt->add_option("--endpoint", admin_endpoint, "the running region");
  interrupt->callback([] {
    nlohmann::json body = {{"instances", interrupt_ids}, {"rebalance", interrupt_rebalance}};
    auto out = AdminCall("interrupt", "POST", admin_endpoint + "/_steady/interrupt", body.dump());
    std::printf("interrupted %zu instance(s)%s\n", out["interrupted"].size(),
                interrupt_rebalance ? " (rebalance recommendation first)" : "");
  });

  auto* traffic = cmd->add_subcommand("traffic", "Set a target group's request rate");
  static std::string traffic_group;
  static double traffic_rps = 0, traffic_seconds = 0.1;
  traffic->add_option("target_group", traffic_group, "target group name or ARN")->required();
  traffic->add_option("rps", traffic_rps, "requests per second (0 stops)")
      ->required()
      ->check(CLI::NonNegativeNumber);
  traffic->add_option("--request-seconds", traffic_seconds, "how long each request lasts")
      ->check(CLI::NonNegativeNumber);
  traffic->add_option("--endpoint", admin_endpoint, "the running region");
  traffic->callback([] {
    nlohmann::json body = {{"target_group", traffic_group},
                           {"requests_per_second", traffic_rps},
                           {"request_seconds", traffic_seconds}};
    auto out = AdminCall("traffic", "POST", admin_endpoint + "/_steady/traffic", body.dump());
    std::printf("%s: %g requests/s of %g s\n", out.value("target_group_arn", "").c_str(),
                traffic_rps, traffic_seconds);
  });

  auto* status = cmd->add_subcommand(
      "status", "Show the fleet: instances, services, target groups and their traffic");
  static bool status_json = false;
  status->add_flag("--json", status_json, "print GET /_steady/fleet as it is");
  status->add_option("--endpoint", admin_endpoint, "the running region");
  status->callback([] {
    auto fleet = AdminCall("status", "GET", admin_endpoint + "/_steady/fleet", "");
    if (status_json) {
      std::printf("%s\n", fleet.dump(2).c_str());
      return;
    }
    PrintFleet(fleet);
  });

  cmd->callback([&global, apply, interrupt, traffic, status] {
    if (apply->parsed() || interrupt->parsed() || traffic->parsed() || status->parsed()) return;
    auto config =
        global.config_file.empty() ? Config::Empty() : Config::LoadFile(global.config_file);
    if (!config.ok()) throw CLI::ValidationError("--config", config.status().message());
    ConfigNode sec = config->Section("region");
    if (Status s = sec.CheckKeys({"listen", "state", "region", "account", "verify_keys", "seed",
                                  "throttle", "throttle_profile"});
        !s.ok())
      throw CLI::ValidationError("--config", s.message());
    region::RegionOptions o;
    auto pick = [&](const std::string& flag, const char* key, std::string fallback) {
      if (!flag.empty()) return flag;
      auto v = sec.String(key, fallback);
      if (!v.ok()) throw CLI::ValidationError("--config", v.status().message());
      return *v;
    };
    o.listen = pick(f.listen, "listen", "127.0.0.1:4566");
    o.state_dir = pick(f.state, "state", "");
    o.region = pick(f.region, "region", "us-east-1");
    o.account_id = pick(f.account, "account", "000000000000");
    o.seed = f.seed;
    o.boot_delay =
        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(f.boot_delay));
    o.spot_interruptions_per_hour = f.spot_interruptions_per_hour;
    auto keys = sec.StringList("verify_keys");
    if (!keys.ok()) throw CLI::ValidationError("--config", keys.status().message());
    std::vector<std::string> all = *keys;
    all.insert(all.end(), f.verify_keys.begin(), f.verify_keys.end());
    for (const auto& k : all) {
      size_t colon = k.find(':');
      if (colon == std::string::npos)
        throw CLI::ValidationError("--verify-key", "expected AKID:SECRET, got '" + k + "'");
      o.verify_keys[k.substr(0, colon)] = k.substr(colon + 1);
    }

    // Throttle buckets: config (profiles, then buckets), then flag profiles, then flags.
    auto throttle = region::ThrottleFromConfig(sec);
    if (!throttle.ok()) throw CLI::ValidationError("--config", throttle.status().message());
    o.throttle = *throttle;
    for (const auto& name : f.throttle_profiles) {
      auto buckets = region::ThrottleProfileBuckets(name);
      if (!buckets.ok())
        throw CLI::ValidationError("--throttle-profile", buckets.status().message());
      for (const auto& [k, b] : *buckets) o.throttle[k] = b;
    }
    for (const auto& spec : f.throttle) {
      auto parsed = region::ParseThrottleSpec(spec);
      if (!parsed.ok()) throw CLI::ValidationError("--throttle", parsed.status().message());
      o.throttle[parsed->first] = parsed->second;
    }

    auto region = region::Region::Open(o, SystemClock::Get(), MetricsRegistry::Default());
    if (!region.ok()) {
      LogError("region: cannot open", {{"error", region.status().ToString()}});
      throw CLI::RuntimeError(1);
    }
    if (Status s = (*region)->Start(); !s.ok()) {
      LogError("region: cannot start", {{"error", s.ToString()}});
      throw CLI::RuntimeError(1);
    }
    std::printf("steady region serving %s (%s, account %s)%s\n", (*region)->endpoint().c_str(),
                o.region.c_str(), o.account_id.c_str(),
                o.state_dir.empty() ? "" : (", state in " + o.state_dir).c_str());
    std::fflush(stdout);
    int sig = WaitForTerminationSignal();
    LogInfo("region: stopping", {{"signal", sig}});
    (*region)->Stop();
  });
}

}  // namespace steady::cli
