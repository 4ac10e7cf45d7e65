#include "region/cloudwatch_rules.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "region/service_error.h"

namespace steady::region::cloudwatch {

namespace {

constexpr int64_t kNanos = 1'000'000'000;

constexpr std::string_view kUnits[] = {"Seconds",
                                       "Microseconds",
                                       "Milliseconds",
                                       "Bytes",
                                       "Kilobytes",
                                       "Megabytes",
                                       "Gigabytes",
                                       "Terabytes",
                                       "Bits",
                                       "Kilobits",
                                       "Megabits",
                                       "Gigabits",
                                       "Terabits",
                                       "Percent",
                                       "Count",
                                       "Bytes/Second",
                                       "Kilobytes/Second",
                                       "Megabytes/Second",
                                       "Gigabytes/Second",
                                       "Terabytes/Second",
                                       "Bits/Second",
                                       "Kilobits/Second",
                                       "Megabits/Second",
                                       "Gigabits/Second",
                                       "Terabits/Second",
                                       "Count/Second",
                                       "None"};

constexpr std::string_view kStatistics[] = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"};

// Periods CloudWatch accepts: 1, 5, 10, 20, 30 (high resolution) or any multiple of 60.
bool ValidPeriod(int p) {
  return p == 1 || p == 5 || p == 10 || p == 20 || p == 30 || (p > 0 && p % 60 == 0);
}

}  // namespace

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
int64_t FloorSec(Time t) { return FloorDiv(ToUnixNanos(t), kNanos); }
int64_t CeilSec(Time t) { return -FloorDiv(-ToUnixNanos(t), kNanos); }

std::string FormatDouble(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

Status Missing(std::string_view op, const std::string& param) {
  return ServiceError(op, "MissingParameter", "The parameter " + param + " is required.");
}
Status InvalidValue(std::string_view op, const std::string& value, const std::string& param) {
  return ServiceError(op, "InvalidParameterValue",
                      "The value " + value + " for parameter " + param + " is invalid.");
}
Status Invalid(std::string_view op, const std::string& message) {
  return ServiceError(op, "InvalidParameterValue", message);
}
Status Combination(std::string_view op, const std::string& message) {
  return ServiceError(op, "InvalidParameterCombination", message);
}

bool ValidUnit(std::string_view u) {
  return std::find(std::begin(kUnits), std::end(kUnits), u) != std::end(kUnits);
}

Status CheckPeriod(std::string_view op, int period, const std::string& param) {
  if (ValidPeriod(period)) return Status::Ok();
  return Invalid(op, "The parameter " + param +
                         " must be 1, 5, 10, 20, 30 or a multiple of 60 (got " +
                         std::to_string(period) + ").");
}

Status CheckValue(std::string_view op, double v, const std::string& param) {
  double a = std::fabs(v);
  if (std::isfinite(v) && a <= std::ldexp(1.0, 360) && (a == 0 || a >= std::ldexp(1.0, -260)))
    return Status::Ok();
  return InvalidValue(op, FormatDouble(v), param);
}

namespace {

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). Names go
// into the journal as JSON, which must be valid UTF-8.
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    int n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c >> 5) == 6) {
      n = 2, cp = c & 0x1f;
    } else if ((c >> 4) == 14) {
      n = 3, cp = c & 0x0f;
    } else if ((c >> 3) == 30) {
      n = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (int k = 1; k < n; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    const uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

}  // namespace

Status CheckName(std::string_view op, const std::string& v, const std::string& param, size_t max) {
  if (v.empty()) return Missing(op, param);
  if (v.size() > max)
    return Invalid(op, "The parameter " + param + " must be at most " + std::to_string(max) +
                           " characters long.");
  if (!ValidUtf8(v)) return Invalid(op, "The parameter " + param + " must be valid UTF-8.");
  return Status::Ok();
}

Status CheckNamespace(std::string_view op, const std::string& ns, const std::string& param) {
  RETURN_IF_ERROR(CheckName(op, ns, param, 255));
  if (ns[0] == ':') return InvalidValue(op, ns, param);
  for (unsigned char c : ns)
    if (c < 0x20 || c > 0x7e) return InvalidValue(op, ns, param);
  return Status::Ok();
}

Result<Dims> CheckDimensions(std::string_view op, const std::vector<aws::Dimension>& dims,
                             const std::string& param) {
  if (dims.size() > 30)
    return Invalid(op, "The collection " + param + " must not have a size greater than 30.");
  Dims out;
  std::set<std::string> names;
  for (size_t i = 0; i < dims.size(); ++i) {
    std::string p = param + ".member." + std::to_string(i + 1);
    RETURN_IF_ERROR(CheckName(op, dims[i].name, p + ".Name", 255));
    RETURN_IF_ERROR(CheckName(op, dims[i].value, p + ".Value", 1024));
    if (!names.insert(dims[i].name).second)
      return Invalid(
          op, "The dimension name " + dims[i].name + " appears more than once in " + param + ".");
    out.emplace_back(dims[i].name, dims[i].value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<StatSpec> ParseStat(std::string_view s) {
  for (std::string_view n : kStatistics)
    if (s == n) return StatSpec{std::string(s)};
  if (s.size() < 2 || s[0] != 'p') return std::nullopt;
  std::string_view num = s.substr(1);
  size_t dot = num.find('.');
  if (dot != std::string_view::npos && (num.size() - dot - 1 > 2 || dot == 0)) return std::nullopt;
  if (!std::all_of(num.begin(), num.end(),
                   [](char c) { return (c >= '0' && c <= '9') || c == '.'; }))
    return std::nullopt;
  double p = 0;
  auto r = std::from_chars(num.data(), num.data() + num.size(), p);
  if (r.ec != std::errc() || r.ptr != num.data() + num.size() || p < 0 || p > 100)
    return std::nullopt;
  return StatSpec{std::string(s), p};
}

void Aggregate::Merge(const Aggregate& o) {
  if (o.count <= 0) return;
  if (count <= 0) {
    min = o.min;
    max = o.max;
  } else {
    min = std::min(min, o.min);
    max = std::max(max, o.max);
  }
  count += o.count;
  sum += o.sum;
  exact = exact && o.exact;
  if (exact) {
    for (const auto& [v, c] : o.dist) dist[v] += c;
    if (dist.size() > kMaxDistinctValues) exact = false;
  }
  if (!exact) dist.clear();
}

std::optional<double> StatValue(const Aggregate& a, const StatSpec& stat) {
  if (a.count <= 0) return std::nullopt;
  const auto& [count, sum, min, max, dist, exact] = a;
  if (stat.percentile < 0) {
    if (stat.name == "SampleCount") return count;
    if (stat.name == "Sum") return sum;
    if (stat.name == "Average") return sum / count;
    if (stat.name == "Minimum") return min;
    return max;
  }
  if (!exact || dist.empty() || min < 0) return std::nullopt;
  double target = stat.percentile / 100 * count;
  double seen = 0;
  for (const auto& [v, c] : dist) {
    seen += c;
    if (seen >= target - 1e-9 * count) return v;
  }
  return dist.rbegin()->first;
}

int64_t AlignStart(int64_t start, int period, int64_t now_sec) {
  if (period < 60) return FloorTo(start, period);
  const int64_t age = now_sec - start;
  const int64_t day = 86400;
  return FloorTo(start, age < 15 * day ? 60 : age <= 63 * day ? 300 : 3600);
}

}  // namespace steady::region::cloudwatch
