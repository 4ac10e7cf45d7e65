#include "aws/cloudwatch_client.h"

#include <functional>
#include <mutex>

#include "aws/protocol_query.h"
#include "aws/query_client_test_fixture.h"
#include "base/time_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/fake_http_client.h"

namespace steady::aws {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

using FakeHttp = net::FakeHttpClient;

std::string Ok(const std::string& op, const std::string& inner) {
  return "<" + op + "Response xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><" + op +
         "Result>" + inner + "</" + op + "Result><ResponseMetadata><RequestId>r</RequestId>" +
         "</ResponseMetadata></" + op + "Response>";
}

Time At(const char* iso) { return *ParseRfc3339(iso); }

class CloudWatchClientTest : public QueryClientTest<CloudWatchClient, &CloudWatchService> {
 protected:
  void SetUp() override {
    QueryClientTest::SetUp();
    Answer(200, Ok("PutMetricData", ""));
  }
};

TEST_F(CloudWatchClientTest, ServiceInfo) {
  ServiceInfo s = CloudWatchService();
  EXPECT_EQ(s.service_id, "CloudWatch");
  EXPECT_EQ(s.signing_name, "monitoring");
  EXPECT_EQ(s.endpoint_prefix, "monitoring");
  EXPECT_EQ(s.protocol, Protocol::kQuery);
}

TEST_F(CloudWatchClientTest, PutMetricDataForm) {
  PutMetricDataRequest req;
  req.namespace_ = "N";
  MetricDatum a;
  a.metric_name = "m";
  a.dimensions = {{"a", "1"}};
  a.timestamp = At("2026-11-23T19:00:00Z");
  a.value = 1.5;
  a.unit = "Count";
  a.storage_resolution = 1;
  MetricDatum b;
  b.metric_name = "n";
  b.values = {1.0, 2.5};
  b.counts = {3.0, 1.0};
  b.statistic_values = StatisticSet{2, 3, 1, 2};
  req.metric_data = {a, b};
  Status s = client_->PutMetricData(req);
  ASSERT_TRUE(s.ok()) << s.ToString();

  const net::HttpRequest& r = http_.requests.back();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://127.0.0.1:4566/");
  EXPECT_THAT(r.headers.Get("Content-Type"), HasSubstr("application/x-www-form-urlencoded"));
  // SigV4 scope names the "monitoring" service, not "cloudwatch".
  EXPECT_THAT(r.headers.Get("Authorization"), HasSubstr("/us-east-1/monitoring/aws4_request"));
  // botocore 1.29's form for the same call (numbers in their shortest form).
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{
                              {"Action", "PutMetricData"},
                              {"Version", "2010-08-01"},
                              {"Namespace", "N"},
                              {"MetricData.member.1.MetricName", "m"},
                              {"MetricData.member.1.Dimensions.member.1.Name", "a"},
                              {"MetricData.member.1.Dimensions.member.1.Value", "1"},
                              {"MetricData.member.1.Timestamp", "2026-11-23T19:00:00Z"},
                              {"MetricData.member.1.Value", "1.5"},
                              {"MetricData.member.1.Unit", "Count"},
                              {"MetricData.member.1.StorageResolution", "1"},
                              {"MetricData.member.2.MetricName", "n"},
                              {"MetricData.member.2.Values.member.1", "1"},
                              {"MetricData.member.2.Values.member.2", "2.5"},
                              {"MetricData.member.2.Counts.member.1", "3"},
                              {"MetricData.member.2.Counts.member.2", "1"},
                              {"MetricData.member.2.StatisticValues.SampleCount", "2"},
                              {"MetricData.member.2.StatisticValues.Sum", "3"},
                              {"MetricData.member.2.StatisticValues.Minimum", "1"},
                              {"MetricData.member.2.StatisticValues.Maximum", "2"},
                          }));
}

TEST_F(CloudWatchClientTest, GetMetricStatisticsFormAndDatapoints) {
  // Out of order, as CloudWatch answers; the client sorts oldest first.
  Answer(200, Ok("GetMetricStatistics",
                 "<Label>m</Label><Datapoints>"
                 "<member><Timestamp>2026-11-23T19:01:00Z</Timestamp><Sum>4.0</Sum>"
                 "<Maximum>3</Maximum><Unit>Count</Unit><ExtendedStatistics><entry><key>p99</key>"
                 "<value>2.97</value></entry></ExtendedStatistics></member>"
                 "<member><Timestamp>2026-11-23T19:00:00.000Z</Timestamp><Sum>1.5E1</Sum>"
                 "<SampleCount>2</SampleCount><Average>7.5</Average><Minimum>5</Minimum>"
                 "<Maximum>10</Maximum><Unit>Count</Unit></member></Datapoints>"));
  GetMetricStatisticsRequest req;
  req.namespace_ = "N";
  req.metric_name = "m";
  req.dimensions = {{"a", "1"}};
  req.start_time = At("2026-11-23T19:00:00Z");
  req.end_time = At("2026-11-23T20:00:00Z");
  req.period = 60;
  req.statistics = {"Sum", "Maximum"};
  req.extended_statistics = {"p99"};
  req.unit = "Count";
  auto out = client_->GetMetricStatistics(req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{
                              {"Action", "GetMetricStatistics"},
                              {"Version", "2010-08-01"},
                              {"Namespace", "N"},
                              {"MetricName", "m"},
                              {"Dimensions.member.1.Name", "a"},
                              {"Dimensions.member.1.Value", "1"},
                              {"StartTime", "2026-11-23T19:00:00Z"},
                              {"EndTime", "2026-11-23T20:00:00Z"},
                              {"Period", "60"},
                              {"Statistics.member.1", "Sum"},
                              {"Statistics.member.2", "Maximum"},
                              {"ExtendedStatistics.member.1", "p99"},
                              {"Unit", "Count"},
                          }));
  EXPECT_EQ(out->label, "m");
  ASSERT_EQ(out->datapoints.size(), 2u);
  const Datapoint& first = out->datapoints[0];
  EXPECT_EQ(first.timestamp, At("2026-11-23T19:00:00Z"));
  EXPECT_EQ(first.sum, 15.0);
  EXPECT_EQ(first.sample_count, 2.0);
  EXPECT_EQ(first.average, 7.5);
  EXPECT_EQ(first.minimum, 5.0);
  EXPECT_EQ(first.maximum, 10.0);
  EXPECT_EQ(first.unit, "Count");
  EXPECT_TRUE(first.extended_statistics.empty());
  const Datapoint& second = out->datapoints[1];
  EXPECT_EQ(second.timestamp, At("2026-11-23T19:01:00Z"));
  EXPECT_EQ(second.sum, 4.0);
  EXPECT_FALSE(second.average.has_value());
  EXPECT_FALSE(second.sample_count.has_value());
  EXPECT_EQ(second.extended_statistics.at("p99"), 2.97);
}

TEST_F(CloudWatchClientTest, GetMetricDataFormAndResults) {
  Answer(200, Ok("GetMetricData",
                 "<MetricDataResults><member><Id>q1</Id><Label>L</Label><Timestamps>"
                 "<member>2026-11-23T19:01:00Z</member><member>2026-11-23T19:00:00Z</member>"
                 "</Timestamps><Values><member>2</member><member>0.5</member></Values>"
                 "<StatusCode>PartialData</StatusCode></member></MetricDataResults>"
                 "<NextToken>more</NextToken><Messages/>"));
  GetMetricDataRequest req;
  MetricDataQuery q;
  q.id = "q1";
  q.metric_stat = MetricStat{{"N", "m", {{"a", "1"}}}, 60, "Sum", "Count"};
  q.label = "L";
  q.return_data = false;
  q.period = 60;
  req.metric_data_queries = {q};
  req.start_time = At("2026-11-23T19:00:00Z");
  req.end_time = At("2026-11-23T20:00:00.5Z");
  req.next_token = "t";
  req.scan_by = "TimestampAscending";
  req.max_datapoints = 10;
  auto out = client_->GetMetricData(req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_THAT(LastForm(),
              UnorderedElementsAreArray(Form{
                  {"Action", "GetMetricData"},
                  {"Version", "2010-08-01"},
                  {"MetricDataQueries.member.1.Id", "q1"},
                  {"MetricDataQueries.member.1.MetricStat.Metric.Namespace", "N"},
                  {"MetricDataQueries.member.1.MetricStat.Metric.MetricName", "m"},
                  {"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name", "a"},
                  {"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value", "1"},
                  {"MetricDataQueries.member.1.MetricStat.Period", "60"},
                  {"MetricDataQueries.member.1.MetricStat.Stat", "Sum"},
                  {"MetricDataQueries.member.1.MetricStat.Unit", "Count"},
                  {"MetricDataQueries.member.1.Label", "L"},
                  {"MetricDataQueries.member.1.ReturnData", "false"},
                  {"MetricDataQueries.member.1.Period", "60"},
                  {"StartTime", "2026-11-23T19:00:00Z"},
                  {"EndTime", "2026-11-23T20:00:00.500Z"},
                  {"NextToken", "t"},
                  {"ScanBy", "TimestampAscending"},
                  {"MaxDatapoints", "10"},
              }));
  ASSERT_EQ(out->metric_data_results.size(), 1u);
  const MetricDataResult& r = out->metric_data_results[0];
  EXPECT_EQ(r.id, "q1");
  EXPECT_EQ(r.label, "L");
  EXPECT_THAT(r.timestamps, ElementsAre(At("2026-11-23T19:01:00Z"), At("2026-11-23T19:00:00Z")));
  EXPECT_THAT(r.values, ElementsAre(2.0, 0.5));
  EXPECT_EQ(r.status_code, "PartialData");
  EXPECT_EQ(out->next_token, "more");

  // A query with an expression and the defaults sends only what it has.
  MetricDataQuery e;
  e.id = "e1";
  e.expression = "SUM(METRICS())";
  req = {};
  req.metric_data_queries = {e};
  req.start_time = At("2026-11-23T19:00:00Z");
  req.end_time = At("2026-11-23T20:00:00Z");
  Answer(200, Ok("GetMetricData", "<MetricDataResults/>"));
  out = client_->GetMetricData(req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->metric_data_results.empty());
  EXPECT_THAT(LastForm(),
              UnorderedElementsAre(Pair("Action", "GetMetricData"), Pair("Version", "2010-08-01"),
                                   Pair("MetricDataQueries.member.1.Id", "e1"),
                                   Pair("MetricDataQueries.member.1.Expression", "SUM(METRICS())"),
                                   Pair("StartTime", "2026-11-23T19:00:00Z"),
                                   Pair("EndTime", "2026-11-23T20:00:00Z")));
}

TEST_F(CloudWatchClientTest, ListMetricsFormAndMetrics) {
  Answer(200, Ok("ListMetrics",
                 "<Metrics><member><Namespace>N</Namespace><MetricName>m</MetricName>"
                 "<Dimensions><member><Name>a</Name><Value>1</Value></member></Dimensions>"
                 "</member><member><Namespace>N</Namespace><MetricName>n</MetricName>"
                 "<Dimensions/></member></Metrics><NextToken>nt</NextToken>"));
  ListMetricsRequest req;
  req.namespace_ = "N";
  req.metric_name = "m";
  req.dimensions = {{"a", "1"}, {"b", std::nullopt}};
  req.next_token = "t";
  req.recently_active = "PT3H";
  auto out = client_->ListMetrics(req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // A filter without a value sends only its Name, as botocore does.
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{
                              {"Action", "ListMetrics"},
                              {"Version", "2010-08-01"},
                              {"Namespace", "N"},
                              {"MetricName", "m"},
                              {"Dimensions.member.1.Name", "a"},
                              {"Dimensions.member.1.Value", "1"},
                              {"Dimensions.member.2.Name", "b"},
                              {"NextToken", "t"},
                              {"RecentlyActive", "PT3H"},
                          }));
  ASSERT_EQ(out->metrics.size(), 2u);
  EXPECT_EQ(out->metrics[0].namespace_, "N");
  EXPECT_EQ(out->metrics[0].metric_name, "m");
  EXPECT_EQ(out->metrics[0].dimensions, (std::vector<Dimension>{{"a", "1"}}));
  EXPECT_TRUE(out->metrics[1].dimensions.empty());
  EXPECT_EQ(out->next_token, "nt");

  Answer(200, Ok("ListMetrics", "<Metrics/>"));
  out = client_->ListMetrics({});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->metrics.empty());
  EXPECT_THAT(LastForm(),
              ElementsAre(Pair("Action", "ListMetrics"), Pair("Version", "2010-08-01")));
}

TEST_F(CloudWatchClientTest, ErrorsKeepCloudWatchCodes) {
  Answer(400,
         "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><Error>"
         "<Type>Sender</Type><Code>InvalidParameterValue</Code><Message>The value x for parameter"
         " MetricData.member.1.Value is invalid.</Message></Error><RequestId>r</RequestId>"
         "</ErrorResponse>");
  Status s = client_->PutMetricData({"N", {}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(AwsErrorCode(s), "InvalidParameterValue");
  Answer(400,
         "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
         "</Message></Error><RequestId>r</RequestId></ErrorResponse>");
  EXPECT_EQ(client_->ListMetrics({}).status().code(), StatusCode::kThrottled);
  // The empty list went out as awsQuery spells one, so the service can answer for it.
  Answer(200, Ok("PutMetricData", ""));
  ASSERT_TRUE(client_->PutMetricData({"N", {}}).ok());
  EXPECT_THAT(LastForm(),
              UnorderedElementsAre(Pair("Action", "PutMetricData"), Pair("Version", "2010-08-01"),
                                   Pair("Namespace", "N"), Pair("MetricData", "")));
}

TEST_F(CloudWatchClientTest, WrongShapesAreDataLoss) {
  GetMetricStatisticsRequest stats{.namespace_ = "N", .metric_name = "m"};
  const std::vector<std::pair<const char*, std::string>> stat_cases = {
      {"not xml", "Datapoints: []"},
      {"other root", "<ListMetricsResponse><GetMetricStatisticsResult/></ListMetricsResponse>"},
      {"no result", "<GetMetricStatisticsResponse/>"},
      {"no timestamp", Ok("GetMetricStatistics",
                          "<Datapoints><member><Sum>1</Sum></member>"
                          "</Datapoints>")},
      {"bad timestamp", Ok("GetMetricStatistics",
                           "<Datapoints><member><Timestamp>yesterday"
                           "</Timestamp></member></Datapoints>")},
      {"bad number", Ok("GetMetricStatistics",
                        "<Datapoints><member><Timestamp>2026-11-23T19:00:00Z</Timestamp>"
                        "<Sum>1,5</Sum></member></Datapoints>")},
      {"empty number", Ok("GetMetricStatistics",
                          "<Datapoints><member><Timestamp>2026-11-23T19:00:00Z</Timestamp>"
                          "<Maximum/></member></Datapoints>")},
      {"extended without value",
       Ok("GetMetricStatistics",
          "<Datapoints><member><Timestamp>2026-11-23T19:00:00Z</Timestamp><ExtendedStatistics>"
          "<entry><key>p9</key></entry></ExtendedStatistics></member></Datapoints>")},
  };
  for (const auto& [what, body] : stat_cases) {
    Answer(200, body);
    auto r = client_->GetMetricStatistics(stats);
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << what << ": " << r.status().ToString();
  }

  GetMetricDataRequest data;
  data.metric_data_queries = {MetricDataQuery{.id = "q"}};
  const std::vector<std::pair<const char*, std::string>> data_cases = {
      {"unpaired", Ok("GetMetricData",
                      "<MetricDataResults><member><Id>q</Id><Timestamps><member>"
                      "2026-11-23T19:00:00Z</member></Timestamps><Values/>"
                      "</member></MetricDataResults>")},
      {"no id", Ok("GetMetricData",
                   "<MetricDataResults><member><Label>q</Label></member>"
                   "</MetricDataResults>")},
      {"bad value", Ok("GetMetricData",
                       "<MetricDataResults><member><Id>q</Id><Timestamps><member>"
                       "2026-11-23T19:00:00Z</member></Timestamps><Values><member>"
                       "NaN?</member></Values></member></MetricDataResults>")},
  };
  for (const auto& [what, body] : data_cases) {
    Answer(200, body);
    auto r = client_->GetMetricData(data);
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << what << ": " << r.status().ToString();
  }

  Answer(200, Ok("ListMetrics", "<Metrics><member><Namespace>N</Namespace></member></Metrics>"));
  EXPECT_EQ(client_->ListMetrics({}).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace steady::aws
