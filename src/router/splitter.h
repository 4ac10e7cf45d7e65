// Splitting one service-log object into task-log objects.
//
//   GzipStream:   inflates a multi-member gzip stream fed in pieces (isa-l), so that an object
//                 of any size passes through a bounded buffer.
//   TaskSplitter: takes the inflated bytes in any chunking, cuts them into lines, classifies
//                 each line (line_scan.h) and appends it to the buffer of its output key
//                 (logs::TaskLogKeyFor of the source key and the task id); buffers become gzip
//                 members, members are kept in memory and Put at the end, or streamed through an
//                 ObjectWriter once a task's output grows past `spill_bytes`. Finish() commits
//                 every task object, in key order.
//   SplitObject:  the two together over an ObjectStore: reads the source in `read_chunk`
//                 ranges, inflates, splits, commits.
//
// Output: every input line is written exactly once, byte for byte, followed by '\n' (a last
// line without one gets it). Where lines go:
//   - lines with a task id            → <task-prefix>/<family>/<container>/<task-id>/<base>.gz
//   - task_id null, missing or ""     → …/_none/<base>.gz        (lines kind "no_task_id")
//   - not a JSON object               → …/_invalid/<base>.gz     (lines kind "invalid_json")
//   - longer than `max_line_bytes`    → …/_invalid/<base>.gz     (lines kind "oversize")
// where <base> is the source's base name, so that processing the same source again writes the
// same keys with the same bytes (the output depends only on the input and the options).
// A truncated or corrupt gzip stream keeps what was inflated before the damage (the lines go to
// their tasks as above, a cut-off last line included) and is reported in the stats; the split
// still commits.
//
// Memory: the read chunk, a 256 KiB inflate buffer, the partial line (at most max_line_bytes)
// and the task buffers, which are bounded by `memory_budget` (past it every task's pending
// bytes are compressed, then every task's compressed bytes are streamed to its writer).
//
// Thread safety: one split per thread; the store may be shared.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aws/object_store.h"
#include "base/status.h"
#include "logs/gzip.h"
#include "logs/layout.h"

struct inflate_state;

namespace steady::router {

struct SplitOptions {
  std::string task_prefix = "task-logs";
  size_t member_bytes = 1 << 20;    // uncompressed bytes per gzip member of a task object
  size_t max_line_bytes = 4 << 20;  // longer lines go to _invalid
  size_t spill_bytes = 8 << 20;     // a task's compressed output past this streams to a writer
  size_t memory_budget = 64 << 20;  // task buffers (pending + compressed) across tasks
  uint64_t read_chunk = 8 << 20;    // ranged reads of the source
  logs::GzipCodec codec = logs::GzipCodec::kIsal;
  int level = -1;
};

struct SplitStats {
  uint64_t lines_task = 0;
  uint64_t lines_no_task_id = 0;
  uint64_t lines_invalid_json = 0;
  uint64_t lines_oversize = 0;
  uint64_t lines_slow_path = 0;  // classified by the full JSON parse
  uint64_t bytes_read = 0;       // compressed source bytes
  uint64_t bytes_inflated = 0;
  uint64_t bytes_written = 0;   // compressed task-object bytes
  bool gzip_truncated = false;  // the stream ended inside a member
  bool gzip_corrupt = false;    // bad header, data or checksum; the rest was skipped
  std::string gzip_error;
  std::vector<std::string> keys;  // written, ascending

  uint64_t lines() const {
    return lines_task + lines_no_task_id + lines_invalid_json + lines_oversize;
  }
};

// Inflates concatenated gzip members fed in pieces.
class GzipStream {
 public:
  GzipStream();
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // Inflates `in`, handing the output to `sink` in pieces. kDataLoss for corrupt data (what
  // was inflated before it has been handed over; further Feed calls fail the same way);
  // `sink`'s error is returned as is.
  Status Feed(std::string_view in, const std::function<Status(std::string_view)>& sink);
  // At the end of the input: kDataLoss if it ended inside a member.
  Status Finish() const;

 private:
  std::unique_ptr<inflate_state> st_;
  std::unique_ptr<char[]> out_;
  bool in_member_ = false;
  Status failed_;
};

class TaskSplitter {
 public:
  TaskSplitter(const SplitOptions& options, aws::ObjectStore& store,
               const logs::ServiceLogKey& source);
  ~TaskSplitter();
  TaskSplitter(const TaskSplitter&) = delete;
  TaskSplitter& operator=(const TaskSplitter&) = delete;

  // Inflated bytes, in any chunking. Fails only when the store fails.
  Status Add(std::string_view data);
  // Routes the last (unterminated) line and commits every task object.
  Status Finish();
  SplitStats& stats() { return stats_; }

 private:
  struct Sink;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void Route(std::string_view line);  // without '\n'
  Sink& SinkFor(std::string_view task_id);
  Status Append(Sink& sink, std::string_view line);
  Status CompressPending(Sink& sink, bool keep_capacity);
  Status Spill(Sink& sink);
  Status EnforceBudget();

  const SplitOptions& options_;
  aws::ObjectStore& store_;
  logs::ServiceLogKey source_;
  std::unique_ptr<logs::GzipCompressor> compressor_;
  std::map<std::string, std::unique_ptr<Sink>> sinks_;  // by output key
  std::unordered_map<std::string, Sink*, Hash, std::equal_to<>> by_task_;
  std::string last_task_;
  Sink* last_sink_ = nullptr;
  std::string partial_;    // the line being assembled across Add calls
  bool oversize_ = false;  // partial_ went past max_line_bytes: streaming to _invalid
  std::string scratch_;
  size_t buffered_ = 0;  // pending + compressed bytes across sinks
  Status failed_;
  SplitStats stats_;
};

// Reads `key` from `store` and splits it into task objects in the same store. `keep_going` is
// called between reads (heartbeats; false cancels with kCancelled, committing nothing more).
// Errors: the store's (kNotFound for a missing source), kCancelled. Damaged gzip is not an
// error: see SplitStats.
Result<SplitStats> SplitObject(aws::ObjectStore& store, std::string_view key,
                               const logs::ServiceLogKey& source, const SplitOptions& options,
                               const std::function<bool()>& keep_going = {});

}  // namespace steady::router
