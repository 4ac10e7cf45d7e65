// `steady logs grep` and `steady logs tail`: the lines of a family/container (or of one task)
// in a time range, filtered by a pattern (search/matcher.h), printed in time order.
//
// What is read: LogStore::Select prunes by object name (logs/layout.h), so only the objects
// whose minute falls in the range are listed per day and read; the LogStore counters show it.
// Objects are read, inflated and matched on a thread pool (search/scan.h); output comes out in
// (minute, key) order, and the lines of objects of the same minute (several aggregators or
// several containers) are merged by their "time" (within one object the file order is the time
// order).
//
// Output: kPlain prints the decoded "log" field (a line that is not such JSON: as stored), with
// "<container> " in front when asked (the CLI asks when the selection spans containers) and
// "<task-id> " when asked; kJson prints the stored line as is. count_only prints nothing and
// counts.
//
// Bad objects (unreadable, corrupt or truncated gzip, a cut-off last line) are logged as warnings
// and counted (ScanCounters::objects_bad); the lines before the damage are used. Only a failure to
// select (listing, bad arguments) is an error.
//
// Thread safety: one call at a time per output function; the functions are reentrant.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "base/status.h"
#include "search/log_store.h"
#include "search/matcher.h"
#include "search/scan.h"

namespace steady::search {

enum class OutputFormat { kPlain, kJson };

struct OutputOptions {
  OutputFormat format = OutputFormat::kPlain;
  bool prefix_container = false;
  bool auto_prefix_container = false;  // prefix_container when the objects span containers
  bool prefix_task = false;
  bool count_only = false;
};

struct SearchRequest {
  Selection selection;  // family may be empty when task_id is set: every family is tried
  GrepPattern pattern;  // tail: "" (every line) unless filtering
  OutputOptions output;
  ScanOptions scan;
  size_t tail_lines = 10;  // Tail and Follow only
};

// Receives output: whole lines, each ending in '\n'. Returns false to stop the search (e.g.
// the reader went away).
using OutputFn = std::function<bool(std::string_view chunk)>;
// Called on the calling thread while objects are scanned (for a progress bar).
using ProgressFn = std::function<void(const ScanCounters& counters, size_t objects_total)>;

// The objects of the selection in (minute, key) order. With a task id and no family, the
// families under the service prefix are listed and each is asked for the task.
Result<std::vector<SelectedObject>> SelectObjects(LogStore& store, const Selection& selection);

// Prints every selected line of the range in order. Returns the number of selected lines.
Result<uint64_t> Grep(LogStore& store, const SearchRequest& request, const OutputFn& out,
                      ScanCounters* counters, const ProgressFn& progress = {});

// Prints the last request.tail_lines selected lines of the range in order, reading objects
// from the newest minute back only as far as needed. Returns the number printed.
Result<uint64_t> Tail(LogStore& store, const SearchRequest& request, const OutputFn& out,
                      ScanCounters* counters, const ProgressFn& progress = {});

// Tail, then, each time `wait_next()` returns true, selects again and prints the lines of the
// objects not seen before (in (minute, key) order; an object that arrives late for an earlier
// minute is printed when it arrives). Polls look back `lookback` before the newest minute seen.
// Returns when `wait_next()` returns false (the CLI: SIGINT) or output stops.
Status Follow(LogStore& store, const SearchRequest& request, const OutputFn& out,
              ScanCounters* counters, const std::function<bool()>& wait_next,
              int64_t lookback_minutes = 10);

}  // namespace steady::search
