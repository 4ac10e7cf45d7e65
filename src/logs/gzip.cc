#include "logs/gzip.h"

#include <isa-l.h>
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace steady::logs {

Result<GzipCodec> ParseGzipCodec(std::string_view name) {
  if (name == "isal") return GzipCodec::kIsal;
  if (name == "libdeflate") return GzipCodec::kLibdeflate;
  if (name == "zlib") return GzipCodec::kZlib;
  return InvalidArgumentError("unknown gzip codec \"" + std::string(name) +
                              "\" (isal, libdeflate or zlib)");
}

std::string_view GzipCodecName(GzipCodec codec) {
  switch (codec) {
    case GzipCodec::kIsal: return "isal";
    case GzipCodec::kLibdeflate: return "libdeflate";
    case GzipCodec::kZlib: return "zlib";
  }
  return "?";
}

namespace {

// Worst-case output of any of the three codecs at their fast levels: stored blocks cost 5 bytes
// per 64 KiB, plus the gzip header and trailer; the margin covers isa-l's block overheads.
size_t Bound(size_t n) { return n + n / 8 + 1024; }

class IsalCompressor final : public GzipCompressor {
 public:
  explicit IsalCompressor(int level) : level_(level < 0 ? 1 : level) {
    level_buf_.resize(level_ == 0 ? 0 : ISAL_DEF_LVL1_DEFAULT);
    if (level_ >= 2) level_buf_.resize(ISAL_DEF_LVL3_DEFAULT);
  }

  // Compresses into a buffer kept between calls (growing a std::string would zero it first,
  // which cost as much as a tenth of the compression itself), then appends.
  void CompressMember(std::string_view data, std::string* out) override {
    size_t cap = Bound(data.size());
    for (;;) {
      if (tmp_size_ < cap) {
        tmp_ = std::make_unique<uint8_t[]>(cap);
        tmp_size_ = cap;
      }
      isal_zstream s;
      isal_deflate_stateless_init(&s);
      s.level = level_;
      s.level_buf = level_buf_.empty() ? nullptr : level_buf_.data();
      s.level_buf_size = static_cast<uint32_t>(level_buf_.size());
      s.gzip_flag = IGZIP_GZIP;
      s.end_of_stream = 1;
      s.flush = NO_FLUSH;
      s.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(data.data()));
      s.avail_in = static_cast<uint32_t>(data.size());
      s.next_out = tmp_.get();
      s.avail_out = static_cast<uint32_t>(cap);
      int rc = isal_deflate_stateless(&s);
      if (rc == COMP_OK) {
        out->append(reinterpret_cast<const char*>(tmp_.get()), s.total_out);
        return;
      }
      cap *= 2;  // STATELESS_OVERFLOW: cannot happen within Bound(), but never lose data
    }
  }

 private:
  int level_;
  std::vector<uint8_t> level_buf_;
  std::unique_ptr<uint8_t[]> tmp_;
  size_t tmp_size_ = 0;
};

class LibdeflateCompressor final : public GzipCompressor {
 public:
  explicit LibdeflateCompressor(int level)
      : c_(libdeflate_alloc_compressor(level < 0 ? 1 : level)) {}
  ~LibdeflateCompressor() override { libdeflate_free_compressor(c_); }

  void CompressMember(std::string_view data, std::string* out) override {
    size_t base = out->size();
    size_t cap = libdeflate_gzip_compress_bound(c_, data.size());
    out->resize(base + cap);
    size_t n = libdeflate_gzip_compress(c_, data.data(), data.size(), out->data() + base, cap);
    out->resize(base + n);  // n == 0 is impossible within the bound
  }

 private:
  libdeflate_compressor* c_;
};

class ZlibCompressor final : public GzipCompressor {
 public:
  explicit ZlibCompressor(int level) : level_(level < 0 ? 1 : level) {}

  void CompressMember(std::string_view data, std::string* out) override {
    z_stream z{};
    deflateInit2(&z, level_, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    size_t base = out->size();
    size_t cap = deflateBound(&z, data.size());
    out->resize(base + cap);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out->data() + base);
    z.avail_out = static_cast<uInt>(cap);
    deflate(&z, Z_FINISH);
    out->resize(base + z.total_out);
    deflateEnd(&z);
  }

 private:
  int level_;
};

}  // namespace

std::unique_ptr<GzipCompressor> NewGzipCompressor(GzipCodec codec, int level) {
  switch (codec) {
    case GzipCodec::kIsal: return std::make_unique<IsalCompressor>(level);
    case GzipCodec::kLibdeflate: return std::make_unique<LibdeflateCompressor>(level);
    case GzipCodec::kZlib: return std::make_unique<ZlibCompressor>(level);
  }
  return nullptr;
}

Status GunzipMembers(std::string_view in, std::string* out, size_t max_out, size_t* members_ok) {
  if (members_ok) *members_ok = 0;
  // `max_out` bounds the size of `*out`, what it held before included; past it the room
  // computed below would wrap around.
  if (out->size() > max_out && !in.empty()) {
    return ResourceExhaustedError("gzip output already holds more than " + std::to_string(max_out) +
                                  " bytes");
  }
  // `*out` grows geometrically and is cut to `used` once at the end: resizing per member (an
  // aggregator object holds hundreds) zero-filled the output over and over, which made this
  // seven times slower than the inflate itself.
  size_t used = out->size();
  auto exhausted = [&] {
    out->resize(used);
    return ResourceExhaustedError("gzip payload inflates past " + std::to_string(max_out) +
                                  " bytes");
  };
  size_t pos = 0;
  inflate_state st;
  while (pos < in.size()) {
    const size_t member_start_out = used;
    isal_inflate_init(&st);
    st.crc_flag = ISAL_GZIP;
    st.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(in.data() + pos));
    st.avail_in = static_cast<uint32_t>(in.size() - pos);
    for (;;) {
      if (out->size() - used < 64 * 1024) {
        size_t want = std::max(used + 64 * 1024, out->size() * 2);
        want = std::max(want, used + std::min<size_t>(st.avail_in * 4, size_t{1} << 30));
        if (want > max_out + 1) want = max_out + 1;
        if (want <= used) return exhausted();
        out->resize(want);
      }
      size_t room = std::min<size_t>(out->size() - used, UINT32_MAX);
      st.next_out = reinterpret_cast<uint8_t*>(out->data() + used);
      st.avail_out = static_cast<uint32_t>(room);
      int rc = isal_inflate(&st);
      used += room - st.avail_out;
      if (rc < 0) {
        out->resize(member_start_out);
        return DataLossError("corrupt gzip member at byte " + std::to_string(pos));
      }
      if (used > max_out) return exhausted();
      if (st.block_state == ISAL_BLOCK_FINISH) break;
      if (st.avail_in == 0 && st.avail_out != 0) {
        out->resize(member_start_out);
        return DataLossError("truncated gzip member at byte " + std::to_string(pos));
      }
    }
    pos = static_cast<size_t>(reinterpret_cast<const char*>(st.next_in) - in.data());
    if (members_ok) *members_ok = pos;
  }
  out->resize(used);
  return Status::Ok();
}

}  // namespace steady::logs
