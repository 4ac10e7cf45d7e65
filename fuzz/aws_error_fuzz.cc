// DecodeError over every protocol on arbitrary bytes, plus the invariants callers rely on:
// a code is always produced, and a code that looks like an AWS code survives
// ErrorToStatus → AwsErrorCode.
//
// Input: byte 0 picks the protocol, byte 1 the HTTP status, byte 2 which headers to add
// (bit 0 x-amzn-query-error, bit 1 x-amzn-ErrorType, bit 2 x-amzn-RequestId, each taking the
// next line of the input as its value); the rest is the body.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aws/aws_error.h"

namespace {

constexpr steady::aws::Protocol kProtocols[] = {
    steady::aws::Protocol::kJson10,  steady::aws::Protocol::kJson11,
    steady::aws::Protocol::kQuery,   steady::aws::Protocol::kEc2Query,
    steady::aws::Protocol::kRestXml, steady::aws::Protocol::kRestJson,
};
constexpr int kStatuses[] = {400, 403, 404, 409, 412, 429, 500, 501, 502, 503, 504, 301, 304, 418};

std::string_view NextLine(std::string_view& rest) {
  size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

bool LooksLikeCode(std::string_view s) {
  if (s.empty() || s[0] < 'A' || s[0] > 'Z') return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  steady::aws::Protocol protocol = kProtocols[data[0] % std::size(kProtocols)];
  steady::net::HttpResponse response;
  response.status = kStatuses[data[1] % std::size(kStatuses)];
  uint8_t flags = data[2];
  std::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
  if (flags & 1) response.headers.Add("x-amzn-query-error", std::string(NextLine(rest)));
  if (flags & 2) response.headers.Add("x-amzn-ErrorType", std::string(NextLine(rest)));
  if (flags & 4) response.headers.Add("x-amzn-RequestId", std::string(NextLine(rest)));
  response.body = std::string(rest);

  steady::aws::AwsError error = steady::aws::DecodeError(protocol, response);
  if (error.code.empty() || error.http_status != response.status) std::abort();
  (void)steady::aws::ClassifyError(error);
  steady::Status status = steady::aws::ErrorToStatus(error, "FuzzOperation");
  if (status.ok()) std::abort();
  if (LooksLikeCode(error.code) && steady::aws::AwsErrorCode(status) != error.code) std::abort();
  return 0;
}
