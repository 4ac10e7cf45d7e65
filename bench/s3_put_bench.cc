// PutObject throughput on loopback: steady's S3 client (libcurl, SigV4, Content-MD5) against
// s3rver, for small objects (objects/s, 1 KiB) and large ones (MB/s, 8 MiB), one and four
// client threads; and the local object store's Put beside it for scale (fsync on and off).
//
// The S3 server: $STEADY_S3_ENDPOINT (bench/run starts s3rver and sets it; credentials
// S3RVER/S3RVER), else s3rver started here from tools/node_modules.
//
//   build/default/bench/s3_put_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "../tests/e2e/s3rver.h"
#include "aws/credentials.h"
#include "aws/local_object_store.h"
#include "aws/s3_client.h"
#include "base/log.h"
#include "base/metrics.h"
#include "net/http_client_curl.h"

using namespace steady;

namespace {

struct S3Bench {
  std::unique_ptr<e2e::S3Peer> server;  // when started here
  std::string endpoint;
  net::CurlHttpClient http;
  std::unique_ptr<aws::CredentialsProvider> credentials =
      aws::StaticCredentials({.access_key_id = "S3RVER", .secret_access_key = "S3RVER"});
  MetricsRegistry metrics;
  std::unique_ptr<aws::AwsTransport> transport;
  std::unique_ptr<aws::S3Client> client;
  std::string bucket = "steady-bench";
  std::string error;

  static S3Bench& Get() {
    // Destroyed at exit, which stops a server started here and removes its directory.
    static std::unique_ptr<S3Bench> b = [] {
      auto b = std::make_unique<S3Bench>();
      if (const char* e = std::getenv("STEADY_S3_ENDPOINT"); e && *e) {
        b->endpoint = e;
      } else {
        if (!std::getenv("STEADY_SOURCE_DIR")) {
          // bench/s3_put_bench.cc → the source tree, where tools/node_modules lives.
          std::string src = std::filesystem::path(__FILE__).parent_path().parent_path().string();
          ::setenv("STEADY_SOURCE_DIR", src.c_str(), 0);
        }
        auto server = e2e::S3Peer::StartS3rver();
        if (!server.ok()) {
          b->error = server.status().ToString();
          return b;
        }
        b->server = std::move(*server);
        b->endpoint = b->server->endpoint();
      }
      aws::TransportOptions options;
      options.endpoint = b->endpoint;
      b->transport = std::make_unique<aws::AwsTransport>(
          aws::S3ServiceInfo(), options, b->http, *b->credentials, SystemClock::Get(), b->metrics);
      b->client = std::make_unique<aws::S3Client>(*b->transport);
      Status s = b->client->CreateBucket(b->bucket);
      if (!s.ok() && s.code() != StatusCode::kAlreadyExists) b->error = s.ToString();
      return b;
    }();
    return *b;
  }
};

std::atomic<uint64_t> g_key{0};

void BM_S3PutObject(benchmark::State& state) {
  S3Bench& b = S3Bench::Get();
  if (!b.error.empty()) {
    state.SkipWithError(b.error.c_str());
    return;
  }
  std::string body(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    std::string key = "bench/" + std::to_string(g_key++);
    auto out = b.client->PutObject({.bucket = b.bucket, .key = key, .body = body});
    if (!out.ok()) {
      state.SkipWithError(out.status().ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_S3PutObject)->Arg(1 << 10)->UseRealTime();
BENCHMARK(BM_S3PutObject)->Arg(1 << 10)->Threads(4)->UseRealTime();
BENCHMARK(BM_S3PutObject)->Arg(8 << 20)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_S3PutObject)->Arg(8 << 20)->Threads(4)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_LocalPut(benchmark::State& state) {
  // A temporary root for the whole run, removed at exit.
  static struct Root {
    Root() {
      std::string tmpl = (std::filesystem::temp_directory_path() / "steady-bench-XXXXXX").string();
      if (::mkdtemp(tmpl.data()) != nullptr) path = tmpl;
    }
    ~Root() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
    std::string path;
  } temp;
  const std::string& root = temp.path;
  bool fsync = state.range(1) != 0;
  auto store = aws::LocalObjectStore::Open(root, {.fsync = fsync});
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  std::string body(static_cast<size_t>(state.range(0)), 'x');
  std::vector<std::string> keys;
  for (auto _ : state) {
    keys.push_back("bench/" + std::to_string(g_key++));
    Status s = (*store)->Put(keys.back(), body);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
  (void)(*store)->Delete(keys);  // after the timed loop: not measured
}
BENCHMARK(BM_LocalPut)->Args({1 << 10, 1})->Args({1 << 10, 0})->UseRealTime();
BENCHMARK(BM_LocalPut)->Args({8 << 20, 1})->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
