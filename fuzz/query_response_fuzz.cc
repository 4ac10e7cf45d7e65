// ParseQueryResponse / ParseXml on arbitrary bytes, walking whatever tree comes out the way
// service clients do, and checking that XmlEscape'd text parses back to itself.
//
// Input: byte 0 picks awsQuery (even) or ec2Query (odd); the rest is the body.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aws/protocol_query.h"
#include "aws/protocol_xml.h"

namespace {

void Walk(const steady::aws::XmlElement& e, int& budget) {
  if (--budget < 0) return;
  (void)e.ChildInt("member");
  (void)e.ChildBool("item");
  (void)e.ChildDouble("Value");
  (void)e.Find("member/item");
  (void)e.List("member", "item");
  // Whitespace-only text is dropped by the parser by design (indentation), so it cannot
  // round-trip; everything else must.
  if (e.text.find_first_not_of(" \t\n\r") != std::string::npos && budget > 0) {
    --budget;
    auto back = steady::aws::ParseXml("<t>" + steady::aws::XmlEscape(e.text) + "</t>");
    if (!back.ok() || back->text != e.text) std::abort();
  }
  for (const auto& c : e.children) Walk(c, budget);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  steady::aws::Protocol protocol =
      data[0] % 2 ? steady::aws::Protocol::kEc2Query : steady::aws::Protocol::kQuery;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto response = steady::aws::ParseQueryResponse(protocol, body, "DescribeThings");
  if (!response.ok()) {
    if (response.status().code() != steady::StatusCode::kDataLoss) std::abort();
    return 0;
  }
  int budget = 10000;
  Walk(response->result, budget);
  return 0;
}
