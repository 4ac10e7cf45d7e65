// JSON string escaping for the few places that write JSON by hand (log lines, config values
// turned into JSON, templated webhook bodies) where building a document would be waste.
#pragma once

#include <string>
#include <string_view>

namespace steady {

// Appends `s` escaped for the inside of a JSON string: quote, backslash, \n \r \t, other
// control characters as \u00XX; every other byte as is (UTF-8 passes through).
void AppendJsonEscaped(std::string& out, std::string_view s);
// Appends `s` as a quoted JSON string.
inline void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  AppendJsonEscaped(out, s);
  out += '"';
}

}  // namespace steady
