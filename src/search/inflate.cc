#include "search/inflate.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include <sys/mman.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>

namespace steady::search {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

void AdviseHuge(char* begin, size_t bytes) {
  // Advice only: where THP is off, nothing changes.
  ::madvise(begin, bytes, MADV_HUGEPAGE);
}

}  // namespace

TextBuffer::~TextBuffer() {
  if (data_) ::munmap(data_, capacity_);
}

TextBuffer::TextBuffer(TextBuffer&& other) noexcept
    : data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
  other.data_ = nullptr;
  other.size_ = other.capacity_ = 0;
}

TextBuffer& TextBuffer::operator=(TextBuffer&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(data_, capacity_);
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
  }
  return *this;
}

bool TextBuffer::Reserve(size_t n) {
  if (n <= capacity_) return true;
  // Whole huge pages: untouched room costs address space only.
  size_t want = RoundUp(n, kHugePage);
  void* p = data_ ? ::mremap(data_, capacity_, want, MREMAP_MAYMOVE)
                  : ::mmap(nullptr, want, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  data_ = static_cast<char*>(p);
  capacity_ = want;
  AdviseHuge(data_, capacity_);
  return true;
}

namespace {

// Where output may go: the room, but never past `max_out`.
size_t End(const TextBuffer& out, size_t max_out) { return std::min(out.capacity(), max_out); }

Status Exhausted(size_t max_out) {
  return ResourceExhaustedError("gzip payload inflates past " + std::to_string(max_out) + " bytes");
}

// Doubles the room of `*out`; an error when `max_out` is reached or memory is short.
Status Grow(TextBuffer* out, size_t max_out) {
  if (out->capacity() >= max_out) return Exhausted(max_out);
  if (!out->Reserve(std::min(max_out, out->capacity() * 2))) {
    return ResourceExhaustedError("out of memory inflating a log object (" +
                                  std::to_string(out->capacity() * 2) + " bytes)");
  }
  return Status::Ok();
}

Status InflateIsal(std::string_view in, TextBuffer* out, size_t max_out) {
  size_t used = 0, pos = 0;
  inflate_state st;
  while (pos < in.size()) {
    const size_t member_start = used;
    isal_inflate_init(&st);
    st.crc_flag = ISAL_GZIP;
    st.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(in.data() + pos));
    st.avail_in = static_cast<uint32_t>(std::min<size_t>(in.size() - pos, UINT32_MAX));
    for (;;) {
      if (used == End(*out, max_out)) {
        if (Status grown = Grow(out, max_out); !grown.ok()) {
          out->set_size(member_start);
          return grown;
        }
      }
      st.next_out = reinterpret_cast<uint8_t*>(out->data() + used);
      st.avail_out = static_cast<uint32_t>(std::min<size_t>(End(*out, max_out) - used, UINT32_MAX));
      int rc = isal_inflate(&st);
      used = static_cast<size_t>(reinterpret_cast<char*>(st.next_out) - out->data());
      if (rc < 0) {
        out->set_size(member_start);
        return DataLossError("corrupt gzip member at byte " + std::to_string(pos));
      }
      if (st.block_state == ISAL_BLOCK_FINISH) break;
      if (st.avail_in == 0 && st.avail_out != 0) {
        out->set_size(member_start);
        return DataLossError("truncated gzip member at byte " + std::to_string(pos));
      }
    }
    pos = static_cast<size_t>(reinterpret_cast<const char*>(st.next_in) - in.data());
  }
  out->set_size(used);
  return Status::Ok();
}

struct FreeDecompressor {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

Status InflateLibdeflate(std::string_view in, TextBuffer* out, size_t max_out) {
  thread_local std::unique_ptr<libdeflate_decompressor, FreeDecompressor> d(
      libdeflate_alloc_decompressor());
  if (!d) return ResourceExhaustedError("cannot allocate a libdeflate decompressor");
  size_t used = 0, pos = 0;
  while (pos < in.size()) {
    for (;;) {
      if (used == End(*out, max_out)) {
        if (Status grown = Grow(out, max_out); !grown.ok()) {
          out->set_size(used);
          return grown;
        }
      }
      size_t in_used = 0, out_used = 0;
      // libdeflate inflates a whole member into the room given; when the room is short it
      // fails and the member is inflated again into a doubled buffer.
      libdeflate_result r = libdeflate_gzip_decompress_ex(d.get(), in.data() + pos, in.size() - pos,
                                                          out->data() + used, End(*out, max_out) - used,
                                                          &in_used, &out_used);
      if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        if (Status grown = Grow(out, max_out); !grown.ok()) {
          out->set_size(used);
          return grown;
        }
        continue;
      }
      if (r != LIBDEFLATE_SUCCESS) {
        out->set_size(used);
        return DataLossError("corrupt or truncated gzip member at byte " + std::to_string(pos));
      }
      used += out_used;
      pos += in_used;
      break;
    }
  }
  out->set_size(used);
  return Status::Ok();
}

}  // namespace

Status InflateMembers(std::string_view in, TextBuffer* out, size_t max_out, Inflater inflater) {
  out->clear();
  // Log lines compress about 8-16x: reserve past that (untouched room is free), so that most
  // objects need no second step.
  size_t room = std::min(max_out, std::max<size_t>(in.size() * 16, 1 << 20));
  if (!out->Reserve(room)) {
    return ResourceExhaustedError("out of memory inflating a log object (" + std::to_string(room) +
                                  " bytes)");
  }
  return inflater == Inflater::kIsal ? InflateIsal(in, out, max_out)
                                     : InflateLibdeflate(in, out, max_out);
}

}  // namespace steady::search
