// Reading the stored log line (logs/log_record.h: one JSON object per line, "time" first, then
// "log", ...) without a JSON library: search touches every line, and a general parser would
// cost more than the decompression. Only the top level of the object is walked, and only as far
// as the wanted key.
//
// Thread safety: free functions, no state.
#pragma once

#include <string>
#include <string_view>

namespace steady::search {

struct JsonField {
  enum class Kind {
    kMissing,  // a valid object prefix without the key
    kString,   // `raw` holds the string's contents, escapes intact (no quotes)
    kOther,    // null, a number, a literal, an object or an array: `raw` is the value's text
    kInvalid,  // the line is not a JSON object (as far as it was read)
  };
  Kind kind = Kind::kMissing;
  std::string_view raw;
};

// Finds the top-level key `name` of the JSON object `line` (no '\n'). Keys are compared as
// written (escaped), which is how steady writes its fixed keys.
JsonField FindJsonField(std::string_view line, std::string_view name);

// Appends the JSON string contents `raw` (escapes intact, no quotes) decoded to UTF-8 to
// `*out`. \uXXXX pairs become one code point; a lone surrogate becomes U+FFFD. Returns false
// (having appended what it could) on a malformed escape.
bool DecodeJsonString(std::string_view raw, std::string* out);

// The text of the line's "log" field: `raw` itself when it holds no escape (no copy), else the
// decoded text in `*scratch`. null gives "". `*valid` is false when the line is not a JSON
// object with a string or null "log"; then the whole line is returned.
std::string_view LogText(std::string_view line, std::string* scratch, bool* valid);

// The raw "time" value ("2018-11-28T01:02:03.123456789Z": fixed width, so the text sorts by
// time), "" when missing. Fast when "time" is the first key, as steady writes it.
std::string_view LineTime(std::string_view line);

}  // namespace steady::search
