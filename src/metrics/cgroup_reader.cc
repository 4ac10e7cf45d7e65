#include "metrics/cgroup_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace steady::metrics {
namespace {

constexpr size_t kBufferBytes = 64 * 1024;
// v1 reports "no limit" as the largest page-aligned int64 (9223372036854771712).
constexpr uint64_t kUnlimited = uint64_t{1} << 62;

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Calls fn(line) for each line of `content`.
template <typename Fn>
void ForEachLine(std::string_view content, Fn&& fn) {
  while (!content.empty()) {
    size_t nl = content.find('\n');
    std::string_view line = content.substr(0, nl);
    fn(line);
    if (nl == std::string_view::npos) break;
    content.remove_prefix(nl + 1);
  }
}

// Next whitespace-separated token of `s`, consumed.
std::string_view NextToken(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  size_t j = i;
  while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
  std::string_view tok = s.substr(i, j - i);
  s.remove_prefix(j);
  return tok;
}

std::string JoinDir(const std::string& root, std::string_view sub, std::string_view path) {
  std::string out = root;
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (!sub.empty()) {
    out += '/';
    out += sub;
  }
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty()) {
    out += '/';
    out += path;
  }
  while (!out.empty() && out.back() == '/') out.pop_back();
  out += '/';
  return out;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

const char* CollectorName(Collector c) {
  switch (c) {
    case kCpu: return "cpu";
    case kMemory: return "memory";
    case kIo: return "io";
    case kPids: return "pids";
    case kNetwork: return "network";
    case kCollectorCount: break;
  }
  return "unknown";
}

bool ParseUint(std::string_view s, uint64_t& out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr != s.data();
}

bool FindKeyValue(std::string_view content, std::string_view key, uint64_t& out) {
  size_t pos = 0;
  while (pos < content.size()) {
    size_t at = content.find(key, pos);
    if (at == std::string_view::npos) return false;
    size_t end = at + key.size();
    bool line_start = at == 0 || content[at - 1] == '\n';
    if (line_start && end < content.size() && content[end] == ' ') {
      size_t nl = content.find('\n', end);
      return ParseUint(content.substr(end, nl == std::string_view::npos ? nl : nl - end), out);
    }
    pos = end;
  }
  return false;
}

bool ParseLimit(std::string_view content, uint64_t& out) {
  content = TrimSpace(content);
  if (content == "max") {
    out = 0;
    return true;
  }
  uint64_t v;
  if (!ParseUint(content, v)) return false;
  out = v >= kUnlimited ? 0 : v;
  return true;
}

Status ParseProcCgroup(std::string_view content, CgroupPaths& out) {
  bool any = false;
  ForEachLine(content, [&](std::string_view line) {
    // "hierarchy-id:controller,list:/path"; v2 is "0::/path".
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) return;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return;
    std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string path(TrimSpace(line.substr(c2 + 1)));
    if (path.empty() || path.front() != '/') return;
    any = true;
    if (controllers.empty()) {
      out.unified = path;
      return;
    }
    while (!controllers.empty()) {
      size_t comma = controllers.find(',');
      std::string_view ctl = controllers.substr(0, comma);
      if (ctl == "cpu") out.cpu = path;
      if (ctl == "cpuacct") out.cpuacct = path;
      if (ctl == "memory") out.memory = path;
      if (ctl == "blkio") out.blkio = path;
      if (ctl == "pids") out.pids = path;
      if (comma == std::string_view::npos) break;
      controllers.remove_prefix(comma + 1);
    }
  });
  if (!any) return InvalidArgumentError("no cgroup line in /proc/<pid>/cgroup");
  return Status::Ok();
}

void ParseBlkioV1(std::string_view content, uint64_t& read, uint64_t& write) {
  read = write = 0;
  ForEachLine(content, [&](std::string_view line) {
    // "8:0 Read 4096"; the last line is "Total N".
    std::string_view rest = line;
    std::string_view dev = NextToken(rest);
    if (dev.find(':') == std::string_view::npos) return;
    std::string_view op = NextToken(rest);
    uint64_t v;
    if (!ParseUint(rest, v)) return;
    if (op == "Read") read += v;
    if (op == "Write") write += v;
  });
}

void ParseIoStatV2(std::string_view content, uint64_t& rbytes, uint64_t& wbytes, uint64_t& rios,
                   uint64_t& wios) {
  rbytes = wbytes = rios = wios = 0;
  ForEachLine(content, [&](std::string_view line) {
    // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0"
    std::string_view rest = line;
    NextToken(rest);
    for (std::string_view kv = NextToken(rest); !kv.empty(); kv = NextToken(rest)) {
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      uint64_t v;
      if (!ParseUint(kv.substr(eq + 1), v)) continue;
      std::string_view k = kv.substr(0, eq);
      if (k == "rbytes") rbytes += v;
      if (k == "wbytes") wbytes += v;
      if (k == "rios") rios += v;
      if (k == "wios") wios += v;
    }
  });
}

bool ParseNetDev(std::string_view content, std::vector<InterfaceStats>& out) {
  if (content.find("Receive") == std::string_view::npos) return false;
  ForEachLine(content, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    std::string_view name = TrimSpace(line.substr(0, colon));
    if (name.empty() || name.find('|') != std::string_view::npos || name == "lo") return;
    std::string_view rest = line.substr(colon + 1);
    uint64_t f[16];
    for (uint64_t& x : f)
      if (!ParseUint(NextToken(rest), x)) return;
    InterfaceStats& s = out.emplace_back();
    s.name.assign(name);
    s.v[kRxBytes] = static_cast<double>(f[0]);
    s.v[kRxPackets] = static_cast<double>(f[1]);
    s.v[kRxErrors] = static_cast<double>(f[2]);
    s.v[kRxDropped] = static_cast<double>(f[3]);
    s.v[kTxBytes] = static_cast<double>(f[8]);
    s.v[kTxPackets] = static_cast<double>(f[9]);
    s.v[kTxErrors] = static_cast<double>(f[10]);
    s.v[kTxDropped] = static_cast<double>(f[11]);
  });
  return true;
}

CgroupReader::CgroupReader(CgroupReaderOptions options)
    : options_(std::move(options)), buf_(kBufferBytes) {
  struct stat st;
  version_ =
      ::stat(JoinDir(options_.cgroup_root, "", "").append("cgroup.controllers").c_str(), &st) == 0
          ? CgroupVersion::kV2
          : CgroupVersion::kV1;
  long tck = ::sysconf(_SC_CLK_TCK);
  ticks_per_second_ = tck > 0 ? static_cast<double>(tck) : 100.0;
}

Result<CgroupDirs> CgroupReader::Resolve(const Container& c) {
  CgroupPaths paths = c.cgroup;
  CgroupDirs d;
  d.version = version_;
  d.pid = c.pid;
  if (c.pid > 0) {
    d.proc = JoinDir(options_.proc_root, std::to_string(c.pid), "");
    // Without the namespace link (an old kernel, or a recorded tree) the pid stands for it:
    // one process is in one namespace.
    struct stat st;
    d.netns = ::stat((d.proc + "ns/net").c_str(), &st) == 0
                  ? st.st_ino
                  : (uint64_t{1} << 63) | static_cast<uint64_t>(c.pid);
  }
  if (paths.empty() && c.pid > 0) {
    std::string_view content;
    if (Read(d.proc, "cgroup", content)) {
      if (Status s = ParseProcCgroup(content, paths); !s.ok()) paths = {};
    }
  }
  if (paths.empty() && !c.id.empty()) {
    // Docker's own layout: cgroupfs driver "<parent or /docker>/<id>", systemd driver
    // "<parent or system.slice>/docker-<id>.scope".
    std::vector<std::string> candidates;
    const std::string& parent = c.cgroup_parent;
    if (parent.empty()) {
      candidates = {"/docker/" + c.id, "/system.slice/docker-" + c.id + ".scope"};
    } else if (parent.size() > 6 && parent.ends_with(".slice")) {
      candidates = {"/" + parent + "/docker-" + c.id + ".scope"};
    } else {
      candidates = {parent + "/" + c.id};
    }
    for (const std::string& cand : candidates) {
      std::string probe = version_ == CgroupVersion::kV2
                              ? JoinDir(options_.cgroup_root, "", cand)
                              : JoinDir(options_.cgroup_root, "memory", cand);
      if (IsDir(probe)) {
        paths.unified = paths.cpu = paths.cpuacct = paths.memory = paths.blkio = paths.pids = cand;
        break;
      }
    }
  }
  if (paths.empty())
    return NotFoundError("no cgroup for container " + c.id + " (pid " + std::to_string(c.pid) +
                         ")");
  if (version_ == CgroupVersion::kV2) {
    std::string p = !paths.unified.empty() ? paths.unified : paths.memory;
    if (p.empty()) return NotFoundError("no cgroup v2 path for container " + c.id);
    d.unified = JoinDir(options_.cgroup_root, "", p);
    return d;
  }
  // v1: a controller without its own path shares the others' (hosts and the file source often
  // give one path for all).
  std::string any;
  for (const std::string* p :
       {&paths.cpuacct, &paths.cpu, &paths.memory, &paths.blkio, &paths.pids, &paths.unified})
    if (any.empty() && !p->empty()) any = *p;
  auto pick = [&](const std::string& p) { return p.empty() ? any : p; };
  d.cpu = JoinDir(options_.cgroup_root, "cpu", pick(paths.cpu));
  d.cpuacct = JoinDir(options_.cgroup_root, "cpuacct", pick(paths.cpuacct));
  d.memory = JoinDir(options_.cgroup_root, "memory", pick(paths.memory));
  d.blkio = JoinDir(options_.cgroup_root, "blkio", pick(paths.blkio));
  d.pids = JoinDir(options_.cgroup_root, "pids", pick(paths.pids));
  return d;
}

bool CgroupReader::Read(const std::string& dir, const char* file, std::string_view& content) {
  path_.assign(dir);
  path_ += file;
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t used = 0;
  bool ok = true;
  while (true) {
    ssize_t n = ::read(fd, buf_.data() + used, buf_.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      break;
    }
    if (n == 0) break;
    size_t room = buf_.size() - used;
    used += static_cast<size_t>(n);
    if (used == buf_.size()) {  // larger than any cgroup file we read: not what we expect
      ok = false;
      break;
    }
    // cgroupfs and procfs files are seq_files, which fill the buffer unless they reached the
    // end: a short read is the end, and skipping the read that would return 0 saves a third of
    // the scrape's system calls.
    if (static_cast<size_t>(n) < room) break;
  }
  ::close(fd);
  content = std::string_view(buf_.data(), used);
  return ok;
}

int CgroupReader::Collect(Collector collector, const CgroupDirs& dirs, ContainerStats& out,
                          bool with_limits) {
  switch (collector) {
    case kCpu: return CollectCpu(dirs, out);
    case kMemory: return CollectMemory(dirs, out, with_limits);
    case kIo: return CollectIo(dirs, out);
    case kPids: return CollectPids(dirs, out, with_limits);
    case kNetwork: return CollectNetwork(dirs, out);
    case kCollectorCount: break;
  }
  return 0;
}

int CgroupReader::CollectCpu(const CgroupDirs& d, ContainerStats& out) {
  int errors = 0;
  std::string_view s;
  uint64_t v;
  if (d.version == CgroupVersion::kV2) {
    if (!Read(d.unified, "cpu.stat", s) || !FindKeyValue(s, "usage_usec", v)) return 1;
    out.Set(kCpuUsageSeconds, v / 1e6);
    if (FindKeyValue(s, "user_usec", v)) out.Set(kCpuUserSeconds, v / 1e6);
    if (FindKeyValue(s, "system_usec", v)) out.Set(kCpuSystemSeconds, v / 1e6);
    if (FindKeyValue(s, "nr_periods", v)) out.Set(kCpuPeriods, static_cast<double>(v));
    if (FindKeyValue(s, "nr_throttled", v)) out.Set(kCpuThrottledPeriods, static_cast<double>(v));
    if (FindKeyValue(s, "throttled_usec", v)) out.Set(kCpuThrottledSeconds, v / 1e6);
    return 0;
  }
  if (Read(d.cpuacct, "cpuacct.usage", s) && ParseUint(s, v))
    out.Set(kCpuUsageSeconds, v / 1e9);
  else
    ++errors;
  if (Read(d.cpuacct, "cpuacct.stat", s) && FindKeyValue(s, "user", v)) {
    out.Set(kCpuUserSeconds, v / ticks_per_second_);
    if (FindKeyValue(s, "system", v)) out.Set(kCpuSystemSeconds, v / ticks_per_second_);
  } else {
    ++errors;
  }
  if (Read(d.cpu, "cpu.stat", s) && FindKeyValue(s, "nr_periods", v)) {
    out.Set(kCpuPeriods, static_cast<double>(v));
    if (FindKeyValue(s, "nr_throttled", v)) out.Set(kCpuThrottledPeriods, static_cast<double>(v));
    if (FindKeyValue(s, "throttled_time", v)) out.Set(kCpuThrottledSeconds, v / 1e9);
  } else {
    ++errors;
  }
  return errors;
}

int CgroupReader::CollectMemory(const CgroupDirs& d, ContainerStats& out, bool with_limits) {
  int errors = 0;
  std::string_view s;
  uint64_t v;
  const bool v2 = d.version == CgroupVersion::kV2;
  const std::string& dir = v2 ? d.unified : d.memory;
  if (Read(dir, v2 ? "memory.current" : "memory.usage_in_bytes", s) && ParseUint(s, v))
    out.Set(kMemoryUsageBytes, static_cast<double>(v));
  else
    ++errors;
  if (Read(dir, "memory.stat", s) && !s.empty()) {
    // v1 has the hierarchical total_* keys (what cAdvisor uses); v2 is hierarchical anyway.
    bool found_inactive =
        v2 ? FindKeyValue(s, "inactive_file", v)
           : (FindKeyValue(s, "total_inactive_file", v) || FindKeyValue(s, "inactive_file", v));
    if (found_inactive && out.has(kMemoryUsageBytes)) {
      double usage = out.v[kMemoryUsageBytes];
      double ws = usage - static_cast<double>(v);
      out.Set(kMemoryWorkingSetBytes, ws < 0 ? 0 : ws);
    }
    auto pick = [&](Field f, const char* v1_key, const char* v2_key) {
      if (v2 ? FindKeyValue(s, v2_key, v) : FindKeyValue(s, v1_key, v))
        out.Set(f, static_cast<double>(v));
    };
    pick(kMemoryRssBytes, "total_rss", "anon");
    pick(kMemoryCacheBytes, "total_cache", "file");
    pick(kMemoryMappedFileBytes, "total_mapped_file", "file_mapped");
    if (!v2) pick(kMemorySwapBytes, "total_swap", "");
  } else {
    ++errors;
  }
  if (!with_limits) {
  } else if (Read(dir, v2 ? "memory.max" : "memory.limit_in_bytes", s) && ParseLimit(s, v)) {
    out.Set(kMemoryLimitBytes, static_cast<double>(v));
  } else {
    ++errors;
  }
  if (Read(dir, v2 ? "memory.events" : "memory.oom_control", s)) {
    // Kernels before 4.13 have no oom_kill in memory.oom_control: absent, not an error.
    if (FindKeyValue(s, "oom_kill", v)) out.Set(kOomEvents, static_cast<double>(v));
  } else {
    ++errors;
  }
  return errors;
}

int CgroupReader::CollectIo(const CgroupDirs& d, ContainerStats& out) {
  std::string_view s;
  if (d.version == CgroupVersion::kV2) {
    if (!Read(d.unified, "io.stat", s)) return 1;
    uint64_t rb, wb, ri, wi;
    ParseIoStatV2(s, rb, wb, ri, wi);
    out.Set(kFsReadBytes, static_cast<double>(rb));
    out.Set(kFsWriteBytes, static_cast<double>(wb));
    out.Set(kFsReads, static_cast<double>(ri));
    out.Set(kFsWrites, static_cast<double>(wi));
    return 0;
  }
  int errors = 0;
  uint64_t r, w;
  if (Read(d.blkio, "blkio.throttle.io_service_bytes", s)) {
    ParseBlkioV1(s, r, w);
    out.Set(kFsReadBytes, static_cast<double>(r));
    out.Set(kFsWriteBytes, static_cast<double>(w));
  } else {
    ++errors;
  }
  if (Read(d.blkio, "blkio.throttle.io_serviced", s)) {
    ParseBlkioV1(s, r, w);
    out.Set(kFsReads, static_cast<double>(r));
    out.Set(kFsWrites, static_cast<double>(w));
  } else {
    ++errors;
  }
  return errors;
}

int CgroupReader::CollectPids(const CgroupDirs& d, ContainerStats& out, bool with_limits) {
  int errors = 0;
  std::string_view s;
  uint64_t v;
  const std::string& dir = d.version == CgroupVersion::kV2 ? d.unified : d.pids;
  if (Read(dir, "pids.current", s) && ParseUint(s, v))
    out.Set(kThreads, static_cast<double>(v));
  else
    ++errors;
  if (!with_limits) {
  } else if (Read(dir, "pids.max", s) && ParseLimit(s, v)) {
    out.Set(kThreadsMax, static_cast<double>(v));
  } else {
    ++errors;
  }
  return errors;
}

int CgroupReader::CollectNetwork(const CgroupDirs& d, ContainerStats& out) {
  if (d.proc.empty()) return 0;  // no pid: nothing to read, not an error
  std::string_view s;
  if (!Read(d.proc, "net/dev", s) || !ParseNetDev(s, out.net)) return 1;
  out.netns = d.netns;
  return 0;
}

}  // namespace steady::metrics
