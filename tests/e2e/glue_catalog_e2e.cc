// The Glue Data Catalog of the local region through steady's GlueClient over HTTP (SigV4,
// awsJson1_1, error decoding) and in-process, as one contract; and `steady logs catalog --apply`
// (search::ApplyCatalog) against it: tables created once, left alone when unchanged, updated
// when they differ, daily partitions created once.
#include <gtest/gtest.h>

#include "aws/credentials.h"
#include "aws/glue_client.h"
#include "base/metrics.h"
#include "net/http_client_curl.h"
#include "region/region.h"
#include "search/catalog.h"

namespace steady {
namespace {

enum class Path { kInProcess, kHttp };

class GlueCatalog : public ::testing::TestWithParam<Path> {
 protected:
  void SetUp() override {
    region::RegionOptions o;
    o.listen = "127.0.0.1:0";
    auto r = region::Region::Open(o, SystemClock::Get(), metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    ASSERT_TRUE(region_->Start().ok());
    creds_ = aws::StaticCredentials({"AKIDTEST", "secret", "", std::nullopt});
    aws::TransportOptions to;
    to.endpoint = region_->endpoint();
    transport_ = std::make_unique<aws::AwsTransport>(aws::GlueService(), to, http_, *creds_,
                                                     SystemClock::Get(), metrics_);
    client_ = std::make_unique<aws::GlueClient>(*transport_);
  }
  void TearDown() override {
    if (region_) region_->Stop();
  }
  aws::Glue& glue() {
    if (GetParam() == Path::kHttp) return *client_;
    return *dynamic_cast<aws::Glue*>(region_->model("glue"));
  }

  MetricsRegistry metrics_;
  std::unique_ptr<region::Region> region_;
  net::CurlHttpClient http_;
  std::unique_ptr<aws::CredentialsProvider> creds_;
  std::unique_ptr<aws::AwsTransport> transport_;
  std::unique_ptr<aws::GlueClient> client_;
};

search::CatalogOptions Options() {
  search::CatalogOptions o;
  o.location = "s3://steady-logs/service-logs/";
  return o;
}

const std::vector<search::Stream> kStreams = {{"web", "app"}, {"batch", "job"}};

TEST_P(GlueCatalog, TablesAndPartitionsRoundTrip) {
  aws::Glue& g = glue();
  EXPECT_EQ(g.GetDatabase("logs").code(), StatusCode::kNotFound);
  ASSERT_TRUE(g.CreateDatabase("logs", "d").ok());
  EXPECT_TRUE(g.GetDatabase("logs").ok());
  EXPECT_EQ(g.CreateDatabase("logs", "d").code(), StatusCode::kAlreadyExists);

  aws::GlueTable t = search::GlueTableFor({"web", "app"}, Options());
  ASSERT_TRUE(g.CreateTable("logs", t).ok());
  EXPECT_EQ(g.CreateTable("logs", t).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(g.CreateTable("nope", t).code(), StatusCode::kNotFound);
  auto got = g.GetTable("logs", "web_app");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->name, "web_app");
  EXPECT_EQ(got->database_name, "logs");
  EXPECT_EQ(got->table_type, "EXTERNAL_TABLE");
  EXPECT_EQ(got->parameters, t.parameters);
  EXPECT_EQ(got->partition_keys, t.partition_keys);
  EXPECT_EQ(got->storage_descriptor, t.storage_descriptor);
  EXPECT_EQ(got->storage_descriptor.location, "s3://steady-logs/service-logs/web/app/");
  EXPECT_EQ(got->parameters.at("storage.location.template"),
            "s3://steady-logs/service-logs/web/app/${year}/${month}/${day}/");

  t.parameters["projection.year.range"] = "2020,2030";
  ASSERT_TRUE(g.UpdateTable("logs", t).ok());
  EXPECT_EQ(g.GetTable("logs", "web_app")->parameters.at("projection.year.range"), "2020,2030");
  auto tables = g.GetTables("logs");
  ASSERT_TRUE(tables.ok());
  ASSERT_EQ(tables->size(), 1u);

  aws::GluePartition p;
  p.values = {"2026", "11", "30"};
  p.storage_descriptor = t.storage_descriptor;
  p.storage_descriptor.location += "2026/11/30/";
  aws::GluePartition q = p;
  q.values = {"2026", "12", "1"};
  auto errors = g.BatchCreatePartition("logs", "web_app", {p, q});
  ASSERT_TRUE(errors.ok()) << errors.status().ToString();
  EXPECT_TRUE(errors->empty());
  errors = g.BatchCreatePartition("logs", "web_app", {p});
  ASSERT_TRUE(errors.ok());
  ASSERT_EQ(errors->size(), 1u);
  EXPECT_EQ((*errors)[0].error_code, "AlreadyExistsException");
  EXPECT_EQ((*errors)[0].values, p.values);
  auto parts = g.GetPartitions("logs", "web_app");
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);

  ASSERT_TRUE(g.DeleteTable("logs", "web_app").ok());
  EXPECT_EQ(g.GetTable("logs", "web_app").status().code(), StatusCode::kNotFound);
}

TEST_P(GlueCatalog, ApplyCreatesOnceLeavesAloneAndUpdates) {
  auto first = search::ApplyCatalog(glue(), kStreams, Options());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->database_created);
  EXPECT_EQ(first->tables_created, 2);
  auto again = search::ApplyCatalog(glue(), kStreams, Options());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->database_created);
  EXPECT_EQ(again->tables_created, 0);
  EXPECT_EQ(again->tables_unchanged, 2);
  search::CatalogOptions o = Options();
  o.last_year = 2050;
  auto changed = search::ApplyCatalog(glue(), kStreams, o);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->tables_updated, 2);
  EXPECT_EQ(glue().GetTable("steady_logs", "batch_job")->parameters.at("projection.year.range"),
            "2015,2050");
}

TEST_P(GlueCatalog, PartitionsModeCreatesEachDayOnce) {
  search::CatalogOptions o = Options();
  o.mode = search::CatalogMode::kPartitions;
  o.since = FromUnixSeconds(1'764'460'800);  // 2025-11-30
  o.until = o.since + std::chrono::hours(24 * 130);
  auto first = search::ApplyCatalog(glue(), kStreams, o);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->partitions_created, 2 * 131);  // more than one batch of 100 per table
  auto parts = glue().GetPartitions("steady_logs", "web_app");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->size(), 131u);
  auto again = search::ApplyCatalog(glue(), kStreams, o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->partitions_created, 0);
  EXPECT_EQ(again->partitions_existing, 2 * 131);
  EXPECT_EQ(glue().GetTable("steady_logs", "web_app")->parameters.count("projection.enabled"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Paths, GlueCatalog, ::testing::Values(Path::kInProcess, Path::kHttp),
                         [](const auto& info) {
                           return info.param == Path::kHttp ? "Http" : "InProcess";
                         });

}  // namespace
}  // namespace steady
