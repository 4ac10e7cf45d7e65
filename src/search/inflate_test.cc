#include "search/inflate.h"

#include <gtest/gtest.h>

#include <string>

#include "logs/gzip.h"

namespace steady::search {
namespace {

std::string Gzip(std::string_view data) {
  std::string out;
  logs::NewGzipCompressor(logs::GzipCodec::kZlib)->CompressMember(data, &out);
  return out;
}

// Text that compresses far past the first room guess (16x), so that the buffer must grow.
std::string Repetitive(size_t bytes) {
  std::string s;
  while (s.size() < bytes) s += "{\"log\":\"all is well\",\"n\":" + std::to_string(s.size() % 7) + "}\n";
  return s;
}

class InflateTest : public testing::TestWithParam<Inflater> {};

TEST(TextBufferTest, GrowsKeepingItsBytesAndMoves) {
  TextBuffer b;
  EXPECT_EQ(b.capacity(), 0u);
  ASSERT_TRUE(b.Reserve(10));
  EXPECT_GE(b.capacity(), 10u);
  std::string first(b.capacity(), 'x');
  first.back() = 'y';
  std::copy(first.begin(), first.end(), b.data());
  b.set_size(first.size());
  ASSERT_TRUE(b.Reserve(b.capacity() * 3));  // moves the mapping, keeps the bytes
  EXPECT_EQ(b.view(), first);
  TextBuffer moved = std::move(b);
  EXPECT_EQ(moved.view(), first);
  EXPECT_EQ(b.capacity(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  moved.clear();
  EXPECT_TRUE(moved.empty());
  EXPECT_GE(moved.capacity(), first.size());
}

TEST_P(InflateTest, ConcatenatedMembersAndGrowthPastTheGuess) {
  const std::string a = Repetitive(3 << 20), b = "second member\n", c = Repetitive(5 << 20);
  const std::string gz = Gzip(a) + Gzip(b) + Gzip(c);
  ASSERT_GT((a.size() + c.size()) / gz.size(), 16u) << "the data must outgrow the first guess";
  TextBuffer out;
  ASSERT_TRUE(InflateMembers(gz, &out, size_t{1} << 30, GetParam()).ok());
  EXPECT_EQ(out.view(), a + b + c);
  // A recycled buffer gives the same result, old contents replaced.
  ASSERT_TRUE(InflateMembers(Gzip(b), &out, size_t{1} << 30, GetParam()).ok());
  EXPECT_EQ(out.view(), b);
}

TEST_P(InflateTest, LimitIsEnforced) {
  const std::string text = Repetitive(4 << 20);
  TextBuffer out;
  Status s = InflateMembers(Gzip("ok\n") + Gzip(text), &out, 1 << 20, GetParam());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_EQ(out.view(), "ok\n");  // the complete members before the limit
  EXPECT_LE(out.size(), size_t{1} << 20);
}

TEST_P(InflateTest, CorruptAndTruncatedMembersKeepTheGoodOnes) {
  const std::string good = Gzip("first\n");
  std::string bad = Gzip(Repetitive(1 << 16));
  bad[bad.size() / 2] ^= 0x5a;
  TextBuffer out;
  Status s = InflateMembers(good + bad, &out, size_t{1} << 30, GetParam());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_EQ(out.view(), "first\n");

  std::string cut = Gzip(Repetitive(1 << 16));
  cut.resize(cut.size() / 2);
  s = InflateMembers(good + cut, &out, size_t{1} << 30, GetParam());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_EQ(out.view(), "first\n");
}

TEST_P(InflateTest, EmptyInputIsEmptyOutput) {
  TextBuffer out;
  ASSERT_TRUE(InflateMembers(Gzip("x\n"), &out, 1 << 20, GetParam()).ok());
  ASSERT_TRUE(InflateMembers("", &out, 1 << 20, GetParam()).ok());
  EXPECT_TRUE(out.empty());
}

INSTANTIATE_TEST_SUITE_P(Codecs, InflateTest,
                         testing::Values(Inflater::kIsal, Inflater::kLibdeflate),
                         [](const testing::TestParamInfo<Inflater>& info) {
                           return info.param == Inflater::kIsal ? "isal" : "libdeflate";
                         });

}  // namespace
}  // namespace steady::search
