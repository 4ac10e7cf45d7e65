#include "search/sql.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "aws/local_object_store.h"
#include "logs/gzip.h"

namespace steady::search {
namespace {

using Rows = std::vector<std::vector<std::string>>;

std::string Escape(std::string_view s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    r += c;
  }
  return r;
}

// A stored line as the aggregator writes it (logs/log_record.h).
std::string Line(std::string_view time, std::string_view log, std::string_view family,
                 std::string_view container, std::string_view task = "t1") {
  std::string t(task);
  return std::string(R"({"time":")") + std::string(time) + R"(","log":")" + Escape(log) +
         R"(","source":"stdout","container_id":"c0ffee","task_id":")" + t +
         R"(","task_arn":"arn:aws:ecs:us-east-1:1:task/c/)" + t + R"(","family":")" +
         std::string(family) + R"(","container":")" + std::string(container) +
         R"(","cluster":"prod","extra":{"k":1}})";
}

// A store that is not a LocalObjectStore (so LogStore treats it as remote, as S3) and counts
// Gets.
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

// The fixture store:
//   my_awesome_app/app          2018-11-27 (1 object), 2018-11-28 (3), 2018-11-29 (1)
//   my_awesome_app/nginx-proxy  2018-11-28 (1)          → table my_awesome_app_nginx_proxy
//   worker/main                 2018-11-30 (1), 2018-12-01 (1)
// One line is not JSON: like Athena's SerDe with ignore.malformed.json, it is a row of NULLs.
class SqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/steady-sql-test.XXXXXX";
    root_ = mkdtemp(tmpl);
    store_ = *aws::LocalObjectStore::Open(root_ + "/store", {.fsync = false});
    const char* f = "my_awesome_app";
    Put("service-logs/my_awesome_app/app/2018/11/27/201811272359_0_a.gz",
        {Line("2018-11-27T23:59:59.000000000Z", "late ERROR yesterday", f, "app")});
    Put("service-logs/my_awesome_app/app/2018/11/28/201811281000_0_a.gz",
        {Line("2018-11-28T10:00:02.000000000Z", "ERROR db timeout", f, "app", "t2"),
         Line("2018-11-28T10:00:01.000000000Z", "GET / 200", f, "app"), "not json at all ERROR"});
    Put("service-logs/my_awesome_app/app/2018/11/28/201811281001_1_b.gz",
        {Line("2018-11-28T10:01:00.500000000Z", "ERROR, \"quoted\"", f, "app"),
         Line("2018-11-28T10:01:30.000000000Z", "ok", f, "app")});
    Put("service-logs/my_awesome_app/app/2018/11/28/201811282359_0_a.gz",
        {Line("2018-11-28T23:59:00.000000000Z", "last ERROR of the day", f, "app", "t2")});
    Put("service-logs/my_awesome_app/app/2018/11/29/201811290000_0_a.gz",
        {Line("2018-11-29T00:00:00.000000000Z", "tomorrow ERROR", f, "app")});
    Put("service-logs/my_awesome_app/nginx-proxy/2018/11/28/201811281000_0_a.gz",
        {Line("2018-11-28T10:00:03.000000000Z", "502 upstream", f, "nginx-proxy", "t2")});
    Put("service-logs/worker/main/2018/11/30/201811302359_0_a.gz",
        {Line("2018-11-30T23:59:00.000000000Z", "w1", "worker", "main")});
    Put("service-logs/worker/main/2018/12/01/201812010000_0_a.gz",
        {Line("2018-12-01T00:00:00.000000000Z", "w2", "worker", "main"),
         Line("2018-12-01T00:00:01.000000000Z", "w3", "worker", "main")});
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // Each line its own gzip member (objects are multi-member).
  void Put(const std::string& key, const std::vector<std::string>& lines) {
    auto gz = logs::NewGzipCompressor();
    std::string data;
    for (const auto& l : lines) gz->CompressMember(l + "\n", &data);
    ASSERT_TRUE(store_->Put(key, data).ok());
  }

  static Rows Cells(const SqlResult& r) {
    Rows out;
    for (const auto& row : r.rows) {
      std::vector<std::string> line;
      for (const auto& c : row) line.push_back(c ? *c : "NULL");
      out.push_back(std::move(line));
    }
    return out;
  }

  std::string root_;
  std::unique_ptr<aws::LocalObjectStore> store_;
};

struct Case {
  const char* name;
  const char* sql;
  Rows rows;
  uint64_t objects_read;  // what the query may read (pruning)
};

const char kSeed[] =
    "select time, log from \"my_awesome_app_app\" where year = 2018 and month = 11 and day = 28 "
    "and log like '%ERROR%' order by time";

std::vector<Case> Cases() {
  return {
      {"seed (Athena's query, unchanged)",
       kSeed,
       {{"2018-11-28T10:00:02.000000000Z", "ERROR db timeout"},
        {"2018-11-28T10:01:00.500000000Z", "ERROR, \"quoted\""},
        {"2018-11-28T23:59:00.000000000Z", "last ERROR of the day"}},
       3},
      {"unquoted, mixed case",
       "SELECT count(*) FROM My_Awesome_App_App WHERE YEAR = 2018 AND Month = 11",
       {{"8"}},
       5},
      {"no predicate reads everything", "select count(*) from my_awesome_app_app", {{"8"}}, 5},
      {"between",
       "select day, count(*) from my_awesome_app_app where year = 2018 and month = 11 and day "
       "between 28 and 29 group by day order by day",
       {{"28", "6"}, {"29", "1"}},
       4},
      {"in",
       "select log from my_awesome_app_app where year = 2018 and month = 11 and day in (27, 29) "
       "order by time",
       {{"late ERROR yesterday"}, {"tomorrow ERROR"}},
       2},
      {"constant on the left, strings",
       "select count(*) from my_awesome_app_app where 28 = day and '2018' = year and month = '11'",
       {{"6"}},
       3},
      {"ranges",
       "select count(*) from my_awesome_app_app where year >= 2018 and day > 28",
       {{"1"}},
       1},
      {"ranges below",
       "select count(*) from my_awesome_app_app where year < 2019 and day <= 27",
       {{"1"}},
       1},
      {"or is not pruned beyond its conjuncts",
       "select count(*) from my_awesome_app_app where year = 2018 and (day = 27 or day = 29)",
       {{"2"}},
       5},
      {"not is not pruned",
       "select count(*) from my_awesome_app_app where not (day = 28)",
       {{"2"}},
       5},
      {"alias-qualified columns",
       "select count(*) from my_awesome_app_app t where t.year = 2018 and t.month = 11 and "
       "t.day = 29",
       {{"1"}},
       1},
      {"table-qualified columns",
       "select count(*) from my_awesome_app_app where my_awesome_app_app.day = 27",
       {{"1"}},
       1},
      {"subquery in from",
       "select count(*) from (select * from my_awesome_app_app where year = 2018 and month = 11 "
       "and day = 27) x",
       {{"1"}},
       1},
      {"two references read the union",
       "select count(*) from my_awesome_app_app where day = 28 and task_id in (select task_id "
       "from my_awesome_app_app where day = 27)",
       {{"3"}},
       4},
      {"outer columns in a correlated subquery do not prune the inner table",
       "select count(*) from my_awesome_app_app o where o.day = 27 and exists (select 1 from "
       "my_awesome_app_app i where o.day = 27 and i.day = 28 and i.task_id = o.task_id)",
       {{"1"}},
       4},
      {"contradiction reads nothing",
       "select count(*) from my_awesome_app_app where day = 28 and day = 29",
       {{"0"}},
       0},
      {"partition and line columns",
       "select family, container, year, month, day, task_id, cluster from "
       "\"my_awesome_app_nginx_proxy\"",
       {{"my_awesome_app", "nginx-proxy", "2018", "11", "28", "t2", "prod"}},
       1},
      {"month boundary",
       "select log, month, day from worker_main where year = 2018 and month = 12 and day = 1 "
       "order by time",
       {{"w2", "12", "1"}, {"w3", "12", "1"}},
       1},
      {"join (not pruned, still right)",
       "select a.log, b.log from my_awesome_app_app a join my_awesome_app_nginx_proxy b on "
       "a.task_id = b.task_id where a.year = 2018 and a.day = 28 order by a.time",
       {{"ERROR db timeout", "502 upstream"}, {"last ERROR of the day", "502 upstream"}},
       6},
      {"cte",
       "with e as (select * from my_awesome_app_app where day = 29) select log from e",
       {{"tomorrow ERROR"}},
       1},
  };
}

TEST_F(SqlTest, QueriesReturnRowsAndReadOnlyTheirDays) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    LogStore logs(store_.get(), LogStoreOptions{});
    auto session = SqlSession::Open({.threads = 2});
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    SqlRunInfo info;
    auto result = (*session)->Run(logs, c.sql, &info);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(Cells(*result), c.rows);
    EXPECT_EQ(logs.counters().objects_read.load(), c.objects_read);
    uint64_t objects = 0;
    for (const auto& t : info.tables) objects += t.objects;
    EXPECT_EQ(objects, c.objects_read);
  }
}

TEST_F(SqlTest, SeedQueryListsOnlyThatDay) {
  LogStore logs(store_.get(), LogStoreOptions{});
  auto session = *SqlSession::Open();
  SqlRunInfo info;
  ASSERT_TRUE(session->Run(logs, kSeed, &info).ok());
  ASSERT_EQ(info.tables.size(), 1u);
  EXPECT_EQ(info.tables[0].name, "my_awesome_app_app");
  EXPECT_TRUE(info.tables[0].pruned);
  EXPECT_EQ(info.tables[0].days, 1);
  EXPECT_EQ(logs.counters().objects_selected.load(), 3u);
  EXPECT_TRUE(info.analysis.parsed);
}

TEST_F(SqlTest, RemoteStoreFetchesOnlyThatDay) {
  RemoteLike remote(store_.get());
  LogStoreOptions options;
  options.cache_dir = root_ + "/cache";
  LogStore logs(&remote, options);
  auto session = *SqlSession::Open();
  auto result = session->Run(logs, kSeed);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->rows.size(), 3u);
  EXPECT_EQ(remote.gets.load(), 3);
  // A second run is served from the cache.
  ASSERT_TRUE(session->Run(logs, kSeed).ok());
  EXPECT_EQ(remote.gets.load(), 3);
}

TEST_F(SqlTest, NoLogTableListsTheTables) {
  LogStore logs(store_.get(), LogStoreOptions{});
  auto session = *SqlSession::Open();
  auto result = session->Run(logs, "select * from nope where year = 2018");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find(
                "tables: my_awesome_app_app, my_awesome_app_nginx_proxy, worker_main"),
            std::string::npos)
      << result.status().message();
  EXPECT_EQ(logs.counters().objects_read.load(), 0u);
}

TEST_F(SqlTest, EmptyStoreSaysSo) {
  auto empty = *aws::LocalObjectStore::Open(root_ + "/empty", {.fsync = false});
  LogStore logs(empty.get(), LogStoreOptions{});
  auto result = (*SqlSession::Open())->Run(logs, kSeed);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("the store has none"), std::string::npos)
      << result.status().message();
}

TEST_F(SqlTest, DuckDbErrorsComeBackAsInvalidArgument) {
  LogStore logs(store_.get(), LogStoreOptions{});
  auto session = *SqlSession::Open();
  auto result = session->Run(logs, "select no_such_column from my_awesome_app_app");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("no_such_column"), std::string::npos)
      << result.status().message();
  auto syntax = session->Run(logs, "selec * from my_awesome_app_app");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("syntax error"), std::string::npos)
      << syntax.status().message();
}

TEST_F(SqlTest, DescribeShowsTheSchema) {
  LogStore logs(store_.get(), LogStoreOptions{});
  auto session = *SqlSession::Open();
  auto result = session->Run(logs, "DESCRIBE \"my_awesome_app_app\"");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::vector<std::string> names;
  for (const auto& row : result->rows) names.push_back(*row[0]);
  EXPECT_EQ(names, (std::vector<std::string>{"time", "log", "source", "container_id", "task_id",
                                             "task_arn", "family", "container", "cluster", "year",
                                             "month", "day"}));
  EXPECT_EQ(result->rows[0][1], "VARCHAR");
  EXPECT_EQ(result->rows[9][1], "INTEGER");
}

TEST_F(SqlTest, StatementsDuckDbCannotSerializeFallBackToTheIdentifierScan) {
  LogStore logs(store_.get(), LogStoreOptions{});
  auto session = *SqlSession::Open();
  SqlRunInfo info;
  auto result = session->Run(
      logs, "EXPLAIN select count(*) from \"my_awesome_app_app\" where day = 28", &info);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(info.analysis.parsed);
  EXPECT_FALSE(result->rows.empty());
  ASSERT_EQ(info.tables.size(), 1u);
  EXPECT_FALSE(info.tables[0].pruned);
  EXPECT_EQ(info.tables[0].objects, 5u);
}

TEST_F(SqlTest, AnalyzeFindsTablesAndDayFilters) {
  auto session = *SqlSession::Open();
  std::set<std::string> tables = {"a_b", "c_d"};
  auto a = session->Analyze(
      "select * from \"A_B\" where year between 2017 and 2018 and month in (1, 12) and day = 3 "
      "and log like '%year = 1999%' -- c_d\n",
      tables);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->tables.size(), 1u);
  const TableAccess* ab = a->Find("a_b");
  ASSERT_NE(ab, nullptr);
  EXPECT_FALSE(ab->AllDays());
  EXPECT_TRUE(ab->Matches(2017, 12, 3));
  EXPECT_TRUE(ab->Matches(2018, 1, 3));
  EXPECT_FALSE(ab->Matches(2018, 2, 3));
  EXPECT_FALSE(ab->Matches(2019, 1, 3));
  EXPECT_FALSE(ab->Matches(2018, 1, 4));
  EXPECT_EQ(a->Find("c_d"), nullptr);  // only in a comment

  // A CTE named like a table: every day.
  auto cte = session->Analyze(
      "with a_b as (select * from c_d where day = 1) select * from a_b where day = 2", tables);
  ASSERT_TRUE(cte.ok());
  ASSERT_NE(cte->Find("a_b"), nullptr);
  EXPECT_TRUE(cte->Find("a_b")->AllDays());
  ASSERT_NE(cte->Find("c_d"), nullptr);
  EXPECT_TRUE(cte->Find("c_d")->Matches(2018, 1, 1));
  EXPECT_FALSE(cte->Find("c_d")->Matches(2018, 1, 2));

  // Not serializable: the identifier scan, no pruning; strings and comments are skipped.
  auto scan = session->Analyze("EXPLAIN select * from \"c_d\" /* a_b */ where 'a_b' = log", tables);
  ASSERT_TRUE(scan.ok());
  EXPECT_FALSE(scan->parsed);
  ASSERT_EQ(scan->tables.size(), 1u);
  EXPECT_EQ(scan->tables[0].first, "c_d");
  EXPECT_TRUE(scan->tables[0].second.AllDays());
}

TEST(IntervalSetTest, IntersectAndUnion) {
  IntervalSet a = IntervalSet::Range(1, 5).Union(IntervalSet::Range(10, 12));
  EXPECT_TRUE(a.Contains(5));
  EXPECT_FALSE(a.Contains(6));
  IntervalSet b = a.Intersect(IntervalSet::Range(4, 10));
  ASSERT_EQ(b.ranges().size(), 2u);
  EXPECT_EQ(b.ranges()[0], (std::pair<int64_t, int64_t>{4, 5}));
  EXPECT_EQ(b.ranges()[1], (std::pair<int64_t, int64_t>{10, 10}));
  EXPECT_EQ(b.min(), 4);
  EXPECT_EQ(b.max(), 10);
  EXPECT_TRUE(IntervalSet::All().is_all());
  EXPECT_FALSE(IntervalSet::All().min().has_value());
  EXPECT_TRUE(IntervalSet::Range(3, 2).empty());
  EXPECT_TRUE(IntervalSet::Range(1, 2).Union(IntervalSet::Range(3, 4)).ranges().size() == 1);
}

SqlResult Sample() {
  SqlResult r;
  r.columns = {"name", "n", "ok", "note"};
  r.kinds = {SqlValueKind::kString, SqlValueKind::kNumber, SqlValueKind::kBool,
             SqlValueKind::kString};
  r.rows = {{"a,b", "12", "true", std::nullopt},
            {"say \"hi\"\nthere", "3.5", "false", "x"},
            {"é", "nan", std::nullopt, ""}};
  return r;
}

TEST(SqlFormatTest, Csv) {
  EXPECT_EQ(FormatSqlCsv(Sample()),
            "name,n,ok,note\n"
            "\"a,b\",12,true,\n"
            "\"say \"\"hi\"\"\nthere\",3.5,false,x\n"
            "é,nan,,\n");
}

TEST(SqlFormatTest, JsonLines) {
  EXPECT_EQ(FormatSqlJsonLines(Sample()),
            "{\"name\":\"a,b\",\"n\":12,\"ok\":true,\"note\":null}\n"
            "{\"name\":\"say \\\"hi\\\"\\nthere\",\"n\":3.5,\"ok\":false,\"note\":\"x\"}\n"
            "{\"name\":\"é\",\"n\":\"nan\",\"ok\":null,\"note\":\"\"}\n");
}

TEST(SqlFormatTest, Table) {
  EXPECT_EQ(FormatSqlTable(Sample()),
            "name            | n   | ok    | note\n"
            "----------------+-----+-------+-----\n"
            "a,b             |  12 | true  | NULL\n"
            "say \"hi\"\\nthere | 3.5 | false | x\n"
            "é               | nan | NULL  | \n"
            "(3 rows)\n");
  EXPECT_EQ(FormatSqlTable(Sample(), 5).substr(0, 27), "name  | n   | ok    | note\n");
  EXPECT_NE(FormatSqlTable(Sample(), 5).find("say \xE2\x80\xA6 |"), std::string::npos);
}

TEST_F(SqlTest, EndToEndFormats) {
  LogStore logs(store_.get(), LogStoreOptions{});
  auto session = *SqlSession::Open();
  auto result = session->Run(
      logs,
      "select log, day, day = 28 as is_28 from my_awesome_app_app where year = 2018 and month = "
      "11 and day = 28 and log like '%quoted%'");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(FormatSqlCsv(*result), "log,day,is_28\n\"ERROR, \"\"quoted\"\"\",28,true\n");
  EXPECT_EQ(FormatSqlJsonLines(*result),
            "{\"log\":\"ERROR, \\\"quoted\\\"\",\"day\":28,\"is_28\":true}\n");
}

TEST_F(SqlTest, StreamedOutputEqualsTheCollectedOne) {
  LogStore logs(store_.get(), LogStoreOptions{});
  auto session = *SqlSession::Open();
  // Many chunks and more than one flush: every fixture line times 3000, with a number column.
  const std::string q =
      "select log, r, r % 7 = 0 as seventh from my_awesome_app_app, range(3000) t(r) "
      "order by time, r";
  auto collected = session->Run(logs, q);
  ASSERT_TRUE(collected.ok()) << collected.status().ToString();
  ASSERT_GT(collected->rows.size(), 6000u);
  for (auto format : {SqlTextWriter::Format::kCsv, SqlTextWriter::Format::kJsonLines}) {
    std::string streamed;
    int flushes = 0;
    SqlTextWriter writer(format, [&](std::string_view text) {
      streamed += text;
      ++flushes;
    });
    auto rows = session->Run(logs, q, writer);
    writer.Finish();
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(*rows, collected->rows.size());
    EXPECT_GT(flushes, 1);
    EXPECT_EQ(streamed, format == SqlTextWriter::Format::kCsv ? FormatSqlCsv(*collected)
                                                              : FormatSqlJsonLines(*collected));
  }
}

TEST_F(SqlTest, StreamedQueryErrorsComeBackBeforeAnyRow) {
  LogStore logs(store_.get(), LogStoreOptions{});
  auto session = *SqlSession::Open();
  SqlTextWriter writer(SqlTextWriter::Format::kCsv);
  auto rows = session->Run(logs, "select no_such_column from my_awesome_app_app", writer);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(writer.text(), "");
}

}  // namespace
}  // namespace steady::search
