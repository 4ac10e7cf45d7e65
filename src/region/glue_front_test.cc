// Glue over HTTP through the region's front door: awsJson 1.1 with X-Amz-Target "AWSGlue.*",
// Glue's PascalCase shapes with epoch-second timestamps, and its error bodies.
#include "region/glue_front.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/metrics.h"
#include "net/http_client_curl.h"

namespace steady::region {
namespace {

using nlohmann::json;

Status NoOp(std::string_view) { return Status::Ok(); }

class GlueFrontTest : public ::testing::Test {
 protected:
  void SetUp() override {
    journal_ = *Journal::Open({}, NoOp, NoOp);
    ctx_ = std::make_unique<RegionContext>(clock_, *journal_);
    glue_ = std::make_unique<GlueModel>(*ctx_);
    FrontOptions o;
    o.listen = "127.0.0.1:0";
    front_ = std::make_unique<RegionFront>(o, clock_, metrics_);
    front_->Register(glue_->MakeFront());
    ASSERT_TRUE(front_->Start().ok());
  }
  void TearDown() override { front_->Stop(); }

  // Calls `op` with a raw body and returns {status, body}.
  std::pair<int, json> CallRaw(const std::string& op, const std::string& body) {
    net::HttpRequest req;
    req.method = "POST";
    req.url = front_->base_url() + "/";
    req.body = body;
    req.headers.Add("Content-Type", "application/x-amz-json-1.1");
    req.headers.Add("X-Amz-Target", "AWSGlue." + op);
    req.headers.Add("Authorization",
                    "AWS4-HMAC-SHA256 Credential=k/20261201/us-east-1/glue/aws4_request, "
                    "SignedHeaders=host, Signature=00");
    auto resp = http_.Send(req);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    if (!resp.ok()) return {0, json()};
    return {resp->status, json::parse(resp->body.empty() ? "{}" : resp->body)};
  }
  std::pair<int, json> Call(const std::string& op, const json& body) {
    return CallRaw(op, body.dump());
  }

  ManualClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RegionContext> ctx_;
  std::unique_ptr<GlueModel> glue_;
  MetricsRegistry metrics_;
  std::unique_ptr<RegionFront> front_;
  net::CurlHttpClient http_;
};

json TableInput(const std::string& name) {
  return {{"Name", name},
          {"TableType", "EXTERNAL_TABLE"},
          {"Parameters", {{"classification", "json"}}},
          {"PartitionKeys", {{{"Name", "dt"}, {"Type", "string"}}}},
          {"StorageDescriptor",
           {{"Columns", {{{"Name", "msg"}, {"Type", "string"}, {"Comment", "line"}}}},
            {"Location", "s3://b/p/"},
            {"Compressed", false},
            {"SerdeInfo",
             {{"SerializationLibrary", "org.openx.data.jsonserde.JsonSerDe"},
              {"Parameters", {{"x", "y"}}}}}}}};
}

TEST_F(GlueFrontTest, CatalogShapes) {
  auto [st, out] = Call("CreateDatabase", {{"DatabaseInput", {{"Name", "Logs"}}}});
  ASSERT_EQ(st, 200) << out.dump();
  EXPECT_EQ(out, json::object());
  std::tie(st, out) =
      Call("CreateTable", {{"DatabaseName", "logs"}, {"TableInput", TableInput("A")}});
  ASSERT_EQ(st, 200) << out.dump();

  std::tie(st, out) = Call("GetTable", {{"DatabaseName", "LOGS"}, {"Name", "a"}});
  ASSERT_EQ(st, 200) << out.dump();
  const json& t = out["Table"];
  EXPECT_EQ(t["Name"], "a");
  EXPECT_EQ(t["DatabaseName"], "logs");
  EXPECT_EQ(t["CatalogId"], "000000000000");
  EXPECT_EQ(t["CreateTime"], ToUnixSeconds(clock_.Now()));
  EXPECT_TRUE(t["UpdateTime"].is_number());
  EXPECT_EQ(t["StorageDescriptor"], TableInput("A")["StorageDescriptor"]);
  EXPECT_EQ(t["PartitionKeys"], TableInput("A")["PartitionKeys"]);

  std::tie(st, out) = Call("GetDatabase", {{"Name", "logs"}});
  ASSERT_EQ(st, 200);
  EXPECT_EQ(out["Database"]["Name"], "logs");
  EXPECT_TRUE(out["Database"]["CreateTime"].is_number());

  std::tie(st, out) = Call("GetTable", {{"DatabaseName", "logs"}, {"Name", "nope"}});
  EXPECT_EQ(st, 400);
  EXPECT_EQ(out["__type"], "com.amazonaws.glue#EntityNotFoundException");
  EXPECT_EQ(out["message"], "Table nope not found.");
  std::tie(st, out) = Call("CreateDatabase", {{"DatabaseInput", {{"Name", "logs"}}}});
  EXPECT_EQ(st, 400);
  EXPECT_EQ(out["__type"], "com.amazonaws.glue#AlreadyExistsException");
}

TEST_F(GlueFrontTest, PartitionsAndPages) {
  ASSERT_EQ(Call("CreateDatabase", {{"DatabaseInput", {{"Name", "logs"}}}}).first, 200);
  ASSERT_EQ(Call("CreateTable", {{"DatabaseName", "logs"}, {"TableInput", TableInput("a")}}).first,
            200);
  json list = json::array();
  for (int i = 0; i < 5; ++i) list.push_back({{"Values", {"d" + std::to_string(i)}}});
  list.push_back({{"Values", {"d0"}}});
  list.push_back({{"Values", {"x", "y"}}});
  auto [st, out] =
      Call("BatchCreatePartition",
           {{"DatabaseName", "logs"}, {"TableName", "a"}, {"PartitionInputList", list}});
  ASSERT_EQ(st, 200) << out.dump();
  ASSERT_EQ(out["Errors"].size(), 2u);
  EXPECT_EQ(out["Errors"][0]["PartitionValues"], json({"d0"}));
  EXPECT_EQ(out["Errors"][0]["ErrorDetail"]["ErrorCode"], "AlreadyExistsException");
  EXPECT_EQ(out["Errors"][1]["ErrorDetail"]["ErrorCode"], "InvalidInputException");

  std::vector<std::string> seen;
  json token;
  int pages = 0;
  do {
    json req = {{"DatabaseName", "logs"}, {"TableName", "a"}, {"MaxResults", 2}};
    if (!token.is_null()) req["NextToken"] = token;
    std::tie(st, out) = Call("GetPartitions", req);
    ASSERT_EQ(st, 200) << out.dump();
    for (const json& p : out["Partitions"]) {
      EXPECT_EQ(p["DatabaseName"], "logs");
      EXPECT_EQ(p["TableName"], "a");
      EXPECT_TRUE(p["CreationTime"].is_number());
      seen.push_back(p["Values"][0]);
    }
    token = out.contains("NextToken") ? out["NextToken"] : json();
    ++pages;
  } while (!token.is_null());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"d0", "d1", "d2", "d3", "d4"}));
}

TEST_F(GlueFrontTest, SinglePartitionsBatchesAndExpressions) {
  ASSERT_EQ(Call("CreateDatabase", {{"DatabaseInput", {{"Name", "logs"}}}}).first, 200);
  ASSERT_EQ(Call("CreateTable", {{"DatabaseName", "logs"}, {"TableInput", TableInput("A")}}).first,
            200);
  const json where = {{"DatabaseName", "logs"}, {"TableName", "A"}};
  auto with = [&](json extra) {
    json req = where;
    req.update(extra);
    return req;
  };
  for (const char* dt : {"2026-11-30", "2026-12-01", "2026-12-02"})
    ASSERT_EQ(Call("CreatePartition",
                   with({{"PartitionInput",
                          {{"Values", {dt}},
                           {"StorageDescriptor", {{"Location", std::string("s3://b/") + dt}}}}}}))
                  .first,
              200);

  auto [st, out] = Call("GetPartition", with({{"PartitionValues", {"2026-12-01"}}}));
  ASSERT_EQ(st, 200) << out.dump();
  EXPECT_EQ(out["Partition"]["Values"], json({"2026-12-01"}));
  EXPECT_EQ(out["Partition"]["TableName"], "a");
  EXPECT_EQ(out["Partition"]["StorageDescriptor"]["Location"], "s3://b/2026-12-01");

  std::tie(st, out) = Call("GetPartitions", with({{"Expression", "dt >= '2026-12-01'"}}));
  ASSERT_EQ(st, 200) << out.dump();
  ASSERT_EQ(out["Partitions"].size(), 2u);
  EXPECT_EQ(out["Partitions"][0]["Values"], json({"2026-12-01"}));
  std::tie(st, out) = Call("GetPartitions", with({{"Expression", "dt >="}}));
  EXPECT_EQ(st, 400);
  EXPECT_EQ(out["__type"], "com.amazonaws.glue#InvalidInputException");
  EXPECT_EQ(out["message"], "Expression: expected a value at the end");

  std::tie(st, out) =
      Call("UpdatePartition",
           with({{"PartitionValueList", {"2026-11-30"}},
                 {"PartitionInput", {{"Values", {"2026-11-29"}}, {"Parameters", {{"k", "v"}}}}}}));
  ASSERT_EQ(st, 200) << out.dump();
  std::tie(st, out) = Call(
      "BatchGetPartition",
      with({{"PartitionsToGet", {{{"Values", {"2026-11-29"}}}, {{"Values", {"2026-11-30"}}}}}}));
  ASSERT_EQ(st, 200) << out.dump();
  ASSERT_EQ(out["Partitions"].size(), 1u);
  EXPECT_EQ(out["Partitions"][0]["Parameters"]["k"], "v");
  EXPECT_EQ(out["UnprocessedKeys"], json::array());

  std::tie(st, out) =
      Call("BatchDeletePartition",
           with({{"PartitionsToDelete", {{{"Values", {"2026-11-29"}}}, {{"Values", {"nope"}}}}}}));
  ASSERT_EQ(st, 200) << out.dump();
  ASSERT_EQ(out["Errors"].size(), 1u);
  EXPECT_EQ(out["Errors"][0]["PartitionValues"], json({"nope"}));
  EXPECT_EQ(out["Errors"][0]["ErrorDetail"]["ErrorCode"], "EntityNotFoundException");
  ASSERT_EQ(Call("DeletePartition", with({{"PartitionValues", {"2026-12-02"}}})).first, 200);
  std::tie(st, out) = Call("DeletePartition", with({{"PartitionValues", {"2026-12-02"}}}));
  EXPECT_EQ(st, 400);
  EXPECT_EQ(out["__type"], "com.amazonaws.glue#EntityNotFoundException");
  std::tie(st, out) = Call("GetPartition", with({{"PartitionValues", "2026-12-01"}}));
  EXPECT_EQ(st, 400);
  EXPECT_EQ(out["message"], "PartitionValues is required.");

  std::tie(st, out) = Call("GetPartitions", where);
  ASSERT_EQ(out["Partitions"].size(), 1u);
  std::tie(st, out) = Call("GetTables", {{"DatabaseName", "logs"}, {"Expression", "b*|a"}});
  ASSERT_EQ(st, 200) << out.dump();
  ASSERT_EQ(out["TableList"].size(), 1u);
  EXPECT_EQ(out["TableList"][0]["Name"], "a");
}

TEST_F(GlueFrontTest, MalformedRequests) {
  auto [st, out] = CallRaw("GetTable", "{not json");
  EXPECT_EQ(st, 400);
  EXPECT_EQ(out["__type"], "com.amazonaws.glue#SerializationException");
  std::tie(st, out) = Call("GetTable", {{"DatabaseName", 5}, {"Name", "x"}});
  EXPECT_EQ(st, 400);
  EXPECT_EQ(out["__type"], "com.amazonaws.glue#InvalidInputException");
  std::tie(st, out) = Call("CreateTable", {{"DatabaseName", "x"}});
  EXPECT_EQ(st, 400);
  EXPECT_EQ(out["__type"], "com.amazonaws.glue#InvalidInputException");
  std::tie(st, out) =
      Call("CreateTable",
           {{"DatabaseName", "x"},
            {"TableInput", {{"Name", "t"}, {"StorageDescriptor", {{"Columns", "nope"}}}}}});
  EXPECT_EQ(st, 400);
  EXPECT_EQ(out["__type"], "com.amazonaws.glue#InvalidInputException");
  std::tie(st, out) = Call("GetTables", {{"DatabaseName", "x"}, {"NextToken", "bogus"}});
  EXPECT_EQ(st, 400);
  std::tie(st, out) = Call("StartCrawler", json::object());
  EXPECT_EQ(st, 400);
  EXPECT_EQ(out["__type"], "com.amazonaws.glue#UnknownOperationException");
}

}  // namespace
}  // namespace steady::region
