// CloudWatch's request decoders on arbitrary bytes: RPC v2 CBOR bodies, awsQuery forms and gzip
// bodies. Byte 0 picks the decoder (mod 3), the rest is the body. Whatever CBOR decodes must
// encode and decode back to the same document (NaN aside: it is not equal to itself).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/http.h"
#include "region/cloudwatch_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto doc = steady::region::DecodeRpcV2Cbor(body);
      if (!doc.ok() || *doc != *doc) break;
      std::string again = steady::region::EncodeRpcV2Cbor(*doc, {"Timestamp", "StartTime"});
      auto back = steady::region::DecodeRpcV2Cbor(again);
      if (!back.ok() || *back != *doc) std::abort();
      break;
    }
    case 1: {
      steady::region::FormParams form;
      for (auto& [k, v] : steady::net::ParseQuery(body, true)) form[k] = v;
      auto doc = steady::region::QueryFormToJson(form);
      if (doc.ok() && !doc->is_object()) std::abort();
      break;
    }
    case 2: (void)steady::region::Gunzip(body, 1 << 20); break;
  }
  return 0;
}
