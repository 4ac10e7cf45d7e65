// Standard base64 (RFC 4648, with padding), as AWS uses it for binary values and checksums.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace steady {

std::string Base64Encode(std::string_view data);
// Accepts padded input, and unpadded input whose length is valid; whitespace is not allowed.
// kInvalidArgument otherwise.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace steady
