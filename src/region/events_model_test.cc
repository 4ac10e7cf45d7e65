#include "region/events_model.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "aws/aws_error.h"
#include "base/time_format.h"
#include "region/events_envelope.h"

namespace steady::region {
namespace {

using nlohmann::json;

Status NoOp(std::string_view) { return Status::Ok(); }

const char* const kSpotPattern =
    R"({"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]})";
const char* const kOrderPattern =
    R"({"source": ["shop.orders"], "detail": {"total": [{"numeric": [">", 100]}]}})";

class EventsModelTest : public ::testing::Test {
 protected:
  EventsModelTest() {
    journal_ = *Journal::Open({}, NoOp, NoOp);
    ctx_ = std::make_unique<RegionContext>(clock_, *journal_);
    sqs_ = std::make_unique<SqsModel>(*ctx_);
    events_ = std::make_unique<EventsModel>(*ctx_, *sqs_);
  }

  std::pair<std::string, std::string> Queue(const std::string& name) {
    std::string url = *sqs_->CreateQueue(name, {});
    return {url, *sqs_->QueueArn(url)};
  }

  std::string Rule(const std::string& name, const std::string& pattern,
                   const std::string& state = "") {
    auto arn = events_->PutRule({.name = name, .event_pattern = pattern, .state = state});
    EXPECT_TRUE(arn.ok()) << arn.status().ToString();
    return arn.value_or("");
  }

  void Target(const std::string& rule, aws::EventTarget t) {
    auto r = events_->PutTargets(rule, "", {t});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->failed_entry_count, 0);
  }

  aws::PutEventsResult Put(std::vector<aws::PutEventsRequestEntry> entries) {
    auto r = events_->PutEvents(entries);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.value_or(aws::PutEventsResult{});
  }

  std::vector<std::string> Bodies(const std::string& url) {
    auto got = sqs_->ReceiveMessage({.queue_url = url, .max_number_of_messages = 10});
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    std::vector<std::string> out;
    for (const auto& m : got.value_or({})) out.push_back(m.body);
    return out;
  }

  static aws::PutEventsRequestEntry Order(int total) {
    return {.source = "shop.orders",
            .resources = {"arn:aws:shop:::order/1"},
            .detail_type = "Order Placed",
            .detail = R"({"total": )" + std::to_string(total) + R"(, "id": "o-1"})"};
  }

  ManualClock clock_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<RegionContext> ctx_;
  std::unique_ptr<SqsModel> sqs_;
  std::unique_ptr<EventsModel> events_;
};

TEST_F(EventsModelTest, PutRuleDescribeAndList) {
  std::string arn = Rule("big-orders", kOrderPattern);
  EXPECT_EQ(arn, "arn:aws:events:us-east-1:000000000000:rule/big-orders");
  auto d = events_->DescribeRule("big-orders");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->event_pattern, kOrderPattern);
  EXPECT_EQ(d->state, "ENABLED");
  EXPECT_EQ(d->event_bus_name, "default");
  EXPECT_EQ(d->arn, arn);
  // PutRule replaces; a schedule is accepted and kept.
  ASSERT_TRUE(events_
                  ->PutRule({.name = "big-orders",
                             .event_pattern = kOrderPattern,
                             .schedule_expression = "rate(5 minutes)",
                             .state = "DISABLED",
                             .description = "d"})
                  .ok());
  d = events_->DescribeRule("big-orders", "default");
  EXPECT_EQ(d->state, "DISABLED");
  EXPECT_EQ(d->schedule_expression, "rate(5 minutes)");
  EXPECT_EQ(d->description, "d");

  for (int i = 0; i < 5; ++i) Rule("batch-" + std::to_string(i), kSpotPattern);
  auto page = events_->ListRules({.name_prefix = "batch-", .limit = 2});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->rules.size(), 2u);
  EXPECT_EQ(page->rules[0].name, "batch-0");
  std::vector<std::string> names;
  std::string token = page->next_token;
  for (auto& r : page->rules) names.push_back(r.name);
  while (!token.empty()) {
    auto next = events_->ListRules({.name_prefix = "batch-", .next_token = token, .limit = 2});
    ASSERT_TRUE(next.ok());
    for (auto& r : next->rules) names.push_back(r.name);
    token = next->next_token;
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"batch-0", "batch-1", "batch-2", "batch-3", "batch-4"}));
  EXPECT_EQ(events_->ListRules({})->rules.size(), 6u);
  EXPECT_EQ(aws::AwsErrorCode(events_->ListRules({.next_token = "junk"}).status()),
            "ValidationException");
}

TEST_F(EventsModelTest, PutRuleRefusesBadInput) {
  auto code = [&](aws::PutRuleRequest r) {
    return aws::AwsErrorCode(events_->PutRule(r).status());
  };
  EXPECT_EQ(code({.name = "r", .event_pattern = R"({"source": "aws.ec2"})"}),
            "InvalidEventPatternException");
  EXPECT_EQ(code({.name = "r", .event_pattern = "{not json"}), "InvalidEventPatternException");
  auto bad = events_->PutRule({.name = "r", .event_pattern = R"({"a": []})"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find(
                "Event pattern is not valid. Reason: Empty arrays are not allowed"),
            std::string::npos);
  EXPECT_EQ(code({.name = "r"}), "ValidationException");
  EXPECT_EQ(code({.name = "bad name", .event_pattern = kSpotPattern}), "ValidationException");
  EXPECT_EQ(code({.name = std::string(65, 'r'), .event_pattern = kSpotPattern}),
            "ValidationException");
  EXPECT_EQ(code({.name = "r", .schedule_expression = "every 5 minutes"}), "ValidationException");
  EXPECT_EQ(code({.name = "r", .event_pattern = kSpotPattern, .state = "ON"}),
            "ValidationException");
  EXPECT_EQ(code({.name = "r", .event_pattern = kSpotPattern, .event_bus_name = "custom"}),
            "ResourceNotFoundException");
  EXPECT_EQ(code({.name = "r", .event_pattern = std::string(4097, ' ')}), "ValidationException");
  EXPECT_TRUE(events_
                  ->PutRule({.name = "r",
                             .event_pattern = kSpotPattern,
                             .event_bus_name = ctx_->Arn("events", "event-bus/default")})
                  .ok());
  EXPECT_EQ(aws::AwsErrorCode(events_->DescribeRule("missing").status()),
            "ResourceNotFoundException");
  EXPECT_EQ(events_->DescribeRule("missing").status().code(), StatusCode::kNotFound);
}

TEST_F(EventsModelTest, MatchingEventsReachTheTargetQueueInTheEnvelope) {
  auto [url, arn] = Queue("orders");
  Rule("big-orders", kOrderPattern);
  Target("big-orders", {.id = "q", .arn = arn});
  auto result =
      Put({Order(250),
           Order(50),
           {.source = "other", .detail_type = "Order Placed", .detail = R"({"total": 500})"}});
  EXPECT_EQ(result.failed_entry_count, 0);
  ASSERT_EQ(result.entries.size(), 3u);
  auto bodies = Bodies(url);
  ASSERT_EQ(bodies.size(), 1u);  // only the big order from shop.orders
  json e = json::parse(bodies[0]);
  EXPECT_EQ(e["version"], "0");
  EXPECT_EQ(e["id"], result.entries[0].event_id);
  EXPECT_EQ(e["detail-type"], "Order Placed");
  EXPECT_EQ(e["source"], "shop.orders");
  EXPECT_EQ(e["account"], "000000000000");
  EXPECT_EQ(e["time"], FormatIso8601(clock_.Now()));
  EXPECT_EQ(e["region"], "us-east-1");
  EXPECT_EQ(e["resources"], json::array({"arn:aws:shop:::order/1"}));
  EXPECT_EQ(e["detail"], json({{"total", 250}, {"id", "o-1"}}));
  // EventBridge's field order, and the detail as the caller wrote it.
  EXPECT_EQ(bodies[0].rfind(R"({"version":"0","id":")", 0), 0u);
  EXPECT_NE(bodies[0].find(R"("detail":{"total":250,"id":"o-1"}})"), std::string::npos);
  auto stats = events_->stats();
  EXPECT_EQ(stats.events, 3u);
  EXPECT_EQ(stats.matched, 1u);
  EXPECT_EQ(stats.delivered, 1u);

  // An explicit time is kept (seconds, Z).
  auto t = Order(300);
  t.time = FromUnixSeconds(1'600'000'000.7);
  Put({t});
  bodies = Bodies(url);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(json::parse(bodies[0])["time"], "2020-09-13T12:26:40Z");
}

TEST_F(EventsModelTest, DisabledRulesDeliverNothingUntilEnabled) {
  auto [url, arn] = Queue("q");
  Rule("r", kOrderPattern, "DISABLED");
  Target("r", {.id = "t", .arn = arn});
  Put({Order(500)});
  EXPECT_TRUE(Bodies(url).empty());
  ASSERT_TRUE(events_->EnableRule("r").ok());
  Put({Order(500)});
  EXPECT_EQ(Bodies(url).size(), 1u);
  ASSERT_TRUE(events_->DisableRule("r").ok());
  Put({Order(500)});
  EXPECT_TRUE(Bodies(url).empty());
  EXPECT_EQ(aws::AwsErrorCode(events_->EnableRule("nope")), "ResourceNotFoundException");
  // A rule with only a schedule never matches events.
  ASSERT_TRUE(events_->PutRule({.name = "cron", .schedule_expression = "cron(0 * * * ? *)"}).ok());
  Target("cron", {.id = "t", .arn = arn});
  Put({Order(500)});
  EXPECT_TRUE(Bodies(url).empty());
}

TEST_F(EventsModelTest, InputAndInputPathShapeWhatTargetsGet) {
  auto [whole_url, whole] = Queue("whole");
  auto [input_url, input] = Queue("input");
  auto [path_url, path] = Queue("path");
  auto [leaf_url, leaf] = Queue("leaf");
  Rule("r", kOrderPattern);
  auto r = events_->PutTargets("r", "",
                               {{.id = "whole", .arn = whole},
                                {.id = "input", .arn = input, .input = R"({"fixed": 1})"},
                                {.id = "path", .arn = path, .input_path = "$.detail"},
                                {.id = "leaf", .arn = leaf, .input_path = "$.resources[0]"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failed_entry_count, 0);
  Put({Order(101)});
  EXPECT_EQ(json::parse(Bodies(whole_url).at(0))["detail"]["total"], 101);
  EXPECT_EQ(Bodies(input_url), std::vector<std::string>{R"({"fixed": 1})"});
  EXPECT_EQ(Bodies(path_url), std::vector<std::string>{R"({"total":101,"id":"o-1"})"});
  EXPECT_EQ(Bodies(leaf_url), std::vector<std::string>{R"("arn:aws:shop:::order/1")"});
  auto listed = events_->ListTargetsByRule("r");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->targets.size(), 4u);
  auto page = events_->ListTargetsByRule("r", "", "", 3);
  ASSERT_EQ(page->targets.size(), 3u);
  auto rest = events_->ListTargetsByRule("r", "", page->next_token, 3);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->targets.size(), 1u);
  EXPECT_TRUE(rest->next_token.empty());
}

TEST_F(EventsModelTest, PutTargetsReportsBadEntriesAndEnforcesLimits) {
  auto [url, arn] = Queue("q");
  Rule("r", kOrderPattern);
  auto r = events_->PutTargets("r", "",
                               {{.id = "ok", .arn = arn},
                                {.id = "badarn", .arn = "queue"},
                                {.id = "both", .arn = arn, .input = "{}", .input_path = "$"},
                                {.id = "notjson", .arn = arn, .input = "{"},
                                {.id = "badpath", .arn = arn, .input_path = "detail"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failed_entry_count, 4);
  ASSERT_EQ(r->failed_entries.size(), 4u);
  EXPECT_EQ(r->failed_entries[0].target_id, "badarn");
  EXPECT_EQ(r->failed_entries[0].error_code, "ValidationException");
  EXPECT_EQ(events_->ListTargetsByRule("r")->targets.size(), 1u);

  EXPECT_EQ(aws::AwsErrorCode(events_->PutTargets("nope", "", {{.id = "a", .arn = arn}}).status()),
            "ResourceNotFoundException");
  EXPECT_EQ(aws::AwsErrorCode(events_->PutTargets("r", "", {}).status()), "ValidationException");
  EXPECT_EQ(aws::AwsErrorCode(events_->PutTargets("r", "", {{.id = "a b", .arn = arn}}).status()),
            "ValidationException");
  EXPECT_EQ(aws::AwsErrorCode(
                events_->PutTargets("r", "", {{.id = "a", .arn = arn}, {.id = "a", .arn = arn}})
                    .status()),
            "ValidationException");
  std::vector<aws::EventTarget> five;
  for (int i = 0; i < 5; ++i) five.push_back({.id = "t" + std::to_string(i), .arn = arn});
  EXPECT_EQ(aws::AwsErrorCode(events_->PutTargets("r", "", five).status()),
            "LimitExceededException");
  five.pop_back();
  EXPECT_TRUE(events_->PutTargets("r", "", five).ok());  // 1 + 4 = 5
  // Replacing an existing id does not count twice.
  EXPECT_TRUE(events_->PutTargets("r", "", {{.id = "ok", .arn = arn, .input = "{}"}}).ok());
  EXPECT_EQ(events_->ListTargetsByRule("r")->targets.size(), 5u);
}

TEST_F(EventsModelTest, DeleteRuleNeedsItsTargetsRemovedFirst) {
  auto [url, arn] = Queue("q");
  Rule("r", kOrderPattern);
  Target("r", {.id = "t", .arn = arn});
  EXPECT_EQ(aws::AwsErrorCode(events_->DeleteRule("r")), "ValidationException");
  auto removed = events_->RemoveTargets("r", "", {"t", "never-there"});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->failed_entry_count, 0);
  EXPECT_TRUE(events_->ListTargetsByRule("r")->targets.empty());
  EXPECT_TRUE(events_->DeleteRule("r").ok());
  EXPECT_TRUE(events_->DeleteRule("r").ok());  // already gone: fine, as in EventBridge
  EXPECT_EQ(aws::AwsErrorCode(events_->DescribeRule("r").status()), "ResourceNotFoundException");
  EXPECT_EQ(aws::AwsErrorCode(events_->RemoveTargets("r", "", {"t"}).status()),
            "ResourceNotFoundException");
}

TEST_F(EventsModelTest, PutEventsFailsBadEntriesOneByOne) {
  auto [url, arn] = Queue("q");
  Rule("r", R"({"source": [{"prefix": ""}]})");
  Target("r", {.id = "t", .arn = arn});
  auto result = Put({
      Order(1),
      {.source = "s", .detail_type = "d", .detail = "not json"},
      {.source = "s", .detail_type = "d", .detail = "[1, 2]"},
      {.detail_type = "d", .detail = "{}"},
      {.source = "s", .detail = "{}"},
      {.source = "s", .detail_type = "d"},
      {.source = "aws.ec2", .detail_type = "d", .detail = "{}"},
      {.source = "s", .detail_type = "d", .detail = "{}", .event_bus_name = "other"},
  });
  EXPECT_EQ(result.failed_entry_count, 7);
  ASSERT_EQ(result.entries.size(), 8u);
  EXPECT_FALSE(result.entries[0].event_id.empty());
  EXPECT_EQ(result.entries[1].error_code, "MalformedDetail");
  EXPECT_EQ(result.entries[2].error_code, "MalformedDetail");
  EXPECT_EQ(result.entries[3].error_code, "InvalidArgument");
  EXPECT_EQ(result.entries[4].error_code, "InvalidArgument");
  EXPECT_EQ(result.entries[5].error_code, "InvalidArgument");
  EXPECT_EQ(result.entries[6].error_code, "NotAuthorized");
  EXPECT_EQ(result.entries[7].error_code, "InvalidArgument");
  for (size_t i = 1; i < result.entries.size(); ++i)
    EXPECT_TRUE(result.entries[i].event_id.empty());
  EXPECT_EQ(Bodies(url).size(), 1u);
  EXPECT_EQ(aws::AwsErrorCode(events_->PutEvents({}).status()), "ValidationException");
  EXPECT_EQ(aws::AwsErrorCode(
                events_->PutEvents(std::vector<aws::PutEventsRequestEntry>(11, Order(1))).status()),
            "ValidationException");
}

TEST_F(EventsModelTest, RegionEventsGoThroughTheSameRules) {
  auto [url, arn] = Queue("interruptions");
  Rule("spot", kSpotPattern);
  Target("spot", {.id = "terminator", .arn = arn});
  json warning = {{"source", "aws.ec2"},
                  {"detail-type", "EC2 Spot Instance Interruption Warning"},
                  {"resources", {"arn:aws:ec2:us-east-1:000000000000:instance/i-0abc"}},
                  {"detail", {{"instance-id", "i-0abc"}, {"instance-action", "terminate"}}}};
  auto id = events_->Emit(warning);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(
      events_
          ->Emit({{"source", "aws.ec2"}, {"detail-type", "EC2 Instance Rebalance Recommendation"}})
          .ok());
  auto bodies = Bodies(url);
  ASSERT_EQ(bodies.size(), 1u);
  json e = json::parse(bodies[0]);
  EXPECT_EQ(e["id"], *id);
  EXPECT_EQ(e["version"], "0");
  EXPECT_EQ(e["account"], "000000000000");
  EXPECT_EQ(e["region"], "us-east-1");
  EXPECT_EQ(e["time"], FormatIso8601(clock_.Now()));
  EXPECT_EQ(e["detail"]["instance-id"], "i-0abc");
  EXPECT_EQ(e["resources"][0], "arn:aws:ec2:us-east-1:000000000000:instance/i-0abc");
  // Emit refuses what is not an event.
  EXPECT_EQ(events_->Emit(json::array()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(events_->Emit({{"source", "aws.ec2"}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(events_->Emit({{"source", "s"}, {"detail-type", "d"}, {"detail", "x"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      events_->Emit({{"source", "s"}, {"detail-type", "d"}, {"time", "yesterday"}}).status().code(),
      StatusCode::kInvalidArgument);
}

TEST_F(EventsModelTest, TestEventPatternMatchesWholeEnvelopes) {
  const std::string event = R"({"id": "1", "account": "1", "source": "aws.ec2", "time": "t",
                                "region": "r", "detail-type": "x", "detail": {"n": 5}})";
  EXPECT_TRUE(*events_->TestEventPattern(R"({"detail": {"n": [{"numeric": [">", 1]}]}})", event));
  EXPECT_FALSE(*events_->TestEventPattern(R"({"detail": {"n": [{"numeric": [">", 9]}]}})", event));
  EXPECT_EQ(aws::AwsErrorCode(events_->TestEventPattern("{}", event).status()),
            "InvalidEventPatternException");
  EXPECT_EQ(
      aws::AwsErrorCode(events_->TestEventPattern(kSpotPattern, R"({"source": "x"})").status()),
      "ValidationException");
}

TEST_F(EventsModelTest, SnapshotRestoresRulesTargetsAndState) {
  auto [url, arn] = Queue("q");
  Rule("a", kOrderPattern);
  Rule("b", kSpotPattern, "DISABLED");
  Target("a", {.id = "t", .arn = arn, .input_path = "$.detail"});
  json snap;
  {
    std::lock_guard lock(events_->mutex());
    snap = events_->Snapshot();
  }
  EventsModel copy(*ctx_, *sqs_);
  ASSERT_TRUE(copy.Restore(snap).ok());
  EXPECT_EQ(copy.DescribeRule("b")->state, "DISABLED");
  ASSERT_EQ(copy.ListTargetsByRule("a")->targets.size(), 1u);
  EXPECT_EQ(copy.ListTargetsByRule("a")->targets[0].input_path, "$.detail");
  ASSERT_TRUE(copy.PutEvents({Order(1000)}).ok());
  EXPECT_EQ(Bodies(url), std::vector<std::string>{R"({"total":1000,"id":"o-1"})"});
}

TEST(InputPathTest, SelectsPartsOfTheEnvelope) {
  nlohmann::ordered_json e = EventEnvelope("id-1", "Order Placed", "shop", "1", "t", "r",
                                           {"arn:a", "arn:b"}, {{"a", {{"b-c", 7}}}});
  auto select = [&](std::string_view path) -> std::string {
    auto p = InputPath::Parse(path);
    if (!p) return "<invalid>";
    const nlohmann::ordered_json* v = p->Select(e);
    return v ? v->dump() : "<none>";
  };
  EXPECT_EQ(select("$"), e.dump());
  EXPECT_EQ(select("$.detail"), R"({"a":{"b-c":7}})");
  EXPECT_EQ(select("$.detail.a.b-c"), "7");
  EXPECT_EQ(select("$['detail-type']"), R"("Order Placed")");
  EXPECT_EQ(select("$[\"detail\"].a"), R"({"b-c":7})");
  EXPECT_EQ(select("$.resources[1]"), R"("arn:b")");
  EXPECT_EQ(select("$.resources[2]"), "<none>");
  EXPECT_EQ(select("$.detail.missing"), "<none>");
  EXPECT_EQ(select("$.detail[0]"), "<none>");
  EXPECT_EQ(select("$.version.x"), "<none>");
  for (const char* bad : {"", "detail", "$.", "$..a", "$[", "$[x]", "$[-1]", "$a", "$.a[1"})
    EXPECT_EQ(select(bad), "<invalid>") << bad;
  // The envelope keeps EventBridge's field order.
  EXPECT_EQ(e.dump().rfind(
                R"({"version":"0","id":"id-1","detail-type":"Order Placed","source":"shop",)", 0),
            0u);
}

TEST(EventsModelDurability, RulesAndTargetsSurviveReplay) {
  std::string dir = testing::TempDir() + "/events_durable_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  ManualClock clock;
  {
    auto j = *Journal::Open({.dir = dir}, NoOp, NoOp);
    RegionContext ctx{clock, *j};
    SqsModel sqs(ctx);
    EventsModel events(ctx, sqs);
    std::string arn = *sqs.QueueArn(*sqs.CreateQueue("sink", {}));
    ASSERT_TRUE(events.PutRule({.name = "keep", .event_pattern = kOrderPattern}).ok());
    ASSERT_TRUE(events.PutRule({.name = "gone", .event_pattern = kOrderPattern}).ok());
    ASSERT_TRUE(events.PutRule({.name = "off", .event_pattern = kOrderPattern}).ok());
    ASSERT_TRUE(
        events.PutTargets("keep", "", {{.id = "a", .arn = arn}, {.id = "b", .arn = arn}}).ok());
    ASSERT_TRUE(events.RemoveTargets("keep", "", {"b"}).ok());
    ASSERT_TRUE(events.PutTargets("off", "", {{.id = "a", .arn = arn}}).ok());
    ASSERT_TRUE(events.DisableRule("off").ok());
    ASSERT_TRUE(events.DeleteRule("gone").ok());
  }
  auto j2 = *Journal::Open({}, NoOp, NoOp);
  RegionContext ctx2{clock, *j2};
  SqsModel sqs2(ctx2);
  EventsModel events2(ctx2, sqs2);
  auto route = [&](std::string_view d) {
    json r = json::parse(d);
    return r.at("s") == "sqs" ? sqs2.Replay(r) : events2.Replay(r);
  };
  auto reopened = Journal::Open({.dir = dir}, NoOp, route);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto rules = events2.ListRules({});
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->rules.size(), 2u);
  EXPECT_EQ(rules->rules[0].name, "keep");
  EXPECT_EQ(rules->rules[1].state, "DISABLED");
  auto targets = events2.ListTargetsByRule("keep");
  ASSERT_EQ(targets->targets.size(), 1u);
  EXPECT_EQ(targets->targets[0].id, "a");
  // The replayed rule matches and delivers, once (the disabled one does not).
  ASSERT_TRUE(
      events2
          .PutEvents({{.source = "shop.orders", .detail_type = "x", .detail = R"({"total": 101})"}})
          .ok());
  auto got = sqs2.ReceiveMessage({.queue_url = "sink", .max_number_of_messages = 10});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace steady::region
