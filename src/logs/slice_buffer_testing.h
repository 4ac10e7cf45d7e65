// Test seam for SliceBuffer's append path: lets a test replace write(2) to simulate a full disk
// (ENOSPC) or an I/O error part-way through an Append, which a real file system does not give on
// demand. Production code never calls this.
//
// Thread safety: set it while no SliceBuffer is appending (a test's setup or teardown).
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace steady::logs::testing {

// Same contract as write(2): returns bytes written or -1 with errno set.
using WriteFn = ssize_t (*)(int fd, const void* data, size_t len);

// Replaces the write(2) that SliceBuffer::Append uses; nullptr restores the real one.
void SetSliceBufferWriteFn(WriteFn fn);

}  // namespace steady::logs::testing
