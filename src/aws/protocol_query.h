// The awsQuery and ec2Query protocols (Auto Scaling, ELBv2, SNS, CloudWatch, STS, SQS in older
// SDKs; EC2): a form-encoded POST of "Action=<Operation>&Version=<apiVersion>&<params>", answered
// with XML.
//
// Parameters are flat key/value pairs whose keys spell the path through the input shape. The
// flattening rules (from the botocore serializers):
//   - structure members:   Prefix.Member
//   - awsQuery lists:      Name.member.1, Name.member.2 (the member name may be customized);
//                          an empty list is sent as "Name=" so that it can clear a value
//   - flattened lists:     Name.1, Name.2 (awsQuery shapes marked "flattened"; empty → "Name=")
//   - ec2Query lists:      Name.1, Name.2 (always; an empty list sends nothing)
//   - maps:                Name.entry.1.key / Name.entry.1.value (flattened: Name.1.key ...),
//                          key/value member names as the model says (SQS: Name/Value)
//
//   QueryParams p("DescribeTargetHealth", "2015-12-01");
//   p.Add("TargetGroupArn", arn);
//   for (size_t i = 0; i < targets.size(); ++i) {
//     std::string t = QueryParams::ListKey("Targets", i + 1, QueryListStyle::kMember);
//     p.Add(t + ".Id", targets[i].id).AddInt(t + ".Port", targets[i].port);
//   }
//   ASSIGN_OR_RETURN(auto resp, transport.Send("DescribeTargetHealth", p.ToRequest()));
//   ASSIGN_OR_RETURN(QueryResponse r, ParseQueryResponse(Protocol::kQuery, resp.body,
//                                                        "DescribeTargetHealth"));
//   for (const XmlElement* d : r.result.List("TargetHealthDescriptions")) ...
//
// Thread safety: values; copy freely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/aws_error.h"
#include "aws/protocol_xml.h"
#include "base/clock.h"
#include "base/status.h"
#include "net/http.h"

namespace steady::aws {

enum class QueryListStyle {
  kMember,     // awsQuery: Name.member.N; empty list → "Name="
  kFlattened,  // awsQuery flattened: Name.N; empty list → "Name="
  kEc2,        // ec2Query: Name.N; empty list → nothing
};

class QueryParams {
 public:
  using Param = std::pair<std::string, std::string>;

  QueryParams(std::string_view action, std::string_view version);

  // Appends one parameter (order is kept; a repeated key is sent twice, which callers avoid).
  QueryParams& Add(std::string_view key, std::string_view value);
  QueryParams& AddInt(std::string_view key, int64_t value);
  QueryParams& AddDouble(std::string_view key, double value);
  QueryParams& AddBool(std::string_view key, bool value);  // "true"/"false"
  // ISO 8601 UTC (2026-11-23T19:12:40Z; with milliseconds when the time has a fraction).
  QueryParams& AddTimestamp(std::string_view key, Time value);

  // A list of scalars under the rules of `style`.
  QueryParams& AddList(std::string_view name, const std::vector<std::string>& values,
                       QueryListStyle style, std::string_view member_name = "member");
  // A map as the model names its parts: "Name.entry.N.<key_name>" / ".<value_name>", or
  // "Name.N.<key_name>" when `flattened`.
  QueryParams& AddMap(std::string_view name, const std::vector<Param>& entries,
                      bool flattened = false, std::string_view key_name = "key",
                      std::string_view value_name = "value");

  // The key prefix of the `index`-th (1-based) element of a list, for lists of structures:
  // ListKey("Tags", 2, kMember) == "Tags.member.2", ListKey("Filter", 1, kEc2) == "Filter.1".
  static std::string ListKey(std::string_view name, size_t index, QueryListStyle style,
                             std::string_view member_name = "member");
  // The key prefix of the `index`-th (1-based) map entry: "Name.entry.N" or "Name.N".
  static std::string MapEntryKey(std::string_view name, size_t index, bool flattened = false);

  // Action and Version first, then the parameters in order, each as UriEncode(key) '='
  // UriEncode(value) joined by '&'.
  std::string Encode() const;
  // A relative POST "/" for AwsTransport::Send with the form Content-Type and Encode() as body.
  net::HttpRequest ToRequest() const;

  const std::string& action() const { return action_; }
  const std::string& version() const { return version_; }
  // The parameters after Action and Version.
  const std::vector<Param>& params() const { return params_; }

 private:
  std::string action_;
  std::string version_;
  std::vector<Param> params_;
};

// Decodes a form body back into (key, value) pairs, Action and Version included, in order
// ('+' reads as a space, as form encoding allows). For tests and the local region.
std::vector<QueryParams::Param> DecodeQueryForm(std::string_view body);

struct QueryResponse {
  // awsQuery: the <OperationResult> element (an empty element of that name when the operation
  // returns nothing, as DeleteQueue does). ec2Query: the root <OperationResponse> element,
  // whose children are the output members.
  XmlElement result;
  std::string request_id;  // ResponseMetadata/RequestId (query) or requestId (ec2)
};

// Parses a 2xx response of `operation` for `protocol` (kQuery or kEc2Query). Malformed XML →
// kDataLoss naming the operation.
Result<QueryResponse> ParseQueryResponse(Protocol protocol, std::string_view body,
                                         std::string_view operation);

}  // namespace steady::aws
