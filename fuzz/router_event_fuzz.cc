// Fuzz target: the router's queue-message parser (S3 event JSON, SNS envelopes, EventBridge).
// Any input must parse or fail with a Status; never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "router/events.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto m = steady::router::ParseRouterMessage(body);
  if (m.ok()) {
    for (const auto& o : m->objects) {
      if (o.bucket.empty() || o.key.empty()) __builtin_trap();
    }
  }
  (void)steady::router::DecodeS3EventKey(body);
  return 0;
}
