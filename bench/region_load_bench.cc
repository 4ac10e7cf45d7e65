// Load on the local region over HTTP with keep-alive, as a daemon fleet would put it: N client
// threads, each with its own connection, through steady's own SQS client (SigV4, JSON
// protocol; S3 client). Prints calls/s for SendMessage, ReceiveMessage+DeleteMessage and S3
// PutObject of 1 KiB, with the
// region durable (--state in a temp dir, every acknowledged call fsynced) or in memory.
//
//   build/default/bench/region_load_bench [--threads 8] [--seconds 5] [--memory]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "aws/credentials.h"
#include "aws/s3_client.h"
#include "aws/sqs_client.h"
#include "base/log.h"
#include "base/metrics.h"
#include "net/http_client_curl.h"
#include "region/region.h"

using namespace steady;

namespace {

struct Figures {
  double calls_per_second;
  uint64_t calls, errors;
};

template <typename F>
Figures Drive(int threads, double seconds, F&& per_thread_call) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> calls{0}, errors{0};
  std::vector<std::thread> ts;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < threads; ++i)
    ts.emplace_back([&, i] {
      while (!stop.load(std::memory_order_relaxed)) {
        int n = per_thread_call(i);
        if (n < 0)
          errors++;
        else
          calls += n;
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {calls / elapsed, calls.load(), errors.load()};
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 8;
  double seconds = 5;
  bool memory = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--memory"))
      memory = true;
  }
  SetLogLevel(LogLevel::kWarn);
  std::string dir =
      std::filesystem::temp_directory_path() / ("steady-bench-" + std::to_string(::getpid()));
  MetricsRegistry metrics;
  region::RegionOptions o;
  o.listen = "127.0.0.1:0";
  o.state_dir = memory ? "" : dir;
  auto region = region::Region::Open(o, SystemClock::Get(), metrics);
  if (!region.ok() || !(*region)->Start().ok()) {
    std::fprintf(stderr, "cannot start the region\n");
    return 1;
  }
  auto creds = aws::StaticCredentials({"bench", "bench", "", std::nullopt});
  // One HTTP client, transport and SQS client per thread: one keep-alive connection each.
  struct Client {
    net::CurlHttpClient http;
    std::unique_ptr<aws::AwsTransport> transport;
    std::unique_ptr<aws::SqsClient> sqs;
    std::unique_ptr<aws::AwsTransport> s3_transport;
    std::unique_ptr<aws::S3Client> s3;
  };
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < threads; ++i) {
    auto c = std::make_unique<Client>();
    aws::TransportOptions to;
    to.endpoint = (*region)->endpoint();
    c->transport = std::make_unique<aws::AwsTransport>(aws::SqsService(), to, c->http, *creds,
                                                       SystemClock::Get(), metrics);
    c->sqs = std::make_unique<aws::SqsClient>(*c->transport);
    c->s3_transport = std::make_unique<aws::AwsTransport>(aws::S3ServiceInfo(), to, c->http, *creds,
                                                          SystemClock::Get(), metrics);
    c->s3 = std::make_unique<aws::S3Client>(*c->s3_transport);
    clients.push_back(std::move(c));
  }
  std::string url = *clients[0]->sqs->CreateQueue("bench", {});
  std::string body(256, 'x');

  Figures send = Drive(threads, seconds, [&](int i) {
    return clients[i]->sqs->SendMessage({url, body}).ok() ? 1 : -1;
  });
  Figures recv = Drive(threads, seconds, [&](int i) {
    auto got = clients[i]->sqs->ReceiveMessage({.queue_url = url, .max_number_of_messages = 1});
    if (!got.ok()) return -1;
    if (got->empty()) return 1;
    return clients[i]->sqs->DeleteMessage(url, (*got)[0].receipt_handle).ok() ? 2 : -1;
  });
  if (!clients[0]->s3->CreateBucket("bench").ok()) {
    std::fprintf(stderr, "cannot create the bench bucket\n");
    return 1;
  }
  std::string kib(1024, 'y');
  std::vector<uint64_t> next(threads, 0);
  Figures put = Drive(threads, seconds, [&](int i) {
    aws::PutObjectRequest req;
    req.bucket = "bench";
    req.key = "t" + std::to_string(i) + "/" + std::to_string(next[i]++);
    req.body = kib;
    return clients[i]->s3->PutObject(std::move(req)).ok() ? 1 : -1;
  });
  auto stats = (*region)->journal().stats();
  std::printf(
      "region SQS over HTTP keep-alive, %d client threads, %s, 2 cores shared by client and "
      "region\n",
      threads, memory ? "in memory" : "durable (--state, fdatasync per ack, group commit)");
  std::printf("  SendMessage                 %8.0f calls/s  (%lu calls, %lu errors)\n",
              send.calls_per_second, (unsigned long)send.calls, (unsigned long)send.errors);
  std::printf("  ReceiveMessage+DeleteMessage %7.0f calls/s  (%lu calls, %lu errors)\n",
              recv.calls_per_second, (unsigned long)recv.calls, (unsigned long)recv.errors);
  std::printf("  S3 PutObject (1 KiB)         %7.0f calls/s  (%lu calls, %lu errors)\n",
              put.calls_per_second, (unsigned long)put.calls, (unsigned long)put.errors);
  if (!memory)
    std::printf("  journal: %lu records in %lu fdatasyncs (%.1f records per sync)\n",
                (unsigned long)stats.records, (unsigned long)stats.syncs,
                stats.syncs ? double(stats.records) / stats.syncs : 0.0);
  (*region)->Stop();
  region->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
