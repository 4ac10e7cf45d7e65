// LogStore: which log objects a search needs, and their bytes, for `steady logs` (grep, tail,
// sql) over either object store (a local directory or S3; aws/object_store.h).
//
// Selection reads names only (logs/layout.h): a time range lists one prefix per day and keeps
// the objects whose minute falls in the range, so a search never opens an object outside it.
// The counters say what was listed and read; tests assert pruning through them.
//
// Bytes: Read() returns an object's compressed bytes; LocalPath() gives a file DuckDB can open:
// the object's own file for a local store, else a copy in a bounded cache directory (least
// recently used files evicted past `cache_bytes`; keyed by key and ETag, so a changed object is
// fetched again). Prefetch() fetches many objects in parallel into the cache.
//
// Thread safety: every method may be called from many threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "logs/layout.h"

namespace steady::aws {
class ObjectStore;
}

namespace steady::search {

struct LogStoreOptions {
  std::string service_prefix = "service-logs";
  std::string task_prefix = "task-logs";
  std::string cache_dir;  // "" → $XDG_CACHE_HOME/steady/objects, else ~/.cache/steady/objects
  uint64_t cache_bytes = uint64_t{4} << 30;
  int parallel = 0;  // fetch threads; 0 → hardware concurrency (at least 2)
};

// One family/container (one Athena/DuckDB table).
struct Stream {
  std::string family;
  std::string container;
  friend bool operator==(const Stream&, const Stream&) = default;
};

struct Selection {
  std::string family;     // required
  std::string container;  // "" → every container of the family
  std::string task_id;    // non-empty → the task-logs layout, that task only
  logs::TimeRange range;
};

struct SelectedObject {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  std::string family;
  std::string container;
  std::string task_id;  // task-logs objects only
  int64_t minute = 0;   // unix minutes, from the name
};

struct ReadCounters {
  std::atomic<uint64_t> list_requests{0};  // listings (each one or more pages)
  std::atomic<uint64_t> objects_listed{0};
  std::atomic<uint64_t> objects_selected{0};
  std::atomic<uint64_t> objects_read{0};  // objects read in place or fetched (not cache hits)
  std::atomic<uint64_t> bytes_read{0};    // compressed bytes read or fetched
  std::atomic<uint64_t> cache_hits{0};
  std::atomic<uint64_t> skipped_keys{0};  // listed keys not in the layout (reported, not fatal)
};

class LogStore {
 public:
  // `store` must outlive the LogStore.
  LogStore(aws::ObjectStore* store, LogStoreOptions options);
  ~LogStore();

  // Every family/container under the service prefix, sorted.
  Result<std::vector<Stream>> ListStreams();

  // The objects that may hold the selection's lines, sorted by (minute, key).
  Result<std::vector<SelectedObject>> Select(const Selection& selection);

  // The object's compressed bytes.
  Result<std::string> Read(const SelectedObject& object);

  // A local file with the object's compressed bytes (see above).
  Result<std::string> LocalPath(const SelectedObject& object);

  // Fetches the objects into the cache on `parallel` threads (no-op for a local store); returns
  // the first error after trying all.
  Status Prefetch(std::span<const SelectedObject> objects);

  bool is_local() const;
  const ReadCounters& counters() const { return counters_; }
  const LogStoreOptions& options() const { return options_; }

 private:
  struct Cache;
  Status EnsureCache();

  aws::ObjectStore* store_;
  LogStoreOptions options_;
  std::string local_root_;  // set for a local store
  std::once_flag cache_once_;
  Status cache_status_;
  std::unique_ptr<Cache> cache_;  // set once by EnsureCache
  ReadCounters counters_;
};

}  // namespace steady::search
