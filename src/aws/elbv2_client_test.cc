#include "aws/elbv2_client.h"

#include "aws/protocol_query.h"
#include "aws/query_client_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/fake_http_client.h"

namespace steady::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

std::string Ok(const std::string& op, const std::string& inner) {
  return "<" + op +
         "Response xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><" + op +
         "Result>" + inner + "</" + op + "Result><ResponseMetadata><RequestId>r</RequestId>" +
         "</ResponseMetadata></" + op + "Response>";
}

std::string Err(const std::string& code, const std::string& message) {
  return "<ErrorResponse><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message +
         "</Message></Error><RequestId>r</RequestId></ErrorResponse>";
}

const char kGroup[] =
    "<member><TargetGroupArn>arn:tg</TargetGroupArn><TargetGroupName>web</TargetGroupName>"
    "<Protocol>HTTP</Protocol><Port>80</Port><VpcId>vpc-1</VpcId>"
    "<HealthCheckPath>/health</HealthCheckPath><HealthCheckIntervalSeconds>10"
    "</HealthCheckIntervalSeconds><HealthCheckTimeoutSeconds>4</HealthCheckTimeoutSeconds>"
    "<HealthyThresholdCount>3</HealthyThresholdCount><UnhealthyThresholdCount>2"
    "</UnhealthyThresholdCount><TargetType>instance</TargetType>"
    "<LoadBalancerArns><member>arn:lb</member></LoadBalancerArns></member>";

class Elbv2ClientTest : public QueryClientTest<Elbv2Client, &Elbv2Service> {};

TEST_F(Elbv2ClientTest, CreateAndDescribeTargetGroups) {
  Answer(200, Ok("CreateTargetGroup", std::string("<TargetGroups>") + kGroup + "</TargetGroups>"));
  CreateTargetGroupRequest req;
  req.name = "web";
  req.vpc_id = "vpc-1";
  req.health_check_path = "/health";
  req.health_check_interval_seconds = 10;
  req.health_check_timeout_seconds = 4;
  req.healthy_threshold_count = 3;
  auto g = client_->CreateTargetGroup(req);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_THAT(http_.requests.back().headers.Get("Authorization"),
              HasSubstr("/us-east-1/elasticloadbalancing/aws4_request"));
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{
                              {"Action", "CreateTargetGroup"},
                              {"Version", "2015-12-01"},
                              {"Name", "web"},
                              {"Protocol", "HTTP"},
                              {"Port", "80"},
                              {"VpcId", "vpc-1"},
                              {"HealthCheckPath", "/health"},
                              {"HealthCheckIntervalSeconds", "10"},
                              {"HealthCheckTimeoutSeconds", "4"},
                              {"HealthyThresholdCount", "3"},
                              {"UnhealthyThresholdCount", "2"},
                              {"TargetType", "instance"},
                          }));
  EXPECT_EQ(g->target_group_arn, "arn:tg");
  EXPECT_EQ(g->port, 80);
  EXPECT_EQ(g->health_check_timeout_seconds, 4);
  EXPECT_EQ(g->load_balancer_arns, (std::vector<std::string>{"arn:lb"}));

  int calls = 0;
  http_.handler = [&](const net::HttpRequest& r) {
    ++calls;
    bool first = r.body.find("Marker=") == std::string::npos;
    net::HttpResponse out;
    out.status = 200;
    out.body =
        Ok("DescribeTargetGroups", std::string("<TargetGroups>") + kGroup + "</TargetGroups>" +
                                       (first ? "<NextMarker>m1</NextMarker>" : ""));
    return out;
  };
  auto all = client_->DescribeTargetGroups({}, {"web"});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(all->size(), 2u);
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{{"Action", "DescribeTargetGroups"},
                                                         {"Version", "2015-12-01"},
                                                         {"Names.member.1", "web"},
                                                         {"Marker", "m1"}}));
}

TEST_F(Elbv2ClientTest, TargetsAndAttributes) {
  Answer(200, Ok("RegisterTargets", ""));
  ASSERT_TRUE(client_->RegisterTargets("arn:tg", {{"i-1", 32768, ""}, {"i-2", {}, ""}}).ok());
  // botocore's form for the same call.
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{{"Action", "RegisterTargets"},
                                                         {"Version", "2015-12-01"},
                                                         {"TargetGroupArn", "arn:tg"},
                                                         {"Targets.member.1.Id", "i-1"},
                                                         {"Targets.member.1.Port", "32768"},
                                                         {"Targets.member.2.Id", "i-2"}}));

  Answer(200, Ok("ModifyTargetGroupAttributes",
                 "<Attributes><member><Key>deregistration_delay.timeout_seconds</Key>"
                 "<Value>30</Value></member><member><Key>stickiness.enabled</Key>"
                 "<Value>false</Value></member></Attributes>"));
  auto attrs = client_->ModifyTargetGroupAttributes(
      "arn:tg", {{"deregistration_delay.timeout_seconds", "30"}});
  ASSERT_TRUE(attrs.ok()) << attrs.status().ToString();
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{
                              {"Action", "ModifyTargetGroupAttributes"},
                              {"Version", "2015-12-01"},
                              {"TargetGroupArn", "arn:tg"},
                              {"Attributes.member.1.Key", "deregistration_delay.timeout_seconds"},
                              {"Attributes.member.1.Value", "30"}}));
  EXPECT_EQ(attrs->size(), 2u);
  EXPECT_EQ(attrs->at("deregistration_delay.timeout_seconds"), "30");

  Answer(200, Ok("DescribeTargetHealth",
                 "<TargetHealthDescriptions><member><Target><Id>i-1</Id><Port>32768</Port>"
                 "</Target><HealthCheckPort>32768</HealthCheckPort><TargetHealth>"
                 "<State>draining</State><Reason>Target.DeregistrationInProgress</Reason>"
                 "<Description>Target deregistration is in progress</Description>"
                 "</TargetHealth></member></TargetHealthDescriptions>"));
  auto h = client_->DescribeTargetHealth("arn:tg", {});
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].target.id, "i-1");
  EXPECT_EQ((*h)[0].target.port, 32768);
  EXPECT_EQ((*h)[0].target_health.state, "draining");
  EXPECT_EQ((*h)[0].target_health.reason, "Target.DeregistrationInProgress");

  Answer(200, Ok("DeleteTargetGroup", ""));
  ASSERT_TRUE(client_->DeleteTargetGroup("arn:tg").ok());
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{{"Action", "DeleteTargetGroup"},
                                                         {"Version", "2015-12-01"},
                                                         {"TargetGroupArn", "arn:tg"}}));
}

TEST_F(Elbv2ClientTest, ErrorsMapAndWrongShapesAreDataLoss) {
  Answer(400, Err("TargetGroupNotFound", "One or more target groups not found"));
  auto r = client_->DescribeTargetHealth("arn:nope", {});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AwsErrorCode(r.status()), "TargetGroupNotFound");
  Answer(400, Err("DuplicateTargetGroupName", "exists"));
  EXPECT_EQ(client_->CreateTargetGroup({.name = "web"}).status().code(),
            StatusCode::kAlreadyExists);

  for (std::string bad :
       {std::string("nope"), Ok("CreateTargetGroup", "<TargetGroups/>"),
        Ok("CreateTargetGroup",
           "<TargetGroups><member><TargetGroupArn>a</TargetGroupArn><Port>http</Port></member>"
           "</TargetGroups>")}) {
    Answer(200, bad);
    EXPECT_EQ(client_->CreateTargetGroup({.name = "web"}).status().code(), StatusCode::kDataLoss)
        << bad;
  }
}

}  // namespace
}  // namespace steady::aws
