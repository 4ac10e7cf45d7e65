#include "search/log_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "aws/local_object_store.h"
#include "base/temp_dir.h"
#include "base/time_format.h"

namespace steady::search {
namespace {

Time At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

int64_t MinuteAt(const char* rfc3339) {
  return std::chrono::duration_cast<std::chrono::minutes>(At(rfc3339).time_since_epoch()).count();
}

// A store that is not a LocalObjectStore (so LogStore treats it as remote) and counts Gets.
class RemoteLike final : public aws::ObjectStore {
 public:
  explicit RemoteLike(aws::ObjectStore* inner) : inner_(inner) {}
  Status Put(std::string_view k, std::string_view d) override { return inner_->Put(k, d); }
  Result<std::unique_ptr<aws::ObjectWriter>> NewWriter(std::string_view k) override {
    return inner_->NewWriter(k);
  }
  Result<std::string> Get(std::string_view k) override {
    ++gets;
    return inner_->Get(k);
  }
  Result<std::string> GetRange(std::string_view k, uint64_t o, uint64_t l) override {
    return inner_->GetRange(k, o, l);
  }
  Result<aws::ObjectInfo> Head(std::string_view k) override { return inner_->Head(k); }
  Result<aws::ListPage> List(const aws::ListOptions& o, std::string_view t) override {
    return inner_->List(o, t);
  }
  using aws::ObjectStore::Delete;
  Status Delete(std::span<const std::string> k) override { return inner_->Delete(k); }
  std::string Describe() const override { return "remote-like"; }
  std::atomic<int> gets{0};

 private:
  aws::ObjectStore* inner_;
};

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = aws::LocalObjectStore::Open(dir_.path() + "/store", {.fsync = false});
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    // Two days of web/app, one minute of web/sidecar, one of batch/job, a task object and junk.
    for (const char* t : {"2018-11-27T23:59:00Z", "2018-11-28T00:00:00Z", "2018-11-28T12:30:00Z",
                          "2018-11-28T23:59:00Z", "2018-11-29T00:01:00Z"}) {
      Put(logs::ServiceLogKey{"service-logs", "web", "app", {MinuteAt(t), 0, "u1"}});
    }
    Put(logs::ServiceLogKey{
        "service-logs", "web", "sidecar", {MinuteAt("2018-11-28T12:30:00Z"), 0, "u2"}});
    Put(logs::ServiceLogKey{
        "service-logs", "batch", "job", {MinuteAt("2018-11-28T12:30:00Z"), 0, "u3"}});
    ASSERT_TRUE(store_->Put("task-logs/web/app/t1/201811281230_0_u1.gz", "x").ok());
    ASSERT_TRUE(store_->Put("task-logs/web/app/t2/201811281230_0_u1.gz", "x").ok());
    ASSERT_TRUE(store_->Put("service-logs/web/app/2018/11/28/notes.txt", "junk").ok());
  }

  void Put(const logs::ServiceLogKey& key) {
    ASSERT_TRUE(store_->Put(logs::FormatServiceLogKey(key), "data:" + key.container).ok());
  }

  testutil::TempDir dir_;
  std::unique_ptr<aws::LocalObjectStore> store_;
};

TEST_F(LogStoreTest, ListsEveryStream) {
  LogStore logs(store_.get(), {});
  auto streams = logs.ListStreams();
  ASSERT_TRUE(streams.ok());
  EXPECT_EQ(*streams, (std::vector<Stream>{{"batch", "job"}, {"web", "app"}, {"web", "sidecar"}}));
}

TEST_F(LogStoreTest, ADayRangeListsAndSelectsOnlyThatDay) {
  LogStore logs(store_.get(), {});
  Selection sel{"web", "app", "", {At("2018-11-28T00:00:00Z"), At("2018-11-29T00:00:00Z")}};
  auto got = logs.Select(sel);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].minute, MinuteAt("2018-11-28T00:00:00Z"));
  EXPECT_EQ((*got)[2].minute, MinuteAt("2018-11-28T23:59:00Z"));
  // Only the 28th's folder was listed: its three objects and the junk file (skipped, counted).
  EXPECT_EQ(logs.counters().objects_listed.load(), 4u);
  EXPECT_EQ(logs.counters().skipped_keys.load(), 1u);
  EXPECT_EQ(logs.counters().objects_selected.load(), 3u);
  EXPECT_EQ(logs.counters().objects_read.load(), 0u);
}

TEST_F(LogStoreTest, MinutesOutsideTheRangeAreDroppedEvenInsideTheDay) {
  LogStore logs(store_.get(), {});
  auto got = logs.Select({"web", "", "", {At("2018-11-28T12:30:10Z"), At("2018-11-28T12:31:00Z")}});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);  // app and sidecar at 12:30
  EXPECT_EQ((*got)[0].container, "app");
  EXPECT_EQ((*got)[1].container, "sidecar");
}

TEST_F(LogStoreTest, TaskSelectionUsesTheTaskLayout) {
  LogStore logs(store_.get(), {});
  auto got = logs.Select({"web", "app", "t2", {}});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].task_id, "t2");
  EXPECT_EQ((*got)[0].key, "task-logs/web/app/t2/201811281230_0_u1.gz");
  EXPECT_FALSE(logs.Select({"", "app", "", {}}).ok());
}

TEST_F(LogStoreTest, LocalStoreReadsFilesInPlace) {
  LogStore logs(store_.get(), {});
  auto got = logs.Select({"batch", "job", "", {}});
  ASSERT_TRUE(got.ok() && got->size() == 1);
  auto path = logs.LocalPath((*got)[0]);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, store_->root() + "/" + (*got)[0].key);
  EXPECT_EQ(*logs.Read((*got)[0]), "data:job");
}

TEST_F(LogStoreTest, RemoteObjectsAreCachedAndEvictedPastTheLimit) {
  RemoteLike remote(store_.get());
  LogStoreOptions options;
  options.cache_dir = dir_.path() + "/cache";
  options.cache_bytes = 20;  // two 8-byte objects fit, a third evicts the oldest
  options.parallel = 2;
  LogStore logs(&remote, options);
  EXPECT_FALSE(logs.is_local());
  auto got = logs.Select({"web", "app", "", {}});
  ASSERT_TRUE(got.ok() && got->size() == 5);
  ASSERT_TRUE(logs.Prefetch(std::span(got->data(), 2)).ok());
  EXPECT_EQ(remote.gets.load(), 2);
  auto path = logs.LocalPath((*got)[1]);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(remote.gets.load(), 2);  // a cache hit
  std::ifstream in(*path);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), "data:app");
  ASSERT_TRUE(logs.LocalPath((*got)[2]).ok());  // evicts [0], the least recently used
  EXPECT_EQ(remote.gets.load(), 3);
  ASSERT_TRUE(logs.LocalPath((*got)[1]).ok());
  EXPECT_EQ(remote.gets.load(), 3);
  ASSERT_TRUE(logs.LocalPath((*got)[0]).ok());
  EXPECT_EQ(remote.gets.load(), 4);
  EXPECT_EQ(logs.counters().cache_hits.load(), 2u);
  EXPECT_EQ(logs.counters().objects_read.load(), 4u);  // fetches only
  EXPECT_EQ(logs.counters().bytes_read.load(), 4u * 8);
}

}  // namespace
}  // namespace steady::search
