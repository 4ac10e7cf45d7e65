// Object bytes for the region's S3, as immutable files: <dir>/blobs/<name>, each written once
// under <dir>/tmp, fsynced, renamed into place and its directory fsynced, so that a name that
// exists always holds complete bytes. Names are random (never reused, even across restarts),
// and files are never changed after they appear: readers that opened one read consistent
// bytes while the object is replaced or deleted.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace steady::region {

// An open file descriptor, closed on destruction.
class S3BlobFile {
 public:
  S3BlobFile() = default;
  explicit S3BlobFile(int fd) : fd_(fd) {}
  S3BlobFile(S3BlobFile&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  S3BlobFile& operator=(S3BlobFile&& o) noexcept;
  ~S3BlobFile();
  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Reads `n` bytes at `offset` (kDataLoss if the file is shorter).
  Result<std::string> ReadAt(uint64_t offset, uint64_t n) const;

 private:
  int fd_ = -1;
};

class S3BlobDir {
 public:
  // `dir` is created if missing. Empty: a fresh temporary directory, removed with this object,
  // and nothing is fsynced (its contents do not outlive the process anyway).
  explicit S3BlobDir(std::string dir);
  ~S3BlobDir();
  S3BlobDir(const S3BlobDir&) = delete;
  S3BlobDir& operator=(const S3BlobDir&) = delete;

  // Why the directory could not be made (then every write fails with it).
  const Status& status() const { return status_; }
  const std::string& dir() const { return dir_; }
  bool durable() const { return !temporary_; }

  // Writes `data` as a new blob; returns its name.
  Result<std::string> Write(std::string_view data);
  // Writes the concatenation of the open files (each read from offset 0 for its size).
  Result<std::string> Concat(const std::vector<std::pair<const S3BlobFile*, uint64_t>>& parts);
  // A new name for the bytes of `blob` (a hard link; a copy where links are not possible).
  Result<std::string> Link(const std::string& blob);
  // Opens a blob for reading. kDataLoss if it is missing.
  Result<S3BlobFile> Open(const std::string& blob) const;
  // Removes blobs (missing ones are ignored).
  void Remove(const std::vector<std::string>& blobs);
  // Removes every blob not in `keep` and every temporary file. Call only while no write is
  // under way.
  void Collect(const std::set<std::string>& keep);

  std::string PathOf(const std::string& blob) const;

 private:
  // Moves the finished temporary file into place under a new name.
  Result<std::string> Publish(int fd, const std::string& tmp_path);
  Result<std::pair<int, std::string>> NewTemp();

  std::string dir_;
  bool temporary_ = false;
  Status status_;
};

}  // namespace steady::region
