// Inflating a whole log object (one or more concatenated gzip members) into one buffer, for
// search. Same contract as logs::GunzipMembers (logs/gzip.h), but sized for search's hot path:
// the output grows by doubling instead of by a multiple of the remaining input, and the codec
// is chosen by measurement (src/search/grep_bench.cc; docs/logs.md).
//
// Thread safety: thread-safe (per-thread decompressor state).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace steady::search {

enum class Inflater { kIsal, kLibdeflate };

// The fastest on our objects (see docs/logs.md).
inline constexpr Inflater kDefaultInflater = Inflater::kIsal;

// Replaces `*out` with the inflated members of `in`; the old size of `*out` is used as room
// (no zero-filling when a recycled buffer is big enough). kDataLoss for a corrupt or truncated
// member (then `*out` holds the complete members before it); kResourceExhausted past `max_out`.
Status InflateMembers(std::string_view in, std::string* out, size_t max_out,
                      Inflater inflater = kDefaultInflater);

}  // namespace steady::search
