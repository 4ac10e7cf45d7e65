#include <CLI/CLI.hpp>

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

void AddRegionCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("region", "Serve an AWS-compatible region on one machine");
  struct Flags {
    std::string listen, state, region, account;
    std::vector<std::string> verify_keys;
    std::vector<std::string> throttle, throttle_profiles;
    uint64_t seed = 42;
  };
  static Flags f;
  cmd->add_option("--listen", f.listen, "HOST:PORT to serve on (default 127.0.0.1:4566)");
  cmd->add_option("--state", f.state, "directory that keeps the region's state across restarts");
  cmd->add_option("--region", f.region, "region name (default us-east-1)");
  cmd->add_option("--account", f.account, "account id (default 000000000000)");
  cmd->add_option("--verify-key", f.verify_keys,
                  "AKID:SECRET; when given, requests must be signed with one of these keys");
  cmd->add_option("--seed", f.seed, "seed for ids (deterministic runs)");
  cmd->add_option("--throttle", f.throttle,
                  "SERVICE:Operation=BURST/RATE (or SERVICE:*=...): answer the service's "
                  "throttling error past this token bucket (repeatable)");
  cmd->add_option("--throttle-profile", f.throttle_profiles,
                  "named set of throttle buckets, e.g. cloudwatch (repeatable)");
  auto* apply = cmd->add_subcommand(
      "apply",
      "Create the queues, topics, rules and buckets declared in a file, in a running region");
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

  cmd->callback([&global, apply] {
    if (apply->parsed()) return;
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
