// The local region's durable state: a snapshot plus an append-only log of records, written
// with group commit. A record is acknowledged (Commit returns) only once it is on disk
// (fdatasync), so a crash loses nothing the region acknowledged; concurrent callers share one
// fdatasync. Records are framed with a length and a CRC so that a torn tail from a crash is
// detected and cut off on open.
//
// Layout of the state directory:
//   snapshot        the whole state at some point, covering log segments below its number
//   log.<N>         segments, replayed in order after the snapshot
//
// Usage by a model: under the model's own lock, mutate and Enqueue the record (so the log order
// is the mutation order); after releasing the lock, Commit(seq) before answering the client.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"

namespace steady::region {

class Journal {
 public:
  struct Options {
    std::string dir;  // empty: memory only (nothing is written, Commit returns at once)
    // Start a compaction once the log holds this many bytes.
    size_t compact_bytes = 64 * 1024 * 1024;
  };

  struct Stats {
    uint64_t records = 0;
    uint64_t syncs = 0;
    uint64_t torn_tail_bytes = 0;  // bytes cut off on open
  };

  // Opens (creating) the directory and replays it: `restore_snapshot` gets the snapshot's
  // payload if there is one, then `replay` each logged record in order. An error from either
  // aborts the open (state the region cannot read is not silently dropped).
  static Result<std::unique_ptr<Journal>> Open(
      Options options, const std::function<Status(std::string_view)>& restore_snapshot,
      const std::function<Status(std::string_view)>& replay);
  ~Journal();

  bool durable() const { return !options_.dir.empty(); }

  // Queues a record; returns its sequence number. Cheap; call under the model's lock.
  uint64_t Enqueue(std::string record);
  // Returns once the record `seq` (and every one before it) is on disk.
  Status Commit(uint64_t seq);

  bool ShouldCompact() const;
  // Writes `snapshot` (the whole state, taken while no record could be enqueued: the caller
  // holds every model lock) as the new snapshot and drops the log segments it covers. Records
  // enqueued before the call must all be in `snapshot`.
  Status Compact(const std::string& snapshot);

  Stats stats() const;

 private:
  explicit Journal(Options options);
  void WriterLoop();
  Status OpenSegment(uint64_t n);

  Options options_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::vector<std::string> pending_;
  uint64_t next_seq_ = 1;     // the next sequence number to hand out
  uint64_t queued_upto_ = 0;  // last seq in pending_ (or written)
  uint64_t durable_upto_ = 0;
  Status write_error_;
  bool stopping_ = false;
  int fd_ = -1;
  uint64_t segment_ = 0;
  size_t log_bytes_ = 0;
  Stats stats_;
  std::thread writer_;
};

// CRC-32 (zlib's) of `data`, used by the record framing.
uint32_t Crc32(std::string_view data);

}  // namespace steady::region
