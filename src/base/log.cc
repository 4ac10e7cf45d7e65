#include "base/log.h"

#include "base/json_string.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>

namespace steady {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<LogFormat> g_format{LogFormat::kText};

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

// logfmt: bare if the value has no space, quote, '=' or control character.
void AppendLogfmtValue(std::string& out, std::string_view v) {
  bool bare = !v.empty();
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\') bare = false;
  if (bare) {
    out += v;
  } else {
    AppendJsonString(out, v);
  }
}

spdlog::logger& Sink() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("steady",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *logger;
}

}  // namespace

LogField::LogField(std::string_view k, double v) : key(k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  value = buf;
}

void SetLogLevel(LogLevel level) { g_level = level; }
void SetLogFormat(LogFormat format) { g_format = format; }
bool LogEnabled(LogLevel level) { return level >= g_level.load(); }

bool ParseLogLevel(std::string_view text, LogLevel& out) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == LevelName(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

std::string FormatLogLine(LogFormat format, LogLevel level, std::string_view message,
                          LogFields fields) {
  std::string out;
  out.reserve(64 + message.size());
  if (format == LogFormat::kJson) {
    out += "{\"level\":\"";
    out += LevelName(level);
    out += "\",\"msg\":";
    AppendJsonString(out, message);
    for (const LogField& f : fields) {
      out += ',';
      AppendJsonString(out, f.key);
      out += ':';
      if (f.quoted) {
        AppendJsonString(out, f.value);
      } else {
        out += f.value;
      }
    }
    out += '}';
  } else {
    out += "level=";
    out += LevelName(level);
    out += " msg=";
    AppendLogfmtValue(out, message);
    for (const LogField& f : fields) {
      out += ' ';
      out += f.key;
      out += '=';
      AppendLogfmtValue(out, f.value);
    }
  }
  return out;
}

void Log(LogLevel level, std::string_view message, LogFields fields) {
  if (!LogEnabled(level)) return;
  // Logging is an edge: it stamps real wall time, not the injected clock, because a log line
  // is read by people next to other processes' logs.
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
  std::time_t tt = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                int(secs.time_since_epoch().count() % 1000));
  LogFormat format = g_format.load();
  std::string line = FormatLogLine(format, level, message, fields);
  if (format == LogFormat::kJson) {
    line.insert(1, std::string("\"ts\":\"") + ts + "\",");
  } else {
    line.insert(0, std::string("ts=") + ts + " ");
  }
  Sink().info(line);
}

}  // namespace steady
