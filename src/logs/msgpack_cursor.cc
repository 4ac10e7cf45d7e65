#include "logs/msgpack_cursor.h"

#include <algorithm>

namespace steady::logs {

MpStatus MsgpackCursor::NextSlow(MpItem* it) {
  if (p_ == end_) return MpStatus::kIncomplete;
  const uint8_t c = *p_;
  if (c <= 0x7f) {
    it->type = MpType::kUint;
    it->u = c;
    ++p_;
    return MpStatus::kOk;
  }
  if (c >= 0xe0) {
    it->type = MpType::kInt;
    it->i = static_cast<int8_t>(c);
    ++p_;
    return MpStatus::kOk;
  }
  if ((c & 0xe0) == 0xa0) return Payload(it, MpType::kStr, 1, c & 0x1f);
  if ((c & 0xf0) == 0x90 || (c & 0xf0) == 0x80) {
    it->type = (c & 0xf0) == 0x90 ? MpType::kArray : MpType::kMap;
    it->n = c & 0x0f;
    ++p_;
    return MpStatus::kOk;
  }
  MpStatus s;
  switch (c) {
    case 0xc0:
      it->type = MpType::kNil;
      ++p_;
      return MpStatus::kOk;
    case 0xc2:
    case 0xc3:
      it->type = MpType::kBool;
      it->b = c == 0xc3;
      ++p_;
      return MpStatus::kOk;
    case 0xc4:
      if ((s = Fixed(2)) != MpStatus::kOk) return s;
      return Payload(it, MpType::kBin, 2, p_[1]);
    case 0xc5:
      if ((s = Fixed(3)) != MpStatus::kOk) return s;
      return Payload(it, MpType::kBin, 3, Load16(p_ + 1));
    case 0xc6:
      if ((s = Fixed(5)) != MpStatus::kOk) return s;
      return Payload(it, MpType::kBin, 5, Load32(p_ + 1));
    case 0xc7:
      if ((s = Fixed(3)) != MpStatus::kOk) return s;
      return Ext(it, 3, p_[1]);
    case 0xc8:
      if ((s = Fixed(4)) != MpStatus::kOk) return s;
      return Ext(it, 4, Load16(p_ + 1));
    case 0xc9:
      if ((s = Fixed(6)) != MpStatus::kOk) return s;
      return Ext(it, 6, Load32(p_ + 1));
    case 0xca: {
      if ((s = Fixed(5)) != MpStatus::kOk) return s;
      uint32_t bits = Load32(p_ + 1);
      float f;
      std::memcpy(&f, &bits, 4);
      it->type = MpType::kFloat;
      it->f32 = true;
      it->d = f;
      p_ += 5;
      return MpStatus::kOk;
    }
    case 0xcb: {
      if ((s = Fixed(9)) != MpStatus::kOk) return s;
      uint64_t bits = Load64(p_ + 1);
      double d;
      std::memcpy(&d, &bits, 8);
      it->type = MpType::kFloat;
      it->f32 = false;
      it->d = d;
      p_ += 9;
      return MpStatus::kOk;
    }
    case 0xcc:
      if ((s = Fixed(2)) != MpStatus::kOk) return s;
      it->type = MpType::kUint;
      it->u = p_[1];
      p_ += 2;
      return MpStatus::kOk;
    case 0xcd:
      if ((s = Fixed(3)) != MpStatus::kOk) return s;
      it->type = MpType::kUint;
      it->u = Load16(p_ + 1);
      p_ += 3;
      return MpStatus::kOk;
    case 0xce:
      if ((s = Fixed(5)) != MpStatus::kOk) return s;
      it->type = MpType::kUint;
      it->u = Load32(p_ + 1);
      p_ += 5;
      return MpStatus::kOk;
    case 0xcf:
      if ((s = Fixed(9)) != MpStatus::kOk) return s;
      it->type = MpType::kUint;
      it->u = Load64(p_ + 1);
      p_ += 9;
      return MpStatus::kOk;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      const size_t width = size_t{1} << (c - 0xd0);
      if ((s = Fixed(1 + width)) != MpStatus::kOk) return s;
      int64_t v;
      switch (width) {
        case 1: v = static_cast<int8_t>(p_[1]); break;
        case 2: v = static_cast<int16_t>(Load16(p_ + 1)); break;
        case 4: v = static_cast<int32_t>(Load32(p_ + 1)); break;
        default: v = static_cast<int64_t>(Load64(p_ + 1)); break;
      }
      // msgpack writers use intN only for negatives, but a non-negative one is still valid.
      if (v >= 0) {
        it->type = MpType::kUint;
        it->u = static_cast<uint64_t>(v);
      } else {
        it->type = MpType::kInt;
        it->i = v;
      }
      p_ += 1 + width;
      return MpStatus::kOk;
    }
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      if ((s = Fixed(2)) != MpStatus::kOk) return s;
      return Ext(it, 2, size_t{1} << (c - 0xd4));
    case 0xd9:
      if ((s = Fixed(2)) != MpStatus::kOk) return s;
      return Payload(it, MpType::kStr, 2, p_[1]);
    case 0xda:
      if ((s = Fixed(3)) != MpStatus::kOk) return s;
      return Payload(it, MpType::kStr, 3, Load16(p_ + 1));
    case 0xdb:
      if ((s = Fixed(5)) != MpStatus::kOk) return s;
      return Payload(it, MpType::kStr, 5, Load32(p_ + 1));
    case 0xdc:
    case 0xde:
      if ((s = Fixed(3)) != MpStatus::kOk) return s;
      it->type = c == 0xdc ? MpType::kArray : MpType::kMap;
      it->n = Load16(p_ + 1);
      p_ += 3;
      return MpStatus::kOk;
    case 0xdd:
    case 0xdf:
      if ((s = Fixed(5)) != MpStatus::kOk) return s;
      it->type = c == 0xdd ? MpType::kArray : MpType::kMap;
      it->n = Load32(p_ + 1);
      p_ += 5;
      return MpStatus::kOk;
    default:  // 0xc1: never used
      return MpStatus::kInvalid;
  }
}

MpStatus MsgpackCursor::SkipSlow(size_t max_depth) {
  max_depth = std::min(max_depth, kMaxDepth);
  // Iterative, so that hostile nesting cannot exhaust the call stack: `pending` counts the
  // values still to skip in the innermost open container, `stack` those of the outer ones.
  uint64_t stack[kMaxDepth];
  size_t depth = 0;
  uint64_t pending = 1;
  MpItem it;
  for (;;) {
    while (pending == 0) {
      if (depth == 0) return MpStatus::kOk;
      pending = stack[--depth];
    }
    --pending;
    MpStatus s = Next(&it);
    if (s != MpStatus::kOk) return s;
    if (it.type != MpType::kArray && it.type != MpType::kMap) continue;
    if (depth + 1 > max_depth) return MpStatus::kInvalid;
    uint64_t count = it.type == MpType::kMap ? uint64_t{it.n} * 2 : it.n;
    if (count == 0) continue;
    // Every element takes at least one byte: a count larger than what remains means the
    // value continues past the buffer.
    if (count > remaining()) return MpStatus::kIncomplete;
    stack[depth++] = pending;
    pending = count;
  }
}

}  // namespace steady::logs
