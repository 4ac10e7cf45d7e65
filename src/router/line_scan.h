// Which task a stored log line belongs to.
//
// The line format (logs/log_record.h) fixes the order of the first fields:
//   {"time":"…","log":"…","source":…,"container_id":…,"task_id":…,…}
// so the task id is found by a small scanner that steps over the first four values instead of
// parsing the whole line: a full JSON parse costs several times what the rest of the router does
// per byte, and `log`, the one long value, is skipped with memchr over its quotes. The scanner is
// strict: any deviation from that shape (other field order, whitespace, escapes inside the
// task id, a line that does not end in '}') falls back to a full parse (nlohmann), which finds
// a top-level "task_id" anywhere, and only a line that does not parse as a JSON object is
// invalid. The fast path does not validate the rest of the line beyond its closing '}'; it
// is meant for the aggregator's own output.
//
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace steady::router {

// Where lines without a task id (null, missing, empty, not a string) and lines that are not
// JSON objects go: `<task-prefix>/<family>/<container>/_none/…` and `…/_invalid/…`.
inline constexpr std::string_view kNoTaskId = "_none";
inline constexpr std::string_view kInvalidLine = "_invalid";

struct LineClass {
  enum class Kind { kTask, kNoTaskId, kInvalid };
  Kind kind = Kind::kInvalid;
  // kTask: the task id (points into the line or into the scratch string).
  std::string_view task_id;
  bool fast_path = false;  // found by the scanner without the full parse
};

// `line` without its '\n'. `scratch` holds the task id when the full parse had to unescape it.
LineClass ClassifyLine(std::string_view line, std::string* scratch);

}  // namespace steady::router
