// A zero-copy, bounds-checked msgpack reader for the Forward protocol's hot path.
//
// MsgpackCursor walks a byte buffer one item at a time: scalars are read whole, str/bin/ext with
// their payload (a string_view into the buffer), arrays and maps as a header carrying the element
// count (the elements follow). Every length is checked against what remains before anything is
// read, so a hostile length can neither read past the buffer nor make anyone allocate: running
// out of bytes is reported as kIncomplete (the buffer may be a prefix of a longer message),
// bytes that can never be msgpack (0xc1) as kInvalid.
//
// Thread safety: a cursor is a value owned by one thread; the buffer must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace steady::logs {

enum class MpType : uint8_t { kNil, kBool, kUint, kInt, kFloat, kStr, kBin, kArray, kMap, kExt };

enum class MpStatus : uint8_t { kOk, kIncomplete, kInvalid };

// One item. Which fields are set depends on `type`:
//   kBool: b; kUint: u; kInt: i (always negative: non-negative integers are kUint);
//   kFloat: d (f32 says it came as float32); kStr/kBin: data; kExt: ext_type and data;
//   kArray/kMap: n (elements, or key/value pairs for a map).
struct MpItem {
  MpType type = MpType::kNil;
  bool b = false;
  bool f32 = false;
  int8_t ext_type = 0;
  uint32_t n = 0;
  uint64_t u = 0;
  int64_t i = 0;
  double d = 0;
  std::string_view data;
};

class MsgpackCursor {
 public:
  // Deepest nesting Skip() supports whatever max_depth says.
  static constexpr size_t kMaxDepth = 256;

  explicit MsgpackCursor(std::string_view buf)
      : begin_(reinterpret_cast<const uint8_t*>(buf.data())),
        p_(begin_),
        end_(begin_ + buf.size()) {}

  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool done() const { return p_ == end_; }
  const char* pos() const { return reinterpret_cast<const char*>(p_); }
  // The bytes from `from` (an earlier offset()) to the current position.
  std::string_view Since(size_t from) const {
    return {reinterpret_cast<const char*>(begin_ + from), offset() - from};
  }

  // Reads the next item. On kIncomplete/kInvalid the cursor does not move.
  MpStatus Next(MpItem* it) {
    // Inline fast paths for what records are made of: short strings, small ints, small maps.
    if (p_ != end_) {
      const uint8_t c = *p_;
      if ((c & 0xe0) == 0xa0) {
        size_t len = c & 0x1f;
        if (len < remaining()) {
          it->type = MpType::kStr;
          it->data = {reinterpret_cast<const char*>(p_ + 1), len};
          p_ += 1 + len;
          return MpStatus::kOk;
        }
      } else if (c == 0xd9 && remaining() >= 2) {
        size_t len = p_[1];
        if (len <= remaining() - 2) {
          it->type = MpType::kStr;
          it->data = {reinterpret_cast<const char*>(p_ + 2), len};
          p_ += 2 + len;
          return MpStatus::kOk;
        }
      } else if (c <= 0x7f) {
        it->type = MpType::kUint;
        it->u = c;
        ++p_;
        return MpStatus::kOk;
      } else if ((c & 0xf0) == 0x80) {
        it->type = MpType::kMap;
        it->n = c & 0x0f;
        ++p_;
        return MpStatus::kOk;
      }
    }
    return NextSlow(it);
  }

  // Skips one complete value with everything nested in it. A value holding containers nested
  // more than `max_depth` deep (the value itself, if a container, is depth 1) is kInvalid.
  // On failure the cursor is left somewhere inside the value.
  MpStatus Skip(size_t max_depth) {
    if (p_ != end_) {  // inline fast paths: short strings and one-byte scalars
      const uint8_t c = *p_;
      if ((c & 0xe0) == 0xa0) {
        size_t len = c & 0x1f;
        if (len < remaining()) {
          p_ += 1 + len;
          return MpStatus::kOk;
        }
      } else if (c == 0xd9 && remaining() >= 2) {
        size_t len = p_[1];
        if (len <= remaining() - 2) {
          p_ += 2 + len;
          return MpStatus::kOk;
        }
      } else if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
        ++p_;
        return MpStatus::kOk;
      }
    }
    return SkipSlow(max_depth);
  }

 private:
  static uint16_t Load16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return __builtin_bswap16(v);
  }
  static uint32_t Load32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return __builtin_bswap32(v);
  }
  static uint64_t Load64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return __builtin_bswap64(v);
  }

  MpStatus NextSlow(MpItem* it);
  MpStatus SkipSlow(size_t max_depth);

  // Payload of `len` bytes after a header of `hdr` bytes.
  MpStatus Payload(MpItem* it, MpType type, size_t hdr, uint64_t len) {
    if (remaining() < hdr || remaining() - hdr < len) return MpStatus::kIncomplete;
    it->type = type;
    it->data = {reinterpret_cast<const char*>(p_ + hdr), static_cast<size_t>(len)};
    p_ += hdr + len;
    return MpStatus::kOk;
  }
  MpStatus Ext(MpItem* it, size_t hdr, uint64_t len) {
    // hdr includes the type byte, which is the last header byte.
    if (remaining() < hdr || remaining() - hdr < len) return MpStatus::kIncomplete;
    it->ext_type = static_cast<int8_t>(p_[hdr - 1]);
    return Payload(it, MpType::kExt, hdr, len);
  }
  MpStatus Fixed(size_t n) const { return remaining() < n ? MpStatus::kIncomplete : MpStatus::kOk; }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace steady::logs
