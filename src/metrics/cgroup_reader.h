// Reads a container's resource counters straight from cgroupfs (v1 or v2) and its network
// counters from /proc/<pid>/net/dev. Never the docker stats API.
//
// Files are read with open/read/close into one buffer the reader owns, and parsed in place: a
// scrape allocates nothing per file. A missing or unreadable file, or garbage in it, leaves
// the fields it would have filled absent and counts one error for its collector; the rest of
// the container is still read (a container that exits mid-scrape yields what was read).
//
// Thread safety: a CgroupReader is used by one thread at a time (the exporter serializes
// scrapes). The free parse functions are pure.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "metrics/container.h"

namespace steady::metrics {

// One value per exported container metric. Units are the exported ones (seconds, bytes).
enum Field : int {
  kCpuUsageSeconds,
  kCpuUserSeconds,
  kCpuSystemSeconds,
  kCpuPeriods,
  kCpuThrottledPeriods,
  kCpuThrottledSeconds,
  kMemoryUsageBytes,
  kMemoryWorkingSetBytes,
  kMemoryRssBytes,
  kMemoryCacheBytes,
  kMemoryMappedFileBytes,
  kMemorySwapBytes,
  kMemoryLimitBytes,  // 0 when unlimited (as cAdvisor)
  kOomEvents,
  kFsReadBytes,
  kFsWriteBytes,
  kFsReads,
  kFsWrites,
  kThreads,
  kThreadsMax,  // 0 when unlimited
  kFieldCount,
};

// Collectors: the groups of files read together, each with its own timing and error count.
enum Collector : int { kCpu, kMemory, kIo, kPids, kNetwork, kCollectorCount };
const char* CollectorName(Collector c);

enum NetField : int {
  kRxBytes,
  kRxPackets,
  kRxErrors,
  kRxDropped,
  kTxBytes,
  kTxPackets,
  kTxErrors,
  kTxDropped,
  kNetFieldCount,
};

struct InterfaceStats {
  std::string name;
  std::array<double, kNetFieldCount> v{};
};

struct ContainerStats {
  std::array<double, kFieldCount> v{};
  uint32_t present = 0;             // bit per Field
  std::vector<InterfaceStats> net;  // without "lo"
  // Network namespace (inode of /proc/<pid>/ns/net, or 2^63|pid when unreadable): the
  // containers of an awsvpc task share one.
  uint64_t netns = 0;

  bool has(Field f) const { return present & (1u << f); }
  void Set(Field f, double value) {
    v[f] = value;
    present |= 1u << f;
  }
  // Keeps the capacity of `net` (reused across scrapes).
  void Clear() {
    present = 0;
    net.clear();
    netns = 0;
  }
};

enum class CgroupVersion { kV1, kV2 };

// Absolute directories of one container's cgroups, resolved once per container.
struct CgroupDirs {
  CgroupVersion version = CgroupVersion::kV1;
  std::string unified;                            // v2: <root>/<path>/
  std::string cpu, cpuacct, memory, blkio, pids;  // v1: <root>/<controller>/<path>/
  int pid = 0;
  std::string proc;  // <proc_root>/<pid>/ or empty without a pid
  // Network namespace of the pid (inode of <proc>/ns/net, or 2^63|pid when unreadable).
  uint64_t netns = 0;
};

struct CgroupReaderOptions {
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_root = "/proc";
};

class CgroupReader {
 public:
  explicit CgroupReader(CgroupReaderOptions options);

  // v2 when <cgroup_root>/cgroup.controllers exists (unified hierarchy), else v1.
  CgroupVersion version() const { return version_; }

  // Where `c`'s cgroups are: its explicit paths, else /proc/<pid>/cgroup, else
  // <cgroup_parent or /docker>/<id>. kNotFound when none of these works.
  Result<CgroupDirs> Resolve(const Container& c);

  // Reads one collector's files into `out`; returns the number of read errors. Without
  // `with_limits` the limit files (memory.limit_in_bytes / memory.max, pids.max), which change
  // rarely, are skipped: the caller reuses the values it read before.
  int Collect(Collector collector, const CgroupDirs& dirs, ContainerStats& out,
              bool with_limits = true);

 private:
  // Reads <dir><file> into buf_; false on any error (missing, unreadable, too large).
  bool Read(const std::string& dir, const char* file, std::string_view& content);
  int CollectCpu(const CgroupDirs& d, ContainerStats& out);
  int CollectMemory(const CgroupDirs& d, ContainerStats& out, bool with_limits);
  int CollectIo(const CgroupDirs& d, ContainerStats& out);
  int CollectPids(const CgroupDirs& d, ContainerStats& out, bool with_limits);
  int CollectNetwork(const CgroupDirs& d, ContainerStats& out);

  CgroupReaderOptions options_;
  CgroupVersion version_;
  double ticks_per_second_;
  std::vector<char> buf_;
  std::string path_;  // scratch for building file paths (keeps its capacity)
};

// ---- Parsers (pure, exposed for tests). All ignore lines they do not understand. ----

// A non-negative integer at the start of `s` (after spaces); false if none.
bool ParseUint(std::string_view s, uint64_t& out);

// The value of `key` in "key value\n" lines (memory.stat, cpu.stat, cpuacct.stat,
// memory.events, memory.oom_control); false if absent or not a number.
bool FindKeyValue(std::string_view content, std::string_view key, uint64_t& out);

// A limit file: a number, or "max" (v2) → 0; v1's "unlimited" (>= 2^62) → 0.
bool ParseLimit(std::string_view content, uint64_t& out);

// /proc/<pid>/cgroup: fills v1 controller paths and the v2 path. kInvalidArgument if no line
// parses.
Status ParseProcCgroup(std::string_view content, CgroupPaths& out);

// blkio.throttle.io_service_bytes / io_serviced: sums the "Read" and "Write" lines.
void ParseBlkioV1(std::string_view content, uint64_t& read, uint64_t& write);

// io.stat: sums rbytes/wbytes/rios/wios over devices.
void ParseIoStatV2(std::string_view content, uint64_t& rbytes, uint64_t& wbytes, uint64_t& rios,
                   uint64_t& wios);

// /proc/<pid>/net/dev: one entry per interface except "lo". False if the header is missing.
bool ParseNetDev(std::string_view content, std::vector<InterfaceStats>& out);

}  // namespace steady::metrics
