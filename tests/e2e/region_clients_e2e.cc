// The local region driven through steady's own clients: SNS, EventBridge and CloudWatch as
// contracts run twice (against the region's models in-process and over HTTP through
// SnsClient/EventsClient/CloudWatchClient: SigV4, awsQuery/awsJson, error decoding), S3 over
// HTTP through S3Client and S3ObjectStore, and the flows that cross services: SNS → SQS,
// EventBridge rule → SQS, S3 bucket notification → SQS. What both paths answer must be the
// same, which is what lets a daemon be handed either.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "aws/aws_error.h"
#include "aws/cloudwatch_client.h"
#include "aws/credentials.h"
#include "aws/events_client.h"
#include "aws/protocol_xml.h"
#include "aws/s3_client.h"
#include "aws/s3_object_store.h"
#include "aws/sns_client.h"
#include "aws/sqs_client.h"
#include "base/metrics.h"
#include "net/http_client_curl.h"
#include "region/cloudwatch_model.h"
#include "region/events_model.h"
#include "region/region.h"
#include "region/s3_model.h"
#include "region/sns_model.h"

namespace steady {
namespace {

using nlohmann::json;

enum class Path { kInProcess, kHttp };

// A region on 127.0.0.1:0 and steady's HTTP client for each of its services.
class RegionClients : public ::testing::Test {
 protected:
  void SetUp() override {
    region::RegionOptions o;
    o.listen = "127.0.0.1:0";
    aws::TransportOptions to;
    Configure(o, to);
    auto r = region::Region::Open(o, SystemClock::Get(), metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    ASSERT_TRUE(region_->Start().ok());
    creds_ = aws::StaticCredentials({"AKIDTEST", "secret", "", std::nullopt});
    to.endpoint = region_->endpoint();
    auto transport = [&](aws::ServiceInfo s) {
      return std::make_unique<aws::AwsTransport>(std::move(s), to, http_, *creds_,
                                                 SystemClock::Get(), metrics_);
    };
    sqs_transport_ = transport(aws::SqsService());
    sns_transport_ = transport(aws::SnsService());
    events_transport_ = transport(aws::EventsService());
    cw_transport_ = transport(aws::CloudWatchService());
    s3_transport_ = transport(aws::S3ServiceInfo());
    sqs_client_ = std::make_unique<aws::SqsClient>(*sqs_transport_);
    sns_client_ = std::make_unique<aws::SnsClient>(*sns_transport_);
    events_client_ = std::make_unique<aws::EventsClient>(*events_transport_);
    cw_client_ = std::make_unique<aws::CloudWatchClient>(*cw_transport_);
    s3_ = std::make_unique<aws::S3Client>(*s3_transport_);
  }
  void TearDown() override {
    if (region_) region_->Stop();
  }
  // Lets a suite change the region's options and the clients' transport options.
  virtual void Configure(region::RegionOptions& /*region*/, aws::TransportOptions& /*client*/) {}

  region::SnsModel& sns_model() { return *dynamic_cast<region::SnsModel*>(region_->model("sns")); }
  region::EventsModel& events_model() {
    return *dynamic_cast<region::EventsModel*>(region_->model("events"));
  }
  region::CloudWatchModel& cw_model() {
    return *dynamic_cast<region::CloudWatchModel*>(region_->model("cloudwatch"));
  }
  region::S3Model& s3_model() { return *dynamic_cast<region::S3Model*>(region_->model("s3")); }

  // Creates a queue through `sqs`; returns (url, arn).
  std::pair<std::string, std::string> Queue(aws::Sqs& sqs, const std::string& name) {
    auto url = sqs.CreateQueue(name, {});
    EXPECT_TRUE(url.ok()) << url.status().ToString();
    if (!url.ok()) return {};
    auto attrs = sqs.GetQueueAttributes(*url, {"QueueArn"});
    EXPECT_TRUE(attrs.ok()) << attrs.status().ToString();
    return {*url, attrs.ok() ? attrs->at("QueueArn") : ""};
  }

  // Every message now in the queue (no waiting: deliveries complete before the publishing
  // call returns), deleted once read.
  std::vector<aws::SqsMessage> Drain(aws::Sqs& sqs, const std::string& url) {
    std::vector<aws::SqsMessage> out;
    for (;;) {
      aws::ReceiveMessageRequest r;
      r.queue_url = url;
      r.max_number_of_messages = 10;
      r.wait_time_seconds = 0;
      r.message_attribute_names = {"All"};
      auto got = sqs.ReceiveMessage(r);
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok() || got->empty()) return out;
      for (auto& m : *got) {
        EXPECT_TRUE(sqs.DeleteMessage(url, m.receipt_handle).ok());
        out.push_back(std::move(m));
      }
    }
  }

  MetricsRegistry metrics_;
  std::unique_ptr<region::Region> region_;
  net::CurlHttpClient http_;
  std::unique_ptr<aws::CredentialsProvider> creds_;
  std::unique_ptr<aws::AwsTransport> sqs_transport_, sns_transport_, events_transport_,
      cw_transport_, s3_transport_;
  std::unique_ptr<aws::SqsClient> sqs_client_;
  std::unique_ptr<aws::SnsClient> sns_client_;
  std::unique_ptr<aws::EventsClient> events_client_;
  std::unique_ptr<aws::CloudWatchClient> cw_client_;
  std::unique_ptr<aws::S3Client> s3_;
};

// The contracts: the same test against the models and against the HTTP clients.
class Contract : public RegionClients, public ::testing::WithParamInterface<Path> {
 protected:
  void SetUp() override {
    RegionClients::SetUp();
    if (HasFatalFailure()) return;
    if (GetParam() == Path::kInProcess) {
      sqs_ = &region_->sqs();
      sns_ = &sns_model();
      events_ = &events_model();
      cw_ = &cw_model();
    } else {
      sqs_ = sqs_client_.get();
      sns_ = sns_client_.get();
      events_ = events_client_.get();
      cw_ = cw_client_.get();
    }
  }

  aws::Sqs* sqs_ = nullptr;
  aws::Sns* sns_ = nullptr;
  aws::EventBridge* events_ = nullptr;
  aws::CloudWatch* cw_ = nullptr;
};

// --- SNS ---

TEST_P(Contract, SnsTopicLifecycle) {
  aws::CreateTopicRequest req;
  req.name = "orders";
  req.attributes = {{"DisplayName", "Orders"}};
  req.tags = {{"team", "ops"}};
  auto arn = sns_->CreateTopic(req);
  ASSERT_TRUE(arn.ok()) << arn.status().ToString();
  EXPECT_EQ(*arn, "arn:aws:sns:us-east-1:000000000000:orders");
  // Creating it again with the same attributes is idempotent.
  EXPECT_EQ(*sns_->CreateTopic(req), *arn);
  ASSERT_TRUE(sns_->CreateTopic({.name = "other"}).ok());

  auto topics = sns_->ListTopics("");
  ASSERT_TRUE(topics.ok()) << topics.status().ToString();
  EXPECT_EQ(topics->topic_arns.size(), 2u);
  EXPECT_NE(std::find(topics->topic_arns.begin(), topics->topic_arns.end(), *arn),
            topics->topic_arns.end());
  EXPECT_EQ(topics->next_token, "");

  auto attrs = sns_->GetTopicAttributes(*arn);
  ASSERT_TRUE(attrs.ok()) << attrs.status().ToString();
  EXPECT_EQ(attrs->at("DisplayName"), "Orders");
  EXPECT_EQ(attrs->at("TopicArn"), *arn);
  ASSERT_TRUE(sns_->SetTopicAttributes(*arn, "DisplayName", "Orders & returns").ok());
  EXPECT_EQ(sns_->GetTopicAttributes(*arn)->at("DisplayName"), "Orders & returns");

  ASSERT_TRUE(sns_->DeleteTopic(*arn).ok());
  auto gone = sns_->GetTopicAttributes(*arn);
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound) << gone.status().ToString();
  EXPECT_EQ(aws::AwsErrorCode(gone.status()), "NotFound");
  // Deleting a topic that is gone succeeds, as in SNS.
  EXPECT_TRUE(sns_->DeleteTopic(*arn).ok());
  EXPECT_EQ(sns_->ListTopics("")->topic_arns.size(), 1u);

  // Bad input is SNS's InvalidParameter on both paths.
  auto bad = sns_->CreateTopic({.name = "no spaces allowed"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().ToString();
  EXPECT_EQ(aws::AwsErrorCode(bad.status()), "InvalidParameter");
  auto bad_attr = sns_->SetTopicAttributes(*sns_->CreateTopic({.name = "x"}), "NoSuchAttr", "1");
  EXPECT_EQ(aws::AwsErrorCode(bad_attr), "InvalidParameter");
}

TEST_P(Contract, SnsListTopicsPages) {
  std::set<std::string> created;
  for (int i = 0; i < 105; ++i) {
    auto arn = sns_->CreateTopic({.name = "t" + std::to_string(i)});
    ASSERT_TRUE(arn.ok()) << arn.status().ToString();
    created.insert(*arn);
  }
  std::set<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    auto page = sns_->ListTopics(token);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->topic_arns.size(), 100u);
    listed.insert(page->topic_arns.begin(), page->topic_arns.end());
    token = page->next_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(listed, created);
  auto foreign = sns_->ListTopics("not-a-token");
  EXPECT_EQ(foreign.status().code(), StatusCode::kInvalidArgument) << foreign.status().ToString();
}

TEST_P(Contract, SnsSubscriptionsDeliverToSqs) {
  std::string topic = *sns_->CreateTopic({.name = "events"});
  auto [url, queue_arn] = Queue(*sqs_, "sink");
  auto sub = sns_->Subscribe({topic, "sqs", queue_arn, {}, false});
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_TRUE(sub->starts_with(topic + ":")) << *sub;
  // Subscribing the same endpoint again returns the same subscription.
  EXPECT_EQ(*sns_->Subscribe({topic, "sqs", queue_arn, {}, false}), *sub);

  auto all = sns_->ListSubscriptions("");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->subscriptions.size(), 1u);
  const aws::SnsSubscription& s = all->subscriptions[0];
  EXPECT_EQ(s.subscription_arn, *sub);
  EXPECT_EQ(s.owner, "000000000000");
  EXPECT_EQ(s.protocol, "sqs");
  EXPECT_EQ(s.endpoint, queue_arn);
  EXPECT_EQ(s.topic_arn, topic);
  auto by_topic = sns_->ListSubscriptionsByTopic(topic, "");
  ASSERT_TRUE(by_topic.ok());
  ASSERT_EQ(by_topic->subscriptions.size(), 1u);
  EXPECT_EQ(by_topic->subscriptions[0].subscription_arn, *sub);
  auto sattrs = sns_->GetSubscriptionAttributes(*sub);
  ASSERT_TRUE(sattrs.ok()) << sattrs.status().ToString();
  EXPECT_EQ(sattrs->at("TopicArn"), topic);
  EXPECT_EQ(sattrs->at("Endpoint"), queue_arn);
  EXPECT_EQ(sattrs->at("Protocol"), "sqs");

  // The SNS envelope, with the message attributes in SNS's own form.
  aws::PublishRequest pub;
  pub.topic_arn = topic;
  pub.message = "héllo {\"json\": true}";
  pub.subject = "greeting";
  pub.message_attributes["kind"] = {"String", "spot", ""};
  pub.message_attributes["blob"] = {"Binary", "", std::string("\0\x01\xff", 3)};
  auto published = sns_->Publish(pub);
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  auto got = Drain(*sqs_, url);
  ASSERT_EQ(got.size(), 1u);
  json env = json::parse(got[0].body);
  EXPECT_EQ(env["Type"], "Notification");
  EXPECT_EQ(env["MessageId"], published->message_id);
  EXPECT_EQ(env["TopicArn"], topic);
  EXPECT_EQ(env["Subject"], "greeting");
  EXPECT_EQ(env["Message"], pub.message);
  EXPECT_EQ(env["MessageAttributes"]["kind"], (json{{"Type", "String"}, {"Value", "spot"}}));
  EXPECT_EQ(env["MessageAttributes"]["blob"], (json{{"Type", "Binary"}, {"Value", "AAH/"}}));
  EXPECT_TRUE(env.contains("Timestamp") && env.contains("Signature")) << env.dump();

  // Raw delivery: the message itself, attributes as SQS message attributes.
  ASSERT_TRUE(sns_->SetSubscriptionAttributes(*sub, "RawMessageDelivery", "true").ok());
  EXPECT_EQ(sns_->GetSubscriptionAttributes(*sub)->at("RawMessageDelivery"), "true");
  ASSERT_TRUE(sns_->Publish(pub).ok());
  got = Drain(*sqs_, url);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, pub.message);
  EXPECT_EQ(got[0].message_attributes, pub.message_attributes);

  // A filter policy on the attributes lets only matching messages through.
  ASSERT_TRUE(
      sns_->SetSubscriptionAttributes(*sub, "FilterPolicy", R"({"kind":["ondemand"]})").ok());
  ASSERT_TRUE(sns_->Publish(pub).ok());
  EXPECT_TRUE(Drain(*sqs_, url).empty());
  pub.message_attributes["kind"].string_value = "ondemand";
  ASSERT_TRUE(sns_->Publish(pub).ok());
  EXPECT_EQ(Drain(*sqs_, url).size(), 1u);
  // An empty FilterPolicy removes the filter.
  ASSERT_TRUE(sns_->SetSubscriptionAttributes(*sub, "FilterPolicy", "").ok());
  pub.message_attributes["kind"].string_value = "spot";
  ASSERT_TRUE(sns_->Publish(pub).ok());
  EXPECT_EQ(Drain(*sqs_, url).size(), 1u);

  ASSERT_TRUE(sns_->Unsubscribe(*sub).ok());
  EXPECT_TRUE(sns_->ListSubscriptionsByTopic(topic, "")->subscriptions.empty());
  ASSERT_TRUE(sns_->Publish(pub).ok());
  EXPECT_TRUE(Drain(*sqs_, url).empty());
  EXPECT_EQ(sns_->GetSubscriptionAttributes(*sub).status().code(), StatusCode::kNotFound);

  // Publishing to a topic that does not exist.
  auto lost = sns_->Publish({.topic_arn = topic + "-none", .message = "m"});
  EXPECT_EQ(lost.status().code(), StatusCode::kNotFound) << lost.status().ToString();
  EXPECT_EQ(aws::AwsErrorCode(lost.status()), "NotFound");
}

// --- EventBridge ---

TEST_P(Contract, EventsRuleLifecycle) {
  aws::PutRuleRequest req;
  req.name = "spot";
  req.event_pattern = R"({"source":["steady.test"]})";
  req.description = "spot interruptions";
  auto arn = events_->PutRule(req);
  ASSERT_TRUE(arn.ok()) << arn.status().ToString();
  EXPECT_EQ(*arn, "arn:aws:events:us-east-1:000000000000:rule/spot");

  auto rule = events_->DescribeRule("spot");
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  EXPECT_EQ(rule->name, "spot");
  EXPECT_EQ(rule->arn, *arn);
  EXPECT_EQ(json::parse(rule->event_pattern), json::parse(req.event_pattern));
  EXPECT_EQ(rule->state, "ENABLED");
  EXPECT_EQ(rule->description, "spot interruptions");
  EXPECT_EQ(rule->event_bus_name, "default");
  EXPECT_EQ(rule->created_by, "000000000000");

  ASSERT_TRUE(events_->DisableRule("spot").ok());
  EXPECT_EQ(events_->DescribeRule("spot")->state, "DISABLED");
  ASSERT_TRUE(events_->EnableRule("spot", "default").ok());
  EXPECT_EQ(events_->DescribeRule("spot")->state, "ENABLED");

  // Pages of ListRules, by prefix.
  for (const char* name : {"spot-a", "spot-b", "spot-c", "other"})
    ASSERT_TRUE(events_->PutRule({.name = name, .schedule_expression = "rate(5 minutes)"}).ok());
  std::vector<std::string> names;
  aws::ListRulesRequest lr{.name_prefix = "spot", .limit = 2};
  int pages = 0;
  do {
    auto page = events_->ListRules(lr);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->rules.size(), 2u);
    for (const auto& r : page->rules) names.push_back(r.name);
    lr.next_token = page->next_token;
    ++pages;
  } while (!lr.next_token.empty() && pages < 10);
  EXPECT_EQ(names, (std::vector<std::string>{"spot", "spot-a", "spot-b", "spot-c"}));
  EXPECT_EQ(pages, 2);

  // Targets, and the rule cannot go while it has them.
  auto [url, queue_arn] = Queue(*sqs_, "rules");
  auto put = events_->PutTargets(
      "spot", "", {{"q", queue_arn, "", "", ""}, {"t2", queue_arn, "", R"({"fixed":1})", ""}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->failed_entry_count, 0);
  auto targets = events_->ListTargetsByRule("spot");
  ASSERT_TRUE(targets.ok()) << targets.status().ToString();
  ASSERT_EQ(targets->targets.size(), 2u);
  EXPECT_EQ(targets->targets[0], (aws::EventTarget{"q", queue_arn, "", "", ""}));
  EXPECT_EQ(targets->targets[1], (aws::EventTarget{"t2", queue_arn, "", R"({"fixed":1})", ""}));
  auto first = events_->ListTargetsByRule("spot", "", "", 1);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->targets.size(), 1u);
  ASSERT_FALSE(first->next_token.empty());
  auto second = events_->ListTargetsByRule("spot", "", first->next_token, 1);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->targets.size(), 1u);
  EXPECT_EQ(second->targets[0].id, "t2");

  Status busy = events_->DeleteRule("spot");
  EXPECT_EQ(busy.code(), StatusCode::kInvalidArgument) << busy.ToString();
  EXPECT_EQ(aws::AwsErrorCode(busy), "ValidationException");
  auto removed = events_->RemoveTargets("spot", "", {"q", "t2"});
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(removed->failed_entry_count, 0);
  EXPECT_TRUE(events_->ListTargetsByRule("spot")->targets.empty());
  ASSERT_TRUE(events_->DeleteRule("spot").ok());
  auto gone = events_->DescribeRule("spot");
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound) << gone.status().ToString();
  EXPECT_EQ(aws::AwsErrorCode(gone.status()), "ResourceNotFoundException");
  EXPECT_TRUE(events_->DeleteRule("spot").ok());  // already gone: succeeds

  auto bad = events_->PutRule({.name = "bad", .event_pattern = R"({"source":"not-a-list"})"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().ToString();
  EXPECT_EQ(aws::AwsErrorCode(bad.status()), "InvalidEventPatternException");
}

TEST_P(Contract, EventsTestEventPattern) {
  const std::string event = R"({"id":"1","account":"000000000000","source":"steady.test",
      "time":"2026-11-23T19:00:00Z","region":"us-east-1","resources":[],
      "detail-type":"Spot","detail":{"kind":"spot","cpu":72}})";
  auto yes = events_->TestEventPattern(
      R"({"detail":{"kind":[{"prefix":"sp"}],"cpu":[{"numeric":[">",50]}]}})", event);
  ASSERT_TRUE(yes.ok()) << yes.status().ToString();
  EXPECT_TRUE(*yes);
  auto no = events_->TestEventPattern(R"({"detail":{"kind":[{"anything-but":"spot"}]}})", event);
  ASSERT_TRUE(no.ok()) << no.status().ToString();
  EXPECT_FALSE(*no);
  auto bad = events_->TestEventPattern("[", event);
  EXPECT_EQ(aws::AwsErrorCode(bad.status()), "InvalidEventPatternException")
      << bad.status().ToString();
}

TEST_P(Contract, EventsPutEventsDeliversThroughRulesToSqs) {
  auto [whole_url, whole_arn] = Queue(*sqs_, "whole");
  auto [detail_url, detail_arn] = Queue(*sqs_, "detail");
  ASSERT_TRUE(events_
                  ->PutRule({.name = "spot", .event_pattern = R"({"source":["steady.test"],
                                 "detail":{"kind":["spot"],"cpu":[{"exists":true}]}})"})
                  .ok());
  ASSERT_TRUE(events_
                  ->PutTargets("spot", "",
                               {{"whole", whole_arn, "", "", ""},
                                {"detail", detail_arn, "", "", "$.detail"}})
                  .ok());

  std::vector<aws::PutEventsRequestEntry> entries(4);
  entries[0] = {.time = FromUnixSeconds(1795460400),
                .source = "steady.test",
                .resources = {"arn:aws:ec2:us-east-1:000000000000:instance/i-1"},
                .detail_type = "Spot Interruption",
                .detail = R"({"kind":"spot","cpu":3})"};
  entries[1] = {
      .source = "steady.test", .detail_type = "Other", .detail = R"({"kind":"ondemand"})"};
  entries[2] = {.source = "steady.test", .detail_type = "Broken", .detail = "not json"};
  entries[3] = {.source = "aws.ec2", .detail_type = "Spoofed", .detail = R"({"kind":"spot"})"};
  auto out = events_->PutEvents(entries);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->entries.size(), 4u);
  EXPECT_EQ(out->failed_entry_count, 2);
  EXPECT_FALSE(out->entries[0].event_id.empty());
  EXPECT_FALSE(out->entries[1].event_id.empty());
  EXPECT_EQ(out->entries[2].error_code, "MalformedDetail");
  EXPECT_EQ(out->entries[3].error_code, "NotAuthorized");

  auto whole = Drain(*sqs_, whole_url);
  ASSERT_EQ(whole.size(), 1u);
  json ev = json::parse(whole[0].body);
  EXPECT_EQ(ev["id"], out->entries[0].event_id);
  EXPECT_EQ(ev["source"], "steady.test");
  EXPECT_EQ(ev["detail-type"], "Spot Interruption");
  EXPECT_EQ(ev["account"], "000000000000");
  EXPECT_EQ(ev["region"], "us-east-1");
  EXPECT_EQ(ev["time"], "2026-11-23T19:00:00Z");
  EXPECT_EQ(ev["resources"], json::array({"arn:aws:ec2:us-east-1:000000000000:instance/i-1"}));
  EXPECT_EQ(ev["detail"], (json{{"kind", "spot"}, {"cpu", 3}}));
  auto detail = Drain(*sqs_, detail_url);
  ASSERT_EQ(detail.size(), 1u);
  EXPECT_EQ(json::parse(detail[0].body), (json{{"kind", "spot"}, {"cpu", 3}}));

  // A disabled rule delivers nothing.
  ASSERT_TRUE(events_->DisableRule("spot").ok());
  entries.resize(1);
  ASSERT_EQ(events_->PutEvents(entries)->failed_entry_count, 0);
  EXPECT_TRUE(Drain(*sqs_, whole_url).empty());
}

// --- CloudWatch ---

// Minute-aligned times a few minutes back, within what CloudWatch accepts.
Time MinuteAgo(int minutes) {
  int64_t now = static_cast<int64_t>(ToUnixSeconds(SystemClock::Get().Now()));
  return FromUnixSeconds(static_cast<double>(now / 60 * 60 - minutes * 60));
}

TEST_P(Contract, CloudWatchStatistics) {
  const Time t0 = MinuteAgo(10);
  aws::PutMetricDataRequest put;
  put.namespace_ = "Steady/E2E";
  std::vector<aws::Dimension> dims = {{"Cluster", "main"}, {"Service", "web"}};
  auto datum = [&](Duration at, double v) {
    aws::MetricDatum d;
    d.metric_name = "Latency";
    d.dimensions = dims;
    d.timestamp = t0 + at;
    d.value = v;
    d.unit = "Milliseconds";
    return d;
  };
  put.metric_data = {datum(seconds(5), 10), datum(seconds(20), 30), datum(seconds(65), 7)};
  aws::MetricDatum many = datum(seconds(130), 0);
  many.value.reset();
  many.values = {1, 2, 3};
  many.counts = {1, 1, 2};
  aws::MetricDatum set = datum(seconds(190), 0);
  set.value.reset();
  set.statistic_values = aws::StatisticSet{4, 40, 5, 15};
  put.metric_data.push_back(many);
  put.metric_data.push_back(set);
  Status s = cw_->PutMetricData(put);
  ASSERT_TRUE(s.ok()) << s.ToString();

  aws::GetMetricStatisticsRequest q;
  q.namespace_ = "Steady/E2E";
  q.metric_name = "Latency";
  q.dimensions = {dims[1], dims[0]};  // any order
  q.start_time = t0;
  q.end_time = t0 + minutes(5);
  q.period = 60;
  q.statistics = {"SampleCount", "Sum", "Average", "Minimum", "Maximum"};
  auto stats = cw_->GetMetricStatistics(q);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->label, "Latency");
  ASSERT_EQ(stats->datapoints.size(), 4u);
  const aws::Datapoint& p0 = stats->datapoints[0];
  EXPECT_EQ(p0.timestamp, t0);
  EXPECT_EQ(p0.sample_count, 2.0);
  EXPECT_EQ(p0.sum, 40.0);
  EXPECT_EQ(p0.average, 20.0);
  EXPECT_EQ(p0.minimum, 10.0);
  EXPECT_EQ(p0.maximum, 30.0);
  EXPECT_EQ(p0.unit, "Milliseconds");
  EXPECT_EQ(stats->datapoints[1].timestamp, t0 + minutes(1));
  EXPECT_EQ(stats->datapoints[1].sum, 7.0);
  EXPECT_EQ(stats->datapoints[2].sample_count, 4.0);  // values 1, 2, 3 with counts 1, 1, 2
  EXPECT_EQ(stats->datapoints[2].sum, 9.0);
  EXPECT_EQ(stats->datapoints[3].sample_count, 4.0);
  EXPECT_EQ(stats->datapoints[3].maximum, 15.0);

  // Percentiles over the raw values of the first three minutes (1 2 3 3 7 10 30).
  q.statistics.clear();
  q.extended_statistics = {"p50", "p100"};
  q.period = 180;
  q.end_time = t0 + minutes(3);
  auto pct = cw_->GetMetricStatistics(q);
  ASSERT_TRUE(pct.ok()) << pct.status().ToString();
  ASSERT_EQ(pct->datapoints.size(), 1u);
  const auto& ext = pct->datapoints[0].extended_statistics;
  ASSERT_TRUE(ext.count("p50") && ext.count("p100")) << "percentiles missing";
  EXPECT_EQ(ext.at("p100"), 30.0);
  EXPECT_GE(ext.at("p50"), 2.0);
  EXPECT_LE(ext.at("p50"), 7.0);
  // A statistic set of unequal samples has no distribution: CloudWatch then has no
  // percentile for the period that holds it.
  q.period = 300;
  q.end_time = t0 + minutes(5);
  pct = cw_->GetMetricStatistics(q);
  ASSERT_TRUE(pct.ok()) << pct.status().ToString();
  ASSERT_EQ(pct->datapoints.size(), 1u);
  EXPECT_EQ(pct->datapoints[0].extended_statistics.count("p50"), 0u);

  // Other dimensions are another metric.
  q.dimensions = {dims[0]};
  auto none = cw_->GetMetricStatistics(q);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->datapoints.empty());

  // AWS/ namespaces belong to AWS.
  put.namespace_ = "AWS/ECS";
  Status reserved = cw_->PutMetricData(put);
  EXPECT_EQ(reserved.code(), StatusCode::kInvalidArgument) << reserved.ToString();
  EXPECT_EQ(aws::AwsErrorCode(reserved), "InvalidParameterValue");
}

TEST_P(Contract, CloudWatchMetricDataPagesAndListMetrics) {
  const Time t0 = MinuteAgo(20);
  aws::PutMetricDataRequest put;
  put.namespace_ = "Steady/E2E";
  for (int i = 0; i < 10; ++i) {
    aws::MetricDatum d;
    d.metric_name = "Requests";
    d.dimensions = {{"Service", i % 2 ? "web" : "api"}};
    d.timestamp = t0 + minutes(i);
    d.value = i + 1;
    d.unit = "Count";
    put.metric_data.push_back(d);
  }
  ASSERT_TRUE(cw_->PutMetricData(put).ok());

  aws::GetMetricDataRequest req;
  aws::MetricDataQuery web;
  web.id = "web";
  web.metric_stat =
      aws::MetricStat{{"Steady/E2E", "Requests", {{"Service", "web"}}}, 60, "Sum", ""};
  aws::MetricDataQuery api = web;
  api.id = "api";
  api.label = "API requests";
  api.metric_stat->metric.dimensions = {{"Service", "api"}};
  req.metric_data_queries = {web, api};
  req.start_time = t0;
  req.end_time = t0 + minutes(10);
  req.scan_by = "TimestampAscending";
  req.max_datapoints = 4;
  std::map<std::string, std::vector<std::pair<Time, double>>> seen;
  int pages = 0;
  do {
    auto page = cw_->GetMetricData(req);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& r : page->metric_data_results) {
      ASSERT_EQ(r.timestamps.size(), r.values.size());
      for (size_t i = 0; i < r.values.size(); ++i)
        seen[r.id].push_back({r.timestamps[i], r.values[i]});
      if (r.id == "api") {
        EXPECT_EQ(r.label, "API requests");
      }
    }
    req.next_token = page->next_token;
    ++pages;
  } while (!req.next_token.empty() && pages < 20);
  EXPECT_GT(pages, 1);
  ASSERT_EQ(seen["web"].size(), 5u);
  ASSERT_EQ(seen["api"].size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(seen["api"][i], std::make_pair(t0 + minutes(2 * i), 2.0 * i + 1));
    EXPECT_EQ(seen["web"][i], std::make_pair(t0 + minutes(2 * i + 1), 2.0 * i + 2));
  }

  // Metric math is not available locally: CloudWatch's error, on both paths.
  aws::GetMetricDataRequest math = req;
  math.next_token.clear();
  math.metric_data_queries = {aws::MetricDataQuery{.id = "e", .expression = "SUM(METRICS())"}};
  auto refused = cw_->GetMetricData(math);
  EXPECT_EQ(aws::AwsErrorCode(refused.status()), "InvalidParameterValue")
      << refused.status().ToString();

  auto listed = cw_->ListMetrics({.namespace_ = "Steady/E2E"});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->metrics.size(), 2u);
  std::set<std::string> services;
  for (const auto& m : listed->metrics) {
    EXPECT_EQ(m.namespace_, "Steady/E2E");
    EXPECT_EQ(m.metric_name, "Requests");
    ASSERT_EQ(m.dimensions.size(), 1u);
    services.insert(m.dimensions[0].value);
  }
  EXPECT_EQ(services, (std::set<std::string>{"api", "web"}));
  auto web_only = cw_->ListMetrics(
      {.namespace_ = "Steady/E2E", .dimensions = {{"Service", std::string("web")}}});
  ASSERT_TRUE(web_only.ok());
  ASSERT_EQ(web_only->metrics.size(), 1u);
  EXPECT_EQ(web_only->metrics[0].dimensions[0].value, "web");
  auto any_service = cw_->ListMetrics({.metric_name = "Requests",
                                       .dimensions = {{"Service", std::nullopt}},
                                       .recently_active = "PT3H"});
  ASSERT_TRUE(any_service.ok()) << any_service.status().ToString();
  EXPECT_EQ(any_service->metrics.size(), 2u);
  EXPECT_TRUE(cw_->ListMetrics({.namespace_ = "Steady/None"})->metrics.empty());
}

INSTANTIATE_TEST_SUITE_P(Paths, Contract, ::testing::Values(Path::kInProcess, Path::kHttp),
                         [](const auto& info) {
                           return info.param == Path::kHttp ? "Http" : "InProcess";
                         });

// --- S3, over HTTP through S3Client and S3ObjectStore ---

std::string Bytes(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

using S3E2E = RegionClients;

TEST_F(S3E2E, ObjectsThroughS3Client) {
  ASSERT_TRUE(s3_->CreateBucket("logs").ok());
  Status again = s3_->CreateBucket("logs");
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  ASSERT_TRUE(s3_->CreateBucket("archive").ok());
  // S3Client has no ListBuckets (steady never lists buckets); the same transport and XML
  // reader do it here: GET / signed for s3.
  net::HttpRequest list_buckets;
  list_buckets.url = "/";
  auto buckets_resp = s3_transport_->Send("ListBuckets", list_buckets);
  ASSERT_TRUE(buckets_resp.ok()) << buckets_resp.status().ToString();
  auto buckets_xml = aws::ParseXml(buckets_resp->body);
  ASSERT_TRUE(buckets_xml.ok()) << buckets_resp->body;
  EXPECT_EQ(buckets_xml->name, "ListAllMyBucketsResult");
  std::vector<std::string> bucket_names;
  for (const aws::XmlElement* b : buckets_xml->List("Buckets", "Bucket"))
    bucket_names.push_back(b->ChildText("Name"));
  EXPECT_EQ(bucket_names, (std::vector<std::string>{"archive", "logs"}));

  auto put = s3_->PutObject({.bucket = "logs",
                             .key = "svc/a b+c/2026/x.gz",
                             .body = "hello, world",
                             .content_type = "application/gzip",
                             .content_encoding = "gzip",
                             .metadata = {{"flush", "u1"}}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->etag, "e4d7f1b4ed2e42d15898f4b27b019da4");  // md5("hello, world")

  auto got = s3_->GetObject({"logs", "svc/a b+c/2026/x.gz", std::nullopt});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->body, "hello, world");
  EXPECT_EQ(got->etag, put->etag);
  EXPECT_EQ(got->content_type, "application/gzip");
  EXPECT_EQ(got->content_encoding, "gzip");
  EXPECT_EQ(got->metadata.at("flush"), "u1");
  EXPECT_EQ(got->object_size, 12u);

  auto range = s3_->GetObject({"logs", "svc/a b+c/2026/x.gz", aws::ByteRange{7, 10}});
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_EQ(range->body, "worl");
  EXPECT_EQ(range->content_range, "bytes 7-10/12");
  EXPECT_EQ(range->object_size, 12u);
  auto tail = s3_->GetObject({"logs", "svc/a b+c/2026/x.gz", aws::ByteRange{5, std::nullopt}});
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->body, ", world");
  auto beyond = s3_->GetObject({"logs", "svc/a b+c/2026/x.gz", aws::ByteRange{100, 200}});
  EXPECT_EQ(beyond.status().code(), StatusCode::kInvalidArgument) << beyond.status().ToString();

  auto head = s3_->HeadObject("logs", "svc/a b+c/2026/x.gz");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->content_length, 12u);
  EXPECT_EQ(head->etag, put->etag);
  EXPECT_EQ(head->metadata.at("flush"), "u1");
  EXPECT_EQ(s3_->HeadObject("logs", "nope").status().code(), StatusCode::kNotFound);
  auto missing = s3_->GetObject({"logs", "nope", std::nullopt});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(aws::AwsErrorCode(missing.status()), "NoSuchKey");
  EXPECT_EQ(aws::AwsErrorCode(s3_->GetObject({"nobucket", "k", std::nullopt}).status()),
            "NoSuchBucket");

  // Listing: prefix, delimiter, pages.
  for (const char* k : {"svc/b/1", "svc/b/2", "svc/c", "top", "svc/d/deep/1"})
    ASSERT_TRUE(s3_->PutObject({.bucket = "logs", .key = k, .body = k}).ok());
  auto listed = s3_->ListObjectsV2({.bucket = "logs", .prefix = "svc/", .delimiter = "/"});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->contents.size(), 1u);
  EXPECT_EQ(listed->contents[0].key, "svc/c");
  EXPECT_EQ(listed->contents[0].size, 5u);
  EXPECT_EQ(listed->common_prefixes, (std::vector<std::string>{"svc/a b+c/", "svc/b/", "svc/d/"}));
  EXPECT_FALSE(listed->is_truncated);
  EXPECT_EQ(listed->key_count, 4);

  std::vector<std::string> keys;
  aws::ListObjectsV2Request page_req{.bucket = "logs", .max_keys = 2};
  int pages = 0;
  for (;;) {
    auto page = s3_->ListObjectsV2(page_req);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->contents.size(), 2u);
    for (const auto& o : page->contents) keys.push_back(o.key);
    ++pages;
    if (!page->is_truncated || pages > 10) break;
    page_req.continuation_token = page->next_continuation_token;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(keys, (std::vector<std::string>{"svc/a b+c/2026/x.gz", "svc/b/1", "svc/b/2", "svc/c",
                                            "svc/d/deep/1", "top"}));
  auto after = s3_->ListObjectsV2({.bucket = "logs", .start_after = "svc/c"});
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->contents.size(), 2u);
  EXPECT_EQ(after->contents[0].key, "svc/d/deep/1");

  // Deleting: one, then many (a missing key is not an error).
  ASSERT_TRUE(s3_->DeleteObject("logs", "top").ok());
  ASSERT_TRUE(s3_->DeleteObject("logs", "top").ok());
  std::vector<std::string> doomed = {"svc/b/1", "svc/b/2", "never-was"};
  auto deleted = s3_->DeleteObjects("logs", doomed, /*quiet=*/false);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_TRUE(deleted->errors.empty());
  std::vector<std::string> gone = deleted->deleted;
  std::sort(gone.begin(), gone.end());
  EXPECT_EQ(gone, (std::vector<std::string>{"never-was", "svc/b/1", "svc/b/2"}));
  auto rest = s3_->ListObjectsV2({.bucket = "logs"});
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->contents.size(), 3u);
}

TEST_F(S3E2E, MultipartThroughS3Client) {
  ASSERT_TRUE(s3_->CreateBucket("big").ok());
  const std::string part1 = Bytes(5 << 20, 1), part2 = Bytes(1 << 20, 2);
  auto id = s3_->CreateMultipartUpload("big", "obj", "application/octet-stream");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto e1 = s3_->UploadPart("big", "obj", *id, 1, part1);
  ASSERT_TRUE(e1.ok()) << e1.status().ToString();
  auto e2 = s3_->UploadPart("big", "obj", *id, 2, part2);
  ASSERT_TRUE(e2.ok()) << e2.status().ToString();
  std::vector<aws::CompletedPart> parts = {{1, *e1}, {2, *e2}};
  auto done = s3_->CompleteMultipartUpload("big", "obj", *id, parts);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_TRUE(done->etag.ends_with("-2")) << done->etag;
  auto got = s3_->GetObject({"big", "obj", std::nullopt});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->body == part1 + part2) << "object differs from its parts";
  EXPECT_EQ(got->etag, done->etag);
  auto edge = s3_->GetObject({"big", "obj", aws::ByteRange{(5 << 20) - 2, (5 << 20) + 1}});
  ASSERT_TRUE(edge.ok());
  EXPECT_EQ(edge->body, part1.substr(part1.size() - 2) + part2.substr(0, 2));

  // Every part but the last must be 5 MiB: S3 refuses the upload on completion.
  auto small = *s3_->CreateMultipartUpload("big", "small");
  auto s1 = s3_->UploadPart("big", "small", small, 1, Bytes(1 << 20, 3));
  auto s2 = s3_->UploadPart("big", "small", small, 2, "tail");
  ASSERT_TRUE(s1.ok() && s2.ok());
  std::vector<aws::CompletedPart> small_parts = {{1, *s1}, {2, *s2}};
  auto refused = s3_->CompleteMultipartUpload("big", "small", small, small_parts);
  EXPECT_EQ(aws::AwsErrorCode(refused.status()), "EntityTooSmall") << refused.status().ToString();
  ASSERT_TRUE(s3_->AbortMultipartUpload("big", "small", small).ok());
  auto after_abort = s3_->UploadPart("big", "small", small, 3, "x");
  EXPECT_EQ(aws::AwsErrorCode(after_abort.status()), "NoSuchUpload")
      << after_abort.status().ToString();
  EXPECT_EQ(s3_->HeadObject("big", "small").status().code(), StatusCode::kNotFound);
}

TEST_F(S3E2E, ObjectStoreOverTheRegion) {
  ASSERT_TRUE(s3_->CreateBucket("store").ok());
  aws::S3ObjectStoreOptions opts;
  opts.multipart_threshold = 5 << 20;
  opts.part_size = 5 << 20;
  auto store = aws::S3ObjectStore::Create(*s3_, "store", "pre/", opts);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  aws::ObjectStore& os = **store;

  ASSERT_TRUE(os.Put("a/1.gz", "one").ok());
  const std::string large = Bytes((11 << 20) + 17, 4);  // three parts
  ASSERT_TRUE(os.Put("a/2.gz", large).ok());
  auto head = os.Head("a/2.gz");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, large.size());
  EXPECT_TRUE(head->etag.ends_with("-3")) << head->etag;
  auto back = os.Get("a/2.gz");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == large) << "multipart object differs";
  auto range = os.GetRange("a/2.gz", 5 << 20, 10);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_EQ(*range, large.substr(5 << 20, 10));

  // A streamed writer: nothing is visible until Close.
  auto writer = os.NewWriter("b/stream.gz");
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  const std::string streamed = Bytes((6 << 20) + 3, 5);
  for (size_t off = 0; off < streamed.size(); off += 1 << 20)
    ASSERT_TRUE((*writer)->Write(std::string_view(streamed).substr(off, 1 << 20)).ok());
  EXPECT_EQ(os.Head("b/stream.gz").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_TRUE(*os.Get("b/stream.gz") == streamed);
  // Keys are under the prefix in the bucket.
  EXPECT_TRUE(s3_->HeadObject("store", "pre/b/stream.gz").ok());

  for (int i = 0; i < 5; ++i) ASSERT_TRUE(os.Put("c/" + std::to_string(i), "x").ok());
  aws::ListOptions lo{.prefix = "", .delimiter = "/"};
  auto top = os.List(lo);
  ASSERT_TRUE(top.ok()) << top.status().ToString();
  EXPECT_TRUE(top->objects.empty());
  EXPECT_EQ(top->common_prefixes, (std::vector<std::string>{"a/", "b/", "c/"}));
  std::vector<std::string> keys;
  std::string token;
  int pages = 0;
  do {
    auto page = os.List({.prefix = "c/", .max_keys = 2}, token);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& o : page->objects) keys.push_back(o.key);
    token = page->continuation_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(keys, (std::vector<std::string>{"c/0", "c/1", "c/2", "c/3", "c/4"}));
  EXPECT_EQ(pages, 3);

  std::vector<std::string> doomed = {"c/0", "c/1", "c/2", "c/3", "c/4", "a/1.gz", "absent"};
  ASSERT_TRUE(os.Delete(doomed).ok());
  EXPECT_EQ(os.Get("a/1.gz").status().code(), StatusCode::kNotFound);
  auto left = os.List({});
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->objects.size(), 2u);
  EXPECT_EQ(left->objects[0].key, "a/2.gz");
  EXPECT_EQ(left->objects[1].key, "b/stream.gz");
}

// S3 put → bucket notification → SQS, read through SqsClient.
TEST_F(S3E2E, BucketNotificationsReachSqs) {
  ASSERT_TRUE(s3_->CreateBucket("events").ok());
  auto [url, queue_arn] = Queue(*sqs_client_, "s3-events");
  ASSERT_TRUE(s3_model()
                  .PutBucketNotificationConfiguration(
                      "events", {{"logs", queue_arn, {"s3:ObjectCreated:*"}, "logs/", ".gz"}})
                  .ok());
  // S3 first sends a test event to every configured queue.
  auto test = Drain(*sqs_client_, url);
  ASSERT_EQ(test.size(), 1u);
  EXPECT_EQ(json::parse(test[0].body).value("Event", ""), "s3:TestEvent") << test[0].body;

  auto put = s3_->PutObject({.bucket = "events", .key = "logs/web/a b.gz", .body = "12345"});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  ASSERT_TRUE(s3_->PutObject({.bucket = "events", .key = "other/x.gz", .body = "x"}).ok());
  ASSERT_TRUE(s3_->PutObject({.bucket = "events", .key = "logs/x.txt", .body = "x"}).ok());
  auto got = Drain(*sqs_client_, url);
  ASSERT_EQ(got.size(), 1u) << "only logs/*.gz is configured";
  json rec = json::parse(got[0].body)["Records"][0];
  EXPECT_EQ(rec["eventSource"], "aws:s3");
  EXPECT_EQ(rec["eventName"], "ObjectCreated:Put");
  EXPECT_EQ(rec["awsRegion"], "us-east-1");
  EXPECT_EQ(rec["s3"]["configurationId"], "logs");
  EXPECT_EQ(rec["s3"]["bucket"]["name"], "events");
  EXPECT_EQ(rec["s3"]["bucket"]["arn"], "arn:aws:s3:::events");
  EXPECT_EQ(rec["s3"]["object"]["key"], "logs/web/a+b.gz");  // form-encoded, as S3 writes it
  EXPECT_EQ(rec["s3"]["object"]["size"], 5);
  EXPECT_EQ(rec["s3"]["object"]["eTag"], put->etag);

  // A multipart upload announces itself as CompleteMultipartUpload.
  auto id = *s3_->CreateMultipartUpload("events", "logs/big.gz");
  auto e1 = s3_->UploadPart("events", "logs/big.gz", id, 1, Bytes(5 << 20, 6));
  auto e2 = s3_->UploadPart("events", "logs/big.gz", id, 2, "end");
  ASSERT_TRUE(e1.ok() && e2.ok());
  std::vector<aws::CompletedPart> parts = {{1, *e1}, {2, *e2}};
  auto done = s3_->CompleteMultipartUpload("events", "logs/big.gz", id, parts);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  got = Drain(*sqs_client_, url);
  ASSERT_EQ(got.size(), 1u);
  rec = json::parse(got[0].body)["Records"][0];
  EXPECT_EQ(rec["eventName"], "ObjectCreated:CompleteMultipartUpload");
  EXPECT_EQ(rec["s3"]["object"]["size"], (5 << 20) + 3);
  EXPECT_EQ(rec["s3"]["object"]["eTag"], done->etag);
}

// SNS → SQS and EventBridge → SQS with every call over HTTP, the way two daemons in separate
// processes would wire them.
TEST_F(RegionClients, MessagingFlowsOverHttpOnly) {
  auto [url, queue_arn] = Queue(*sqs_client_, "terminator");
  std::string topic = *sns_client_->CreateTopic({.name = "no-capacity"});
  ASSERT_TRUE(sns_client_->Subscribe({topic, "sqs", queue_arn, {}, true}).ok());
  ASSERT_TRUE(events_client_
                  ->PutRule({.name = "interruptions",
                             .event_pattern = R"({"detail-type":[{"prefix":"EC2 Spot"}]})"})
                  .ok());
  ASSERT_TRUE(
      events_client_->PutTargets("interruptions", "", {{"q", queue_arn, "", "", "$.detail"}}).ok());

  auto pub = sns_client_->Publish({.topic_arn = topic, .message = "cluster main is full"});
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  std::vector<aws::PutEventsRequestEntry> entries = {
      {.source = "steady.sim",
       .detail_type = "EC2 Spot Instance Interruption Warning",
       .detail = R"({"instance-id":"i-0abc","instance-action":"terminate"})"}};
  auto put = events_client_->PutEvents(entries);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->failed_entry_count, 0);

  // Long polling through the client: both messages are there.
  aws::ReceiveMessageRequest r{
      .queue_url = url, .max_number_of_messages = 10, .wait_time_seconds = 1};
  std::vector<std::string> bodies;
  for (int i = 0; i < 5 && bodies.size() < 2; ++i) {
    auto got = sqs_client_->ReceiveMessage(r);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    for (const auto& m : *got) bodies.push_back(m.body);
  }
  ASSERT_EQ(bodies.size(), 2u);
  // Which arrived first is not promised; tell them apart by shape.
  if (json::parse(bodies[0]).contains("Type")) std::swap(bodies[0], bodies[1]);
  EXPECT_EQ(json::parse(bodies[0]),
            (json{{"instance-id", "i-0abc"}, {"instance-action", "terminate"}}));
  json env = json::parse(bodies[1]);
  EXPECT_EQ(env["Type"], "Notification");
  EXPECT_EQ(env["Message"], "cluster main is full");
  EXPECT_EQ(env["MessageId"], pub->message_id);
}

// The region's throttling emulation answers each service's own throttling error, and the
// clients decode it as kThrottled (one attempt each: no retry hides the error).
class Throttled : public RegionClients {
 protected:
  void Configure(region::RegionOptions& region, aws::TransportOptions& client) override {
    for (const char* op : {"sns:Publish", "events:PutEvents", "monitoring:PutMetricData"})
      region.throttle[op] = {.burst = 1, .rate = 0.001};
    // The front routes S3 by path, before the operation is known: S3 has one bucket for all.
    region.throttle["s3:*"] = {.burst = 2, .rate = 0.001};
    client.max_attempts = 1;
  }
};

TEST_F(Throttled, EveryClientSeesItsServicesThrottlingError) {
  std::string topic = *sns_client_->CreateTopic({.name = "t"});
  ASSERT_TRUE(sns_client_->Publish({.topic_arn = topic, .message = "1"}).ok());
  auto sns = sns_client_->Publish({.topic_arn = topic, .message = "2"});
  EXPECT_EQ(sns.status().code(), StatusCode::kThrottled) << sns.status().ToString();
  EXPECT_EQ(aws::AwsErrorCode(sns.status()), "Throttled");

  std::vector<aws::PutEventsRequestEntry> entries = {
      {.source = "steady.test", .detail_type = "x", .detail = "{}"}};
  ASSERT_TRUE(events_client_->PutEvents(entries).ok());
  auto events = events_client_->PutEvents(entries);
  EXPECT_EQ(events.status().code(), StatusCode::kThrottled) << events.status().ToString();
  EXPECT_EQ(aws::AwsErrorCode(events.status()), "ThrottlingException");

  aws::PutMetricDataRequest put{"Steady/E2E", {aws::MetricDatum{.metric_name = "m", .value = 1}}};
  ASSERT_TRUE(cw_client_->PutMetricData(put).ok());
  Status cw = cw_client_->PutMetricData(put);
  EXPECT_EQ(cw.code(), StatusCode::kThrottled) << cw.ToString();
  EXPECT_EQ(aws::AwsErrorCode(cw), "Throttling");

  Status created = s3_->CreateBucket("bkt");
  ASSERT_TRUE(created.ok()) << created.ToString();
  ASSERT_TRUE(s3_->PutObject({.bucket = "bkt", .key = "k", .body = "1"}).ok());
  auto s3 = s3_->PutObject({.bucket = "bkt", .key = "k", .body = "2"});
  EXPECT_EQ(s3.status().code(), StatusCode::kThrottled) << s3.status().ToString();
  EXPECT_EQ(aws::AwsErrorCode(s3.status()), "SlowDown");

  // Operations without a bucket of their own keep working.
  EXPECT_TRUE(sns_client_->ListTopics("").ok());
  EXPECT_TRUE(cw_client_->ListMetrics({}).ok());
  EXPECT_TRUE(events_client_->ListRules({}).ok());
}

}  // namespace
}  // namespace steady
