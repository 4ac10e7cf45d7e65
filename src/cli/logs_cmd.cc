// `steady logs tail|grep` (search/grep.h); `steady logs sql|catalog` are added by
// AddLogsSqlCommands (logs_sql_cmd.cc).
#include <malloc.h>
#include <signal.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "cli/commands.h"
#include "cli/store.h"
#include "search/grep.h"
#include "search/log_store.h"
#include "search/progress.h"
#include "search/time_arg.h"

namespace steady::cli {

namespace {

struct LogsFlags {
  std::string store = "var/logs", endpoint, service_prefix = "service-logs",
              task_prefix = "task-logs", cache_dir;
  std::string stream, task, since, until;
  bool json = false, stats = false, no_progress = false, with_task = false;
  bool no_prefix = false;
  int threads = 0;
  // grep
  std::string pattern, field = "log";
  bool regex = false, fixed = false, ignore_case = false, invert = false, count = false;
  // tail
  size_t lines = 10;
  bool follow = false;
  std::string interval = "2s";
};

constexpr int kExitFound = 0, kExitNone = 1, kExitError = 2;

[[noreturn]] void Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "steady logs: %s: %s\n", what.c_str(), s.ToString().c_str());
  throw CLI::RuntimeError(kExitError);
}

// Bad arguments exit 2, like grep's errors (CLI11's own parse errors keep CLI11's codes).
[[noreturn]] void UsageError(const std::string& what, const std::string& message) {
  std::fprintf(stderr, "steady logs: %s: %s\n", what.c_str(), message.c_str());
  throw CLI::RuntimeError(kExitError);
}

void AddCommonFlags(CLI::App* cmd, LogsFlags& f) {
  cmd->add_option("--store", f.store, "DIR or s3://BUCKET[/PREFIX] (default var/logs)")
      ->envname("STEADY_LOGS_STORE");
  cmd->add_option("--endpoint-url", f.endpoint, "send S3 calls here (e.g. steady up's region)");
  cmd->add_option("--service-prefix", f.service_prefix, "service-log key prefix (service-logs)");
  cmd->add_option("--task-prefix", f.task_prefix, "task-log key prefix (task-logs)");
  cmd->add_option("--cache-dir", f.cache_dir, "where S3 objects are cached");
  cmd->add_option("--task", f.task,
                  "one task's lines (the router's task-logs); FAMILY may then be left out");
  cmd->add_option("--since", f.since,
                  "from (inclusive): 2h, 30m, 1d back from now; 2018-11-28, 2018-11-28T10:00 "
                  "(UTC) or RFC 3339");
  cmd->add_option("--until", f.until, "to (exclusive), same forms as --since");
  cmd->add_flag("--json", f.json, "print the stored JSON lines as they are");
  cmd->add_flag("--with-task", f.with_task, "put the task id before each plain line");
  cmd->add_flag("--no-prefix", f.no_prefix,
                "never put the container before a plain line (default: when several)");
  cmd->add_flag("--stats", f.stats, "print what was listed and read on stderr at the end");
  cmd->add_flag("--no-progress", f.no_progress, "no progress bar on a terminal");
  cmd->add_option("--threads", f.threads, "decompression threads (default: one per core)");
}

void AddPatternFlags(CLI::App* cmd, LogsFlags& f) {
  cmd->add_flag("-E,--regex", f.regex, "PATTERN is an RE2 regular expression");
  cmd->add_flag("-F,--fixed-strings", f.fixed, "PATTERN is a literal (the default)");
  cmd->add_flag("-i,--ignore-case", f.ignore_case, "fold case");
  cmd->add_flag("-v,--invert-match", f.invert, "select lines that do not match");
  cmd->add_option("--field", f.field,
                  "match the decoded log field (log, default) or the whole JSON line (line)")
      ->check(CLI::IsMember({"log", "line"}));
}

// Unblocks SIGINT/SIGTERM (main blocks them for the daemons) so Ctrl-C ends a scan at once.
void DefaultTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

// Waits `interval` for SIGINT/SIGTERM (still blocked): false when one came.
bool WaitInterval(Duration interval) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + interval;
  for (;;) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= Duration::zero()) return true;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) return false;
    if (errno != EINTR) return true;  // EAGAIN: the interval passed
  }
}

search::SearchRequest BuildRequest(const LogsFlags& f, bool grep) {
  search::SearchRequest r;
  Time now = SystemClock::Get().Now();
  if (!f.stream.empty()) {
    size_t slash = f.stream.find('/');
    r.selection.family = f.stream.substr(0, slash);
    if (slash != std::string::npos) r.selection.container = f.stream.substr(slash + 1);
  }
  if (r.selection.family.empty() && f.task.empty()) {
    UsageError("FAMILY", "give FAMILY[/CONTAINER] or --task ID");
  }
  r.selection.task_id = f.task;
  if (!f.since.empty()) {
    auto t = search::ParseTimeArg(f.since, now);
    if (!t.ok()) UsageError("--since", t.status().message());
    r.selection.range.since = *t;
  }
  if (!f.until.empty()) {
    auto t = search::ParseTimeArg(f.until, now);
    if (!t.ok()) UsageError("--until", t.status().message());
    r.selection.range.until = *t;
  }
  r.pattern.pattern = f.pattern;
  r.pattern.regex = f.regex && !f.fixed;
  r.pattern.ignore_case = f.ignore_case;
  r.pattern.invert = f.invert;
  r.pattern.field = f.field == "line" ? search::MatchField::kLine : search::MatchField::kLog;
  r.output.format = f.json ? search::OutputFormat::kJson : search::OutputFormat::kPlain;
  r.output.auto_prefix_container = !f.no_prefix && r.selection.container.empty();
  r.output.prefix_task = f.with_task;
  r.output.count_only = grep && f.count;
  r.scan.threads = f.threads;
  r.tail_lines = f.lines;
  return r;
}

bool WriteOut(std::string_view chunk) {
  if (std::fwrite(chunk.data(), 1, chunk.size(), stdout) != chunk.size()) return false;
  return true;
}

void PrintStats(const search::LogStore& store, const search::ScanCounters& scan,
                std::chrono::steady_clock::duration elapsed) {
  const search::ReadCounters& c = store.counters();
  double secs = std::chrono::duration<double>(elapsed).count();
  double inflated = static_cast<double>(scan.bytes_inflated.load());
  std::fprintf(stderr,
               "objects: listed %llu, selected %llu, read %llu, bad %llu; list requests %llu; "
               "bytes read %llu (compressed), %.0f inflated; lines selected %llu, invalid %llu; "
               "%.3f s, %.1f MB/s inflated\n",
               static_cast<unsigned long long>(c.objects_listed.load()),
               static_cast<unsigned long long>(c.objects_selected.load()),
               static_cast<unsigned long long>(c.objects_read.load()),
               static_cast<unsigned long long>(scan.objects_bad.load()),
               static_cast<unsigned long long>(c.list_requests.load()),
               static_cast<unsigned long long>(c.bytes_read.load()), inflated,
               static_cast<unsigned long long>(scan.lines_selected.load()),
               static_cast<unsigned long long>(scan.invalid_lines.load()), secs,
               secs > 0 ? inflated / 1e6 / secs : 0.0);
}

void Run(const LogsFlags& f, bool grep) {
  search::SearchRequest request = BuildRequest(f, grep);
  Duration interval{};
  if (!grep && f.follow) {
    auto d = ParseDuration(f.interval);
    if (!d.ok() || *d <= Duration::zero()) {
      UsageError("--interval", "want a positive duration like 2s");
    }
    interval = *d;
  } else {
    DefaultTerminationSignals();
  }
  // Each object's compressed bytes and formatted lines are allocations of up to a few MB (the
  // inflated text has its own recycled search::TextBuffer). glibc would hand those out as mmaps
  // and give them back at free, so every object paid its page faults again (measured on
  // bench/logs.sh's hour when the text was a std::string too: 1.7 s user + 1.5 s sys before,
  // 0.45 s + 0.15 s after). Freed memory stays in the heap: the process is short-lived and
  // peak memory is window x object size.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  static std::vector<char> stdout_buffer(1 << 20);
  std::setvbuf(stdout, stdout_buffer.data(), _IOFBF, stdout_buffer.size());

  MetricsRegistry& registry = MetricsRegistry::Default();
  auto opened = OpenStore(f.store, SystemClock::Get(), registry, f.endpoint);
  if (!opened.ok()) Fail("cannot open the store", opened.status());
  search::LogStoreOptions options;
  options.service_prefix = f.service_prefix;
  options.task_prefix = f.task_prefix;
  options.cache_dir = f.cache_dir;
  search::LogStore store(opened->store.get(), options);

  search::ScanCounters counters;
  search::ProgressBar bar(stderr, !f.no_progress && isatty(STDERR_FILENO) != 0);
  auto progress = [&](const search::ScanCounters& c, size_t total) { bar.Update(c, total); };
  auto start = std::chrono::steady_clock::now();
  int code = kExitFound;
  if (grep) {
    auto n = search::Grep(store, request, WriteOut, &counters, progress);
    bar.Finish();
    if (!n.ok()) Fail("grep", n.status());
    code = *n > 0 ? kExitFound : kExitNone;
  } else if (f.follow) {
    auto out = [](std::string_view chunk) { return WriteOut(chunk) && std::fflush(stdout) == 0; };
    Status s = search::Follow(store, request, out, &counters,
                              [interval] { return WaitInterval(interval); });
    if (!s.ok()) Fail("tail", s);
  } else {
    auto n = search::Tail(store, request, WriteOut, &counters, progress);
    bar.Finish();
    if (!n.ok()) Fail("tail", n.status());
  }
  std::fflush(stdout);
  if (f.stats) PrintStats(store, counters, std::chrono::steady_clock::now() - start);
  if (counters.objects_bad.load() > 0) {
    std::fprintf(stderr, "steady logs: %llu bad object(s) skipped in part (see warnings)\n",
                 static_cast<unsigned long long>(counters.objects_bad.load()));
  }
  if (code != kExitFound) throw CLI::RuntimeError(code);
}

}  // namespace

void AddLogsCommand(CLI::App& app, const GlobalOptions& global) {
  auto* logs = app.add_subcommand("logs", "Search the stored logs: tail, grep, sql, catalog");
  logs->require_subcommand(1);
  static LogsFlags grep_flags, tail_flags;

  auto* grep = logs->add_subcommand(
      "grep",
      "Print the lines of FAMILY[/CONTAINER] (or of --task) that match PATTERN, in time order. "
      "Exit status 0 if a line matched, 1 if none, 2 on error.");
  grep->add_option("PATTERN", grep_flags.pattern, "literal (default) or, with -E, RE2 regex")
      ->required();
  grep->add_option("FAMILY", grep_flags.stream, "FAMILY or FAMILY/CONTAINER");
  AddPatternFlags(grep, grep_flags);
  grep->add_flag("-c,--count", grep_flags.count, "print only the number of matching lines");
  AddCommonFlags(grep, grep_flags);
  grep->callback([] { Run(grep_flags, /*grep=*/true); });

  auto* tail = logs->add_subcommand(
      "tail", "Print the last lines of FAMILY[/CONTAINER] (or of --task); -f keeps printing");
  tail->add_option("FAMILY", tail_flags.stream, "FAMILY or FAMILY/CONTAINER");
  tail->add_option("-n,--lines", tail_flags.lines, "how many lines (default 10)");
  tail->add_flag("-f,--follow", tail_flags.follow, "then print new objects' lines until Ctrl-C");
  tail->add_option("--interval", tail_flags.interval, "how often --follow lists (default 2s)");
  tail->add_option("-e,--grep", tail_flags.pattern, "only lines matching this");
  AddPatternFlags(tail, tail_flags);
  AddCommonFlags(tail, tail_flags);
  tail->callback([] { Run(tail_flags, /*grep=*/false); });

  AddLogsSqlCommands(*logs, global);
}

}  // namespace steady::cli
