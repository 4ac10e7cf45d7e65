#include "aws/protocol_json.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/time_format.h"

namespace steady::aws {

std::string_view JsonContentType(Protocol protocol) {
  return protocol == Protocol::kJson10 ? "application/x-amz-json-1.0"
                                       : "application/x-amz-json-1.1";
}

net::HttpRequest JsonRpcRequest(Protocol protocol, std::string_view target_prefix,
                                std::string_view operation, const nlohmann::json& body) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = "/";
  std::string target(target_prefix);
  target += '.';
  target += operation;
  request.headers.Set("X-Amz-Target", std::move(target));
  request.headers.Set("Content-Type", std::string(JsonContentType(protocol)));
  // Invalid UTF-8 in a string is replaced rather than thrown: exceptions stay in here, and a
  // mangled byte in a tag value is better than a failed call.
  request.body =
      body.is_null() ? "{}" : body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return request;
}

Result<nlohmann::json> ParseJsonBody(std::string_view body, std::string_view operation) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return nlohmann::json::object();
  }
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return DataLossError(std::string(operation) + ": response is not valid JSON");
  }
  if (!parsed.is_object()) {
    return DataLossError(std::string(operation) + ": response is JSON but not an object");
  }
  return parsed;
}

Result<Time> JsonTimestamp(const nlohmann::json& value) {
  if (value.is_number()) {
    double s = value.get<double>();
    // Beyond ±2^62 ns the conversion to nanoseconds would overflow.
    if (!std::isfinite(s) || std::fabs(s) > 4.6e9) {
      return InvalidArgumentError("timestamp out of range");
    }
    return FromUnixSeconds(s);
  }
  if (value.is_string()) return ParseRfc3339(value.get<std::string>());
  return InvalidArgumentError("timestamp is neither a number nor a string");
}

}  // namespace steady::aws
