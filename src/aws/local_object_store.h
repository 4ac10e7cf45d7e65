// ObjectStore over a local directory: object `key` is the file `<root>/<key>`, so the tree
// under the root looks like the bucket would. The embedded default store (`./var/`).
//
// Writes go to a temporary file (`.steady-tmp.*`) in the object's directory, are fsynced,
// renamed over the key and the directory is fsynced: an acknowledged Put survives a crash,
// and a reader never sees a partial object. Temporary files left by a crash are never listed
// or returned; RemoveStaleTemporaryFiles sweeps them.
//
// Keys must pass ValidateObjectKey (no "..", no empty segments, no leading or trailing '/'),
// so a key can never name a path outside the root. A key cannot be both an object and a
// "directory" of other objects ("a" and "a/b"): the second write fails with
// kFailedPrecondition (S3 allows both; the log layout never needs it).
//
// Listing walks the tree in key order (a directory sorts as its name plus '/'), pruned by
// prefix, start-after and delimiter, so a page costs the directories it touches, not the
// whole tree. The continuation token names the last key (or common prefix) returned.
//
// Thread safety: all methods may be called from many threads, and several processes may share
// one root (directory creation and removal tolerate each other's races).
#pragma once

#include <memory>
#include <string>

#include "aws/object_store.h"

namespace steady::aws {

struct LocalObjectStoreOptions {
  // fsync files and directories on every write and delete. Off only for tests and benchmarks
  // that do not care about crashes.
  bool fsync = true;
};

class LocalObjectStore final : public ObjectStore {
 public:
  // Creates `root` (and its parents) if missing. kInvalidArgument for an empty root; an I/O
  // error if it cannot be created or is not a directory.
  static Result<std::unique_ptr<LocalObjectStore>> Open(std::string root,
                                                        LocalObjectStoreOptions options = {});

  Status Put(std::string_view key, std::string_view data) override;
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Result<ListPage> List(const ListOptions& options,
                        std::string_view continuation_token = "") override;
  using ObjectStore::Delete;
  Status Delete(std::span<const std::string> keys) override;
  std::string Describe() const override { return root_; }

  // Removes temporary files last modified more than `min_age` before `now` (leftovers of a
  // crash; a live writer's file is younger as long as it writes). Returns how many it removed.
  Result<int> RemoveStaleTemporaryFiles(Duration min_age, Time now);

  const std::string& root() const { return root_; }

 private:
  LocalObjectStore(std::string root, LocalObjectStoreOptions options)
      : root_(std::move(root)), options_(options) {}

  std::string PathOf(std::string_view key) const { return root_ + "/" + std::string(key); }

  std::string root_;  // without a trailing '/'
  LocalObjectStoreOptions options_;
};

}  // namespace steady::aws
