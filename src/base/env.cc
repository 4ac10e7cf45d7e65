#include "base/env.h"

#include <cstdlib>

namespace steady {

std::optional<std::string> ProcessEnvironment::Get(std::string_view name) const {
  const char* v = std::getenv(std::string(name).c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

ProcessEnvironment& ProcessEnvironment::Get() {
  static ProcessEnvironment env;
  return env;
}

}  // namespace steady
