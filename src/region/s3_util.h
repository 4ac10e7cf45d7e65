// Small pieces shared by the region's S3 model files: digests, ETag matching, the journal form
// of object attributes, and S3's common errors and read conditions. Internal to src/region/s3_*.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "region/s3_model.h"

namespace steady::region::s3_internal {

constexpr size_t kMaxKeyBytes = 1024;
constexpr size_t kMaxMetadataBytes = 2048;
constexpr size_t kMaxDeleteKeys = 1000;
constexpr int kMaxPartNumber = 10000;

int64_t Ns(Time t);
// MD5 digest of `data`: raw bytes, or lower-case hex.
std::string Md5Raw(std::string_view data);
std::string Md5Hex(std::string_view data);
// "0a1b..." → bytes; "" for invalid hex.
std::string HexDecode(std::string_view hex);
// "\"abc\"" (or W/"abc", with blanks around) → "abc".
std::string StripQuotes(std::string_view etag);
// If-Match / If-None-Match: a comma-separated list of ETags, or "*".
bool EtagListMatches(std::string_view list, const std::string& etag);
Time TruncateToSeconds(Time t);

nlohmann::json AttrsToJson(const S3ObjectAttrs& a);
S3ObjectAttrs AttrsFromJson(const nlohmann::json& j);
// Fills what S3 reports for an object written without them (binary/octet-stream, STANDARD).
S3ObjectAttrs WithDefaults(S3ObjectAttrs a);

Status ValidateKey(std::string_view op, const std::string& key);
Status ValidateAttrs(std::string_view op, const S3ObjectAttrs& a);
Status NoSuchBucket(std::string_view op);
Status NoSuchKey(std::string_view op);
Status PreconditionFailed(std::string_view op);
Status InvalidRange(std::string_view op);
// S3's order: If-Match beats If-Unmodified-Since, If-None-Match beats If-Modified-Since.
// PreconditionFailed (412) or NotModified (304).
Status CheckConditions(std::string_view op, const S3ObjectMeta& meta, const S3Conditions& c);
// The inclusive byte range `r` selects from an object of `size` bytes (InvalidRange if none).
Status ResolveRange(std::string_view op, const S3Range& r, uint64_t size, uint64_t& first,
                    uint64_t& last);

}  // namespace steady::region::s3_internal
