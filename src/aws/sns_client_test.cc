#include "aws/sns_client.h"

#include <functional>
#include <mutex>

#include "aws/protocol_query.h"
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

using Form = std::vector<QueryParams::Param>;

using FakeHttp = net::FakeHttpClient;

net::HttpResponse Respond(int status, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.Set("Content-Type", "text/xml");
  return r;
}

// <OpResponse><OpResult>inner</OpResult><ResponseMetadata/></OpResponse>, as SNS answers.
std::string Ok(const std::string& op, const std::string& inner) {
  return "<" + op + "Response xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><" + op +
         "Result>" + inner + "</" + op + "Result><ResponseMetadata><RequestId>r-1</RequestId>" +
         "</ResponseMetadata></" + op + "Response>";
}

std::string ErrorXml(const std::string& code, const std::string& message) {
  return "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender"
         "</Type><Code>" +
         code + "</Code><Message>" + message +
         "</Message></Error><RequestId>r-2</RequestId></ErrorResponse>";
}

class SnsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TransportOptions t;
    t.endpoint = "http://127.0.0.1:4566";
    t.max_attempts = 1;  // no backoff sleeps
    transport_ =
        std::make_unique<AwsTransport>(SnsService(), t, http_, *credentials_, clock_, metrics_);
    client_ = std::make_unique<SnsClient>(*transport_);
    Answer(200, "");
  }

  void Answer(int status, std::string body) {
    http_.handler = [status, body](const net::HttpRequest&) { return Respond(status, body); };
  }

  // The form of the last request, every pair including Action and Version.
  Form LastForm() {
    EXPECT_FALSE(http_.requests.empty());
    if (http_.requests.empty()) return {};
    return DecodeQueryForm(http_.requests.back().body);
  }

  FakeHttp http_;
  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<CredentialsProvider> credentials_ =
      StaticCredentials({.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"});
  std::unique_ptr<AwsTransport> transport_;
  std::unique_ptr<SnsClient> client_;
};

TEST_F(SnsClientTest, ServiceInfo) {
  ServiceInfo s = SnsService();
  EXPECT_EQ(s.service_id, "SNS");
  EXPECT_EQ(s.signing_name, "sns");
  EXPECT_EQ(s.endpoint_prefix, "sns");
  EXPECT_EQ(s.protocol, Protocol::kQuery);
}

TEST_F(SnsClientTest, CreateTopicFormAndSigning) {
  Answer(200, Ok("CreateTopic", "<TopicArn>arn:aws:sns:us-east-1:1:t</TopicArn>"));
  CreateTopicRequest req;
  req.name = "t";
  req.attributes = {{"DisplayName", "D"}, {"FifoTopic", "false"}, {"DataProtectionPolicy", "{}"}};
  req.tags = {{"k", "v"}};
  auto arn = client_->CreateTopic(req);
  ASSERT_TRUE(arn.ok()) << arn.status().ToString();
  EXPECT_EQ(*arn, "arn:aws:sns:us-east-1:1:t");

  const net::HttpRequest& r = http_.requests.back();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://127.0.0.1:4566/");
  EXPECT_THAT(r.headers.Get("Content-Type"), HasSubstr("application/x-www-form-urlencoded"));
  EXPECT_THAT(r.headers.Get("Authorization"), HasSubstr("/us-east-1/sns/aws4_request"));
  EXPECT_FALSE(r.headers.Has("X-Amz-Target"));
  // As botocore 1.29 serializes the same call (DataProtectionPolicy is a parameter of its own).
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{
                              {"Action", "CreateTopic"},
                              {"Version", "2010-03-31"},
                              {"Name", "t"},
                              {"Attributes.entry.1.key", "DisplayName"},
                              {"Attributes.entry.1.value", "D"},
                              {"Attributes.entry.2.key", "FifoTopic"},
                              {"Attributes.entry.2.value", "false"},
                              {"Tags.member.1.Key", "k"},
                              {"Tags.member.1.Value", "v"},
                              {"DataProtectionPolicy", "{}"},
                          }));
}

TEST_F(SnsClientTest, ListTopicsPageAndToken) {
  Answer(200, Ok("ListTopics",
                 "<Topics><member><TopicArn>a1</TopicArn></member><member><TopicArn>a2</TopicArn>"
                 "</member></Topics><NextToken>tok</NextToken>"));
  auto page = client_->ListTopics("");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_THAT(page->topic_arns, ElementsAre("a1", "a2"));
  EXPECT_EQ(page->next_token, "tok");
  EXPECT_THAT(LastForm(), ElementsAre(Pair("Action", "ListTopics"), Pair("Version", "2010-03-31")));

  Answer(200, Ok("ListTopics", "<Topics/>"));
  page = client_->ListTopics("tok");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->topic_arns.empty());
  EXPECT_EQ(page->next_token, "");
  EXPECT_THAT(LastForm(),
              UnorderedElementsAre(Pair("Action", "ListTopics"), Pair("Version", "2010-03-31"),
                                   Pair("NextToken", "tok")));
}

TEST_F(SnsClientTest, TopicAttributes) {
  Answer(200, Ok("GetTopicAttributes",
                 "<Attributes><entry><key>DisplayName</key><value>D &amp; co</value></entry>"
                 "<entry><key>Policy</key><value/></entry></Attributes>"));
  auto attrs = client_->GetTopicAttributes("arn:t");
  ASSERT_TRUE(attrs.ok()) << attrs.status().ToString();
  EXPECT_EQ(*attrs,
            (std::map<std::string, std::string>{{"DisplayName", "D & co"}, {"Policy", ""}}));
  EXPECT_THAT(LastForm(),
              UnorderedElementsAre(Pair("Action", "GetTopicAttributes"),
                                   Pair("Version", "2010-03-31"), Pair("TopicArn", "arn:t")));

  Answer(200, "<SetTopicAttributesResponse><ResponseMetadata/></SetTopicAttributesResponse>");
  ASSERT_TRUE(client_->SetTopicAttributes("arn:t", "DisplayName", "").ok());
  // An empty value is sent (it clears the attribute), as botocore sends it.
  EXPECT_THAT(LastForm(), UnorderedElementsAre(
                              Pair("Action", "SetTopicAttributes"), Pair("Version", "2010-03-31"),
                              Pair("TopicArn", "arn:t"), Pair("AttributeName", "DisplayName"),
                              Pair("AttributeValue", "")));

  ASSERT_TRUE(client_->DeleteTopic("arn:t").ok());
  EXPECT_THAT(LastForm(),
              UnorderedElementsAre(Pair("Action", "DeleteTopic"), Pair("Version", "2010-03-31"),
                                   Pair("TopicArn", "arn:t")));
}

TEST_F(SnsClientTest, SubscribeAndSubscriptionAttributes) {
  Answer(200, Ok("Subscribe", "<SubscriptionArn>arn:t:1</SubscriptionArn>"));
  SubscribeRequest req{"arn:t", "sqs", "arn:q", {{"RawMessageDelivery", "true"}}, true};
  auto sub = client_->Subscribe(req);
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_EQ(*sub, "arn:t:1");
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{
                              {"Action", "Subscribe"},
                              {"Version", "2010-03-31"},
                              {"TopicArn", "arn:t"},
                              {"Protocol", "sqs"},
                              {"Endpoint", "arn:q"},
                              {"Attributes.entry.1.key", "RawMessageDelivery"},
                              {"Attributes.entry.1.value", "true"},
                              {"ReturnSubscriptionArn", "true"},
                          }));
  // Without the flag and attributes, neither is sent.
  ASSERT_TRUE(client_->Subscribe({"arn:t", "sqs", "arn:q", {}, false}).ok());
  EXPECT_EQ(LastForm().size(), 5u);

  Answer(200, Ok("GetSubscriptionAttributes",
                 "<Attributes><entry><key>RawMessageDelivery</key><value>true</value></entry>"
                 "</Attributes>"));
  auto attrs = client_->GetSubscriptionAttributes("arn:t:1");
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ(attrs->at("RawMessageDelivery"), "true");

  Answer(200, "");
  ASSERT_TRUE(
      client_->SetSubscriptionAttributes("arn:t:1", "FilterPolicy", "{\"a\":[\"b\"]}").ok());
  EXPECT_THAT(LastForm(), UnorderedElementsAre(Pair("Action", "SetSubscriptionAttributes"),
                                               Pair("Version", "2010-03-31"),
                                               Pair("SubscriptionArn", "arn:t:1"),
                                               Pair("AttributeName", "FilterPolicy"),
                                               Pair("AttributeValue", "{\"a\":[\"b\"]}")));
  ASSERT_TRUE(client_->Unsubscribe("arn:t:1").ok());
  EXPECT_THAT(LastForm(),
              UnorderedElementsAre(Pair("Action", "Unsubscribe"), Pair("Version", "2010-03-31"),
                                   Pair("SubscriptionArn", "arn:t:1")));
}

TEST_F(SnsClientTest, ListSubscriptionsDecodesEveryMember) {
  const std::string members =
      "<Subscriptions><member><SubscriptionArn>arn:t:1</SubscriptionArn><Owner>000</Owner>"
      "<Protocol>sqs</Protocol><Endpoint>arn:q</Endpoint><TopicArn>arn:t</TopicArn></member>"
      "</Subscriptions><NextToken>n2</NextToken>";
  Answer(200, Ok("ListSubscriptions", members));
  auto all = client_->ListSubscriptions("n1");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->subscriptions.size(), 1u);
  const SnsSubscription& s = all->subscriptions[0];
  EXPECT_EQ(s.subscription_arn, "arn:t:1");
  EXPECT_EQ(s.owner, "000");
  EXPECT_EQ(s.protocol, "sqs");
  EXPECT_EQ(s.endpoint, "arn:q");
  EXPECT_EQ(s.topic_arn, "arn:t");
  EXPECT_EQ(all->next_token, "n2");
  EXPECT_THAT(LastForm(),
              UnorderedElementsAre(Pair("Action", "ListSubscriptions"),
                                   Pair("Version", "2010-03-31"), Pair("NextToken", "n1")));

  Answer(200, Ok("ListSubscriptionsByTopic", members));
  auto by_topic = client_->ListSubscriptionsByTopic("arn:t", "");
  ASSERT_TRUE(by_topic.ok()) << by_topic.status().ToString();
  EXPECT_EQ(by_topic->subscriptions.size(), 1u);
  EXPECT_THAT(LastForm(),
              UnorderedElementsAre(Pair("Action", "ListSubscriptionsByTopic"),
                                   Pair("Version", "2010-03-31"), Pair("TopicArn", "arn:t")));
}

TEST_F(SnsClientTest, PublishWithAttributes) {
  Answer(200, Ok("Publish", "<MessageId>m-1</MessageId><SequenceNumber>7</SequenceNumber>"));
  PublishRequest req;
  req.topic_arn = "arn";
  req.message = "m";
  req.subject = "s";
  req.message_structure = "json";
  req.message_attributes["a"] = {"String", "x", ""};
  req.message_attributes["b"] = {"Binary", "", std::string("\0\xff", 2)};
  req.message_group_id = "g";
  req.message_deduplication_id = "d";
  auto out = client_->Publish(req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->message_id, "m-1");
  EXPECT_EQ(out->sequence_number, "7");
  // Exactly botocore's form for the same call (binary values base64-encoded).
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{
                              {"Action", "Publish"},
                              {"Version", "2010-03-31"},
                              {"TopicArn", "arn"},
                              {"Message", "m"},
                              {"Subject", "s"},
                              {"MessageStructure", "json"},
                              {"MessageAttributes.entry.1.Name", "a"},
                              {"MessageAttributes.entry.1.Value.DataType", "String"},
                              {"MessageAttributes.entry.1.Value.StringValue", "x"},
                              {"MessageAttributes.entry.2.Name", "b"},
                              {"MessageAttributes.entry.2.Value.DataType", "Binary"},
                              {"MessageAttributes.entry.2.Value.BinaryValue", "AP8="},
                              {"MessageGroupId", "g"},
                              {"MessageDeduplicationId", "d"},
                          }));

  // A message to a target ARN, with characters that need form encoding.
  Answer(200, Ok("Publish", "<MessageId>m-2</MessageId>"));
  PublishRequest direct;
  direct.target_arn = "arn:endpoint";
  direct.message = "a+b=c&d é\n";
  out = client_->Publish(direct);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->sequence_number, "");
  EXPECT_THAT(LastForm(), UnorderedElementsAre(
                              Pair("Action", "Publish"), Pair("Version", "2010-03-31"),
                              Pair("TargetArn", "arn:endpoint"), Pair("Message", "a+b=c&d é\n")));
}

TEST_F(SnsClientTest, ErrorsKeepSnsCodes) {
  Answer(404, ErrorXml("NotFound", "Topic does not exist"));
  auto attrs = client_->GetTopicAttributes("arn:none");
  EXPECT_EQ(attrs.status().code(), StatusCode::kNotFound) << attrs.status().ToString();
  EXPECT_EQ(AwsErrorCode(attrs.status()), "NotFound");

  Answer(400, ErrorXml("InvalidParameter", "Invalid parameter: Name"));
  auto arn = client_->CreateTopic({.name = "bad name"});
  EXPECT_EQ(arn.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AwsErrorCode(arn.status()), "InvalidParameter");
  EXPECT_THAT(arn.status().message(), HasSubstr("Invalid parameter: Name"));

  Answer(429, ErrorXml("Throttled", "slow down"));  // SNS sends Throttled with 429
  EXPECT_EQ(client_->DeleteTopic("arn:t").code(), StatusCode::kThrottled);
}

TEST_F(SnsClientTest, WrongShapesAreDataLoss) {
  struct Case {
    const char* what;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"not xml", "{\"TopicArn\": \"x\"}"},
      {"empty body", ""},
      {"truncated", "<CreateTopicResponse><CreateTopicResult><TopicArn>x"},
      {"other root",
       "<ListTopicsResponse><CreateTopicResult><TopicArn>x</TopicArn>"
       "</CreateTopicResult></ListTopicsResponse>"},
      {"no result", "<CreateTopicResponse><ResponseMetadata/></CreateTopicResponse>"},
      {"no arn", Ok("CreateTopic", "<Arn>x</Arn>")},
      {"empty arn", Ok("CreateTopic", "<TopicArn></TopicArn>")},
  };
  for (const Case& c : cases) {
    Answer(200, c.body);
    auto arn = client_->CreateTopic({.name = "t"});
    EXPECT_EQ(arn.status().code(), StatusCode::kDataLoss)
        << c.what << ": " << arn.status().ToString();
  }

  Answer(200, Ok("ListTopics", "<Topics><member><Other/></member></Topics>"));
  EXPECT_EQ(client_->ListTopics("").status().code(), StatusCode::kDataLoss);
  Answer(200, Ok("GetTopicAttributes", "<Attributes><entry><value>v</value></entry></Attributes>"));
  EXPECT_EQ(client_->GetTopicAttributes("t").status().code(), StatusCode::kDataLoss);
  Answer(200, Ok("ListSubscriptions",
                 "<Subscriptions><member><Owner>o</Owner></member>"
                 "</Subscriptions>"));
  EXPECT_EQ(client_->ListSubscriptions("").status().code(), StatusCode::kDataLoss);
  Answer(200, Ok("Subscribe", ""));
  EXPECT_EQ(client_->Subscribe({"t", "sqs", "q", {}, false}).status().code(),
            StatusCode::kDataLoss);
  Answer(200, Ok("Publish", "<SequenceNumber>1</SequenceNumber>"));
  EXPECT_EQ(client_->Publish({.topic_arn = "t", .message = "m"}).status().code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace steady::aws
