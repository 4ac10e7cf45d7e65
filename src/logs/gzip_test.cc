#include "logs/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

namespace steady::logs {
namespace {

std::string SampleText(size_t n, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  static const char* kWords[] = {
      "GET",         "/health", "200",  "{\"level\":\"info\"}", "user=42",
      "latency_ms=", "\n",      "POST", "/api/v1/orders",       "timeout"};
  std::string s;
  while (s.size() < n) {
    s += kWords[rng() % 10];
    s += ' ';
    s += std::to_string(rng() % 1000);
  }
  s.resize(n);
  return s;
}

// Reference inflate with zlib (one member).
std::string ZlibGunzip(const std::string& gz) {
  z_stream z{};
  inflateInit2(&z, 15 + 16);
  std::string out(1 << 20, '\0');
  std::string result;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    result.append(out.data(), out.size() - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  EXPECT_EQ(rc, Z_STREAM_END);
  return result;
}

const GzipCodec kCodecs[] = {GzipCodec::kIsal, GzipCodec::kLibdeflate, GzipCodec::kZlib};

TEST(Gzip, CodecNames) {
  for (GzipCodec c : kCodecs) {
    auto parsed = ParseGzipCodec(GzipCodecName(c));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, c);
  }
  EXPECT_EQ(ParseGzipCodec("zstd").status().code(), StatusCode::kInvalidArgument);
}

TEST(Gzip, RoundTripEveryCodecAndLevel) {
  for (GzipCodec codec : kCodecs) {
    for (int level : {-1, 0, 1, 3}) {
      if (codec == GzipCodec::kIsal && level > 3) continue;
      auto c = NewGzipCompressor(codec, level);
      for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{300000}}) {
        std::string data = SampleText(n, static_cast<uint32_t>(n));
        std::string gz = "keep";
        c->CompressMember(data, &gz);  // appends
        ASSERT_EQ(gz.substr(0, 4), "keep");
        gz.erase(0, 4);
        ASSERT_GE(gz.size(), 18u);
        EXPECT_EQ(static_cast<uint8_t>(gz[0]), 0x1f);
        EXPECT_EQ(static_cast<uint8_t>(gz[1]), 0x8b);
        std::string out;
        size_t ok_bytes = 0;
        Status s = GunzipMembers(gz, &out, 1 << 30, &ok_bytes);
        ASSERT_TRUE(s.ok()) << GzipCodecName(codec) << " " << level << " " << s.ToString();
        EXPECT_EQ(out, data);
        EXPECT_EQ(ok_bytes, gz.size());
        EXPECT_EQ(ZlibGunzip(gz), data) << "zlib reads " << GzipCodecName(codec);
      }
    }
  }
}

TEST(Gzip, IncompressibleDataFits) {
  std::mt19937 rng(7);
  std::string data(1 << 20, '\0');
  for (char& ch : data) ch = static_cast<char>(rng());
  for (GzipCodec codec : kCodecs) {
    std::string gz;
    NewGzipCompressor(codec)->CompressMember(data, &gz);
    std::string out;
    ASSERT_TRUE(GunzipMembers(gz, &out, 2 << 20).ok());
    EXPECT_EQ(out, data);
  }
}

TEST(Gzip, MultiMember) {
  std::string gz, want;
  std::vector<size_t> ends;
  for (int i = 0; i < 6; ++i) {
    std::string part = SampleText(5000 + 999 * i, i);
    NewGzipCompressor(kCodecs[i % 3])->CompressMember(part, &gz);
    want += part;
    ends.push_back(gz.size());
  }
  std::string out = "pre";
  size_t ok_bytes = 0;
  ASSERT_TRUE(GunzipMembers(gz, &out, 1 << 30, &ok_bytes).ok());
  EXPECT_EQ(out, "pre" + want);
  EXPECT_EQ(ok_bytes, gz.size());
  // An empty member in the middle.
  std::string with_empty;
  auto c = NewGzipCompressor();
  c->CompressMember("a", &with_empty);
  c->CompressMember("", &with_empty);
  c->CompressMember("b", &with_empty);
  out.clear();
  ASSERT_TRUE(GunzipMembers(with_empty, &out, 100).ok());
  EXPECT_EQ(out, "ab");
  // No input at all.
  out.clear();
  EXPECT_TRUE(GunzipMembers("", &out, 100, &ok_bytes).ok());
  EXPECT_EQ(out, "");
  EXPECT_EQ(ok_bytes, 0u);
}

TEST(Gzip, TruncatedMember) {
  std::string first = SampleText(20000, 1), second = SampleText(20000, 2);
  std::string gz;
  auto c = NewGzipCompressor();
  c->CompressMember(first, &gz);
  size_t first_end = gz.size();
  c->CompressMember(second, &gz);
  for (size_t cut :
       {first_end + 1, first_end + 10, (first_end + gz.size()) / 2, gz.size() - 4, gz.size() - 1}) {
    std::string out;
    size_t ok_bytes = 12345;
    Status s = GunzipMembers(std::string_view(gz).substr(0, cut), &out, 1 << 30, &ok_bytes);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << "cut " << cut << " " << s.ToString();
    EXPECT_EQ(ok_bytes, first_end) << "cut " << cut;
    EXPECT_EQ(out, first) << "cut " << cut;
  }
  // Cut inside the first member.
  std::string out;
  size_t ok_bytes = 1;
  EXPECT_EQ(GunzipMembers(std::string_view(gz).substr(0, 100), &out, 1 << 30, &ok_bytes).code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ok_bytes, 0u);
  EXPECT_EQ(out, "");
}

TEST(Gzip, CorruptMember) {
  std::string first = SampleText(10000, 3), second = SampleText(10000, 4);
  std::string gz;
  auto c = NewGzipCompressor(GzipCodec::kLibdeflate);
  c->CompressMember(first, &gz);
  size_t first_end = gz.size();
  c->CompressMember(second, &gz);
  // Flip a byte of the second member: its magic, its data, its CRC, its size. (isa-l ignores
  // the reserved FLG bits, so the flag byte is not among them.)
  for (size_t at : {first_end, first_end + 1, first_end + 200, gz.size() - 8, gz.size() - 2}) {
    std::string bad = gz;
    bad[at] ^= 0x41;
    std::string out;
    size_t ok_bytes = 0;
    Status s = GunzipMembers(bad, &out, 1 << 30, &ok_bytes);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << "byte " << at << " " << s.ToString();
    EXPECT_EQ(ok_bytes, first_end) << "byte " << at;
    EXPECT_EQ(out, first) << "byte " << at;
  }
  // Junk after a valid member.
  std::string junk = gz.substr(0, first_end) + "garbage!";
  std::string out;
  size_t ok_bytes = 0;
  EXPECT_EQ(GunzipMembers(junk, &out, 1 << 30, &ok_bytes).code(), StatusCode::kDataLoss);
  EXPECT_EQ(ok_bytes, first_end);
}

TEST(Gzip, BombLimit) {
  std::string zeros(8 << 20, '\0');
  std::string gz;
  NewGzipCompressor(GzipCodec::kZlib, 9)->CompressMember(zeros, &gz);
  ASSERT_LT(gz.size(), 100000u);
  std::string out;
  Status s = GunzipMembers(gz, &out, 1 << 20);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_LE(out.size(), (1u << 20) + 1);
  // Exactly at the limit is fine.
  out.clear();
  EXPECT_TRUE(GunzipMembers(gz, &out, 8 << 20).ok());
  EXPECT_EQ(out.size(), zeros.size());
  // The limit counts what `out` held before: already past it is refused, not overrun.
  std::string small;
  NewGzipCompressor()->CompressMember("abc", &small);
  std::string full(200, 'z');
  EXPECT_EQ(GunzipMembers(small, &full, 100).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(full, std::string(200, 'z'));
  std::string near(99, 'z');
  EXPECT_EQ(GunzipMembers(small, &near, 100).code(), StatusCode::kResourceExhausted);
  // Many small members adding up past the limit.
  std::string many;
  auto c = NewGzipCompressor();
  for (int i = 0; i < 20; ++i) c->CompressMember(std::string(1000, 'x'), &many);
  out.clear();
  EXPECT_EQ(GunzipMembers(many, &out, 10000).code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace steady::logs
