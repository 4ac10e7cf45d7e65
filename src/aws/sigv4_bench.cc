// SigV4 signing speed: signatures per second for the requests steady sends most (ECS JSON
// calls, S3 PutObject of log objects with UNSIGNED-PAYLOAD), and the body hash that signing
// a payload costs. Run: build/<dir>/bench/sigv4_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "base/time_format.h"

namespace steady::aws {
namespace {

Credentials TaskRoleCredentials() {
  // ECS task role credentials always come with a session token.
  return Credentials{"ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                     std::string(650, 'T'), std::nullopt};
}

Time BenchTime() { return FromUnixSeconds(1'763'925'160); }

HttpRequest EcsDescribeServices() {
  HttpRequest r;
  r.method = "POST";
  r.url = "https://ecs.us-east-1.amazonaws.com/";
  r.headers.Add("Content-Type", "application/x-amz-json-1.1");
  r.headers.Add("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DescribeServices");
  r.headers.Add("User-Agent", "steady/0.1.0");
  r.body = R"({"cluster":"arn:aws:ecs:us-east-1:123456789012:cluster/production","services":)"
           R"(["web","api","worker","batch-importer","batch-exporter"],"include":["TAGS"]})";
  return r;
}

SigningParams EcsParams() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "ecs";
  p.time = BenchTime();
  return p;
}

HttpRequest S3PutObject() {
  HttpRequest r;
  r.method = "PUT";
  r.url =
      "https://steady-logs.s3.us-east-1.amazonaws.com/service-logs/web/app/2025/11/23/"
      "202511231912_0_7f9c2ba4-e88f-4a3b-9c1d-2f7e5c8b1a90.gz";
  r.headers.Add("Content-Type", "application/gzip");
  r.headers.Add("Content-Length", "1048576");
  r.headers.Add("User-Agent", "steady/0.1.0");
  r.body = std::string(1 << 20, 'x');  // not hashed: UNSIGNED-PAYLOAD
  return r;
}

SigningParams S3Params() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "s3";
  p.time = BenchTime();
  p.unsigned_payload = true;
  p.content_sha256_header = true;
  p.normalize_path = false;
  return p;
}

// Re-signing the same request object: SignRequest first strips the previous signature, so
// every iteration does the full work of signing a fresh request.
void BM_SignEcsJson(benchmark::State& state) {
  HttpRequest r = EcsDescribeServices();
  const Credentials c = TaskRoleCredentials();
  const SigningParams p = EcsParams();
  for (auto _ : state) {
    Status s = SignRequest(r, c, p);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignEcsJson);

// The same with a signing-key cache miss on every call (more secrets than the per-thread
// cache holds, used round-robin): what the cache saves.
void BM_SignEcsJsonKeyCacheMiss(benchmark::State& state) {
  HttpRequest r = EcsDescribeServices();
  std::vector<Credentials> creds;
  for (int i = 0; i < 32; ++i) {
    Credentials c = TaskRoleCredentials();
    c.secret_access_key += std::to_string(i);
    creds.push_back(std::move(c));
  }
  const SigningParams p = EcsParams();
  size_t i = 0;
  for (auto _ : state) {
    Status s = SignRequest(r, creds[i++ % creds.size()], p);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignEcsJsonKeyCacheMiss);

void BM_SignS3PutObjectUnsignedPayload(benchmark::State& state) {
  HttpRequest r = S3PutObject();
  const Credentials c = TaskRoleCredentials();
  const SigningParams p = S3Params();
  for (auto _ : state) {
    Status s = SignRequest(r, c, p);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignS3PutObjectUnsignedPayload);

void BM_PresignS3Get(benchmark::State& state) {
  HttpRequest r = S3PutObject();
  r.method = "GET";
  r.headers = {};
  r.body.clear();
  const Credentials c = TaskRoleCredentials();
  const SigningParams p = S3Params();
  for (auto _ : state) {
    Result<std::string> url = PresignUrl(r, c, p, std::chrono::hours(1));
    benchmark::DoNotOptimize(url);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PresignS3Get);

void BM_BodySha256(benchmark::State& state) {
  const std::string body(static_cast<size_t>(state.range(0)), 'b');
  for (auto _ : state) {
    std::string h = Sha256Hex(body);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BodySha256)->Arg(1024)->Arg(1 << 20);

}  // namespace
}  // namespace steady::aws

BENCHMARK_MAIN();
