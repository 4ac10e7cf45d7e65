// Identifiers: random UUIDs for flush ids and request ids, and a seeded generator so that
// the region and simulations are deterministic under a seed.
//
// Thread safety: Random is not thread-safe (one per owner); NewUuid() is.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace steady {

class Random {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}
  uint64_t Next() { return rng_(); }
  // Uniform in [lo, hi].
  int64_t Uniform(int64_t lo, int64_t hi);
  double UniformDouble();  // [0, 1)
  std::string Uuid();      // RFC 4122 version 4 form
  std::string Hex(int chars);

 private:
  std::mt19937_64 rng_;
};

// A UUID from the operating system's entropy (per-process flush ids and request ids).
std::string NewUuid();

// Lower-case hex of bytes.
std::string HexEncode(const void* data, size_t len);
inline std::string HexEncode(const std::string& s) { return HexEncode(s.data(), s.size()); }

}  // namespace steady
