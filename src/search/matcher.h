// Which lines of an inflated log object a `steady logs grep` pattern selects.
//
// A pattern is a literal substring (default) or an RE2 regular expression, matched against the
// line's "log" field (decoded from JSON: what the program wrote) or against the whole stored line
// (the JSON text, e.g. to match a task id or a field). -i folds ASCII case for literals and
// Unicode case for regexes; invert keeps the lines that do not match.
//
// Speed (figures in docs/logs.md, measured by src/search/grep_bench.cc): a literal that holds no
// byte JSON escapes ('"', '\\', controls) is searched in the whole inflated buffer at once
// (Hyperscan, with and without -i: ~10x glibc memmem), and only the lines holding a hit are parsed
// and checked against their decoded "log" field. That relies on steady's own line encoding
// (logs/log_record.h escapes only '"', '\\' and control bytes), which writes such a literal
// verbatim. Everything else (regex, invert, literals with escaped bytes) walks the lines one by
// one.
//
// Thread safety: a LineMatcher is immutable after Create; Select may run on many threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace steady::search {

enum class MatchField {
  kLog,   // the decoded "log" field (a line that is not such JSON: the whole line)
  kLine,  // the stored line as is (JSON text)
};

struct GrepPattern {
  std::string pattern;  // "" selects every line
  bool regex = false;   // RE2 syntax
  bool ignore_case = false;
  bool invert = false;
  MatchField field = MatchField::kLog;
};

class LineMatcher {
 public:
  // kInvalidArgument for a regex RE2 rejects (the message says why).
  static Result<std::unique_ptr<LineMatcher>> Create(const GrepPattern& pattern);
  ~LineMatcher();

  // Appends the selected lines of `text` (lines end in '\n'; a last line without one counts),
  // without their '\n', in order.
  void Select(std::string_view text, std::vector<std::string_view>* lines) const;

  // Whether one line (no '\n') is selected: the line-by-line path, which the tests compare
  // Select against.
  bool Matches(std::string_view line) const;

  // True when Select searches the whole buffer (see above).
  bool buffer_search() const { return buffer_search_; }

 private:
  struct Impl;
  explicit LineMatcher(GrepPattern pattern);
  bool FieldMatches(std::string_view text) const;
  bool Contains(std::string_view text) const;

  GrepPattern pattern_;
  bool buffer_search_ = false;
  std::unique_ptr<Impl> impl_;
};

}  // namespace steady::search
