#include "metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace steady::metrics {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (Lower(s[i]) != Lower(prefix[i])) return false;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// HELP text escaping (backslash and newline) is the same in both formats.
void AppendHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

}  // namespace

Format FormatFromAccept(std::string_view accept) {
  // "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1"
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view item = Trim(accept.substr(0, comma));
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    if (!StartsWithIgnoreCase(item, "application/openmetrics-text")) continue;
    double q = 1;
    size_t qpos = item.find(";q=");
    if (qpos == std::string_view::npos) qpos = item.find("; q=");
    if (qpos != std::string_view::npos) {
      std::string_view qs = item.substr(item.find('=', qpos) + 1);
      std::from_chars(qs.data(), qs.data() + qs.size(), q);
    }
    if (q > 0) return Format::kOpenMetrics;
  }
  return Format::kPrometheusText;
}

const char* ContentType(Format format) {
  return format == Format::kOpenMetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

void AppendValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  std::to_chars_result r;
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {  // 2^53: exact as an integer
    r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v);
  }
  out.append(buf, r.ptr);
}

void ExpositionWriter::Family(std::string_view name, MetricType type, std::string_view help) {
  const bool om = format_ == Format::kOpenMetrics;
  const bool counter = type == MetricType::kCounter;
  auto declared = [&] {
    out_ += name;
    if (counter && !om) out_ += "_total";
  };
  out_ += "# HELP ";
  declared();
  out_ += ' ';
  AppendHelp(out_, help);
  out_ += "\n# TYPE ";
  declared();
  out_ += counter ? " counter\n" : " gauge\n";
}

void ExpositionWriter::Sample(std::string_view name, std::string_view suffix,
                              std::string_view labels, double value, std::string_view extra) {
  out_ += name;
  out_ += suffix;
  if (!labels.empty() || !extra.empty()) {
    out_ += '{';
    out_ += labels;
    if (!labels.empty() && !extra.empty()) out_ += ',';
    out_ += extra;
    out_ += '}';
  }
  out_ += ' ';
  AppendValue(out_, value);
  out_ += '\n';
}

void ExpositionWriter::Finish() {
  if (format_ == Format::kOpenMetrics) out_ += "# EOF\n";
}

}  // namespace steady::metrics
