#include "search/catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/time_format.h"

namespace steady::search {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<Stream> Streams() {
  return {{"my_awesome_app", "app"}, {"my_awesome_app", "nginx-proxy"}};
}

CatalogOptions Options() {
  CatalogOptions o;
  o.location = "s3://logs-bucket/service-logs";
  return o;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(CatalogTest, ProjectionTableIsWhatAthenaNeeds) {
  auto ddl = CatalogDdl(Streams(), Options());
  ASSERT_TRUE(ddl.ok()) << ddl.status().ToString();
  const std::string& d = *ddl;
  EXPECT_THAT(d, HasSubstr("CREATE DATABASE IF NOT EXISTS `steady_logs`;\n"));
  EXPECT_EQ(Count(d, "CREATE EXTERNAL TABLE IF NOT EXISTS"), 2u);
  EXPECT_THAT(d,
              HasSubstr("CREATE EXTERNAL TABLE IF NOT EXISTS `steady_logs`.`my_awesome_app_app` (\n"
                        "  `time` string,\n  `log` string,\n  `source` string,\n"
                        "  `container_id` string,\n  `task_id` string,\n  `task_arn` string,\n"
                        "  `family` string,\n  `container` string,\n  `cluster` string\n)\n"
                        "PARTITIONED BY (`year` int, `month` int, `day` int)\n"
                        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"));
  EXPECT_THAT(d, HasSubstr("`steady_logs`.`my_awesome_app_nginx_proxy`"));
  EXPECT_THAT(d, HasSubstr("LOCATION 's3://logs-bucket/service-logs/my_awesome_app/app/'\n"));
  EXPECT_THAT(d, HasSubstr("'projection.enabled' = 'true'"));
  EXPECT_THAT(d, HasSubstr("'projection.year.type' = 'integer'"));
  EXPECT_THAT(d, HasSubstr("'projection.year.range' = '2015,2099'"));
  EXPECT_THAT(d,
              HasSubstr("'projection.month.range' = '1,12',\n  'projection.month.digits' = '2'"));
  EXPECT_THAT(d, HasSubstr("'projection.day.range' = '1,31',\n  'projection.day.digits' = '2'"));
  EXPECT_THAT(d, HasSubstr("'storage.location.template' = "
                           "'s3://logs-bucket/service-logs/my_awesome_app/nginx-proxy/"
                           "${year}/${month}/${day}/'"));
  EXPECT_THAT(d, Not(HasSubstr("ALTER TABLE")));
}

TEST(CatalogTest, PartitionsModeAddsOnePartitionPerDayAndTable) {
  CatalogOptions o = Options();
  o.mode = CatalogMode::kPartitions;
  o.database = "logs2";
  o.location = "s3://b/p/";
  o.since = *ParseRfc3339("2018-11-30T10:00:00Z");
  o.until = *ParseRfc3339("2018-12-01T00:00:00Z");
  auto ddl = CatalogDdl(Streams(), o);
  ASSERT_TRUE(ddl.ok()) << ddl.status().ToString();
  EXPECT_THAT(*ddl, Not(HasSubstr("projection")));
  EXPECT_EQ(Count(*ddl, "ALTER TABLE"), 4u);
  EXPECT_THAT(*ddl, HasSubstr("ALTER TABLE `logs2`.`my_awesome_app_app` ADD IF NOT EXISTS "
                              "PARTITION (year = 2018, month = 12, day = 1) LOCATION "
                              "'s3://b/p/my_awesome_app/app/2018/12/01/';\n"));
  EXPECT_THAT(*ddl, HasSubstr("PARTITION (year = 2018, month = 11, day = 30) LOCATION "
                              "'s3://b/p/my_awesome_app/nginx-proxy/2018/11/30/';\n"));
}

TEST(CatalogTest, TheGlueTableSaysWhatTheDdlSays) {
  for (CatalogMode mode : {CatalogMode::kProjection, CatalogMode::kPartitions}) {
    CatalogOptions o = Options();
    o.location += "/";
    o.mode = mode;
    const Stream s{"my_awesome_app", "nginx-proxy"};
    std::string ddl = CreateTableDdl(s, o);
    aws::GlueTable t = GlueTableFor(s, o);
    EXPECT_EQ(t.name, "my_awesome_app_nginx_proxy");
    EXPECT_EQ(t.table_type, "EXTERNAL_TABLE");
    EXPECT_THAT(ddl, HasSubstr("LOCATION '" + t.storage_descriptor.location + "'"));
    EXPECT_THAT(ddl, HasSubstr("SERDE '" + t.storage_descriptor.serde_info.serialization_library));
    EXPECT_THAT(ddl, HasSubstr("INPUTFORMAT '" + t.storage_descriptor.input_format));
    EXPECT_THAT(ddl, HasSubstr("OUTPUTFORMAT '" + t.storage_descriptor.output_format));
    for (const auto& [k, v] : t.parameters) {
      if (k == "EXTERNAL") continue;  // what CREATE EXTERNAL TABLE says
      EXPECT_THAT(ddl, HasSubstr("'" + k + "' = '" + v + "'")) << k;
    }
    for (const auto& c : t.storage_descriptor.columns)
      EXPECT_THAT(ddl, HasSubstr("`" + c.name + "` " + c.type));
    ASSERT_EQ(t.partition_keys.size(), 3u);
    EXPECT_THAT(ddl, HasSubstr("PARTITIONED BY (`year` int, `month` int, `day` int)"));
    EXPECT_EQ(t.parameters.count("projection.enabled"), mode == CatalogMode::kProjection ? 1u : 0u);
  }
}

TEST(CatalogTest, BadOptions) {
  CatalogOptions o = Options();
  o.location = "/local/dir";
  EXPECT_EQ(CatalogDdl(Streams(), o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.database = "Bad-Name";
  EXPECT_EQ(CatalogDdl(Streams(), o).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.mode = CatalogMode::kPartitions;
  EXPECT_THAT(CatalogDdl(Streams(), o).status().message(), HasSubstr("--since and --until"));
  o.since = *ParseRfc3339("2018-12-01T00:00:00Z");
  o.until = *ParseRfc3339("2018-11-01T00:00:00Z");
  EXPECT_THAT(CatalogDdl(Streams(), o).status().message(), HasSubstr("before"));
}

TEST(CatalogTest, NoStreamsStillCreatesTheDatabase) {
  auto ddl = CatalogDdl({}, Options());
  ASSERT_TRUE(ddl.ok());
  EXPECT_EQ(*ddl, "CREATE DATABASE IF NOT EXISTS `steady_logs`;\n");
}

}  // namespace
}  // namespace steady::search
