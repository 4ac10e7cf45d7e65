// Which gzip codec the aggregator uses is decided here: compression speed and ratio of the
// three codecs on ECS-shaped JSON lines (what the aggregator compresses), one core.
//   build/default/bench/gzip_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <string>

#include "logs/gzip.h"

namespace steady::logs {
namespace {

// 1 MiB of JSON lines like the aggregator writes for a web service.
std::string Lines() {
  std::string out;
  for (uint64_t i = 0; out.size() < (1 << 20); ++i) {
    out += "{\"time\":\"2026-11-30T12:00:0" + std::to_string(i % 10) + "." +
           std::to_string(100000000 + i * 7919 % 899999999) + "Z\",\"log\":\"" + std::to_string(i) +
           " INFO [http-nio-8080-exec-" + std::to_string(i % 200) +
           "] c.e.app.web.RequestLogger - method=GET path=/api/v1/items/" +
           std::to_string(i * 2654435761u % 100000) +
           " status=200 duration_ms=" + std::to_string(i % 997) +
           " request_id=" + std::to_string(i * 11400714819323198485ull) +
           "\",\"source\":\"stdout\",\"container_id\":"
           "\"4f1c2b9a0d3e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a\","
           "\"task_id\":\"0b8f0d6d7c2a4c55a1c1e1f3e9d0a0" +
           std::to_string(10 + i % 16) +
           "\",\"task_arn\":\"arn:aws:ecs:us-east-1:123456789012:task/prod/"
           "0b8f0d6d7c2a4c55a1c1e1f3e9d0a0" +
           std::to_string(10 + i % 16) +
           "\",\"family\":\"web\",\"container\":\"app\",\"cluster\":\"prod\","
           "\"container_name\":\"/ecs-web-12-app-e0f1a2b3c4d5\"}\n";
  }
  return out;
}

void BM_Compress(benchmark::State& state, GzipCodec codec, int level) {
  std::string in = Lines();
  auto c = NewGzipCompressor(codec, level);
  std::string out;
  for (auto _ : state) {
    out.clear();
    c->CompressMember(in, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  state.counters["ratio"] = static_cast<double>(in.size()) / static_cast<double>(out.size());
}

void BM_Gunzip(benchmark::State& state) {
  std::string in = Lines();
  std::string gz;
  NewGzipCompressor(GzipCodec::kIsal)->CompressMember(in, &gz);
  std::string out;
  for (auto _ : state) {
    out.clear();
    (void)GunzipMembers(gz, &out, 1 << 30);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}

BENCHMARK_CAPTURE(BM_Compress, isal_1, GzipCodec::kIsal, 1);
BENCHMARK_CAPTURE(BM_Compress, libdeflate_1, GzipCodec::kLibdeflate, 1);
BENCHMARK_CAPTURE(BM_Compress, libdeflate_6, GzipCodec::kLibdeflate, 6);
BENCHMARK_CAPTURE(BM_Compress, zlib_1, GzipCodec::kZlib, 1);
BENCHMARK_CAPTURE(BM_Compress, zlib_6, GzipCodec::kZlib, 6);
BENCHMARK(BM_Gunzip);

}  // namespace
}  // namespace steady::logs

BENCHMARK_MAIN();
