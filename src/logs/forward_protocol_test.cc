#include "logs/forward_protocol.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <deque>
#include <msgpack.hpp>
#include <string>
#include <vector>

#include "logs/gzip.h"

namespace steady::logs {
namespace {

// --- building inputs with msgpack-cxx, the reference encoder ---

using Packer = msgpack::packer<msgpack::sbuffer>;

std::string Str(const msgpack::sbuffer& b) { return std::string(b.data(), b.size()); }

void PackEventTime(Packer& pk, uint32_t sec, uint32_t nsec) {
  char body[8];
  for (int i = 0; i < 4; ++i) {
    body[i] = static_cast<char>(sec >> (24 - 8 * i));
    body[4 + i] = static_cast<char>(nsec >> (24 - 8 * i));
  }
  pk.pack_ext(8, 0);  // fixext8
  pk.pack_ext_body(body, 8);
}

// ext8 form of an EventTime: c7 08 00 + 8 bytes.
std::string Ext8Time(uint32_t sec, uint32_t nsec) {
  std::string s = {'\xc7', '\x08', '\x00'};
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(sec >> (24 - 8 * i)));
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(nsec >> (24 - 8 * i)));
  return s;
}

std::string Record(const std::string& log, int n = 0) {
  msgpack::sbuffer b;
  Packer pk(b);
  pk.pack_map(3);
  pk.pack(std::string("log"));
  pk.pack(log);
  pk.pack(std::string("n"));
  pk.pack(n);
  pk.pack(std::string("nested"));
  pk.pack_map(1);
  pk.pack(std::string("a"));
  pk.pack_array(2);
  pk.pack(1.5);
  pk.pack_nil();
  return Str(b);
}

// Entries [EventTime, record] concatenated.
std::string Entries(int count, uint32_t sec = 1700000000) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    msgpack::sbuffer b;
    Packer pk(b);
    pk.pack_array(2);
    PackEventTime(pk, sec + i, 1000u * i);
    out += Str(b) + Record("line " + std::to_string(i), i);
  }
  return out;
}

struct Event {
  EventTime time;
  std::string record;
};

std::vector<Event> Collect(const ForwardMessage& msg, Status* status = nullptr,
                           ForwardLimits limits = {}) {
  std::vector<Event> events;
  std::string scratch;
  Status s = ForEachEvent(msg, limits, &scratch, [&](EventTime t, std::string_view r) {
    events.push_back({t, std::string(r)});
    return Status::Ok();
  });
  if (status) {
    *status = s;
  } else {
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return events;
}

// Parses a copy kept alive for the whole test run, so that `msg`'s views stay valid even when
// the caller passed a temporary.
Result<size_t> Parse(std::string_view in, ForwardMessage* msg, size_t* need = nullptr,
                     ForwardLimits limits = {}) {
  static std::deque<std::string> kept;
  kept.emplace_back(in);
  return ParseForwardMessage(kept.back(), limits, msg, need);
}

// A packed message: [tag, bin|str entries, option?]. `str_header` overrides the payload header.
std::string PackedMessage(const std::string& entries, bool as_str, bool with_option,
                          const std::string& chunk = "", const std::string& compressed = "") {
  msgpack::sbuffer b;
  Packer pk(b);
  pk.pack_array(with_option ? 3 : 2);
  pk.pack(std::string("app.web"));
  if (as_str) {
    pk.pack_str(static_cast<uint32_t>(entries.size()));
    pk.pack_str_body(entries.data(), static_cast<uint32_t>(entries.size()));
  } else {
    pk.pack_bin(static_cast<uint32_t>(entries.size()));
    pk.pack_bin_body(entries.data(), static_cast<uint32_t>(entries.size()));
  }
  if (with_option) {
    int n = 1 + !chunk.empty() + !compressed.empty();
    pk.pack_map(n);
    pk.pack(std::string("size"));
    pk.pack(3);
    if (!chunk.empty()) {
      pk.pack(std::string("chunk"));
      pk.pack(chunk);
    }
    if (!compressed.empty()) {
      pk.pack(std::string("compressed"));
      pk.pack(compressed);
    }
  }
  return Str(b);
}

void ExpectEntries(const std::vector<Event>& events, int count, uint32_t sec = 1700000000) {
  ASSERT_EQ(events.size(), static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    EXPECT_EQ(events[i].time.seconds, sec + i);
    EXPECT_EQ(events[i].time.nanos, 1000u * i);
    EXPECT_EQ(events[i].record, Record("line " + std::to_string(i), i));
  }
}

// --- modes and time encodings ---

TEST(ForwardProtocol, MessageModeWithEveryTimeEncoding) {
  std::string record = Record("hello");
  struct Case {
    std::string time_bytes;
    EventTime want;
  };
  msgpack::sbuffer fixext;
  Packer fpk(fixext);
  PackEventTime(fpk, 1543366923, 123456789);
  msgpack::sbuffer u32, u64, neg, f64, f32;
  Packer(u32).pack(uint32_t{1543366923});
  Packer(u64).pack_uint64(1543366923);
  Packer(neg).pack(int64_t{-5});
  Packer(f64).pack(1543366923.25);
  Packer(f32).pack_float(1024.5f);
  std::vector<Case> cases = {
      {Str(fixext), {1543366923, 123456789}},
      {Ext8Time(1543366923, 5), {1543366923, 5}},
      {Str(u32), {1543366923, 0}},
      {Str(u64), {1543366923, 0}},
      {Str(neg), {-5, 0}},
      {Str(f64), {1543366923, 250000000}},
      {Str(f32), {1024, 500000000}},
      {std::string(1, '\x07'), {7, 0}},
  };
  for (const Case& c : cases) {
    std::string msg = std::string(
                          "\x93\xa3"
                          "app",
                          5) +
                      c.time_bytes + record;
    ForwardMessage m;
    auto n = Parse(msg, &m);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, msg.size());
    EXPECT_EQ(m.kind, ForwardMessage::Kind::kEvents);
    EXPECT_EQ(m.mode, EventMode::kMessage);
    EXPECT_EQ(m.tag, "app");
    EXPECT_EQ(m.time.seconds, c.want.seconds);
    EXPECT_EQ(m.time.nanos, c.want.nanos);
    EXPECT_EQ(m.record, record);
    EXPECT_EQ(m.declared_size, 1u);
    EXPECT_FALSE(m.has_chunk);
    auto events = Collect(m);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].record, record);
    EXPECT_EQ(events[0].time.nanos, c.want.nanos);
  }
}

TEST(ForwardProtocol, MessageModeWithNilOptionAndWithChunk) {
  msgpack::sbuffer b;
  Packer pk(b);
  pk.pack_array(4);
  pk.pack(std::string("golang"));
  pk.pack(1700000000);
  b.write(Record("x").data(), Record("x").size());
  pk.pack_nil();  // fluent-logger-golang
  ForwardMessage m;
  auto n = Parse(Str(b), &m);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, b.size());
  EXPECT_FALSE(m.has_chunk);
  EXPECT_EQ(m.record, Record("x"));

  msgpack::sbuffer c;
  Packer pc(c);
  pc.pack_array(4);
  pc.pack(std::string("t"));
  pc.pack(1700000000);
  c.write(Record("x").data(), Record("x").size());
  pc.pack_map(2);
  pc.pack(std::string("chunk"));
  pc.pack(std::string("c1"));
  pc.pack(std::string("unknown"));
  pc.pack_array(1);
  pc.pack_map(0);
  ASSERT_TRUE(Parse(Str(c), &m).ok());
  EXPECT_TRUE(m.has_chunk);
  EXPECT_EQ(m.chunk, "c1");
  EXPECT_FALSE(m.chunk_is_bin);
}

TEST(ForwardProtocol, ForwardMode) {
  for (bool with_option : {false, true}) {
    msgpack::sbuffer b;
    Packer pk(b);
    pk.pack_array(with_option ? 3 : 2);
    pk.pack(std::string("fwd"));
    pk.pack_array(3);
    for (int i = 0; i < 3; ++i) {
      pk.pack_array(2);
      PackEventTime(pk, 1700000000 + i, 1000u * i);
      std::string r = Record("line " + std::to_string(i), i);
      b.write(r.data(), r.size());
    }
    if (with_option) {
      pk.pack_map(1);
      pk.pack(std::string("chunk"));
      pk.pack(std::string("abc\n"));
    }
    ForwardMessage m;
    auto n = Parse(Str(b), &m);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, b.size());
    EXPECT_EQ(m.mode, EventMode::kForward);
    EXPECT_EQ(m.declared_size, 3u);
    EXPECT_EQ(m.has_chunk, with_option);
    if (with_option) {
      EXPECT_EQ(m.chunk, "abc\n");
    }
    ExpectEntries(Collect(m), 3);
  }
}

TEST(ForwardProtocol, PackedForwardBinAndStrEntries) {
  std::string entries = Entries(5);
  for (bool as_str : {false, true}) {
    for (bool with_option : {false, true}) {
      std::string msg = PackedMessage(entries, as_str, with_option, "chunk-id");
      ForwardMessage m;
      auto n = Parse(msg, &m);
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      EXPECT_EQ(*n, msg.size());
      EXPECT_EQ(m.mode, EventMode::kPackedForward);
      EXPECT_EQ(m.tag, "app.web");
      EXPECT_EQ(m.entries, entries);
      EXPECT_EQ(m.declared_size, with_option ? 3u : 0u);
      EXPECT_EQ(m.has_chunk, with_option);
      ExpectEntries(Collect(m), 5);
    }
  }
}

TEST(ForwardProtocol, PackedForwardStr32Entries) {
  // fluentd's out_forward sends the entries as str32 whatever their size.
  std::string entries = Entries(2);
  std::string msg = "\x92\xa1t";
  msg += '\xdb';
  uint32_t n = static_cast<uint32_t>(entries.size());
  for (int i = 0; i < 4; ++i) msg.push_back(static_cast<char>(n >> (24 - 8 * i)));
  msg += entries;
  ForwardMessage m;
  auto r = Parse(msg, &m);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, msg.size());
  ExpectEntries(Collect(m), 2);
}

TEST(ForwardProtocol, FluentBitMetadataTimeForm) {
  // [[time, metadata], record]
  msgpack::sbuffer b;
  Packer pk(b);
  pk.pack_array(2);
  pk.pack_array(2);
  PackEventTime(pk, 1700000000, 0);
  pk.pack_map(0);
  std::string entries = Str(b) + Record("line 0", 0);
  ForwardMessage m;
  std::string msg = PackedMessage(entries, false, false);
  ASSERT_TRUE(Parse(msg, &m).ok());
  ExpectEntries(Collect(m), 1);
}

TEST(ForwardProtocol, CompressedPackedForwardMultiMember) {
  std::string entries = Entries(6);
  std::string gz;
  auto isal = NewGzipCompressor(GzipCodec::kIsal);
  auto zlib = NewGzipCompressor(GzipCodec::kZlib);
  size_t half = Entries(3).size();
  isal->CompressMember(entries.substr(0, half), &gz);
  zlib->CompressMember(entries.substr(half), &gz);
  std::string msg = PackedMessage(gz, false, true, "c", "gzip");
  ForwardMessage m;
  ASSERT_TRUE(Parse(msg, &m).ok());
  EXPECT_EQ(m.mode, EventMode::kCompressedPackedForward);
  EXPECT_EQ(EventModeName(m.mode), "CompressedPackedForward");
  EXPECT_EQ(m.entries, gz);
  ExpectEntries(Collect(m), 6);
}

TEST(ForwardProtocol, CompressedTextIsPlain) {
  std::string entries = Entries(2);
  std::string msg = PackedMessage(entries, true, true, "", "text");
  ForwardMessage m;
  ASSERT_TRUE(Parse(msg, &m).ok());
  EXPECT_EQ(m.mode, EventMode::kPackedForward);
  ExpectEntries(Collect(m), 2);
}

TEST(ForwardProtocol, ChunkAsBinWithNewlineAndAckBytes) {
  for (std::string chunk : {std::string("abc\n"), std::string(40, 'x') + "\n",
                            std::string(300, 'y'), std::string("\x00\xff\n", 3)}) {
    for (bool bin : {false, true}) {
      msgpack::sbuffer b;
      Packer pk(b);
      pk.pack_array(3);
      pk.pack(std::string("t"));
      std::string entries = Entries(1);
      pk.pack_bin(static_cast<uint32_t>(entries.size()));
      pk.pack_bin_body(entries.data(), static_cast<uint32_t>(entries.size()));
      pk.pack_map(1);
      pk.pack(std::string("chunk"));
      msgpack::sbuffer want;
      Packer pw(want);
      pw.pack_map(1);
      pw.pack(std::string("ack"));
      if (bin) {
        pk.pack_bin(static_cast<uint32_t>(chunk.size()));
        pk.pack_bin_body(chunk.data(), static_cast<uint32_t>(chunk.size()));
        pw.pack_bin(static_cast<uint32_t>(chunk.size()));
        pw.pack_bin_body(chunk.data(), static_cast<uint32_t>(chunk.size()));
      } else {
        pk.pack(chunk);
        pw.pack(chunk);
      }
      ForwardMessage m;
      ASSERT_TRUE(Parse(Str(b), &m).ok());
      EXPECT_TRUE(m.has_chunk);
      EXPECT_EQ(m.chunk, chunk);
      EXPECT_EQ(m.chunk_is_bin, bin);
      std::string ack = "prefix";
      AppendAck(m, &ack);
      EXPECT_EQ(ack, "prefix" + Str(want));
    }
  }
}

// --- incomplete input ---

TEST(ForwardProtocol, EveryPrefixIsIncompleteThenParses) {
  std::vector<std::string> messages;
  messages.push_back(PackedMessage(Entries(3), false, true, "chunk\n"));
  messages.push_back(PackedMessage(Entries(2), true, false));
  {
    std::string gz;
    NewGzipCompressor()->CompressMember(Entries(2), &gz);
    messages.push_back(PackedMessage(gz, false, true, "c", "gzip"));
  }
  {
    msgpack::sbuffer b;
    Packer pk(b);
    pk.pack_array(3);
    pk.pack(std::string("fwd"));
    pk.pack_array(2);
    for (int i = 0; i < 2; ++i) {
      pk.pack_array(2);
      pk.pack(1700000000 + i);
      std::string r = Record("l");
      b.write(r.data(), r.size());
    }
    pk.pack_map(1);
    pk.pack(std::string("chunk"));
    pk.pack(std::string("id"));
    messages.push_back(Str(b));
  }
  messages.push_back(std::string("\x94\xa1t", 3) + Ext8Time(1, 2) + Record("m") + "\xc0");
  for (const std::string& msg : messages) {
    std::string two = msg + msg;
    for (size_t k = 0; k < msg.size(); ++k) {
      ForwardMessage m;
      size_t need = 12345;
      auto r = Parse(std::string_view(msg).substr(0, k), &m, &need);
      ASSERT_TRUE(r.ok()) << "prefix " << k << ": " << r.status().ToString();
      ASSERT_EQ(*r, 0u) << "prefix " << k;
      EXPECT_TRUE(need == 0 || (need > k && need <= msg.size())) << k << " need " << need;
    }
    ForwardMessage m;
    auto r = Parse(two, &m);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, msg.size());  // stops at the end of the first message
    auto second = Parse(std::string_view(two).substr(*r), &m);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(*second, msg.size());
  }
}

TEST(ForwardProtocol, NeedTellsTheTotalOfAPackedMessage) {
  std::string entries = Entries(300);
  ASSERT_GT(entries.size(), 10000u);
  std::string plain = PackedMessage(entries, false, false);
  ForwardMessage m;
  size_t need = 0;
  auto r = Parse(std::string_view(plain).substr(0, 20), &m, &need);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);
  EXPECT_EQ(need, plain.size());  // exact without an option

  std::string with_option = PackedMessage(entries, false, true, "c");
  r = Parse(std::string_view(with_option).substr(0, 20), &m, &need);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);
  EXPECT_EQ(need, plain.size() + 1);  // a lower bound: the option takes at least a byte
  EXPECT_LT(need, with_option.size());
  r = Parse(std::string_view(with_option).substr(0, need), &m, &need);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);
  EXPECT_TRUE(need == 0 || need <= with_option.size());
}

// --- malformed shapes ---

void ExpectInvalid(const std::string& msg, const std::string& why, ForwardLimits limits = {}) {
  ForwardMessage m;
  auto r = ParseForwardMessage(msg, limits, &m);
  ASSERT_FALSE(r.ok()) << why;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << why;
  EXPECT_NE(r.status().message().find("at byte"), std::string::npos) << r.status().message();
}

// Parses fine, but ForEachEvent rejects it with `code`.
void ExpectBadEvents(const std::string& msg, StatusCode code, const std::string& why,
                     ForwardLimits limits = {}) {
  ForwardMessage m;
  auto r = ParseForwardMessage(msg, limits, &m);
  ASSERT_TRUE(r.ok()) << why << ": " << r.status().ToString();
  Status s;
  Collect(m, &s, limits);
  EXPECT_EQ(s.code(), code) << why << ": " << s.ToString();
}

TEST(ForwardProtocolMalformed, WrongTopType) {
  ExpectInvalid(
      "\x81\xa1"
      "a\x01",
      "map at the top");
  ExpectInvalid(
      "\xa3"
      "abc",
      "string at the top");
  ExpectInvalid("\x91\xa1t", "array of 1");
  ExpectInvalid(std::string("\x95\xa1t\x01\x80\xc0\xc0", 7), "array of 5");
  ExpectInvalid("\xc1", "never-used byte");
}

TEST(ForwardProtocolMalformed, TagNotAString) {
  ExpectInvalid(std::string("\x93\x01\x01\x80", 4), "int tag");
  ExpectInvalid(std::string("\x93\xc4\x01t\x01\x80", 6), "bin tag");
}

TEST(ForwardProtocolMalformed, BadTime) {
  ExpectInvalid(std::string("\x93\xa1t\xd6\x00\x00\x00\x00\x01\x80", 10), "ext 0 of 4 bytes");
  std::string ext1 = Ext8Time(1, 0);
  ext1[2] = 1;
  ExpectInvalid(std::string("\x93\xa1t") + ext1 + "\x80", "ext type 1");
  ExpectInvalid(std::string("\x93\xa1t") + Ext8Time(1, 1000000000) + "\x80", "nanos too big");
  ExpectInvalid(std::string("\x93\xa1t\xcf\xff\xff\xff\xff\xff\xff\xff\xff\x80", 13),
                "uint64 past int64");
  ExpectInvalid(std::string("\x93\xa1t\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00\x80", 13), "NaN");
  ExpectInvalid(std::string("\x93\xa1t\xc0\x80", 5), "nil time");
  ExpectInvalid(std::string("\x93\xa1t\xc3\x80", 5), "bool time");
  // inside packed entries
  ExpectBadEvents(PackedMessage(std::string("\x92\xa1x\x80", 4), false, false),
                  StatusCode::kInvalidArgument, "string time in an entry");
  ExpectBadEvents(PackedMessage(std::string("\x92\xc0\x80", 3), false, false),
                  StatusCode::kInvalidArgument, "nil time in an entry");
}

TEST(ForwardProtocolMalformed, EntriesNotArrayOrBin) {
  ExpectInvalid(std::string("\x92\xa1t\xc0", 4), "nil entries");
  ExpectInvalid(std::string("\x92\xa1t\x80", 4), "map entries");
  ExpectInvalid(std::string("\x92\xa1t\x01", 4), "Message without record");
  ExpectInvalid(std::string("\x94\xa1t\x90\xc0\xc0", 6), "Forward with 4 elements");
  ExpectBadEvents(std::string("\x92\xa1t\x91\x01", 5), StatusCode::kInvalidArgument,
                  "Forward entry not an array");
  ExpectBadEvents(std::string("\x92\xa1t\x91\x93\x01\x80\x80", 8), StatusCode::kInvalidArgument,
                  "Forward entry of 3");
}

TEST(ForwardProtocolMalformed, RecordNotAMap) {
  ExpectInvalid(std::string("\x93\xa1t\x01\x90", 5), "Message record array");
  ExpectInvalid(std::string("\x93\xa1t\x01\xa1x", 6), "Message record string");
  ExpectBadEvents(PackedMessage(std::string("\x92\x01\x91\x01", 4), false, false),
                  StatusCode::kInvalidArgument, "packed record array");
  ExpectBadEvents(std::string("\x92\xa1t\x91\x92\x01\xc0", 7), StatusCode::kInvalidArgument,
                  "Forward record nil");
}

TEST(ForwardProtocolMalformed, TruncatedInsidePackedEntries) {
  std::string entries = Entries(3);
  for (size_t cut : {size_t{1}, size_t{5}, entries.size() / 2, entries.size() - 1}) {
    ExpectBadEvents(PackedMessage(entries.substr(0, cut), false, false),
                    StatusCode::kInvalidArgument, "cut at " + std::to_string(cut));
  }
  // A string inside a record claims more bytes than the entries hold.
  std::string lying = std::string("\x92\x01\x81\xa1k\xdb\x7f\xff\xff\xff", 10) + "abc";
  ExpectBadEvents(PackedMessage(lying, false, false), StatusCode::kInvalidArgument,
                  "length past the end");
  // A map claiming 2^32-1 pairs.
  ExpectBadEvents(PackedMessage(std::string("\x92\x01\xdf\xff\xff\xff\xff\x01", 8), false, false),
                  StatusCode::kInvalidArgument, "huge map count");
}

TEST(ForwardProtocolMalformed, LengthsPastTheEndAndLimits) {
  ForwardLimits small;
  small.max_message_bytes = 1000;
  // A bin32 header that announces 4 GB: rejected at once, not waited for.
  std::string huge = std::string("\x92\xa1t\xc6\xff\xff\xff\xf0", 8);
  ExpectInvalid(huge, "bin past the limit", small);
  ExpectInvalid(std::string("\x92\xa1t\xc6\x00\x00\x04\x00", 8) + std::string(1024, 'x'),
                "bin over the limit", small);
  // Incomplete input already at the limit.
  {
    ForwardMessage m;
    std::string forward = "\x92\xa1t\xdd\x00\x01\x00\x00" + std::string(1200, '\x01');
    auto r = ParseForwardMessage(forward, small, &m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  // Array header announcing more elements than bytes: incomplete, not a crash or allocation.
  ForwardMessage m;
  auto r = Parse(std::string("\x92\xa1t\xdd\xff\xff\xff\xff\x01", 9), &m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);
}

TEST(ForwardProtocolMalformed, NestingTooDeep) {
  ForwardLimits limits;
  limits.max_nesting = 8;
  auto nested = [](int depth) {
    std::string r;
    for (int i = 0; i < depth - 1; ++i) r += "\x81\xa1k";
    r += "\x80";
    return r;
  };
  std::string ok_msg = std::string("\x93\xa1t\x01") + nested(8);
  ForwardMessage m;
  EXPECT_TRUE(ParseForwardMessage(ok_msg, limits, &m).ok());
  ExpectInvalid(std::string("\x93\xa1t\x01") + nested(9), "Message too deep", limits);
  ExpectBadEvents(PackedMessage("\x92\x01" + nested(9), false, false), StatusCode::kInvalidArgument,
                  "packed too deep", limits);
  // Forward mode keeps the whole budget for the record.
  std::string fwd = std::string("\x92\xa1t\x91\x92\x01") + nested(8);
  EXPECT_TRUE(ParseForwardMessage(fwd, limits, &m).ok());
  ExpectInvalid(std::string("\x92\xa1t\x91\x92\x01") + nested(9), "Forward too deep", limits);
  // Deep arrays far past Skip's own maximum.
  std::string deep = std::string("\x93\xa1t\x01\x81\xa1k") + std::string(100000, '\x91') + "\x01";
  ExpectInvalid(deep, "100000 deep");
}

TEST(ForwardProtocolMalformed, BadOptions) {
  std::string entries = Entries(1);
  std::string base = PackedMessage(entries, false, false);
  base[0] = '\x93';
  ExpectInvalid(base + "\x01", "option int");
  ExpectInvalid(base +
                    "\x81\xa5"
                    "chunk\x01",
                "chunk int");
  ExpectInvalid(base +
                    "\x81\xaa"
                    "compressed\xa4zstd",
                "unknown compression");
  ExpectInvalid(base + "\x81\xa4size\xa1x", "size not an integer");
  ForwardMessage m;
  EXPECT_TRUE(Parse(base + "\x82\x01\x02\xa3"
                           "foo\x93\x01\x02\x03",
                    &m)
                  .ok())
      << "unknown keys";
}

TEST(ForwardProtocolMalformed, BadGzip) {
  std::string gz;
  NewGzipCompressor()->CompressMember(Entries(10), &gz);
  std::string corrupt = gz;
  corrupt[gz.size() / 2] ^= 0x55;
  ExpectBadEvents(PackedMessage("not gzip at all", false, true, "", "gzip"), StatusCode::kDataLoss,
                  "not gzip");
  ExpectBadEvents(PackedMessage(gz.substr(0, gz.size() - 3), false, true, "", "gzip"),
                  StatusCode::kDataLoss, "truncated gzip");
  std::string crc = gz;
  crc[gz.size() - 6] ^= 1;
  ExpectBadEvents(PackedMessage(crc, false, true, "", "gzip"), StatusCode::kDataLoss, "bad crc");
  ForwardLimits small;
  small.max_decompressed_bytes = 100;
  ExpectBadEvents(PackedMessage(gz, false, true, "", "gzip"), StatusCode::kResourceExhausted,
                  "bomb", small);
  // Valid gzip of bytes that are not entries.
  std::string junk;
  NewGzipCompressor()->CompressMember("\xc1\xc1", &junk);
  ExpectBadEvents(PackedMessage(junk, false, true, "", "gzip"), StatusCode::kInvalidArgument,
                  "gzip of junk");
}

TEST(ForwardProtocol, ForEachEventStopsAtTheCallbackError) {
  ForwardMessage m;
  ASSERT_TRUE(Parse(PackedMessage(Entries(5), false, false), &m).ok());
  int calls = 0;
  std::string scratch;
  Status s = ForEachEvent(m, {}, &scratch, [&](EventTime, std::string_view) {
    return ++calls == 2 ? ResourceExhaustedError("full") : Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(calls, 2);
}

TEST(ForwardProtocol, EncodePackedForwardRoundTrip) {
  std::vector<std::pair<EventTime, std::string>> events;
  for (int i = 0; i < 50; ++i) {
    events.push_back({{1700000000 + i, 7u * i}, Record("line " + std::to_string(i), i)});
  }
  for (bool compress : {false, true}) {
    std::string msg = EncodePackedForward("tag.x", events, compress ? "" : "chunk-1", compress);
    // msgpack-cxx reads it as [str, bin, map].
    msgpack::object_handle oh = msgpack::unpack(msg.data(), msg.size());
    ASSERT_EQ(oh.get().type, msgpack::type::ARRAY);
    ASSERT_EQ(oh.get().via.array.size, 3u);
    EXPECT_EQ(oh.get().via.array.ptr[1].type, msgpack::type::BIN);
    ForwardMessage m;
    auto r = Parse(msg, &m);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, msg.size());
    EXPECT_EQ(m.tag, "tag.x");
    EXPECT_EQ(m.declared_size, 50u);
    EXPECT_EQ(m.has_chunk, !compress);
    EXPECT_EQ(m.mode, compress ? EventMode::kCompressedPackedForward : EventMode::kPackedForward);
    auto got = Collect(m);
    ASSERT_EQ(got.size(), events.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].time.seconds, events[i].first.seconds);
      EXPECT_EQ(got[i].time.nanos, events[i].first.nanos);
      EXPECT_EQ(got[i].record, events[i].second);
    }
  }
}

// --- handshake ---

std::string Sha512HexRef(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha512(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    snprintf(buf, sizeof(buf), "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

TEST(ForwardHandshake, HeloAsTheSpecSays) {
  HeloParams helo{std::string("\x00\x01nonce-bytes-16!", 16), "salty", true};
  std::string bytes = EncodeHelo(helo);
  msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size());
  const msgpack::object& o = oh.get();
  ASSERT_EQ(o.type, msgpack::type::ARRAY);
  ASSERT_EQ(o.via.array.size, 2u);
  EXPECT_EQ(o.via.array.ptr[0].as<std::string>(), "HELO");
  const msgpack::object& opts = o.via.array.ptr[1];
  ASSERT_EQ(opts.type, msgpack::type::MAP);
  ASSERT_EQ(opts.via.map.size, 3u);
  std::map<std::string, msgpack::object> kv;
  for (uint32_t i = 0; i < 3; ++i) {
    kv[opts.via.map.ptr[i].key.as<std::string>()] = opts.via.map.ptr[i].val;
  }
  EXPECT_EQ(kv["nonce"].type, msgpack::type::BIN);
  EXPECT_EQ(kv["nonce"].as<std::string>(), helo.nonce);
  EXPECT_EQ(kv["auth"].as<std::string>(), "salty");
  EXPECT_EQ(kv["keepalive"].as<bool>(), true);

  helo.auth_salt.clear();
  helo.keepalive = false;
  bytes = EncodeHelo(helo);
  oh = msgpack::unpack(bytes.data(), bytes.size());
  const msgpack::object& o2 = oh.get().via.array.ptr[1];
  for (uint32_t i = 0; i < 3; ++i) {
    std::string key = o2.via.map.ptr[i].key.as<std::string>();
    if (key == "auth") {
      EXPECT_EQ(o2.via.map.ptr[i].val.type, msgpack::type::STR);
      EXPECT_EQ(o2.via.map.ptr[i].val.as<std::string>(), "");
    }
    if (key == "keepalive") {
      EXPECT_FALSE(o2.via.map.ptr[i].val.as<bool>());
    }
  }
}

std::string Ping(const std::string& host, const std::string& salt, const std::string& digest,
                 const std::string& user, const std::string& pass_digest) {
  msgpack::sbuffer b;
  Packer pk(b);
  pk.pack_array(6);
  pk.pack(std::string("PING"));
  pk.pack(host);
  pk.pack_bin(static_cast<uint32_t>(salt.size()));  // fluentd's salt is binary
  pk.pack_bin_body(salt.data(), static_cast<uint32_t>(salt.size()));
  pk.pack(digest);
  pk.pack(user);
  pk.pack(pass_digest);
  return Str(b);
}

struct Pong {
  bool ok;
  std::string reason, host, digest;
};
Pong DecodePong(const std::string& bytes) {
  msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size());
  const msgpack::object& o = oh.get();
  EXPECT_EQ(o.via.array.size, 5u);
  EXPECT_EQ(o.via.array.ptr[0].as<std::string>(), "PONG");
  return {o.via.array.ptr[1].as<bool>(), o.via.array.ptr[2].as<std::string>(),
          o.via.array.ptr[3].as<std::string>(), o.via.array.ptr[4].as<std::string>()};
}

TEST(ForwardHandshake, SharedKeyAndUsers) {
  HeloParams helo{"0123456789abcdef", "", true};
  AuthConfig auth{"aggregator-1", "s3cret", {}};
  const std::string salt = "client-salt";
  const std::string host = "client.example";
  std::string good = Sha512HexRef(salt + host + helo.nonce + auth.shared_key);

  ForwardMessage m;
  std::string ping = Ping(host, salt, good, "", "");
  auto r = Parse(ping, &m);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, ping.size());
  ASSERT_EQ(m.kind, ForwardMessage::Kind::kPing);
  EXPECT_EQ(m.ping_hostname, host);
  EXPECT_EQ(m.ping_shared_key_salt, salt);
  std::string pong;
  ASSERT_TRUE(VerifyPing(m, helo, auth, &pong).ok());
  Pong p = DecodePong(pong);
  EXPECT_TRUE(p.ok);
  EXPECT_EQ(p.reason, "");
  EXPECT_EQ(p.host, "aggregator-1");
  EXPECT_EQ(p.digest, Sha512HexRef(salt + "aggregator-1" + helo.nonce + auth.shared_key));

  // Wrong key.
  std::string bad = Sha512HexRef(salt + host + helo.nonce + "wrong");
  ASSERT_TRUE(Parse(Ping(host, salt, bad, "", ""), &m).ok());
  Status s = VerifyPing(m, helo, auth, &pong);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  p = DecodePong(pong);
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.reason, "shared_key mismatch");
  EXPECT_EQ(p.host, "");
  EXPECT_EQ(p.digest, "");
  // Truncated digest.
  ASSERT_TRUE(Parse(Ping(host, salt, good.substr(0, 127), "", ""), &m).ok());
  EXPECT_FALSE(VerifyPing(m, helo, auth, &pong).ok());

  // Users.
  helo.auth_salt = "auth-salt";
  auth.users = {{"alice", "pw1"}, {"bob", "pw2"}};
  std::string bob = Sha512HexRef(helo.auth_salt + "bob" + "pw2");
  ASSERT_TRUE(Parse(Ping(host, salt, good, "bob", bob), &m).ok());
  EXPECT_TRUE(VerifyPing(m, helo, auth, &pong).ok());
  EXPECT_TRUE(DecodePong(pong).ok);
  ASSERT_TRUE(Parse(Ping(host, salt, good, "alice", bob), &m).ok());
  s = VerifyPing(m, helo, auth, &pong);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(DecodePong(pong).reason, "username/password mismatch");
  ASSERT_TRUE(Parse(Ping(host, salt, good, "mallory", bob), &m).ok());
  EXPECT_FALSE(VerifyPing(m, helo, auth, &pong).ok());

  // An events message is no PING.
  ASSERT_TRUE(Parse(PackedMessage(Entries(1), false, false), &m).ok());
  EXPECT_FALSE(VerifyPing(m, helo, auth, &pong).ok());
  EXPECT_FALSE(DecodePong(pong).ok);
}

TEST(ForwardHandshake, MalformedPing) {
  ExpectInvalid(std::string("\x96\xa4PING\x01\xa0\xa0\xa0\xa0", 11), "int hostname");
  ForwardMessage m;
  auto r = Parse(std::string("\x96\xa4PING\xa0\xa0", 8), &m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);  // incomplete
}

}  // namespace
}  // namespace steady::logs
