// Load generator for `steady aggregator` (driven by bench/aggregator.sh): opens --connections
// TCP connections and sends PackedForward messages of ECS-shaped container log records (Docker
// fluentd driver records with the ECS labels, about 500 bytes each, --families task-definition
// families) for --seconds, or until --records are sent. With --ack, every message carries a
// chunk id and at most --window messages per connection wait for their ack; the run counts
// only acknowledged records then. Prints one line of figures as JSON.
//
// Plain POSIX sockets on purpose: the generator must cost little CPU next to the aggregator.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "logs/forward_protocol.h"

namespace {

struct Flags {
  std::string host = "127.0.0.1";
  int port = 24224;
  int connections = 4;
  int families = 20;
  int batch = 1000;  // records per message
  double seconds = 10;
  uint64_t records = 0;  // 0: run for --seconds
  bool ack = false;
  int window = 4;
};

void AppendStr(std::string* out, std::string_view s) {
  if (s.size() < 32) {
    out->push_back(static_cast<char>(0xa0 | s.size()));
  } else if (s.size() < 256) {
    out->push_back(static_cast<char>(0xd9));
    out->push_back(static_cast<char>(s.size()));
  } else {
    out->push_back(static_cast<char>(0xda));
    out->push_back(static_cast<char>(s.size() >> 8));
    out->push_back(static_cast<char>(s.size() & 0xff));
  }
  out->append(s);
}

void AppendU32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// One record as Docker's fluentd driver sends it with `labels` naming the ECS labels.
std::string Record(int family, int task, uint64_t seq) {
  char fam[32], arn[160], cid[80], log[400];
  std::snprintf(fam, sizeof fam, "service-%02d", family);
  std::snprintf(arn, sizeof arn, "arn:aws:ecs:us-east-1:123456789012:task/prod/%08x%08x%08x%08x",
                family * 7919, task * 104729, family, task);
  std::snprintf(cid, sizeof cid, "%016x%016x%016x%016x", family, task, family * 31, task * 17);
  std::snprintf(log, sizeof log,
                "%llu 2026-11-30T12:00:00.000Z INFO [http-nio-8080-exec-%d] "
                "c.e.app.web.RequestLogger - method=GET path=/api/v1/items/%llu status=200 "
                "duration_ms=%llu user_agent=\"Mozilla/5.0 (X11; Linux x86_64)\" "
                "request_id=%08llx-%04llx trace=%016llx",
                static_cast<unsigned long long>(seq), task % 200,
                static_cast<unsigned long long>(seq % 100000),
                static_cast<unsigned long long>(seq % 997),
                static_cast<unsigned long long>(seq * 2654435761u),
                static_cast<unsigned long long>(seq % 65536),
                static_cast<unsigned long long>(seq * 11400714819323198485ull));
  std::string r;
  r.push_back(static_cast<char>(0x88));  // map of 8
  AppendStr(&r, "container_id");
  AppendStr(&r, cid);
  AppendStr(&r, "container_name");
  AppendStr(&r, std::string("/ecs-") + fam + "-12-app-e0f1a2b3c4d5");
  AppendStr(&r, "source");
  AppendStr(&r, "stdout");
  AppendStr(&r, "log");
  AppendStr(&r, log);
  AppendStr(&r, "com.amazonaws.ecs.cluster");
  AppendStr(&r, "prod");
  AppendStr(&r, "com.amazonaws.ecs.container-name");
  AppendStr(&r, "app");
  AppendStr(&r, "com.amazonaws.ecs.task-arn");
  AppendStr(&r, arn);
  AppendStr(&r, "com.amazonaws.ecs.task-definition-family");
  AppendStr(&r, fam);
  return r;
}

// The entries of one PackedForward message: `n` [EventTime, record] pairs.
std::string Entries(int family, int n, int64_t now, uint64_t* raw_bytes) {
  std::string e;
  for (int i = 0; i < n; ++i) {
    e.push_back(static_cast<char>(0x92));
    e.push_back(static_cast<char>(0xd7));
    e.push_back(0);
    AppendU32(&e, static_cast<uint32_t>(now));
    AppendU32(&e, static_cast<uint32_t>(i * 1000));
    std::string r = Record(family, i % 16, static_cast<uint64_t>(i));
    *raw_bytes += r.size();
    e += r;
  }
  return e;
}

std::string Message(int family, const std::string& entries, uint64_t chunk_id, bool ack, int n) {
  std::string m;
  m.push_back(static_cast<char>(0x93));
  char tag[64];
  std::snprintf(tag, sizeof tag, "docker.service-%02d", family);
  AppendStr(&m, tag);
  m.push_back(static_cast<char>(0xc6));
  AppendU32(&m, static_cast<uint32_t>(entries.size()));
  m += entries;
  m.push_back(static_cast<char>(ack ? 0x82 : 0x81));
  AppendStr(&m, "size");
  m.push_back(static_cast<char>(0xce));
  AppendU32(&m, static_cast<uint32_t>(n));
  if (ack) {
    char chunk[40];
    std::snprintf(chunk, sizeof chunk, "c%015llx", static_cast<unsigned long long>(chunk_id));
    AppendStr(&m, "chunk");
    AppendStr(&m, chunk);
  }
  return m;
}

bool SendAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--host")
      f.host = next();
    else if (a == "--port")
      f.port = std::stoi(next());
    else if (a == "--connections")
      f.connections = std::stoi(next());
    else if (a == "--families")
      f.families = std::stoi(next());
    else if (a == "--batch")
      f.batch = std::stoi(next());
    else if (a == "--seconds")
      f.seconds = std::stod(next());
    else if (a == "--records")
      f.records = std::stoull(next());
    else if (a == "--ack")
      f.ack = true;
    else if (a == "--window")
      f.window = std::stoi(next());
    else {
      std::fprintf(stderr,
                   "usage: forward_load_bench [--host H] [--port P] [--connections N] "
                   "[--families N] [--batch N] [--seconds S | --records N] [--ack] [--window N]\n");
      return 2;
    }
  }
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::vector<std::string> entries(f.families);
  uint64_t raw = 0;
  for (int fam = 0; fam < f.families; ++fam) entries[fam] = Entries(fam, f.batch, now, &raw);
  double record_bytes = static_cast<double>(raw) / (f.families * f.batch);

  std::atomic<uint64_t> sent_records{0}, acked_records{0}, sent_bytes{0};
  std::atomic<bool> failed{false};
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::duration<double>(f.seconds);
  uint64_t per_conn_limit =
      f.records ? (f.records + f.connections - 1) / f.connections : UINT64_MAX;

  std::vector<std::thread> threads;
  for (int c = 0; c < f.connections; ++c) {
    threads.emplace_back([&, c] {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(static_cast<uint16_t>(f.port));
      inet_pton(AF_INET, f.host.c_str(), &sa.sin_addr);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        std::perror("connect");
        failed = true;
        return;
      }
      uint64_t mine = 0, in_flight = 0, chunk = static_cast<uint64_t>(c) << 40;
      char ackbuf[4096];
      int fam = c % f.families;
      while (mine < per_conn_limit && std::chrono::steady_clock::now() < deadline) {
        std::string m = Message(fam, entries[fam], chunk++, f.ack, f.batch);
        if (!SendAll(fd, m.data(), m.size())) {
          failed = true;
          break;
        }
        fam = (fam + 1) % f.families;
        mine += static_cast<uint64_t>(f.batch);
        sent_records += static_cast<uint64_t>(f.batch);
        sent_bytes += m.size();
        if (f.ack) {
          in_flight++;
          // Each ack is {"ack": "c%015x"}: 1 + 4 + 1 + 16 = 22 bytes.
          while (in_flight >= static_cast<uint64_t>(f.window)) {
            ssize_t n = ::recv(fd, ackbuf, sizeof ackbuf, 0);
            if (n <= 0) {
              failed = true;
              break;
            }
            uint64_t acks = static_cast<uint64_t>(n) / 22;  // acks arrive whole in practice
            in_flight -= std::min(in_flight, acks);
            acked_records += acks * static_cast<uint64_t>(f.batch);
          }
          if (failed) break;
        }
      }
      if (f.ack) {
        while (in_flight > 0) {
          ssize_t n = ::recv(fd, ackbuf, sizeof ackbuf, 0);
          if (n <= 0) break;
          uint64_t acks = static_cast<uint64_t>(n) / 22;
          in_flight -= std::min(in_flight, acks);
          acked_records += acks * static_cast<uint64_t>(f.batch);
        }
      }
      ::shutdown(fd, SHUT_WR);
      ::close(fd);
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t counted = f.ack ? acked_records.load() : sent_records.load();
  std::printf(
      "{\"records\": %llu, \"acked\": %s, \"seconds\": %.3f, \"records_per_second\": %.0f, "
      "\"wire_mb_per_second\": %.1f, \"record_bytes\": %.0f, \"failed\": %s}\n",
      static_cast<unsigned long long>(counted), f.ack ? "true" : "false", elapsed,
      counted / elapsed, sent_bytes.load() / elapsed / 1e6, record_bytes,
      failed ? "true" : "false");
  return failed ? 1 : 0;
}
