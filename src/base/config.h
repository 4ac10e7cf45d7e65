// steady.yaml: one file for the whole system; each subcommand reads its section and flags
// override what it says. Errors name the file, line, column, the dotted key and what was
// expected:  steady.yaml:12:3: aggregator.flush_grace: expected a duration (e.g. 30s), got 'soon'
//
// A ConfigNode is a cheap, immutable view (it shares the parsed document). A missing key reads
// as absent: getters return the fallback, or kNotFound when none was given.
//
// Thread safety: read-only after loading; share freely.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady {

// "500ms", "30s", "2m", "1h", "1h30m", "1d"; a bare number is seconds.
Result<Duration> ParseDuration(std::string_view text);
// "512", "64KiB", "100MiB", "2GiB", "1MB"(=10^6); a bare number is bytes.
Result<int64_t> ParseBytes(std::string_view text);

class ConfigNode {
 public:
  ConfigNode();  // an empty node: every key is absent
  ~ConfigNode();
  ConfigNode(const ConfigNode&);
  ConfigNode& operator=(const ConfigNode&);

  bool Has(std::string_view key) const;
  // Dotted path of this node from the document root ("" for the root).
  const std::string& path() const { return path_; }
  // "steady.yaml:12:3" for this node, or the file name when it has no position.
  std::string Where() const;

  Result<std::string> String(std::string_view key, std::optional<std::string> fallback = {}) const;
  Result<int64_t> Int(std::string_view key, std::optional<int64_t> fallback = {}) const;
  Result<double> Double(std::string_view key, std::optional<double> fallback = {}) const;
  Result<bool> Bool(std::string_view key, std::optional<bool> fallback = {}) const;
  Result<Duration> Dur(std::string_view key, std::optional<Duration> fallback = {}) const;
  Result<int64_t> Bytes(std::string_view key, std::optional<int64_t> fallback = {}) const;
  Result<std::vector<std::string>> StringList(std::string_view key) const;  // absent → empty

  // The value under `key` as JSON text (mappings → objects, sequences → arrays, scalars that
  // read as numbers or booleans → those, others → strings); a scalar holding JSON text (a
  // string starting with '{' or '[') is returned as it is. kNotFound when absent.
  Result<std::string> Json(std::string_view key) const;

  // The mapping under `key` (absent → empty node).
  ConfigNode Child(std::string_view key) const;
  // The sequence of mappings under `key` (absent → empty). kInvalidArgument if not a sequence.
  Result<std::vector<ConfigNode>> List(std::string_view key) const;
  // Keys of this mapping, in file order.
  std::vector<std::string> Keys() const;
  // kInvalidArgument naming the first key of this mapping not in `known` (catches typos).
  Status CheckKeys(std::initializer_list<std::string_view> known) const;

  // Opaque to users (the parsed document lives in config.cc).
  struct Doc;
  struct Impl;

 private:
  friend class Config;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

class Config {
 public:
  static Result<Config> LoadFile(const std::string& filename);
  static Result<Config> Parse(std::string_view yaml, std::string source_name = "steady.yaml");
  static Config Empty();

  const ConfigNode& root() const { return root_; }
  ConfigNode Section(std::string_view name) const { return root_.Child(name); }

 private:
  ConfigNode root_;
};

}  // namespace steady
