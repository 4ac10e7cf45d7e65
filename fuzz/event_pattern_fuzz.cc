// EventPattern::Parse and Matches on arbitrary bytes, plus invariants the event bus relies on:
// matching is deterministic, a compiled pattern behaves the same after a round trip through
// its JSON text, and nesting is consistent: P matches E exactly when {"w": P} matches
// {"w": E} for an object E.
//
// Input: the first line is the pattern, the rest is the event.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "region/event_pattern.h"

using nlohmann::json;
using steady::region::EventPattern;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view pattern_text = in.substr(0, nl);
  std::string_view event_text = nl == std::string_view::npos ? "{}" : in.substr(nl + 1);

  auto pattern = EventPattern::Parse(pattern_text);
  json event = json::parse(event_text, nullptr, false);
  if (!pattern.ok()) {
    if (pattern.status().message().empty()) std::abort();  // a refusal always says why
    return 0;
  }
  bool matched = pattern->Matches(event);
  if (pattern->Matches(event) != matched) std::abort();

  // Compiled patterns are bounded in depth, so dumping one cannot run away.
  json pattern_json = json::parse(pattern_text);
  auto again = EventPattern::Parse(pattern_json.dump());
  if (!again.ok() || again->Matches(event) != matched) std::abort();

  if (event.is_object()) {
    auto wrapped = EventPattern::Compile(json{{"w", pattern_json}});
    // Wrapping adds one level, which may cross the depth limit; otherwise it must compile.
    if (wrapped.ok() && wrapped->Matches(json{{"w", event}}) != matched) std::abort();
  }
  return 0;
}
