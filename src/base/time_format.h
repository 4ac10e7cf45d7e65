// Time as text, in the forms AWS and steady use. All UTC.
#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"

namespace steady {

// 2026-11-23T19:12:40.123456789Z (always nine fraction digits: log records' `time`).
std::string FormatRfc3339Nanos(Time t);
// 2026-11-23T19:12:40Z or with milliseconds (.123Z) when `millis` is true (AWS JSON/XML).
std::string FormatIso8601(Time t, bool millis = false);
// 20261123T191240Z (SigV4 X-Amz-Date).
std::string FormatAmzDate(Time t);
// 20261123 (SigV4 credential scope).
std::string FormatAmzDay(Time t);
// Mon, 23 Nov 2026 19:12:40 GMT (HTTP Date, Last-Modified).
std::string FormatHttpDate(Time t);
// strftime-style expansion of %Y %m %d %H %M %S (and %%) at `t`, for storage keys.
std::string FormatPattern(std::string_view pattern, Time t);

// Parses RFC 3339 / ISO 8601 with 'Z' or a numeric offset and any number of fraction digits.
Result<Time> ParseRfc3339(std::string_view text);
// Parses the SigV4 basic form 20261123T191240Z.
Result<Time> ParseAmzDate(std::string_view text);
// Parses an IMF-fixdate HTTP date.
Result<Time> ParseHttpDate(std::string_view text);

// Civil date parts of `t` in UTC.
struct CivilTime {
  int year, month, day, hour, minute, second;
  int64_t nanos;
};
CivilTime ToCivil(Time t);
Time FromCivil(const CivilTime& c);

}  // namespace steady
