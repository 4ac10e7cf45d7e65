#include "aws/local_object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "base/file_util.h"
#include "base/ids.h"

namespace steady::aws {
namespace {

constexpr std::string_view kTempPrefix = ".steady-tmp.";

// The local store's reading of errno: base's mapping (file_util.h), plus what a directory tree
// of keys adds (a key that is both an object and a prefix, a name too long, a failing disk).
Status ErrnoStatus(int err, std::string_view what, const std::string& path) {
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(err);
  switch (err) {
    case ENOTDIR:
    case EISDIR:
    case ENOTEMPTY:
      // A key that would need a file where a directory is, or the other way round.
      return FailedPreconditionError(msg +
                                     " (a key cannot be both an object and a prefix of "
                                     "other objects in a local store)");
    case ENAMETOOLONG: return InvalidArgumentError(std::move(msg));
    case EIO: return DataLossError(std::move(msg));
    case ENOENT:
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case EACCES:
    case EPERM:
    case EROFS:
    case EAGAIN:
    case EINTR: return ErrnoError(err, what, path);
    default: return InternalError(std::move(msg));
  }
}

// Random hex for temporary names; one engine per thread keeps this lock-free.
std::string RandomHex() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t v = rng();
  return HexEncode(&v, sizeof(v));
}

// Reads exactly `len` bytes at `offset` (fewer only at end of file).
Status PreadAll(int fd, uint64_t offset, size_t len, std::string& out, const std::string& path) {
  out.resize(len);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, out.data() + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return Status::Ok();
}

std::string EtagOf(const struct stat& st) {
  // Not a content hash (that would cost a read of the whole file per Head): rename-on-write
  // gives every version a new inode and mtime, which is what callers compare etags for.
  uint64_t parts[3] = {static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
                       static_cast<uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000ull +
                           static_cast<uint64_t>(st.st_mtim.tv_nsec)};
  return HexEncode(parts, sizeof(parts));
}

ObjectInfo InfoOf(std::string key, const struct stat& st) {
  ObjectInfo info;
  info.key = std::move(key);
  info.size = static_cast<uint64_t>(st.st_size);
  info.etag = EtagOf(st);
  info.last_modified =
      FromUnixNanos(static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec);
  return info;
}

class LocalObjectWriter final : public ObjectWriter {
 public:
  LocalObjectWriter(int fd, std::string tmp_path, std::string final_path, std::string dir,
                    bool fsync)
      : fd_(fd),
        tmp_path_(std::move(tmp_path)),
        final_path_(std::move(final_path)),
        dir_(std::move(dir)),
        fsync_(fsync) {}
  ~LocalObjectWriter() override { Abort(); }

  Status Write(std::string_view data) override {
    if (!status_.ok()) return status_;
    if (fd_ < 0) return FailedPreconditionError("write after close: " + final_path_);
    status_ = WriteAll(fd_, data, tmp_path_);
    if (status_.ok()) bytes_ += data.size();
    return status_;
  }

  Status Close() override {
    if (fd_ < 0) {
      if (committed_) return Status::Ok();
      return status_.ok() ? FailedPreconditionError("writer abandoned") : status_;
    }
    Status s = status_;
    if (s.ok() && fsync_ && ::fsync(fd_) != 0) s = ErrnoStatus(errno, "fsync", tmp_path_);
    if (::close(fd_) != 0 && s.ok()) s = ErrnoStatus(errno, "close", tmp_path_);
    fd_ = -1;
    // The rename is the commit point: before it readers see the old object (or none), after
    // it the new one. The directory fsync makes the rename itself durable.
    if (s.ok() && ::rename(tmp_path_.c_str(), final_path_.c_str()) != 0) {
      s = ErrnoStatus(errno, "rename to", final_path_);
    }
    if (!s.ok()) {
      ::unlink(tmp_path_.c_str());
      status_ = s;
      return s;
    }
    committed_ = true;
    if (fsync_) RETURN_IF_ERROR(FsyncDir(dir_));
    return Status::Ok();
  }

  void Abort() override {
    if (fd_ < 0) return;
    ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_path_.c_str());
    if (status_.ok()) status_ = CancelledError("writer aborted: " + final_path_);
  }

  uint64_t bytes_written() const override { return bytes_; }

 private:
  int fd_;
  std::string tmp_path_, final_path_, dir_;
  bool fsync_;
  bool committed_ = false;
  uint64_t bytes_ = 0;
  Status status_;
};

// One directory entry as the listing orders it.
struct DirEntry {
  std::string name;
  bool is_dir = false;
  // Sort key: a directory sorts as "name/" so that a depth-first walk yields keys in byte
  // order ("a-c" < "a/b" because '-' < '/').
  std::string sort_key;
};

// Reads a directory's objects and subdirectories, sorted, skipping temporary files and
// anything that is neither a regular file nor a directory. A missing directory is empty.
Result<std::vector<DirEntry>> ReadDir(const std::string& path) {
  std::vector<DirEntry> out;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return out;
    return ErrnoStatus(errno, "opendir", path);
  }
  while (true) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) {
      if (errno != 0) {
        int err = errno;
        ::closedir(d);
        return ErrnoStatus(err, "readdir", path);
      }
      break;
    }
    std::string_view name = e->d_name;
    if (name == "." || name == ".." || name.starts_with(kTempPrefix)) continue;
    bool is_dir;
    if (e->d_type == DT_DIR) {
      is_dir = true;
    } else if (e->d_type == DT_REG) {
      is_dir = false;
    } else if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        is_dir = true;
      } else if (S_ISREG(st.st_mode)) {
        is_dir = false;
      } else {
        continue;
      }
    } else {
      continue;  // symlinks, sockets, devices: not objects
    }
    DirEntry entry{std::string(name), is_dir, std::string(name)};
    if (is_dir) entry.sort_key += '/';
    out.push_back(std::move(entry));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.sort_key < b.sort_key; });
  return out;
}

// State of one page's walk.
struct ListWalk {
  const std::string& root;
  const ListOptions& options;
  // Exclusive lower bound on keys and common prefixes (start-after or the token's item).
  std::string after;
  // Keys starting with this were rolled into a common prefix already returned.
  std::string skip_prefix;
  // Collected items, up to max_keys + 1 (the extra one proves there is a next page).
  std::vector<ListEntry> items;
  size_t limit = 0;
  bool done = false;

  // Walks the directory whose key prefix is `dir` ("" for the root, else ends with '/').
  Status Walk(const std::string& dir) {
    ASSIGN_OR_RETURN(std::vector<DirEntry> entries,
                     ReadDir(dir.empty() ? root : root + "/" + dir.substr(0, dir.size() - 1)));
    const std::string& prefix = options.prefix;
    for (const DirEntry& e : entries) {
      if (done) return Status::Ok();
      std::string full = dir + e.sort_key;
      bool compatible = full.starts_with(prefix) || (e.is_dir && prefix.starts_with(full));
      if (!compatible) {
        // Entries come in key order: once past the prefix's range, nothing later matches.
        if (full > prefix) {
          done = true;
          return Status::Ok();
        }
        continue;
      }
      if (!skip_prefix.empty() && full.starts_with(skip_prefix)) continue;
      if (e.is_dir) {
        // Every key under `full` starts with it; if the bound is past them all, skip.
        if (full <= after && !after.starts_with(full)) continue;
        RETURN_IF_ERROR(Walk(full));
        continue;
      }
      if (full <= after) continue;
      if (!options.delimiter.empty()) {
        size_t pos = full.find(options.delimiter, prefix.size());
        if (pos != std::string::npos) {
          std::string common = full.substr(0, pos + options.delimiter.size());
          skip_prefix = common;
          if (common <= after) continue;  // returned on an earlier page
          ListEntry item;
          item.object.key = std::move(common);
          item.is_prefix = true;
          Add(std::move(item));
          continue;
        }
      }
      struct stat st;
      std::string path = root + "/" + full;
      if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) continue;  // deleted while we walked
        return ErrnoStatus(errno, "stat", path);
      }
      ListEntry item;
      item.object = InfoOf(std::move(full), st);
      Add(std::move(item));
    }
    return Status::Ok();
  }

  void Add(ListEntry item) {
    items.push_back(std::move(item));
    if (items.size() >= limit) done = true;
  }
};

}  // namespace

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(std::string root,
                                                                 LocalObjectStoreOptions options) {
  if (root.empty()) return InvalidArgumentError("local object store: empty root");
  while (root.size() > 1 && root.ends_with('/')) root.pop_back();
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return ErrnoStatus(ec.value(), "create", root);
  if (!std::filesystem::is_directory(root, ec)) {
    return FailedPreconditionError("local object store: " + root + " is not a directory");
  }
  if (root == "/") root.clear();  // PathOf adds the '/'
  return std::unique_ptr<LocalObjectStore>(new LocalObjectStore(std::move(root), options));
}

Status LocalObjectStore::Put(std::string_view key, std::string_view data) {
  ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, NewWriter(key));
  RETURN_IF_ERROR(writer->Write(data));
  return writer->Close();
}

Result<std::unique_ptr<ObjectWriter>> LocalObjectStore::NewWriter(std::string_view key) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  std::string final_path = PathOf(key);
  size_t slash = key.rfind('/');
  std::string dir = slash == std::string_view::npos ? root_ : PathOf(key.substr(0, slash));
  if (dir.empty()) dir = "/";
  // Another writer's Delete may remove an empty directory between our mkdir and our open;
  // then we create it again. Once the temporary file exists the directory is not empty and
  // stays.
  Status last;
  for (int attempt = 0; attempt < 16; ++attempt) {
    // Create each missing level, fsyncing its parent so the new entry survives a crash.
    // kNotFound here means a concurrent delete pruned a level we had: start over.
    last = Status::Ok();
    for (size_t pos = 0; slash != std::string_view::npos && last.ok();) {
      size_t next = key.find('/', pos);
      if (next == std::string_view::npos || next > slash) break;
      std::string level = PathOf(key.substr(0, next));
      if (::mkdir(level.c_str(), 0755) == 0) {
        if (options_.fsync) {
          size_t up = level.rfind('/');
          last = FsyncDir(up == 0 ? "/" : level.substr(0, up));
        }
      } else if (errno != EEXIST) {
        last = ErrnoStatus(errno, "mkdir", level);
      }
      pos = next + 1;
    }
    if (last.code() == StatusCode::kNotFound) continue;
    RETURN_IF_ERROR(last);
    std::string tmp = dir + "/" + std::string(kTempPrefix) + RandomHex();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      return std::unique_ptr<ObjectWriter>(
          new LocalObjectWriter(fd, std::move(tmp), std::move(final_path), dir, options_.fsync));
    }
    int err = errno;
    last = ErrnoStatus(err, "create", tmp);
    if (err != ENOENT && err != EEXIST) break;
  }
  return last.code() == StatusCode::kNotFound ? UnavailableError(last.message()) : last;
}

Result<std::string> LocalObjectStore::Get(std::string_view key) { return GetRange(key, 0, kToEnd); }

Result<std::string> LocalObjectStore::GetRange(std::string_view key, uint64_t offset,
                                               uint64_t length) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  std::string path = PathOf(key);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOTDIR) err = ENOENT;  // a path component is an object: no such key
    return ErrnoStatus(err, "open", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return NotFoundError("no such object: " + path);
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  std::string out;
  Status s;
  if (length == 0) {
    // Existence was the question.
  } else if (offset >= size && !(size == 0 && offset == 0)) {
    s = InvalidArgumentError("range not satisfiable: offset " + std::to_string(offset) + " of " +
                             path + " (" + std::to_string(size) + " bytes)");
  } else {
    uint64_t n = std::min(length, size - offset);
    s = PreadAll(fd, offset, static_cast<size_t>(n), out, path);
    // The file is replaced by rename, never rewritten in place, so a short read means the
    // file system lost data.
    if (s.ok() && out.size() != n) s = DataLossError("short read: " + path);
  }
  ::close(fd);
  if (!s.ok()) return s;
  return out;
}

Result<ObjectInfo> LocalObjectStore::Head(std::string_view key) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  std::string path = PathOf(key);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno == ENOTDIR ? ENOENT : errno;
    return ErrnoStatus(err, "stat", path);
  }
  if (!S_ISREG(st.st_mode)) return NotFoundError("no such object: " + path);
  return InfoOf(std::string(key), st);
}

Result<ListPage> LocalObjectStore::List(const ListOptions& options,
                                        std::string_view continuation_token) {
  if (options.max_keys < 1 || options.max_keys > 1000) {
    return InvalidArgumentError("list: max_keys must be 1..1000");
  }
  ListWalk walk{root_, options};
  walk.limit = static_cast<size_t>(options.max_keys) + 1;
  if (!continuation_token.empty()) {
    // "K<key>": resume after that key; "P<prefix>": after every key under that common prefix.
    char kind = continuation_token[0];
    if ((kind != 'K' && kind != 'P') || continuation_token.size() < 2) {
      return InvalidArgumentError("list: bad continuation token");
    }
    walk.after = std::string(continuation_token.substr(1));
    if (kind == 'P') walk.skip_prefix = walk.after;
  } else {
    walk.after = options.start_after;
  }
  RETURN_IF_ERROR(walk.Walk(""));
  ListPage page;
  if (walk.items.size() > static_cast<size_t>(options.max_keys)) {
    walk.items.pop_back();
    const ListEntry& last = walk.items.back();
    page.continuation_token = (last.is_prefix ? "P" : "K") + last.object.key;
  }
  for (ListEntry& item : walk.items) {
    if (item.is_prefix) {
      page.common_prefixes.push_back(std::move(item.object.key));
    } else {
      page.objects.push_back(std::move(item.object));
    }
  }
  return page;
}

Status LocalObjectStore::Delete(std::span<const std::string> keys) {
  Status first;
  int failed = 0;
  for (const std::string& key : keys) {
    Status s = ValidateObjectKey(key);
    std::string path = PathOf(key);
    if (s.ok() && ::unlink(path.c_str()) != 0) {
      // Missing keys are fine; so is a key that names a "directory" (no such object).
      if (errno != ENOENT && errno != ENOTDIR && errno != EISDIR) {
        s = ErrnoStatus(errno, "unlink", path);
      }
    }
    if (!s.ok()) {
      if (failed++ == 0) first = s;
      continue;
    }
    // Remove directories the delete emptied, up to the root, so that the tree does not fill
    // with empty prefixes. A concurrent writer re-creates what it needs (see NewWriter).
    size_t slash = key.rfind('/');
    bool synced = false;
    while (slash != std::string::npos) {
      std::string dir = PathOf(std::string_view(key).substr(0, slash));
      if (options_.fsync && !synced) {
        // Make the unlink durable before the directory may go.
        (void)FsyncDir(dir);
        synced = true;
      }
      if (::rmdir(dir.c_str()) != 0) break;
      slash = slash == 0 ? std::string::npos : key.rfind('/', slash - 1);
    }
    if (options_.fsync && !synced) (void)FsyncDir(root_.empty() ? "/" : root_);
  }
  if (failed > 0) {
    return first.WithContext("delete (" + std::to_string(failed) + " of " +
                             std::to_string(keys.size()) + " keys failed)");
  }
  return Status::Ok();
}

Result<int> LocalObjectStore::RemoveStaleTemporaryFiles(Duration min_age, Time now) {
  int removed = 0;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(
      root_.empty() ? "/" : root_, std::filesystem::directory_options::skip_permission_denied, ec);
  if (ec) return ErrnoStatus(ec.value(), "walk", root_);
  for (; it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return ErrnoStatus(ec.value(), "walk", root_);
    if (!it->path().filename().string().starts_with(kTempPrefix)) continue;
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    Time mtime =
        FromUnixNanos(static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec);
    if (now - mtime < min_age) continue;
    if (::unlink(it->path().c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace steady::aws
