// The awsJson 1.0/1.1 protocols (ECS, EventBridge, Glue, and SQS in newer SDKs): every call is
// a POST to "/" naming the operation in X-Amz-Target, with a JSON document each way.
//
//   net::HttpRequest req = JsonRpcRequest(Protocol::kJson11,
//                                         "AmazonEC2ContainerServiceV20141113",
//                                         "DescribeServices", body);
//   ASSIGN_OR_RETURN(net::HttpResponse resp, transport.Send("DescribeServices", req));
//   ASSIGN_OR_RETURN(nlohmann::json out, ParseJsonBody(resp.body, "DescribeServices"));
//
// Timestamps in these protocols are epoch seconds as JSON numbers; JsonTimestamp converts.
//
// Thread safety: free functions on values.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "aws/aws_error.h"
#include "base/clock.h"
#include "base/status.h"
#include "net/http.h"

namespace steady::aws {

// "application/x-amz-json-1.0" or "-1.1" for `protocol` (kJson10 or kJson11; anything else is a
// programming error and gets 1.1).
std::string_view JsonContentType(Protocol protocol);

// A relative request ("/", POST) for AwsTransport::Send with X-Amz-Target
// "<target_prefix>.<operation>", the protocol's Content-Type, and `body` serialized. A null
// body is sent as "{}" (every operation takes an object, even an empty one).
net::HttpRequest JsonRpcRequest(Protocol protocol, std::string_view target_prefix,
                                std::string_view operation, const nlohmann::json& body);

// Parses a response body; an empty body is an empty object (some operations return nothing).
// Anything but a JSON object → kDataLoss naming `operation`.
Result<nlohmann::json> ParseJsonBody(std::string_view body, std::string_view operation);

// Epoch seconds (a number, possibly fractional) as AWS JSON protocols send timestamps; a string
// in RFC 3339 form is accepted too. kInvalidArgument otherwise.
Result<Time> JsonTimestamp(const nlohmann::json& value);

}  // namespace steady::aws
