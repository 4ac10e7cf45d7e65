#include "region/glue_model.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>

#include "aws/aws_error.h"

namespace steady::region {
namespace {

using nlohmann::json;

Status NoOp(std::string_view) { return Status::Ok(); }

aws::GlueTable LogTable(const std::string& name) {
  aws::GlueTable t;
  t.name = name;
  t.description = "access logs";
  t.table_type = "EXTERNAL_TABLE";
  t.parameters = {{"EXTERNAL", "TRUE"}, {"classification", "json"}};
  t.partition_keys = {{"dt", "string", "day"}, {"hour", "string", ""}};
  t.storage_descriptor.columns = {{"ts", "bigint", ""}, {"msg", "string", "the line"}};
  t.storage_descriptor.location = "s3://logs/app/";
  t.storage_descriptor.input_format = "org.apache.hadoop.mapred.TextInputFormat";
  t.storage_descriptor.output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
  t.storage_descriptor.compressed = true;
  t.storage_descriptor.serde_info = {"org.openx.data.jsonserde.JsonSerDe", {{"a", "b"}}};
  return t;
}

aws::GluePartition Part(std::vector<std::string> values) {
  aws::GluePartition p;
  p.storage_descriptor.location = "s3://logs/app/" + (values.empty() ? "" : values[0]) + "/";
  p.values = std::move(values);
  p.parameters = {{"k", "v"}};
  return p;
}

class GlueModelTest : public ::testing::Test {
 protected:
  GlueModelTest() {
    journal_ = *Journal::Open({}, NoOp, NoOp);
    ctx_ = std::make_unique<RegionContext>(clock_, *journal_);
    glue_ = std::make_unique<GlueModel>(*ctx_);
  }

  ManualClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RegionContext> ctx_;
  std::unique_ptr<GlueModel> glue_;
};

TEST_F(GlueModelTest, DatabasesAreLowerCasedAndUnique) {
  ASSERT_TRUE(glue_->CreateDatabase("Logs", "all logs").ok());
  Status again = glue_->CreateDatabase("LOGS", "");
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(aws::AwsErrorCode(again), "AlreadyExistsException");
  EXPECT_TRUE(glue_->GetDatabase("logs").ok());
  auto d = glue_->DescribeDatabase("lOgS");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->name, "logs");
  EXPECT_EQ(d->description, "all logs");
  EXPECT_EQ(d->create_time, clock_.Now());
  Status missing = glue_->GetDatabase("nope");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(aws::AwsErrorCode(missing), "EntityNotFoundException");
  EXPECT_EQ(glue_->CreateDatabase("", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(glue_->CreateDatabase(std::string(256, 'a'), "").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(glue_->CreateDatabase(std::string(255, 'a'), "").ok());
  EXPECT_EQ(aws::AwsErrorCode(glue_->CreateDatabase("bad\nname", "")), "InvalidInputException");
}

TEST_F(GlueModelTest, TableLifecycle) {
  ASSERT_TRUE(glue_->CreateDatabase("logs", "").ok());
  aws::GlueTable in = LogTable("Access");
  EXPECT_EQ(glue_->CreateTable("nodb", in).code(), StatusCode::kNotFound);
  ASSERT_TRUE(glue_->CreateTable("Logs", in).ok());
  EXPECT_EQ(glue_->CreateTable("logs", LogTable("ACCESS")).code(), StatusCode::kAlreadyExists);

  Time created = clock_.Now();
  auto t = glue_->GetTable("logs", "access");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->name, "access");
  EXPECT_EQ(t->database_name, "logs");
  EXPECT_EQ(t->description, in.description);
  EXPECT_EQ(t->table_type, in.table_type);
  EXPECT_EQ(t->parameters, in.parameters);
  EXPECT_EQ(t->partition_keys, in.partition_keys);
  EXPECT_EQ(t->storage_descriptor, in.storage_descriptor);
  EXPECT_EQ(t->create_time, created);
  EXPECT_EQ(t->update_time, created);

  clock_.Advance(std::chrono::seconds(90));
  aws::GlueTable changed = in;
  changed.name = "access";
  changed.storage_descriptor.columns.push_back({"level", "string", ""});
  changed.parameters["projection.enabled"] = "true";
  ASSERT_TRUE(glue_->UpdateTable("logs", changed).ok());
  t = glue_->GetTable("logs", "access");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->storage_descriptor.columns.size(), 3u);
  EXPECT_EQ(t->parameters.at("projection.enabled"), "true");
  EXPECT_EQ(t->create_time, created);
  EXPECT_EQ(t->update_time, clock_.Now());
  EXPECT_EQ(glue_->UpdateTable("logs", LogTable("other")).code(), StatusCode::kNotFound);

  ASSERT_TRUE(glue_->DeleteTable("logs", "ACCESS").ok());
  Status gone = glue_->GetTable("logs", "access").status();
  EXPECT_EQ(gone.code(), StatusCode::kNotFound);
  EXPECT_EQ(aws::AwsErrorCode(gone), "EntityNotFoundException");
  EXPECT_EQ(glue_->DeleteTable("logs", "access").code(), StatusCode::kNotFound);
}

TEST_F(GlueModelTest, DeleteDatabaseDropsItsTables) {
  ASSERT_TRUE(glue_->CreateDatabase("logs", "").ok());
  ASSERT_TRUE(glue_->CreateTable("logs", LogTable("a")).ok());
  ASSERT_TRUE(glue_->DeleteDatabase("logs").ok());
  EXPECT_EQ(glue_->DeleteDatabase("logs").code(), StatusCode::kNotFound);
  ASSERT_TRUE(glue_->CreateDatabase("logs", "").ok());
  auto tables = glue_->GetTables("logs");
  ASSERT_TRUE(tables.ok());
  EXPECT_TRUE(tables->empty());
  EXPECT_EQ(glue_->GetTables("nodb").status().code(), StatusCode::kNotFound);
}

TEST_F(GlueModelTest, TablesAndDatabasesPaginate) {
  ASSERT_TRUE(glue_->CreateDatabase("logs", "").ok());
  for (int i = 0; i < 250; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "t%03d", i);
    ASSERT_TRUE(glue_->CreateTable("logs", LogTable(name)).ok());
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = glue_->GetTablesPage("logs", token, 7);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->items.size(), 7u);
    for (const auto& t : page->items) seen.push_back(t.name);
    token = page->next_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 36);  // 35 full pages of 7, then 5
  ASSERT_EQ(seen.size(), 250u);
  EXPECT_EQ(seen.front(), "t000");
  EXPECT_EQ(seen.back(), "t249");
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  auto first = glue_->GetTablesPage("logs", "", 0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 100u);  // Glue's largest page
  auto all = glue_->GetTables("logs");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 250u);
  EXPECT_EQ(glue_->GetTablesPage("logs", "", 101).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(aws::AwsErrorCode(glue_->GetTablesPage("logs", "garbage!", 0).status()),
            "InvalidInputException");

  ASSERT_TRUE(glue_->CreateDatabase("zz", "").ok());
  auto dbs = glue_->GetDatabasesPage("", 1);
  ASSERT_TRUE(dbs.ok());
  ASSERT_EQ(dbs->items.size(), 1u);
  EXPECT_EQ(dbs->items[0].name, "logs");
  ASSERT_FALSE(dbs->next_token.empty());
  dbs = glue_->GetDatabasesPage(dbs->next_token, 1);
  ASSERT_TRUE(dbs.ok());
  ASSERT_EQ(dbs->items.size(), 1u);
  EXPECT_EQ(dbs->items[0].name, "zz");
  EXPECT_TRUE(dbs->next_token.empty());
}

TEST_F(GlueModelTest, BatchCreatePartitionReportsEachFailure) {
  ASSERT_TRUE(glue_->CreateDatabase("logs", "").ok());
  ASSERT_TRUE(glue_->CreateTable("logs", LogTable("access")).ok());
  auto r = glue_->BatchCreatePartition("logs", "access",
                                       {Part({"2026-12-01", "00"}), Part({"2026-12-01", "01"})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());

  clock_.Advance(std::chrono::seconds(5));
  // A duplicate of the catalog, a duplicate within the batch, a wrong value count, and one new.
  r = glue_->BatchCreatePartition("logs", "ACCESS",
                                  {Part({"2026-12-01", "00"}), Part({"2026-12-01", "02"}),
                                   Part({"2026-12-01", "02"}), Part({"2026-12-01"})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].values, (std::vector<std::string>{"2026-12-01", "00"}));
  EXPECT_EQ((*r)[0].error_code, "AlreadyExistsException");
  EXPECT_EQ((*r)[1].values, (std::vector<std::string>{"2026-12-01", "02"}));
  EXPECT_EQ((*r)[1].error_code, "AlreadyExistsException");
  EXPECT_EQ((*r)[2].values, std::vector<std::string>{"2026-12-01"});
  EXPECT_EQ((*r)[2].error_code, "InvalidInputException");
  EXPECT_FALSE((*r)[2].error_message.empty());

  auto parts = glue_->GetPartitions("logs", "access");
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[2].values, (std::vector<std::string>{"2026-12-01", "02"}));
  EXPECT_EQ((*parts)[2].creation_time, clock_.Now());
  EXPECT_EQ((*parts)[0].creation_time, clock_.Now() - std::chrono::seconds(5));
  EXPECT_EQ((*parts)[0].storage_descriptor.location, "s3://logs/app/2026-12-01/");
  EXPECT_EQ((*parts)[0].parameters.at("k"), "v");

  std::vector<aws::GluePartition> many;
  for (int i = 0; i < 101; ++i) many.push_back(Part({"d", std::to_string(i)}));
  auto too_many = glue_->BatchCreatePartition("logs", "access", many);
  EXPECT_EQ(aws::AwsErrorCode(too_many.status()), "InvalidInputException");
  many.pop_back();
  auto hundred = glue_->BatchCreatePartition("logs", "access", many);
  ASSERT_TRUE(hundred.ok());
  EXPECT_TRUE(hundred->empty());
  EXPECT_EQ(glue_->GetPartitions("logs", "access")->size(), 103u);

  EXPECT_EQ(glue_->BatchCreatePartition("logs", "nope", {Part({"a", "b"})}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(glue_->GetPartitions("logs", "nope").status().code(), StatusCode::kNotFound);
}

TEST_F(GlueModelTest, PartitionsPaginateAndSurviveTableUpdate) {
  ASSERT_TRUE(glue_->CreateDatabase("logs", "").ok());
  ASSERT_TRUE(glue_->CreateTable("logs", LogTable("access")).ok());
  for (int batch = 0; batch < 25; ++batch) {
    std::vector<aws::GluePartition> ps;
    for (int h = 0; h < 100; ++h)
      ps.push_back(Part({"day" + std::to_string(100 + batch), std::to_string(100 + h)}));
    auto r = glue_->BatchCreatePartition("logs", "access", ps);
    ASSERT_TRUE(r.ok() && r->empty());
  }
  ASSERT_TRUE(glue_->UpdateTable("logs", LogTable("access")).ok());
  auto first = glue_->GetPartitionsPage("logs", "access", "", 0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 1000u);
  std::set<std::vector<std::string>> seen;
  std::string token;
  do {
    auto page = glue_->GetPartitionsPage("logs", "access", token, 333);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& p : page->items) EXPECT_TRUE(seen.insert(p.values).second);
    token = page->next_token;
  } while (!token.empty());
  EXPECT_EQ(seen.size(), 2500u);
  EXPECT_EQ(glue_->GetPartitionsPage("logs", "access", "", 1001).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(GlueModelTest, SinglePartitionOperations) {
  ASSERT_TRUE(glue_->CreateDatabase("logs", "").ok());
  ASSERT_TRUE(glue_->CreateTable("logs", LogTable("access")).ok());
  ASSERT_TRUE(glue_->CreatePartition("logs", "Access", Part({"2026-12-01", "00"})).ok());
  EXPECT_EQ(aws::AwsErrorCode(glue_->CreatePartition("logs", "access", Part({"2026-12-01", "00"}))),
            "AlreadyExistsException");
  EXPECT_EQ(aws::AwsErrorCode(glue_->CreatePartition("logs", "access", Part({"2026-12-01"}))),
            "InvalidInputException");

  auto got = glue_->GetPartition("logs", "access", {"2026-12-01", "00"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->storage_descriptor.location, "s3://logs/app/2026-12-01/");
  EXPECT_EQ(got->creation_time, clock_.Now());
  auto missing = glue_->GetPartition("logs", "access", {"2026-12-01", "01"});
  EXPECT_EQ(aws::AwsErrorCode(missing.status()), "EntityNotFoundException");
  EXPECT_NE(missing.status().message().find("[2026-12-01, 01]"), std::string::npos);

  // Update in place (values omitted keep the partition's own), then under new values.
  const Time created = clock_.Now();
  clock_.Advance(std::chrono::minutes(1));
  aws::GluePartition input;
  input.storage_descriptor.location = "s3://elsewhere/";
  ASSERT_TRUE(glue_->UpdatePartition("logs", "access", {"2026-12-01", "00"}, input).ok());
  EXPECT_EQ(
      glue_->GetPartition("logs", "access", {"2026-12-01", "00"})->storage_descriptor.location,
      "s3://elsewhere/");
  input.values = {"2026-12-02", "00"};
  ASSERT_TRUE(glue_->UpdatePartition("logs", "access", {"2026-12-01", "00"}, input).ok());
  EXPECT_EQ(glue_->GetPartition("logs", "access", {"2026-12-01", "00"}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(glue_->GetPartition("logs", "access", {"2026-12-02", "00"})->creation_time, created);
  ASSERT_TRUE(glue_->CreatePartition("logs", "access", Part({"2026-12-03", "00"})).ok());
  input.values = {"2026-12-03", "00"};
  EXPECT_EQ(
      aws::AwsErrorCode(glue_->UpdatePartition("logs", "access", {"2026-12-02", "00"}, input)),
      "AlreadyExistsException");
  EXPECT_EQ(aws::AwsErrorCode(glue_->UpdatePartition("logs", "access", {"x", "y"}, input)),
            "EntityNotFoundException");

  auto batch = glue_->BatchGetPartition(
      "logs", "access", {{"2026-12-03", "00"}, {"nope", "00"}, {"2026-12-02", "00"}});
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_EQ((*batch)[0].values[0], "2026-12-03");
  EXPECT_EQ((*batch)[1].values[0], "2026-12-02");
  EXPECT_EQ(aws::AwsErrorCode(glue_->BatchGetPartition("logs", "access", {}).status()),
            "InvalidInputException");

  auto deleted = glue_->BatchDeletePartition(
      "logs", "access", {{"2026-12-03", "00"}, {"nope", "00"}, {"2026-12-03", "00"}});
  ASSERT_TRUE(deleted.ok());
  ASSERT_EQ(deleted->size(), 2u);  // the missing one, and the one already deleted by this call
  EXPECT_EQ((*deleted)[0].values, (std::vector<std::string>{"nope", "00"}));
  EXPECT_EQ((*deleted)[0].error_code, "EntityNotFoundException");
  EXPECT_EQ((*deleted)[1].values, (std::vector<std::string>{"2026-12-03", "00"}));
  std::vector<std::vector<std::string>> too_many(26, {"a", "b"});
  EXPECT_EQ(aws::AwsErrorCode(glue_->BatchDeletePartition("logs", "access", too_many).status()),
            "InvalidInputException");

  ASSERT_TRUE(glue_->DeletePartition("logs", "access", {"2026-12-02", "00"}).ok());
  EXPECT_EQ(aws::AwsErrorCode(glue_->DeletePartition("logs", "access", {"2026-12-02", "00"})),
            "EntityNotFoundException");
  EXPECT_TRUE(glue_->GetPartitions("logs", "access")->empty());
}

TEST_F(GlueModelTest, ExpressionsFilterPagesWithoutShortPagesInTheMiddle) {
  ASSERT_TRUE(glue_->CreateDatabase("logs", "").ok());
  aws::GlueTable t = LogTable("access");
  t.partition_keys = {{"year", "int", ""}, {"day", "int", ""}};
  ASSERT_TRUE(glue_->CreateTable("logs", t).ok());
  ASSERT_TRUE(glue_->CreateTable("logs", LogTable("errors")).ok());
  std::vector<aws::GluePartition> ps;
  for (int day = 1; day <= 31; ++day) ps.push_back(Part({"2018", std::to_string(day)}));
  ASSERT_TRUE(glue_->BatchCreatePartition("logs", "access", ps)->empty());

  // Days 9..20, numerically (as text "10" < "9"), in pages of 5: 5, 5, 2.
  std::vector<size_t> sizes;
  std::set<int> days;
  std::string token;
  do {
    auto page = glue_->GetPartitionsPage("logs", "access", token, 5,
                                         "year = 2018 and day between 9 and 20");
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    sizes.push_back(page->items.size());
    for (const auto& p : page->items) days.insert(std::stoi(p.values[1]));
    token = page->next_token;
  } while (!token.empty());
  EXPECT_EQ(sizes, (std::vector<size_t>{5, 5, 2}));
  EXPECT_EQ(days.size(), 12u);
  EXPECT_EQ(*days.begin(), 9);
  EXPECT_EQ(*days.rbegin(), 20);

  auto bad = glue_->GetPartitionsPage("logs", "access", "", 0, "hour = 1");
  EXPECT_EQ(aws::AwsErrorCode(bad.status()), "InvalidInputException");
  EXPECT_NE(bad.status().message().find("unknown partition key 'hour'"), std::string::npos);

  auto tables = glue_->GetTablesPage("logs", "", 0, "acc*");
  ASSERT_TRUE(tables.ok());
  ASSERT_EQ(tables->items.size(), 1u);
  EXPECT_EQ(tables->items[0].name, "access");
  EXPECT_EQ(aws::AwsErrorCode(glue_->GetTablesPage("logs", "", 0, "(").status()),
            "InvalidInputException");
}

TEST(GlueModelDurability, CatalogSurvivesReopenAndSnapshot) {
  std::string dir = testing::TempDir() + "/glue_durable_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  ManualClock clock;
  json snapshot;
  {
    auto j = *Journal::Open({.dir = dir}, NoOp, NoOp);
    RegionContext ctx{clock, *j};
    GlueModel glue(ctx);
    ASSERT_TRUE(glue.CreateDatabase("Logs", "kept").ok());
    ASSERT_TRUE(glue.CreateDatabase("doomed", "").ok());
    ASSERT_TRUE(glue.CreateTable("doomed", LogTable("x")).ok());
    ASSERT_TRUE(glue.CreateTable("logs", LogTable("access")).ok());
    ASSERT_TRUE(glue.CreateTable("logs", LogTable("dropped")).ok());
    ASSERT_TRUE(glue.BatchCreatePartition("logs", "access", {Part({"d1", "h1"})}).ok());
    clock.Advance(std::chrono::minutes(1));
    aws::GlueTable updated = LogTable("access");
    updated.description = "updated";
    ASSERT_TRUE(glue.UpdateTable("logs", updated).ok());
    ASSERT_TRUE(glue.BatchCreatePartition("logs", "access", {Part({"d1", "h2"})}).ok());
    ASSERT_TRUE(glue.CreatePartition("logs", "access", Part({"d1", "h3"})).ok());
    ASSERT_TRUE(glue.CreatePartition("logs", "access", Part({"d1", "h4"})).ok());
    ASSERT_TRUE(glue.CreatePartition("logs", "access", Part({"d1", "h6"})).ok());
    aws::GluePartition moved = Part({"d1", "h5"});
    moved.storage_descriptor.location = "s3://moved/";
    ASSERT_TRUE(glue.UpdatePartition("logs", "access", {"d1", "h3"}, moved).ok());
    ASSERT_TRUE(glue.DeletePartition("logs", "access", {"d1", "h4"}).ok());
    ASSERT_TRUE(glue.BatchDeletePartition("logs", "access", {{"d1", "h6"}})->empty());
    ASSERT_TRUE(glue.DeleteTable("logs", "dropped").ok());
    ASSERT_TRUE(glue.DeleteDatabase("doomed").ok());
    std::lock_guard lock(glue.mutex());
    snapshot = glue.Snapshot();
  }
  auto check = [&](GlueModel& glue) {
    auto dbs = glue.GetDatabasesPage("", 0);
    ASSERT_TRUE(dbs.ok());
    ASSERT_EQ(dbs->items.size(), 1u);
    EXPECT_EQ(dbs->items[0].name, "logs");
    EXPECT_EQ(dbs->items[0].description, "kept");
    auto tables = glue.GetTables("logs");
    ASSERT_TRUE(tables.ok());
    ASSERT_EQ(tables->size(), 1u);
    const aws::GlueTable& t = (*tables)[0];
    EXPECT_EQ(t.description, "updated");
    EXPECT_EQ(t.storage_descriptor, LogTable("access").storage_descriptor);
    EXPECT_EQ(t.update_time - t.create_time, std::chrono::minutes(1));
    auto parts = glue.GetPartitions("logs", "access");
    ASSERT_TRUE(parts.ok());
    ASSERT_EQ(parts->size(), 3u);
    EXPECT_EQ((*parts)[1].values, (std::vector<std::string>{"d1", "h2"}));
    EXPECT_EQ((*parts)[1].creation_time, clock.Now());
    EXPECT_EQ((*parts)[2].values, (std::vector<std::string>{"d1", "h5"}));
    EXPECT_EQ((*parts)[2].storage_descriptor.location, "s3://moved/");
    EXPECT_EQ((*parts)[2].creation_time, clock.Now());
  };
  {
    auto j2 = *Journal::Open({}, NoOp, NoOp);
    RegionContext ctx2{clock, *j2};
    GlueModel glue2(ctx2);
    auto reopened = Journal::Open({.dir = dir}, NoOp,
                                  [&](std::string_view d) { return glue2.Replay(json::parse(d)); });
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    check(glue2);
  }
  {
    auto j3 = *Journal::Open({}, NoOp, NoOp);
    RegionContext ctx3{clock, *j3};
    GlueModel glue3(ctx3);
    ASSERT_TRUE(glue3.Restore(snapshot).ok());
    check(glue3);
  }
  std::filesystem::remove_all(dir);
}

TEST(GlueModelDurability, RejectsARecordItCannotApply) {
  ManualClock clock;
  auto j = *Journal::Open({}, NoOp, NoOp);
  RegionContext ctx{clock, *j};
  GlueModel glue(ctx);
  EXPECT_EQ(glue.Replay(json{{"s", "glue"}, {"op", "frob"}}).code(), StatusCode::kDataLoss);
  EXPECT_EQ(glue.Replay(json{{"s", "glue"}, {"op", "table"}, {"db", "none"}}).code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(glue.Replay(json{{"s", "glue"}, {"op", "db"}, {"name", 5}}).code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace steady::region
