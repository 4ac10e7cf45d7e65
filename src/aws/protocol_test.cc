#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/protocol_json.h"
#include "aws/protocol_query.h"
#include "aws/protocol_xml.h"

namespace steady::aws {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// --- JSON ---

TEST(JsonRpcRequest, BuildsTargetContentTypeAndBody) {
  nlohmann::json body = {{"cluster", "prod"}, {"services", {"web", "api"}}};
  net::HttpRequest req = JsonRpcRequest(Protocol::kJson11, "AmazonEC2ContainerServiceV20141113",
                                        "DescribeServices", body);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "/");
  EXPECT_EQ(req.headers.Get("X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.DescribeServices");
  EXPECT_EQ(req.headers.Get("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(nlohmann::json::parse(req.body), body);

  net::HttpRequest sqs = JsonRpcRequest(Protocol::kJson10, "AmazonSQS", "ListQueues", nullptr);
  EXPECT_EQ(sqs.headers.Get("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(sqs.headers.Get("X-Amz-Target"), "AmazonSQS.ListQueues");
  EXPECT_EQ(sqs.body, "{}");
}

TEST(JsonRpcRequest, InvalidUtf8IsReplacedNotThrown) {
  nlohmann::json body = {{"k", std::string("a\xff"
                                           "b")}};
  net::HttpRequest req = JsonRpcRequest(Protocol::kJson11, "T", "Op", body);
  nlohmann::json back = nlohmann::json::parse(req.body);
  EXPECT_EQ(back["k"].get<std::string>(),
            "a\xEF\xBF\xBD"
            "b");
}

TEST(ParseJsonBody, RoundTripAndEmpty) {
  nlohmann::json doc = {{"services", {{{"serviceName", "web"}, {"desiredCount", 3}}}},
                        {"failures", nlohmann::json::array()}};
  Result<nlohmann::json> parsed = ParseJsonBody(doc.dump(), "DescribeServices");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, doc);
  Result<nlohmann::json> empty = ParseJsonBody("  \n", "DeleteQueue");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->is_object());
  EXPECT_TRUE(empty->empty());
}

TEST(ParseJsonBody, RejectsMalformed) {
  for (const char* body : {"{", "[1]", "\"s\"", "42", "{\"a\":}", "nul"}) {
    Result<nlohmann::json> r = ParseJsonBody(body, "ListTasks");
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << body;
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr("ListTasks"));
  }
}

TEST(JsonTimestamp, EpochSecondsAndStrings) {
  Result<Time> t = JsonTimestamp(nlohmann::json(1700000000.5));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(ToUnixNanos(*t), 1'700'000'000'500'000'000);
  Result<Time> i = JsonTimestamp(nlohmann::json(1700000000));
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(ToUnixNanos(*i), 1'700'000'000'000'000'000);
  Result<Time> s = JsonTimestamp(nlohmann::json("2023-11-14T22:13:20Z"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(ToUnixNanos(*s), 1'700'000'000'000'000'000);
  EXPECT_FALSE(JsonTimestamp(nlohmann::json(true)).ok());
  EXPECT_FALSE(JsonTimestamp(nlohmann::json(1e300)).ok());
  EXPECT_FALSE(JsonTimestamp(nlohmann::json("yesterday")).ok());
}

// --- Query ---

TEST(QueryParams, EncodesActionVersionAndParamsInOrder) {
  QueryParams p("SendMessage", "2012-11-05");
  p.Add("QueueUrl", "http://127.0.0.1:4566/000000000000/q")
      .Add("MessageBody", "a b&c=d~é")
      .AddInt("DelaySeconds", -5)
      .AddBool("Flag", true);
  EXPECT_EQ(p.Encode(),
            "Action=SendMessage&Version=2012-11-05"
            "&QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F000000000000%2Fq"
            "&MessageBody=a%20b%26c%3Dd~%C3%A9&DelaySeconds=-5&Flag=true");
  net::HttpRequest req = p.ToRequest();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "/");
  EXPECT_EQ(req.headers.Get("Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(req.body, p.Encode());
}

TEST(QueryParams, EncodeDecodeRoundTrip) {
  QueryParams p("PutMetricData", "2010-08-01");
  p.Add("Namespace", "steady/test ü+/=&%")
      .AddDouble("MetricData.member.1.Value", 0.1)
      .AddDouble("MetricData.member.2.Value", 100)
      .Add("Empty", "");
  std::vector<QueryParams::Param> back = DecodeQueryForm(p.Encode());
  ASSERT_EQ(back.size(), 6u);
  EXPECT_EQ(back[0], QueryParams::Param("Action", "PutMetricData"));
  EXPECT_EQ(back[1], QueryParams::Param("Version", "2010-08-01"));
  for (size_t i = 0; i < p.params().size(); ++i) EXPECT_EQ(back[i + 2], p.params()[i]);
  EXPECT_EQ(back[3].second, "0.1");
  EXPECT_EQ(back[4].second, "100");
  // Form bodies from other clients may use '+' for spaces.
  EXPECT_THAT(DecodeQueryForm("Action=A&MessageBody=a+b%2Bc"),
              ElementsAre(Pair("Action", "A"), Pair("MessageBody", "a b+c")));
}

TEST(QueryParams, ListStyles) {
  QueryParams q("A", "1");
  q.AddList("TargetGroupArns", {"arn1", "arn2"}, QueryListStyle::kMember);
  q.AddList("AttributeName", {"All"}, QueryListStyle::kFlattened);
  q.AddList("InstanceId", {"i-1", "i-2"}, QueryListStyle::kEc2);
  q.AddList("Custom", {"x"}, QueryListStyle::kMember, "item");
  EXPECT_THAT(q.params(), ElementsAre(Pair("TargetGroupArns.member.1", "arn1"),
                                      Pair("TargetGroupArns.member.2", "arn2"),
                                      Pair("AttributeName.1", "All"), Pair("InstanceId.1", "i-1"),
                                      Pair("InstanceId.2", "i-2"), Pair("Custom.item.1", "x")));
}

TEST(QueryParams, EmptyListsFollowTheProtocol) {
  QueryParams q("A", "1");
  q.AddList("Members", {}, QueryListStyle::kMember);
  q.AddList("Flat", {}, QueryListStyle::kFlattened);
  q.AddList("Ec2", {}, QueryListStyle::kEc2);
  EXPECT_THAT(q.params(), ElementsAre(Pair("Members", ""), Pair("Flat", "")));
}

TEST(QueryParams, Maps) {
  QueryParams q("A", "1");
  q.AddMap("Attributes", {{"DisplayName", "d"}, {"Policy", "p"}});
  q.AddMap("Attribute", {{"VisibilityTimeout", "30"}}, /*flattened=*/true, "Name", "Value");
  EXPECT_THAT(
      q.params(),
      ElementsAre(Pair("Attributes.entry.1.key", "DisplayName"),
                  Pair("Attributes.entry.1.value", "d"), Pair("Attributes.entry.2.key", "Policy"),
                  Pair("Attributes.entry.2.value", "p"),
                  Pair("Attribute.1.Name", "VisibilityTimeout"), Pair("Attribute.1.Value", "30")));
}

TEST(QueryParams, ListsOfStructuresThroughKeys) {
  // EC2 DescribeInstances filters: Filter.N.Name, Filter.N.Value.M.
  QueryParams q("DescribeInstances", "2016-11-15");
  std::vector<std::pair<std::string, std::vector<std::string>>> filters = {
      {"instance-state-name", {"running", "pending"}}, {"tag:role", {"web"}}};
  for (size_t i = 0; i < filters.size(); ++i) {
    std::string f = QueryParams::ListKey("Filter", i + 1, QueryListStyle::kEc2);
    q.Add(f + ".Name", filters[i].first);
    q.AddList(f + ".Value", filters[i].second, QueryListStyle::kEc2);
  }
  EXPECT_THAT(q.params(),
              ElementsAre(Pair("Filter.1.Name", "instance-state-name"),
                          Pair("Filter.1.Value.1", "running"), Pair("Filter.1.Value.2", "pending"),
                          Pair("Filter.2.Name", "tag:role"), Pair("Filter.2.Value.1", "web")));
  EXPECT_EQ(QueryParams::ListKey("Tags", 3, QueryListStyle::kMember), "Tags.member.3");
  EXPECT_EQ(QueryParams::MapEntryKey("Attributes", 2), "Attributes.entry.2");
  EXPECT_EQ(QueryParams::MapEntryKey("Attribute", 2, true), "Attribute.2");
}

TEST(QueryParams, Timestamps) {
  QueryParams q("GetMetricStatistics", "2010-08-01");
  q.AddTimestamp("StartTime", FromUnixSeconds(1700000000));
  q.AddTimestamp("EndTime", FromUnixNanos(1'700'000'000'250'000'000));
  EXPECT_THAT(q.params(), ElementsAre(Pair("StartTime", "2023-11-14T22:13:20Z"),
                                      Pair("EndTime", "2023-11-14T22:13:20.250Z")));
}

TEST(ParseQueryResponse, FindsResultAndRequestId) {
  const char* body =
      R"(<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <DescribeTargetHealthResult>
    <TargetHealthDescriptions>
      <member>
        <Target><Id>i-1</Id><Port>80</Port></Target>
        <TargetHealth><State>healthy</State></TargetHealth>
      </member>
      <member>
        <Target><Id>i-2</Id><Port>8080</Port></Target>
        <TargetHealth><State>draining</State><Reason>Target.DeregistrationInProgress</Reason></TargetHealth>
      </member>
    </TargetHealthDescriptions>
  </DescribeTargetHealthResult>
  <ResponseMetadata><RequestId>req-42</RequestId></ResponseMetadata>
</DescribeTargetHealthResponse>)";
  Result<QueryResponse> r = ParseQueryResponse(Protocol::kQuery, body, "DescribeTargetHealth");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->request_id, "req-42");
  EXPECT_EQ(r->result.name, "DescribeTargetHealthResult");
  auto members = r->result.List("TargetHealthDescriptions");
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0]->Find("Target/Id")->text, "i-1");
  EXPECT_EQ(members[1]->Find("Target")->ChildInt("Port"), 8080);
  EXPECT_EQ(members[1]->Find("TargetHealth")->ChildText("State"), "draining");
  EXPECT_EQ(members[0]->Find("TargetHealth")->ChildText("Reason", "none"), "none");
}

TEST(ParseQueryResponse, OperationWithoutResult) {
  Result<QueryResponse> r = ParseQueryResponse(
      Protocol::kQuery,
      "<DeleteQueueResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
      "</DeleteQueueResponse>",
      "DeleteQueue");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result.name, "DeleteQueueResult");
  EXPECT_TRUE(r->result.children.empty());
  EXPECT_EQ(r->request_id, "r");
}

TEST(ParseQueryResponse, Ec2RootIsTheResult) {
  const char* body = R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1</reservationId>
      <instancesSet>
        <item><instanceId>i-a</instanceId><instanceState><code>16</code><name>running</name></instanceState></item>
        <item><instanceId>i-b</instanceId><ebsOptimized>false</ebsOptimized></item>
      </instancesSet>
    </item>
  </reservationSet>
</DescribeInstancesResponse>)";
  Result<QueryResponse> r = ParseQueryResponse(Protocol::kEc2Query, body, "DescribeInstances");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->request_id, "8f7724cf-496f-496e-8fe3-example");
  auto reservations = r->result.List("reservationSet", "item");
  ASSERT_EQ(reservations.size(), 1u);
  auto instances = reservations[0]->List("instancesSet", "item");
  ASSERT_EQ(instances.size(), 2u);
  EXPECT_EQ(instances[0]->Find("instanceState/name")->text, "running");
  EXPECT_EQ(instances[0]->Find("instanceState")->ChildInt("code"), 16);
  EXPECT_EQ(instances[1]->ChildBool("ebsOptimized"), false);
  EXPECT_EQ(instances[1]->ChildBool("missing"), std::nullopt);
}

TEST(ParseQueryResponse, Malformed) {
  for (const char* body : {"", "<A><B></A>", "text", "<A></B>", "<A attr=></A>"}) {
    Result<QueryResponse> r = ParseQueryResponse(Protocol::kQuery, body, "ListTopics");
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr("ListTopics"));
  }
}

// --- XML ---

TEST(ParseXml, NamespacesCdataEntitiesAndText) {
  Result<XmlElement> r = ParseXml(
      "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<s3:Name>b</s3:Name><Key>a&amp;b &lt;c&gt;</Key><Data><![CDATA[<raw>]]></Data>"
      "<!-- comment --><Mixed>x<i/>y</Mixed></s3:ListBucketResult>");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "ListBucketResult");
  EXPECT_EQ(r->ChildText("Name"), "b");
  EXPECT_EQ(r->ChildText("Key"), "a&b <c>");
  EXPECT_EQ(r->ChildText("Data"), "<raw>");
  EXPECT_EQ(r->ChildText("Mixed"), "xy");
  EXPECT_EQ(r->Find("Mixed/i")->name, "i");
  EXPECT_EQ(r->Find(""), &*r);
  EXPECT_EQ(r->Find("Mixed/nope"), nullptr);
  EXPECT_EQ(r->FindDescendant("i"), r->Find("Mixed/i"));
}

TEST(ParseXml, TypedChildren) {
  Result<XmlElement> r = ParseXml(
      "<R><I>-12</I><Big>99999999999999999999</Big><D>1.5e3</D><Bad>12x</Bad><T>true</T>"
      "<F>false</F><U>TRUE</U><E></E></R>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ChildInt("I"), -12);
  EXPECT_EQ(r->ChildInt("Big"), std::nullopt);
  EXPECT_EQ(r->ChildInt("Bad"), std::nullopt);
  EXPECT_EQ(r->ChildInt("E"), std::nullopt);
  EXPECT_EQ(r->ChildDouble("D"), 1500.0);
  EXPECT_EQ(r->ChildDouble("Bad"), std::nullopt);
  EXPECT_EQ(r->ChildDouble("E"), std::nullopt);
  EXPECT_EQ(r->ChildBool("T"), true);
  EXPECT_EQ(r->ChildBool("F"), false);
  EXPECT_EQ(r->ChildBool("U"), std::nullopt);
  EXPECT_EQ(r->Children("I").size(), 1u);
}

TEST(ParseXml, DepthLimit) {
  auto nested = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += "<a>";
    for (int i = 0; i < depth; ++i) s += "</a>";
    return s;
  };
  EXPECT_TRUE(ParseXml(nested(kMaxXmlDepth)).ok());
  Result<XmlElement> deep = ParseXml(nested(kMaxXmlDepth + 1));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kDataLoss);
}

TEST(XmlEscape, RoundTripsThroughTheParser) {
  std::string nasty = "a&b<c>\"d'e\r\nf\tg\x01h";
  EXPECT_EQ(XmlEscape("a&b<c>\"'"), "a&amp;b&lt;c&gt;&quot;&apos;");
  Result<XmlElement> r =
      ParseXml("<Key attr=\"" + XmlEscape("q\"") + "\">" + XmlEscape(nasty) + "</Key>");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // \x01 is not XML 1.0 text; pugixml accepts the reference and hands back the byte.
  EXPECT_EQ(r->text, nasty);
}

}  // namespace
}  // namespace steady::aws
