// FaultyObjectStore: a test helper that wraps an ObjectStore and makes writes fail on demand,
// to test retry, backoff and "store down" paths (unit tests of SliceUploader, the aggregator's
// end-to-end fault test). Reads, lists and deletes pass through untouched.
//
//   aws::LocalObjectStore& real = ...;
//   FaultyObjectStore store(real, &clock);
//   store.FailNextWrites(3);                    // the next 3 Put/NewWriter calls: kUnavailable
//   store.SetDown(true, DeadlineExceededError("injected timeout"));  // every write fails
//   store.AwaitWriteCalls(4);                   // block until 4 write calls were made
//   store.write_call_times();                   // clock time of each call (with a clock)
//
// A "write call" is Put or NewWriter (PutFile goes through NewWriter). Injected failures happen
// before the inner store is touched, so a failed write stores nothing.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "aws/object_store.h"
#include "base/clock.h"
#include "base/status.h"

namespace steady::logs {

class FaultyObjectStore final : public aws::ObjectStore {
 public:
  // `clock` (optional) stamps write_call_times().
  explicit FaultyObjectStore(aws::ObjectStore& inner, Clock* clock = nullptr)
      : inner_(inner), clock_(clock) {}

  // The next `n` write calls fail with `status` (which must not be OK).
  void FailNextWrites(int n, Status status = UnavailableError("injected: store unavailable")) {
    std::lock_guard lock(mu_);
    fail_next_ = n;
    fail_status_ = std::move(status);
  }
  // While down, every write call fails with `status`.
  void SetDown(bool down, Status status = UnavailableError("injected: store down")) {
    std::lock_guard lock(mu_);
    down_ = down;
    down_status_ = std::move(status);
  }

  int write_calls() const {
    std::lock_guard lock(mu_);
    return write_calls_;
  }
  int failed_writes() const {
    std::lock_guard lock(mu_);
    return failed_writes_;
  }
  std::vector<Time> write_call_times() const {
    std::lock_guard lock(mu_);
    return call_times_;
  }
  // Blocks until at least `n` write calls were made (and their outcome decided).
  void AwaitWriteCalls(int n) const {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return write_calls_ >= n; });
  }

  Status Put(std::string_view key, std::string_view data) override {
    Status injected = Inject();
    if (!injected.ok()) return injected;
    return inner_.Put(key, data);
  }
  Result<std::unique_ptr<aws::ObjectWriter>> NewWriter(std::string_view key) override {
    Status injected = Inject();
    if (!injected.ok()) return injected;
    return inner_.NewWriter(key);
  }
  Result<std::string> Get(std::string_view key) override { return inner_.Get(key); }
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    return inner_.GetRange(key, offset, length);
  }
  Result<aws::ObjectInfo> Head(std::string_view key) override { return inner_.Head(key); }
  Result<aws::ListPage> List(const aws::ListOptions& options,
                             std::string_view continuation_token = "") override {
    return inner_.List(options, continuation_token);
  }
  using aws::ObjectStore::Delete;
  Status Delete(std::span<const std::string> keys) override { return inner_.Delete(keys); }
  std::string Describe() const override { return "faulty(" + inner_.Describe() + ")"; }

 private:
  // Counts a write call and says whether it fails.
  Status Inject() {
    std::lock_guard lock(mu_);
    ++write_calls_;
    if (clock_) call_times_.push_back(clock_->Now());
    Status result;
    if (down_) {
      result = down_status_;
    } else if (fail_next_ > 0) {
      --fail_next_;
      result = fail_status_;
    }
    if (!result.ok()) ++failed_writes_;
    cv_.notify_all();
    return result;
  }

  aws::ObjectStore& inner_;
  Clock* clock_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  int fail_next_ = 0;
  Status fail_status_;
  bool down_ = false;
  Status down_status_;
  int write_calls_ = 0;
  int failed_writes_ = 0;
  std::vector<Time> call_times_;
};

}  // namespace steady::logs
