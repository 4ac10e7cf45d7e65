#include "region/s3_util.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

#include "base/ids.h"
#include "region/service_error.h"

namespace steady::region::s3_internal {

using nlohmann::json;

int64_t Ns(Time t) { return ToUnixNanos(t); }

std::string Md5Raw(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string Md5Hex(std::string_view data) { return HexEncode(Md5Raw(data)); }

// "0a1b..." → bytes; an invalid digit yields "" (never for ETags this model made).
std::string HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return "";
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    auto r = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    if (r.ec != std::errc() || r.ptr != hex.data() + i + 2) return "";
    out.push_back(static_cast<char>(v));
  }
  return out;
}

std::string StripQuotes(std::string_view etag) {
  while (!etag.empty() && (etag.front() == ' ' || etag.front() == '\t')) etag.remove_prefix(1);
  while (!etag.empty() && (etag.back() == ' ' || etag.back() == '\t')) etag.remove_suffix(1);
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

// If-Match / If-None-Match: a comma-separated list of ETags, or "*".
bool EtagListMatches(std::string_view list, const std::string& etag) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string one = StripQuotes(list.substr(start, comma - start));
    if (one == "*" || one == etag) return true;
    start = comma + 1;
  }
  return false;
}

Time TruncateToSeconds(Time t) { return std::chrono::floor<std::chrono::seconds>(t); }

json AttrsToJson(const S3ObjectAttrs& a) {
  json j = json::object();
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) j[k] = v;
  };
  put("ct", a.content_type);
  put("ce", a.content_encoding);
  put("cd", a.content_disposition);
  put("cl", a.content_language);
  put("cc", a.cache_control);
  put("ex", a.expires);
  put("sc", a.storage_class);
  if (!a.metadata.empty()) j["m"] = a.metadata;
  return j;
}

S3ObjectAttrs AttrsFromJson(const json& j) {
  S3ObjectAttrs a;
  a.content_type = j.value("ct", "");
  a.content_encoding = j.value("ce", "");
  a.content_disposition = j.value("cd", "");
  a.content_language = j.value("cl", "");
  a.cache_control = j.value("cc", "");
  a.expires = j.value("ex", "");
  a.storage_class = j.value("sc", "");
  if (j.contains("m")) a.metadata = j.at("m").get<std::map<std::string, std::string>>();
  return a;
}

// Fills the defaults S3 reports for an object written without them.
S3ObjectAttrs WithDefaults(S3ObjectAttrs a) {
  if (a.content_type.empty()) a.content_type = "binary/octet-stream";
  if (a.storage_class.empty()) a.storage_class = "STANDARD";
  return a;
}

Status ValidateKey(std::string_view op, const std::string& key) {
  if (key.empty()) return ServiceError(op, "InvalidArgument", "An object key must not be empty.");
  if (key.size() > kMaxKeyBytes) return ServiceError(op, "KeyTooLongError", "Your key is too long");
  return Status::Ok();
}

Status ValidateAttrs(std::string_view op, const S3ObjectAttrs& a) {
  size_t n = 0;
  for (const auto& [k, v] : a.metadata) n += k.size() + v.size();
  if (n > kMaxMetadataBytes)
    return ServiceError(op, "MetadataTooLarge",
                        "Your metadata headers exceed the maximum allowed metadata size.");
  return Status::Ok();
}

Status NoSuchBucket(std::string_view op) {
  return ServiceError(op, "NoSuchBucket", "The specified bucket does not exist", 404);
}
Status NoSuchKey(std::string_view op) {
  return ServiceError(op, "NoSuchKey", "The specified key does not exist.", 404);
}
Status PreconditionFailed(std::string_view op) {
  return ServiceError(op, "PreconditionFailed",
                      "At least one of the pre-conditions you specified did not hold", 412);
}
Status InvalidRange(std::string_view op) {
  return ServiceError(op, "InvalidRange", "The requested range is not satisfiable", 416);
}

// S3's order: If-Match beats If-Unmodified-Since, If-None-Match beats If-Modified-Since.
Status CheckConditions(std::string_view op, const S3ObjectMeta& meta, const S3Conditions& c) {
  Time lm = TruncateToSeconds(meta.last_modified);
  if (!c.if_match.empty()) {
    if (!EtagListMatches(c.if_match, meta.etag)) return PreconditionFailed(op);
  } else if (c.if_unmodified_since && lm > *c.if_unmodified_since) {
    return PreconditionFailed(op);
  }
  if (!c.if_none_match.empty()) {
    if (EtagListMatches(c.if_none_match, meta.etag))
      return ServiceError(op, "NotModified", "Not Modified", 304);
  } else if (c.if_modified_since && lm <= *c.if_modified_since) {
    return ServiceError(op, "NotModified", "Not Modified", 304);
  }
  return Status::Ok();
}

// The inclusive byte range `r` selects from an object of `size` bytes.
Status ResolveRange(std::string_view op, const S3Range& r, uint64_t size, uint64_t& first,
                    uint64_t& last) {
  if (r.suffix) {
    if (*r.suffix == 0 || size == 0) return InvalidRange(op);
    first = size > *r.suffix ? size - *r.suffix : 0;
    last = size - 1;
    return Status::Ok();
  }
  if (!r.first || *r.first >= size) return InvalidRange(op);
  first = *r.first;
  last = r.last ? std::min(*r.last, size - 1) : size - 1;
  return Status::Ok();
}

}  // namespace steady::region::s3_internal
