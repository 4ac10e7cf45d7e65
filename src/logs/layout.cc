#include "logs/layout.h"

#include <cctype>
#include <charconv>
#include <cstdio>

#include "base/time_format.h"
#include "logs/log_record.h"

namespace steady::logs {
namespace {

constexpr std::string_view kSuffix = ".gz";
constexpr int64_t kMinutesPerDay = 24 * 60;

Time MinuteTime(int64_t minute) { return Time(std::chrono::minutes(minute)); }

int64_t MinuteOf(Time t) {
  return std::chrono::floor<std::chrono::minutes>(t.time_since_epoch()).count();
}

std::string_view TrimPrefix(std::string_view prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  return prefix;
}

void AppendPrefix(std::string_view prefix, std::string* out) {
  prefix = TrimPrefix(prefix);
  if (prefix.empty()) return;
  out->append(prefix);
  out->push_back('/');
}

std::string DateFolders(int64_t minute) {
  CivilTime c = ToCivil(MinuteTime(minute));
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d/%02d/%02d", c.year, c.month, c.day);
  return buf;
}

// Splits `key` into its last `n` '/'-separated segments (in order) and what precedes them
// (the prefix, without its trailing '/'). False when there are fewer than `n` segments or one
// of them is empty.
bool SplitTail(std::string_view key, size_t n, std::string_view* prefix,
               std::vector<std::string_view>* segments) {
  segments->assign(n, {});
  size_t end = key.size();
  for (size_t i = n; i-- > 0;) {
    size_t slash = end == 0 ? std::string_view::npos : key.rfind('/', end - 1);
    if (slash == std::string_view::npos && i != 0) return false;  // too few segments
    size_t begin = slash == std::string_view::npos ? 0 : slash + 1;
    (*segments)[i] = key.substr(begin, end - begin);
    if ((*segments)[i].empty()) return false;
    end = slash == std::string_view::npos ? 0 : slash;
  }
  *prefix = key.substr(0, end);
  return true;
}

Result<ObjectBaseName> ParseFileName(std::string_view file, std::string_view key) {
  if (file.size() <= kSuffix.size() || file.substr(file.size() - kSuffix.size()) != kSuffix) {
    return InvalidArgumentError("log object key \"" + std::string(key) + "\" does not end in .gz");
  }
  auto name = ParseBaseName(file.substr(0, file.size() - kSuffix.size()));
  if (!name) {
    return InvalidArgumentError("log object key \"" + std::string(key) +
                                "\": file name is not <YYYYmmddHHMM>_<index>_<uuid>.gz");
  }
  return *std::move(name);
}

}  // namespace

std::string FormatBaseName(const ObjectBaseName& name) {
  CivilTime c = ToCivil(MinuteTime(name.minute));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d_", c.year, c.month, c.day, c.hour, c.minute);
  return buf + std::to_string(name.index) + "_" + name.uuid;
}

std::optional<ObjectBaseName> ParseBaseName(std::string_view base) {
  if (base.size() < 12 + 1 + 1 + 1 + 1 || base[12] != '_') return std::nullopt;
  int v[5];
  const int widths[5] = {4, 2, 2, 2, 2};
  size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = std::from_chars(base.data() + pos, base.data() + pos + widths[i], v[i]);
    if (r.ec != std::errc() || r.ptr != base.data() + pos + widths[i]) return std::nullopt;
    pos += widths[i];
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59) {
    return std::nullopt;
  }
  ObjectBaseName out;
  std::string_view rest = base.substr(13);
  size_t us = rest.find('_');
  if (us == 0 || us == std::string_view::npos || us + 1 >= rest.size()) return std::nullopt;
  auto r = std::from_chars(rest.data(), rest.data() + us, out.index);
  if (r.ec != std::errc() || r.ptr != rest.data() + us) return std::nullopt;
  out.uuid = std::string(rest.substr(us + 1));
  if (out.uuid.find('/') != std::string::npos) return std::nullopt;
  out.minute = MinuteOf(FromCivil(CivilTime{v[0], v[1], v[2], v[3], v[4], 0, 0}));
  return out;
}

std::string FormatServiceLogKey(const ServiceLogKey& key) {
  std::string out;
  AppendPrefix(key.prefix, &out);
  out += key.family;
  out += '/';
  out += key.container;
  out += '/';
  out += DateFolders(key.name.minute);
  out += '/';
  out += FormatBaseName(key.name);
  out += kSuffix;
  return out;
}

std::string FormatTaskLogKey(const TaskLogKey& key) {
  std::string out;
  AppendPrefix(key.prefix, &out);
  out += key.family;
  out += '/';
  out += key.container;
  out += '/';
  out += key.task_id;
  out += '/';
  out += FormatBaseName(key.name);
  out += kSuffix;
  return out;
}

Result<ServiceLogKey> ParseServiceLogKey(std::string_view key) {
  std::string_view prefix;
  std::vector<std::string_view> seg;
  if (!SplitTail(key, 6, &prefix, &seg)) {
    return InvalidArgumentError("log object key \"" + std::string(key) +
                                "\" is not <prefix>/<family>/<container>/YYYY/MM/DD/<name>.gz");
  }
  ASSIGN_OR_RETURN(ObjectBaseName name, ParseFileName(seg[5], key));
  std::string folders = std::string(seg[2]) + "/" + std::string(seg[3]) + "/" + std::string(seg[4]);
  if (folders != DateFolders(name.minute)) {
    return InvalidArgumentError("log object key \"" + std::string(key) + "\": date folders " +
                                folders + " do not match the name's minute");
  }
  return ServiceLogKey{std::string(prefix), std::string(seg[0]), std::string(seg[1]),
                       std::move(name)};
}

Result<TaskLogKey> ParseTaskLogKey(std::string_view key) {
  std::string_view prefix;
  std::vector<std::string_view> seg;
  if (!SplitTail(key, 4, &prefix, &seg)) {
    return InvalidArgumentError("log object key \"" + std::string(key) +
                                "\" is not <prefix>/<family>/<container>/<task-id>/<name>.gz");
  }
  ASSIGN_OR_RETURN(ObjectBaseName name, ParseFileName(seg[3], key));
  return TaskLogKey{std::string(prefix), std::string(seg[0]), std::string(seg[1]),
                    std::string(seg[2]), std::move(name)};
}

std::string TaskLogKeyFor(std::string_view task_prefix, const ServiceLogKey& source,
                          std::string_view task_id) {
  return FormatTaskLogKey(TaskLogKey{std::string(TrimPrefix(task_prefix)), source.family,
                                     source.container, SanitizeKeySegment(task_id), source.name});
}

std::string TableName(std::string_view family, std::string_view container) {
  std::string out;
  out.reserve(family.size() + container.size() + 1);
  auto add = [&out](std::string_view s) {
    for (char ch : s) {
      unsigned char c = static_cast<unsigned char>(ch);
      out.push_back(std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_');
    }
  };
  add(family);
  out.push_back('_');
  add(container);
  return out;
}

bool TimeRange::CoversMinute(int64_t minute) const {
  // Events of `minute` lie in [minute, minute + 1).
  if (since && MinuteTime(minute + 1) <= *since) return false;
  if (until && MinuteTime(minute) >= *until) return false;
  return true;
}

std::vector<std::string> ServiceLogListPrefixes(std::string_view service_prefix,
                                                std::string_view family, std::string_view container,
                                                const TimeRange& range, int max_days) {
  std::string base;
  AppendPrefix(service_prefix, &base);
  base += family;
  base += '/';
  base += container;
  base += '/';
  if (!range.since || !range.until || *range.until <= *range.since) return {base};
  int64_t first_day = MinuteOf(*range.since) / kMinutesPerDay;
  // The last minute that can hold events before `until`.
  int64_t last_minute = MinuteOf(*range.until - std::chrono::nanoseconds(1));
  int64_t last_day = last_minute / kMinutesPerDay;
  if (last_day - first_day + 1 > max_days) return {base};
  std::vector<std::string> out;
  for (int64_t day = first_day; day <= last_day; ++day) {
    out.push_back(base + DateFolders(day * kMinutesPerDay) + "/");
  }
  return out;
}

}  // namespace steady::logs
