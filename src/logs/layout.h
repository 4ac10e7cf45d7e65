// The storage layout that the aggregator writes, the router re-files and search reads
// (../shared/ARCHITECTURE.md, "Storage layout"), in one place:
//
//   service logs: <service-prefix>/<family>/<container>/%Y/%m/%d/<YYYYmmddHHMM>_<index>_<uuid>.gz
//   task logs:    <task-prefix>/<family>/<container>/<task-id>/<YYYYmmddHHMM>_<index>_<uuid>.gz
//
// The minute in a name is the minute of the events' time (UTC) of every line in the object, so a
// time range selects objects by name alone. A task-log key keeps the source object's base name,
// which is what makes re-processing a source object rewrite the same keys.
//
// Prefixes are given without a trailing '/' (one is tolerated and dropped); an empty prefix puts
// <family> at the top of the bucket. Parsing works from the end of the key, so prefixes may hold
// any number of segments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::logs {

// "<YYYYmmddHHMM>_<index>_<uuid>" without the ".gz".
struct ObjectBaseName {
  int64_t minute = 0;  // unix time / 60
  uint64_t index = 0;
  std::string uuid;  // no '/'
  friend bool operator==(const ObjectBaseName&, const ObjectBaseName&) = default;
};

std::string FormatBaseName(const ObjectBaseName& name);
// Parses "<YYYYmmddHHMM>_<index>_<uuid>" (no suffix); nullopt if it is not one of ours.
std::optional<ObjectBaseName> ParseBaseName(std::string_view base);

struct ServiceLogKey {
  std::string prefix;  // may be empty
  std::string family;
  std::string container;
  ObjectBaseName name;
  friend bool operator==(const ServiceLogKey&, const ServiceLogKey&) = default;
};

struct TaskLogKey {
  std::string prefix;
  std::string family;
  std::string container;
  std::string task_id;
  ObjectBaseName name;
  friend bool operator==(const TaskLogKey&, const TaskLogKey&) = default;
};

std::string FormatServiceLogKey(const ServiceLogKey& key);
std::string FormatTaskLogKey(const TaskLogKey& key);

// kInvalidArgument naming what is wrong when `key` is not in the layout (the date folders must
// agree with the minute in the name).
Result<ServiceLogKey> ParseServiceLogKey(std::string_view key);
Result<TaskLogKey> ParseTaskLogKey(std::string_view key);

// The task-log key that the router writes for the lines of `source` that belong to `task_id`
// (a task id that is not a valid key segment is sanitized like routes are).
std::string TaskLogKeyFor(std::string_view task_prefix, const ServiceLogKey& source,
                          std::string_view task_id);

// Athena/DuckDB table of a family and container: "<family>_<container>", every byte outside
// [A-Za-z0-9] replaced by '_', lower-cased (Athena folds names to lower case).
std::string TableName(std::string_view family, std::string_view container);

// A half-open time range [since, until); either end may be open.
struct TimeRange {
  std::optional<Time> since;
  std::optional<Time> until;
  // True when an object whose events all fall in `minute` may hold events in the range.
  bool CoversMinute(int64_t minute) const;
};

// The listing prefixes (each ending in '/') under which the service-log objects of one
// family/container that may hold events in `range` live: one per UTC day when both ends are
// set and the range spans at most `max_days` days, else the family/container prefix itself.
std::vector<std::string> ServiceLogListPrefixes(std::string_view service_prefix,
                                                std::string_view family, std::string_view container,
                                                const TimeRange& range, int max_days = 400);

}  // namespace steady::logs
