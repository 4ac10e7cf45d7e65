#include "search/log_line.h"

#include <cstdint>
#include <cstring>

namespace steady::search {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
  return i;
}

// `i` is just past an opening quote; returns the index of the closing quote, or npos.
size_t StringEnd(std::string_view s, size_t i) {
  while (i < s.size()) {
    const void* q = std::memchr(s.data() + i, '"', s.size() - i);
    if (q == nullptr) return std::string_view::npos;
    size_t at = static_cast<size_t>(static_cast<const char*>(q) - s.data());
    // The quote is escaped when an odd number of backslashes precede it.
    size_t k = at;
    while (k > i && s[k - 1] == '\\') --k;
    if (((at - k) & 1) == 0) return at;
    i = at + 1;
  }
  return std::string_view::npos;
}

// `i` is at the first byte of a value; returns the index just past it, or npos.
size_t ValueEnd(std::string_view s, size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  char c = s[i];
  if (c == '"') {
    size_t e = StringEnd(s, i + 1);
    return e == std::string_view::npos ? e : e + 1;
  }
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < s.size()) {
      char d = s[i];
      if (d == '"') {
        size_t e = StringEnd(s, i + 1);
        if (e == std::string_view::npos) return e;
        i = e + 1;
        continue;
      }
      if (d == '{' || d == '[') ++depth;
      if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return std::string_view::npos;
  }
  size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !IsSpace(s[i])) ++i;
  return i == start ? std::string_view::npos : i;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

bool Hex4(std::string_view s, size_t i, uint32_t* v) {
  if (i + 4 > s.size()) return false;
  uint32_t r = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    r <<= 4;
    if (c >= '0' && c <= '9') {
      r |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      r |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      r |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  *v = r;
  return true;
}

}  // namespace

JsonField FindJsonField(std::string_view line, std::string_view name) {
  JsonField invalid{JsonField::Kind::kInvalid, {}};
  size_t i = SkipSpace(line, 0);
  if (i >= line.size() || line[i] != '{') return invalid;
  i = SkipSpace(line, i + 1);
  if (i < line.size() && line[i] == '}') return {};
  while (i < line.size()) {
    if (line[i] != '"') return invalid;
    size_t key_end = StringEnd(line, i + 1);
    if (key_end == std::string_view::npos) return invalid;
    std::string_view key = line.substr(i + 1, key_end - i - 1);
    i = SkipSpace(line, key_end + 1);
    if (i >= line.size() || line[i] != ':') return invalid;
    i = SkipSpace(line, i + 1);
    size_t value_end = ValueEnd(line, i);
    if (value_end == std::string_view::npos) return invalid;
    if (key == name) {
      if (line[i] == '"') {
        return {JsonField::Kind::kString, line.substr(i + 1, value_end - i - 2)};
      }
      return {JsonField::Kind::kOther, line.substr(i, value_end - i)};
    }
    i = SkipSpace(line, value_end);
    if (i >= line.size()) return invalid;
    if (line[i] == '}') return {};
    if (line[i] != ',') return invalid;
    i = SkipSpace(line, i + 1);
  }
  return invalid;
}

bool DecodeJsonString(std::string_view raw, std::string* out) {
  size_t i = 0;
  while (i < raw.size()) {
    const void* bs = std::memchr(raw.data() + i, '\\', raw.size() - i);
    size_t at = bs ? static_cast<size_t>(static_cast<const char*>(bs) - raw.data()) : raw.size();
    out->append(raw.data() + i, at - i);
    if (at >= raw.size()) return true;
    if (at + 1 >= raw.size()) return false;
    char c = raw[at + 1];
    i = at + 2;
    switch (c) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp;
        if (!Hex4(raw, i, &cp)) return false;
        i += 4;
        if (cp >= 0xd800 && cp < 0xdc00) {
          uint32_t lo;
          if (i + 6 <= raw.size() && raw[i] == '\\' && raw[i + 1] == 'u' && Hex4(raw, i + 2, &lo) &&
              lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
          } else {
            cp = 0xfffd;
          }
        } else if (cp >= 0xdc00 && cp < 0xe000) {
          cp = 0xfffd;
        }
        AppendUtf8(cp, out);
        break;
      }
      default: return false;
    }
  }
  return true;
}

std::string_view LogText(std::string_view line, std::string* scratch, bool* valid) {
  JsonField f = FindJsonField(line, "log");
  if (f.kind == JsonField::Kind::kString) {
    if (std::memchr(f.raw.data(), '\\', f.raw.size()) == nullptr) {
      *valid = true;
      return f.raw;
    }
    scratch->clear();
    *valid = DecodeJsonString(f.raw, scratch);
    if (*valid) return *scratch;
    return line;
  }
  if (f.kind == JsonField::Kind::kOther && f.raw == "null") {
    *valid = true;
    return {};
  }
  *valid = false;
  return line;
}

std::string_view LineTime(std::string_view line) {
  static constexpr std::string_view kPrefix = "{\"time\":\"";
  if (line.starts_with(kPrefix)) {
    size_t end = line.find('"', kPrefix.size());
    if (end != std::string_view::npos) {
      return line.substr(kPrefix.size(), end - kPrefix.size());
    }
  }
  JsonField f = FindJsonField(line, "time");
  return f.kind == JsonField::Kind::kString ? f.raw : std::string_view{};
}

}  // namespace steady::search
