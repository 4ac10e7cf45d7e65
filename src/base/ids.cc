#include "base/ids.h"

#include <mutex>

namespace steady {

int64_t Random::Uniform(int64_t lo, int64_t hi) {
  std::uniform_int_distribution<int64_t> d(lo, hi);
  return d(rng_);
}

double Random::UniformDouble() {
  std::uniform_real_distribution<double> d(0.0, 1.0);
  return d(rng_);
}

std::string Random::Hex(int chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(chars, '0');
  uint64_t bits = 0;
  for (int i = 0; i < chars; ++i) {
    if (i % 16 == 0) bits = rng_();
    out[i] = kHex[bits & 0xf];
    bits >>= 4;
  }
  return out;
}

std::string Random::Uuid() {
  std::string h = Hex(32);
  h[12] = '4';
  h[16] = "89ab"[rng_() & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

std::string NewUuid() {
  static std::mutex mu;
  static Random rng([] {
    std::random_device rd;
    return (uint64_t(rd()) << 32) ^ rd();
  }());
  std::lock_guard lock(mu);
  return rng.Uuid();
}

std::string HexEncode(const void* data, size_t len) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out(len * 2, '0');
  for (size_t i = 0; i < len; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 0xf];
  }
  return out;
}

}  // namespace steady
