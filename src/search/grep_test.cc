#include "search/grep.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "aws/local_object_store.h"
#include "base/time_format.h"
#include "logs/gzip.h"
#include "search/time_arg.h"

namespace steady::search {
namespace {

std::string Escape(std::string_view s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    if (c == '\n') {
      r += "\\n";
      continue;
    }
    r += c;
  }
  return r;
}

// A stored line as the aggregator writes it (logs/log_record.h).
std::string Line(std::string_view time, std::string_view log, std::string_view container = "app",
                 std::string_view task = "t1") {
  return std::string(R"({"time":"2018-11-)") + std::string(time) + R"(Z","log":")" + Escape(log) +
         R"(","source":"stdout","container_id":"c0ffee","task_id":")" + std::string(task) +
         R"(","task_arn":"arn:aws:ecs:us-east-1:1:task/c/)" + std::string(task) +
         R"(","family":"web","container":")" + std::string(container) + R"(","cluster":"c"})";
}

Time At(std::string_view text) { return *ParseRfc3339(text); }

class GrepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/steady-grep-test.XXXXXX";
    root_ = mkdtemp(tmpl);
    store_ = *aws::LocalObjectStore::Open(root_, {.fsync = false});
    // web/app: a day boundary, one minute with two objects (two aggregators) to merge, a minute
    // with an invalid line and a truncated object. web/nginx and worker/main beside it.
    Put("service-logs/web/app/2018/11/27/201811272359_0_a.gz",
        {Line("27T23:59:10.000000000", "yesterday ERROR late"),
         Line("27T23:59:50.000000000", "yesterday ok")});
    Put("service-logs/web/app/2018/11/28/201811281000_0_a.gz",
        {Line("28T10:00:01.000000000", "GET / 200", "app", "t1"),
         Line("28T10:00:02.000000000", "ERROR db timeout", "app", "t2"),
         Line("28T10:00:03.000000000", "error lower", "app", "t1")});
    Put("service-logs/web/app/2018/11/28/201811281001_0_a.gz",
        {Line("28T10:01:01.000000000", "A1 ERROR"), Line("28T10:01:03.000000000", "A3")});
    Put("service-logs/web/app/2018/11/28/201811281001_1_b.gz",
        {Line("28T10:01:02.000000000", "B2"), Line("28T10:01:04.000000000", "B4 ERROR")});
    Put("service-logs/web/app/2018/11/28/201811281002_0_a.gz",
        {Line("28T10:02:01.000000000", "C1 ERROR"), Line("28T10:02:02.000000000", "C2"),
         "not json ERROR"});
    Put("service-logs/web/app/2018/11/28/201811281002_1_b.gz",
        {Line("28T10:02:03.000000000", "D3 ERROR"), Line("28T10:02:04.000000000", "D4 cut")},
        /*truncate=*/true);
    Put("service-logs/web/nginx/2018/11/28/201811281000_0_a.gz",
        {Line("28T10:00:05.000000000", "nginx ERROR 502", "nginx")});
    Put("service-logs/worker/main/2018/11/28/201811281000_0_a.gz",
        {Line("28T10:00:00.000000000", "worker ERROR", "main")});
    Put("task-logs/web/app/t1/201811281000_0_a.gz",
        {Line("28T10:00:01.000000000", "GET / 200", "app", "t1"),
         Line("28T10:00:03.000000000", "error lower", "app", "t1")});
    Put("task-logs/web/app/t2/201811281000_0_a.gz",
        {Line("28T10:00:02.000000000", "ERROR db timeout", "app", "t2")});
    log_store_ = std::make_unique<LogStore>(store_.get(), LogStoreOptions{});
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // Each line its own gzip member (objects are multi-member); `truncate` cuts the last member.
  void Put(const std::string& key, const std::vector<std::string>& lines, bool truncate = false) {
    auto gz = logs::NewGzipCompressor();
    std::string data;
    for (const auto& l : lines) gz->CompressMember(l + "\n", &data);
    if (truncate) data.resize(data.size() - 6);
    ASSERT_TRUE(store_->Put(key, data).ok());
  }

  struct Output {
    std::vector<std::string> lines;
    std::string raw;
  };
  OutputFn Collect(Output* out) {
    return [out](std::string_view chunk) {
      out->raw.append(chunk);
      size_t pos = 0;
      while (pos < chunk.size()) {
        size_t nl = chunk.find('\n', pos);
        out->lines.emplace_back(chunk.substr(pos, nl - pos));
        pos = nl + 1;
      }
      return true;
    };
  }

  std::string root_;
  std::unique_ptr<aws::LocalObjectStore> store_;
  std::unique_ptr<LogStore> log_store_;
};

struct GrepCase {
  std::string name;
  std::string stream;  // family[/container]
  std::string task;
  std::string since, until;
  GrepPattern pattern;
  OutputOptions output;
  std::vector<std::string> expected;
};

SearchRequest RequestFor(const GrepCase& c) {
  SearchRequest r;
  size_t slash = c.stream.find('/');
  r.selection.family = c.stream.substr(0, slash);
  if (slash != std::string::npos) r.selection.container = c.stream.substr(slash + 1);
  r.selection.task_id = c.task;
  Time now = At("2018-11-28T12:00:00Z");
  if (!c.since.empty()) r.selection.range.since = *ParseTimeArg(c.since, now);
  if (!c.until.empty()) r.selection.range.until = *ParseTimeArg(c.until, now);
  r.pattern = c.pattern;
  r.output = c.output;
  r.output.auto_prefix_container = r.selection.container.empty();
  r.scan.threads = 3;
  r.scan.window = 2;
  return r;
}

TEST_F(GrepTest, DataDrivenCases) {
  OutputOptions json{OutputFormat::kJson};
  OutputOptions with_task{};
  with_task.prefix_task = true;
  std::vector<GrepCase> cases = {
      {"substring over every day, same-minute objects merged by time",
       "web/app",
       "",
       "",
       "",
       {"ERROR"},
       {},
       {"yesterday ERROR late", "ERROR db timeout", "A1 ERROR", "B4 ERROR", "C1 ERROR",
        "not json ERROR", "D3 ERROR"}},
      {"one minute",
       "web/app",
       "",
       "2018-11-28T10:01",
       "2018-11-28T10:02",
       {"ERROR"},
       {},
       {"A1 ERROR", "B4 ERROR"}},
      {"relative since",
       "web/app",
       "",
       "2h",
       "",
       {"ERROR"},
       {},
       {"ERROR db timeout", "A1 ERROR", "B4 ERROR", "C1 ERROR", "not json ERROR", "D3 ERROR"}},
      {"a day", "web/app", "", "2018-11-27", "2018-11-28", {"ERROR"}, {}, {"yesterday ERROR late"}},
      {"every container, prefixed",
       "web",
       "",
       "2018-11-28T10:00",
       "2018-11-28T10:01",
       {"ERROR"},
       {},
       {"app ERROR db timeout", "nginx nginx ERROR 502"}},
      {"ignore case",
       "web/app",
       "",
       "2018-11-28T10:00",
       "2018-11-28T10:01",
       {"error", false, true},
       {},
       {"ERROR db timeout", "error lower"}},
      {"case matters by default",
       "web/app",
       "",
       "2018-11-28T10:00",
       "2018-11-28T10:01",
       {"error"},
       {},
       {"error lower"}},
      {"regex",
       "web/app",
       "",
       "",
       "",
       {"^[AB][0-9]", true},
       {},
       {"A1 ERROR", "B2", "A3", "B4 ERROR"}},
      {"regex is not a literal", "web/app", "", "", "", {"^[AB][0-9]"}, {}, {}},
      {"invert",
       "web/app",
       "",
       "2018-11-28T10:01",
       "2018-11-28T10:02",
       {"ERROR", false, false, true},
       {},
       {"B2", "A3"}},
      {"whole line",
       "web/app",
       "",
       "2018-11-28T10:00",
       "2018-11-28T10:01",
       {"\"task_id\":\"t2\"", false, false, false, MatchField::kLine},
       {},
       {"ERROR db timeout"}},
      {"task with family", "web", "t1", "", "", {""}, {}, {"GET / 200", "error lower"}},
      {"task without family", "", "t2", "", "", {"ERROR"}, {}, {"ERROR db timeout"}},
      {"json", "web/app", "", "", "", {"C2"}, json, {Line("28T10:02:02.000000000", "C2")}},
      {"task prefix", "web/app", "", "", "", {"db timeout"}, with_task, {"t2 ERROR db timeout"}},
      {"other family", "worker", "", "", "", {"ERROR"}, {}, {"worker ERROR"}},
      {"no match", "web/app", "", "", "", {"nowhere"}, {}, {}},
  };
  for (const GrepCase& c : cases) {
    SCOPED_TRACE(c.name);
    Output out;
    ScanCounters counters;
    auto n = Grep(*log_store_, RequestFor(c), Collect(&out), &counters);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(out.lines, c.expected);
    EXPECT_EQ(*n, c.expected.size());
  }
}

TEST_F(GrepTest, ReadsOnlyTheObjectsOfTheRange) {
  GrepCase c{"", "web/app", "", "2018-11-28T10:01", "2018-11-28T10:02", {"ERROR"}};
  Output out;
  ScanCounters counters;
  ASSERT_TRUE(Grep(*log_store_, RequestFor(c), Collect(&out), &counters).ok());
  const ReadCounters& rc = log_store_->counters();
  EXPECT_EQ(rc.objects_selected.load(), 2u);
  EXPECT_EQ(rc.objects_read.load(), 2u);
  EXPECT_EQ(counters.objects_done.load(), 2u);
  // One day listed (the 28th: 5 objects); the 27th is never listed.
  EXPECT_EQ(rc.objects_listed.load(), 5u);
  EXPECT_EQ(counters.bytes_compressed.load(), rc.bytes_read.load());
}

TEST_F(GrepTest, TruncatedObjectIsCountedAndItsGoodLinesKept) {
  GrepCase c{"", "web/app", "", "2018-11-28T10:02", "", {"D"}};
  Output out;
  ScanCounters counters;
  auto n = Grep(*log_store_, RequestFor(c), Collect(&out), &counters);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(out.lines, (std::vector<std::string>{"D3 ERROR"}));
  EXPECT_EQ(counters.objects_bad.load(), 1u);
  EXPECT_EQ(counters.objects_done.load(), 2u);
}

TEST_F(GrepTest, InvalidLinesArePrintedAsIsAndCounted) {
  GrepCase c{"", "web/app", "", "2018-11-28T10:02", "", {"json"}};
  Output out;
  ScanCounters counters;
  ASSERT_TRUE(Grep(*log_store_, RequestFor(c), Collect(&out), &counters).ok());
  EXPECT_EQ(out.lines, (std::vector<std::string>{"not json ERROR"}));
  EXPECT_EQ(counters.invalid_lines.load(), 1u);
}

TEST_F(GrepTest, CountOnly) {
  GrepCase c{"", "web/app", "", "", "", {"ERROR"}};
  c.output.count_only = true;
  Output out;
  ScanCounters counters;
  auto n = Grep(*log_store_, RequestFor(c), Collect(&out), &counters);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 7u);
  EXPECT_EQ(out.raw, "7\n");
}

TEST_F(GrepTest, BadRegexAndMissingFamilyAreErrors) {
  Output out;
  ScanCounters counters;
  GrepCase bad_regex{"", "web/app", "", "", "", {"a(", true}};
  EXPECT_EQ(Grep(*log_store_, RequestFor(bad_regex), Collect(&out), &counters).status().code(),
            StatusCode::kInvalidArgument);
  GrepCase no_family{"", "", "", "", "", {"x"}};
  EXPECT_EQ(Grep(*log_store_, RequestFor(no_family), Collect(&out), &counters).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(GrepTest, StopsWhenTheOutputStops) {
  GrepCase c{"", "web/app", "", "", "", {""}};
  int calls = 0;
  ScanCounters counters;
  auto n = Grep(
      *log_store_, RequestFor(c),
      [&](std::string_view) {
        ++calls;
        return false;
      },
      &counters);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(GrepTest, TailReadsFromTheNewestMinuteBack) {
  GrepCase c{"", "web/app", "", "", "", {""}};
  SearchRequest r = RequestFor(c);
  r.scan.threads = 1;  // no read-ahead, so the counters show exactly what the tail needed
  r.scan.window = 1;
  r.tail_lines = 3;
  Output out;
  ScanCounters counters;
  auto n = Tail(*log_store_, r, Collect(&out), &counters);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(out.lines, (std::vector<std::string>{"C2", "not json ERROR", "D3 ERROR"}));
  EXPECT_EQ(log_store_->counters().objects_read.load(), 2u);  // only 10:02's two objects

  r.tail_lines = 6;
  Output more;
  ASSERT_TRUE(Tail(*log_store_, r, Collect(&more), &counters).ok());
  EXPECT_EQ(more.lines, (std::vector<std::string>{"A3", "B4 ERROR", "C1 ERROR", "C2",
                                                  "not json ERROR", "D3 ERROR"}));
  EXPECT_EQ(log_store_->counters().objects_read.load(), 2u + 4u);

  r.tail_lines = 100;  // more than there are: everything, in order
  Output all;
  ASSERT_TRUE(Tail(*log_store_, r, Collect(&all), &counters).ok());
  EXPECT_EQ(all.lines.size(), 13u);
  EXPECT_EQ(all.lines.front(), "yesterday ERROR late");
}

TEST_F(GrepTest, TailWithPatternAndRange) {
  GrepCase c{"", "web/app", "", "2018-11-28T10:00", "2018-11-28T10:02", {"ERROR"}};
  SearchRequest r = RequestFor(c);
  r.tail_lines = 2;
  Output out;
  ScanCounters counters;
  ASSERT_TRUE(Tail(*log_store_, r, Collect(&out), &counters).ok());
  EXPECT_EQ(out.lines, (std::vector<std::string>{"A1 ERROR", "B4 ERROR"}));
}

TEST_F(GrepTest, FollowPrintsNewObjectsAtEachPoll) {
  GrepCase c{"", "web/app", "", "", "", {""}};
  SearchRequest r = RequestFor(c);
  r.tail_lines = 2;
  Output out;
  ScanCounters counters;
  int step = 0;
  std::vector<size_t> printed_after_step;
  auto wait_next = [&] {
    printed_after_step.push_back(out.lines.size());
    switch (step++) {
      case 0:
        Put("service-logs/web/app/2018/11/28/201811281003_0_a.gz",
            {Line("28T10:03:01.000000000", "E1"), Line("28T10:03:02.000000000", "E2")});
        return true;
      case 1:  // a late object for an earlier minute, and nothing for 10:03 again
        Put("service-logs/web/app/2018/11/28/201811281001_2_c.gz",
            {Line("28T10:01:05.000000000", "late F")});
        return true;
      case 2:  // nothing new
        return true;
      default: return false;
    }
  };
  ASSERT_TRUE(Follow(*log_store_, r, Collect(&out), &counters, wait_next).ok());
  EXPECT_EQ(out.lines,
            (std::vector<std::string>{"not json ERROR", "D3 ERROR", "E1", "E2", "late F"}));
  EXPECT_EQ(printed_after_step, (std::vector<size_t>{2, 4, 5, 5}));
}

TEST(ParseTimeArg, Forms) {
  Time now = At("2018-11-28T12:00:00Z");
  EXPECT_EQ(*ParseTimeArg("2h", now), At("2018-11-28T10:00:00Z"));
  EXPECT_EQ(*ParseTimeArg("30m", now), At("2018-11-28T11:30:00Z"));
  EXPECT_EQ(*ParseTimeArg("1d", now), At("2018-11-27T12:00:00Z"));
  EXPECT_EQ(*ParseTimeArg("now", now), now);
  EXPECT_EQ(*ParseTimeArg("2018-11-28", now), At("2018-11-28T00:00:00Z"));
  EXPECT_EQ(*ParseTimeArg("2018-11-28T10:00", now), At("2018-11-28T10:00:00Z"));
  EXPECT_EQ(*ParseTimeArg("2018-11-28 10:00:05", now), At("2018-11-28T10:00:05Z"));
  EXPECT_EQ(*ParseTimeArg("2018-11-28T10:00:00+01:00", now), At("2018-11-28T09:00:00Z"));
  for (const char* bad : {"", "yesterday", "2018-13-40", "-5m"}) {
    EXPECT_FALSE(ParseTimeArg(bad, now).ok()) << bad;
  }
}

}  // namespace
}  // namespace steady::search
