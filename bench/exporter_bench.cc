// The exporter's cost per scrape on a synthetic host: N containers in a generated cgroup tree
// (v1 or v2 layout, realistic file contents) and a containers file. Prints CPU time per scrape
// (getrusage), response size and RSS for 100 and 500 containers.
//
//   exporter_bench                        # figures for v1 and v2, 100 and 500 containers
//   exporter_bench --generate DIR N [v2]  # only write DIR/cgroup, DIR/proc, DIR/containers.yaml
//                                         # (bench/exporter.sh then measures `steady exporter`)
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/clock.h"
#include "base/metrics.h"
#include "metrics/exporter.h"
#include "metrics/file_source.h"
#include "metrics/scraper.h"

namespace fs = std::filesystem;
using namespace steady;

namespace {

void Put(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::trunc) << content;
}

std::string MemoryStatV1(int i) {
  std::string s;
  const char* keys[] = {
      "cache",         "rss",         "rss_huge",      "shmem",       "mapped_file", "dirty",
      "writeback",     "swap",        "pgpgin",        "pgpgout",     "pgfault",     "pgmajfault",
      "inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable"};
  for (const char* k : keys) s += std::string(k) + " " + std::to_string(4096 * (i + 7)) + "\n";
  s += "hierarchical_memory_limit 9223372036854771712\n";
  for (const char* k : keys)
    s += "total_" + std::string(k) + " " + std::to_string(4096 * (i + 7)) + "\n";
  return s;
}

std::string NetDev(int i) {
  return "Inter-|   Receive                                                |  Transmit\n"
         " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
         "drop fifo colls carrier compressed\n"
         "    lo:    3267      29    0    0    0     0          0         0     3267      29    0 "
         "   0    0     0       0          0\n"
         "  eth0: " +
         std::to_string(1000000 + i) +
         "    2681    0    0    0     0          0         0   236980    1757    0    0    0     "
         "0       0          0\n";
}

// Writes N containers (pids 100000+i) and returns the containers file path.
std::string Generate(const fs::path& dir, int n, bool v2) {
  fs::remove_all(dir);
  metrics::ContainerList list;
  if (v2) Put(dir / "cgroup/cgroup.controllers", "cpu io memory pids\n");
  for (int i = 0; i < n; ++i) {
    int pid = 100000 + i;
    std::string task = "task" + std::to_string(i / 2);
    std::string id = "c" + std::to_string(i);
    std::string rel = "ecs/" + task + "/" + id;
    if (v2) {
      fs::path d = dir / "cgroup" / rel;
      Put(d / "cpu.stat",
          "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"
          "nr_periods 1200\nnr_throttled 30\nthrottled_usec 450000\n");
      Put(d / "memory.current", "104857600\n");
      std::string ms;
      for (const char* k : {"anon", "file", "kernel", "kernel_stack", "pagetables", "percpu",
                            "sock", "shmem", "file_mapped", "file_dirty", "file_writeback",
                            "inactive_anon", "active_anon", "inactive_file", "active_file",
                            "unevictable", "slab_reclaimable", "slab_unreclaimable", "pgfault"})
        ms += std::string(k) + " " + std::to_string(4096 * (i + 3)) + "\n";
      Put(d / "memory.stat", ms);
      Put(d / "memory.max", "536870912\n");
      Put(d / "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
      Put(d / "io.stat", "259:0 rbytes=5242880 wbytes=1048576 rios=100 wios=20 dbytes=0 dios=0\n");
      Put(d / "pids.current", "7\n");
      Put(d / "pids.max", "max\n");
      Put(dir / "proc" / std::to_string(pid) / "cgroup", "0::/" + rel + "\n");
    } else {
      fs::path c = dir / "cgroup";
      Put(c / "cpuacct" / rel / "cpuacct.usage", std::to_string(1014501750 + i) + "\n");
      Put(c / "cpuacct" / rel / "cpuacct.stat", "user 65\nsystem 37\n");
      Put(c / "cpu" / rel / "cpu.stat",
          "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n"
          "nr_bursts 0\nburst_time 0\n");
      Put(c / "memory" / rel / "memory.usage_in_bytes", "39239680\n");
      Put(c / "memory" / rel / "memory.stat", MemoryStatV1(i));
      Put(c / "memory" / rel / "memory.limit_in_bytes", "536870912\n");
      Put(c / "memory" / rel / "memory.oom_control",
          "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
      Put(c / "blkio" / rel / "blkio.throttle.io_service_bytes",
          "8:0 Read 1048576\n8:0 Write 2097152\n8:0 Sync 0\n8:0 Async 0\n8:0 Discard 0\n"
          "8:0 Total 3145728\nTotal 3145728\n");
      Put(c / "blkio" / rel / "blkio.throttle.io_serviced",
          "8:0 Read 16\n8:0 Write 32\n8:0 Total 48\nTotal 48\n");
      Put(c / "pids" / rel / "pids.current", "3\n");
      Put(c / "pids" / rel / "pids.max", "max\n");
      std::string cg;
      for (const char* ctl : {"pids", "blkio", "memory", "cpuacct", "cpu"})
        cg += "1:" + std::string(ctl) + ":/" + rel + "\n";
      Put(dir / "proc" / std::to_string(pid) / "cgroup", cg + "0::/\n");
    }
    Put(dir / "proc" / std::to_string(pid) / "net/dev", NetDev(i));
    metrics::Container ct =
        metrics::ProcessContainer(pid, i % 2 ? "worker" : "app", "bench", "web");
    ct.id = id;
    ct.labels["com.amazonaws.ecs.task-arn"] =
        "arn:aws:ecs:us-east-1:123456789012:task/bench/" + task;
    list.push_back(ct);
  }
  std::string file = (dir / "containers.yaml").string();
  if (auto s = metrics::WriteContainersFile(file, list); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    std::exit(1);
  }
  return file;
}

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

long RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

void Measure(const fs::path& base, int n, bool v2, bool aggregates) {
  fs::path dir = base / ((v2 ? "v2-" : "v1-") + std::to_string(n));
  std::string file = Generate(dir, n, v2);
  metrics::FileSource source(file);
  metrics::ScrapeOptions o;
  o.cgroup = {.cgroup_root = (dir / "cgroup").string(), .proc_root = (dir / "proc").string()};
  o.task_aggregates = aggregates;
  MetricsRegistry registry;
  metrics::Scraper scraper(o, source, registry, SystemClock::Get());
  std::string out;
  scraper.Scrape(metrics::Format::kPrometheusText, out);  // warm: resolve cgroups, size buffer
  const int kScrapes = 200;
  double t0 = CpuSeconds();
  for (int i = 0; i < kScrapes; ++i) scraper.Scrape(metrics::Format::kPrometheusText, out);
  double per_scrape_ms = (CpuSeconds() - t0) / kScrapes * 1e3;
  size_t series = 0;
  for (char c : out) series += c == '\n';
  std::printf(
      "%-4s %4d containers%s  cpu/scrape %6.2f ms  response %7zu bytes (%zu lines)  "
      "rss %5.1f MiB\n",
      v2 ? "v2" : "v1", n, aggregates ? " +task-aggregates" : "                ", per_scrape_ms,
      out.size(), series, RssKiB() / 1024.0);
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "--generate") == 0) {
    std::string file =
        Generate(argv[2], std::atoi(argv[3]), argc >= 5 && std::string(argv[4]) == "v2");
    std::printf("%s\n", file.c_str());
    return 0;
  }
  fs::path base = fs::temp_directory_path() / ("steady-exporter-bench-" + std::to_string(getpid()));
  for (bool v2 : {false, true})
    for (int n : {100, 500}) Measure(base, n, v2, false);
  Measure(base, 500, false, true);
  fs::remove_all(base);
  return 0;
}
