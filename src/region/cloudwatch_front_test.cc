#include "region/cloudwatch_front.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include "net/http.h"
#include "region/cloudwatch_wire.h"

namespace steady::region {
namespace {

using nlohmann::json;

constexpr int64_t kT0 = 1'700'000'040;  // on a minute boundary

Status NoOp(std::string_view) { return Status::Ok(); }

std::string Gzip(std::string_view data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(CloudWatchWire, CborEncodingReadsBackWithTheReferenceDecoder) {
  json doc = {{"Label", "CPU"},
              {"Datapoints",
               {{{"Timestamp", kT0}, {"Sum", 1.5}, {"SampleCount", 3.0}, {"Unit", "Percent"}},
                {{"Timestamp", kT0 + 60}, {"Minimum", -2.25}, {"Maximum", 1e300}}}},
              {"Counts", {0, 23, 24, 255, 256, 65535, 65536, 4294967296LL, -1, -25, -300}},
              {"Flag", true},
              {"Nothing", nullptr},
              {"Timestamps", {kT0, kT0 + 1}},
              {"Text", std::string(300, 'x')}};
  std::string cbor = EncodeRpcV2Cbor(doc, {"Timestamp", "Timestamps"});
  std::string plain = EncodeRpcV2Cbor(doc, {});
  // Untagged, the reference decoder reads back the document; tagged, ours does.
  EXPECT_EQ(json::from_cbor(plain), doc);
  auto back = DecodeRpcV2Cbor(cbor);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, doc);
  // One tag head (a byte) per timestamp: two Timestamp members and two list entries.
  EXPECT_EQ(cbor.size(), plain.size() + 4);

  // {"Timestamp": 1} byte for byte: map(1), text(9) "Timestamp", tag(1), unsigned(1).
  std::string tiny = EncodeRpcV2Cbor({{"Timestamp", 1}}, {"Timestamp"});
  EXPECT_EQ(tiny, std::string("\xa1\x69Timestamp\xc1\x01", 13));
  // Doubles are 64-bit floats: 1.5 → fb 3ff8000000000000.
  std::string d = EncodeRpcV2Cbor({{"V", 1.5}}, {});
  EXPECT_EQ(d, std::string("\xa1\x61V\xfb\x3f\xf8\x00\x00\x00\x00\x00\x00", 12));
}

TEST(CloudWatchWire, CborDecoderDropsTagsAndRejectsMalformedBodies) {
  // {"StartTime": 1(1700000040)} as botocore writes it, with an indefinite-length map.
  std::string body = "\xbf\x69StartTime\xc1\x1a";
  for (int shift = 24; shift >= 0; shift -= 8) body += static_cast<char>((kT0 >> shift) & 0xff);
  body += '\xff';
  auto doc = DecodeRpcV2Cbor(body);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)["StartTime"], kT0);
  EXPECT_TRUE(DecodeRpcV2Cbor("")->empty());

  for (std::string bad : {std::string("\xa1\x69Timest", 8),  // truncated
                          std::string("\x82\x01\x02", 3),    // an array, not a map
                          std::string("\xa1\x01\x02", 3),    // a map with an integer key
                          std::string("\xff", 1), std::string("not cbor at all"),
                          std::string("\xa0\x00", 2)})  // trailing bytes
    EXPECT_FALSE(DecodeRpcV2Cbor(bad).ok()) << json(std::vector<uint8_t>(bad.begin(), bad.end()));
  // Nesting deep enough to overflow a recursive reader is refused up front.
  EXPECT_FALSE(DecodeRpcV2Cbor("\xa1\x61x" + std::string(200000, '\x81') + "\x01").ok());
  // A count larger than the body is refused without allocating for it.
  EXPECT_FALSE(
      DecodeRpcV2Cbor(std::string("\xa1\x61x\x9b\xff\xff\xff\xff\xff\xff\xff\xff", 12)).ok());
  // Tags anywhere (not only 1) are dropped; indefinite strings are joined.
  auto tagged =
      DecodeRpcV2Cbor(std::string("\xa2\x61t\xc0\x61z\x61s\x7f\x62"
                                  "ab\x61"
                                  "c\xff",
                                  15));
  ASSERT_TRUE(tagged.ok()) << tagged.status().ToString();
  EXPECT_EQ(*tagged, json({{"t", "z"}, {"s", "abc"}}));
}

TEST(CloudWatchWire, QueryFormBecomesTheJsonDocument) {
  FormParams form = {{"Action", "PutMetricData"},
                     {"Version", "2010-08-01"},
                     {"Namespace", "App"},
                     {"MetricData.member.2.MetricName", "B"},
                     {"MetricData.member.10.MetricName", "C"},
                     {"MetricData.member.1.MetricName", "A"},
                     {"MetricData.member.1.Dimensions.member.1.Name", "Host"},
                     {"MetricData.member.1.Dimensions.member.1.Value", "a"},
                     {"MetricData.member.1.StatisticValues.Sum", "3"},
                     {"Tags.entry.1.key", "k"},
                     {"Tags.entry.1.value", "v"}};
  auto doc = QueryFormToJson(form);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  json want = {{"Namespace", "App"},
               {"MetricData",
                {{{"MetricName", "A"},
                  {"Dimensions", {{{"Name", "Host"}, {"Value", "a"}}}},
                  {"StatisticValues", {{"Sum", "3"}}}},
                 {{"MetricName", "B"}},
                 {{"MetricName", "C"}}}},
               {"Tags", {{"k", "v"}}}};
  EXPECT_EQ(*doc, want);
  EXPECT_FALSE(QueryFormToJson({{"A", "1"}, {"A.B", "2"}}).ok());
  EXPECT_FALSE(QueryFormToJson({{"A.member.0.B", "1"}}).ok());
  EXPECT_FALSE(QueryFormToJson({{"A.member.x.B", "1"}}).ok());
  EXPECT_FALSE(QueryFormToJson({{"A..B", "1"}}).ok());
}

TEST(CloudWatchWire, GunzipInflatesAndBoundsBodies) {
  std::string text(100000, 'a');
  auto back = Gunzip(Gzip(text), 1 << 20);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, text);
  std::string gz = Gzip(text);
  EXPECT_EQ(Gunzip(gz.substr(0, gz.size() / 2), 1 << 20).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Gunzip("plain text", 1 << 20).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Gunzip(gz, 1000).status().code(), StatusCode::kResourceExhausted);
}

class CloudWatchFrontTest : public ::testing::Test {
 protected:
  CloudWatchFrontTest() : clock_(FromUnixSeconds(kT0 + 600)) {
    journal_ = *Journal::Open({}, NoOp, NoOp);
    ctx_ = std::make_unique<RegionContext>(clock_, *journal_);
    model_ = std::make_unique<CloudWatchModel>(*ctx_);
    front_ = model_->MakeFront();
  }

  net::HttpResponse Call(const std::string& wire, const std::string& op, std::string body,
                         std::string content_type, std::string encoding = "") {
    net::ServerRequest http;
    http.method = "POST";
    http.path = wire == "cbor" ? "/service/GraniteServiceVersion20100801/operation/" + op : "/";
    http.target = http.path;
    http.headers.Set("Content-Type", content_type);
    if (!encoding.empty()) {
      http.headers.Set("Content-Encoding", "gzip");
      if (encoding == "gzip") body = Gzip(body);  // else: the body is sent as it is
    }
    http.body = std::move(body);
    RoutedRequest routed{http, "monitoring", wire, op, "rid-1", ""};
    net::HttpResponse out;
    bool answered = false;
    front_->Handle(routed, [&](net::HttpResponse r) {
      out = std::move(r);
      answered = true;
    });
    EXPECT_TRUE(answered);
    return out;
  }
  net::HttpResponse Cbor(const std::string& op, const json& doc,
                         std::set<std::string, std::less<>> ts = {"StartTime", "EndTime",
                                                                  "Timestamp"}) {
    return Call("cbor", op, EncodeRpcV2Cbor(doc, ts), "application/cbor");
  }
  net::HttpResponse Json(const std::string& op, const json& doc) {
    return Call("json", op, doc.dump(), "application/x-amz-json-1.0");
  }
  net::HttpResponse Query(const std::string& op, const std::string& form) {
    return Call("query", op, "Action=" + op + "&Version=2010-08-01&" + form,
                "application/x-www-form-urlencoded; charset=utf-8");
  }

  ManualClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RegionContext> ctx_;
  std::unique_ptr<CloudWatchModel> model_;
  std::unique_ptr<ServiceFront> front_;
};

TEST_F(CloudWatchFrontTest, ThreeProtocolsOneModel) {
  // Put through CBOR (timestamp tagged), JSON (epoch number) and query (ISO 8601).
  auto put = Cbor("PutMetricData", {{"Namespace", "App"},
                                    {"MetricData",
                                     {{{"MetricName", "CPU"},
                                       {"Timestamp", kT0},
                                       {"Value", 10.0},
                                       {"Unit", "Percent"},
                                       {"Dimensions", {{{"Name", "Host"}, {"Value", "a"}}}}}}}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.headers.Get("smithy-protocol"), "rpc-v2-cbor");
  EXPECT_EQ(put.headers.Get("Content-Type"), "application/cbor");
  put = Json("PutMetricData", {{"Namespace", "App"},
                               {"MetricData",
                                {{{"MetricName", "CPU"},
                                  {"Timestamp", kT0 + 5},
                                  {"Values", {20.0, 30.0}},
                                  {"Unit", "Percent"},
                                  {"Dimensions", {{{"Name", "Host"}, {"Value", "a"}}}}}}}});
  ASSERT_EQ(put.status, 200) << put.body;
  put = Query("PutMetricData",
              "Namespace=App&MetricData.member.1.MetricName=CPU&MetricData.member.1.Timestamp="
              "2023-11-14T22%3A14%3A10Z&MetricData.member.1.StatisticValues.SampleCount=2&"
              "MetricData.member.1.StatisticValues.Sum=80&MetricData.member.1.StatisticValues."
              "Minimum=40&MetricData.member.1.StatisticValues.Maximum=40&MetricData.member.1."
              "Unit=Percent&MetricData.member.1.Dimensions.member.1.Name=Host&MetricData.member.1."
              "Dimensions.member.1.Value=a");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_NE(put.body.find("<PutMetricDataResponse"), std::string::npos);

  // Five samples: 10, 20, 30, 40, 40.
  auto cbor = Cbor("GetMetricStatistics", {{"Namespace", "App"},
                                           {"MetricName", "CPU"},
                                           {"Dimensions", {{{"Name", "Host"}, {"Value", "a"}}}},
                                           {"StartTime", kT0},
                                           {"EndTime", kT0 + 60},
                                           {"Period", 60},
                                           {"Statistics", {"Sum", "SampleCount", "Maximum"}}});
  ASSERT_EQ(cbor.status, 200);
  // The timestamp must come back tagged: botocore turns tag 1 into a datetime.
  EXPECT_NE(cbor.body.find("Timestamp\xc1"), std::string::npos);
  json got = *DecodeRpcV2Cbor(cbor.body);
  EXPECT_EQ(got["Label"], "CPU");
  ASSERT_EQ(got["Datapoints"].size(), 1u);
  EXPECT_EQ(got["Datapoints"][0]["Timestamp"], kT0);
  EXPECT_EQ(got["Datapoints"][0]["Sum"], 140.0);
  EXPECT_EQ(got["Datapoints"][0]["SampleCount"], 5.0);
  EXPECT_EQ(got["Datapoints"][0]["Unit"], "Percent");

  auto js = Json("GetMetricData", {{"MetricDataQueries",
                                    {{{"Id", "m1"},
                                      {"MetricStat",
                                       {{"Metric",
                                         {{"Namespace", "App"},
                                          {"MetricName", "CPU"},
                                          {"Dimensions", {{{"Name", "Host"}, {"Value", "a"}}}}}},
                                        {"Period", 60},
                                        {"Stat", "Average"}}}}}},
                                   {"StartTime", kT0},
                                   {"EndTime", kT0 + 120}});
  ASSERT_EQ(js.status, 200) << js.body;
  got = json::parse(js.body);
  EXPECT_EQ(got["MetricDataResults"][0]["Values"], json::array({28.0}));
  EXPECT_EQ(got["MetricDataResults"][0]["Timestamps"], json::array({kT0}));
  EXPECT_EQ(got["MetricDataResults"][0]["StatusCode"], "Complete");

  auto q = Query("ListMetrics", "Namespace=App&Dimensions.member.1.Name=Host");
  ASSERT_EQ(q.status, 200) << q.body;
  for (std::string part : {"<ListMetricsResult><Metrics><member>", "<Namespace>App</Namespace>",
                           "<MetricName>CPU</MetricName>",
                           "<Dimensions><member><Name>Host</Name><Value>a</Value></member>"
                           "</Dimensions>",
                           "</member></Metrics></ListMetricsResult>"})
    EXPECT_NE(q.body.find(part), std::string::npos) << part << " in " << q.body;
  q = Query("GetMetricStatistics",
            "Namespace=App&MetricName=CPU&Dimensions.member.1.Name=Host&Dimensions.member.1.Value="
            "a&StartTime=2023-11-14T22%3A14%3A00Z&EndTime=2023-11-14T22%3A15%3A00Z&Period=60&"
            "ExtendedStatistics.member.1=p50");
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_NE(q.body.find("<Timestamp>2023-11-14T22:14:00Z</Timestamp>"), std::string::npos)
      << q.body;
  EXPECT_NE(q.body.find("<ExtendedStatistics><entry><key>p50</key><value>30</value></entry>"),
            std::string::npos)
      << q.body;
}

TEST_F(CloudWatchFrontTest, GzipBodiesAreInflated) {
  json doc = {{"Namespace", "App"}, {"MetricData", json::array()}};
  for (int i = 0; i < 200; ++i)
    doc["MetricData"].push_back({{"MetricName", "M" + std::to_string(i)}, {"Value", i}});
  auto r = Call("cbor", "PutMetricData", EncodeRpcV2Cbor(doc, {}), "application/cbor", "gzip");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(model_->stats().series, 200u);
  r = Call("query", "ListMetrics", "Action=ListMetrics&Version=2010-08-01&MetricName=M7",
           "application/x-www-form-urlencoded", "gzip");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<MetricName>M7</MetricName>"), std::string::npos);
  // A gzipped form the router could not read reaches the front as "rest".
  r = Call("rest", "", "Action=ListMetrics&Version=2010-08-01&MetricName=M9",
           "application/x-www-form-urlencoded", "gzip");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<MetricName>M9</MetricName>"), std::string::npos);
  r = Call("cbor", "PutMetricData", "\x1f\x8b garbage", "application/cbor", "raw");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::from_cbor(r.body)["__type"], "com.amazonaws.cloudwatch#SerializationException");
}

TEST_F(CloudWatchFrontTest, ErrorsInEachProtocolsShape) {
  // CBOR: __type names the shape, x-amzn-query-error the query code botocore reports.
  auto r = Cbor("PutMetricData", {{"Namespace", "AWS/EC2"},
                                  {"MetricData", {{{"MetricName", "X"}, {"Value", 1.0}}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.Get("smithy-protocol"), "rpc-v2-cbor");
  EXPECT_EQ(r.headers.Get("x-amzn-query-error"), "InvalidParameterValue;Sender");
  json e = json::from_cbor(r.body);
  EXPECT_EQ(e["__type"], "com.amazonaws.cloudwatch#InvalidParameterValueException");
  EXPECT_NE(e["message"].get<std::string>().find("Namespace"), std::string::npos);

  r = Call("cbor", "GetMetricData", "\xa1\x61", "application/cbor");  // truncated
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::from_cbor(r.body)["__type"], "com.amazonaws.cloudwatch#SerializationException");
  r = Cbor("GetMetricStatistics", {{"Namespace", "App"}, {"MetricName", "X"}});
  EXPECT_EQ(r.headers.Get("x-amzn-query-error"), "MissingParameter;Sender");
  r = Cbor("DescribeAlarms", json::object());
  EXPECT_EQ(json::from_cbor(r.body)["__type"],
            "com.amazonaws.cloudwatch#UnknownOperationException");

  // JSON: the same shape as JSON.
  r = Json("GetMetricStatistics", {{"Namespace", "App"},
                                   {"MetricName", "X"},
                                   {"StartTime", kT0},
                                   {"EndTime", kT0 + 60},
                                   {"Period", "sixty"},
                                   {"Statistics", {"Sum"}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["__type"], "com.amazonaws.cloudwatch#SerializationException");
  r = Call("json", "ListMetrics", "{nope", "application/x-amz-json-1.0");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["__type"], "com.amazonaws.cloudwatch#SerializationException");
  r = Json("GetMetricData", {{"MetricDataQueries", {{{"Id", "m"}, {"Expression", "1+1"}}}},
                             {"StartTime", kT0},
                             {"EndTime", kT0 + 60}});
  EXPECT_EQ(r.headers.Get("x-amzn-query-error"), "InvalidParameterValue;Sender");

  // Query: <ErrorResponse> with the code; a bad number is InvalidParameterValue.
  r = Query("GetMetricStatistics",
            "Namespace=App&MetricName=X&StartTime=2023-11-14T22%3A14%3A00Z&EndTime=2023-11-14T22%"
            "3A15%3A00Z&Period=abc&Statistics.member.1=Sum");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<Code>InvalidParameterValue</Code>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\""),
            std::string::npos);
  r = Query("PutMetricData", "Namespace=App");
  EXPECT_NE(r.body.find("<Code>MissingParameter</Code>"), std::string::npos) << r.body;
  r = Query("DeleteAlarms", "");
  EXPECT_NE(r.body.find("<Code>InvalidAction</Code>"), std::string::npos) << r.body;

  WireError throttled = front_->ThrottleError();
  EXPECT_EQ(throttled.code, "Throttling");
  net::ServerRequest http;
  RoutedRequest routed{http, "monitoring", "cbor", "ListMetrics", "rid", ""};
  r = front_->ErrorResponse(routed, throttled);
  EXPECT_EQ(r.headers.Get("x-amzn-query-error"), "Throttling;Sender");
  EXPECT_EQ(json::from_cbor(r.body)["__type"], "com.amazonaws.cloudwatch#ThrottlingException");
}

}  // namespace
}  // namespace steady::region
