// Inflating a whole log object (one or more concatenated gzip members) into one buffer, for
// search. Same contract as logs::GunzipMembers (logs/gzip.h), but sized for search's hot path:
// the output is a TextBuffer that grows without copying or zero-filling, and the codec is
// chosen by measurement (src/search/grep_bench.cc; docs/logs.md).
//
// Thread safety: InflateMembers is thread-safe (per-thread decompressor state); a TextBuffer
// is used by one thread at a time.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/status.h"

namespace steady::search {

// A growable byte buffer for inflated objects. Unlike std::string it never zero-fills its room
// and grows in place (mremap) instead of copying, so a page is touched only when bytes are
// written to it; the room is one anonymous mapping advised for transparent huge pages. Written
// by hand because first-touch page faults, not inflating, were the cost of a fresh multi-MB
// buffer in a VM (docs/logs.md), and no allocator we may use gives these three together.
class TextBuffer {
 public:
  TextBuffer() = default;
  ~TextBuffer();
  TextBuffer(TextBuffer&& other) noexcept;
  TextBuffer& operator=(TextBuffer&& other) noexcept;
  TextBuffer(const TextBuffer&) = delete;
  TextBuffer& operator=(const TextBuffer&) = delete;

  // Room for at least `n` bytes, the first size() kept. False when the memory is not there.
  bool Reserve(size_t n);
  // `n` <= capacity(); bytes past the old size are whatever was written there.
  void set_size(size_t n) { size_ = n; }
  void clear() { size_ = 0; }

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_, size_}; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

enum class Inflater { kIsal, kLibdeflate };

// The fastest on our objects (see docs/logs.md).
inline constexpr Inflater kDefaultInflater = Inflater::kIsal;

// Replaces the contents of `*out` with the inflated members of `in`, growing it as needed
// (its capacity is reused). kDataLoss for a corrupt or truncated member (then `*out` holds the
// complete members before it); kResourceExhausted past `max_out` or when memory runs out.
Status InflateMembers(std::string_view in, TextBuffer* out, size_t max_out,
                      Inflater inflater = kDefaultInflater);

}  // namespace steady::search
