// Structured logging: a message plus key=value fields, one line per event, as logfmt (the
// default, for people) or JSON lines (for machines). Lines go to stderr through spdlog.
//
//   LogInfo("service-out started", {{"instance", id}, {"cluster", cluster}, {"tasks", n}});
//
// Thread safety: all functions may be called from any thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace steady {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v), quoted(true) {}
  LogField(std::string_view k, const char* v) : key(k), value(v), quoted(true) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v), quoted(true) {}
  LogField(std::string_view k, int64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, uint64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, double v);
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}

  std::string_view key;
  std::string value;
  bool quoted = false;  // a string (JSON-quoted), not a number or bool
};

using LogFields = std::initializer_list<LogField>;

void SetLogLevel(LogLevel level);
void SetLogFormat(LogFormat format);
// Parses "debug", "info", "warn", "error"; false if unknown.
bool ParseLogLevel(std::string_view text, LogLevel& out);
bool LogEnabled(LogLevel level);

void Log(LogLevel level, std::string_view message, LogFields fields = {});
inline void LogDebug(std::string_view m, LogFields f = {}) { Log(LogLevel::kDebug, m, f); }
inline void LogInfo(std::string_view m, LogFields f = {}) { Log(LogLevel::kInfo, m, f); }
inline void LogWarn(std::string_view m, LogFields f = {}) { Log(LogLevel::kWarn, m, f); }
inline void LogError(std::string_view m, LogFields f = {}) { Log(LogLevel::kError, m, f); }

// Formats one line without the timestamp (exposed for tests).
std::string FormatLogLine(LogFormat format, LogLevel level, std::string_view message,
                          LogFields fields);

}  // namespace steady
