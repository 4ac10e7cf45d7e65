#include "region/s3_blobs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/ids.h"
#include "base/log.h"

namespace steady::region {

namespace fs = std::filesystem;

namespace {

Status Errno(const std::string& what) { return InternalError(what + ": " + std::strerror(errno)); }

Status WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno("write blob");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Errno("fsync " + dir);
}

}  // namespace

S3BlobFile& S3BlobFile::operator=(S3BlobFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

S3BlobFile::~S3BlobFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::string> S3BlobFile::ReadAt(uint64_t offset, uint64_t n) const {
  std::string out(n, '\0');
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, out.data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("read blob");
    }
    if (r == 0) return DataLossError("object file is shorter than its recorded size");
    done += static_cast<size_t>(r);
  }
  return out;
}

S3BlobDir::S3BlobDir(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  if (dir_.empty()) {
    temporary_ = true;
    std::string tmpl = (fs::temp_directory_path(ec) / "steady-s3-XXXXXX").string();
    if (ec) tmpl = "/tmp/steady-s3-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      status_ = Errno("create a temporary directory for S3 objects");
      return;
    }
    dir_ = tmpl;
  }
  fs::create_directories(fs::path(dir_) / "blobs", ec);
  if (!ec) fs::create_directories(fs::path(dir_) / "tmp", ec);
  if (ec) status_ = InternalError("create " + dir_ + ": " + ec.message());
}

S3BlobDir::~S3BlobDir() {
  if (temporary_ && status_.ok()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string S3BlobDir::PathOf(const std::string& blob) const { return dir_ + "/blobs/" + blob; }

Result<std::pair<int, std::string>> S3BlobDir::NewTemp() {
  RETURN_IF_ERROR(status_);
  std::string path = dir_ + "/tmp/" + NewUuid();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create " + path);
  return std::make_pair(fd, path);
}

Result<std::string> S3BlobDir::Publish(int fd, const std::string& tmp_path) {
  if (!temporary_ && ::fsync(fd) != 0) {
    Status s = Errno("fsync blob");
    ::close(fd);
    ::unlink(tmp_path.c_str());
    return s;
  }
  ::close(fd);
  std::string name = NewUuid();
  if (::rename(tmp_path.c_str(), PathOf(name).c_str()) != 0) {
    Status s = Errno("rename blob");
    ::unlink(tmp_path.c_str());
    return s;
  }
  // The rename is durable only once the directory is: the journal record that names this
  // blob must not reach the disk before the name does.
  if (!temporary_) RETURN_IF_ERROR(FsyncDir(dir_ + "/blobs"));
  return name;
}

Result<std::string> S3BlobDir::Write(std::string_view data) {
  ASSIGN_OR_RETURN(auto temp, NewTemp());
  if (Status s = WriteAll(temp.first, data.data(), data.size()); !s.ok()) {
    ::close(temp.first);
    ::unlink(temp.second.c_str());
    return s;
  }
  return Publish(temp.first, temp.second);
}

Result<std::string> S3BlobDir::Concat(
    const std::vector<std::pair<const S3BlobFile*, uint64_t>>& parts) {
  ASSIGN_OR_RETURN(auto temp, NewTemp());
  constexpr uint64_t kChunk = 1 << 20;
  for (const auto& [file, size] : parts) {
    for (uint64_t off = 0; off < size; off += kChunk) {
      auto chunk = file->ReadAt(off, std::min(kChunk, size - off));
      Status s = chunk.ok() ? WriteAll(temp.first, chunk->data(), chunk->size()) : chunk.status();
      if (!s.ok()) {
        ::close(temp.first);
        ::unlink(temp.second.c_str());
        return s;
      }
    }
  }
  return Publish(temp.first, temp.second);
}

Result<std::string> S3BlobDir::Link(const std::string& blob) {
  RETURN_IF_ERROR(status_);
  std::string name = NewUuid();
  if (::link(PathOf(blob).c_str(), PathOf(name).c_str()) == 0) {
    if (!temporary_) RETURN_IF_ERROR(FsyncDir(dir_ + "/blobs"));
    return name;
  }
  // No hard links here (some filesystems): copy the bytes.
  ASSIGN_OR_RETURN(S3BlobFile src, Open(blob));
  struct stat st;
  if (::fstat(src.fd(), &st) != 0) return Errno("stat blob");
  return Concat({{&src, static_cast<uint64_t>(st.st_size)}});
}

Result<S3BlobFile> S3BlobDir::Open(const std::string& blob) const {
  RETURN_IF_ERROR(status_);
  int fd = ::open(PathOf(blob).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return DataLossError("the bytes of an object are missing: " + blob);
    return Errno("open blob " + blob);
  }
  return S3BlobFile(fd);
}

void S3BlobDir::Remove(const std::vector<std::string>& blobs) {
  for (const std::string& b : blobs) {
    if (b.empty()) continue;
    if (::unlink(PathOf(b).c_str()) != 0 && errno != ENOENT)
      LogWarn("s3: cannot remove object file",
              {{"file", PathOf(b)}, {"error", std::strerror(errno)}});
  }
}

void S3BlobDir::Collect(const std::set<std::string>& keep) {
  if (!status_.ok()) return;
  std::error_code ec;
  size_t removed = 0;
  for (const auto& e : fs::directory_iterator(fs::path(dir_) / "blobs", ec)) {
    std::string name = e.path().filename().string();
    if (keep.count(name)) continue;
    std::error_code rm;
    if (fs::remove(e.path(), rm)) ++removed;
  }
  for (const auto& e : fs::directory_iterator(fs::path(dir_) / "tmp", ec)) {
    std::error_code rm;
    fs::remove(e.path(), rm);
  }
  if (removed > 0)
    LogInfo("s3: removed object files no record names", {{"files", static_cast<int64_t>(removed)}});
}

}  // namespace steady::region
