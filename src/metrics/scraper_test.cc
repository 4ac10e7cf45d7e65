#include "metrics/scraper.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "metrics/exporter.h"
#include "metrics/file_source.h"
#include "net/http_client_curl.h"

namespace steady::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kTestdata = std::string(STEADY_SOURCE_DIR) + "/src/metrics/testdata";

// A source whose list the test sets.
class StaticSource final : public ContainerSource {
 public:
  const char* kind() const override { return "static"; }
  ContainerSnapshot Snapshot() override { return snap_; }
  void Set(ContainerList list, Status status = Status::Ok()) {
    snap_.containers = std::make_shared<const ContainerList>(std::move(list));
    snap_.status = std::move(status);
    ++snap_.generation;
  }
  void Fail(Status status) { snap_.status = std::move(status); }

 private:
  ContainerSnapshot snap_{std::make_shared<const ContainerList>(), Status::Ok(), 0};
};

Container Ecs(const std::string& id, int pid, const std::string& task, const std::string& name) {
  Container c{.id = id, .name = "ecs-" + name, .image = "img/" + name, .pid = pid};
  c.labels = {{"com.amazonaws.ecs.cluster", "prod"},
              {"com.amazonaws.ecs.task-arn", "arn:aws:ecs:us-east-1:1:task/prod/" + task},
              {"com.amazonaws.ecs.task-definition-family", "web"},
              {"com.amazonaws.ecs.task-definition-version", "3"},
              {"com.amazonaws.ecs.container-name", name}};
  return c;
}

ScrapeOptions V1Options() {
  ScrapeOptions o;
  o.cgroup = {.cgroup_root = kTestdata + "/v1/cgroup", .proc_root = kTestdata + "/v1/proc"};
  return o;
}

constexpr const char* kApp =
    R"(ecs_cluster="prod",ecs_task_family="web",ecs_task_revision="3",ecs_task_id="t1",ecs_container="app")";

TEST(Scraper, RendersCadvisorNamesForTheV1Fixture) {
  StaticSource source;
  source.Set({Ecs("c1", 4242, "t1", "app"), Ecs("c2", 4242, "t1", "envoy")});
  MetricsRegistry registry;
  ManualClock clock;
  Scraper scraper(V1Options(), source, registry, clock);
  std::string out = scraper.Scrape(Format::kPrometheusText);
  EXPECT_THAT(out, HasSubstr("# TYPE container_cpu_usage_seconds_total counter\n"));
  EXPECT_THAT(
      out, HasSubstr(std::string("container_cpu_usage_seconds_total{") + kApp + "} 1.01450175\n"));
  EXPECT_THAT(
      out, HasSubstr(std::string("container_memory_working_set_bytes{") + kApp + "} 35143680\n"));
  EXPECT_THAT(out, HasSubstr(std::string("container_spec_memory_limit_bytes{") + kApp + "} 0\n"));
  EXPECT_THAT(out, HasSubstr(std::string("container_network_receive_bytes_total{") + kApp +
                             ",interface=\"eth0\"} 63451669\n"));
  EXPECT_THAT(out,
              HasSubstr(std::string("container_fs_reads_bytes_total{") + kApp + "} 1052672\n"));
  EXPECT_THAT(out, Not(HasSubstr("envoy")));  // a sidecar
  EXPECT_THAT(out, Not(HasSubstr("ecs_task_cpu")));
  EXPECT_THAT(out, Not(HasSubstr("# EOF")));
  EXPECT_THAT(out, HasSubstr("steady_exporter_collector_success{collector=\"memory\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("steady_exporter_containers{state=\"exported\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("steady_exporter_containers{state=\"excluded\"} 1\n"));
  EXPECT_EQ(scraper.exported(), 1u);
  // The health series are in the process registry too.
  EXPECT_THAT(registry.Render(), HasSubstr("steady_exporter_collector_success"));
}

TEST(Scraper, OpenMetricsAndTaskAggregates) {
  StaticSource source;
  source.Set({Ecs("c1", 4242, "t1", "app"), Ecs("c2", 4242, "t1", "worker"),
              Ecs("c3", 4242, "t2", "app")});
  MetricsRegistry registry;
  ManualClock clock;
  ScrapeOptions o = V1Options();
  o.task_aggregates = true;
  Scraper scraper(o, source, registry, clock);
  std::string out = scraper.Scrape(Format::kOpenMetrics);
  EXPECT_THAT(out, HasSubstr("# TYPE container_cpu_usage_seconds counter\n"));
  EXPECT_TRUE(out.ends_with("# EOF\n"));
  const char* t1 =
      R"(ecs_cluster="prod",ecs_task_family="web",ecs_task_revision="3",ecs_task_id="t1")";
  EXPECT_THAT(out, HasSubstr(std::string("ecs_task_memory_usage_bytes{") + t1 + "} 78479360\n"));
  EXPECT_THAT(out,
              HasSubstr(std::string("ecs_task_cpu_usage_seconds_total{") + t1 + "} 2.0290035\n"));
  // Both containers see the same network namespace (the fixture's pid): counted once.
  EXPECT_THAT(
      out, HasSubstr(std::string("ecs_task_network_receive_bytes_total{") + t1 + "} 63451669\n"));
  EXPECT_THAT(out, Not(HasSubstr("ecs_task_spec_memory_limit_bytes")));
}

TEST(Scraper, V2FixtureAndErrorsAreCountedNotFatal) {
  StaticSource source;
  Container c =
      Ecs("b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3", 0, "t9", "api");
  source.Set({c, Ecs("gone", 0, "t9", "ghost")});
  MetricsRegistry registry;
  ManualClock clock;
  ScrapeOptions o;
  o.cgroup = {.cgroup_root = kTestdata + "/v2/cgroup", .proc_root = kTestdata + "/v2/proc"};
  o.labels.name = true;
  Scraper scraper(o, source, registry, clock);
  std::string out = scraper.Scrape(Format::kPrometheusText);
  EXPECT_THAT(out, HasSubstr("ecs_container=\"api\",name=\"ecs-api\"} 2.5\n"));
  EXPECT_THAT(out, HasSubstr("container_oom_events_total{"));
  EXPECT_THAT(out, Not(HasSubstr("container_network")));  // no pid: no network
  EXPECT_THAT(out, HasSubstr("steady_exporter_containers{state=\"unresolved\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("steady_exporter_collector_success{collector=\"discovery\"} 0\n"));
  EXPECT_THAT(out, HasSubstr("steady_exporter_read_errors_total{collector=\"discovery\"} 1\n"));
  source.Fail(UnavailableError("docker down"));
  out = scraper.Scrape(Format::kPrometheusText);
  EXPECT_THAT(out, HasSubstr("ecs_container=\"api\",name=\"ecs-api\"} 2.5\n"));  // last list
  EXPECT_THAT(out, HasSubstr("steady_exporter_read_errors_total{collector=\"discovery\"} 3\n"));
  EXPECT_THAT(out, HasSubstr("steady_exporter_scrapes_total 2\n"));
}

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("steady-containers-" + std::to_string(::getpid()) + ".yaml");
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void Write(const std::string& text) {
    std::ofstream(path_, std::ios::trunc) << text;
    // A new mtime for each version even on coarse-timestamp filesystems.
    static int bump = 0;
    std::filesystem::last_write_time(
        path_, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(++bump));
  }
  std::string path_;
};

TEST_F(FileSourceTest, ReadsYamlAndJsonAndReloadsOnChange) {
  FileSource source(path_);
  EXPECT_EQ(source.Snapshot().status.code(), StatusCode::kNotFound);
  Write(R"(containers:
  - id: c1
    name: /web
    pid: 4242
    labels: {com.amazonaws.ecs.task-definition-version: 3, com.amazonaws.ecs.cluster: prod}
  - id: c2
    cgroup: /a
    cgroup_v1: {memory: /m}
)");
  ContainerSnapshot s = source.Snapshot();
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  ASSERT_EQ(s.containers->size(), 2u);
  EXPECT_EQ((*s.containers)[0].name, "web");
  EXPECT_EQ((*s.containers)[0].labels.at("com.amazonaws.ecs.task-definition-version"), "3");
  EXPECT_EQ((*s.containers)[1].cgroup.cpu, "/a");
  EXPECT_EQ((*s.containers)[1].cgroup.memory, "/m");
  EXPECT_EQ(source.Snapshot().generation, s.generation);  // unchanged file: same snapshot

  Write(R"({"containers": [{"id": "j1", "pid": 1, "labels": {"k": "v"}}]})");
  ContainerSnapshot j = source.Snapshot();
  ASSERT_TRUE(j.status.ok()) << j.status.ToString();
  EXPECT_GT(j.generation, s.generation);
  ASSERT_EQ(j.containers->size(), 1u);
  EXPECT_EQ((*j.containers)[0].id, "j1");

  Write("containers:\n  - id: a\n    bogus: 1\n");
  ContainerSnapshot bad = source.Snapshot();
  EXPECT_EQ(bad.status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status.message(), HasSubstr("bogus"));
  EXPECT_EQ(bad.containers, j.containers);  // the last good list stays
}

TEST(FileSource, RejectsMalformedDocuments) {
  for (const char* text :
       {"containers: 5", "containers:\n  - name: x\n", "containers:\n  - id: a\n  - id: a\n",
        "containers:\n  - id: a\n    pid: -1\n", "[unclosed"}) {
    EXPECT_FALSE(ParseContainersFile(text, "t.yaml").ok()) << text;
  }
  EXPECT_TRUE(ParseContainersFile("containers: []", "t.yaml").ok());
}

TEST(Exporter, ServesBothFormatsOverHttpAndRoundTripsAContainersFile) {
  std::string file = std::filesystem::temp_directory_path() /
                     ("steady-exporter-" + std::to_string(::getpid()) + ".yaml");
  Container self = ProcessContainer(4242, "steady");
  ASSERT_TRUE(WriteContainersFile(file, {self}).ok());
  auto parsed = FileSource(file).Snapshot();
  ASSERT_TRUE(parsed.status.ok()) << parsed.status.ToString();
  ASSERT_EQ(parsed.containers->size(), 1u);
  EXPECT_EQ((*parsed.containers)[0], self);

  ExporterOptions o;
  o.listen = "127.0.0.1:0";
  o.containers_file = file;
  o.scrape = V1Options();
  MetricsRegistry registry;
  ManualClock clock;
  Exporter exporter(o, registry, clock);
  ASSERT_TRUE(exporter.Start().ok());
  net::CurlHttpClient http;
  net::HttpRequest req{.url = exporter.base_url() + "/metrics"};
  auto text = http.Send(req);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->status, 200);
  EXPECT_EQ(text->headers.Get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(text->body, HasSubstr("ecs_task_family=\"steady\""));
  EXPECT_THAT(text->body, HasSubstr("container_memory_working_set_bytes{"));
  req.headers.Set("Accept", "application/openmetrics-text;version=1.0.0");
  auto om = http.Send(req);
  ASSERT_TRUE(om.ok());
  EXPECT_THAT(om->headers.Get("Content-Type"), HasSubstr("application/openmetrics-text"));
  EXPECT_TRUE(om->body.ends_with("# EOF\n"));
  auto missing = http.Send({.url = exporter.base_url() + "/nope"});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  exporter.Stop();
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace steady::metrics
