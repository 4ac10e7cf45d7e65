// Test helpers for the router: generated service-log objects and their expected split.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "aws/object_store.h"
#include "base/json_string.h"
#include "logs/gzip.h"
#include "logs/layout.h"

namespace steady::router::testing {

inline logs::ServiceLogKey SourceKey(std::string family = "web", std::string container = "app",
                                     uint64_t index = 0) {
  logs::ServiceLogKey k;
  k.prefix = "service-logs";
  k.family = std::move(family);
  k.container = std::move(container);
  k.name.minute = 25723561;  // 2018-11-28T14:01Z
  k.name.index = index;
  k.name.uuid = "0123456789abcdef0123456789abcdef";
  return k;
}

// One line in the aggregator's format; task "" writes null.
inline std::string Line(const std::string& task, const std::string& log) {
  std::string l = "{\"time\":\"2018-11-28T00:01:02.000000001Z\",\"log\":";
  AppendJsonString(l, log);
  l += ",\"source\":\"stdout\",\"container_id\":\"c0ffee\",\"task_id\":";
  if (task.empty()) {
    l += "null";
  } else {
    AppendJsonString(l, task);
  }
  l += ",\"task_arn\":null,\"family\":\"web\",\"container\":\"app\",\"cluster\":\"prod\"}";
  return l;
}

struct Generated {
  std::string gz;                               // the object
  std::map<std::string, std::string> expected;  // task dir ("t1", "_none", ...) → lines
  size_t lines = 0;
};

// `n` lines over `tasks` tasks (and some without a task id), log text with quotes, backslashes,
// braces and fake "task_id" fields, compressed in members of about `member` bytes.
inline Generated Generate(size_t n, int tasks, size_t member = 64 * 1024, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  Generated g;
  auto compressor = logs::NewGzipCompressor();
  std::string pending;
  static const char* kBits[] = {"ERROR ", "\"quoted\" ", "back\\slash ", "{\"task_id\":\"evil\"} ",
                                "\\\" ",  "tab\there ",  "ünïcode ",     "plain words "};
  for (size_t i = 0; i < n; ++i) {
    int t = static_cast<int>(rng() % (tasks + 1));
    std::string task = t == tasks ? "" : "task" + std::to_string(t);
    std::string log;
    int parts = 1 + rng() % 12;
    for (int p = 0; p < parts; ++p) log += kBits[rng() % 8];
    log += std::to_string(i);
    std::string line = Line(task, log) + "\n";
    g.expected[task.empty() ? "_none" : task] += line;
    pending += line;
    ++g.lines;
    if (pending.size() >= member) {
      compressor->CompressMember(pending, &g.gz);
      pending.clear();
    }
  }
  if (!pending.empty()) compressor->CompressMember(pending, &g.gz);
  return g;
}

inline std::string Gzip(std::string_view data) {
  std::string out;
  logs::NewGzipCompressor()->CompressMember(data, &out);
  return out;
}

// An ObjectStore in memory (Put, writers, Get, GetRange, Head; listing is not needed by the
// splitter): for fuzzing and benchmarks, where the disk would be what is measured.
class MemoryStore final : public aws::ObjectStore {
 public:
  Status Put(std::string_view k, std::string_view d) override {
    std::lock_guard lock(mu_);
    objects_[std::string(k)] = std::string(d);
    return Status::Ok();
  }
  class Writer final : public aws::ObjectWriter {
   public:
    Writer(MemoryStore& s, std::string k) : s_(s), k_(std::move(k)) {}
    Status Write(std::string_view d) override {
      buf_.append(d);
      return Status::Ok();
    }
    Status Close() override { return s_.Put(k_, buf_); }
    void Abort() override {}
    uint64_t bytes_written() const override { return buf_.size(); }

   private:
    MemoryStore& s_;
    std::string k_, buf_;
  };
  Result<std::unique_ptr<aws::ObjectWriter>> NewWriter(std::string_view k) override {
    return std::unique_ptr<aws::ObjectWriter>(std::make_unique<Writer>(*this, std::string(k)));
  }
  Result<std::string> Get(std::string_view k) override { return GetRange(k, 0, kToEnd); }
  Result<std::string> GetRange(std::string_view k, uint64_t off, uint64_t n) override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(std::string(k));
    if (it == objects_.end()) return NotFoundError(std::string(k));
    if (off > it->second.size() || (off == it->second.size() && off > 0))
      return InvalidArgumentError("range");
    return it->second.substr(off, n);
  }
  Result<aws::ObjectInfo> Head(std::string_view k) override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(std::string(k));
    if (it == objects_.end()) return NotFoundError(std::string(k));
    return aws::ObjectInfo{.key = it->first, .size = it->second.size()};
  }
  Result<aws::ListPage> List(const aws::ListOptions&, std::string_view) override {
    return UnimplementedError("MemoryStore does not list");
  }
  using ObjectStore::Delete;
  Status Delete(std::span<const std::string> keys) override {
    std::lock_guard lock(mu_);
    for (const auto& k : keys) objects_.erase(k);
    return Status::Ok();
  }
  std::string Describe() const override { return "memory"; }
  std::map<std::string, std::string> objects() const {
    std::lock_guard lock(mu_);
    return objects_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> objects_;
};

}  // namespace steady::router::testing
