// Environment variables behind a seam, so that credential and endpoint resolution can be
// tested without touching the process environment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace steady {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value, or nullopt if unset. An empty value is returned as "".
  virtual std::optional<std::string> Get(std::string_view name) const = 0;
  // The user's home directory ($HOME), or "" if unknown.
  std::string Home() const { return Get("HOME").value_or(""); }
};

// The real process environment.
class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> Get(std::string_view name) const override;
  static ProcessEnvironment& Get();
};

// A fixed map, for tests.
class MapEnvironment final : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  std::optional<std::string> Get(std::string_view name) const override {
    auto it = vars_.find(std::string(name));
    if (it == vars_.end()) return std::nullopt;
    return it->second;
  }
  void Set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace steady
