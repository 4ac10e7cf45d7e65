#include "region/journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace steady::region {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/journal_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Opens the directory and returns (snapshot, records) as replayed.
  Result<std::unique_ptr<Journal>> Reopen(std::string& snapshot,
                                          std::vector<std::string>& records) {
    snapshot.clear();
    records.clear();
    return Journal::Open(
        {.dir = dir_, .compact_bytes = 1024},
        [&](std::string_view s) {
          snapshot = std::string(s);
          return Status::Ok();
        },
        [&](std::string_view r) {
          records.emplace_back(r);
          return Status::Ok();
        });
  }

  std::string dir_;
};

TEST_F(JournalTest, CommittedRecordsReplayInOrder) {
  std::string snap;
  std::vector<std::string> recs;
  {
    auto j = *Reopen(snap, recs);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(j->Commit(j->Enqueue("r" + std::to_string(i))).ok());
  }
  auto j = *Reopen(snap, recs);
  ASSERT_EQ(recs.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(recs[i], "r" + std::to_string(i));
  EXPECT_TRUE(snap.empty());
}

TEST_F(JournalTest, ConcurrentCommittersShareSyncs) {
  std::string snap;
  std::vector<std::string> recs;
  auto j = *Reopen(snap, recs);
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) EXPECT_TRUE(j->Commit(j->Enqueue(std::to_string(t))).ok());
    });
  for (auto& t : ts) t.join();
  auto stats = j->stats();
  EXPECT_EQ(stats.records, 1600u);
  EXPECT_LE(stats.syncs, stats.records);
}

TEST_F(JournalTest, CompactionKeepsStateAndDropsCoveredSegments) {
  std::string snap;
  std::vector<std::string> recs;
  {
    auto j = *Reopen(snap, recs);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(j->Commit(j->Enqueue(std::string(40, 'a'))).ok());
    EXPECT_TRUE(j->ShouldCompact());
    ASSERT_TRUE(j->Compact("STATE-50").ok());
    EXPECT_FALSE(j->ShouldCompact());
    ASSERT_TRUE(j->Commit(j->Enqueue("after")).ok());
  }
  auto j = *Reopen(snap, recs);
  EXPECT_EQ(snap, "STATE-50");
  EXPECT_EQ(recs, std::vector<std::string>{"after"});
  int segments = 0;
  for (const auto& e : fs::directory_iterator(dir_))
    segments += e.path().filename().string().rfind("log.", 0) == 0;
  EXPECT_EQ(segments, 1);
}

// A crash can leave any prefix of the last write on disk: every truncation point must reopen
// to a prefix of the committed records, and never fail or replay garbage.
TEST_F(JournalTest, EveryTornTailIsCutToACleanPrefix) {
  std::string snap;
  std::vector<std::string> recs;
  {
    auto j = *Reopen(snap, recs);
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(j->Commit(j->Enqueue("record-" + std::to_string(i))).ok());
  }
  std::string log = dir_ + "/log.0";
  std::ifstream in(log, std::ios::binary);
  std::string full((std::istreambuf_iterator<char>(in)), {});
  for (size_t cut = 0; cut <= full.size(); ++cut) {
    {
      std::ofstream out(log, std::ios::binary | std::ios::trunc);
      out.write(full.data(), static_cast<std::streamsize>(cut));
    }
    auto j = Reopen(snap, recs);
    ASSERT_TRUE(j.ok()) << "cut at " << cut << ": " << j.status().ToString();
    size_t consumed = 0;
    for (size_t i = 0; i < recs.size(); ++i) {
      EXPECT_EQ(recs[i], "record-" + std::to_string(i));
      consumed += 8 + recs[i].size();  // framing header + payload
    }
    // Everything after the last whole record is the torn tail, and it was cut.
    EXPECT_EQ((*j)->stats().torn_tail_bytes, cut - consumed) << "cut at " << cut;
  }
}

// Flipping any byte of a record must stop replay at that record (the CRC catches it).
TEST_F(JournalTest, CorruptBytesNeverReplayAsRecords) {
  std::string snap;
  std::vector<std::string> recs;
  {
    auto j = *Reopen(snap, recs);
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(j->Commit(j->Enqueue("payload-" + std::to_string(i))).ok());
  }
  std::string log = dir_ + "/log.0";
  std::ifstream in(log, std::ios::binary);
  std::string full((std::istreambuf_iterator<char>(in)), {});
  for (size_t pos = 0; pos < full.size(); ++pos) {
    std::string bad = full;
    bad[pos] ^= 0x5a;
    {
      std::ofstream out(log, std::ios::binary | std::ios::trunc);
      out.write(bad.data(), static_cast<std::streamsize>(bad.size()));
    }
    auto j = Reopen(snap, recs);
    ASSERT_TRUE(j.ok());
    for (const auto& r : recs) EXPECT_EQ(r.rfind("payload-", 0), 0u) << "byte " << pos;
    EXPECT_LT(recs.size(), 3u) << "byte " << pos;
  }
}

TEST_F(JournalTest, DamagedSnapshotIsAnErrorNotSilentLoss) {
  std::string snap;
  std::vector<std::string> recs;
  {
    auto j = *Reopen(snap, recs);
    ASSERT_TRUE(j->Compact("precious").ok());
  }
  {
    std::fstream f(dir_ + "/snapshot", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3);
    f.put('X');
  }
  auto j = Reopen(snap, recs);
  EXPECT_EQ(j.status().code(), StatusCode::kDataLoss);
}

TEST(JournalMemory, CommitsAtOnceWithoutADirectory) {
  auto j = *Journal::Open(
      {}, [](std::string_view) { return Status::Ok(); },
      [](std::string_view) { return Status::Ok(); });
  EXPECT_FALSE(j->durable());
  EXPECT_TRUE(j->Commit(j->Enqueue("x")).ok());
}

}  // namespace
}  // namespace steady::region
