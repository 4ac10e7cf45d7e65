// The aggregator's disk buffer: one file per open time slice (route × minute of event time),
// holding gzip members of JSON lines, so that a chunk can be acknowledged as soon as it is on
// disk and survives `kill -9`.
//
// Layout under `dir`:
//   <dir>/<family>/<container>/<YYYYmmddHHMM>_<index>_<uuid>.gz.open    slice still taking lines
//   <dir>/<family>/<container>/<YYYYmmddHHMM>_<index>_<uuid>.gz         sealed, waiting for upload
// The object key is derived from the file name alone (ObjectKey), so a slice recovered after a
// crash is uploaded to the very key it would have had. `index` counts the slices of one route and
// minute opened by this buffer directory (after a seal, late records open index+1; Open resumes
// the counters from the files it finds); the uuid is new per slice, so keys never collide across
// aggregator instances and no HEAD probe is needed.
//
// Every Append writes one or more complete gzip members (the concatenation is a valid gzip
// file). A crash can leave a partial member at the end of an .open file; Open() truncates each
// file to its last complete member (counting what it cut), seals it, and queues it for upload.
// An Append that fails (ENOSPC, EIO) truncates its file back to where it was, so a file never
// holds a partial member while the process lives.
//
// Durability: Append makes data visible to a crash of this process (write(2)); Sync() makes every
// Append that returned before it durable against a machine crash (fdatasync of the dirty files;
// concurrent callers share one round of syncs: group commit). Acks are sent after Sync().
//
// Flow control: buffered_bytes() is the size of all files not yet removed; above
// options.max_buffer_bytes, over_limit() is true and the server stops reading; the listener set
// with SetSpaceListener is called (from the thread that removed a file) when it drops below.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"

namespace steady::logs {

struct SliceBufferOptions {
  std::string dir;                            // created if missing
  std::string key_prefix = "service-logs";    // object keys: <key_prefix>/<family>/...
  uint64_t max_buffer_bytes = 1ull << 30;     // backpressure above this
  uint64_t max_slice_bytes = 512ull << 20;    // a slice this large is sealed early
  Duration grace = std::chrono::seconds(10);  // seal a minute this long after it ends
  // On seal, a file whose members average under this many bytes is recompressed as one member
  // (better ratio for low-volume streams). 0 disables.
  uint64_t recompress_below_avg_member = 4096;
};

struct SliceId {
  std::string family;     // sanitized key segment
  std::string container;  // sanitized key segment
  int64_t minute = 0;     // unix time / 60 of the events' time
  friend bool operator==(const SliceId&, const SliceId&) = default;
};

// A sealed slice waiting for upload.
struct SealedSlice {
  std::string path;  // the file
  std::string key;   // its object key
  uint64_t bytes = 0;
  uint64_t records = 0;  // 0 when recovered (not tracked across restarts)
};

class SliceBuffer {
 public:
  // Opens (creating) the directory and recovers what a previous process left: every file found
  // is truncated to its last complete gzip member and sealed. Errors: kInvalidArgument for a bad
  // option, I/O errors as kUnavailable/kDataLoss.
  static Result<std::unique_ptr<SliceBuffer>> Open(const SliceBufferOptions& options, Clock& clock,
                                                   MetricsRegistry& metrics);
  virtual ~SliceBuffer() = default;

  // Appends complete gzip member(s) `gzip` holding `records` JSON lines to the open slice of
  // `id` (opening it). On error nothing was appended: kResourceExhausted for ENOSPC/EDQUOT (the
  // caller holds the data and retries later), kUnavailable for other I/O errors.
  virtual Status Append(const SliceId& id, std::string_view gzip, uint64_t records) = 0;

  // Makes all earlier Appends durable (see above).
  virtual Status Sync() = 0;

  // Seals slices whose minute ended more than `grace` before Now(), and slices that reached
  // max_slice_bytes. Returns what was sealed in this call.
  virtual std::vector<SealedSlice> SealDue() = 0;
  // Seals every open slice (shutdown).
  virtual std::vector<SealedSlice> SealAll() = 0;
  // Every sealed slice not yet removed (including those recovered by Open).
  virtual std::vector<SealedSlice> Sealed() const = 0;

  // Deletes a sealed slice's file after its upload succeeded.
  virtual Status Remove(const SealedSlice& slice) = 0;

  virtual uint64_t buffered_bytes() const = 0;
  virtual uint64_t open_slices() const = 0;
  virtual bool over_limit() const = 0;
  virtual void SetSpaceListener(std::function<void()> listener) = 0;

  // <key_prefix>/<family>/<container>/%Y/%m/%d/%Y%m%d%H%M_<index>_<uuid>.gz
  static std::string ObjectKey(std::string_view key_prefix, const SliceId& id, uint64_t index,
                               std::string_view uuid);
};

}  // namespace steady::logs
