// ObjectStore: the seam between steady's log pipeline (aggregator, router, search) and where
// log objects live. Two implementations keep the same keys and the same semantics:
// LocalObjectStore (a directory, `<root>/<key>`; aws/local_object_store.h) and S3ObjectStore
// (`s3://BUCKET/PREFIX`, any S3-compatible endpoint; aws/s3_object_store.h).
//
// Semantics (S3's, so that code written against one store runs against the other):
//   - A key is a non-empty byte string; `ValidateObjectKey` says which keys every store
//     accepts for writing (S3 accepts more, the local directory less).
//   - Put and ObjectWriter::Close are atomic: a reader sees the whole old object, the whole
//     new one, or (for a new key) none; never a partial one. Once they return OK the object
//     is durable (the local store fsyncs the file and its directory).
//   - Listing returns keys in ascending byte order; with a delimiter, keys that contain the
//     delimiter after the prefix are rolled up into common prefixes, each listed once. Objects
//     and common prefixes together count toward the page size.
//   - Deleting a key that does not exist succeeds.
//
// Errors: kNotFound for a missing key (or bucket); kInvalidArgument for a key or range the
// store cannot accept; kUnavailable, kThrottled, kDeadlineExceeded, kResourceExhausted for
// transient failures (Status::retryable()); kPermissionDenied/kUnauthenticated for access
// problems; kDataLoss when the store returned corrupt data.
//
// Thread safety: every method of an ObjectStore may be called from many threads at once. An
// ObjectWriter is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

// What Head and List say about an object.
struct ObjectInfo {
  std::string key;  // relative to the store (without an S3 store's PREFIX)
  uint64_t size = 0;
  // Changes whenever the content changes. For S3 the object's ETag without quotes; for the
  // local store an opaque value derived from the file's identity, size and mtime.
  std::string etag;
  Time last_modified{};
};

struct ListOptions {
  std::string prefix;       // only keys that start with this
  std::string delimiter;    // empty: no roll-up into common prefixes
  std::string start_after;  // only keys (and common prefixes) strictly after this
  int max_keys = 1000;      // page size, 1..1000 (S3 caps pages at 1000)
};

struct ListPage {
  std::vector<ObjectInfo> objects;           // ascending by key
  std::vector<std::string> common_prefixes;  // ascending; each ends with the delimiter
  // Non-empty when there may be more: pass it back to ListPage for the next page. Opaque.
  std::string continuation_token;
};

// One listed entry, for ListAll's callback: an object, or a common prefix (then only `key`
// is set and `is_prefix` is true).
struct ListEntry {
  ObjectInfo object;
  bool is_prefix = false;
};

// Streams one object into the store; it becomes visible, atomically, only when Close()
// returns OK. Destroying a writer that was not closed successfully abandons the upload
// (temporary file removed, S3 multipart upload aborted). A writer must not outlive its store.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  // Appends `data`. An error leaves the writer failed: Close() returns that error.
  virtual Status Write(std::string_view data) = 0;
  // Commits the object. After an error nothing was committed and the upload is abandoned.
  virtual Status Close() = 0;
  // Abandons the object; no effect after a successful Close().
  virtual void Abort() = 0;
  // Bytes written so far.
  virtual uint64_t bytes_written() const = 0;
};

class ObjectStore {
 public:
  // GetRange with this length reads to the end of the object.
  static constexpr uint64_t kToEnd = std::numeric_limits<uint64_t>::max();

  virtual ~ObjectStore() = default;

  // Writes a whole object from memory (meant for objects up to a few MiB; larger ones go
  // through NewWriter or PutFile, which an S3 store sends as a multipart upload).
  virtual Status Put(std::string_view key, std::string_view data) = 0;

  // Opens a writer for a large object (streamed; multipart on S3).
  virtual Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key) = 0;

  // Reads the whole object.
  virtual Result<std::string> Get(std::string_view key) = 0;

  // Reads `length` bytes from `offset` (fewer if the object ends first; kToEnd: to the end).
  // kInvalidArgument if `offset` is at or past the end of the object (S3's 416), except that
  // an empty object read from offset 0 gives "". A zero `length` gives "" once the object is
  // known to exist.
  virtual Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) = 0;

  virtual Result<ObjectInfo> Head(std::string_view key) = 0;

  // One page of a listing; `continuation_token` is "" for the first page, then the previous
  // page's token (which takes precedence over options.start_after).
  virtual Result<ListPage> List(const ListOptions& options,
                                std::string_view continuation_token = "") = 0;

  // Deletes the keys (missing keys are fine), in batches of up to 1000. Returns the first
  // error, with how many keys failed; keys that were deleted stay deleted.
  virtual Status Delete(std::span<const std::string> keys) = 0;

  // "s3://bucket/prefix/" or the local root, for logs and messages.
  virtual std::string Describe() const = 0;

  // --- helpers built on the above ---

  // Walks every page of a listing, calling `fn` for each object and common prefix in order.
  // `fn` returns false to stop early (ListAll then returns OK). A common prefix is reported
  // once even if a (non-conforming) server repeats it on later pages.
  Status ListAll(const ListOptions& options, const std::function<bool(const ListEntry&)>& fn);

  // Uploads the file at `path` through NewWriter.
  Status PutFile(std::string_view key, const std::string& path);

  Status Delete(std::string_view key) {
    std::string k(key);
    return Delete(std::span<const std::string>(&k, 1));
  }
};

// OK if `key` can be written to every store: 1..1024 bytes, no NUL, does not start or end
// with '/', no empty segment ("a//b"), no "." or ".." segment, and no segment starting with
// ".steady-tmp" (the local store's temporary files).
Status ValidateObjectKey(std::string_view key);

// Where `--store` points: a local directory or an S3 bucket and prefix.
struct StoreSpec {
  enum class Kind { kLocal, kS3 };
  Kind kind = Kind::kLocal;
  std::string dir;     // kLocal
  std::string bucket;  // kS3
  std::string prefix;  // kS3: "" or ends with '/'
};

// Parses the CLI grammar `DIR | s3://BUCKET[/PREFIX]`. A non-empty PREFIX gets a trailing '/'
// (`s3://logs/prod` and `s3://logs/prod/` are the same store). kInvalidArgument for an empty
// spec, an empty bucket or another URL scheme.
Result<StoreSpec> ParseStoreSpec(std::string_view spec);

}  // namespace steady::aws
