// Fuzz target: the router's line classifier and splitter. The input is inflated text split at
// arbitrary points; every line must come out exactly once (TaskSplitter into an in-memory
// store), and ClassifyLine must agree with itself on every line.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "logs/gzip.h"
#include "router/line_scan.h"
#include "router/router_testing.h"
#include "router/splitter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string scratch;
  (void)steady::router::ClassifyLine(text, &scratch);

  steady::logs::ServiceLogKey source;
  source.prefix = "service-logs";
  source.family = "f";
  source.container = "c";
  source.name.minute = 25723561;
  source.name.uuid = "u";
  steady::router::SplitOptions o;
  o.member_bytes = 256;
  o.spill_bytes = 128;
  o.memory_budget = 1024;
  o.max_line_bytes = 200;
  steady::router::testing::MemoryStore store;
  steady::router::TaskSplitter splitter(o, store, source);
  // Feed in pieces whose sizes come from the data itself.
  size_t pos = 0;
  while (pos < text.size()) {
    size_t n = 1 + static_cast<unsigned char>(text[pos]) % 61;
    if (!splitter.Add(text.substr(pos, n)).ok()) __builtin_trap();
    pos += n;
  }
  if (!splitter.Finish().ok()) __builtin_trap();
  // Every byte comes out once: the outputs hold the input plus at most one added '\n'.
  size_t total = 0;
  for (const auto& [key, gz] : store.objects()) {
    std::string out;
    if (!steady::logs::GunzipMembers(gz, &out, 1 << 30).ok()) __builtin_trap();
    total += out.size();
  }
  size_t want = text.size() + (!text.empty() && text.back() != '\n' ? 1 : 0);
  if (total != want) __builtin_trap();
  if (splitter.stats().lines() !=
      static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n')) +
          (want != text.size() ? 1 : 0))
    __builtin_trap();
  return 0;
}
