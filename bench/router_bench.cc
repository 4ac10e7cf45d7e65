// The router's throughput: split + recompress of one service-log object (one minute of one
// service, as in the benchmark: ~7.5 MB uncompressed, ~20k lines of ~375 bytes, 20
// tasks) in memory, on one thread. The figure is MB/s of uncompressed log per core
// (bytes_per_second below counts the inflated bytes). The store is in memory, so this measures
// inflate, line classification, buffering and gzip, not the disk or the network.
//
//   build/<dir>/bench/router_bench --benchmark_min_time=2s
#include <benchmark/benchmark.h>

#include <random>

#include "router/router_testing.h"
#include "router/splitter.h"

namespace steady::router {
namespace {

std::string MinuteObject(size_t target_bytes, int tasks, size_t* raw_bytes) {
  std::mt19937 rng(7);
  static const char* kWords[] = {"GET",     "/api/v1/orders", "200",   "ms",     "user",
                                 "request", "completed",      "ERROR", "cache",  "miss",
                                 "db",      "query",          "took",  "\"id\"", "{\"k\":1}"};
  std::string text;
  while (text.size() < target_bytes) {
    std::string log;
    while (log.size() < 180) {
      log += kWords[rng() % 15];
      log += ' ';
      log += std::to_string(rng() % 100000);
      log += ' ';
    }
    char task[40];
    std::snprintf(task, sizeof task, "%032x", static_cast<unsigned>(rng() % tasks) * 2654435761u);
    text += testing::Line(task, log);
    text += '\n';
  }
  *raw_bytes = text.size();
  std::string gz;
  auto c = logs::NewGzipCompressor();
  for (size_t i = 0; i < text.size(); i += 1 << 20) c->CompressMember(text.substr(i, 1 << 20), &gz);
  return gz;
}

void BM_SplitObject(benchmark::State& state) {
  size_t raw = 0;
  std::string gz = MinuteObject(7500000, static_cast<int>(state.range(0)), &raw);
  testing::MemoryStore store;
  logs::ServiceLogKey source = testing::SourceKey();
  std::string key = logs::FormatServiceLogKey(source);
  (void)store.Put(key, gz);
  SplitOptions o;
  uint64_t out = 0;
  for (auto _ : state) {
    auto stats = SplitObject(store, key, source, o);
    if (!stats.ok() || stats->lines_task == 0) state.SkipWithError("split failed");
    out = stats.ok() ? stats->bytes_written : 0;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw));
  state.counters["ratio_in"] = static_cast<double>(raw) / gz.size();
  state.counters["ratio_out"] = static_cast<double>(raw) / std::max<uint64_t>(out, 1);
}
BENCHMARK(BM_SplitObject)->Arg(20)->Arg(200)->Unit(benchmark::kMillisecond);

// The parts: inflate alone, and classification alone, to see where the time goes.
void BM_InflateOnly(benchmark::State& state) {
  size_t raw = 0;
  std::string gz = MinuteObject(7500000, 20, &raw);
  for (auto _ : state) {
    GzipStream s;
    size_t n = 0;
    (void)s.Feed(gz, [&](std::string_view d) {
      n += d.size();
      return Status::Ok();
    });
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw));
}
BENCHMARK(BM_InflateOnly)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace steady::router

BENCHMARK_MAIN();
