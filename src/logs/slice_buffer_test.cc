#include "logs/slice_buffer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "aws/local_object_store.h"
#include "base/ids.h"
#include "base/temp_dir.h"
#include "base/time_format.h"
#include "logs/gzip.h"
#include "logs/slice_buffer_testing.h"
#include "logs/slice_uploader.h"

namespace steady::logs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::SizeIs;

using ::steady::testutil::TempDir;

std::string Member(std::string_view text) {
  std::string out;
  NewGzipCompressor(GzipCodec::kZlib)->CompressMember(text, &out);
  return out;
}

std::string Gunzip(std::string_view data) {
  std::string out;
  Status s = GunzipMembers(data, &out, 1 << 30);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void AppendRaw(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << data;
}

// Every regular file under `root`, relative, sorted (without the buffer's lock file).
std::vector<std::string> FilesUnder(const std::string& root) {
  std::vector<std::string> out;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    std::string rel = fs::relative(e.path(), root).string();
    if (e.is_regular_file() && rel != ".lock") out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// 2026-11-23 19:12 UTC.
int64_t TestMinute() {
  Time t = FromCivil(CivilTime{2026, 11, 23, 19, 12, 0, 0});
  return std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()).count();
}

Time MinuteStart(int64_t minute) { return FromUnixSeconds(static_cast<double>(minute) * 60); }

double CounterValue(MetricsRegistry& m, const std::string& name,
                    const std::vector<std::string>& labels = {}) {
  return m.AddCounter(name, "", {}).With(labels).value();
}

class SliceBufferTest : public ::testing::Test {
 protected:
  SliceBufferTest() : clock_(MinuteStart(TestMinute()) + std::chrono::seconds(5)) {
    options_.dir = dir_.path() + "/buffer";
    options_.grace = std::chrono::seconds(10);
  }

  std::unique_ptr<SliceBuffer> OpenBuffer() {
    auto r = SliceBuffer::Open(options_, clock_, metrics_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : nullptr;
  }

  SliceId Id(std::string container = "web") { return SliceId{"shop", container, TestMinute()}; }

  TempDir dir_;
  ManualClock clock_;
  MetricsRegistry metrics_;
  SliceBufferOptions options_;
};

TEST(SliceBufferKeyTest, ObjectKeyFormat) {
  SliceId id{"shop", "web", TestMinute()};
  EXPECT_EQ(SliceBuffer::ObjectKey("service-logs", id, 3, "0b5e-uuid"),
            "service-logs/shop/web/2026/11/23/202611231912_3_0b5e-uuid.gz");
  EXPECT_EQ(SliceBuffer::ObjectKey("a/b/", id, 0, "u"),
            "a/b/shop/web/2026/11/23/202611231912_0_u.gz");
  EXPECT_EQ(SliceBuffer::ObjectKey("", id, 0, "u"), "shop/web/2026/11/23/202611231912_0_u.gz");
  // Single-digit month and day are zero-padded; the minute decides the date (UTC).
  Time t = FromCivil(CivilTime{2027, 1, 2, 3, 4, 0, 0});
  SliceId early{"f", "c",
                std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()).count()};
  EXPECT_EQ(SliceBuffer::ObjectKey("p", early, 12, "x"), "p/f/c/2027/01/02/202701020304_12_x.gz");
}

TEST_F(SliceBufferTest, AppendSealRoundTrip) {
  auto buffer = OpenBuffer();
  ASSERT_NE(buffer, nullptr);
  std::string m1 = Member("{\"a\":1}\n{\"a\":2}\n"), m2 = Member("{\"a\":3}\n");
  ASSERT_TRUE(buffer->Append(Id(), m1, 2).ok());
  ASSERT_TRUE(buffer->Append(Id(), m2, 1).ok());
  ASSERT_TRUE(buffer->Sync().ok());
  EXPECT_EQ(buffer->open_slices(), 1u);
  EXPECT_EQ(buffer->buffered_bytes(), m1.size() + m2.size());
  EXPECT_THAT(
      FilesUnder(options_.dir),
      ::testing::ElementsAre(MatchesRegex("shop/web/202611231912_0_[-0-9a-f]+\\.gz\\.open")));

  // The minute ends at +60 s; with 10 s grace nothing is due before +70 s.
  clock_.Set(MinuteStart(TestMinute()) + std::chrono::seconds(69));
  EXPECT_THAT(buffer->SealDue(), SizeIs(0));
  clock_.Advance(std::chrono::seconds(1));
  auto sealed = buffer->SealDue();
  ASSERT_THAT(sealed, SizeIs(1));
  EXPECT_THAT(sealed[0].key,
              MatchesRegex("service-logs/shop/web/2026/11/23/202611231912_0_[-0-9a-f]+\\.gz"));
  EXPECT_EQ(sealed[0].records, 3u);
  EXPECT_EQ(sealed[0].bytes, fs::file_size(sealed[0].path));
  EXPECT_EQ(Gunzip(ReadAll(sealed[0].path)), "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
  EXPECT_EQ(buffer->open_slices(), 0u);
  EXPECT_THAT(buffer->Sealed(), SizeIs(1));
  // The file name carries the key's last segment, so recovery can rebuild the key.
  EXPECT_EQ(fs::path(sealed[0].path).filename().string(),
            fs::path(sealed[0].key).filename().string());

  ASSERT_TRUE(buffer->Remove(sealed[0]).ok());
  EXPECT_EQ(buffer->buffered_bytes(), 0u);
  EXPECT_THAT(buffer->Sealed(), SizeIs(0));
  EXPECT_THAT(FilesUnder(options_.dir), SizeIs(0));
  EXPECT_FALSE(fs::exists(options_.dir + "/shop"));  // empty directories go
  EXPECT_EQ(CounterValue(metrics_, "steady_aggregator_appended_bytes_total"),
            static_cast<double>(m1.size() + m2.size()));
}

TEST_F(SliceBufferTest, LateRecordAfterSealOpensNextIndex) {
  auto buffer = OpenBuffer();
  ASSERT_TRUE(buffer->Append(Id(), Member("early\n"), 1).ok());
  clock_.Advance(std::chrono::minutes(2));
  auto first = buffer->SealDue();
  ASSERT_THAT(first, SizeIs(1));
  ASSERT_TRUE(buffer->Append(Id(), Member("late\n"), 1).ok());
  auto second = buffer->SealDue();  // already past the grace
  ASSERT_THAT(second, SizeIs(1));
  EXPECT_THAT(first[0].key, HasSubstr("/202611231912_0_"));
  EXPECT_THAT(second[0].key, HasSubstr("/202611231912_1_"));
  EXPECT_NE(first[0].key, second[0].key);
  EXPECT_EQ(Gunzip(ReadAll(second[0].path)), "late\n");
  // Another container or minute has its own counter.
  ASSERT_TRUE(buffer->Append(Id("db"), Member("x\n"), 1).ok());
  auto third = buffer->SealAll();
  ASSERT_THAT(third, SizeIs(1));
  EXPECT_THAT(third[0].key, HasSubstr("/db/2026/11/23/202611231912_0_"));
}

TEST_F(SliceBufferTest, RejectsUnsafeSegments) {
  auto buffer = OpenBuffer();
  for (std::string bad : {"", ".", "..", "a/b", ".hidden"}) {
    EXPECT_EQ(buffer->Append(SliceId{bad, "c", 1}, Member("x"), 1).code(),
              StatusCode::kInvalidArgument)
        << bad;
    EXPECT_EQ(buffer->Append(SliceId{"f", bad, 1}, Member("x"), 1).code(),
              StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(buffer->buffered_bytes(), 0u);
}

TEST_F(SliceBufferTest, MaxSliceBytesSealsEarly) {
  options_.max_slice_bytes = 100;
  options_.recompress_below_avg_member = 0;
  auto buffer = OpenBuffer();
  std::string m = Member(std::string(200, 'x') + "\n");  // ~30 bytes compressed
  ASSERT_LT(m.size(), 100u);
  uint64_t appended = 0;
  while (appended < 100) {
    ASSERT_TRUE(buffer->Append(Id(), m, 1).ok());
    appended += m.size();
  }
  ASSERT_TRUE(buffer->Append(Id(), m, 1).ok());  // goes to index 1
  auto due = buffer->SealDue();                  // minute not over, but index 0 is full
  ASSERT_THAT(due, SizeIs(1));
  EXPECT_THAT(due[0].key, HasSubstr("_0_"));
  EXPECT_EQ(due[0].bytes, appended);
  EXPECT_EQ(buffer->open_slices(), 1u);
  auto rest = buffer->SealAll();
  ASSERT_THAT(rest, SizeIs(1));
  EXPECT_THAT(rest[0].key, HasSubstr("_1_"));
  EXPECT_EQ(rest[0].bytes, m.size());
}

TEST_F(SliceBufferTest, RecompressesManySmallMembers) {
  auto buffer = OpenBuffer();
  std::string expected;
  uint64_t raw = 0;
  for (int i = 0; i < 200; ++i) {
    std::string line = "{\"time\":\"2026-11-23T19:12:0" + std::to_string(i % 10) +
                       ".000000000Z\",\"log\":\"GET /index.html 200 " + std::to_string(i) + "\"}\n";
    expected += line;
    std::string m = Member(line);
    raw += m.size();
    ASSERT_TRUE(buffer->Append(Id(), m, 1).ok());
  }
  EXPECT_EQ(buffer->buffered_bytes(), raw);
  auto sealed = buffer->SealAll();
  ASSERT_THAT(sealed, SizeIs(1));
  std::string data = ReadAll(sealed[0].path);
  EXPECT_EQ(Gunzip(data), expected);
  EXPECT_LT(data.size() * 5, raw);  // one member compresses far better than 200
  EXPECT_EQ(sealed[0].bytes, data.size());
  EXPECT_EQ(buffer->buffered_bytes(), data.size());
  // One member: the gzip trailer's ISIZE at the end covers all the text.
  uint32_t isize;
  std::memcpy(&isize, data.data() + data.size() - 4, 4);
  EXPECT_EQ(isize, expected.size());
  EXPECT_THAT(FilesUnder(options_.dir), SizeIs(1));  // no temporary left
}

TEST_F(SliceBufferTest, LargeMembersAreNotRecompressed) {
  auto buffer = OpenBuffer();
  Random rng(7);
  std::string a = Member(rng.Hex(20000)), b = Member(rng.Hex(20000));
  ASSERT_TRUE(buffer->Append(Id(), a, 1).ok());
  ASSERT_TRUE(buffer->Append(Id(), b, 1).ok());
  auto sealed = buffer->SealAll();
  ASSERT_THAT(sealed, SizeIs(1));
  EXPECT_EQ(ReadAll(sealed[0].path), a + b);
}

TEST_F(SliceBufferTest, BackpressureAndSpaceListener) {
  options_.max_buffer_bytes = 1000;
  options_.recompress_below_avg_member = 0;
  auto buffer = OpenBuffer();
  int fired = 0;
  buffer->SetSpaceListener([&] { ++fired; });
  Random rng(1);
  std::string m = Member(rng.Hex(800));  // incompressible-ish: ~400+ bytes
  ASSERT_GT(m.size(), 400u);
  ASSERT_TRUE(buffer->Append(Id("a"), m, 1).ok());
  EXPECT_FALSE(buffer->over_limit());
  ASSERT_TRUE(buffer->Append(Id("b"), m, 1).ok());
  ASSERT_TRUE(buffer->Append(Id("c"), m, 1).ok());
  EXPECT_TRUE(buffer->over_limit());
  auto sealed = buffer->SealAll();
  ASSERT_THAT(sealed, SizeIs(3));
  EXPECT_TRUE(buffer->over_limit());  // sealed bytes still count
  ASSERT_TRUE(buffer->Remove(sealed[0]).ok());
  // 2 × m may still be above 1000; only a drop below the limit fires.
  if (buffer->over_limit()) {
    EXPECT_EQ(fired, 0);
    ASSERT_TRUE(buffer->Remove(sealed[1]).ok());
  }
  EXPECT_FALSE(buffer->over_limit());
  EXPECT_EQ(fired, 1);
  ASSERT_TRUE(buffer->Remove(sealed[2]).ok());
  EXPECT_EQ(fired, 1);  // not again while below
  EXPECT_EQ(buffer->Remove(sealed[2]).code(), StatusCode::kNotFound);
}

// --- the write seam: simulated ENOSPC and EIO part-way through an append ---

std::atomic<int> g_fail_errno{0};

// Writes half of the data, then fails with g_fail_errno.
ssize_t HalfThenFail(int fd, const void* data, size_t len) {
  static thread_local bool wrote_half = false;
  if (!wrote_half && len > 1) {
    wrote_half = true;
    return ::write(fd, data, len / 2);
  }
  wrote_half = false;
  errno = g_fail_errno.load();
  return -1;
}

class SliceBufferWriteFailTest : public SliceBufferTest {
 protected:
  void TearDown() override { testing::SetSliceBufferWriteFn(nullptr); }
};

TEST_F(SliceBufferWriteFailTest, DiskFullLeavesFileUnchanged) {
  auto buffer = OpenBuffer();
  std::string m1 = Member("one\n"), m2 = Member("two\n"), m3 = Member("three\n");
  ASSERT_TRUE(buffer->Append(Id(), m1, 1).ok());
  std::string path = options_.dir + "/" + FilesUnder(options_.dir)[0];

  g_fail_errno = ENOSPC;
  testing::SetSliceBufferWriteFn(&HalfThenFail);
  Status s = buffer->Append(Id(), m2, 1);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_EQ(ReadAll(path), m1);  // the half-written member was cut
  EXPECT_EQ(buffer->buffered_bytes(), m1.size());
  g_fail_errno = EDQUOT;
  EXPECT_EQ(buffer->Append(Id(), m2, 1).code(), StatusCode::kResourceExhausted);
  g_fail_errno = EIO;
  EXPECT_EQ(buffer->Append(Id(), m2, 1).code(), StatusCode::kUnavailable);
  EXPECT_EQ(ReadAll(path), m1);

  testing::SetSliceBufferWriteFn(nullptr);
  ASSERT_TRUE(buffer->Append(Id(), m3, 1).ok());  // the caller retries later: works
  auto sealed = buffer->SealAll();
  ASSERT_THAT(sealed, SizeIs(1));
  EXPECT_EQ(Gunzip(ReadAll(sealed[0].path)), "one\nthree\n");
  EXPECT_EQ(sealed[0].records, 2u);
  auto& errors = metrics_.AddCounter("steady_aggregator_append_errors_total", "", {"kind"});
  EXPECT_EQ(errors.With({"no_space"}).value(), 2);
  EXPECT_EQ(errors.With({"io"}).value(), 1);
}

TEST_F(SliceBufferWriteFailTest, FailedFirstAppendLeavesNoSlice) {
  auto buffer = OpenBuffer();
  g_fail_errno = ENOSPC;
  testing::SetSliceBufferWriteFn(&HalfThenFail);
  EXPECT_EQ(buffer->Append(Id(), Member("x\n"), 1).code(), StatusCode::kResourceExhausted);
  testing::SetSliceBufferWriteFn(nullptr);
  EXPECT_THAT(buffer->SealAll(), SizeIs(0));  // the empty file is dropped, not uploaded
  EXPECT_THAT(buffer->Sealed(), SizeIs(0));
  EXPECT_THAT(FilesUnder(options_.dir), SizeIs(0));
}

// --- crash recovery ---

TEST_F(SliceBufferTest, RecoveryTruncatesPartialMemberAndKeepsTheKey) {
  std::string m1 = Member("{\"n\":1}\n"), m2 = Member("{\"n\":2}\n{\"n\":3}\n");
  std::string open_name;
  {
    auto buffer = OpenBuffer();
    ASSERT_TRUE(buffer->Append(Id(), m1, 1).ok());
    ASSERT_TRUE(buffer->Append(Id(), m2, 2).ok());
    ASSERT_TRUE(buffer->Sync().ok());
    open_name = FilesUnder(options_.dir)[0];
    // "kill -9": the buffer goes away without sealing; a partial member trails the file.
  }
  std::string partial = Member("{\"n\":4}\n").substr(0, 15);
  AppendRaw(options_.dir + "/" + open_name, partial);
  // Leftovers of an interrupted recompression are swept.
  AppendRaw(options_.dir + "/shop/web/.202611231912_0_dead.tmp", "junk");

  auto buffer = OpenBuffer();
  ASSERT_NE(buffer, nullptr);
  auto sealed = buffer->Sealed();
  ASSERT_THAT(sealed, SizeIs(1));
  std::string base = fs::path(open_name).filename().string();
  base = base.substr(0, base.size() - std::string(".gz.open").size());
  // The very key the slice would have had: prefix/family/container/date/name.
  EXPECT_EQ(sealed[0].key, "service-logs/shop/web/2026/11/23/" + base + ".gz");
  EXPECT_EQ(ReadAll(sealed[0].path), m1 + m2);
  EXPECT_EQ(sealed[0].bytes, m1.size() + m2.size());
  EXPECT_EQ(buffer->buffered_bytes(), m1.size() + m2.size());
  EXPECT_EQ(CounterValue(metrics_, "steady_aggregator_recovered_slices_total"), 1);
  EXPECT_EQ(CounterValue(metrics_, "steady_aggregator_recovery_truncated_bytes_total"),
            static_cast<double>(partial.size()));
  EXPECT_THAT(FilesUnder(options_.dir), ::testing::ElementsAre("shop/web/" + base + ".gz"));

  // The route's index counter resumed past the recovered slice.
  ASSERT_TRUE(buffer->Append(Id(), Member("after\n"), 1).ok());
  auto next = buffer->SealAll();
  ASSERT_THAT(next, SizeIs(1));
  EXPECT_THAT(next[0].key, HasSubstr("/202611231912_1_"));

  // Uploaded to that key.
  auto store = aws::LocalObjectStore::Open(dir_.path() + "/store", {.fsync = false});
  ASSERT_TRUE(store.ok());
  SliceUploader uploader(*buffer, **store, clock_, metrics_);
  ASSERT_TRUE(uploader.UploadSealedOnce().ok());
  auto got = (*store)->Get(sealed[0].key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Gunzip(*got), "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
  EXPECT_EQ(uploader.uploaded_objects(), 2u);
  EXPECT_EQ(buffer->buffered_bytes(), 0u);
}

TEST_F(SliceBufferTest, RecoveryOfGarbageOnlyFileDeletesIt) {
  fs::create_directories(options_.dir + "/shop/web");
  AppendRaw(options_.dir + "/shop/web/202611231912_4_abc.gz.open", "not gzip at all");
  AppendRaw(options_.dir + "/shop/web/202611231912_5_def.gz.open", "");
  auto buffer = OpenBuffer();
  EXPECT_THAT(buffer->Sealed(), SizeIs(0));
  EXPECT_THAT(FilesUnder(options_.dir), SizeIs(0));
  EXPECT_EQ(CounterValue(metrics_, "steady_aggregator_recovery_truncated_bytes_total"), 15);
  // Index counters resume even from deleted files: no key is ever reused.
  ASSERT_TRUE(buffer->Append(Id(), Member("x\n"), 1).ok());
  auto sealed = buffer->SealAll();
  ASSERT_THAT(sealed, SizeIs(1));
  EXPECT_THAT(sealed[0].key, HasSubstr("/202611231912_6_"));
}

TEST_F(SliceBufferTest, RecoveryKeepsSealedFilesAndCorruptMiddle) {
  std::string m1 = Member("a\n"), m2 = Member("b\n");
  fs::create_directories(options_.dir + "/shop/web");
  AppendRaw(options_.dir + "/shop/web/202611231912_0_u0.gz", m1 + m2);
  // A member whose CRC is wrong, followed by a good one: everything from the bad one is cut.
  std::string bad = m2;
  bad[bad.size() - 6] ^= 0x55;
  AppendRaw(options_.dir + "/shop/web/202611231912_1_u1.gz.open", m1 + bad + m2);
  auto buffer = OpenBuffer();
  auto sealed = buffer->Sealed();
  ASSERT_THAT(sealed, SizeIs(2));
  EXPECT_EQ(ReadAll(sealed[0].path), m1 + m2);
  EXPECT_EQ(ReadAll(sealed[1].path), m1);
  EXPECT_EQ(sealed[1].key, "service-logs/shop/web/2026/11/23/202611231912_1_u1.gz");
  EXPECT_EQ(CounterValue(metrics_, "steady_aggregator_recovered_slices_total"), 1);
}

TEST_F(SliceBufferTest, RecoveryScansLargeFilesInWindows) {
  // More than one recovery window (4 MiB) of members, then a partial one.
  Random rng(3);
  std::string members;
  std::string expected;
  for (int i = 0; i < 12; ++i) {
    std::string text = rng.Hex(1 << 20);  // ~0.5 MiB compressed each
    expected += text;
    members += Member(text);
  }
  ASSERT_GT(members.size(), 5u << 20);
  fs::create_directories(options_.dir + "/shop/web");
  std::string tail = Member("tail").substr(0, 10);
  AppendRaw(options_.dir + "/shop/web/202611231912_0_big.gz.open", members + tail);
  auto buffer = OpenBuffer();
  auto sealed = buffer->Sealed();
  ASSERT_THAT(sealed, SizeIs(1));
  EXPECT_EQ(sealed[0].bytes, members.size());
  EXPECT_EQ(Gunzip(ReadAll(sealed[0].path)), expected);
}

// --- group commit ---

TEST_F(SliceBufferTest, SyncFromManyThreads) {
  auto buffer = OpenBuffer();
  constexpr int kThreads = 4, kRounds = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        std::string line = std::to_string(t) + ":" + std::to_string(i) + "\n";
        if (!buffer->Append(Id("c" + std::to_string(t)), Member(line), 1).ok()) ++failures;
        if (!buffer->Sync().ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto& hist = metrics_.AddHistogram("steady_aggregator_sync_seconds", "").Get();
  EXPECT_GE(hist.count(), 1u);
  EXPECT_LE(hist.count(), static_cast<uint64_t>(kThreads * kRounds));
  auto sealed = buffer->SealAll();
  ASSERT_THAT(sealed, SizeIs(kThreads));
  for (const auto& s : sealed) {
    std::string text = Gunzip(ReadAll(s.path));
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), kRounds) << s.key;
  }
}

TEST_F(SliceBufferTest, SyncWithNothingDirtyIsOk) {
  auto buffer = OpenBuffer();
  EXPECT_TRUE(buffer->Sync().ok());
  ASSERT_TRUE(buffer->Append(Id(), Member("x\n"), 1).ok());
  EXPECT_TRUE(buffer->Sync().ok());
  EXPECT_TRUE(buffer->Sync().ok());
}

TEST_F(SliceBufferTest, ConcurrentAppendAndSeal) {
  // Appends racing SealDue never lose a record: each lands in some sealed slice.
  auto buffer = OpenBuffer();
  constexpr int kRecords = 400;
  std::thread writer([&] {
    for (int i = 0; i < kRecords; ++i) {
      ASSERT_TRUE(buffer->Append(Id(), Member(std::to_string(i) + "\n"), 1).ok());
    }
  });
  clock_.Advance(std::chrono::minutes(5));  // everything is due as soon as it is seen
  std::vector<SealedSlice> all;
  for (int i = 0; i < 50; ++i) {
    auto s = buffer->SealDue();
    all.insert(all.end(), s.begin(), s.end());
  }
  writer.join();
  auto rest = buffer->SealAll();
  all.insert(all.end(), rest.begin(), rest.end());
  uint64_t records = 0, lines = 0;
  std::set<std::string> keys;
  for (const auto& s : all) {
    records += s.records;
    std::string text = Gunzip(ReadAll(s.path));
    lines += std::count(text.begin(), text.end(), '\n');
    keys.insert(s.key);
  }
  EXPECT_EQ(records, static_cast<uint64_t>(kRecords));
  EXPECT_EQ(lines, static_cast<uint64_t>(kRecords));
  EXPECT_EQ(keys.size(), all.size());
}

TEST_F(SliceBufferTest, OneBufferPerDirectory) {
  auto first = OpenBuffer();
  auto second = SliceBuffer::Open(options_, clock_, metrics_);
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  first.reset();
  EXPECT_TRUE(SliceBuffer::Open(options_, clock_, metrics_).ok());
}

TEST_F(SliceBufferTest, OpenRejectsBadOptions) {
  options_.dir = "";
  EXPECT_EQ(SliceBuffer::Open(options_, clock_, metrics_).status().code(),
            StatusCode::kInvalidArgument);
  options_.dir = dir_.path() + "/file";
  AppendRaw(options_.dir, "x");
  EXPECT_FALSE(SliceBuffer::Open(options_, clock_, metrics_).ok());
}

}  // namespace
}  // namespace steady::logs

namespace steady::logs {
namespace {

// A measurement, not a test (run with --gtest_also_run_disabled_tests): 4 threads append
// 64 KiB members to 20 routes and Sync after each, as the Forward server acks chunks.
TEST_F(SliceBufferTest, DISABLED_AppendSyncThroughput) {
  auto buffer = OpenBuffer();
  Random rng(9);
  std::string text;
  while (text.size() < (512 << 10)) {
    text += "{\"time\":\"2026-11-23T19:12:40.123456789Z\",\"log\":\"GET /api/v1/items/" +
            rng.Hex(8) + " 200 " + std::to_string(rng.Uniform(1, 999)) + "ms\"}\n";
  }
  std::string member = Member(text);
  constexpr int kThreads = 4, kPerThread = 400;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(
            buffer->Append(Id("c" + std::to_string((t * kPerThread + i) % 20)), member, 1000).ok());
        ASSERT_TRUE(buffer->Sync().ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto& hist = metrics_.AddHistogram("steady_aggregator_sync_seconds", "").Get();
  double mb = static_cast<double>(member.size()) * kThreads * kPerThread / 1e6;
  std::printf(
      "member %zu bytes; %d appends+syncs in %.2f s: %.1f MB/s compressed, %.0f "
      "appends/s; %llu fdatasync rounds for %d Sync calls\n",
      member.size(), kThreads * kPerThread, secs, mb / secs, kThreads * kPerThread / secs,
      static_cast<unsigned long long>(hist.count()), kThreads * kPerThread);
  auto t0 = std::chrono::steady_clock::now();
  auto sealed = buffer->SealAll();
  std::printf("SealAll of %zu slices: %.3f s\n", sealed.size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace
}  // namespace steady::logs
