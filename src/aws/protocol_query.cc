#include "aws/protocol_query.h"

#include <charconv>

#include "base/time_format.h"

namespace steady::aws {

QueryParams::QueryParams(std::string_view action, std::string_view version)
    : action_(action), version_(version) {}

QueryParams& QueryParams::Add(std::string_view key, std::string_view value) {
  params_.emplace_back(std::string(key), std::string(value));
  return *this;
}

QueryParams& QueryParams::AddInt(std::string_view key, int64_t value) {
  return Add(key, std::to_string(value));
}

QueryParams& QueryParams::AddDouble(std::string_view key, double value) {
  // Shortest text that reads back as the same double ("0.5", "100", "1e+21").
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return Add(key, ec == std::errc() ? std::string_view(buf, end - buf) : std::string_view("0"));
}

QueryParams& QueryParams::AddBool(std::string_view key, bool value) {
  return Add(key, value ? "true" : "false");
}

QueryParams& QueryParams::AddTimestamp(std::string_view key, Time value) {
  bool has_fraction = value.time_since_epoch() % std::chrono::seconds(1) != Duration::zero();
  return Add(key, FormatIso8601(value, /*millis=*/has_fraction));
}

QueryParams& QueryParams::AddList(std::string_view name, const std::vector<std::string>& values,
                                  QueryListStyle style, std::string_view member_name) {
  if (values.empty()) {
    // awsQuery sends an empty list as an empty value so that "set to nothing" is expressible;
    // ec2Query has no way to say it.
    if (style != QueryListStyle::kEc2) Add(name, "");
    return *this;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    Add(ListKey(name, i + 1, style, member_name), values[i]);
  }
  return *this;
}

QueryParams& QueryParams::AddMap(std::string_view name, const std::vector<Param>& entries,
                                 bool flattened, std::string_view key_name,
                                 std::string_view value_name) {
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string prefix = MapEntryKey(name, i + 1, flattened);
    Add(prefix + "." + std::string(key_name), entries[i].first);
    Add(prefix + "." + std::string(value_name), entries[i].second);
  }
  return *this;
}

std::string QueryParams::ListKey(std::string_view name, size_t index, QueryListStyle style,
                                 std::string_view member_name) {
  std::string key(name);
  if (style == QueryListStyle::kMember) {
    key += '.';
    key += member_name;
  }
  key += '.';
  key += std::to_string(index);
  return key;
}

std::string QueryParams::MapEntryKey(std::string_view name, size_t index, bool flattened) {
  std::string key(name);
  if (!flattened) key += ".entry";
  key += '.';
  key += std::to_string(index);
  return key;
}

std::string QueryParams::Encode() const {
  std::string out = "Action=" + net::UriEncode(action_) + "&Version=" + net::UriEncode(version_);
  for (const auto& [key, value] : params_) {
    out += '&';
    out += net::UriEncode(key);
    out += '=';
    out += net::UriEncode(value);
  }
  return out;
}

net::HttpRequest QueryParams::ToRequest() const {
  net::HttpRequest request;
  request.method = "POST";
  request.url = "/";
  request.headers.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  request.body = Encode();
  return request;
}

std::vector<QueryParams::Param> DecodeQueryForm(std::string_view body) {
  return net::ParseQuery(body, /*plus_is_space=*/true);
}

Result<QueryResponse> ParseQueryResponse(Protocol protocol, std::string_view body,
                                         std::string_view operation) {
  Result<XmlElement> root = ParseXml(body);
  if (!root.ok()) return root.status().WithContext(operation);
  QueryResponse out;
  if (protocol == Protocol::kEc2Query) {
    out.request_id = root->ChildText("requestId");
    out.result = std::move(*root);
    return out;
  }
  // <OperationResponse><OperationResult>...</OperationResult>
  //   <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata></OperationResponse>
  std::string result_name = std::string(operation) + "Result";
  if (const XmlElement* id = root->Find("ResponseMetadata/RequestId")) out.request_id = id->text;
  for (XmlElement& child : root->children) {
    if (child.name == result_name) {
      out.result = std::move(child);
      return out;
    }
  }
  out.result.name = std::move(result_name);
  return out;
}

}  // namespace steady::aws
