#include "aws/object_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace steady::aws {

Status ObjectStore::ListAll(const ListOptions& options,
                            const std::function<bool(const ListEntry&)>& fn) {
  std::string token;
  // A store that keeps handing back the same token would loop forever; S3 never does, but a
  // broken S3-compatible peer might.
  std::string previous;
  // Some S3-compatible servers (s3rver) repeat a common prefix on every page that has keys
  // under it; S3 itself never does. Prefixes arrive in ascending order, so one is enough.
  std::string last_prefix;
  while (true) {
    ASSIGN_OR_RETURN(ListPage page, List(options, token));
    // Objects and common prefixes each come sorted; the listing's order interleaves them.
    size_t i = 0, j = 0;
    while (i < page.objects.size() || j < page.common_prefixes.size()) {
      ListEntry entry;
      if (j >= page.common_prefixes.size() ||
          (i < page.objects.size() && page.objects[i].key < page.common_prefixes[j])) {
        entry.object = std::move(page.objects[i++]);
      } else {
        std::string& prefix = page.common_prefixes[j++];
        if (!last_prefix.empty() && prefix <= last_prefix) continue;
        last_prefix = prefix;
        entry.object.key = std::move(prefix);
        entry.is_prefix = true;
      }
      if (!fn(entry)) return Status::Ok();
    }
    if (page.continuation_token.empty()) return Status::Ok();
    if (page.continuation_token == previous) {
      return InternalError("list " + Describe() + ": the store repeated continuation token");
    }
    previous = token = std::move(page.continuation_token);
  }
}

Status ObjectStore::PutFile(std::string_view key, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = "open " + path + ": " + std::strerror(err);
    return err == ENOENT ? NotFoundError(msg) : InvalidArgumentError(msg);
  }
  auto writer = NewWriter(key);
  if (!writer.ok()) {
    ::close(fd);
    return writer.status();
  }
  // 1 MiB reads: large enough to keep syscalls cheap, small next to an S3 part.
  std::string buf(1 << 20, '\0');
  Status status;
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      status = DataLossError("read " + path + ": " + std::strerror(errno));
      break;
    }
    if (n == 0) break;
    status = (*writer)->Write(std::string_view(buf.data(), static_cast<size_t>(n)));
    if (!status.ok()) break;
  }
  ::close(fd);
  if (!status.ok()) {
    (*writer)->Abort();
    return status;
  }
  return (*writer)->Close();
}

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return InvalidArgumentError("object key is empty");
  if (key.size() > 1024) {
    return InvalidArgumentError("object key longer than 1024 bytes");
  }
  if (key.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("object key contains a NUL byte");
  }
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty()) {
      return InvalidArgumentError("object key has an empty segment: \"" + std::string(key) + "\"");
    }
    if (segment == "." || segment == "..") {
      return InvalidArgumentError("object key has a \".\" or \"..\" segment: \"" +
                                  std::string(key) + "\"");
    }
    if (segment.starts_with(".steady-tmp")) {
      return InvalidArgumentError("object key segment is reserved: \"" + std::string(key) + "\"");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

Result<StoreSpec> ParseStoreSpec(std::string_view spec) {
  if (spec.empty()) return InvalidArgumentError("--store: empty");
  StoreSpec out;
  size_t scheme = spec.find("://");
  if (scheme == std::string_view::npos) {
    out.kind = StoreSpec::Kind::kLocal;
    out.dir = std::string(spec);
    return out;
  }
  if (spec.substr(0, scheme) != "s3") {
    return InvalidArgumentError("--store: want DIR or s3://BUCKET/PREFIX, got \"" +
                                std::string(spec) + "\"");
  }
  std::string_view rest = spec.substr(scheme + 3);
  size_t slash = rest.find('/');
  std::string_view bucket = rest.substr(0, slash);
  if (bucket.empty())
    return InvalidArgumentError("--store: no bucket in \"" + std::string(spec) + "\"");
  for (char c : bucket) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    if (!ok) {
      return InvalidArgumentError("--store: bad bucket name \"" + std::string(bucket) + "\"");
    }
  }
  out.kind = StoreSpec::Kind::kS3;
  out.bucket = std::string(bucket);
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash + 1);
    while (prefix.starts_with('/')) prefix.remove_prefix(1);
    out.prefix = std::string(prefix);
    if (!out.prefix.empty() && !out.prefix.ends_with('/')) out.prefix += '/';
  }
  return out;
}

}  // namespace steady::aws
