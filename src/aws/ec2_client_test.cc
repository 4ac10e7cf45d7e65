#include "aws/ec2_client.h"

#include <thread>

#include "aws/protocol_query.h"
#include "aws/query_client_test_fixture.h"
#include "base/time_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/fake_http_client.h"

namespace steady::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

std::string Ok(const std::string& op, const std::string& inner) {
  return "<" + op + "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r" +
         "</requestId>" + inner + "</" + op + "Response>";
}

std::string Err(const std::string& code, const std::string& message) {
  return "<Response><Errors><Error><Code>" + code + "</Code><Message>" + message +
         "</Message></Error></Errors><RequestID>r</RequestID></Response>";
}

class Ec2ClientTest : public QueryClientTest<Ec2Client, &Ec2Service> {};

TEST_F(Ec2ClientTest, ServiceInfo) {
  ServiceInfo s = Ec2Service();
  EXPECT_EQ(s.signing_name, "ec2");
  EXPECT_EQ(s.endpoint_prefix, "ec2");
  EXPECT_EQ(s.protocol, Protocol::kEc2Query);
}

TEST_F(Ec2ClientTest, DescribeInstancesFormAndAnswer) {
  Answer(200, Ok("DescribeInstances", R"(
    <reservationSet><item><reservationId>r-1</reservationId><ownerId>000000000000</ownerId>
      <groupSet/><instancesSet><item>
        <instanceId>i-1</instanceId><imageId>ami-1</imageId>
        <instanceState><code>16</code><name>running</name></instanceState>
        <reason/><instanceType>m5.large</instanceType>
        <launchTime>2026-11-23T19:00:00.000Z</launchTime>
        <placement><availabilityZone>us-east-1a</availabilityZone></placement>
        <privateIpAddress>10.0.0.5</privateIpAddress>
        <instanceLifecycle>spot</instanceLifecycle>
        <spotInstanceRequestId>sir-1</spotInstanceRequestId>
        <tagSet><item><key>ecs</key><value>web</value></item></tagSet>
      </item></instancesSet></item></reservationSet>)"));
  DescribeInstancesRequest req;
  req.instance_ids = {"i-1", "i-2"};
  req.filters = {{"instance-state-name", {"running", "pending"}}, {"tag:ecs", {"web"}}};
  auto r = client_->DescribeInstances(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // botocore's form for the same call.
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{
                              {"Action", "DescribeInstances"},
                              {"Version", "2016-11-15"},
                              {"InstanceId.1", "i-1"},
                              {"InstanceId.2", "i-2"},
                              {"Filter.1.Name", "instance-state-name"},
                              {"Filter.1.Value.1", "running"},
                              {"Filter.1.Value.2", "pending"},
                              {"Filter.2.Name", "tag:ecs"},
                              {"Filter.2.Value.1", "web"},
                          }));
  EXPECT_THAT(http_.requests.back().headers.Get("Authorization"),
              HasSubstr("/us-east-1/ec2/aws4_request"));
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].reservation_id, "r-1");
  ASSERT_EQ((*r)[0].instances.size(), 1u);
  const Ec2Instance& i = (*r)[0].instances[0];
  EXPECT_EQ(i.instance_id, "i-1");
  EXPECT_EQ(i.state.code, 16);
  EXPECT_EQ(i.state.name, "running");
  EXPECT_EQ(i.instance_type, "m5.large");
  EXPECT_EQ(i.availability_zone, "us-east-1a");
  EXPECT_EQ(i.private_ip_address, "10.0.0.5");
  EXPECT_EQ(i.instance_lifecycle, "spot");
  EXPECT_EQ(i.spot_instance_request_id, "sir-1");
  EXPECT_EQ(i.launch_time, *ParseRfc3339("2026-11-23T19:00:00Z"));
  ASSERT_EQ(i.tags.size(), 1u);
  EXPECT_EQ(i.tags[0], (Ec2Tag{"ecs", "web"}));
}

TEST_F(Ec2ClientTest, DescribeInstancesFollowsNextToken) {
  int calls = 0;
  http_.handler = [&](const net::HttpRequest& req) {
    ++calls;
    net::HttpResponse r;
    r.status = 200;
    bool first = req.body.find("NextToken") == std::string::npos;
    std::string id = first ? "i-1" : "i-2";
    r.body = Ok("DescribeInstances",
                "<reservationSet><item><reservationId>r</reservationId><instancesSet><item>"
                "<instanceId>" +
                    id +
                    "</instanceId><instanceState><code>0</code><name>pending</name>"
                    "</instanceState></item></instancesSet></item></reservationSet>" +
                    (first ? "<nextToken>t1</nextToken>" : ""));
    return r;
  };
  auto r = client_->DescribeInstances({});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].instances[0].instance_id, "i-2");
}

TEST_F(Ec2ClientTest, RequestSpotFleetNestsTheConfigAsBotocoreDoes) {
  Answer(200, Ok("RequestSpotFleet", "<spotFleetRequestId>sfr-1</spotFleetRequestId>"));
  SpotFleetRequestConfigData c;
  c.iam_fleet_role = "arn:role";
  c.target_capacity = 4;
  c.type = "maintain";
  c.allocation_strategy = "lowestPrice";
  SpotFleetLaunchSpecification s;
  s.instance_type = "m5.large";
  s.weighted_capacity = 2.5;
  s.availability_zone = "us-east-1a";
  s.subnet_id = "subnet-1";
  s.user_data = "ECS_CLUSTER=web";
  s.tags = {{"k", "v"}};
  c.launch_specifications = {s};
  auto id = client_->RequestSpotFleet(c);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "sfr-1");
  const std::string p = "SpotFleetRequestConfig.";
  const std::string l = p + "LaunchSpecifications.1.";
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{
                              {"Action", "RequestSpotFleet"},
                              {"Version", "2016-11-15"},
                              {p + "IamFleetRole", "arn:role"},
                              {p + "TargetCapacity", "4"},
                              {p + "Type", "maintain"},
                              {p + "AllocationStrategy", "lowestPrice"},
                              {l + "InstanceType", "m5.large"},
                              {l + "WeightedCapacity", "2.5"},
                              {l + "Placement.AvailabilityZone", "us-east-1a"},
                              {l + "SubnetId", "subnet-1"},
                              {l + "UserData", "RUNTX0NMVVNURVI9d2Vi"},
                              {l + "TagSpecificationSet.1.ResourceType", "instance"},
                              {l + "TagSpecificationSet.1.Tag.1.Key", "k"},
                              {l + "TagSpecificationSet.1.Tag.1.Value", "v"},
                          }));
}

TEST_F(Ec2ClientTest, DescribeSpotFleetRequestsReadsTheConfig) {
  Answer(200, Ok("DescribeSpotFleetRequests", R"(
    <spotFleetRequestConfigSet><item>
      <spotFleetRequestId>sfr-1</spotFleetRequestId>
      <spotFleetRequestState>active</spotFleetRequestState>
      <activityStatus>fulfilled</activityStatus>
      <createTime>2026-11-23T19:00:00Z</createTime>
      <spotFleetRequestConfig>
        <targetCapacity>4</targetCapacity><fulfilledCapacity>4.0</fulfilledCapacity>
        <iamFleetRole>arn:role</iamFleetRole><type>request</type>
        <allocationStrategy>diversified</allocationStrategy>
        <launchSpecifications><item><instanceType>c5.large</instanceType>
          <weightedCapacity>2</weightedCapacity>
          <placement><availabilityZone>us-east-1b</availabilityZone></placement>
          <userData>RUNTX0NMVVNURVI9d2Vi</userData>
          <tagSpecificationSet><item><resourceType>instance</resourceType>
            <tag><item><key>k</key><value>v</value></item></tag></item></tagSpecificationSet>
        </item></launchSpecifications>
      </spotFleetRequestConfig>
    </item></spotFleetRequestConfigSet>)"));
  auto r = client_->DescribeSpotFleetRequests({"sfr-1"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{{"Action", "DescribeSpotFleetRequests"},
                                                         {"Version", "2016-11-15"},
                                                         {"SpotFleetRequestId.1", "sfr-1"}}));
  ASSERT_EQ(r->size(), 1u);
  const SpotFleetRequestConfig& f = (*r)[0];
  EXPECT_EQ(f.spot_fleet_request_state, "active");
  EXPECT_EQ(f.activity_status, "fulfilled");
  EXPECT_EQ(f.fulfilled_capacity, 4.0);
  EXPECT_EQ(f.config.target_capacity, 4);
  EXPECT_EQ(f.config.type, "request");
  EXPECT_EQ(f.config.allocation_strategy, "diversified");
  ASSERT_EQ(f.config.launch_specifications.size(), 1u);
  const SpotFleetLaunchSpecification& s = f.config.launch_specifications[0];
  EXPECT_EQ(s.instance_type, "c5.large");
  EXPECT_EQ(s.weighted_capacity, 2.0);
  EXPECT_EQ(s.availability_zone, "us-east-1b");
  EXPECT_EQ(s.user_data, "ECS_CLUSTER=web");
  ASSERT_EQ(s.tags.size(), 1u);
  EXPECT_EQ(s.tags[0], (Ec2Tag{"k", "v"}));
}

TEST_F(Ec2ClientTest, ModifyCancelTerminateAndFleetInstances) {
  Answer(200, Ok("ModifySpotFleetRequest", "<return>true</return>"));
  ASSERT_TRUE(client_->ModifySpotFleetRequest("sfr-1", 7, "noTermination").ok());
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(
                              Form{{"Action", "ModifySpotFleetRequest"},
                                   {"Version", "2016-11-15"},
                                   {"SpotFleetRequestId", "sfr-1"},
                                   {"TargetCapacity", "7"},
                                   {"ExcessCapacityTerminationPolicy", "noTermination"}}));

  Answer(200,
         Ok("CancelSpotFleetRequests",
            "<successfulFleetRequestSet><item><spotFleetRequestId>sfr-1</spotFleetRequestId>"
            "<currentSpotFleetRequestState>cancelled_terminating</currentSpotFleetRequestState>"
            "<previousSpotFleetRequestState>active</previousSpotFleetRequestState></item>"
            "</successfulFleetRequestSet><unsuccessfulFleetRequestSet/>"));
  auto c = client_->CancelSpotFleetRequests({"sfr-1"}, true);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{{"Action", "CancelSpotFleetRequests"},
                                                         {"Version", "2016-11-15"},
                                                         {"SpotFleetRequestId.1", "sfr-1"},
                                                         {"TerminateInstances", "true"}}));
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].current_state, "cancelled_terminating");
  EXPECT_EQ((*c)[0].previous_state, "active");

  // A request EC2 could not cancel comes back as its error.
  Answer(200, Ok("CancelSpotFleetRequests",
                 "<successfulFleetRequestSet/><unsuccessfulFleetRequestSet><item>"
                 "<spotFleetRequestId>sfr-9</spotFleetRequestId><error>"
                 "<code>InvalidSpotFleetRequestId.NotFound</code><message>no</message></error>"
                 "</item></unsuccessfulFleetRequestSet>"));
  c = client_->CancelSpotFleetRequests({"sfr-9"}, false);
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound) << c.status().ToString();
  EXPECT_EQ(AwsErrorCode(c.status()), "InvalidSpotFleetRequestId.NotFound");

  Answer(200, Ok("TerminateInstances",
                 "<instancesSet><item><instanceId>i-1</instanceId>"
                 "<currentState><code>32</code><name>shutting-down</name></currentState>"
                 "<previousState><code>16</code><name>running</name></previousState>"
                 "</item></instancesSet>"));
  auto t = client_->TerminateInstances({"i-1"});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ((*t)[0].current_state.code, 32);
  EXPECT_EQ((*t)[0].previous_state.name, "running");

  Answer(200, Ok("DescribeSpotFleetInstances",
                 "<spotFleetRequestId>sfr-1</spotFleetRequestId><activeInstanceSet><item>"
                 "<instanceId>i-1</instanceId><instanceType>m5.large</instanceType>"
                 "<spotInstanceRequestId>sir-1</spotInstanceRequestId>"
                 "<instanceHealth>healthy</instanceHealth></item></activeInstanceSet>"));
  auto a = client_->DescribeSpotFleetInstances("sfr-1");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].instance_id, "i-1");
  EXPECT_EQ((*a)[0].spot_instance_request_id, "sir-1");

  Answer(200, Ok("DescribeInstanceTypes",
                 "<instanceTypeSet><item><instanceType>m5.large</instanceType>"
                 "<vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo>"
                 "<memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo></item></instanceTypeSet>"));
  auto types = client_->DescribeInstanceTypes({"m5.large"});
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  EXPECT_THAT(LastForm(), UnorderedElementsAreArray(Form{{"Action", "DescribeInstanceTypes"},
                                                         {"Version", "2016-11-15"},
                                                         {"InstanceType.1", "m5.large"}}));
  ASSERT_EQ(types->size(), 1u);
  EXPECT_EQ((*types)[0].default_vcpus, 2);
  EXPECT_EQ((*types)[0].size_in_mib, 8192);
}

TEST_F(Ec2ClientTest, ErrorsMapAndWrongShapesAreDataLoss) {
  Answer(400, Err("InvalidInstanceID.NotFound", "The instance ID 'i-9' does not exist"));
  auto r = client_->TerminateInstances({"i-9"});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AwsErrorCode(r.status()), "InvalidInstanceID.NotFound");

  Answer(400, Err("InvalidParameterValue", "bad"));
  EXPECT_EQ(client_->ModifySpotFleetRequest("sfr-1", -1, "").code(), StatusCode::kInvalidArgument);

  for (std::string bad : {std::string("not xml"), Ok("Other", ""),
                          Ok("TerminateInstances",
                             "<instancesSet><item><instanceId>i-1</instanceId>"
                             "<currentState><code>x</code></currentState>"
                             "<previousState><code>0</code></previousState></item>"
                             "</instancesSet>"),
                          Ok("TerminateInstances",
                             "<instancesSet><item><instanceId>i-1</instanceId>"
                             "</item></instancesSet>")}) {
    Answer(200, bad);
    EXPECT_EQ(client_->TerminateInstances({"i-1"}).status().code(), StatusCode::kDataLoss) << bad;
  }
}

TEST_F(Ec2ClientTest, RequestLimitExceededIsAThrottleAndRetried) {
  TransportOptions t;
  t.endpoint = "http://127.0.0.1:4566";
  t.max_attempts = 3;
  t.seed = 7;
  Make(t);
  int calls = 0;
  http_.handler = [&](const net::HttpRequest&) {
    net::HttpResponse r;
    if (++calls == 1) {
      r.status = 503;
      r.body = Err("RequestLimitExceeded", "Request limit exceeded.");
    } else {
      r.status = 200;
      r.body = Ok("ModifySpotFleetRequest", "<return>true</return>");
    }
    return r;
  };
  std::thread advance([&] {
    clock_.AwaitSleepers(1);
    clock_.Advance(std::chrono::seconds(30));
  });
  Status s = client_->ModifySpotFleetRequest("sfr-1", 2, "");
  advance.join();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(metrics_.AddCounter("steady_aws_throttles_total", "", {})
                .With({"ec2", "ModifySpotFleetRequest"})
                .value(),
            1);
}

}  // namespace
}  // namespace steady::aws
