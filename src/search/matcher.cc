#include "search/matcher.h"

#include <hs/hs.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstring>

#include "search/log_line.h"

namespace steady::search {

namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// ASCII case-insensitive substring search; `needle` is lower case already.
bool ContainsFolded(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (hay.size() < needle.size()) return false;
  char first = needle[0];
  char first_upper = (first >= 'a' && first <= 'z') ? static_cast<char>(first - 32) : first;
  size_t last = hay.size() - needle.size();
  for (size_t i = 0; i <= last; ++i) {
    char c = hay[i];
    if (c != first && c != first_upper) continue;
    size_t k = 1;
    while (k < needle.size() && Lower(hay[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

bool NeedsJsonEscape(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == '"' || c == '\\') return true;
  }
  return false;
}

std::string HexEscape(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string r;
  for (unsigned char c : s) {
    r += "\\x";
    r += kHex[c >> 4];
    r += kHex[c & 15];
  }
  return r;
}

}  // namespace

struct LineMatcher::Impl {
  std::string folded;  // the literal, lower-cased for ignore_case
  std::unique_ptr<RE2> re;
  hs_database_t* hs_db = nullptr;
  hs_scratch_t* hs_proto = nullptr;  // cloned per Select call (scratch is per thread)
  ~Impl() {
    if (hs_proto) hs_free_scratch(hs_proto);
    if (hs_db) hs_free_database(hs_db);
  }
};

LineMatcher::LineMatcher(GrepPattern pattern)
    : pattern_(std::move(pattern)), impl_(std::make_unique<Impl>()) {}
LineMatcher::~LineMatcher() = default;

Result<std::unique_ptr<LineMatcher>> LineMatcher::Create(const GrepPattern& pattern) {
  std::unique_ptr<LineMatcher> m(new LineMatcher(pattern));
  Impl& impl = *m->impl_;
  if (pattern.regex) {
    RE2::Options options;
    options.set_case_sensitive(!pattern.ignore_case);
    options.set_log_errors(false);
    impl.re = std::make_unique<RE2>(pattern.pattern, options);
    if (!impl.re->ok()) {
      return InvalidArgumentError("bad regular expression '" + pattern.pattern +
                                  "': " + impl.re->error());
    }
    return m;
  }
  impl.folded = pattern.pattern;
  if (pattern.ignore_case) {
    std::transform(impl.folded.begin(), impl.folded.end(), impl.folded.begin(), Lower);
  }
  m->buffer_search_ =
      !pattern.pattern.empty() && !pattern.invert && !NeedsJsonEscape(pattern.pattern);
  if (m->buffer_search_) {
    // Hyperscan finds a literal in a buffer ~10x faster than glibc memmem here (docs/logs.md).
    hs_compile_error_t* err = nullptr;
    std::string expr = HexEscape(pattern.pattern);
    if (hs_compile(expr.c_str(), pattern.ignore_case ? HS_FLAG_CASELESS : 0, HS_MODE_BLOCK, nullptr,
                   &impl.hs_db, &err) != HS_SUCCESS ||
        hs_alloc_scratch(impl.hs_db, &impl.hs_proto) != HS_SUCCESS) {
      // Not expected for a literal: memmem for case-sensitive, else line by line.
      if (err) hs_free_compile_error(err);
      if (impl.hs_db) hs_free_database(impl.hs_db);
      impl.hs_db = nullptr;
      if (pattern.ignore_case) m->buffer_search_ = false;
    }
  }
  return m;
}

bool LineMatcher::Contains(std::string_view text) const {
  if (impl_->re) return RE2::PartialMatch(text, *impl_->re);
  if (pattern_.ignore_case) return ContainsFolded(text, impl_->folded);
  if (pattern_.pattern.empty()) return true;
  return memmem(text.data(), text.size(), pattern_.pattern.data(), pattern_.pattern.size()) !=
         nullptr;
}

bool LineMatcher::FieldMatches(std::string_view line) const {
  if (pattern_.field == MatchField::kLine) return Contains(line);
  std::string scratch;
  bool valid;
  return Contains(LogText(line, &scratch, &valid));
}

bool LineMatcher::Matches(std::string_view line) const {
  if (!pattern_.regex && pattern_.pattern.empty()) return !pattern_.invert;
  return FieldMatches(line) != pattern_.invert;
}

namespace {

int CollectHit(unsigned int, unsigned long long, unsigned long long to, unsigned int, void* ctx) {
  static_cast<std::vector<size_t>*>(ctx)->push_back(static_cast<size_t>(to));
  return 0;
}

}  // namespace

void LineMatcher::Select(std::string_view text, std::vector<std::string_view>* lines) const {
  const char* base = text.data();
  const size_t n = text.size();
  if (!buffer_search_) {
    size_t pos = 0;
    while (pos < n) {
      const void* nl = std::memchr(base + pos, '\n', n - pos);
      size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - base) : n;
      std::string_view line(base + pos, end - pos);
      if (Matches(line)) lines->push_back(line);
      pos = end + 1;
    }
    return;
  }

  // Hits in the buffer: memmem from `pos`, or (for -i) every hit end from one Hyperscan pass.
  std::vector<size_t> hs_hits;
  size_t next_hs = 0;
  if (impl_->hs_db) {
    hs_scratch_t* scratch = nullptr;
    if (hs_clone_scratch(impl_->hs_proto, &scratch) == HS_SUCCESS) {
      // Hyperscan takes an unsigned int length; objects are far below 4 GiB (GunzipMembers caps).
      hs_scan(impl_->hs_db, base, static_cast<unsigned>(n), 0, scratch, CollectHit, &hs_hits);
      hs_free_scratch(scratch);
    } else {
      // Out of memory for a scratch: every line is a candidate; the check below decides.
      for (size_t i = 0; i < n; ++i) {
        if (base[i] == '\n') hs_hits.push_back(i);
      }
      hs_hits.push_back(n);
    }
  }
  const std::string& lit = pattern_.pattern;
  size_t pos = 0;
  while (pos < n) {
    size_t hit;
    if (impl_->hs_db) {
      while (next_hs < hs_hits.size() && hs_hits[next_hs] <= pos) ++next_hs;
      if (next_hs == hs_hits.size()) break;
      hit = hs_hits[next_hs] - 1;  // a byte inside the match (the match ends before `to`)
    } else {
      const void* h = memmem(base + pos, n - pos, lit.data(), lit.size());
      if (h == nullptr) break;
      hit = static_cast<size_t>(static_cast<const char*>(h) - base);
    }
    const void* prev = memrchr(base + pos, '\n', hit - pos);
    size_t start = prev ? static_cast<size_t>(static_cast<const char*>(prev) - base) + 1 : pos;
    const void* nl = std::memchr(base + hit, '\n', n - hit);
    size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - base) : n;
    std::string_view line(base + start, end - start);
    // The whole line as text needs no check: the hit is in it. The log field must be read:
    // the hit may lie in another field.
    if (pattern_.field == MatchField::kLine || FieldMatches(line)) lines->push_back(line);
    pos = end + 1;
  }
}

}  // namespace steady::search
