// Small POSIX file helpers shared by everything that writes durable files (the local object
// store, the aggregator's disk buffer): errno to Status, write-everything, fsync a directory.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace steady {

// "what path: strerror". ENOENT → kNotFound; ENOSPC, EDQUOT, EMFILE, ENFILE, ENOMEM →
// kResourceExhausted; EACCES, EPERM, EROFS → kPermissionDenied; anything else kUnavailable.
Status ErrnoError(int err, std::string_view what, const std::string& path);

// Writes all of `data` to `fd`, retrying short writes and EINTR. `path` names it in errors.
Status WriteAll(int fd, std::string_view data, const std::string& path);

// fsyncs the directory at `path` (makes renames and new entries in it durable).
Status FsyncDir(const std::string& path);

}  // namespace steady
