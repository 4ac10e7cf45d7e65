#include "aws/events_client.h"

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/fake_http_client.h"

namespace steady::aws {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

using FakeHttp = net::FakeHttpClient;

class EventsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TransportOptions t;
    t.endpoint = "http://127.0.0.1:4566";
    t.max_attempts = 1;  // no backoff sleeps
    transport_ =
        std::make_unique<AwsTransport>(EventsService(), t, http_, *credentials_, clock_, metrics_);
    client_ = std::make_unique<EventsClient>(*transport_);
    Answer(200, "{}");
  }

  void Answer(int status, std::string body) {
    http_.handler = [status, body](const net::HttpRequest&) {
      net::HttpResponse r;
      r.status = status;
      r.body = body;
      r.headers.Set("Content-Type", "application/x-amz-json-1.1");
      return r;
    };
  }
  void Answer(const json& body) { Answer(200, body.dump()); }

  // The target's operation and the parsed body of the last request.
  std::string LastOperation() {
    std::string target = http_.requests.back().headers.Get("X-Amz-Target");
    EXPECT_TRUE(target.starts_with("AWSEvents.")) << target;
    return target.substr(target.find('.') + 1);
  }
  json LastBody() { return json::parse(http_.requests.back().body); }

  FakeHttp http_;
  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<CredentialsProvider> credentials_ =
      StaticCredentials({.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"});
  std::unique_ptr<AwsTransport> transport_;
  std::unique_ptr<EventsClient> client_;
};

TEST_F(EventsClientTest, ServiceInfo) {
  ServiceInfo s = EventsService();
  EXPECT_EQ(s.service_id, "EventBridge");
  EXPECT_EQ(s.signing_name, "events");
  EXPECT_EQ(s.endpoint_prefix, "events");
  EXPECT_EQ(s.protocol, Protocol::kJson11);
}

TEST_F(EventsClientTest, PutRuleBodyAndHeaders) {
  Answer(json{{"RuleArn", "arn:aws:events:us-east-1:1:rule/r"}});
  PutRuleRequest req;
  req.name = "r";
  req.event_pattern = R"({"source":["a"]})";
  req.schedule_expression = "rate(5 minutes)";
  req.state = "ENABLED";
  req.description = "d";
  req.role_arn = "ra";
  req.event_bus_name = "default";
  req.tags = {{"k", "v"}};
  auto arn = client_->PutRule(req);
  ASSERT_TRUE(arn.ok()) << arn.status().ToString();
  EXPECT_EQ(*arn, "arn:aws:events:us-east-1:1:rule/r");

  const net::HttpRequest& r = http_.requests.back();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://127.0.0.1:4566/");
  EXPECT_EQ(r.headers.Get("X-Amz-Target"), "AWSEvents.PutRule");
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_THAT(r.headers.Get("Authorization"), HasSubstr("/us-east-1/events/aws4_request"));
  // botocore 1.29's body for the same call.
  EXPECT_EQ(LastBody(), json::parse(R"js({"Name": "r", "EventPattern": "{\"source\":[\"a\"]}",
      "State": "ENABLED", "Description": "d", "RoleArn": "ra",
      "Tags": [{"Key": "k", "Value": "v"}], "EventBusName": "default",
      "ScheduleExpression": "rate(5 minutes)"})js"));

  // Members left empty are not sent.
  ASSERT_TRUE(client_->PutRule({.name = "r2", .event_pattern = "{}"}).ok());
  EXPECT_EQ(LastBody(), (json{{"Name", "r2"}, {"EventPattern", "{}"}}));
}

TEST_F(EventsClientTest, DescribeAndListRules) {
  Answer(json{{"Name", "r"},
              {"Arn", "arn:r"},
              {"EventPattern", "{}"},
              {"State", "DISABLED"},
              {"Description", "d"},
              {"ScheduleExpression", "rate(1 minute)"},
              {"RoleArn", "ra"},
              {"EventBusName", "default"},
              {"CreatedBy", "000000000000"}});
  auto rule = client_->DescribeRule("r");
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  EXPECT_EQ(LastOperation(), "DescribeRule");
  EXPECT_EQ(LastBody(), (json{{"Name", "r"}}));
  EXPECT_EQ(rule->name, "r");
  EXPECT_EQ(rule->arn, "arn:r");
  EXPECT_EQ(rule->event_pattern, "{}");
  EXPECT_EQ(rule->state, "DISABLED");
  EXPECT_EQ(rule->description, "d");
  EXPECT_EQ(rule->schedule_expression, "rate(1 minute)");
  EXPECT_EQ(rule->role_arn, "ra");
  EXPECT_EQ(rule->event_bus_name, "default");
  EXPECT_EQ(rule->created_by, "000000000000");

  Answer(json{{"Rules",
               {{{"Name", "a"}, {"Arn", "arn:a"}, {"State", "ENABLED"}},
                {{"Name", "b"}, {"Arn", "arn:b"}, {"State", "ENABLED"}}}},
              {"NextToken", "n2"}});
  auto page = client_->ListRules({"pre", "default", "n1", 2});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(LastOperation(), "ListRules");
  EXPECT_EQ(
      LastBody(),
      (json{
          {"NamePrefix", "pre"}, {"EventBusName", "default"}, {"NextToken", "n1"}, {"Limit", 2}}));
  ASSERT_EQ(page->rules.size(), 2u);
  EXPECT_EQ(page->rules[1].arn, "arn:b");
  EXPECT_EQ(page->next_token, "n2");

  Answer(json::object());
  page = client_->ListRules({});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->rules.empty());
  EXPECT_EQ(LastBody(), json::object());
}

TEST_F(EventsClientTest, RuleStateAndDelete) {
  ASSERT_TRUE(client_->EnableRule("r").ok());
  EXPECT_EQ(LastOperation(), "EnableRule");
  EXPECT_EQ(LastBody(), (json{{"Name", "r"}}));
  ASSERT_TRUE(client_->DisableRule("r", "default").ok());
  EXPECT_EQ(LastOperation(), "DisableRule");
  EXPECT_EQ(LastBody(), (json{{"Name", "r"}, {"EventBusName", "default"}}));
  ASSERT_TRUE(client_->DeleteRule("r").ok());
  EXPECT_EQ(LastOperation(), "DeleteRule");
  EXPECT_EQ(LastBody(), (json{{"Name", "r"}}));
  ASSERT_TRUE(client_->DeleteRule("r", "", true).ok());
  EXPECT_EQ(LastBody(), (json{{"Name", "r"}, {"Force", true}}));
}

TEST_F(EventsClientTest, Targets) {
  Answer(
      json{{"FailedEntryCount", 1},
           {"FailedEntries", {{{"TargetId", "t2"}, {"ErrorCode", "E"}, {"ErrorMessage", "no"}}}}});
  auto put = client_->PutTargets(
      "r", "default", {{"t1", "arn:q", "", "{}", ""}, {"t2", "arn:x", "ra", "", "$.detail"}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(LastOperation(), "PutTargets");
  EXPECT_EQ(LastBody(), json::parse(R"({"Rule": "r", "EventBusName": "default", "Targets": [
      {"Id": "t1", "Arn": "arn:q", "Input": "{}"},
      {"Id": "t2", "Arn": "arn:x", "RoleArn": "ra", "InputPath": "$.detail"}]})"));
  EXPECT_EQ(put->failed_entry_count, 1);
  ASSERT_EQ(put->failed_entries.size(), 1u);
  EXPECT_EQ(put->failed_entries[0].target_id, "t2");
  EXPECT_EQ(put->failed_entries[0].error_code, "E");
  EXPECT_EQ(put->failed_entries[0].error_message, "no");

  Answer(json{{"Targets",
               {{{"Id", "t1"}, {"Arn", "arn:q"}, {"Input", "{}"}},
                {{"Id", "t2"}, {"Arn", "arn:x"}, {"RoleArn", "ra"}, {"InputPath", "$.detail"}}}},
              {"NextToken", "n"}});
  auto list = client_->ListTargetsByRule("r", "", "p", 5);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(LastOperation(), "ListTargetsByRule");
  EXPECT_EQ(LastBody(), (json{{"Rule", "r"}, {"NextToken", "p"}, {"Limit", 5}}));
  ASSERT_EQ(list->targets.size(), 2u);
  EXPECT_EQ(list->targets[0], (EventTarget{"t1", "arn:q", "", "{}", ""}));
  EXPECT_EQ(list->targets[1], (EventTarget{"t2", "arn:x", "ra", "", "$.detail"}));
  EXPECT_EQ(list->next_token, "n");

  Answer(json{{"FailedEntryCount", 0}, {"FailedEntries", json::array()}});
  auto removed = client_->RemoveTargets("r", "", {"t1", "t2"}, true);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(LastOperation(), "RemoveTargets");
  EXPECT_EQ(LastBody(), (json{{"Rule", "r"}, {"Ids", {"t1", "t2"}}, {"Force", true}}));
  EXPECT_EQ(removed->failed_entry_count, 0);
}

TEST_F(EventsClientTest, PutEventsPairsResultsWithEntries) {
  Answer(
      json{{"FailedEntryCount", 1},
           {"Entries",
            {{{"EventId", "e1"}}, {{"ErrorCode", "MalformedDetail"}, {"ErrorMessage", "bad"}}}}});
  std::vector<PutEventsRequestEntry> entries(2);
  entries[0].time = FromUnixSeconds(1795460400);
  entries[0].source = "steady.test";
  entries[0].resources = {"arn:r"};
  entries[0].detail_type = "dt";
  entries[0].detail = R"({"a":1})";
  entries[0].event_bus_name = "default";
  entries[0].trace_header = "th";
  entries[1].time = FromUnixSeconds(1795460400.25);
  entries[1].source = "s";
  auto out = client_->PutEvents(entries);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(LastOperation(), "PutEvents");
  // Time is epoch seconds (botocore's default for awsJson); a fraction is kept to the
  // millisecond.
  EXPECT_EQ(LastBody(), json::parse(R"({"Entries": [
      {"Time": 1795460400, "Source": "steady.test", "Resources": ["arn:r"], "DetailType": "dt",
       "Detail": "{\"a\":1}", "EventBusName": "default", "TraceHeader": "th"},
      {"Time": 1795460400.25, "Source": "s"}]})"));
  EXPECT_EQ(out->failed_entry_count, 1);
  ASSERT_EQ(out->entries.size(), 2u);
  EXPECT_EQ(out->entries[0].event_id, "e1");
  EXPECT_EQ(out->entries[1].error_code, "MalformedDetail");
  EXPECT_EQ(out->entries[1].error_message, "bad");
}

TEST_F(EventsClientTest, TestEventPattern) {
  Answer(json{{"Result", true}});
  auto r = client_->TestEventPattern(R"({"source":["a"]})", R"({"source":"a"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  EXPECT_EQ(LastOperation(), "TestEventPattern");
  EXPECT_EQ(LastBody(),
            (json{{"EventPattern", R"({"source":["a"]})"}, {"Event", R"({"source":"a"})"}}));
  Answer(json{{"Result", false}});
  EXPECT_FALSE(*client_->TestEventPattern("{}", "{}"));
}

TEST_F(EventsClientTest, ErrorsKeepEventBridgeCodes) {
  Answer(400, R"({"__type": "ResourceNotFoundException", "message": "Rule r does not exist."})");
  auto rule = client_->DescribeRule("r");
  EXPECT_EQ(rule.status().code(), StatusCode::kNotFound) << rule.status().ToString();
  EXPECT_EQ(AwsErrorCode(rule.status()), "ResourceNotFoundException");

  Answer(400, R"({"__type": "InvalidEventPatternException", "message": "bad"})");
  auto put = client_->PutRule({.name = "r", .event_pattern = "[1]"});
  EXPECT_EQ(put.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AwsErrorCode(put.status()), "InvalidEventPatternException");

  Answer(
      400,
      R"({"__type": "ValidationException", "message": "Rule can't be deleted since it has targets."})");
  Status del = client_->DeleteRule("r");
  EXPECT_EQ(del.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(del.message(), HasSubstr("has targets"));
}

TEST_F(EventsClientTest, WrongShapesAreDataLoss) {
  auto expect_loss = [&](const std::string& body, auto call, const char* what) {
    Answer(200, body);
    Status s = call();
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << what << ": " << s.ToString();
  };
  auto put_rule = [&] { return client_->PutRule({.name = "r"}).status(); };
  expect_loss("not json", put_rule, "not json");
  expect_loss("[1,2]", put_rule, "array");
  expect_loss(R"({"RuleArn": 5})", put_rule, "number arn");
  expect_loss(R"({"Other": "x"})", put_rule, "no arn");
  auto describe = [&] { return client_->DescribeRule("r").status(); };
  expect_loss(R"({"Name": "r"})", describe, "no arn");
  expect_loss(R"({"Name": ["r"], "Arn": "a"})", describe, "list name");
  auto list = [&] { return client_->ListRules({}).status(); };
  expect_loss(R"({"Rules": {"Name": "r"}})", list, "rules object");
  expect_loss(R"({"Rules": ["r"]})", list, "rules of strings");
  expect_loss(R"({"Rules": [], "NextToken": 3})", list, "number token");
  auto targets = [&] { return client_->ListTargetsByRule("r").status(); };
  expect_loss(R"({"Targets": [{"Id": "t"}]})", targets, "target without arn");
  auto put_targets = [&] {
    return client_->PutTargets("r", "", {{"t", "a", "", "", ""}}).status();
  };
  expect_loss(R"({"FailedEntryCount": "one"})", put_targets, "string count");
  expect_loss(R"({"FailedEntries": [3]})", put_targets, "entries of numbers");
  auto test = [&] { return client_->TestEventPattern("{}", "{}").status(); };
  expect_loss("{}", test, "no result");
  expect_loss(R"({"Result": "true"})", test, "string result");

  std::vector<PutEventsRequestEntry> two(2);
  auto put_events = [&] { return client_->PutEvents(two).status(); };
  expect_loss(R"({"FailedEntryCount": 0, "Entries": [{"EventId": "e"}]})", put_events,
              "one result for two events");
  expect_loss(R"({"FailedEntryCount": 0, "Entries": [{"EventId": "e"}, {}]})", put_events,
              "an empty entry");
  expect_loss(R"({"FailedEntryCount": 0, "Entries": [{"EventId": "e"}, {"ErrorCode": "X"}]})",
              put_events, "count disagrees");
}

}  // namespace
}  // namespace steady::aws
