// Reading many log objects at once: each object is read, inflated and handed to a per-object
// function on a pool of threads, and the results come back on the calling thread in the order
// of the input, with at most `window` objects in memory at a time.
//
// Thread safety: RunOrdered runs `process` on its worker threads (it must be thread-safe) and
// `deliver`/`tick` on the calling thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "search/inflate.h"
#include "search/log_store.h"

namespace steady::search {

// Counters of a scan; updated by the workers as objects complete.
struct ScanCounters {
  std::atomic<uint64_t> objects_done{0};
  std::atomic<uint64_t> objects_bad{0};  // unreadable, corrupt or truncated (partly used)
  std::atomic<uint64_t> bytes_compressed{0};
  std::atomic<uint64_t> bytes_inflated{0};
  std::atomic<uint64_t> lines_selected{0};
  std::atomic<uint64_t> invalid_lines{0};  // selected lines that are not JSON with a "log"
};

// Reads `object` and inflates it into `*text` (whose room is reused). A
// corrupt or truncated member ends the object:
// `*text` keeps the complete members before it and the status says what happened (kDataLoss);
// a bare read error leaves `*text` empty. A last line without '\n' (a writer cut short) is
// dropped and reported the same way.
Status ReadObjectText(LogStore& store, const SelectedObject& object, TextBuffer* text,
                      size_t max_bytes = size_t{1} << 31);

// Multi-MB buffers handed from object to object, so that inflating does not pay fresh pages
// (first-touch page faults cost more than matching; docs/logs.md). Thread-safe.
class BufferPool {
 public:
  explicit BufferPool(size_t max_buffers = 32) : max_(max_buffers) {}
  // A recycled buffer (empty, with room), or a new one without room.
  TextBuffer Get();
  void Put(TextBuffer&& buffer);

 private:
  std::mutex mu_;
  std::vector<TextBuffer> free_;
  size_t max_;
};

struct ScanOptions {
  int threads = 0;    // 0 → hardware concurrency
  size_t window = 0;  // objects in flight; 0 → 2 × threads
  std::chrono::milliseconds tick_every{100};
};

// `R` is whatever `process` makes of an object. Calls deliver(i, result) for i = 0, 1, ... in
// order; `deliver` returns false to stop early (objects in flight are finished and dropped).
// `tick` (may be empty) runs between deliveries at least every tick_every while waiting.
template <typename R>
void RunOrdered(size_t count, const ScanOptions& options,
                const std::function<void(size_t, R*)>& process,
                const std::function<bool(size_t, R&&)>& deliver, const std::function<void()>& tick);

}  // namespace steady::search

#include "search/scan_inl.h"
