// Decode + encode speed of the Forward protocol hot path: PackedForward messages of ECS-shaped
// records (Docker fluentd driver with the ECS labels, ~500 bytes each) parsed, walked and turned
// into JSON lines. Reports records/s (items) and input MB/s (bytes).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "logs/forward_protocol.h"
#include "logs/gzip.h"
#include "logs/log_record.h"

namespace steady::logs {
namespace {

void PackStr(std::string* out, std::string_view s) {
  size_t n = s.size();
  if (n < 32) {
    out->push_back(static_cast<char>(0xa0 | n));
  } else if (n < 256) {
    out->push_back(static_cast<char>(0xd9));
    out->push_back(static_cast<char>(n));
  } else {
    out->push_back(static_cast<char>(0xda));
    out->push_back(static_cast<char>(n >> 8));
    out->push_back(static_cast<char>(n));
  }
  out->append(s);
}

// A record as the Docker fluentd driver sends it with the ECS labels.
std::string EcsRecord(std::mt19937& rng, int family) {
  static const char* kPaths[] = {"/api/v1/orders", "/health", "/api/v1/users/42/profile",
                                 "/static/app.js", "/api/v2/search?q=shoes&page=3"};
  char hex[65];
  for (int i = 0; i < 64; ++i) hex[i] = "0123456789abcdef"[rng() % 16];
  hex[64] = 0;
  std::string fam = "service-" + std::to_string(family);
  std::string log = "10.0." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) +
                    " - - [28/Nov/2018:01:02:03 +0000] \"GET " + kPaths[rng() % 5] +
                    " HTTP/1.1\" 200 " + std::to_string(rng() % 100000) +
                    " \"-\" \"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\" rt=0." +
                    std::to_string(rng() % 1000);
  std::string r;
  r.push_back(static_cast<char>(0x88));
  PackStr(&r, "container_id");
  PackStr(&r, hex);
  PackStr(&r, "container_name");
  PackStr(&r, "/ecs-" + fam + "-12-app-" + std::string(hex, 16));
  PackStr(&r, "source");
  PackStr(&r, "stdout");
  PackStr(&r, "log");
  PackStr(&r, log);
  PackStr(&r, "com.amazonaws.ecs.cluster");
  PackStr(&r, "prod");
  PackStr(&r, "com.amazonaws.ecs.container-name");
  PackStr(&r, "app");
  PackStr(&r, "com.amazonaws.ecs.task-arn");
  PackStr(&r, "arn:aws:ecs:us-east-1:123456789012:task/prod/" + std::string(hex, 32));
  PackStr(&r, "com.amazonaws.ecs.task-definition-family");
  PackStr(&r, fam);
  return r;
}

struct Batch {
  std::string message;
  size_t records = 0;
  size_t record_bytes = 0;
};

Batch MakeBatch(size_t n, bool compress) {
  std::mt19937 rng(42);
  std::vector<std::pair<EventTime, std::string>> events;
  Batch b;
  for (size_t i = 0; i < n; ++i) {
    events.push_back({{1543366923 + static_cast<int64_t>(i / 1000), static_cast<uint32_t>(i)},
                      EcsRecord(rng, static_cast<int>(i % 20))});
    b.record_bytes += events.back().second.size();
  }
  b.records = n;
  b.message = EncodePackedForward("docker.app", events, "chunk-id", compress);
  return b;
}

void BM_Decode(benchmark::State& state) {
  Batch b = MakeBatch(1000, false);
  ForwardLimits limits;
  std::string scratch;
  size_t sink = 0;
  for (auto _ : state) {
    ForwardMessage msg;
    auto n = ParseForwardMessage(b.message, limits, &msg);
    Status s = ForEachEvent(msg, limits, &scratch, [&](EventTime t, std::string_view r) {
      sink += r.size() + static_cast<size_t>(t.nanos);
      return Status::Ok();
    });
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(n);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * b.records);
  state.SetBytesProcessed(state.iterations() * b.message.size());
  state.counters["record_bytes"] = static_cast<double>(b.record_bytes) / b.records;
}
BENCHMARK(BM_Decode);

void DecodeEncode(benchmark::State& state, bool compress) {
  Batch b = MakeBatch(1000, compress);
  ForwardLimits limits;
  RecordEncoder encoder;
  std::string scratch, lines;
  Route route;
  size_t out_bytes = 0;
  for (auto _ : state) {
    ForwardMessage msg;
    auto n = ParseForwardMessage(b.message, limits, &msg);
    lines.clear();
    Status s = ForEachEvent(msg, limits, &scratch, [&](EventTime t, std::string_view r) {
      return encoder.Encode(msg.tag, t, r, &route, &lines);
    });
    if (!s.ok() || !n.ok()) state.SkipWithError(s.ToString().c_str());
    out_bytes += lines.size();
  }
  state.SetItemsProcessed(state.iterations() * b.records);
  state.SetBytesProcessed(state.iterations() * (compress ? b.record_bytes : b.message.size()));
  state.counters["record_bytes"] = static_cast<double>(b.record_bytes) / b.records;
  state.counters["line_bytes"] =
      static_cast<double>(out_bytes) / static_cast<double>(state.iterations() * b.records);
}
void BM_DecodeEncode(benchmark::State& state) { DecodeEncode(state, false); }
void BM_DecodeEncodeGzip(benchmark::State& state) { DecodeEncode(state, true); }
BENCHMARK(BM_DecodeEncode);
BENCHMARK(BM_DecodeEncodeGzip);

// A big message arriving in 64 KiB pieces: thanks to `need`, each piece is not a full reparse.
void BM_ParseInPieces(benchmark::State& state) {
  Batch b = MakeBatch(20000, false);
  ForwardLimits limits;
  size_t parses = 0;
  for (auto _ : state) {
    size_t have = 0, need = 0;
    for (;;) {
      have = std::min(b.message.size(), have + 65536);
      if (need > have) continue;
      ForwardMessage msg;
      ++parses;
      auto n =
          ParseForwardMessage(std::string_view(b.message).substr(0, have), limits, &msg, &need);
      if (n.ok() && *n > 0) break;
    }
  }
  state.counters["message_bytes"] = static_cast<double>(b.message.size());
  state.counters["parses_per_message"] =
      static_cast<double>(parses) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ParseInPieces);

}  // namespace
}  // namespace steady::logs

BENCHMARK_MAIN();
