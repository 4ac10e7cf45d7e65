// Generates service logs for bench/logs.sh: one stream (family/container), one object per
// minute in the service-logs layout (logs/layout.h), lines in the stored format
// (logs/log_record.h), multi-member gzip (isa-l level 1, ~1 MiB of lines per member, as the
// aggregator writes). A fixed share of lines holds "ERROR" in the log field; no other line holds
// it anywhere. Deterministic (fixed seed).
//
//   logs_gen DIR [--minutes 60] [--lines 1200000] [--error-rate 0.03]
//            [--family my_awesome_app] [--container app] [--start 2018-11-28T10:00:00Z]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "base/time_format.h"
#include "logs/gzip.h"
#include "logs/layout.h"
#include "logs/log_record.h"

namespace {

const char* kWords[] = {"request", "user",  "cache",   "miss",    "hit",     "order",
                        "payment", "queue", "latency", "db",      "timeout", "retry",
                        "session", "token", "upload",  "account", "invoice", "shard"};
const char* kPaths[] = {"/api/v1/orders",    "/api/v1/users/me",       "/healthz",
                        "/static/app.js",    "/api/v2/search?q=shoes", "/login",
                        "/api/v1/cart/items"};
const char* kLevels[] = {"INFO", "INFO", "INFO", "DEBUG", "WARN"};

std::string Hex(std::mt19937_64& rng, int n) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) s += kHex[rng() % 16];
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace steady;
  if (argc < 2) {
    std::fprintf(stderr, "usage: logs_gen DIR [--minutes N] [--lines N] [--error-rate R] ...\n");
    return 2;
  }
  std::string dir = argv[1];
  int minutes = 60;
  long lines = 1'200'000;
  double error_rate = 0.03;
  std::string family = "my_awesome_app", container = "app", start = "2018-11-28T10:00:00Z";
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--minutes")
      minutes = std::atoi(v.c_str());
    else if (k == "--lines")
      lines = std::atol(v.c_str());
    else if (k == "--error-rate")
      error_rate = std::atof(v.c_str());
    else if (k == "--family")
      family = v;
    else if (k == "--container")
      container = v;
    else if (k == "--start")
      start = v;
    else {
      std::fprintf(stderr, "logs_gen: unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  auto t0 = ParseRfc3339(start);
  if (!t0.ok() || minutes <= 0 || lines <= 0) {
    std::fprintf(stderr, "logs_gen: bad arguments\n");
    return 2;
  }
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  std::string tasks[8], arns[8], cids[8];
  for (int t = 0; t < 8; ++t) {
    tasks[t] = Hex(rng, 32);
    arns[t] = "arn:aws:ecs:us-east-1:123456789012:task/my-cluster/" + tasks[t];
    cids[t] = Hex(rng, 64);
  }
  auto gz = logs::NewGzipCompressor(logs::GzipCodec::kIsal);
  const long per_minute = lines / minutes;
  uint64_t raw_total = 0, gz_total = 0, errors = 0;
  int64_t minute0 = ToUnixNanos(*t0) / 60'000'000'000;
  for (int m = 0; m < minutes; ++m) {
    std::string member, object, line;
    for (long i = 0; i < per_minute; ++i) {
      int64_t ns = (minute0 + m) * 60'000'000'000 + i * (60'000'000'000 / per_minute) +
                   static_cast<int64_t>(rng() % 1000);
      int t = static_cast<int>(rng() % 8);
      std::string log;
      bool error = u(rng) < error_rate;
      if (error) {
        ++errors;
        log = "ERROR " + std::string(kWords[rng() % 18]) + " failed: " + kWords[rng() % 18] + " " +
              kWords[rng() % 18] + " after " + std::to_string(rng() % 30000) + "ms (attempt " +
              std::to_string(rng() % 5) + ") id=" + Hex(rng, 16);
      } else if (rng() % 2) {
        log = "10.0." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) +
              " - - \\\"GET " + kPaths[rng() % 7] + " HTTP/1.1\\\" " +
              std::to_string(200 + (rng() % 3) * 100) + " " + std::to_string(rng() % 90000) + " " +
              std::to_string(rng() % 900) + "ms";
      } else {
        log = std::string(kLevels[rng() % 5]) + " " + kWords[rng() % 18] + " " +
              kWords[rng() % 18] + " " + kWords[rng() % 18] + " done in " +
              std::to_string(rng() % 900) + "ms user=" + Hex(rng, 12) + " region=us-east-1";
      }
      line.clear();
      line += "{\"time\":\"";
      logs::EventTime et{ns / 1'000'000'000, static_cast<uint32_t>(ns % 1'000'000'000)};
      logs::AppendRfc3339Nanos(et, &line);
      line += "\",\"log\":\"" + log + "\",\"source\":\"stdout\",\"container_id\":\"" + cids[t] +
              "\",\"task_id\":\"" + tasks[t] + "\",\"task_arn\":\"" + arns[t] + "\",\"family\":\"" +
              family + "\",\"container\":\"" + container + "\",\"cluster\":\"my-cluster\"}\n";
      member += line;
      if (member.size() >= (1u << 20)) {
        gz->CompressMember(member, &object);
        raw_total += member.size();
        member.clear();
      }
    }
    if (!member.empty()) {
      gz->CompressMember(member, &object);
      raw_total += member.size();
    }
    logs::ServiceLogKey key{"service-logs", family, container,
                            logs::ObjectBaseName{minute0 + m, 0, "bench"}};
    std::filesystem::path path = std::filesystem::path(dir) / logs::FormatServiceLogKey(key);
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary).write(object.data(), static_cast<long>(object.size()));
    gz_total += object.size();
  }
  std::printf("objects %d lines %ld errors %llu raw_bytes %llu gzip_bytes %llu\n", minutes,
              per_minute * minutes, static_cast<unsigned long long>(errors),
              static_cast<unsigned long long>(raw_total),
              static_cast<unsigned long long>(gz_total));
  return 0;
}
