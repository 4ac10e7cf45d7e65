#include "logs/slice_buffer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "base/file_util.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/time_format.h"
#include "logs/gzip.h"
#include "logs/layout.h"
#include "logs/slice_buffer_testing.h"

namespace steady::logs {
namespace {

constexpr std::string_view kOpenSuffix = ".gz.open";
constexpr std::string_view kSealedSuffix = ".gz";
constexpr std::string_view kTempSuffix = ".tmp";

// Recompression reads the whole slice into memory; only small slices qualify (low-volume
// streams are what it is for, and the aggregator's RSS budget is 100 MiB).
constexpr uint64_t kMaxRecompressBytes = 8ull << 20;
constexpr size_t kMaxRecompressInflated = 128ull << 20;
// Recovery scans a file in windows of this size so that memory stays bounded by the window
// and what one member inflates to, not by the size of the file.
constexpr size_t kRecoveryWindow = 4ull << 20;
constexpr size_t kRecoveryMaxInflated = 1ull << 30;

std::atomic<testing::WriteFn> g_write_fn{nullptr};

ssize_t DoWrite(int fd, const void* data, size_t len) {
  testing::WriteFn fn = g_write_fn.load(std::memory_order_relaxed);
  return fn ? fn(fd, data, len) : ::write(fd, data, len);
}

Status IoError(int err, std::string_view what, const std::string& path) {
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhaustedError(std::move(msg));
  return UnavailableError(std::move(msg));
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// A key segment that is safe as a directory name: the caller sanitizes, we only refuse what
// would escape the buffer directory or collide with our temporary files.
Status ValidateSegment(std::string_view what, std::string_view s) {
  if (s.empty() || s.size() > 255 || s == "." || s == ".." || s.front() == '.' ||
      s.find('/') != std::string_view::npos || s.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("slice " + std::string(what) + " \"" + std::string(s) +
                                "\" is not a valid key segment");
  }
  return Status::Ok();
}

// "<YYYYmmddHHMM>_<index>_<uuid>" (the file name without its suffix).
std::string SliceBaseName(int64_t minute, uint64_t index, std::string_view uuid) {
  return FormatBaseName(ObjectBaseName{minute, index, std::string(uuid)});
}

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(errno, "open", path);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return IoError(err, "read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status PreadAll(int fd, uint64_t offset, size_t len, std::string* out, const std::string& path) {
  out->resize(len);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, out->data() + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(errno, "read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out->resize(done);
  return Status::Ok();
}

// Length of the prefix of the file made of complete, valid gzip members.
Result<uint64_t> ValidPrefix(const std::string& path, uint64_t* file_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(errno, "open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError(err, "stat", path);
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  *file_size = size;
  uint64_t good = 0;
  size_t window = kRecoveryWindow;
  std::string in, out;
  while (good < size) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(window, size - good));
    Status s = PreadAll(fd, good, len, &in, path);
    if (!s.ok()) {
      ::close(fd);
      return s;
    }
    out.clear();
    size_t ok_bytes = 0;
    s = GunzipMembers(in, &out, kRecoveryMaxInflated, &ok_bytes);
    if (s.ok()) {
      good += in.size();
      if (in.size() < len) break;  // file shrank under us
      continue;
    }
    if (ok_bytes > 0) {
      good += ok_bytes;
      continue;
    }
    // No complete member in the window: either the member is longer than the window (grow it)
    // or this is where the damage starts.
    if (s.code() == StatusCode::kDataLoss && good + len < size) {
      window *= 2;
      continue;
    }
    break;
  }
  ::close(fd);
  return good;
}

}  // namespace

namespace testing {
void SetSliceBufferWriteFn(WriteFn fn) { g_write_fn.store(fn); }
}  // namespace testing

std::string SliceBuffer::ObjectKey(std::string_view key_prefix, const SliceId& id, uint64_t index,
                                   std::string_view uuid) {
  return FormatServiceLogKey(ServiceLogKey{std::string(key_prefix), id.family, id.container,
                                           ObjectBaseName{id.minute, index, std::string(uuid)}});
}

namespace {

struct Slice {
  SliceId id;
  uint64_t index = 0;
  std::string uuid;
  std::string dir;   // <dir>/<family>/<container>
  std::string base;  // file name without suffix

  std::mutex mu;      // guards what follows; lock order: Slice::mu before BufferImpl::mu_
  int fd = -1;        // -1 once sealed
  uint64_t size = 0;  // bytes in the file
  uint64_t records = 0;
  uint64_t appends = 0;
  bool dirty = false;  // written since the last fdatasync
  std::atomic<bool> full{false};

  std::string open_path() const { return dir + "/" + base + std::string(kOpenSuffix); }
  std::string sealed_path() const { return dir + "/" + base + std::string(kSealedSuffix); }
};

std::string RouteKey(const SliceId& id) {
  std::string k = id.family;
  k += '\0';
  k += id.container;
  k += '\0';
  k += std::to_string(id.minute);
  return k;
}

class BufferImpl final : public SliceBuffer {
 public:
  BufferImpl(const SliceBufferOptions& options, Clock& clock, MetricsRegistry& metrics)
      : options_(options),
        clock_(clock),
        buffer_bytes_(metrics
                          .AddGauge("steady_aggregator_buffer_bytes",
                                    "Bytes in the aggregator's disk buffer (open and sealed "
                                    "slices not yet uploaded).")
                          .Get()),
        slices_(metrics.AddGauge("steady_aggregator_buffer_slices",
                                 "Slices in the disk buffer, by state.", {"state"})),
        appended_bytes_(metrics
                            .AddCounter("steady_aggregator_appended_bytes_total",
                                        "Compressed bytes appended to the disk buffer.")
                            .Get()),
        recovered_slices_(metrics
                              .AddCounter("steady_aggregator_recovered_slices_total",
                                          "Open slices found and sealed at startup (after a "
                                          "crash or kill).")
                              .Get()),
        recovery_truncated_bytes_(
            metrics
                .AddCounter("steady_aggregator_recovery_truncated_bytes_total",
                            "Bytes of partial gzip members cut from recovered slices.")
                .Get()),
        sync_seconds_(metrics
                          .AddHistogram("steady_aggregator_sync_seconds",
                                        "Duration of one group-commit round of fdatasync.")
                          .Get()),
        append_errors_(metrics.AddCounter("steady_aggregator_append_errors_total",
                                          "Appends to the disk buffer that failed, by kind.",
                                          {"kind"})) {}

  // Open slices stay on disk as .open files (what a crash leaves too); the next Open seals them.
  // No other thread may use the buffer any more, so no locks.
  ~BufferImpl() override {
    for (auto& [key, s] : open_) {
      if (s->fd >= 0) ::close(s->fd);
      s->fd = -1;
    }
    buffer_bytes_.Add(-static_cast<double>(buffered_bytes()));
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  // Takes <dir>/.lock so that two processes never share (and recover from under each other)
  // one buffer directory.
  Status Lock() {
    const std::string path = options_.dir + "/.lock";
    lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) return IoError(errno, "open", path);
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return FailedPreconditionError("slice buffer: " + options_.dir +
                                       " is in use by another aggregator (" + path + " locked)");
      }
      return IoError(errno, "flock", path);
    }
    return Status::Ok();
  }

  Status Recover();

  Status Append(const SliceId& id, std::string_view gzip, uint64_t records) override;
  Status Sync() override;
  std::vector<SealedSlice> SealDue() override;
  std::vector<SealedSlice> SealAll() override;
  std::vector<SealedSlice> Sealed() const override;
  Status Remove(const SealedSlice& slice) override;

  uint64_t buffered_bytes() const override {
    return buffered_bytes_.load(std::memory_order_relaxed);
  }
  uint64_t open_slices() const override {
    std::lock_guard lock(mu_);
    return open_.size() + sealing_;
  }
  bool over_limit() const override { return buffered_bytes() > options_.max_buffer_bytes; }
  void SetSpaceListener(std::function<void()> listener) override {
    std::lock_guard lock(mu_);
    listener_ = std::move(listener);
  }

 private:
  Result<std::shared_ptr<Slice>> GetOrOpenLocked(const SliceId& id);
  Status EnsureDirLocked(const std::string& path);
  std::vector<SealedSlice> SealSlices(std::vector<std::shared_ptr<Slice>> slices);
  // Closes, optionally recompresses and renames `s`; false (logged) if it failed.
  bool SealOne(Slice& s, SealedSlice* out);
  Status Recompress(Slice& s);
  Status RecoverFile(const std::string& dir, const std::string& family,
                     const std::string& container, const std::string& name);
  void AddBytes(int64_t delta);
  void UpdateSliceGaugesLocked() {
    slices_.With({"open"}).Set(static_cast<double>(open_.size() + sealing_));
    slices_.With({"sealed"}).Set(static_cast<double>(sealed_.size()));
  }

  const SliceBufferOptions options_;
  Clock& clock_;
  Gauge& buffer_bytes_;
  MetricFamily<Gauge>& slices_;
  Counter& appended_bytes_;
  Counter& recovered_slices_;
  Counter& recovery_truncated_bytes_;
  Histogram& sync_seconds_;
  MetricFamily<Counter>& append_errors_;

  std::atomic<uint64_t> buffered_bytes_{0};
  int lock_fd_ = -1;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Slice>> open_;  // by RouteKey
  std::map<std::string, uint64_t> next_index_;          // by RouteKey
  std::map<std::string, SealedSlice> sealed_;           // by path
  std::vector<std::shared_ptr<Slice>> dirty_;           // to fdatasync in the next Sync
  std::set<std::string> dirs_to_sync_;                  // directories with new entries
  std::set<std::string> known_dirs_;                    // created or seen
  size_t sealing_ = 0;                                  // taken out of open_, not yet sealed
  std::function<void()> listener_;

  // Group commit.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  uint64_t sync_started_ = 0;
  uint64_t sync_done_ = 0;
  bool syncing_ = false;
  Status last_sync_status_;
};

void BufferImpl::AddBytes(int64_t delta) {
  buffered_bytes_.fetch_add(static_cast<uint64_t>(delta));
  buffer_bytes_.Add(static_cast<double>(delta));
}

Status BufferImpl::EnsureDirLocked(const std::string& path) {
  if (known_dirs_.count(path)) return Status::Ok();
  // Create each missing level; a new directory is an entry in its parent to fsync.
  size_t pos = options_.dir.size();
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    std::string level = path.substr(0, pos);
    if (::mkdir(level.c_str(), 0755) == 0) {
      dirs_to_sync_.insert(ParentOf(level));
    } else if (errno != EEXIST) {
      return IoError(errno, "mkdir", level);
    }
  }
  known_dirs_.insert(path);
  return Status::Ok();
}

Result<std::shared_ptr<Slice>> BufferImpl::GetOrOpenLocked(const SliceId& id) {
  std::string route = RouteKey(id);
  auto it = open_.find(route);
  if (it != open_.end()) {
    if (!it->second->full.load()) return it->second;
    // Full: SealDue picks it up from the open map; later Appends go to a new index. It stays
    // in open_ under a unique key until then.
    open_.emplace(route + '\0' + std::to_string(it->second->index), it->second);
    open_.erase(it);
  }
  auto s = std::make_shared<Slice>();
  s->id = id;
  uint64_t& next = next_index_[route];
  s->index = next;
  s->uuid = NewUuid();
  s->dir = options_.dir + "/" + id.family + "/" + id.container;
  s->base = SliceBaseName(id.minute, s->index, s->uuid);
  RETURN_IF_ERROR(EnsureDirLocked(s->dir));
  std::string path = s->open_path();
  s->fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (s->fd < 0) {
    int err = errno;
    if (err == ENOENT) known_dirs_.erase(s->dir);  // removed behind our back; recreate next time
    return IoError(err, "open", path);
  }
  ++next;
  dirs_to_sync_.insert(s->dir);
  open_.emplace(route, s);
  UpdateSliceGaugesLocked();
  return s;
}

Status BufferImpl::Append(const SliceId& id, std::string_view gzip, uint64_t records) {
  RETURN_IF_ERROR(ValidateSegment("family", id.family));
  RETURN_IF_ERROR(ValidateSegment("container", id.container));
  for (;;) {
    std::shared_ptr<Slice> s;
    {
      std::lock_guard lock(mu_);
      auto r = GetOrOpenLocked(id);
      if (!r.ok()) {
        append_errors_
            .With({r.status().code() == StatusCode::kResourceExhausted ? "no_space" : "io"})
            .Inc();
        return r.status();
      }
      s = std::move(*r);
    }
    std::lock_guard slock(s->mu);
    if (s->fd < 0) continue;  // sealed between the lookup and here: open the next one
    const uint64_t before = s->size;
    std::string_view rest = gzip;
    int err = 0;
    while (!rest.empty()) {
      ssize_t n = DoWrite(s->fd, rest.data(), rest.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        err = errno;
        break;
      }
      rest.remove_prefix(static_cast<size_t>(n));
    }
    if (err != 0) {
      // Never leave a partial member behind while we live: cut back to the last full one.
      if (::ftruncate(s->fd, static_cast<off_t>(before)) != 0) {
        LogError("slice buffer: truncate after failed append failed",
                 {{"path", s->open_path()}, {"error", std::strerror(errno)}});
      }
      Status st = IoError(err, "write", s->open_path());
      append_errors_.With({st.code() == StatusCode::kResourceExhausted ? "no_space" : "io"}).Inc();
      return st;
    }
    s->size += gzip.size();
    s->records += records;
    s->appends += 1;
    if (s->size >= options_.max_slice_bytes) s->full.store(true);
    const bool first_dirty = !s->dirty;
    s->dirty = true;
    if (first_dirty) {
      // Registered while s->mu is held, so a Sync that starts after we return sees it.
      std::lock_guard lock(mu_);
      dirty_.push_back(s);
    }
    AddBytes(static_cast<int64_t>(gzip.size()));
    appended_bytes_.Inc(static_cast<double>(gzip.size()));
    return Status::Ok();
  }
}

Status BufferImpl::Sync() {
  std::unique_lock lock(sync_mu_);
  // A round already running may have collected its files before our Appends: we need the
  // next round to start (and finish) after this call.
  const uint64_t target = sync_started_ + 1;
  while (sync_done_ < target) {
    if (syncing_) {
      sync_cv_.wait(lock);
      continue;
    }
    syncing_ = true;
    const uint64_t round = ++sync_started_;
    lock.unlock();

    Time start = clock_.Now();
    std::vector<std::shared_ptr<Slice>> files;
    std::set<std::string> dirs;
    {
      std::lock_guard l(mu_);
      files.swap(dirty_);
      dirs.swap(dirs_to_sync_);
    }
    Status status;
    std::vector<std::shared_ptr<Slice>> failed;
    for (auto& s : files) {
      // fdatasync a dup of the fd without holding the slice's lock, so that Appends to it go
      // on meanwhile (they mark it dirty again and are covered by the next round); a seal may
      // close the slice's own fd under us.
      int fd;
      {
        std::lock_guard slock(s->mu);
        if (s->fd < 0 || !s->dirty) continue;  // sealed (and synced by the seal) meanwhile
        fd = ::dup(s->fd);
        if (fd < 0) {
          if (status.ok()) status = IoError(errno, "dup", s->open_path());
          failed.push_back(s);
          continue;
        }
        s->dirty = false;
      }
      int rc = ::fdatasync(fd);
      int err = errno;
      ::close(fd);
      if (rc != 0) {
        if (status.ok()) status = IoError(err, "fdatasync", s->open_path());
        std::lock_guard slock(s->mu);
        s->dirty = true;
        failed.push_back(s);
      }
    }
    std::set<std::string> failed_dirs;
    for (const auto& d : dirs) {
      Status ds = FsyncDir(d);
      // A directory removed after its last file went has nothing left to make durable.
      if (ds.ok() || ::access(d.c_str(), F_OK) != 0) continue;
      if (status.ok()) status = ds;
      failed_dirs.insert(d);
    }
    if (!failed.empty() || !failed_dirs.empty()) {
      std::lock_guard l(mu_);
      for (auto& s : failed) dirty_.push_back(s);
      dirs_to_sync_.insert(failed_dirs.begin(), failed_dirs.end());
    }
    sync_seconds_.Observe(std::chrono::duration<double>(clock_.Now() - start).count());

    lock.lock();
    syncing_ = false;
    sync_done_ = round;
    last_sync_status_ = status;
    sync_cv_.notify_all();
  }
  return last_sync_status_;
}

Status BufferImpl::Recompress(Slice& s) {
  const std::string path = s.open_path();
  ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  std::string plain;
  RETURN_IF_ERROR(GunzipMembers(data, &plain, kMaxRecompressInflated));
  std::string packed;
  packed.reserve(data.size());
  NewGzipCompressor(GzipCodec::kLibdeflate, 6)->CompressMember(plain, &packed);
  if (packed.size() >= data.size()) return Status::Ok();  // no gain: keep the members
  const std::string tmp = s.dir + "/." + s.base + std::string(kTempSuffix);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(errno, "open", tmp);
  Status st = WriteAll(fd, packed, tmp);
  if (st.ok() && ::fdatasync(fd) != 0) st = IoError(errno, "fdatasync", tmp);
  ::close(fd);
  // Replace the .open file atomically: a crash leaves either the members or the one member.
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = IoError(errno, "rename", tmp);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  AddBytes(static_cast<int64_t>(packed.size()) - static_cast<int64_t>(s.size));
  s.size = packed.size();
  return Status::Ok();
}

bool BufferImpl::SealOne(Slice& s, SealedSlice* out) {
  std::lock_guard slock(s.mu);
  const std::string open_path = s.open_path();
  if (s.fd >= 0) {
    if (s.dirty && ::fdatasync(s.fd) != 0) {
      LogError("slice buffer: fdatasync on seal failed",
               {{"path", open_path}, {"error", std::strerror(errno)}});
    }
    s.dirty = false;
    ::close(s.fd);
    s.fd = -1;
  }
  if (s.size == 0) {
    ::unlink(open_path.c_str());
    return false;
  }
  if (options_.recompress_below_avg_member > 0 && s.appends > 1 && s.size <= kMaxRecompressBytes &&
      s.size / s.appends < options_.recompress_below_avg_member) {
    Status st = Recompress(s);
    if (!st.ok()) {
      LogWarn("slice buffer: recompress failed; sealing the members as they are",
              {{"path", open_path}, {"error", st.ToString()}});
    }
  }
  const std::string sealed_path = s.sealed_path();
  if (::rename(open_path.c_str(), sealed_path.c_str()) != 0) {
    // Left as .open: the next Open recovers and seals it.
    LogError("slice buffer: seal rename failed",
             {{"path", open_path}, {"error", std::strerror(errno)}});
    return false;
  }
  Status st = FsyncDir(s.dir);
  if (!st.ok()) LogWarn("slice buffer: fsync after seal failed", {{"error", st.ToString()}});
  out->path = sealed_path;
  out->key = ObjectKey(options_.key_prefix, s.id, s.index, s.uuid);
  out->bytes = s.size;
  out->records = s.records;
  return true;
}

std::vector<SealedSlice> BufferImpl::SealSlices(std::vector<std::shared_ptr<Slice>> slices) {
  std::vector<SealedSlice> out;
  for (auto& s : slices) {
    SealedSlice sealed;
    // On failure the slice is either gone (it was empty) or left as .open for the next Open.
    bool ok = SealOne(*s, &sealed);
    std::lock_guard lock(mu_);
    --sealing_;
    if (ok) {
      sealed_[sealed.path] = sealed;
      out.push_back(std::move(sealed));
    }
    UpdateSliceGaugesLocked();
  }
  return out;
}

std::vector<SealedSlice> BufferImpl::SealDue() {
  const Time now = clock_.Now();
  std::vector<std::shared_ptr<Slice>> due;
  {
    std::lock_guard lock(mu_);
    for (auto it = open_.begin(); it != open_.end();) {
      const Slice& s = *it->second;
      Time end = FromUnixSeconds(static_cast<double>(s.id.minute + 1) * 60);
      if (s.full.load() || end + options_.grace <= now) {
        due.push_back(it->second);
        it = open_.erase(it);
        ++sealing_;
      } else {
        ++it;
      }
    }
  }
  return SealSlices(std::move(due));
}

std::vector<SealedSlice> BufferImpl::SealAll() {
  std::vector<std::shared_ptr<Slice>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, s] : open_) all.push_back(s);
    sealing_ += open_.size();
    open_.clear();
  }
  return SealSlices(std::move(all));
}

std::vector<SealedSlice> BufferImpl::Sealed() const {
  std::lock_guard lock(mu_);
  std::vector<SealedSlice> out;
  out.reserve(sealed_.size());
  for (const auto& [path, s] : sealed_) out.push_back(s);
  return out;
}

Status BufferImpl::Remove(const SealedSlice& slice) {
  std::function<void()> notify;
  {
    std::lock_guard lock(mu_);
    auto it = sealed_.find(slice.path);
    if (it == sealed_.end()) return NotFoundError("no sealed slice " + slice.path);
    if (::unlink(slice.path.c_str()) != 0 && errno != ENOENT) {
      return IoError(errno, "unlink", slice.path);
    }
    const uint64_t bytes = it->second.bytes;
    sealed_.erase(it);
    const bool was_over = over_limit();
    AddBytes(-static_cast<int64_t>(bytes));
    if (was_over && !over_limit()) notify = listener_;
    // Drop the container and family directories once empty (rmdir refuses otherwise). Under
    // mu_, so no Append creates a file in them meanwhile.
    std::string container_dir = ParentOf(slice.path);
    if (::rmdir(container_dir.c_str()) == 0) {
      known_dirs_.erase(container_dir);
      std::string family_dir = ParentOf(container_dir);
      if (family_dir != options_.dir) ::rmdir(family_dir.c_str());
    }
    UpdateSliceGaugesLocked();
  }
  if (notify) notify();
  return Status::Ok();
}

Status BufferImpl::RecoverFile(const std::string& dir, const std::string& family,
                               const std::string& container, const std::string& name) {
  const std::string path = dir + "/" + name;
  std::string_view nv = name;
  if (nv.front() == '.' && EndsWith(nv, kTempSuffix)) {
    // A recompression that a crash interrupted; the .open file it came from is intact.
    ::unlink(path.c_str());
    return Status::Ok();
  }
  bool is_open = EndsWith(nv, kOpenSuffix);
  bool is_sealed = !is_open && EndsWith(nv, kSealedSuffix);
  std::optional<ObjectBaseName> parsed;
  if (is_open || is_sealed) {
    parsed =
        ParseBaseName(nv.substr(0, nv.size() - (is_open ? kOpenSuffix : kSealedSuffix).size()));
  }
  if (!parsed) {
    LogWarn("slice buffer: ignoring unknown file", {{"path", path}});
    return Status::Ok();
  }
  SliceId id{family, container, parsed->minute};
  uint64_t& next = next_index_[RouteKey(id)];
  next = std::max(next, parsed->index + 1);

  uint64_t size = 0;
  std::string sealed_path = path;
  if (is_open) {
    uint64_t file_size = 0;
    ASSIGN_OR_RETURN(uint64_t good, ValidPrefix(path, &file_size));
    if (good < file_size) {
      recovery_truncated_bytes_.Inc(static_cast<double>(file_size - good));
      LogWarn("slice buffer: cut a partial gzip member from a recovered slice",
              {{"path", path}, {"bytes", file_size - good}});
    }
    if (good == 0) {
      ::unlink(path.c_str());
      dirs_to_sync_.insert(dir);
      return Status::Ok();
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return IoError(errno, "open", path);
    Status st;
    if (good < file_size && ::ftruncate(fd, static_cast<off_t>(good)) != 0) {
      st = IoError(errno, "truncate", path);
    }
    if (st.ok() && ::fdatasync(fd) != 0) st = IoError(errno, "fdatasync", path);
    ::close(fd);
    RETURN_IF_ERROR(st);
    sealed_path = path.substr(0, path.size() - kOpenSuffix.size()) + std::string(kSealedSuffix);
    if (::rename(path.c_str(), sealed_path.c_str()) != 0) return IoError(errno, "rename", path);
    dirs_to_sync_.insert(dir);
    recovered_slices_.Inc();
    size = good;
  } else {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return IoError(errno, "stat", path);
    size = static_cast<uint64_t>(st.st_size);
  }
  SealedSlice s;
  s.path = sealed_path;
  s.key = ObjectKey(options_.key_prefix, id, parsed->index, parsed->uuid);
  s.bytes = size;
  sealed_[s.path] = s;
  AddBytes(static_cast<int64_t>(size));
  return Status::Ok();
}

std::vector<std::string> ListDir(const std::string& path, bool dirs) {
  std::vector<std::string> out;
  DIR* d = ::opendir(path.c_str());
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir;
    if (e->d_type == DT_DIR) {
      is_dir = true;
    } else if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = ::stat((path + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    } else {
      is_dir = false;
    }
    if (is_dir == dirs) out.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

Status BufferImpl::Recover() {
  std::lock_guard lock(mu_);
  for (const auto& family : ListDir(options_.dir, true)) {
    const std::string fdir = options_.dir + "/" + family;
    for (const auto& container : ListDir(fdir, true)) {
      const std::string cdir = fdir + "/" + container;
      for (const auto& name : ListDir(cdir, false)) {
        RETURN_IF_ERROR(RecoverFile(cdir, family, container, name));
      }
      if (::rmdir(cdir.c_str()) == 0) dirs_to_sync_.insert(fdir);
    }
    if (::rmdir(fdir.c_str()) == 0) dirs_to_sync_.insert(options_.dir);
  }
  for (const auto& d : dirs_to_sync_) {
    Status st = FsyncDir(d);
    if (!st.ok() && ::access(d.c_str(), F_OK) == 0) return st;
  }
  dirs_to_sync_.clear();
  UpdateSliceGaugesLocked();
  if (!sealed_.empty()) {
    LogInfo("slice buffer: recovered slices", {{"dir", options_.dir},
                                               {"slices", static_cast<uint64_t>(sealed_.size())},
                                               {"bytes", buffered_bytes()}});
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SliceBuffer>> SliceBuffer::Open(const SliceBufferOptions& options,
                                                       Clock& clock, MetricsRegistry& metrics) {
  if (options.dir.empty()) return InvalidArgumentError("slice buffer: empty directory");
  if (options.max_slice_bytes == 0) return InvalidArgumentError("slice buffer: max_slice_bytes 0");
  if (options.grace < Duration::zero()) return InvalidArgumentError("slice buffer: negative grace");
  SliceBufferOptions opts = options;
  while (opts.dir.size() > 1 && opts.dir.back() == '/') opts.dir.pop_back();
  // Create the directory and its parents.
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = opts.dir.find('/', pos + 1);
    std::string level = opts.dir.substr(0, pos);
    if (::mkdir(level.c_str(), 0755) != 0 && errno != EEXIST) {
      return IoError(errno, "mkdir", level);
    }
  }
  struct stat st;
  if (::stat(opts.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return UnavailableError("slice buffer: " + opts.dir + " is not a directory");
  }
  auto buffer = std::make_unique<BufferImpl>(opts, clock, metrics);
  RETURN_IF_ERROR(buffer->Lock());
  RETURN_IF_ERROR(buffer->Recover());
  return std::unique_ptr<SliceBuffer>(std::move(buffer));
}

}  // namespace steady::logs
