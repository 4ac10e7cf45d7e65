#include "aws/local_object_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "base/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace steady::aws {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using ::steady::testutil::TempDir;

// Every regular file under `root`, relative, sorted (what is really on disk).
std::vector<std::string> FilesOnDisk(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = LocalObjectStore::Open(dir_.path() + "/store");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    // The same root without fsync, to lay out many keys quickly.
    auto bulk = LocalObjectStore::Open(dir_.path() + "/store", {.fsync = false});
    ASSERT_TRUE(bulk.ok());
    bulk_ = std::move(*bulk);
  }

  void PutAll(const std::vector<std::string>& keys) {
    for (const auto& k : keys) ASSERT_TRUE(bulk_->Put(k, "data:" + k).ok()) << k;
  }

  // Every page of a listing, entries in order as "key" or "key(P)" for common prefixes.
  std::vector<std::string> ListPaged(ListOptions options, int* pages = nullptr) {
    std::vector<std::string> out;
    std::string token;
    int n = 0;
    while (true) {
      auto page = store_->List(options, token);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      ++n;
      EXPECT_LE(page->objects.size() + page->common_prefixes.size(),
                static_cast<size_t>(options.max_keys));
      // Merge the two sorted lists the way a listing interleaves them.
      std::vector<std::string> merged;
      for (const auto& o : page->objects) merged.push_back(o.key);
      for (const auto& p : page->common_prefixes) merged.push_back(p + "(P)");
      std::sort(merged.begin(), merged.end(), [](const std::string& a, const std::string& b) {
        auto strip = [](const std::string& s) {
          return s.ends_with("(P)") ? s.substr(0, s.size() - 3) : s;
        };
        return strip(a) < strip(b);
      });
      out.insert(out.end(), merged.begin(), merged.end());
      if (page->continuation_token.empty()) break;
      token = page->continuation_token;
      if (n > 10000) {
        ADD_FAILURE() << "listing does not end";
        break;
      }
    }
    if (pages) *pages = n;
    return out;
  }

  TempDir dir_;
  std::unique_ptr<LocalObjectStore> store_;
  std::unique_ptr<LocalObjectStore> bulk_;
};

// S3's listing semantics, written the obvious way over a sorted set: the reference the
// directory walk is checked against.
std::vector<std::string> ReferenceList(const std::set<std::string>& keys,
                                       const ListOptions& options) {
  std::vector<std::string> out;
  std::string last_prefix;
  for (const auto& k : keys) {
    if (!k.starts_with(options.prefix)) continue;
    if (k <= options.start_after) continue;
    if (!options.delimiter.empty()) {
      size_t pos = k.find(options.delimiter, options.prefix.size());
      if (pos != std::string::npos) {
        std::string cp = k.substr(0, pos + options.delimiter.size());
        if (cp == last_prefix || cp <= options.start_after) continue;
        last_prefix = cp;
        out.push_back(cp + "(P)");
        continue;
      }
    }
    out.push_back(k);
  }
  return out;
}

TEST_F(LocalObjectStoreTest, PutGetOverwrite) {
  ASSERT_TRUE(store_->Put("a/b/c.gz", "hello").ok());
  EXPECT_EQ(store_->Get("a/b/c.gz").value_or("?"), "hello");
  ASSERT_TRUE(store_->Put("a/b/c.gz", "second version").ok());
  EXPECT_EQ(store_->Get("a/b/c.gz").value_or("?"), "second version");
  // The key is the path under the root, nothing more on disk.
  EXPECT_THAT(FilesOnDisk(store_->root()), ElementsAre("a/b/c.gz"));
  std::ifstream f(store_->root() + "/a/b/c.gz");
  std::string content((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "second version");
}

TEST_F(LocalObjectStoreTest, BinaryAndEmptyObjects) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  binary += std::string(1 << 20, '\0');
  ASSERT_TRUE(store_->Put("bin", binary).ok());
  EXPECT_EQ(store_->Get("bin").value_or(""), binary);
  ASSERT_TRUE(store_->Put("empty", "").ok());
  auto got = store_->Get("empty");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "");
  EXPECT_EQ(store_->Head("empty")->size, 0u);
}

TEST_F(LocalObjectStoreTest, MissingKeysAreNotFound) {
  EXPECT_EQ(store_->Get("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetRange("nope", 0, 10).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->Put("dir/file", "x").ok());
  // A "directory" is not an object, nor is a key below an object.
  EXPECT_EQ(store_->Get("dir").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("dir").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("dir/file/below").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("dir/file/below").status().code(), StatusCode::kNotFound);
}

TEST_F(LocalObjectStoreTest, Ranges) {
  ASSERT_TRUE(store_->Put("r", "0123456789").ok());
  EXPECT_EQ(store_->GetRange("r", 0, 3).value_or("?"), "012");
  EXPECT_EQ(store_->GetRange("r", 4, 2).value_or("?"), "45");
  EXPECT_EQ(store_->GetRange("r", 7, 100).value_or("?"), "789");  // clipped at the end
  EXPECT_EQ(store_->GetRange("r", 9, ObjectStore::kToEnd).value_or("?"), "9");
  EXPECT_EQ(store_->GetRange("r", 0, ObjectStore::kToEnd).value_or("?"), "0123456789");
  EXPECT_EQ(store_->GetRange("r", 3, 0).value_or("?"), "");
  EXPECT_EQ(store_->GetRange("r", 10, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetRange("r", 11, 1).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->Put("e", "").ok());
  EXPECT_EQ(store_->GetRange("e", 0, 5).value_or("?"), "");
  EXPECT_EQ(store_->GetRange("e", 1, 5).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LocalObjectStoreTest, HeadReportsSizeTimeAndChangingEtag) {
  ASSERT_TRUE(store_->Put("h/k", "12345").ok());
  auto a = store_->Head("h/k");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->key, "h/k");
  EXPECT_EQ(a->size, 5u);
  EXPECT_FALSE(a->etag.empty());
  struct stat st;
  ASSERT_EQ(::stat((store_->root() + "/h/k").c_str(), &st), 0);
  EXPECT_EQ(ToUnixNanos(a->last_modified),
            static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec);
  ASSERT_TRUE(store_->Put("h/k", "123456").ok());
  auto b = store_->Head("h/k");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size, 6u);
  EXPECT_NE(a->etag, b->etag);
  // Listing reports the same as Head.
  auto page = store_->List({.prefix = "h/"});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].etag, b->etag);
  EXPECT_EQ(page->objects[0].size, 6u);
}

TEST_F(LocalObjectStoreTest, RejectsKeysThatCouldEscapeOrCannotBeFiles) {
  for (std::string key :
       {std::string(""), std::string("/abs"), std::string("trailing/"), std::string("a//b"),
        std::string(".."), std::string("../escape"), std::string("a/../../escape"),
        std::string("a/./b"), std::string("."), std::string(".steady-tmp.x"),
        std::string("a/.steady-tmp.y"), std::string("nul\0byte", 8), std::string(1025, 'k')}) {
    EXPECT_EQ(store_->Put(key, "x").code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->NewWriter(key).status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Get(key).status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Head(key).status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Delete(key).code(), StatusCode::kInvalidArgument) << key;
  }
  // Nothing was written anywhere, inside the root or beside it.
  EXPECT_THAT(FilesOnDisk(dir_.path()), IsEmpty());
  // Unusual but valid keys work.
  for (std::string key : {"with space", "ünïcødé/ключ", "a/..b/c.", "percent%2F", "q?x=1#f"}) {
    ASSERT_TRUE(store_->Put(key, key).ok()) << key;
    EXPECT_EQ(store_->Get(key).value_or(""), key);
  }
}

TEST_F(LocalObjectStoreTest, ObjectAndPrefixConflict) {
  ASSERT_TRUE(store_->Put("a", "file").ok());
  EXPECT_EQ(store_->Put("a/b", "x").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->Put("c/d", "x").ok());
  EXPECT_EQ(store_->Put("c", "x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Get("a").value_or(""), "file");
  EXPECT_EQ(store_->Get("c/d").value_or(""), "x");
  // A failed write leaves no temporary file behind.
  EXPECT_THAT(FilesOnDisk(store_->root()), ElementsAre("a", "c/d"));
}

TEST_F(LocalObjectStoreTest, ListsInByteOrderNotDirectoryOrder) {
  // '-' (0x2d) < '/' (0x2f) < '0' (0x30): a naive per-directory walk would put "a/b" first.
  PutAll({"a/b", "a-c", "a0", "B", "a/a/z", "a.", "b/c/d", "b/c-", "\xc3\xa9t\xc3\xa9"});
  EXPECT_THAT(ListPaged({}), ElementsAre("B", "a-c", "a.", "a/a/z", "a/b", "a0", "b/c-", "b/c/d",
                                         "\xc3\xa9t\xc3\xa9"));
  EXPECT_THAT(ListPaged({.prefix = "a"}), ElementsAre("a-c", "a.", "a/a/z", "a/b", "a0"));
  EXPECT_THAT(ListPaged({.prefix = "a/"}), ElementsAre("a/a/z", "a/b"));
  EXPECT_THAT(ListPaged({.prefix = "b/c"}), ElementsAre("b/c-", "b/c/d"));
  EXPECT_THAT(ListPaged({.prefix = "zzz"}), IsEmpty());
  EXPECT_THAT(ListPaged({.start_after = "a/a/z"}),
              ElementsAre("a/b", "a0", "b/c-", "b/c/d", "\xc3\xa9t\xc3\xa9"));
}

TEST_F(LocalObjectStoreTest, DelimiterRollsUpCommonPrefixes) {
  PutAll({"logs/web/app/2026/11/23/a.gz", "logs/web/app/2026/11/24/b.gz",
          "logs/web/nginx/2026/11/23/c.gz", "logs/batch/job/2026/11/23/d.gz", "logs/top.txt",
          "other/x"});
  EXPECT_THAT(ListPaged({.delimiter = "/"}), ElementsAre("logs/(P)", "other/(P)"));
  EXPECT_THAT(ListPaged({.prefix = "logs/", .delimiter = "/"}),
              ElementsAre("logs/batch/(P)", "logs/top.txt", "logs/web/(P)"));
  EXPECT_THAT(ListPaged({.prefix = "logs/web/", .delimiter = "/"}),
              ElementsAre("logs/web/app/(P)", "logs/web/nginx/(P)"));
  EXPECT_THAT(ListPaged({.prefix = "logs/web/app/2026/11/", .delimiter = "/"}),
              ElementsAre("logs/web/app/2026/11/23/(P)", "logs/web/app/2026/11/24/(P)"));
  // Page size 1 still lists each common prefix once.
  EXPECT_THAT(ListPaged({.prefix = "logs/", .delimiter = "/", .max_keys = 1}),
              ElementsAre("logs/batch/(P)", "logs/top.txt", "logs/web/(P)"));
  // A delimiter other than '/'.
  EXPECT_THAT(ListPaged({.prefix = "logs/web/", .delimiter = "2026"}),
              ElementsAre("logs/web/app/2026(P)", "logs/web/nginx/2026(P)"));
}

TEST_F(LocalObjectStoreTest, PaginationVisitsEveryKeyOnce) {
  std::vector<std::string> keys;
  for (int i = 0; i < 2500; ++i) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "p/%02d/%05d", i % 7, i);
    keys.push_back(buf);
  }
  PutAll(keys);
  std::sort(keys.begin(), keys.end());
  int pages = 0;
  EXPECT_EQ(ListPaged({}, &pages), keys);
  EXPECT_EQ(pages, 3);  // 1000 + 1000 + 500
  EXPECT_EQ(ListPaged({.max_keys = 333}, &pages), keys);
  EXPECT_EQ(pages, 8);
  // A page that exactly ends the listing carries no token.
  auto page = store_->List({.prefix = "p/00/", .max_keys = 358});  // 2500/7 rounded up = 358
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects.size(), 358u);
  EXPECT_TRUE(page->continuation_token.empty());
  EXPECT_EQ(store_->List({.max_keys = 0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List({.max_keys = 1001}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->List({}, "garbage").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LocalObjectStoreTest, ListingMatchesReferenceOnRandomTrees) {
  std::mt19937 rng(12345);
  const std::string alphabet = "ab-/0.";
  std::set<std::string> keys;
  while (keys.size() < 300) {
    std::string k;
    int len = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < len; ++i) k += alphabet[rng() % alphabet.size()];
    if (!ValidateObjectKey(k).ok()) continue;
    // Skip keys that would be both object and prefix of another (not representable here).
    bool conflict = false;
    for (const auto& other : keys) {
      if (other.starts_with(k + "/") || k.starts_with(other + "/")) conflict = true;
    }
    if (conflict) continue;
    keys.insert(k);
  }
  PutAll(std::vector<std::string>(keys.begin(), keys.end()));
  for (std::string prefix : {"", "a", "a/", "b-", "0", "a/b", "zz"}) {
    for (std::string delimiter : {"", "/", "-", "a/"}) {
      for (std::string start_after : {"", "a", "a/b", "b", "-"}) {
        for (int max_keys : {1, 3, 1000}) {
          ListOptions o{prefix, delimiter, start_after, max_keys};
          EXPECT_EQ(ListPaged(o), ReferenceList(keys, o))
              << "prefix=" << prefix << " delimiter=" << delimiter << " start_after=" << start_after
              << " max_keys=" << max_keys;
        }
      }
    }
  }
}

TEST_F(LocalObjectStoreTest, ListAllInterleavesAndStopsEarly) {
  PutAll({"x/1", "x/2", "y", "z/1"});
  std::vector<std::string> seen;
  ASSERT_TRUE(store_
                  ->ListAll({.delimiter = "/", .max_keys = 1},
                            [&](const ListEntry& e) {
                              seen.push_back(e.object.key + (e.is_prefix ? "(P)" : ""));
                              return true;
                            })
                  .ok());
  EXPECT_THAT(seen, ElementsAre("x/(P)", "y", "z/(P)"));
  seen.clear();
  ASSERT_TRUE(store_
                  ->ListAll({},
                            [&](const ListEntry& e) {
                              seen.push_back(e.object.key);
                              return seen.size() < 2;
                            })
                  .ok());
  EXPECT_THAT(seen, ElementsAre("x/1", "x/2"));
}

TEST_F(LocalObjectStoreTest, DeleteIsIdempotentAndPrunesEmptyDirectories) {
  PutAll({"d/1/a", "d/1/b", "d/2/c", "top"});
  std::vector<std::string> batch = {"d/1/a", "d/1/b", "never/existed", "top"};
  ASSERT_TRUE(store_->Delete(batch).ok());
  EXPECT_EQ(store_->Get("d/1/a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("d/2/c").value_or(""), "data:d/2/c");
  EXPECT_FALSE(fs::exists(store_->root() + "/d/1"));
  ASSERT_TRUE(store_->Delete("d/2/c").ok());
  EXPECT_FALSE(fs::exists(store_->root() + "/d"));
  EXPECT_TRUE(fs::exists(store_->root()));    // the root itself stays
  ASSERT_TRUE(store_->Delete("d/2/c").ok());  // again: fine
  std::vector<std::string> with_bad = {"ok-missing", "../x", "a//b"};
  Status s = store_->Delete(with_bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("2 of 3"));
}

TEST_F(LocalObjectStoreTest, WriterIsInvisibleUntilClose) {
  ASSERT_TRUE(store_->Put("w/obj", "old").ok());
  auto writer = store_->NewWriter("w/obj");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("new-").ok());
  ASSERT_TRUE((*writer)->Write("content").ok());
  EXPECT_EQ((*writer)->bytes_written(), 11u);
  // Mid-write: readers see the whole old object; the partial data sits in a temporary file
  // that listing never shows.
  EXPECT_EQ(store_->Get("w/obj").value_or(""), "old");
  EXPECT_THAT(ListPaged({}), ElementsAre("w/obj"));
  auto on_disk = FilesOnDisk(store_->root());
  ASSERT_EQ(on_disk.size(), 2u);
  EXPECT_TRUE(on_disk[0].starts_with("w/.steady-tmp.")) << on_disk[0];
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_EQ(store_->Get("w/obj").value_or(""), "new-content");
  EXPECT_THAT(FilesOnDisk(store_->root()), ElementsAre("w/obj"));
  EXPECT_EQ((*writer)->Write("more").code(), StatusCode::kFailedPrecondition);
}

TEST_F(LocalObjectStoreTest, AbortedOrDroppedWritersLeaveNothing) {
  {
    auto writer = store_->NewWriter("n/dropped");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Write("partial").ok());
  }  // destroyed without Close
  auto writer = store_->NewWriter("n/aborted");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("partial").ok());
  (*writer)->Abort();
  EXPECT_FALSE((*writer)->Close().ok());
  EXPECT_EQ(store_->Get("n/dropped").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("n/aborted").status().code(), StatusCode::kNotFound);
  EXPECT_THAT(FilesOnDisk(store_->root()), IsEmpty());
}

TEST_F(LocalObjectStoreTest, CrashLeftoversAreIgnoredAndSwept) {
  ASSERT_TRUE(store_->Put("c/real", "x").ok());
  // What a crash between create and rename leaves behind.
  std::string leftover = store_->root() + "/c/.steady-tmp.deadbeef";
  std::ofstream(leftover) << "half an object";
  EXPECT_THAT(ListPaged({}), ElementsAre("c/real"));
  EXPECT_THAT(ListPaged({.prefix = "c/."}), IsEmpty());
  Time now = FromUnixSeconds(static_cast<double>(::time(nullptr)));
  // Too young: kept (a live writer may own it).
  EXPECT_EQ(store_->RemoveStaleTemporaryFiles(hours(1), now).value_or(-1), 0);
  EXPECT_TRUE(fs::exists(leftover));
  EXPECT_EQ(store_->RemoveStaleTemporaryFiles(hours(1), now + hours(2)).value_or(-1), 1);
  EXPECT_FALSE(fs::exists(leftover));
  EXPECT_EQ(store_->Get("c/real").value_or(""), "x");
}

TEST_F(LocalObjectStoreTest, PutFile) {
  std::string src = dir_.path() + "/source.bin";
  std::string data;
  std::mt19937 rng(7);
  for (int i = 0; i < (3 << 20) + 17; ++i) data.push_back(static_cast<char>(rng()));
  std::ofstream(src, std::ios::binary)
      .write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(store_->PutFile("f/big", src).ok());
  EXPECT_EQ(store_->Get("f/big").value_or(""), data);
  EXPECT_EQ(store_->PutFile("f/none", dir_.path() + "/missing").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("f/none").status().code(), StatusCode::kNotFound);
}

TEST_F(LocalObjectStoreTest, ConcurrentWritersAndDeletersInSharedDirectories) {
  // Deletes prune directories that other threads are about to write into: every write must
  // still land (NewWriter re-creates the directory it lost).
  constexpr int kThreads = 4, kRounds = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        std::string key = "shared/dir/t" + std::to_string(t) + "-" + std::to_string(i);
        if (!store_->Put(key, key).ok()) ++failures;
        if (store_->Get(key).value_or("") != key) ++failures;
        if (!store_->Delete(key).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(FilesOnDisk(store_->root()), IsEmpty());
}

TEST(LocalObjectStoreOpenTest, CreatesRootAndRejectsFiles) {
  TempDir dir;
  auto store = LocalObjectStore::Open(dir.path() + "/x/y/z/", {.fsync = false});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->root(), dir.path() + "/x/y/z");
  EXPECT_TRUE(fs::is_directory(dir.path() + "/x/y/z"));
  std::ofstream(dir.path() + "/file") << "x";
  EXPECT_FALSE(LocalObjectStore::Open(dir.path() + "/file").ok());
  EXPECT_EQ(LocalObjectStore::Open("").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace steady::aws
