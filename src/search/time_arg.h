// The --since/--until forms of `steady logs`: a duration back from now ("90s", "30m", "2h",
// "1d", "1h30m"), "now", a UTC day ("2018-11-28"), a UTC minute or second without a zone
// ("2018-11-28T10:00", "2018-11-28T10:00:05"; a space works in place of 'T') or full RFC 3339
// with 'Z' or an offset.
#pragma once

#include <string_view>

#include "base/clock.h"
#include "base/status.h"

namespace steady::search {

// kInvalidArgument naming the accepted forms when `text` is none of them.
Result<Time> ParseTimeArg(std::string_view text, Time now);

}  // namespace steady::search
