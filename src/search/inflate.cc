#include "search/inflate.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include <algorithm>
#include <climits>
#include <memory>

namespace steady::search {

namespace {

// Doubles `*out` (zero-filling the new half once), at most to `max_out`; false when full.
bool Grow(std::string* out, size_t max_out) {
  if (out->size() >= max_out) return false;
  out->resize(std::min(max_out, std::max<size_t>(out->size() * 2, 64 * 1024)));
  return true;
}

Status Exhausted(size_t max_out) {
  return ResourceExhaustedError("gzip payload inflates past " + std::to_string(max_out) + " bytes");
}

Status InflateIsal(std::string_view in, std::string* out, size_t max_out) {
  size_t used = 0, pos = 0;
  inflate_state st;
  while (pos < in.size()) {
    const size_t member_start = used;
    isal_inflate_init(&st);
    st.crc_flag = ISAL_GZIP;
    st.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(in.data() + pos));
    st.avail_in = static_cast<uint32_t>(std::min<size_t>(in.size() - pos, UINT32_MAX));
    for (;;) {
      if (used == out->size() && !Grow(out, max_out)) {
        out->resize(member_start);
        return Exhausted(max_out);
      }
      st.next_out = reinterpret_cast<uint8_t*>(out->data() + used);
      st.avail_out = static_cast<uint32_t>(std::min<size_t>(out->size() - used, UINT32_MAX));
      int rc = isal_inflate(&st);
      used = static_cast<size_t>(reinterpret_cast<char*>(st.next_out) - out->data());
      if (rc < 0) {
        out->resize(member_start);
        return DataLossError("corrupt gzip member at byte " + std::to_string(pos));
      }
      if (st.block_state == ISAL_BLOCK_FINISH) break;
      if (st.avail_in == 0 && st.avail_out != 0) {
        out->resize(member_start);
        return DataLossError("truncated gzip member at byte " + std::to_string(pos));
      }
    }
    pos = static_cast<size_t>(reinterpret_cast<const char*>(st.next_in) - in.data());
  }
  out->resize(used);
  return Status::Ok();
}

struct FreeDecompressor {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

Status InflateLibdeflate(std::string_view in, std::string* out, size_t max_out) {
  thread_local std::unique_ptr<libdeflate_decompressor, FreeDecompressor> d(
      libdeflate_alloc_decompressor());
  if (!d) return ResourceExhaustedError("cannot allocate a libdeflate decompressor");
  size_t used = 0, pos = 0;
  while (pos < in.size()) {
    for (;;) {
      if (used == out->size() && !Grow(out, max_out)) {
        out->resize(used);
        return Exhausted(max_out);
      }
      size_t in_used = 0, out_used = 0;
      // libdeflate inflates a whole member into the room given; when the room is short it
      // fails and the member is inflated again into a doubled buffer.
      libdeflate_result r = libdeflate_gzip_decompress_ex(d.get(), in.data() + pos, in.size() - pos,
                                                          out->data() + used, out->size() - used,
                                                          &in_used, &out_used);
      if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        if (!Grow(out, max_out)) {
          out->resize(used);
          return Exhausted(max_out);
        }
        continue;
      }
      if (r != LIBDEFLATE_SUCCESS) {
        out->resize(used);
        return DataLossError("corrupt or truncated gzip member at byte " + std::to_string(pos));
      }
      used += out_used;
      pos += in_used;
      break;
    }
  }
  out->resize(used);
  return Status::Ok();
}

}  // namespace

Status InflateMembers(std::string_view in, std::string* out, size_t max_out, Inflater inflater) {
  // Log lines compress about 8-13x: start there, so most objects need no second try.
  size_t room = std::min(max_out, std::max<size_t>(in.size() * 12, 64 * 1024));
  if (out->size() < room) out->resize(room);
  return inflater == Inflater::kIsal ? InflateIsal(in, out, max_out)
                                     : InflateLibdeflate(in, out, max_out);
}

}  // namespace steady::search
