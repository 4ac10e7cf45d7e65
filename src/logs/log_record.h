// From a Forward-protocol event to the stored line: where it goes (the route: task-definition
// family and container name) and what is written (one JSON object, fields in the order
// ../shared/ARCHITECTURE.md fixes).
//
// Where a record comes from, and how its route is found:
//   - Docker's fluentd logging driver with the `labels` option (the ECS agent sets the labels):
//     record keys "com.amazonaws.ecs.task-definition-family", "com.amazonaws.ecs.container-name",
//     "com.amazonaws.ecs.task-arn", "com.amazonaws.ecs.cluster" beside "log", "source",
//     "container_id", "container_name".
//   - FireLens (fluent-bit/fluentd sidecar): "ecs_task_definition" ("family:revision"),
//     "ecs_task_arn", "ecs_cluster", "container_name" (the ECS container name), "log", "source",
//     "container_id".
//   - Anything else: the fallback route, family = options.fallback_family and container = the
//     tag; never dropped.
// Family and container are sanitized for use as key segments: bytes outside [A-Za-z0-9._-]
// become '_', empty or "."/".." become "_", at most 255 bytes.
//
// The line: {"time":"2018-11-28T01:02:03.123456789Z","log":...,"source":...,"container_id":...,
// "task_id":...,"task_arn":...,"family":...,"container":...,"cluster":...,<other fields>}\n
// `time` and the eight fixed fields are always present (null when unknown); task_id is the last
// '/'-separated segment of the task ARN. The record keys consumed into the fixed fields (the four
// ECS labels, the three FireLens ecs_* fields, and FireLens's container_name) are not repeated;
// every other field follows in record order. msgpack → JSON: str and bin become strings (invalid
// UTF-8 replaced by U+FFFD, control characters escaped), integers and floats numbers (NaN/Inf:
// null), nil null, booleans, arrays and maps nested (non-string map keys stringified), ext null.
//
// Thread safety: RecordEncoder is immutable after construction; Encode may run on many threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "logs/forward_protocol.h"

namespace steady::logs {

struct RecordEncoderOptions {
  std::string fallback_family = "_unrouted";
  size_t max_nesting = 64;
};

struct Route {
  std::string family;
  std::string container;
  bool fallback = false;  // no ECS labels or FireLens fields: family is the fallback
  friend bool operator==(const Route&, const Route&) = default;
};

class RecordEncoder {
 public:
  explicit RecordEncoder(RecordEncoderOptions options = {});

  // Appends the JSON line (with its '\n') for the event to `*line` and sets `*route`.
  // kInvalidArgument if `record` is not a well-formed msgpack map (nothing appended then).
  Status Encode(std::string_view tag, EventTime time, std::string_view record, Route* route,
                std::string* line) const;

 private:
  RecordEncoderOptions options_;
};

// Key segment sanitizer used for routes (see above).
std::string SanitizeKeySegment(std::string_view s);

// RFC 3339 UTC with nanoseconds, "2018-11-28T01:02:03.000000001Z", appended to `*out`.
void AppendRfc3339Nanos(EventTime t, std::string* out);

}  // namespace steady::logs
