#include "logs/forward_protocol.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "logs/gzip.h"
#include "logs/msgpack_cursor.h"

namespace steady::logs {

std::string_view EventModeName(EventMode mode) {
  switch (mode) {
    case EventMode::kMessage: return "Message";
    case EventMode::kForward: return "Forward";
    case EventMode::kPackedForward: return "PackedForward";
    case EventMode::kCompressedPackedForward: return "CompressedPackedForward";
  }
  return "?";
}

namespace {

std::string_view TypeName(MpType t) {
  switch (t) {
    case MpType::kNil: return "nil";
    case MpType::kBool: return "bool";
    case MpType::kUint:
    case MpType::kInt: return "integer";
    case MpType::kFloat: return "float";
    case MpType::kStr: return "str";
    case MpType::kBin: return "bin";
    case MpType::kArray: return "array";
    case MpType::kMap: return "map";
    case MpType::kExt: return "ext";
  }
  return "?";
}

uint32_t LoadBe32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}

// An event time from an already read item; false if the item cannot be one.
bool TimeFromItem(const MpItem& it, EventTime* t) {
  switch (it.type) {
    case MpType::kUint:
      if (it.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      *t = {static_cast<int64_t>(it.u), 0};
      return true;
    case MpType::kInt: *t = {it.i, 0}; return true;
    case MpType::kFloat: {
      // Lenient, as fluentd is: a float number of seconds.
      if (!std::isfinite(it.d) || std::fabs(it.d) > 9.2e18) return false;
      double s = std::floor(it.d);
      double ns = std::round((it.d - s) * 1e9);
      if (ns >= 1e9) ns = 999999999;
      *t = {static_cast<int64_t>(s), static_cast<uint32_t>(ns)};
      return true;
    }
    case MpType::kExt: {
      if (it.ext_type != 0 || it.data.size() != 8) return false;
      uint32_t nanos = LoadBe32(it.data.data() + 4);
      if (nanos >= 1000000000u) return false;
      *t = {static_cast<int64_t>(LoadBe32(it.data.data())), nanos};
      return true;
    }
    default: return false;
  }
}

bool IsTimeType(MpType t) {
  return t == MpType::kUint || t == MpType::kInt || t == MpType::kFloat || t == MpType::kExt;
}

// If `rest` starts with a complete str/bin header, the size of the whole value.
bool StrBinTotal(std::string_view rest, uint64_t* total) {
  if (rest.empty()) return false;
  auto b = [&](size_t i) { return static_cast<uint64_t>(static_cast<uint8_t>(rest[i])); };
  uint8_t c = static_cast<uint8_t>(rest[0]);
  size_t hdr;
  uint64_t len;
  if ((c & 0xe0) == 0xa0) {
    hdr = 1;
    len = c & 0x1f;
  } else if (c == 0xc4 || c == 0xd9) {
    if (rest.size() < 2) return false;
    hdr = 2;
    len = b(1);
  } else if (c == 0xc5 || c == 0xda) {
    if (rest.size() < 3) return false;
    hdr = 3;
    len = b(1) << 8 | b(2);
  } else if (c == 0xc6 || c == 0xdb) {
    if (rest.size() < 5) return false;
    hdr = 5;
    len = b(1) << 24 | b(2) << 16 | b(3) << 8 | b(4);
  } else {
    return false;
  }
  *total = hdr + len;
  return true;
}

Status Malformed(std::string_view what, size_t at) {
  return InvalidArgumentError("malformed forward message: " + std::string(what) + " at byte " +
                              std::to_string(at));
}

// Outcome of one parsing step: done, need more bytes, or an error already built.
struct Step {
  enum Kind { kOk, kIncomplete, kError } kind = kOk;
  Status error;
  static Step Ok() { return {}; }
  static Step Incomplete() { return {kIncomplete, Status::Ok()}; }
  static Step Error(std::string_view what, size_t at) { return {kError, Malformed(what, at)}; }
};

class MessageParser {
 public:
  MessageParser(std::string_view input, const ForwardLimits& limits, ForwardMessage* msg)
      : c_(input), limits_(limits), msg_(msg) {}

  Step Next(MpItem* it, std::string_view what) {
    size_t at = c_.offset();
    switch (c_.Next(it)) {
      case MpStatus::kOk: return Step::Ok();
      case MpStatus::kIncomplete: return Step::Incomplete();
      case MpStatus::kInvalid: break;
    }
    return Step::Error(std::string("invalid msgpack byte in ") + std::string(what), at);
  }

  Step Skip(size_t depth, std::string_view what) {
    size_t at = c_.offset();
    switch (c_.Skip(depth)) {
      case MpStatus::kOk: return Step::Ok();
      case MpStatus::kIncomplete: return Step::Incomplete();
      case MpStatus::kInvalid: break;
    }
    return Step::Error(std::string(what) + " is not valid msgpack or nested more than " +
                           std::to_string(depth) + " deep",
                       at);
  }

  // A record: a map, skipped whole; `*raw` receives its bytes.
  Step Record(std::string_view* raw) {
    size_t at = c_.offset();
    MsgpackCursor peek = c_;
    MpItem it;
    MpStatus s = peek.Next(&it);
    if (s == MpStatus::kIncomplete) return Step::Incomplete();
    if (s == MpStatus::kInvalid || it.type != MpType::kMap) {
      return Step::Error(
          std::string("record is ") +
              std::string(s == MpStatus::kInvalid ? "not msgpack" : TypeName(it.type)) +
              ", not a map",
          at);
    }
    Step st = Skip(limits_.max_nesting, "record");
    if (st.kind != Step::kOk) return st;
    *raw = c_.Since(at);
    return Step::Ok();
  }

  Step Option() {
    size_t at = c_.offset();
    MpItem it;
    Step st = Next(&it, "option");
    if (st.kind != Step::kOk) return st;
    if (it.type == MpType::kNil) return Step::Ok();  // fluent-logger-golang
    if (it.type != MpType::kMap) {
      return Step::Error("option is " + std::string(TypeName(it.type)) + ", not a map", at);
    }
    for (uint32_t i = 0; i < it.n; ++i) {
      MsgpackCursor peek = c_;
      MpItem key;
      if (peek.Next(&key) == MpStatus::kOk && key.type == MpType::kStr) {
        c_ = peek;
        size_t val_at = c_.offset();
        MpItem val;
        if (key.data == "size") {
          if ((st = Next(&val, "option size")).kind != Step::kOk) return st;
          if (val.type != MpType::kUint)
            return Step::Error("option size is not an integer", val_at);
          msg_->declared_size = val.u;
          continue;
        }
        if (key.data == "chunk") {
          if ((st = Next(&val, "option chunk")).kind != Step::kOk) return st;
          if (val.type != MpType::kStr && val.type != MpType::kBin) {
            return Step::Error("option chunk is " + std::string(TypeName(val.type)), val_at);
          }
          msg_->has_chunk = true;
          msg_->chunk = val.data;
          msg_->chunk_is_bin = val.type == MpType::kBin;
          continue;
        }
        if (key.data == "compressed") {
          if ((st = Next(&val, "option compressed")).kind != Step::kOk) return st;
          if (val.type != MpType::kStr || (val.data != "gzip" && val.data != "text")) {
            return Step::Error("option compressed is neither \"gzip\" nor \"text\"", val_at);
          }
          compressed_gzip_ = val.data == "gzip";
          continue;
        }
      } else if ((st = Skip(limits_.max_nesting, "option key")).kind != Step::kOk) {
        return st;
      }
      // Unknown option: ignored.
      if ((st = Skip(limits_.max_nesting, "option value")).kind != Step::kOk) return st;
    }
    return Step::Ok();
  }

  Step Ping(uint32_t n) {
    if (n != 6) return Step::Error("PING with " + std::to_string(n) + " elements, not 6", 0);
    std::string_view* fields[] = {&msg_->ping_hostname, &msg_->ping_shared_key_salt,
                                  &msg_->ping_shared_key_digest, &msg_->ping_username,
                                  &msg_->ping_password_digest};
    for (std::string_view* f : fields) {
      size_t at = c_.offset();
      MpItem it;
      Step st = Next(&it, "PING");
      if (st.kind != Step::kOk) return st;
      if (it.type != MpType::kStr && it.type != MpType::kBin) {
        return Step::Error("PING field is " + std::string(TypeName(it.type)), at);
      }
      *f = it.data;
    }
    msg_->kind = ForwardMessage::Kind::kPing;
    return Step::Ok();
  }

  // `*need` receives a lower bound of the message size when the header tells it.
  Step Parse(size_t* need) {
    MpItem top;
    Step st = Next(&top, "message");
    if (st.kind != Step::kOk) return st;
    if (top.type != MpType::kArray) {
      return Step::Error("message is " + std::string(TypeName(top.type)) + ", not an array", 0);
    }
    if (top.n < 2 || top.n > 6) {
      return Step::Error("message array has " + std::to_string(top.n) + " elements", 0);
    }
    size_t tag_at = c_.offset();
    MpItem tag;
    if ((st = Next(&tag, "tag")).kind != Step::kOk) return st;
    if (tag.type != MpType::kStr) {
      return Step::Error("tag is " + std::string(TypeName(tag.type)) + ", not a string", tag_at);
    }
    if (tag.data == "PING" && top.n == 6) return Ping(top.n);
    if (top.n > 4) {
      return Step::Error("message array has " + std::to_string(top.n) + " elements", 0);
    }
    msg_->tag = tag.data;

    size_t second_at = c_.offset();
    MsgpackCursor peek = c_;
    MpItem second;
    MpStatus s = peek.Next(&second);
    if (s == MpStatus::kIncomplete) {
      // A packed payload whose header is here: tell the caller how much to wait for.
      uint64_t total;
      if (StrBinTotal(std::string_view(c_.pos(), c_.remaining()), &total)) {
        uint64_t end = second_at + total + (top.n == 3 ? 1 : 0);
        if (end > limits_.max_message_bytes) {
          return Step::Error("message of at least " + std::to_string(end) +
                                 " bytes is larger than the limit of " +
                                 std::to_string(limits_.max_message_bytes),
                             second_at);
        }
        *need = static_cast<size_t>(end);
      }
      return Step::Incomplete();
    }
    if (s == MpStatus::kInvalid) return Step::Error("invalid msgpack byte", second_at);

    if (IsTimeType(second.type)) {  // Message
      if (!TimeFromItem(second, &msg_->time)) return Step::Error("bad event time", second_at);
      c_ = peek;
      if (top.n < 3) return Step::Error("Message without a record", second_at);
      msg_->mode = EventMode::kMessage;
      msg_->declared_size = 1;
      if ((st = Record(&msg_->record)).kind != Step::kOk) return st;
      if (top.n == 4 && (st = Option()).kind != Step::kOk) return st;
      msg_->declared_size = 1;
      return Step::Ok();
    }
    if (top.n == 4) return Step::Error("Forward message with 4 elements", 0);
    if (second.type == MpType::kArray) {  // Forward
      msg_->mode = EventMode::kForward;
      // entries array, entry array, then the record: records keep the whole nesting budget.
      if ((st = Skip(limits_.max_nesting + 2, "entries")).kind != Step::kOk) return st;
      msg_->entries = c_.Since(second_at);
      if (top.n == 3 && (st = Option()).kind != Step::kOk) return st;
      msg_->declared_size = second.n;
      return Step::Ok();
    }
    if (second.type == MpType::kStr || second.type == MpType::kBin) {  // PackedForward
      if (second.data.size() > limits_.max_message_bytes) {
        return Step::Error("packed entries of " + std::to_string(second.data.size()) +
                               " bytes are larger than the limit",
                           second_at);
      }
      c_ = peek;
      msg_->mode = EventMode::kPackedForward;
      msg_->entries = second.data;
      if (top.n == 3) {
        if (need) *need = c_.offset() + 1;
        if ((st = Option()).kind != Step::kOk) return st;
      }
      if (compressed_gzip_) msg_->mode = EventMode::kCompressedPackedForward;
      return Step::Ok();
    }
    return Step::Error(
        "entries are " + std::string(TypeName(second.type)) + ", not a time, an array, bin or str",
        second_at);
  }

  size_t offset() const { return c_.offset(); }

 private:
  MsgpackCursor c_;
  const ForwardLimits& limits_;
  ForwardMessage* msg_;
  bool compressed_gzip_ = false;
};

// One [time, record] entry of a Forward or PackedForward message. Fluent Bit's
// [[time, metadata], record] form is accepted too (the metadata is ignored).
Status ReadEntry(MsgpackCursor& c, const ForwardLimits& limits, size_t base, EventTime* time,
                 std::string_view* record) {
  size_t at = c.offset();
  MpItem it;
  if (c.Next(&it) != MpStatus::kOk) return Malformed("truncated or invalid entry", base + at);
  if (it.type != MpType::kArray || it.n != 2) {
    return Malformed("entry is not a [time, record] array", base + at);
  }
  size_t time_at = c.offset();
  if (c.Next(&it) != MpStatus::kOk) return Malformed("truncated or invalid time", base + time_at);
  if (it.type == MpType::kArray && it.n == 2) {
    if (c.Next(&it) != MpStatus::kOk) return Malformed("truncated time", base + time_at);
    if (!TimeFromItem(it, time)) return Malformed("bad event time", base + time_at);
    if (c.Skip(limits.max_nesting) != MpStatus::kOk) {
      return Malformed("bad event metadata", base + time_at);
    }
  } else if (!TimeFromItem(it, time)) {
    return Malformed("bad event time", base + time_at);
  }
  size_t rec_at = c.offset();
  MsgpackCursor peek = c;
  if (peek.Next(&it) != MpStatus::kOk)
    return Malformed("truncated or invalid record", base + rec_at);
  if (it.type != MpType::kMap) {
    return Malformed("record is " + std::string(TypeName(it.type)) + ", not a map", base + rec_at);
  }
  if (c.Skip(limits.max_nesting) != MpStatus::kOk) {
    return Malformed("record truncated, invalid or nested more than " +
                         std::to_string(limits.max_nesting) + " deep",
                     base + rec_at);
  }
  *record = c.Since(rec_at);
  return Status::Ok();
}

Status ForEachPacked(std::string_view entries, const ForwardLimits& limits,
                     const std::function<Status(EventTime, std::string_view)>& fn) {
  MsgpackCursor c(entries);
  EventTime t;
  std::string_view record;
  while (!c.done()) {
    RETURN_IF_ERROR(ReadEntry(c, limits, 0, &t, &record));
    RETURN_IF_ERROR(fn(t, record));
  }
  return Status::Ok();
}

// --- msgpack writing ---

void PutBe16(std::string* out, uint16_t v) {
  v = __builtin_bswap16(v);
  out->append(reinterpret_cast<const char*>(&v), 2);
}
void PutBe32(std::string* out, uint32_t v) {
  v = __builtin_bswap32(v);
  out->append(reinterpret_cast<const char*>(&v), 4);
}

void AppendStr(std::string* out, std::string_view s, bool bin = false) {
  size_t n = s.size();
  if (bin) {
    if (n < 256) {
      out->push_back(static_cast<char>(0xc4));
      out->push_back(static_cast<char>(n));
    } else if (n < 65536) {
      out->push_back(static_cast<char>(0xc5));
      PutBe16(out, static_cast<uint16_t>(n));
    } else {
      out->push_back(static_cast<char>(0xc6));
      PutBe32(out, static_cast<uint32_t>(n));
    }
  } else if (n < 32) {
    out->push_back(static_cast<char>(0xa0 | n));
  } else if (n < 256) {
    out->push_back(static_cast<char>(0xd9));
    out->push_back(static_cast<char>(n));
  } else if (n < 65536) {
    out->push_back(static_cast<char>(0xda));
    PutBe16(out, static_cast<uint16_t>(n));
  } else {
    out->push_back(static_cast<char>(0xdb));
    PutBe32(out, static_cast<uint32_t>(n));
  }
  out->append(s);
}

void AppendUint(std::string* out, uint64_t v) {
  if (v < 128) {
    out->push_back(static_cast<char>(v));
  } else if (v < 256) {
    out->push_back(static_cast<char>(0xcc));
    out->push_back(static_cast<char>(v));
  } else if (v < 65536) {
    out->push_back(static_cast<char>(0xcd));
    PutBe16(out, static_cast<uint16_t>(v));
  } else if (v <= 0xffffffffu) {
    out->push_back(static_cast<char>(0xce));
    PutBe32(out, static_cast<uint32_t>(v));
  } else {
    out->push_back(static_cast<char>(0xcf));
    PutBe32(out, static_cast<uint32_t>(v >> 32));
    PutBe32(out, static_cast<uint32_t>(v));
  }
}

void AppendEventTime(std::string* out, EventTime t) {
  if (t.seconds < 0 || t.seconds > 0xffffffffLL) {  // EventTime cannot carry it
    if (t.seconds < 0) {
      out->push_back(static_cast<char>(0xd3));
      uint64_t v = static_cast<uint64_t>(t.seconds);
      PutBe32(out, static_cast<uint32_t>(v >> 32));
      PutBe32(out, static_cast<uint32_t>(v));
    } else {
      AppendUint(out, static_cast<uint64_t>(t.seconds));
    }
    return;
  }
  out->push_back(static_cast<char>(0xd7));
  out->push_back(0);
  PutBe32(out, static_cast<uint32_t>(t.seconds));
  PutBe32(out, t.nanos);
}

std::string Sha512Hex(std::initializer_list<std::string_view> parts) {
  std::string data;
  for (std::string_view p : parts) data.append(p);
  unsigned char md[SHA512_DIGEST_LENGTH];
  SHA512(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * SHA512_DIGEST_LENGTH, '0');
  for (int i = 0; i < SHA512_DIGEST_LENGTH; ++i) {
    hex[2 * i] = kHex[md[i] >> 4];
    hex[2 * i + 1] = kHex[md[i] & 15];
  }
  return hex;
}

bool DigestEquals(std::string_view a, std::string_view b) {
  // The length of a hex digest is no secret; its bytes are.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Result<size_t> ParseForwardMessage(std::string_view input, const ForwardLimits& limits,
                                   ForwardMessage* msg, size_t* need) {
  if (need) *need = 0;
  *msg = ForwardMessage{};
  MessageParser parser(input, limits, msg);
  size_t hint = 0;
  Step st = parser.Parse(&hint);
  switch (st.kind) {
    case Step::kError: return st.error;
    case Step::kIncomplete:
      if (input.size() >= limits.max_message_bytes) {
        return InvalidArgumentError("malformed forward message: larger than the limit of " +
                                    std::to_string(limits.max_message_bytes) + " bytes");
      }
      *msg = ForwardMessage{};
      if (need && hint > input.size()) *need = hint;
      return size_t{0};
    case Step::kOk: break;
  }
  if (parser.offset() > limits.max_message_bytes) {
    return InvalidArgumentError("malformed forward message: " + std::to_string(parser.offset()) +
                                " bytes, larger than the limit of " +
                                std::to_string(limits.max_message_bytes));
  }
  return parser.offset();
}

Status ForEachEvent(const ForwardMessage& msg, const ForwardLimits& limits, std::string* scratch,
                    const std::function<Status(EventTime, std::string_view record)>& fn) {
  if (msg.kind != ForwardMessage::Kind::kEvents) {
    return InvalidArgumentError("not an events message");
  }
  switch (msg.mode) {
    case EventMode::kMessage: return fn(msg.time, msg.record);
    case EventMode::kForward: {
      MsgpackCursor c(msg.entries);
      MpItem it;
      if (c.Next(&it) != MpStatus::kOk || it.type != MpType::kArray) {
        return Malformed("Forward entries are not an array", 0);
      }
      EventTime t;
      std::string_view record;
      for (uint32_t i = 0; i < it.n; ++i) {
        RETURN_IF_ERROR(ReadEntry(c, limits, 0, &t, &record));
        RETURN_IF_ERROR(fn(t, record));
      }
      if (!c.done()) return Malformed("bytes after the Forward entries", c.offset());
      return Status::Ok();
    }
    case EventMode::kPackedForward: return ForEachPacked(msg.entries, limits, fn);
    case EventMode::kCompressedPackedForward: {
      scratch->clear();
      RETURN_IF_ERROR(GunzipMembers(msg.entries, scratch, limits.max_decompressed_bytes));
      return ForEachPacked(*scratch, limits, fn);
    }
  }
  return InternalError("unknown event mode");
}

void AppendAck(const ForwardMessage& msg, std::string* out) {
  out->push_back(static_cast<char>(0x81));
  AppendStr(out, "ack");
  AppendStr(out, msg.chunk, msg.chunk_is_bin);
}

std::string EncodeHelo(const HeloParams& params) {
  std::string out;
  out.push_back(static_cast<char>(0x92));
  AppendStr(&out, "HELO");
  out.push_back(static_cast<char>(0x83));
  AppendStr(&out, "nonce");
  AppendStr(&out, params.nonce, /*bin=*/true);
  AppendStr(&out, "auth");
  // fluentd sends the salt's random bytes as bin and "" (str) when user authentication is off.
  AppendStr(&out, params.auth_salt, /*bin=*/!params.auth_salt.empty());
  AppendStr(&out, "keepalive");
  out.push_back(static_cast<char>(params.keepalive ? 0xc3 : 0xc2));
  return out;
}

Status VerifyPing(const ForwardMessage& ping, const HeloParams& helo, const AuthConfig& auth,
                  std::string* pong) {
  pong->clear();
  auto fail = [&](std::string reason) {
    pong->push_back(static_cast<char>(0x95));
    AppendStr(pong, "PONG");
    pong->push_back(static_cast<char>(0xc2));
    AppendStr(pong, reason);
    AppendStr(pong, "");
    AppendStr(pong, "");
    return UnauthenticatedError(reason);
  };
  if (ping.kind != ForwardMessage::Kind::kPing) return fail("invalid ping message");
  std::string expected =
      Sha512Hex({ping.ping_shared_key_salt, ping.ping_hostname, helo.nonce, auth.shared_key});
  if (!DigestEquals(ping.ping_shared_key_digest, expected)) return fail("shared_key mismatch");
  if (!auth.users.empty()) {
    bool ok = false;
    for (const auto& [user, password] : auth.users) {
      if (user != ping.ping_username) continue;
      std::string digest = Sha512Hex({helo.auth_salt, user, password});
      ok |= DigestEquals(ping.ping_password_digest, digest);
    }
    if (!ok) return fail("username/password mismatch");
  }
  pong->push_back(static_cast<char>(0x95));
  AppendStr(pong, "PONG");
  pong->push_back(static_cast<char>(0xc3));
  AppendStr(pong, "");
  AppendStr(pong, auth.self_hostname);
  AppendStr(pong, Sha512Hex({ping.ping_shared_key_salt, auth.self_hostname, helo.nonce,
                             auth.shared_key}));
  return Status::Ok();
}

std::string EncodePackedForward(std::string_view tag,
                                const std::vector<std::pair<EventTime, std::string>>& events,
                                std::string_view chunk, bool compress) {
  std::string entries;
  size_t total = 0;
  for (const auto& e : events) total += e.second.size() + 12;
  entries.reserve(total);
  for (const auto& [time, record] : events) {
    entries.push_back(static_cast<char>(0x92));
    AppendEventTime(&entries, time);
    entries.append(record);
  }
  std::string payload;
  if (compress) {
    NewGzipCompressor(GzipCodec::kIsal)->CompressMember(entries, &payload);
  } else {
    payload = std::move(entries);
  }
  std::string out;
  out.reserve(payload.size() + tag.size() + chunk.size() + 64);
  out.push_back(static_cast<char>(0x93));
  AppendStr(&out, tag);
  AppendStr(&out, payload, /*bin=*/true);
  out.push_back(static_cast<char>(0x80 | (1 + !chunk.empty() + compress)));
  AppendStr(&out, "size");
  AppendUint(&out, events.size());
  if (!chunk.empty()) {
    AppendStr(&out, "chunk");
    AppendStr(&out, chunk);
  }
  if (compress) {
    AppendStr(&out, "compressed");
    AppendStr(&out, "gzip");
  }
  return out;
}

}  // namespace steady::logs
