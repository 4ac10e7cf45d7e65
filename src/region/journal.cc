#include "region/journal.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log.h"

namespace steady::region {
namespace fs = std::filesystem;

namespace {

// Record framing: u32 little-endian payload length, u32 CRC-32 of the payload, payload.
constexpr size_t kHeader = 8;

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

Status ErrnoError(const std::string& what) {
  int e = errno;
  std::string m = what + ": " + std::strerror(e);
  if (e == ENOSPC || e == EDQUOT) return ResourceExhaustedError(m);
  return UnavailableError(m);
}

Status WriteAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(what);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoError("open " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoError("fsync " + dir);
  return Status::Ok();
}

Result<std::string> ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return NotFoundError("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<uint64_t> Segments(const std::string& dir) {
  std::vector<uint64_t> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("log.", 0) != 0) continue;
    try {
      out.push_back(std::stoull(name.substr(4)));
    } catch (...) {
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string SegmentPath(const std::string& dir, uint64_t n) {
  return dir + "/log." + std::to_string(n);
}

}  // namespace

uint32_t Crc32(std::string_view data) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

Journal::Journal(Options options) : options_(std::move(options)) {}

Result<std::unique_ptr<Journal>> Journal::Open(
    Options options, const std::function<Status(std::string_view)>& restore_snapshot,
    const std::function<Status(std::string_view)>& replay) {
  std::unique_ptr<Journal> j(new Journal(options));
  if (options.dir.empty()) return j;
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return UnavailableError("create " + options.dir + ": " + ec.message());

  // The snapshot names the first segment it does not cover: "<segment>\n<payload>".
  uint64_t first_segment = 0;
  fs::path snap = fs::path(options.dir) / "snapshot";
  if (fs::exists(snap)) {
    ASSIGN_OR_RETURN(std::string data, ReadFile(snap));
    size_t nl = data.find('\n');
    if (nl == std::string::npos || data.size() < nl + 1 + 4)
      return DataLossError("snapshot in " + options.dir + " is damaged");
    first_segment = std::stoull(data.substr(0, nl));
    std::string_view body(data.data() + nl + 1, data.size() - nl - 1 - 4);
    if (Crc32(body) != GetU32(data.data() + data.size() - 4))
      return DataLossError("snapshot in " + options.dir + " fails its checksum");
    RETURN_IF_ERROR(restore_snapshot(body).WithContext("restore snapshot"));
  }

  uint64_t last = first_segment;
  for (uint64_t seg : Segments(options.dir)) {
    std::string path = SegmentPath(options.dir, seg);
    if (seg < first_segment) {
      fs::remove(path, ec);  // covered by the snapshot (a compaction died before removing it)
      continue;
    }
    ASSIGN_OR_RETURN(std::string data, ReadFile(path));
    size_t pos = 0;
    while (pos + kHeader <= data.size()) {
      uint32_t len = GetU32(data.data() + pos);
      uint32_t crc = GetU32(data.data() + pos + 4);
      if (pos + kHeader + len > data.size()) break;
      std::string_view rec(data.data() + pos + kHeader, len);
      if (Crc32(rec) != crc) break;
      RETURN_IF_ERROR(replay(rec).WithContext("replay " + path));
      pos += kHeader + len;
    }
    if (pos != data.size()) {
      // A torn write from a crash: the record was never acknowledged. Cut it off.
      j->stats_.torn_tail_bytes += data.size() - pos;
      LogWarn("journal: cutting a torn tail",
              {{"file", path}, {"bytes", uint64_t(data.size() - pos)}});
      fs::resize_file(path, pos, ec);
      if (ec) return UnavailableError("truncate " + path + ": " + ec.message());
    }
    j->log_bytes_ += pos;
    last = std::max(last, seg);
  }
  RETURN_IF_ERROR(j->OpenSegment(last));
  j->writer_ = std::thread([p = j.get()] { p->WriterLoop(); });
  return j;
}

Status Journal::OpenSegment(uint64_t n) {
  std::string path = SegmentPath(options_.dir, n);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("open " + path);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_ = n;
  return SyncDir(options_.dir);
}

Journal::~Journal() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (fd_ >= 0) ::close(fd_);
}

uint64_t Journal::Enqueue(std::string record) {
  std::lock_guard lock(mu_);
  uint64_t seq = next_seq_++;
  if (!durable()) {
    durable_upto_ = seq;
    return seq;
  }
  pending_.push_back(std::move(record));
  queued_upto_ = seq;
  work_cv_.notify_one();
  return seq;
}

Status Journal::Commit(uint64_t seq) {
  if (!durable()) return Status::Ok();
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return durable_upto_ >= seq || !write_error_.ok() || stopping_; });
  if (durable_upto_ >= seq) return Status::Ok();
  if (!write_error_.ok()) return write_error_;
  return UnavailableError("journal closed");
}

void Journal::WriterLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return !pending_.empty() || stopping_; });
    if (pending_.empty() && stopping_) return;
    std::vector<std::string> batch;
    batch.swap(pending_);
    uint64_t upto = queued_upto_;
    int fd = fd_;
    lock.unlock();
    std::string buf;
    for (const std::string& r : batch) {
      PutU32(buf, static_cast<uint32_t>(r.size()));
      PutU32(buf, Crc32(r));
      buf += r;
    }
    Status s = WriteAll(fd, buf, "journal write");
    if (s.ok() && ::fdatasync(fd) != 0) s = ErrnoError("journal fdatasync");
    lock.lock();
    if (s.ok()) {
      durable_upto_ = upto;
      log_bytes_ += buf.size();
      stats_.records += batch.size();
      stats_.syncs++;
    } else {
      // The region cannot promise durability any more: every waiter gets the error.
      LogError("journal: write failed", {{"error", s.ToString()}});
      write_error_ = s;
    }
    done_cv_.notify_all();
  }
}

bool Journal::ShouldCompact() const {
  std::lock_guard lock(mu_);
  return durable() && log_bytes_ >= options_.compact_bytes;
}

Status Journal::Compact(const std::string& snapshot) {
  if (!durable()) return Status::Ok();
  // Wait until everything enqueued so far is written, so the old segments hold nothing newer
  // than the snapshot; then switch to a new segment.
  uint64_t upto;
  {
    std::lock_guard lock(mu_);
    upto = next_seq_ - 1;
  }
  RETURN_IF_ERROR(Commit(upto));
  uint64_t new_segment;
  {
    std::lock_guard lock(mu_);
    new_segment = segment_ + 1;
    RETURN_IF_ERROR(OpenSegment(new_segment));
    log_bytes_ = 0;
  }
  std::string tmp = options_.dir + "/snapshot.tmp";
  std::string data = std::to_string(new_segment) + "\n" + snapshot;
  PutU32(data, Crc32(snapshot));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("open " + tmp);
  Status s = WriteAll(fd, data, "write " + tmp);
  if (s.ok() && ::fsync(fd) != 0) s = ErrnoError("fsync " + tmp);
  ::close(fd);
  RETURN_IF_ERROR(s);
  if (::rename(tmp.c_str(), (options_.dir + "/snapshot").c_str()) != 0)
    return ErrnoError("rename snapshot");
  RETURN_IF_ERROR(SyncDir(options_.dir));
  std::error_code ec;
  for (uint64_t seg : Segments(options_.dir))
    if (seg < new_segment) fs::remove(SegmentPath(options_.dir, seg), ec);
  return Status::Ok();
}

Journal::Stats Journal::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace steady::region
