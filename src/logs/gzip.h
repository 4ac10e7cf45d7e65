// gzip for the log pipeline: compress a buffer into one gzip member, and inflate a buffer of
// one or more concatenated members (RFC 1952 allows and gunzip/zcat/DuckDB/Athena read them).
//
// Three codecs are here because the choice is made by measurement (bench/gzip_bench.cc): isa-l
// (igzip level 1) is the default, libdeflate and zlib are the alternatives and the reference
// that the tests compare against. All of them produce standard gzip.
//
// Thread safety: the free functions are thread-safe; a GzipCompressor is used by one thread at a
// time (it keeps its working memory between calls so that hot paths do not allocate).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace steady::logs {

enum class GzipCodec { kIsal, kLibdeflate, kZlib };

// "isal", "libdeflate", "zlib" (kInvalidArgument otherwise).
Result<GzipCodec> ParseGzipCodec(std::string_view name);
std::string_view GzipCodecName(GzipCodec codec);

class GzipCompressor {
 public:
  virtual ~GzipCompressor() = default;
  // Appends one complete gzip member holding `data` to `*out`.
  virtual void CompressMember(std::string_view data, std::string* out) = 0;
};

// `level`: the codec's fast level by default (isa-l 1, libdeflate 1, zlib 1).
std::unique_ptr<GzipCompressor> NewGzipCompressor(GzipCodec codec = GzipCodec::kIsal,
                                                  int level = -1);

// Inflates every gzip member in `in` and appends the result to `*out`. Checks each member's
// CRC and size. kDataLoss for a corrupt or truncated member (then `*out` holds what came before
// it); kResourceExhausted if the output would pass `max_out` bytes (a decompression bomb).
// `members_ok`, if given, receives the byte length of `in` covered by complete, valid members.
Status GunzipMembers(std::string_view in, std::string* out, size_t max_out,
                     size_t* members_ok = nullptr);

}  // namespace steady::logs
