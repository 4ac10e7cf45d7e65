#include "router/line_scan.h"

#include <cstring>
#include <nlohmann/json.hpp>

namespace steady::router {

namespace {

// Returns the position just past the closing quote of the JSON string that starts at `pos`
// (which must be a '"'), or npos. Escapes are skipped, not checked: a quote is the end of the
// string unless an odd number of backslashes precedes it.
size_t SkipString(std::string_view s, size_t pos) {
  if (pos >= s.size() || s[pos] != '"') return std::string_view::npos;
  size_t i = pos + 1;
  for (;;) {
    const void* q = std::memchr(s.data() + i, '"', s.size() - i);
    if (q == nullptr) return std::string_view::npos;
    size_t at = static_cast<const char*>(q) - s.data();
    size_t backslashes = 0;
    while (at - backslashes > pos + 1 && s[at - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return at + 1;
    i = at + 1;
  }
}

// Skips a value that is a string or null; npos for anything else.
size_t SkipStringOrNull(std::string_view s, size_t pos) {
  if (pos < s.size() && s[pos] == '"') return SkipString(s, pos);
  if (s.substr(pos, 4) == "null") return pos + 4;
  return std::string_view::npos;
}

bool Expect(std::string_view s, size_t& pos, std::string_view lit) {
  if (pos == std::string_view::npos || s.substr(pos, lit.size()) != lit) return false;
  pos += lit.size();
  return true;
}

// The fast path; false when the line is not in the fixed shape.
bool Scan(std::string_view line, LineClass* out) {
  if (line.size() < 2 || line.back() != '}') return false;
  size_t pos = 0;
  if (!Expect(line, pos, "{\"time\":")) return false;
  pos = SkipStringOrNull(line, pos);
  if (!Expect(line, pos, ",\"log\":")) return false;
  pos = SkipStringOrNull(line, pos);
  if (!Expect(line, pos, ",\"source\":")) return false;
  pos = SkipStringOrNull(line, pos);
  if (!Expect(line, pos, ",\"container_id\":")) return false;
  pos = SkipStringOrNull(line, pos);
  if (!Expect(line, pos, ",\"task_id\":")) return false;
  if (line.substr(pos, 4) == "null") {
    pos += 4;
    if (pos >= line.size() || (line[pos] != ',' && line[pos] != '}')) return false;
    out->kind = LineClass::Kind::kNoTaskId;
    out->fast_path = true;
    return true;
  }
  if (pos >= line.size() || line[pos] != '"') return false;
  size_t end = SkipString(line, pos);
  if (end == std::string_view::npos || end >= line.size()) return false;
  if (line[end] != ',' && line[end] != '}') return false;
  std::string_view id = line.substr(pos + 1, end - pos - 2);
  if (id.find('\\') != std::string_view::npos) return false;  // unescape: full parse
  out->kind = id.empty() ? LineClass::Kind::kNoTaskId : LineClass::Kind::kTask;
  out->task_id = id;
  out->fast_path = true;
  return true;
}

}  // namespace

LineClass ClassifyLine(std::string_view line, std::string* scratch) {
  LineClass out;
  if (Scan(line, &out)) return out;
  // Tolerate a '\r' before the '\n' and surrounding blanks in the slow path only.
  nlohmann::json doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    out.kind = LineClass::Kind::kInvalid;
    return out;
  }
  auto it = doc.find("task_id");
  if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    out.kind = LineClass::Kind::kNoTaskId;
    return out;
  }
  *scratch = it->get<std::string>();
  out.kind = LineClass::Kind::kTask;
  out.task_id = *scratch;
  return out;
}

}  // namespace steady::router
