#include "search/time_arg.h"

#include <cctype>
#include <string>

#include "base/config.h"
#include "base/time_format.h"

namespace steady::search {

Result<Time> ParseTimeArg(std::string_view text, Time now) {
  if (text == "now") return now;
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) &&
      text.find('-') == std::string_view::npos) {
    Result<Duration> d = ParseDuration(text);
    if (d.ok()) return now - *d;
  }
  std::string t(text);
  if (t.size() > 10 && t[10] == ' ') t[10] = 'T';
  bool has_zone = t.size() > 10 && (t.back() == 'Z' || t.back() == 'z' ||
                                    t.find_first_of("+-", 11) != std::string::npos);
  if (t.size() == 10) {
    t += "T00:00:00Z";
  } else if (!has_zone) {
    if (t.size() == 16) t += ":00";  // YYYY-MM-DDTHH:MM
    t += 'Z';
  }
  Result<Time> parsed = ParseRfc3339(t);
  if (!parsed.ok()) {
    return InvalidArgumentError("bad time '" + std::string(text) +
                                "': want a duration back from now (30m, 2h, 1d), now, "
                                "2018-11-28, 2018-11-28T10:00 (UTC) or RFC 3339");
  }
  return *parsed;
}

}  // namespace steady::search
