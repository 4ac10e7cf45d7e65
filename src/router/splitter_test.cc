#include "router/splitter.h"

#include <gtest/gtest.h>

#include "aws/local_object_store.h"
#include "base/temp_dir.h"
#include "router/line_scan.h"
#include "router/router_testing.h"

namespace steady::router {
namespace {

using testing::Generate;
using testing::Gzip;
using testing::Line;
using testing::SourceKey;

// --- ClassifyLine ---

TEST(ClassifyLineTest, FastPathFindsTheTaskIdPastAnEscapedLog) {
  std::string scratch;
  std::string line = Line("abc123", "say \"task_id\":\"x\" \\\\\" and \\ more");
  LineClass c = ClassifyLine(line, &scratch);
  EXPECT_EQ(c.kind, LineClass::Kind::kTask);
  EXPECT_EQ(c.task_id, "abc123");
  EXPECT_TRUE(c.fast_path);
}

TEST(ClassifyLineTest, NullOrEmptyTaskIdIsNoTask) {
  std::string scratch;
  EXPECT_EQ(ClassifyLine(Line("", "x"), &scratch).kind, LineClass::Kind::kNoTaskId);
  EXPECT_TRUE(ClassifyLine(Line("", "x"), &scratch).fast_path);
  std::string empty =
      "{\"time\":\"t\",\"log\":\"x\",\"source\":null,\"container_id\":null,"
      "\"task_id\":\"\"}";
  EXPECT_EQ(ClassifyLine(empty, &scratch).kind, LineClass::Kind::kNoTaskId);
}

TEST(ClassifyLineTest, OtherShapesFallBackToTheFullParse) {
  std::string scratch;
  LineClass c = ClassifyLine(R"({"log":"x","task_id":"t9","time":"t"})", &scratch);
  EXPECT_EQ(c.kind, LineClass::Kind::kTask);
  EXPECT_EQ(c.task_id, "t9");
  EXPECT_FALSE(c.fast_path);
  c = ClassifyLine(R"({"time":"t","log":"x","source":null,"container_id":null,"task_id":"a\/b"})",
                   &scratch);
  EXPECT_EQ(c.kind, LineClass::Kind::kTask);
  EXPECT_EQ(c.task_id, "a/b");
  EXPECT_EQ(ClassifyLine(R"({"log":"x"})", &scratch).kind, LineClass::Kind::kNoTaskId);
  EXPECT_EQ(ClassifyLine(R"({"task_id":5})", &scratch).kind, LineClass::Kind::kNoTaskId);
}

TEST(ClassifyLineTest, NotAJsonObjectIsInvalid) {
  std::string scratch;
  for (std::string_view bad :
       {"", "plain text", "[1,2]", "{\"time\":\"t\",\"log\":\"unterminated",
        "{\"time\":\"t\",\"log\":\"x\",\"source\":null,\"container_id\":null,"
        "\"task_id\":\"t1\"",
        "\"task_id\""}) {
    EXPECT_EQ(ClassifyLine(bad, &scratch).kind, LineClass::Kind::kInvalid) << bad;
  }
}

// --- GzipStream ---

std::string InflateAll(std::string_view gz, size_t piece, Status* finish) {
  GzipStream s;
  std::string out;
  auto sink = [&](std::string_view d) {
    out.append(d);
    return Status::Ok();
  };
  for (size_t i = 0; i < gz.size(); i += piece) {
    Status st = s.Feed(gz.substr(i, piece), sink);
    if (!st.ok()) {
      *finish = st;
      return out;
    }
  }
  *finish = s.Finish();
  return out;
}

TEST(GzipStreamTest, MembersFedInAnyPiecesInflateToTheWhole) {
  auto g = Generate(3000, 3, 16 * 1024);
  std::string whole;
  ASSERT_TRUE(logs::GunzipMembers(g.gz, &whole, 1 << 30).ok());
  for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}, g.gz.size()}) {
    Status finish;
    EXPECT_EQ(InflateAll(g.gz, piece, &finish), whole) << piece;
    EXPECT_TRUE(finish.ok()) << finish.ToString();
  }
}

TEST(GzipStreamTest, TruncatedAndCorruptStreamsKeepWhatCameBefore) {
  std::string a(100000, 'a'), b(100000, 'b');
  std::string gz = Gzip(a) + Gzip(b);
  Status finish;
  std::string out = InflateAll(gz.substr(0, gz.size() - 5), 1000, &finish);
  EXPECT_EQ(finish.code(), StatusCode::kDataLoss);
  EXPECT_EQ(out.substr(0, a.size()), a);
  EXPECT_GT(out.size(), a.size());  // part of the second member too

  std::string bad = gz;
  bad[bad.size() - 6] ^= 0x55;  // the second member's CRC
  out = InflateAll(bad, 1000, &finish);
  EXPECT_EQ(finish.code(), StatusCode::kDataLoss);
  EXPECT_EQ(out.substr(0, a.size()), a);

  out = InflateAll("not gzip at all", 3, &finish);
  EXPECT_EQ(finish.code(), StatusCode::kDataLoss);
  EXPECT_EQ(out, "");
}

// --- SplitObject ---

class SplitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = aws::LocalObjectStore::Open(dir_.path(), {.fsync = false});
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
  }

  std::string SourceName() { return logs::FormatServiceLogKey(SourceKey()); }
  std::string TaskKey(const std::string& task) {
    return logs::TaskLogKeyFor("task-logs", SourceKey(), task);
  }
  std::string Inflated(const std::string& key) {
    auto gz = store_->Get(key);
    EXPECT_TRUE(gz.ok()) << key << ": " << gz.status().ToString();
    std::string out;
    EXPECT_TRUE(logs::GunzipMembers(gz.value_or(""), &out, 1 << 30).ok()) << key;
    return out;
  }
  std::vector<std::string> TaskKeys() {
    std::vector<std::string> keys;
    EXPECT_TRUE(store_
                    ->ListAll({.prefix = "task-logs/"},
                              [&](const aws::ListEntry& e) {
                                keys.push_back(e.object.key);
                                return true;
                              })
                    .ok());
    return keys;
  }

  testutil::TempDir dir_{"router-split"};
  std::unique_ptr<aws::LocalObjectStore> store_;
};

TEST_F(SplitTest, EveryLineLandsOnceInItsTasksObjectByteForByte) {
  auto g = Generate(20000, 7, 32 * 1024);
  ASSERT_TRUE(store_->Put(SourceName(), g.gz).ok());
  // Small buffers everywhere: ranged reads, many members, writers, the memory budget.
  SplitOptions o;
  o.read_chunk = 10007;
  o.member_bytes = 50000;
  o.spill_bytes = 30000;
  o.memory_budget = 200000;
  auto stats = SplitObject(*store_, SourceName(), SourceKey(), o);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->lines(), g.lines);
  EXPECT_EQ(stats->lines_invalid_json, 0u);
  EXPECT_EQ(stats->lines_slow_path, 0u);
  EXPECT_EQ(stats->bytes_read, g.gz.size());
  EXPECT_FALSE(stats->gzip_truncated || stats->gzip_corrupt);
  std::vector<std::string> want;
  for (const auto& [task, lines] : g.expected) {
    want.push_back(TaskKey(task));
    EXPECT_EQ(Inflated(TaskKey(task)), lines) << task;
  }
  std::sort(want.begin(), want.end());
  EXPECT_EQ(stats->keys, want);
  EXPECT_EQ(TaskKeys(), want);
}

TEST_F(SplitTest, RedeliveryRewritesTheSameKeysWithTheSameBytes) {
  auto g = Generate(5000, 3);
  ASSERT_TRUE(store_->Put(SourceName(), g.gz).ok());
  SplitOptions o;
  o.member_bytes = 40000;
  ASSERT_TRUE(SplitObject(*store_, SourceName(), SourceKey(), o).ok());
  std::map<std::string, std::string> first;
  for (const auto& k : TaskKeys()) first[k] = *store_->Get(k);
  ASSERT_TRUE(SplitObject(*store_, SourceName(), SourceKey(), o).ok());
  std::map<std::string, std::string> second;
  for (const auto& k : TaskKeys()) second[k] = *store_->Get(k);
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.size(), 4u);  // three tasks and _none
}

// Fails every write after the first `ok_writes`.
class FailingStore final : public aws::ObjectStore {
 public:
  FailingStore(aws::ObjectStore& inner, int ok_writes) : inner_(inner), left_(ok_writes) {}
  Status Put(std::string_view k, std::string_view d) override {
    if (left_-- <= 0) return UnavailableError("injected");
    return inner_.Put(k, d);
  }
  Result<std::unique_ptr<aws::ObjectWriter>> NewWriter(std::string_view k) override {
    if (left_-- <= 0) return UnavailableError("injected");
    return inner_.NewWriter(k);
  }
  Result<std::string> Get(std::string_view k) override { return inner_.Get(k); }
  Result<std::string> GetRange(std::string_view k, uint64_t o, uint64_t n) override {
    return inner_.GetRange(k, o, n);
  }
  Result<aws::ObjectInfo> Head(std::string_view k) override { return inner_.Head(k); }
  Result<aws::ListPage> List(const aws::ListOptions& o, std::string_view t) override {
    return inner_.List(o, t);
  }
  using ObjectStore::Delete;
  Status Delete(std::span<const std::string> keys) override { return inner_.Delete(keys); }
  std::string Describe() const override { return "failing"; }

 private:
  aws::ObjectStore& inner_;
  int left_;
};

TEST_F(SplitTest, RestartMidObjectEndsInTheRightState) {
  auto g = Generate(4000, 5);
  ASSERT_TRUE(store_->Put(SourceName(), g.gz).ok());
  SplitOptions o;
  // An old, wrong version of one task object (as if an earlier run wrote other content).
  ASSERT_TRUE(store_->Put(TaskKey("task4"), Gzip("stale\n")).ok());
  FailingStore failing(*store_, 2);
  auto broken = SplitObject(failing, SourceName(), SourceKey(), o);
  EXPECT_EQ(broken.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(TaskKeys().size(), 3u);  // two written, plus the stale one
  auto again = SplitObject(*store_, SourceName(), SourceKey(), o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(TaskKeys().size(), g.expected.size());
  for (const auto& [task, lines] : g.expected) EXPECT_EQ(Inflated(TaskKey(task)), lines) << task;
}

TEST_F(SplitTest, MalformedLinesAreKeptUnderTheFallbacks) {
  std::string text = Line("t1", "one") + "\n" + "this is not json\n" + Line("", "no task") + "\n" +
                     "\n" + R"({"log":"reordered","task_id":"t1"})" + "\n" +
                     Line("t2", "last line, no newline");
  ASSERT_TRUE(store_->Put(SourceName(), Gzip(text)).ok());
  auto stats = SplitObject(*store_, SourceName(), SourceKey(), {});
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->lines_task, 3u);
  EXPECT_EQ(stats->lines_invalid_json, 2u);  // the text and the empty line
  EXPECT_EQ(stats->lines_no_task_id, 1u);
  EXPECT_EQ(stats->lines_slow_path, 3u);
  EXPECT_EQ(Inflated(TaskKey("t1")),
            Line("t1", "one") + "\n" + R"({"log":"reordered","task_id":"t1"})" + "\n");
  EXPECT_EQ(Inflated(TaskKey("t2")), Line("t2", "last line, no newline") + "\n");
  EXPECT_EQ(Inflated(TaskKey("_invalid")), "this is not json\n\n");
  EXPECT_EQ(Inflated(TaskKey("_none")), Line("", "no task") + "\n");
}

TEST_F(SplitTest, TruncatedGzipKeepsWhatWasInflated) {
  std::string first, second;
  for (int i = 0; i < 100; ++i) first += Line("t1", "first " + std::to_string(i)) + "\n";
  for (int i = 0; i < 3000; ++i) second += Line("t2", "second " + std::to_string(i)) + "\n";
  std::string gz = Gzip(first) + Gzip(second);
  gz.resize(gz.size() - 1000);
  ASSERT_TRUE(store_->Put(SourceName(), gz).ok());
  SplitOptions o;
  o.read_chunk = 4096;
  auto stats = SplitObject(*store_, SourceName(), SourceKey(), o);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_TRUE(stats->gzip_truncated);
  EXPECT_EQ(Inflated(TaskKey("t1")), first);
  std::string t2 = Inflated(TaskKey("t2"));
  EXPECT_GT(t2.size(), 0u);
  EXPECT_EQ(second.substr(0, t2.size()), t2);  // whole lines of t2, in order
  // The cut-off line is kept under _invalid.
  EXPECT_EQ(stats->lines_invalid_json, 1u);
  std::string cut = Inflated(TaskKey("_invalid"));
  EXPECT_EQ(second.substr(t2.size(), cut.size() - 1) + "\n", cut);
}

TEST_F(SplitTest, OversizeLinesGoToInvalidWhateverTheChunking) {
  std::string big(300000, 'x');
  std::string text = Line("t1", "a") + "\n" + big + "\n" + Line("t1", "b") + "\n" + big;
  ASSERT_TRUE(store_->Put(SourceName(), Gzip(text)).ok());
  for (uint64_t chunk : {uint64_t{1000}, uint64_t{1} << 20}) {
    SplitOptions o;
    o.max_line_bytes = 100000;
    o.read_chunk = chunk;
    auto stats = SplitObject(*store_, SourceName(), SourceKey(), o);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->lines_oversize, 2u);
    EXPECT_EQ(stats->lines_task, 2u);
    EXPECT_EQ(Inflated(TaskKey("_invalid")), big + "\n" + big + "\n");
    EXPECT_EQ(Inflated(TaskKey("t1")), Line("t1", "a") + "\n" + Line("t1", "b") + "\n");
  }
}

TEST_F(SplitTest, MissingSourceIsNotFoundAndEmptySourceWritesNothing) {
  EXPECT_EQ(SplitObject(*store_, SourceName(), SourceKey(), {}).status().code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(store_->Put(SourceName(), "").ok());
  auto stats = SplitObject(*store_, SourceName(), SourceKey(), {});
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->lines(), 0u);
  EXPECT_TRUE(TaskKeys().empty());
}

}  // namespace
}  // namespace steady::router
