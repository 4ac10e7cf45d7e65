#include "metrics/cgroup_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace steady::metrics {
namespace {

const std::string kTestdata = std::string(STEADY_SOURCE_DIR) + "/src/metrics/testdata";
const std::string kV1Path =
    "/ecs/0f1e2d3c4b5a69788796a5b4c3d2e1f0/"
    "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2";
const std::string kV2Id = "b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3";

CgroupReader V1Reader() {
  return CgroupReader(
      {.cgroup_root = kTestdata + "/v1/cgroup", .proc_root = kTestdata + "/v1/proc"});
}
CgroupReader V2Reader() {
  return CgroupReader(
      {.cgroup_root = kTestdata + "/v2/cgroup", .proc_root = kTestdata + "/v2/proc"});
}

int CollectAll(CgroupReader& r, const CgroupDirs& d, ContainerStats& s) {
  int errors = 0;
  for (int c = 0; c < kCollectorCount; ++c) errors += r.Collect(static_cast<Collector>(c), d, s);
  return errors;
}

TEST(CgroupReader, V1FixtureFromProcPid) {
  CgroupReader r = V1Reader();
  EXPECT_EQ(r.version(), CgroupVersion::kV1);
  auto dirs = r.Resolve(Container{.id = "x", .pid = 4242});
  ASSERT_TRUE(dirs.ok()) << dirs.status().ToString();
  EXPECT_EQ(dirs->memory, kTestdata + "/v1/cgroup/memory" + kV1Path + "/");
  ContainerStats s;
  ASSERT_EQ(CollectAll(r, *dirs, s), 0);
  const double tck = static_cast<double>(sysconf(_SC_CLK_TCK));
  EXPECT_DOUBLE_EQ(s.v[kCpuUsageSeconds], 1.01450175);
  EXPECT_DOUBLE_EQ(s.v[kCpuUserSeconds], 65 / tck);
  EXPECT_DOUBLE_EQ(s.v[kCpuSystemSeconds], 37 / tck);
  EXPECT_TRUE(s.has(kCpuThrottledPeriods));
  EXPECT_EQ(s.v[kMemoryUsageBytes], 39239680);
  EXPECT_EQ(s.v[kMemoryWorkingSetBytes], 39239680 - 4096000);
  EXPECT_EQ(s.v[kMemoryRssBytes], 38494208);
  EXPECT_EQ(s.v[kMemoryCacheBytes], 434176);
  EXPECT_EQ(s.v[kMemoryLimitBytes], 0);  // 9223372036854771712 = unlimited
  EXPECT_EQ(s.v[kOomEvents], 0);
  EXPECT_TRUE(s.has(kOomEvents));
  EXPECT_EQ(s.v[kFsReadBytes], 1048576 + 4096);
  EXPECT_EQ(s.v[kFsWriteBytes], 2097152);
  EXPECT_EQ(s.v[kFsReads], 16);
  EXPECT_EQ(s.v[kFsWrites], 32);
  EXPECT_EQ(s.v[kThreads], 1);
  EXPECT_EQ(s.v[kThreadsMax], 0);
  ASSERT_EQ(s.net.size(), 3u);  // ifb0, ifb1, eth0; not lo
  EXPECT_EQ(s.net[2].name, "eth0");
  EXPECT_EQ(s.net[2].v[kRxBytes], 63451669);
  EXPECT_EQ(s.net[2].v[kTxPackets], 1757);
}

TEST(CgroupReader, V2FixtureFromDockerLayoutAndFromPid) {
  CgroupReader r = V2Reader();
  EXPECT_EQ(r.version(), CgroupVersion::kV2);
  // No pid: the systemd driver's default place for docker's containers.
  auto by_id = r.Resolve(Container{.id = kV2Id});
  ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
  auto by_pid = r.Resolve(Container{.id = kV2Id, .pid = 5151});
  ASSERT_TRUE(by_pid.ok());
  EXPECT_EQ(by_id->unified, by_pid->unified);
  ContainerStats s;
  ASSERT_EQ(CollectAll(r, *by_pid, s), 0);
  EXPECT_DOUBLE_EQ(s.v[kCpuUsageSeconds], 2.5);
  EXPECT_DOUBLE_EQ(s.v[kCpuUserSeconds], 2.0);
  EXPECT_DOUBLE_EQ(s.v[kCpuSystemSeconds], 0.5);
  EXPECT_EQ(s.v[kCpuPeriods], 1200);
  EXPECT_EQ(s.v[kCpuThrottledPeriods], 30);
  EXPECT_DOUBLE_EQ(s.v[kCpuThrottledSeconds], 0.45);
  EXPECT_EQ(s.v[kMemoryUsageBytes], 104857600);
  EXPECT_EQ(s.v[kMemoryWorkingSetBytes], 104857600 - 15728640);
  EXPECT_EQ(s.v[kMemoryRssBytes], 83886080);
  EXPECT_EQ(s.v[kMemoryCacheBytes], 20971520);
  EXPECT_EQ(s.v[kMemoryMappedFileBytes], 8388608);
  EXPECT_FALSE(s.has(kMemorySwapBytes));
  EXPECT_EQ(s.v[kMemoryLimitBytes], 536870912);
  EXPECT_EQ(s.v[kOomEvents], 1);
  EXPECT_EQ(s.v[kFsReadBytes], 5242880 + 1024);
  EXPECT_EQ(s.v[kFsWriteBytes], 1048576 + 2048);
  EXPECT_EQ(s.v[kFsReads], 101);
  EXPECT_EQ(s.v[kFsWrites], 22);
  EXPECT_EQ(s.v[kThreads], 7);
  EXPECT_EQ(s.v[kThreadsMax], 0);
  ASSERT_EQ(s.net.size(), 2u);
  EXPECT_EQ(s.net[0].v[kRxErrors], 1);
  EXPECT_EQ(s.net[0].v[kRxDropped], 2);
  EXPECT_EQ(s.net[0].v[kTxErrors], 3);
  EXPECT_EQ(s.net[0].v[kTxDropped], 4);
}

TEST(CgroupReader, UnknownCgroupIsNotFound) {
  CgroupReader r = V2Reader();
  EXPECT_EQ(r.Resolve(Container{.id = "nope"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.Resolve(Container{.id = "nope", .pid = 999999}).status().code(),
            StatusCode::kNotFound);
}

// A copy of the v2 fixture that a test can damage.
class DamagedTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("steady-cgroup-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
    std::filesystem::copy(kTestdata + "/v2", root_, std::filesystem::copy_options::recursive);
    dir_ = root_ / "cgroup/system.slice" / ("docker-" + kV2Id + ".scope");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& file, const std::string& content) {
    std::ofstream(dir_ / file, std::ios::trunc) << content;
  }
  CgroupReader Reader() {
    return CgroupReader({.cgroup_root = root_ / "cgroup", .proc_root = root_ / "proc"});
  }
  std::filesystem::path root_, dir_;
};

TEST_F(DamagedTree, MissingFilesAreCountedAndTheRestIsRead) {
  std::filesystem::remove(dir_ / "memory.stat");
  std::filesystem::remove(dir_ / "io.stat");
  CgroupReader r = Reader();
  auto d = r.Resolve(Container{.id = kV2Id, .pid = 5151});
  ASSERT_TRUE(d.ok());
  ContainerStats s;
  EXPECT_EQ(r.Collect(kMemory, *d, s), 1);
  EXPECT_EQ(r.Collect(kIo, *d, s), 1);
  EXPECT_EQ(r.Collect(kCpu, *d, s), 0);
  EXPECT_TRUE(s.has(kMemoryUsageBytes));
  EXPECT_FALSE(s.has(kMemoryWorkingSetBytes));  // needs inactive_file
  EXPECT_FALSE(s.has(kFsReadBytes));
  EXPECT_TRUE(s.has(kMemoryLimitBytes));
}

TEST_F(DamagedTree, GarbageContentIsAnErrorNotACrash) {
  Write("cpu.stat", "\x01\x02garbage\nusage_usec lots\n");
  Write("memory.current", "-5\n");
  Write("memory.max", "");
  Write("pids.current", "seven");
  Write("memory.stat", std::string(200000, 'x'));  // larger than any real memory.stat
  CgroupReader r = Reader();
  auto d = r.Resolve(Container{.id = kV2Id, .pid = 5151});
  ASSERT_TRUE(d.ok());
  ContainerStats s;
  EXPECT_EQ(r.Collect(kCpu, *d, s), 1);
  EXPECT_EQ(r.Collect(kMemory, *d, s), 3);  // current, stat, max; events is fine
  EXPECT_EQ(r.Collect(kPids, *d, s), 1);
  EXPECT_FALSE(s.has(kCpuUsageSeconds));
  EXPECT_FALSE(s.has(kMemoryUsageBytes));
  EXPECT_FALSE(s.has(kThreads));
  EXPECT_TRUE(s.has(kOomEvents));
  EXPECT_TRUE(s.has(kThreadsMax));
}

TEST_F(DamagedTree, ContainerVanishedMidScrape) {
  CgroupReader r = Reader();
  auto d = r.Resolve(Container{.id = kV2Id, .pid = 5151});
  ASSERT_TRUE(d.ok());
  ContainerStats s;
  EXPECT_EQ(r.Collect(kCpu, *d, s), 0);
  std::filesystem::remove_all(dir_);
  std::filesystem::remove_all(root_ / "proc/5151");
  EXPECT_EQ(r.Collect(kMemory, *d, s), 4);
  EXPECT_EQ(r.Collect(kNetwork, *d, s), 1);
  EXPECT_TRUE(s.has(kCpuUsageSeconds));  // what was read before it went away
  EXPECT_FALSE(s.has(kMemoryUsageBytes));
}

TEST(Parsers, KeyValue) {
  uint64_t v = 0;
  EXPECT_TRUE(FindKeyValue("total_inactive_file 5\ninactive_file 7\n", "inactive_file", v));
  EXPECT_EQ(v, 7u);
  EXPECT_TRUE(FindKeyValue("inactive_file 7", "inactive_file", v));
  EXPECT_FALSE(FindKeyValue("inactive_filex 7\n", "inactive_file", v));
  EXPECT_FALSE(FindKeyValue("", "a", v));
  EXPECT_FALSE(FindKeyValue("a\n", "a", v));
  EXPECT_FALSE(FindKeyValue("a x\n", "a", v));
  EXPECT_FALSE(FindKeyValue("a -1\n", "a", v));
}

TEST(Parsers, Limits) {
  uint64_t v = 1;
  EXPECT_TRUE(ParseLimit("max\n", v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseLimit("9223372036854771712\n", v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseLimit("536870912\n", v));
  EXPECT_EQ(v, 536870912u);
  EXPECT_FALSE(ParseLimit("", v));
  EXPECT_FALSE(ParseLimit("maximum", v));
  EXPECT_FALSE(ParseLimit("99999999999999999999999", v));  // overflow
}

TEST(Parsers, ProcCgroup) {
  CgroupPaths p;
  ASSERT_TRUE(ParseProcCgroup("12:cpu,cpuacct:/ecs/t/c\n4:memory:/ecs/t/c\n0::/u\n", p).ok());
  EXPECT_EQ(p.cpu, "/ecs/t/c");
  EXPECT_EQ(p.cpuacct, "/ecs/t/c");
  EXPECT_EQ(p.memory, "/ecs/t/c");
  EXPECT_EQ(p.unified, "/u");
  EXPECT_TRUE(p.blkio.empty());
  CgroupPaths q;
  EXPECT_FALSE(ParseProcCgroup("garbage\n::\n1:cpu:relative\n", q).ok());
  EXPECT_FALSE(ParseProcCgroup("", q).ok());
}

TEST(Parsers, NetDevRejectsWhatIsNotNetDev) {
  std::vector<InterfaceStats> out;
  EXPECT_FALSE(ParseNetDev("eth0: 1 2 3\n", out));
  std::string truncated =
      "Inter-|   Receive |  Transmit\n face |bytes\n  eth0: 1 2 3\n  eth1: 1 2 3 4 5 6 7 8 9 10 "
      "11 12 13 14 15 16\n";
  EXPECT_TRUE(ParseNetDev(truncated, out));
  ASSERT_EQ(out.size(), 1u);  // eth0's short line is skipped
  EXPECT_EQ(out[0].name, "eth1");
  EXPECT_EQ(out[0].v[kTxBytes], 9);
  EXPECT_EQ(out[0].v[kTxDropped], 12);
}

TEST(Parsers, BlkioAndIoStat) {
  uint64_t r, w, ri, wi;
  ParseBlkioV1("8:0 Read 10\n8:0 Write 20\n8:16 Read 1\nTotal 31\ngarbage\n8:0 Read x\n", r, w);
  EXPECT_EQ(r, 11u);
  EXPECT_EQ(w, 20u);
  ParseIoStatV2("8:0 rbytes=1 wbytes=2 rios=3 wios=4\n8:1 rbytes=10 junk wios=x\n", r, w, ri, wi);
  EXPECT_EQ(r, 11u);
  EXPECT_EQ(w, 2u);
  EXPECT_EQ(ri, 3u);
  EXPECT_EQ(wi, 4u);
}

}  // namespace
}  // namespace steady::metrics
