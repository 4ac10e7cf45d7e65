#include "logs/log_record.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "logs/msgpack_cursor.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace steady::logs {

namespace {

// --- output ---

// Writes JSON into a thread-local byte buffer; callers Ensure() room before each Put, so the
// hot loops need no per-byte capacity checks. The finished line is appended to the caller's
// string in one copy.
class JsonOut {
 public:
  explicit JsonOut(std::vector<char>* buf) : buf_(buf) {
    p_ = buf_->data();
    end_ = p_ + buf_->size();
  }

  void Ensure(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) Grow(n);
  }
  void Put(char c) { *p_++ = c; }
  void Put(const char* s, size_t n) {
    std::memcpy(p_, s, n);
    p_ += n;
  }
  template <size_t N>
  void Lit(const char (&s)[N]) {
    Put(s, N - 1);
  }
  size_t size() const { return static_cast<size_t>(p_ - buf_->data()); }
  const char* data() const { return buf_->data(); }
  void Rewind(size_t n) { p_ = buf_->data() + n; }

  char* p_;
  char* end_;

 private:
  void Grow(size_t n) {
    size_t used = size();
    size_t want = std::max({buf_->size() * 2, used + n, size_t{4096}});
    buf_->resize(want);
    p_ = buf_->data() + used;
    end_ = buf_->data() + buf_->size();
  }
  std::vector<char>* buf_;
};

// 0: copied as is; 1: escaped; 2: start of a UTF-8 sequence (checked).
constexpr std::array<uint8_t, 256> kCharClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) t[c] = 2;
  return t;
}();

// Bit 7 of each byte of the result is set for bytes of `v` that need attention (< 0x20, '"',
// '\\', >= 0x80). Bits above the first flagged byte may be spurious (borrows), never below.
inline uint64_t SpecialBytes(uint64_t v) {
  constexpr uint64_t k01 = 0x0101010101010101ull;
  constexpr uint64_t k80 = 0x8080808080808080ull;
  uint64_t lt = (v - k01 * 0x20) & ~v;
  uint64_t q = v ^ (k01 * '"');
  uint64_t bs = v ^ (k01 * '\\');
  uint64_t eq = ((q - k01) & ~q) | ((bs - k01) & ~bs);
  return (v | lt | eq) & k80;
}

// Length of the valid UTF-8 sequence at `s` (2..4), or 0 with `*skip` the length of the
// maximal ill-formed subpart to replace by one U+FFFD (Unicode's recommended practice).
inline size_t Utf8Sequence(const uint8_t* s, size_t n, size_t* skip) {
  uint8_t c = s[0];
  size_t len;
  uint8_t lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;  // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;  // nothing past U+10FFFF
  } else {
    *skip = 1;
    return 0;
  }
  if (n < 2 || s[1] < lo || s[1] > hi) {
    *skip = 1;
    return 0;
  }
  for (size_t k = 2; k < len; ++k) {
    if (k >= n || (s[k] & 0xc0) != 0x80) {
      *skip = k;
      return 0;
    }
  }
  return len;
}

void WriteString(JsonOut& o, std::string_view str) {
  const auto* s = reinterpret_cast<const uint8_t*>(str.data());
  const size_t n = str.size();
  o.Ensure(6 * n + 2);  // worst case: every byte as \u00XX
  char* p = o.p_;
  *p++ = '"';
  size_t i = 0;
  while (i < n) {
    bool stopped = false;
#if defined(__SSE2__)
    // 16 bytes at a time. Signed compare: "< 0x20" also catches bytes >= 0x80.
    while (i + 16 <= n) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      __m128i special = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
      unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);  // room: 6 * (n - i) >= 96
      if (mask == 0) {
        p += 16;
        i += 16;
        continue;
      }
      size_t k = static_cast<size_t>(__builtin_ctz(mask));
      p += k;
      i += k;
      stopped = true;
      break;
    }
#endif
    while (!stopped && i + 8 <= n) {
      uint64_t v;
      std::memcpy(&v, s + i, 8);
      uint64_t m = SpecialBytes(v);
      std::memcpy(p, s + i, 8);  // room: 6 * (n - i) >= 48
      if (m == 0) {
        p += 8;
        i += 8;
        continue;
      }
      size_t k = static_cast<size_t>(__builtin_ctzll(m)) >> 3;
      p += k;
      i += k;
      break;
    }
    if (i >= n) break;
    uint8_t c = s[i];
    switch (kCharClass[c]) {
      case 0:
        *p++ = static_cast<char>(c);
        ++i;
        break;
      case 1: {
        *p++ = '\\';
        switch (c) {
          case '"': *p++ = '"'; break;
          case '\\': *p++ = '\\'; break;
          case '\n': *p++ = 'n'; break;
          case '\r': *p++ = 'r'; break;
          case '\t': *p++ = 't'; break;
          case '\b': *p++ = 'b'; break;
          case '\f': *p++ = 'f'; break;
          default: {
            static constexpr char kHex[] = "0123456789abcdef";
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = kHex[c >> 4];
            *p++ = kHex[c & 15];
          }
        }
        ++i;
        break;
      }
      default: {
        size_t skip;
        size_t len = Utf8Sequence(s + i, n - i, &skip);
        if (len) {
          std::memcpy(p, s + i, len);
          p += len;
          i += len;
        } else {
          *p++ = static_cast<char>(0xef);  // U+FFFD
          *p++ = static_cast<char>(0xbf);
          *p++ = static_cast<char>(0xbd);
          i += skip;
        }
      }
    }
  }
  *p++ = '"';
  o.p_ = p;
}

void WriteUint(JsonOut& o, uint64_t v) {
  o.Ensure(24);
  o.p_ = std::to_chars(o.p_, o.p_ + 24, v).ptr;
}
void WriteInt(JsonOut& o, int64_t v) {
  o.Ensure(24);
  o.p_ = std::to_chars(o.p_, o.p_ + 24, v).ptr;
}
void WriteFloat(JsonOut& o, const MpItem& it) {
  o.Ensure(40);
  if (!std::isfinite(it.d)) {
    o.Lit("null");
  } else if (it.f32) {
    o.p_ = std::to_chars(o.p_, o.p_ + 40, static_cast<float>(it.d)).ptr;
  } else {
    o.p_ = std::to_chars(o.p_, o.p_ + 40, it.d).ptr;
  }
}

// Writes the next value of `c` as JSON. `depth`: how many more containers may nest. `in_key`:
// the value is part of a non-string map key being stringified (see WriteKey).
bool WriteValue(MsgpackCursor& c, JsonOut& o, size_t depth, bool in_key);

// A map key: strings as they are, anything else as its JSON text made a string. Inside such a
// key, nested non-string keys are written as raw JSON text: the outer key escapes everything
// once, where escaping at every level would double the size per level (a decompression bomb
// for a hostile record).
bool WriteKey(MsgpackCursor& c, JsonOut& o, size_t depth, bool in_key) {
  MsgpackCursor peek = c;
  MpItem it;
  if (peek.Next(&it) != MpStatus::kOk) return false;
  if (it.type == MpType::kStr || it.type == MpType::kBin) {
    c = peek;
    WriteString(o, it.data);
    return true;
  }
  if (in_key) return WriteValue(c, o, depth, true);
  size_t start = o.size();
  if (!WriteValue(c, o, depth, true)) return false;
  std::string text(o.data() + start, o.size() - start);
  o.Rewind(start);
  WriteString(o, text);
  return true;
}

bool WriteValue(MsgpackCursor& c, JsonOut& o, size_t depth, bool in_key) {
  MpItem it;
  if (c.Next(&it) != MpStatus::kOk) return false;
  switch (it.type) {
    case MpType::kNil:
    case MpType::kExt:
      o.Ensure(4);
      o.Lit("null");
      return true;
    case MpType::kBool:
      o.Ensure(5);
      if (it.b) {
        o.Lit("true");
      } else {
        o.Lit("false");
      }
      return true;
    case MpType::kUint: WriteUint(o, it.u); return true;
    case MpType::kInt: WriteInt(o, it.i); return true;
    case MpType::kFloat: WriteFloat(o, it); return true;
    case MpType::kStr:
    case MpType::kBin: WriteString(o, it.data); return true;
    case MpType::kArray: {
      if (depth == 0 || it.n > c.remaining()) return false;
      o.Ensure(2);
      o.Put('[');
      for (uint32_t i = 0; i < it.n; ++i) {
        if (i) {
          o.Ensure(1);
          o.Put(',');
        }
        if (!WriteValue(c, o, depth - 1, in_key)) return false;
      }
      o.Ensure(1);
      o.Put(']');
      return true;
    }
    case MpType::kMap: {
      if (depth == 0 || it.n > c.remaining()) return false;
      o.Ensure(2);
      o.Put('{');
      for (uint32_t i = 0; i < it.n; ++i) {
        if (i) {
          o.Ensure(1);
          o.Put(',');
        }
        if (!WriteKey(c, o, depth - 1, in_key)) return false;
        o.Ensure(1);
        o.Put(':');
        if (!WriteValue(c, o, depth - 1, in_key)) return false;
      }
      o.Ensure(1);
      o.Put('}');
      return true;
    }
  }
  return false;
}

// --- time ---

constexpr char kDigits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline char* Put2(char* p, unsigned v) {
  std::memcpy(p, kDigits2 + 2 * v, 2);
  return p + 2;
}

// "YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ" at `p` (at most 48 bytes); returns the end.
char* WriteRfc3339(EventTime t, char* p) {
  int64_t secs = t.seconds;
  uint32_t nanos = t.nanos;
  if (nanos >= 1000000000u) {
    secs += nanos / 1000000000u;
    nanos %= 1000000000u;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // Howard Hinnant's civil_from_days.
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  unsigned d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  unsigned m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  if (m <= 2) ++y;
  if (y >= 0 && y <= 9999) {
    p = Put2(p, static_cast<unsigned>(y / 100));
    p = Put2(p, static_cast<unsigned>(y % 100));
  } else {
    p = std::to_chars(p, p + 24, y).ptr;  // outside RFC 3339; still unambiguous
  }
  *p++ = '-';
  p = Put2(p, m);
  *p++ = '-';
  p = Put2(p, d);
  *p++ = 'T';
  p = Put2(p, static_cast<unsigned>(rem / 3600));
  *p++ = ':';
  p = Put2(p, static_cast<unsigned>(rem / 60 % 60));
  *p++ = ':';
  p = Put2(p, static_cast<unsigned>(rem % 60));
  *p++ = '.';
  p = Put2(p, nanos / 10000000);
  p = Put2(p, nanos / 100000 % 100);
  p = Put2(p, nanos / 1000 % 100);
  p = Put2(p, nanos / 10 % 100);
  *p++ = static_cast<char>('0' + nanos % 10);
  *p++ = 'Z';
  return p;
}

// --- record fields ---

enum Slot {
  kLog,
  kSource,
  kContainerId,
  kContainerName,
  kLabelFamily,
  kLabelContainer,
  kLabelTaskArn,
  kLabelCluster,
  kEcsTaskArn,
  kEcsTaskDefinition,
  kEcsCluster,
  kNumSlots,
};

int SlotOf(std::string_view key) {
  switch (key.size()) {
    case 3: return key == "log" ? kLog : -1;
    case 6: return key == "source" ? kSource : -1;
    case 11: return key == "ecs_cluster" ? kEcsCluster : -1;
    case 12:
      if (key == "container_id") return kContainerId;
      return key == "ecs_task_arn" ? kEcsTaskArn : -1;
    case 14: return key == "container_name" ? kContainerName : -1;
    case 19: return key == "ecs_task_definition" ? kEcsTaskDefinition : -1;
    default: break;
  }
  constexpr std::string_view kPrefix = "com.amazonaws.ecs.";
  if (key.size() < kPrefix.size() + 7 || key.substr(0, kPrefix.size()) != kPrefix) return -1;
  std::string_view rest = key.substr(kPrefix.size());
  if (rest == "task-definition-family") return kLabelFamily;
  if (rest == "container-name") return kLabelContainer;
  if (rest == "task-arn") return kLabelTaskArn;
  if (rest == "cluster") return kLabelCluster;
  return -1;
}

// The string (str or bin) a raw value holds, if it is one.
bool StringOf(std::string_view raw, std::string_view* s) {
  if (raw.empty()) return false;
  MsgpackCursor c(raw);
  MpItem it;
  if (c.Next(&it) != MpStatus::kOk) return false;
  if (it.type != MpType::kStr && it.type != MpType::kBin) return false;
  *s = it.data;
  return true;
}

void SanitizeInto(std::string_view s, std::string* out) {
  if (s.size() > 255) s = s.substr(0, 255);
  out->assign(s);
  for (char& ch : *out) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-';
    if (!ok) ch = '_';
  }
  if (out->empty() || *out == "." || *out == "..") *out = "_";
}

// One record field found by the first pass.
struct Field {
  std::string_view key_raw;  // the key's msgpack bytes
  std::string_view key_str;  // the key, when it is a str
  std::string_view value;    // the value's msgpack bytes
  int8_t slot = -1;          // a field with a fixed place, or -1
  bool key_is_str = false;
};

thread_local std::vector<char> tls_buffer;
thread_local std::vector<Field> tls_fields;

}  // namespace

std::string SanitizeKeySegment(std::string_view s) {
  std::string out;
  SanitizeInto(s, &out);
  return out;
}

void AppendRfc3339Nanos(EventTime t, std::string* out) {
  char buf[64];
  char* end = WriteRfc3339(t, buf);
  out->append(buf, static_cast<size_t>(end - buf));
}

RecordEncoder::RecordEncoder(RecordEncoderOptions options) : options_(std::move(options)) {
  options_.fallback_family = SanitizeKeySegment(options_.fallback_family);
  // The writer recurses once per level: keep the depth within what Skip() checks.
  options_.max_nesting = std::clamp<size_t>(options_.max_nesting, 1, MsgpackCursor::kMaxDepth);
}

Status RecordEncoder::Encode(std::string_view tag, EventTime time, std::string_view record,
                             Route* route, std::string* line) const {
  const size_t inner_depth = options_.max_nesting - 1;  // the record map is depth 1
  auto malformed = [](std::string_view what, size_t at) {
    return InvalidArgumentError("malformed record: " + std::string(what) + " at byte " +
                                std::to_string(at));
  };

  // Pass 1: validate the whole map and find the fields that have a fixed place.
  MsgpackCursor c(record);
  MpItem map;
  if (c.Next(&map) != MpStatus::kOk || map.type != MpType::kMap) {
    return malformed("not a map", 0);
  }
  if (map.n > c.remaining()) return malformed("map longer than the record", 0);
  std::string_view slots[kNumSlots];
  std::vector<Field>& fields = tls_fields;
  fields.clear();
  for (uint32_t i = 0; i < map.n; ++i) {
    size_t key_at = c.offset();
    MsgpackCursor peek = c;
    MpItem key;
    if (peek.Next(&key) != MpStatus::kOk) return malformed("truncated or invalid key", key_at);
    Field field;
    if (key.type == MpType::kArray || key.type == MpType::kMap) {
      if (c.Skip(inner_depth) != MpStatus::kOk) return malformed("bad key", key_at);
    } else {
      c = peek;
      if (key.type == MpType::kStr) {
        field.slot = static_cast<int8_t>(SlotOf(key.data));
        field.key_is_str = true;
        field.key_str = key.data;
      }
    }
    field.key_raw = c.Since(key_at);
    size_t value_at = c.offset();
    if (c.Skip(inner_depth) != MpStatus::kOk) {
      return malformed("value truncated, invalid or nested too deep", value_at);
    }
    field.value = c.Since(value_at);
    if (field.slot >= 0 && slots[field.slot].empty()) slots[field.slot] = field.value;
    fields.push_back(field);
  }
  if (!c.done()) return malformed("bytes after the map", c.offset());

  // Route and the fixed fields.
  std::string_view family, container, arn, s;
  bool firelens = !slots[kEcsTaskArn].empty() || !slots[kEcsTaskDefinition].empty() ||
                  !slots[kEcsCluster].empty();
  std::string_view family_raw = slots[kLabelFamily];
  bool family_from_definition = false;
  if (StringOf(slots[kLabelFamily], &s)) {
    family = s;
  } else if (family_raw.empty() && StringOf(slots[kEcsTaskDefinition], &s)) {
    family = s.substr(0, s.find(':'));  // "family:revision"
    family_from_definition = true;
  } else if (family_raw.empty()) {
    family_raw = slots[kEcsTaskDefinition];
  }
  std::string_view container_raw = slots[kLabelContainer];
  bool container_name_consumed = false;
  if (container_raw.empty() && firelens && !slots[kContainerName].empty()) {
    container_raw = slots[kContainerName];
    container_name_consumed = true;
  }
  StringOf(container_raw, &container);
  std::string_view arn_raw =
      slots[kLabelTaskArn].empty() ? slots[kEcsTaskArn] : slots[kLabelTaskArn];
  bool has_arn = StringOf(arn_raw, &arn);
  std::string_view cluster_raw =
      slots[kLabelCluster].empty() ? slots[kEcsCluster] : slots[kLabelCluster];

  if (!family.empty() && !container.empty()) {
    SanitizeInto(family, &route->family);
    SanitizeInto(container, &route->container);
    route->fallback = false;
  } else {
    route->family = options_.fallback_family;
    SanitizeInto(tag, &route->container);
    route->fallback = true;
  }

  // Pass 2: write.
  JsonOut o(&tls_buffer);
  bool ok = true;
  auto raw_or_null = [&](std::string_view raw) {
    if (raw.empty()) {
      o.Ensure(4);
      o.Lit("null");
      return;
    }
    MsgpackCursor v(raw);
    ok &= WriteValue(v, o, inner_depth, false);
  };
  o.Ensure(128);
  o.Lit("{\"time\":\"");
  o.p_ = WriteRfc3339(time, o.p_);
  o.Lit("\",\"log\":");
  raw_or_null(slots[kLog]);
  o.Ensure(16);
  o.Lit(",\"source\":");
  raw_or_null(slots[kSource]);
  o.Ensure(24);
  o.Lit(",\"container_id\":");
  raw_or_null(slots[kContainerId]);
  o.Ensure(16);
  o.Lit(",\"task_id\":");
  if (has_arn) {
    size_t slash = arn.rfind('/');
    WriteString(o, slash == std::string_view::npos ? arn : arn.substr(slash + 1));
  } else {
    o.Ensure(4);
    o.Lit("null");
  }
  o.Ensure(16);
  o.Lit(",\"task_arn\":");
  raw_or_null(arn_raw);
  o.Ensure(16);
  o.Lit(",\"family\":");
  if (family_from_definition) {
    WriteString(o, family);
  } else {
    raw_or_null(family_raw);
  }
  o.Ensure(16);
  o.Lit(",\"container\":");
  raw_or_null(container_raw);
  o.Ensure(16);
  o.Lit(",\"cluster\":");
  raw_or_null(cluster_raw);

  for (const Field& field : fields) {
    if (field.slot >= 0 && field.value.data() == slots[field.slot].data() &&
        (field.slot != kContainerName || container_name_consumed)) {
      continue;  // written above
    }
    o.Ensure(1);
    o.Put(',');
    if (field.key_is_str) {
      WriteString(o, field.key_str);
    } else {
      MsgpackCursor k(field.key_raw);
      ok &= WriteKey(k, o, inner_depth, false);
    }
    o.Ensure(1);
    o.Put(':');
    MsgpackCursor v(field.value);
    ok &= WriteValue(v, o, inner_depth, false);
    if (!ok) break;
  }
  o.Ensure(2);
  o.Lit("}\n");
  if (!ok) return malformed("cannot transcode", 0);  // unreachable after pass 1
  line->append(o.data(), o.size());
  if (tls_buffer.size() > (1u << 20)) std::vector<char>().swap(tls_buffer);  // a huge record
  if (fields.capacity() > 4096) std::vector<Field>().swap(fields);
  return Status::Ok();
}

}  // namespace steady::logs
