#include "logs/slice_uploader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>

#include "aws/local_object_store.h"
#include "base/ids.h"
#include "base/temp_dir.h"
#include "base/time_format.h"
#include "logs/faulty_object_store.h"
#include "logs/gzip.h"

namespace steady::logs {
namespace {

namespace fs = std::filesystem;
using ::testing::SizeIs;

using ::steady::testutil::TempDir;

std::string Member(std::string_view text) {
  std::string out;
  NewGzipCompressor()->CompressMember(text, &out);
  return out;
}

std::string Gunzip(std::string_view data) {
  std::string out;
  Status s = GunzipMembers(data, &out, 1 << 30);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

int64_t TestMinute() {
  Time t = FromCivil(CivilTime{2026, 11, 23, 19, 12, 0, 0});
  return std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()).count();
}

class SliceUploaderTest : public ::testing::Test {
 protected:
  SliceUploaderTest()
      : clock_(FromUnixSeconds(static_cast<double>(TestMinute()) * 60 + 5)),
        local_(*aws::LocalObjectStore::Open(dir_.path() + "/store", {.fsync = false})),
        store_(*local_, &clock_) {
    buffer_options_.dir = dir_.path() + "/buffer";
    buffer_options_.grace = std::chrono::seconds(10);
    buffer_ = *SliceBuffer::Open(buffer_options_, clock_, metrics_);
    options_.workers = 1;
    options_.tick = std::chrono::seconds(1);
    options_.backoff_base = std::chrono::milliseconds(200);
    options_.backoff_max = std::chrono::seconds(30);
  }

  SliceId Id(std::string container = "web") { return SliceId{"shop", container, TestMinute()}; }

  // Every key in the store.
  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    Status s = local_->ListAll({}, [&](const aws::ListEntry& e) {
      keys.push_back(e.object.key);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return keys;
  }

  double Counter(const std::string& name, const std::vector<std::string>& labels = {}) {
    return metrics_.AddCounter(name, "", {}).With(labels).value();
  }

  TempDir dir_;
  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<aws::LocalObjectStore> local_;
  FaultyObjectStore store_;
  SliceBufferOptions buffer_options_;
  std::unique_ptr<SliceBuffer> buffer_;
  SliceUploaderOptions options_;
};

TEST_F(SliceUploaderTest, TickerSealsAndUploadsAfterTheMinuteAndGrace) {
  options_.workers = 2;
  ASSERT_TRUE(buffer_->Append(Id(), Member("{\"a\":1}\n"), 1).ok());
  ASSERT_TRUE(buffer_->Append(Id(), Member("{\"a\":2}\n"), 1).ok());
  ASSERT_TRUE(buffer_->Append(Id("db"), Member("{\"b\":1}\n"), 1).ok());
  SliceUploader uploader(*buffer_, store_, clock_, metrics_, options_);
  uploader.Start();
  clock_.AwaitSleepers(options_.workers + 1);  // idle: ticker and workers asleep
  EXPECT_EQ(store_.write_calls(), 0);          // the minute is still open
  // 19:13:10 is the end of the minute plus grace.
  clock_.Advance(std::chrono::seconds(65));
  store_.AwaitWriteCalls(2);
  ASSERT_TRUE(uploader.Stop(false, clock_.Now()).ok());
  EXPECT_EQ(uploader.uploaded_objects(), 2u);
  auto keys = Keys();
  ASSERT_THAT(keys, SizeIs(2));
  EXPECT_THAT(keys[0], ::testing::StartsWith("service-logs/shop/db/2026/11/23/202611231912_0_"));
  EXPECT_THAT(keys[1], ::testing::StartsWith("service-logs/shop/web/2026/11/23/202611231912_0_"));
  EXPECT_EQ(Gunzip(*local_->Get(keys[1])), "{\"a\":1}\n{\"a\":2}\n");
  EXPECT_EQ(buffer_->buffered_bytes(), 0u);
  EXPECT_THAT(buffer_->Sealed(), SizeIs(0));
  EXPECT_EQ(Counter("steady_aggregator_uploads_total", {"ok"}), 2);
}

TEST_F(SliceUploaderTest, RetriesWithBackoffOnTheClock) {
  ASSERT_TRUE(buffer_->Append(Id(), Member("line\n"), 1).ok());
  ASSERT_THAT(buffer_->SealAll(), SizeIs(1));
  store_.FailNextWrites(3);
  SliceUploader uploader(*buffer_, store_, clock_, metrics_, options_);
  uploader.Start();
  for (int k = 1; k <= 3; ++k) {
    store_.AwaitWriteCalls(k);  // the k-th attempt failed
    clock_.AwaitSleepers(2);    // ticker + the worker, now backing off
    EXPECT_EQ(store_.write_calls(), k);
    clock_.Advance(options_.backoff_base * (1 << (k - 1)));  // the longest backoff k may get
  }
  store_.AwaitWriteCalls(4);
  ASSERT_TRUE(uploader.Stop(false, clock_.Now()).ok());
  auto times = store_.write_call_times();
  ASSERT_THAT(times, SizeIs(4));
  for (int k = 1; k <= 3; ++k) {
    // Never earlier than half the exponential step (equal jitter).
    Duration gap = times[k] - times[k - 1];
    EXPECT_GE(gap, options_.backoff_base * (1 << (k - 1)) / 2) << k;
  }
  EXPECT_THAT(Keys(), SizeIs(1));
  EXPECT_EQ(buffer_->buffered_bytes(), 0u);
  EXPECT_EQ(Counter("steady_aggregator_upload_retries_total"), 3);
  EXPECT_EQ(Counter("steady_aggregator_uploads_total", {"retryable_error"}), 3);
  EXPECT_EQ(Counter("steady_aggregator_uploads_total", {"ok"}), 1);
}

TEST_F(SliceUploaderTest, NonRetryableErrorIsRetriedAtMaxBackoff) {
  ASSERT_TRUE(buffer_->Append(Id(), Member("line\n"), 1).ok());
  ASSERT_THAT(buffer_->SealAll(), SizeIs(1));
  store_.FailNextWrites(1, PermissionDeniedError("injected: access denied"));
  SliceUploader uploader(*buffer_, store_, clock_, metrics_, options_);
  uploader.Start();
  store_.AwaitWriteCalls(1);
  clock_.AwaitSleepers(2);
  clock_.Advance(options_.backoff_max - std::chrono::nanoseconds(1));
  clock_.AwaitSleepers(2);
  EXPECT_EQ(store_.write_calls(), 1);
  clock_.Advance(std::chrono::nanoseconds(1));
  store_.AwaitWriteCalls(2);
  ASSERT_TRUE(uploader.Stop(false, clock_.Now()).ok());
  auto times = store_.write_call_times();
  ASSERT_THAT(times, SizeIs(2));
  EXPECT_EQ(times[1] - times[0], options_.backoff_max);
  EXPECT_THAT(Keys(), SizeIs(1));
  EXPECT_EQ(Counter("steady_aggregator_uploads_total", {"error"}), 1);
}

TEST_F(SliceUploaderTest, NewWorkIsNotHeldBehindABackingOffSlice) {
  options_.workers = 1;
  ASSERT_TRUE(buffer_->Append(Id("a"), Member("a\n"), 1).ok());
  ASSERT_THAT(buffer_->SealAll(), SizeIs(1));
  store_.FailNextWrites(1, PermissionDeniedError("injected"));
  SliceUploader uploader(*buffer_, store_, clock_, metrics_, options_);
  uploader.Start();
  store_.AwaitWriteCalls(1);
  clock_.AwaitSleepers(2);  // "a" waits 30 s
  // "b" is from the minute before: due 10 s after it ends, long before "a" may retry.
  ASSERT_TRUE(buffer_->Append(SliceId{"shop", "b", TestMinute() - 1}, Member("b\n"), 1).ok());
  clock_.Advance(std::chrono::seconds(10));
  store_.AwaitWriteCalls(2);
  clock_.AwaitSleepers(2);
  auto keys = Keys();
  ASSERT_THAT(keys, SizeIs(1));
  EXPECT_THAT(keys[0], ::testing::HasSubstr("/b/"));
  EXPECT_EQ(store_.write_calls(), 2);
  clock_.Advance(std::chrono::seconds(30));
  store_.AwaitWriteCalls(3);
  ASSERT_TRUE(uploader.Stop(false, clock_.Now()).ok());
  EXPECT_THAT(Keys(), SizeIs(2));
}

TEST_F(SliceUploaderTest, StopWithFlushUploadsEverything) {
  options_.workers = 3;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(buffer_->Append(Id("c" + std::to_string(i)), Member("x\n"), 1).ok());
  }
  SliceUploader uploader(*buffer_, store_, clock_, metrics_, options_);
  uploader.Start();
  // The minute is still open: only Stop's flush seals.
  ASSERT_TRUE(uploader.Stop(true, clock_.Now() + std::chrono::seconds(30)).ok());
  EXPECT_THAT(Keys(), SizeIs(10));
  EXPECT_EQ(buffer_->buffered_bytes(), 0u);
  EXPECT_EQ(buffer_->open_slices(), 0u);
  EXPECT_EQ(uploader.uploaded_objects(), 10u);
}

TEST_F(SliceUploaderTest, StopWithFlushRetriesUntilDone) {
  ASSERT_TRUE(buffer_->Append(Id(), Member("x\n"), 1).ok());
  store_.FailNextWrites(2);
  SliceUploader uploader(*buffer_, store_, clock_, metrics_, options_);
  uploader.Start();
  clock_.AwaitSleepers(2);
  auto stopped = std::async(std::launch::async, [&] {
    return uploader.Stop(true, clock_.Now() + std::chrono::minutes(10));
  });
  for (int k = 1; k <= 2; ++k) {
    store_.AwaitWriteCalls(k);
    clock_.AwaitSleepers(2);  // the worker backing off, Stop waiting
    clock_.Advance(options_.backoff_max);
  }
  EXPECT_TRUE(stopped.get().ok());
  EXPECT_THAT(Keys(), SizeIs(1));
  EXPECT_EQ(buffer_->buffered_bytes(), 0u);
}

TEST_F(SliceUploaderTest, StopWithFlushGivesUpAtTheDeadlineAndKeepsTheData) {
  ASSERT_TRUE(buffer_->Append(Id("a"), Member("a\n"), 1).ok());
  ASSERT_TRUE(buffer_->Append(Id("b"), Member("b\n"), 1).ok());
  store_.SetDown(true);
  {
    SliceUploader uploader(*buffer_, store_, clock_, metrics_, options_);
    uploader.Start();
    clock_.AwaitSleepers(2);
    Time deadline = clock_.Now() + std::chrono::seconds(5);
    auto stopped = std::async(std::launch::async, [&] { return uploader.Stop(true, deadline); });
    store_.AwaitWriteCalls(2);
    clock_.AwaitSleepers(2);
    clock_.Advance(std::chrono::seconds(5));
    Status s = stopped.get();
    EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  }
  EXPECT_THAT(buffer_->Sealed(), SizeIs(2));  // still on disk, sealed
  EXPECT_THAT(Keys(), SizeIs(0));
  // The store comes back; a new uploader (or process) takes them from Sealed().
  store_.SetDown(false);
  SliceUploader again(*buffer_, store_, clock_, metrics_, options_);
  again.Start();
  ASSERT_TRUE(again.Stop(true, clock_.Now() + std::chrono::minutes(1)).ok());
  EXPECT_THAT(Keys(), SizeIs(2));
  EXPECT_EQ(buffer_->buffered_bytes(), 0u);
}

TEST_F(SliceUploaderTest, LargeSlicesGoThroughPutFile) {
  options_.multipart_threshold = 64;
  Random rng(5);
  std::string text = rng.Hex(4000);
  ASSERT_TRUE(buffer_->Append(Id(), Member(text), 1).ok());
  auto sealed = buffer_->SealAll();
  ASSERT_THAT(sealed, SizeIs(1));
  ASSERT_GT(sealed[0].bytes, 64u);
  SliceUploader uploader(*buffer_, store_, clock_, metrics_, options_);
  ASSERT_TRUE(uploader.UploadSealedOnce().ok());
  EXPECT_EQ(Gunzip(*local_->Get(sealed[0].key)), text);
  EXPECT_EQ(Counter("steady_aggregator_uploaded_bytes_total"),
            static_cast<double>(sealed[0].bytes));
}

TEST_F(SliceUploaderTest, UploadSealedOnceReportsTheFirstError) {
  ASSERT_TRUE(buffer_->Append(Id("a"), Member("a\n"), 1).ok());
  ASSERT_TRUE(buffer_->Append(Id("b"), Member("b\n"), 1).ok());
  ASSERT_THAT(buffer_->SealAll(), SizeIs(2));
  store_.FailNextWrites(1);
  SliceUploader uploader(*buffer_, store_, clock_, metrics_, options_);
  Status s = uploader.UploadSealedOnce();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_THAT(buffer_->Sealed(), SizeIs(1));
  EXPECT_THAT(Keys(), SizeIs(1));
  EXPECT_TRUE(uploader.UploadSealedOnce().ok());
  EXPECT_THAT(buffer_->Sealed(), SizeIs(0));
  EXPECT_THAT(Keys(), SizeIs(2));
}

TEST_F(SliceUploaderTest, StoreDownForAWhileLosesNothing) {
  options_.workers = 2;
  store_.SetDown(true);
  SliceUploader uploader(*buffer_, store_, clock_, metrics_, options_);
  uploader.Start();
  // Ten minutes of traffic while the store is down: one slice per minute per container.
  int64_t minute = TestMinute();
  std::string expected_a;
  for (int i = 0; i < 10; ++i) {
    std::string line = "{\"i\":" + std::to_string(i) + "}\n";
    expected_a += line;
    ASSERT_TRUE(buffer_->Append(SliceId{"shop", "a", minute + i}, Member(line), 1).ok());
    ASSERT_TRUE(buffer_->Append(SliceId{"shop", "b", minute + i}, Member(line), 1).ok());
    clock_.AwaitSleepers(3);
    clock_.Advance(std::chrono::minutes(1));
  }
  store_.AwaitWriteCalls(2);  // uploads were tried during the outage, and all failed
  EXPECT_THAT(Keys(), SizeIs(0));
  EXPECT_GE(store_.failed_writes(), 2);
  store_.SetDown(false);
  // Every backoff ends within backoff_max; advance in such steps until all is stored (a step
  // taken before the uploader settled only moves time further).
  for (int i = 0; i < 100000 && Keys().size() < 20; ++i) {
    clock_.AwaitSleepers(3);
    clock_.Advance(options_.backoff_max);
  }
  ASSERT_TRUE(uploader.Stop(true, clock_.Now() + std::chrono::hours(1)).ok());
  auto keys = Keys();
  ASSERT_THAT(keys, SizeIs(20));
  std::string got_a;
  for (const auto& k : keys) {
    if (k.find("/a/") != std::string::npos) got_a += Gunzip(*local_->Get(k));
  }
  EXPECT_EQ(got_a, expected_a);  // keys sort by minute
  EXPECT_EQ(buffer_->buffered_bytes(), 0u);
}

}  // namespace
}  // namespace steady::logs
