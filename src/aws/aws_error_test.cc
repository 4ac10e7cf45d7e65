#include "aws/aws_error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace steady::aws {
namespace {

net::HttpResponse Response(int status, std::string body,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  for (auto& [k, v] : headers) r.headers.Add(k, v);
  return r;
}

// --- awsJson 1.0 / 1.1 ---

TEST(DecodeErrorJson, PlainTypeMessageAndRequestIdHeader) {
  AwsError e = DecodeError(
      Protocol::kJson11,
      Response(400, R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})",
               {{"x-amzn-RequestId", "req-1"}}));
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.code, "ClusterNotFoundException");
  EXPECT_EQ(e.message, "Cluster not found.");
  EXPECT_EQ(e.request_id, "req-1");
}

TEST(DecodeErrorJson, StripsNamespacePrefixAndCapitalMessage) {
  AwsError e =
      DecodeError(Protocol::kJson10,
                  Response(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",
                        "Message":"Rate exceeded"})"));
  EXPECT_EQ(e.code, "ThrottlingException");
  EXPECT_EQ(e.message, "Rate exceeded");
  EXPECT_EQ(ClassifyError(e), ErrorKind::kThrottling);
}

TEST(DecodeErrorJson, StripsColonUrlSuffix) {
  AwsError e = DecodeError(
      Protocol::kJson11,
      Response(
          400,
          R"({"__type":"SerializationException:http://internal.amazon.com/coral/com.amazon.coral.validate/"})"));
  EXPECT_EQ(e.code, "SerializationException");
}

TEST(DecodeErrorJson, StripsPrefixAndSuffixTogether) {
  AwsError e =
      DecodeError(Protocol::kJson11, Response(400, R"({"__type":"aws.protocols#Bad:http://x#y"})"));
  EXPECT_EQ(e.code, "Bad");
}

TEST(DecodeErrorJson, QueryCompatibleHeaderGivesLegacyCode) {
  AwsError e = DecodeError(
      Protocol::kJson10,
      Response(
          400,
          R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})",
          {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}}));
  EXPECT_EQ(e.code, "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(ErrorToStatus(e, "GetQueueUrl").code(), StatusCode::kNotFound);
}

TEST(DecodeErrorJson, MalformedQueryErrorHeaderIsIgnored) {
  for (const char* header : {"NoSemicolon", ";Sender", "A;B;C"}) {
    AwsError e = DecodeError(Protocol::kJson10,
                             Response(400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist"})",
                                      {{"x-amzn-query-error", header}}));
    EXPECT_EQ(e.code, "QueueDoesNotExist") << header;
  }
}

TEST(DecodeErrorJson, MalformedBodiesFallBackToStatus) {
  for (const char* body :
       {"", "not json", R"({"__type": "Thr)", "[1,2,3]", R"({"__type": 42})", "null",
        R"("ThrottlingException")", "{\"__type\":\"\xff\xfe\"", "{{{{"}) {
    AwsError e = DecodeError(Protocol::kJson11, Response(400, body));
    EXPECT_EQ(e.code, "Http400") << body;
    EXPECT_EQ(e.message, "Bad Request") << body;
    EXPECT_EQ(ClassifyError(e), ErrorKind::kOther) << body;
  }
  AwsError e = DecodeError(Protocol::kJson11, Response(503, "<html>Service Unavailable</html>"));
  EXPECT_EQ(e.code, "Http503");
  EXPECT_EQ(ClassifyError(e), ErrorKind::kTransient);
}

TEST(DecodeErrorJson, NonStringMessageIsDropped) {
  AwsError e =
      DecodeError(Protocol::kJson11, Response(400, R"({"__type":"X","message":{"nested":true}})"));
  EXPECT_EQ(e.code, "X");
  EXPECT_EQ(e.message, "Bad Request");
}

TEST(DecodeErrorJson, HugeMessageIsTruncated) {
  std::string msg(100000, 'm');
  AwsError e =
      DecodeError(Protocol::kJson11, Response(400, R"({"__type":"X","message":")" + msg + "\"}"));
  EXPECT_LT(e.message.size(), 4096u);
  EXPECT_EQ(e.message.substr(0, 10), "mmmmmmmmmm");
}

// --- restJson ---

TEST(DecodeErrorRestJson, HeaderWinsOverBody) {
  AwsError e = DecodeError(
      Protocol::kRestJson,
      Response(404, R"({"code":"Other","message":"gone"})",
               {{"x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/"}}));
  EXPECT_EQ(e.code, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "gone");
}

TEST(DecodeErrorRestJson, CodeFromBody) {
  EXPECT_EQ(
      DecodeError(Protocol::kRestJson, Response(400, R"({"code":"BadRequestException"})")).code,
      "BadRequestException");
  EXPECT_EQ(DecodeError(Protocol::kRestJson, Response(400, R"({"Code":"Upper"})")).code, "Upper");
  EXPECT_EQ(DecodeError(Protocol::kRestJson, Response(400, R"({"__type":"a#Typed"})")).code,
            "Typed");
  EXPECT_EQ(DecodeError(Protocol::kRestJson, Response(400, "")).code, "Http400");
}

// --- awsQuery ---

TEST(DecodeErrorQuery, ErrorResponseShape) {
  AwsError e = DecodeError(Protocol::kQuery, Response(400, R"(<?xml version="1.0"?>
<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <Error>
    <Type>Sender</Type>
    <Code>TargetGroupNotFound</Code>
    <Message>One or more target groups not found</Message>
  </Error>
  <RequestId>b1d5d6a4-0000</RequestId>
</ErrorResponse>)"));
  EXPECT_EQ(e.code, "TargetGroupNotFound");
  EXPECT_EQ(e.message, "One or more target groups not found");
  EXPECT_EQ(e.request_id, "b1d5d6a4-0000");
  EXPECT_EQ(ErrorToStatus(e, "DescribeTargetHealth").code(), StatusCode::kNotFound);
}

TEST(DecodeErrorQuery, ThrottlingCode) {
  AwsError e = DecodeError(
      Protocol::kQuery,
      Response(400,
               "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
               "<Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>"));
  EXPECT_EQ(e.code, "Throttling");
  EXPECT_EQ(ClassifyError(e), ErrorKind::kThrottling);
}

TEST(DecodeErrorQuery, MalformedBodies) {
  for (const char* body : {"", "<ErrorResponse><Error><Code>Throttling</Code>", "<<<>>>",
                           "plain text", "<ErrorResponse><RequestId>r</RequestId></ErrorResponse>",
                           "<Error/>", "<html><body>502 Bad Gateway</body></html>"}) {
    AwsError e = DecodeError(Protocol::kQuery, Response(502, body));
    EXPECT_EQ(e.code, "Http502") << body;
    EXPECT_EQ(e.message, "Bad Gateway") << body;
    EXPECT_EQ(ClassifyError(e), ErrorKind::kTransient) << body;
  }
}

TEST(DecodeErrorQuery, RequestIdFallsBackToHeader) {
  AwsError e =
      DecodeError(Protocol::kQuery,
                  Response(400, "<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>",
                           {{"x-amzn-RequestId", "hdr"}}));
  EXPECT_EQ(e.request_id, "hdr");
}

TEST(DecodeErrorQuery, TooDeepIsUndecodableNotACrash) {
  std::string body;
  for (int i = 0; i < 10000; ++i) body += "<a>";
  body += "<Error><Code>Deep</Code></Error>";
  for (int i = 0; i < 10000; ++i) body += "</a>";
  AwsError e = DecodeError(Protocol::kQuery, Response(400, body));
  EXPECT_EQ(e.code, "Http400");
}

// --- ec2Query ---

TEST(DecodeErrorEc2, ResponseErrorsShape) {
  AwsError e =
      DecodeError(Protocol::kEc2Query, Response(400, R"(<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>
<Message>The instance ID 'i-1' does not exist</Message></Error></Errors>
<RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>)"));
  EXPECT_EQ(e.code, "InvalidInstanceID.NotFound");
  EXPECT_EQ(e.message, "The instance ID 'i-1' does not exist");
  EXPECT_EQ(e.request_id, "ea966190-f9aa-478e-9ede-example");
  Status st = ErrorToStatus(e, "DescribeInstances");
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_EQ(AwsErrorCode(st), "InvalidInstanceID.NotFound");
}

TEST(DecodeErrorEc2, RequestLimitExceededIsThrottling) {
  AwsError e = DecodeError(
      Protocol::kEc2Query,
      Response(503,
               "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
               "exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>"));
  EXPECT_EQ(ClassifyError(e), ErrorKind::kThrottling);
  EXPECT_EQ(ErrorToStatus(e, "RunInstances").code(), StatusCode::kThrottled);
}

// --- restXml ---

TEST(DecodeErrorRestXml, S3ErrorShape) {
  AwsError e =
      DecodeError(Protocol::kRestXml, Response(404, R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>
<Key>a/b</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>host</HostId></Error>)",
                                               {{"x-amz-request-id", "header-id"}}));
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.message, "The specified key does not exist.");
  EXPECT_EQ(e.request_id, "4442587FB7D0A2F9");
  EXPECT_EQ(ErrorToStatus(e, "GetObject").code(), StatusCode::kNotFound);
}

TEST(DecodeErrorRestXml, Route53StyleErrorResponse) {
  AwsError e = DecodeError(
      Protocol::kRestXml,
      Response(
          400,
          "<ErrorResponse "
          "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender"
          "</Type><Code>InvalidInput</Code><Message>bad</Message></Error><RequestId>rid</RequestId>"
          "</ErrorResponse>"));
  EXPECT_EQ(e.code, "InvalidInput");
  EXPECT_EQ(e.request_id, "rid");
}

TEST(DecodeErrorRestXml, SlowDownIsThrottling) {
  AwsError e =
      DecodeError(Protocol::kRestXml, Response(503,
                                               "<Error><Code>SlowDown</Code><Message>Please reduce "
                                               "your request rate.</Message></Error>"));
  EXPECT_EQ(ClassifyError(e), ErrorKind::kThrottling);
}

TEST(DecodeErrorRestXml, HeadResponsesWithoutBodyUseTheStatus) {
  struct Case {
    int status;
    const char* code;
    StatusCode status_code;
  } cases[] = {
      {404, "NotFound", StatusCode::kNotFound},
      {403, "Forbidden", StatusCode::kPermissionDenied},
      {301, "PermanentRedirect", StatusCode::kFailedPrecondition},
      {412, "PreconditionFailed", StatusCode::kFailedPrecondition},
      {400, "BadRequest", StatusCode::kInvalidArgument},
      {500, "InternalError", StatusCode::kUnavailable},
      {418, "Http418", StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    AwsError e =
        DecodeError(Protocol::kRestXml, Response(c.status, "", {{"x-amz-request-id", "head-id"}}));
    EXPECT_EQ(e.code, c.code) << c.status;
    EXPECT_EQ(e.request_id, "head-id");
    EXPECT_EQ(ErrorToStatus(e, "HeadObject").code(), c.status_code) << c.status;
  }
}

TEST(DecodeErrorRestXml, MalformedBodiesUseTheStatus) {
  for (const char* body :
       {"<Error><Code>NoSuchKey", "garbage", "<Other/>", "<?xml version='1.0'?>"}) {
    AwsError e = DecodeError(Protocol::kRestXml, Response(404, body));
    EXPECT_EQ(e.code, "NotFound") << body;
  }
}

// --- classification ---

TEST(ClassifyError, BotocoreThrottlingCodes) {
  for (const char* code :
       {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException"}) {
    EXPECT_EQ(ClassifyError({400, code, "", ""}), ErrorKind::kThrottling) << code;
    EXPECT_EQ(ErrorToStatus({400, code, "", ""}, "Op").code(), StatusCode::kThrottled) << code;
  }
  EXPECT_EQ(ClassifyError({429, "Http429", "", ""}), ErrorKind::kThrottling);
  EXPECT_EQ(ClassifyError({429, "Whatever", "", ""}), ErrorKind::kThrottling);
}

TEST(ClassifyError, Transient) {
  for (int status : {500, 502, 503, 504}) {
    EXPECT_EQ(ClassifyError({status, "Something", "", ""}), ErrorKind::kTransient) << status;
  }
  for (const char* code : {"RequestTimeout", "RequestTimeoutException", "InternalError",
                           "ServiceUnavailable", "InternalFailure", "ServerException"}) {
    EXPECT_EQ(ClassifyError({400, code, "", ""}), ErrorKind::kTransient) << code;
  }
  EXPECT_EQ(ClassifyError({501, "NotImplemented", "", ""}), ErrorKind::kOther);
  EXPECT_EQ(ClassifyError({400, "ValidationException", "", ""}), ErrorKind::kOther);
  // Code decides only for known codes: "Throttling" in a 5xx is throttling, not transient.
  EXPECT_EQ(ClassifyError({503, "SlowDown", "", ""}), ErrorKind::kThrottling);
}

// --- ErrorToStatus / AwsErrorCode ---

TEST(ErrorToStatus, Mapping) {
  struct Case {
    int status;
    const char* code;
    StatusCode want;
  } cases[] = {
      {400, "ClusterNotFoundException", StatusCode::kNotFound},
      {404, "NoSuchBucket", StatusCode::kNotFound},
      {400, "AWS.SimpleQueueService.NonExistentQueue", StatusCode::kNotFound},
      {403, "AccessDenied", StatusCode::kPermissionDenied},
      {400, "AccessDeniedException", StatusCode::kPermissionDenied},
      {400, "UnauthorizedOperation", StatusCode::kPermissionDenied},
      {403, "SignatureDoesNotMatch", StatusCode::kUnauthenticated},
      {403, "InvalidAccessKeyId", StatusCode::kUnauthenticated},
      {400, "ExpiredToken", StatusCode::kUnauthenticated},
      {400, "UnrecognizedClientException", StatusCode::kUnauthenticated},
      {401, "AuthFailure", StatusCode::kUnauthenticated},
      {409, "BucketAlreadyOwnedByYou", StatusCode::kAlreadyExists},
      {400, "AlreadyExists", StatusCode::kAlreadyExists},
      {400, "InvalidGroup.Duplicate", StatusCode::kAlreadyExists},
      {400, "DuplicateTargetGroupName", StatusCode::kAlreadyExists},
      {409, "Conflict", StatusCode::kAlreadyExists},
      {409, "BucketNotEmpty", StatusCode::kFailedPrecondition},
      {409, "OperationAborted", StatusCode::kAborted},
      {400, "ResourceInUse", StatusCode::kFailedPrecondition},
      {400, "ServiceNotActiveException", StatusCode::kFailedPrecondition},
      {400, "ScalingActivityInProgress", StatusCode::kFailedPrecondition},
      {400, "IncorrectState", StatusCode::kFailedPrecondition},
      {400, "LimitExceeded", StatusCode::kResourceExhausted},
      {400, "TooManyTargets", StatusCode::kResourceExhausted},
      {400, "ValidationException", StatusCode::kInvalidArgument},
      {400, "InvalidParameterException", StatusCode::kInvalidArgument},
      {400, "InvalidAction", StatusCode::kUnimplemented},
      {501, "NotImplemented", StatusCode::kUnimplemented},
      {503, "ServiceUnavailable", StatusCode::kUnavailable},
      {505, "Http505", StatusCode::kInternal},
      {200, "EntityTooSmall", StatusCode::kInvalidArgument},  // an <Error> inside a 200
      {0, "SomethingElse", StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorToStatus({c.status, c.code, "m", ""}, "Op").code(), c.want)
        << c.status << " " << c.code;
  }
}

TEST(ErrorToStatus, MessageFormatAndRoundTrip) {
  Status st = ErrorToStatus({400, "ClusterNotFoundException", "Cluster not found.", "rid-9"},
                            "DescribeServices");
  EXPECT_EQ(st.message(),
            "DescribeServices: ClusterNotFoundException: Cluster not found. "
            "(request id rid-9)");
  EXPECT_EQ(AwsErrorCode(st), "ClusterNotFoundException");
  // Context prepended by callers does not hide the code.
  EXPECT_EQ(AwsErrorCode(st.WithContext("drain i-123 in cluster prod")),
            "ClusterNotFoundException");
  EXPECT_EQ(AwsErrorCode(st.WithContext("a: b c")), "ClusterNotFoundException");
}

TEST(ErrorToStatus, NoMessage) {
  Status st = ErrorToStatus({418, "Http418", "", "rid"}, "GetObject");
  EXPECT_EQ(st.message(), "GetObject: Http418: (no message) (request id rid)");
  EXPECT_EQ(AwsErrorCode(st), "Http418");
  Status bare = ErrorToStatus({418, "Teapot", "", ""}, "GetObject");
  EXPECT_EQ(AwsErrorCode(bare), "Teapot");
  // A request id (or message) with ": " in it cannot shift the code.
  Status odd = ErrorToStatus({418, "Teapot", "", "a: B: c"}, "GetObject");
  EXPECT_EQ(AwsErrorCode(odd), "Teapot");
  EXPECT_EQ(AwsErrorCode(odd.WithContext("x y")), "Teapot");
}

TEST(AwsErrorCode, NotAnAwsError) {
  EXPECT_EQ(AwsErrorCode(Status::Ok()), "");
  EXPECT_EQ(AwsErrorCode(UnavailableError("connect to 127.0.0.1:4566: Connection refused")), "");
  EXPECT_EQ(AwsErrorCode(InvalidArgumentError("bad key")), "");
}

TEST(ProtocolName, Names) {
  EXPECT_EQ(ProtocolName(Protocol::kJson10), "json1.0");
  EXPECT_EQ(ProtocolName(Protocol::kEc2Query), "ec2");
  EXPECT_EQ(ProtocolName(Protocol::kRestXml), "rest-xml");
}

}  // namespace
}  // namespace steady::aws
