#include "base/time_format.h"

#include <array>
#include <charconv>
#include <cstdio>

namespace steady {
namespace {

using std::chrono::days;
using std::chrono::floor;

constexpr std::array<const char*, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool ParseInt(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  for (size_t i = pos; i < pos + len; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return r.ec == std::errc();
}

}  // namespace

CivilTime ToCivil(Time t) {
  auto day = floor<days>(t);
  std::chrono::year_month_day ymd{day};
  auto rest = t - day;
  auto h = floor<std::chrono::hours>(rest);
  rest -= h;
  auto m = floor<std::chrono::minutes>(rest);
  rest -= m;
  auto s = floor<std::chrono::seconds>(rest);
  rest -= s;
  return CivilTime{int(ymd.year()),
                   int(unsigned(ymd.month())),
                   int(unsigned(ymd.day())),
                   int(h.count()),
                   int(m.count()),
                   int(s.count()),
                   rest.count()};
}

Time FromCivil(const CivilTime& c) {
  std::chrono::sys_days day = std::chrono::year{c.year} / c.month / c.day;
  return Time(day) + std::chrono::hours(c.hour) + std::chrono::minutes(c.minute) +
         std::chrono::seconds(c.second) + std::chrono::nanoseconds(c.nanos);
}

std::string FormatRfc3339Nanos(Time t) {
  CivilTime c = ToCivil(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", c.year, c.month, c.day,
                c.hour, c.minute, c.second, static_cast<long long>(c.nanos));
  return buf;
}

std::string FormatIso8601(Time t, bool millis) {
  CivilTime c = ToCivil(t);
  char buf[40];
  if (millis) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", c.year, c.month, c.day,
                  c.hour, c.minute, c.second, static_cast<long long>(c.nanos / 1'000'000));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
                  c.minute, c.second);
  }
  return buf;
}

std::string FormatAmzDate(Time t) {
  CivilTime c = ToCivil(t);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

std::string FormatAmzDay(Time t) { return FormatAmzDate(t).substr(0, 8); }

std::string FormatHttpDate(Time t) {
  CivilTime c = ToCivil(t);
  std::chrono::weekday wd{floor<days>(t)};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kWeekdays[wd.c_encoding()],
                c.day, kMonths[c.month - 1], c.year, c.hour, c.minute, c.second);
  return buf;
}

std::string FormatPattern(std::string_view pattern, Time t) {
  CivilTime c = ToCivil(t);
  std::string out;
  out.reserve(pattern.size() + 16);
  char buf[8];
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%' || i + 1 == pattern.size()) {
      out += pattern[i];
      continue;
    }
    char f = pattern[++i];
    switch (f) {
      case 'Y': std::snprintf(buf, sizeof buf, "%04d", c.year); break;
      case 'm': std::snprintf(buf, sizeof buf, "%02d", c.month); break;
      case 'd': std::snprintf(buf, sizeof buf, "%02d", c.day); break;
      case 'H': std::snprintf(buf, sizeof buf, "%02d", c.hour); break;
      case 'M': std::snprintf(buf, sizeof buf, "%02d", c.minute); break;
      case 'S': std::snprintf(buf, sizeof buf, "%02d", c.second); break;
      case '%':
        buf[0] = '%';
        buf[1] = 0;
        break;
      default:
        buf[0] = '%';
        buf[1] = f;
        buf[2] = 0;
        break;
    }
    out += buf;
  }
  return out;
}

Result<Time> ParseRfc3339(std::string_view s) {
  auto bad = [&] { return InvalidArgumentError("not an RFC 3339 time: '" + std::string(s) + "'"); };
  CivilTime c{};
  if (s.size() < 20 || !ParseInt(s, 0, 4, c.year) || s[4] != '-' || !ParseInt(s, 5, 2, c.month) ||
      s[7] != '-' || !ParseInt(s, 8, 2, c.day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !ParseInt(s, 11, 2, c.hour) || s[13] != ':' || !ParseInt(s, 14, 2, c.minute) ||
      s[16] != ':' || !ParseInt(s, 17, 2, c.second))
    return bad();
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 || c.hour > 23 || c.minute > 59 ||
      c.second > 60)
    return bad();
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t frac = 0;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 9) frac = frac * 10 + (s[i] - '0'), ++digits;
      ++i;
    }
    if (digits == 0) return bad();
    while (digits < 9) frac *= 10, ++digits;
    c.nanos = frac;
  }
  if (i >= s.size()) return bad();
  int offset_minutes = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    int oh, om;
    if (!ParseInt(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !ParseInt(s, i + 4, 2, om))
      return bad();
    offset_minutes = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return bad();
  }
  if (i != s.size()) return bad();
  std::chrono::year_month_day ymd{std::chrono::year{c.year}, std::chrono::month(c.month),
                                  std::chrono::day(c.day)};
  if (!ymd.ok()) return bad();
  return FromCivil(c) - std::chrono::minutes(offset_minutes);
}

Result<Time> ParseAmzDate(std::string_view s) {
  CivilTime c{};
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !ParseInt(s, 0, 4, c.year) ||
      !ParseInt(s, 4, 2, c.month) || !ParseInt(s, 6, 2, c.day) || !ParseInt(s, 9, 2, c.hour) ||
      !ParseInt(s, 11, 2, c.minute) || !ParseInt(s, 13, 2, c.second) || c.month < 1 ||
      c.month > 12 || c.day < 1 || c.day > 31 || c.hour > 23 || c.minute > 59 || c.second > 60)
    return InvalidArgumentError("not an X-Amz-Date: '" + std::string(s) + "'");
  return FromCivil(c);
}

Result<Time> ParseHttpDate(std::string_view s) {
  // "Mon, 23 Nov 2026 19:12:40 GMT"
  auto bad = [&] { return InvalidArgumentError("not an HTTP date: '" + std::string(s) + "'"); };
  if (s.size() != 29 || s.substr(25) != " GMT") return bad();
  CivilTime c{};
  if (!ParseInt(s, 5, 2, c.day) || !ParseInt(s, 12, 4, c.year) || !ParseInt(s, 17, 2, c.hour) ||
      !ParseInt(s, 20, 2, c.minute) || !ParseInt(s, 23, 2, c.second))
    return bad();
  std::string_view mon = s.substr(8, 3);
  c.month = 0;
  for (int m = 0; m < 12; ++m)
    if (mon == kMonths[m]) c.month = m + 1;
  if (c.month == 0) return bad();
  return FromCivil(c);
}

}  // namespace steady
