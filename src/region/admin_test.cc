// The region's admin API through its HTTP front (port 0): applying the fleet sample, the fleet
// summary, injected spot interruptions and traffic settings.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "base/metrics.h"
#include "net/http_client_curl.h"
#include "region/ec2_model.h"
#include "region/region.h"

namespace steady::region {
namespace {

using nlohmann::json;

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegionOptions o;
    o.listen = "127.0.0.1:0";
    o.threads = 2;
    auto r = Region::Open(o, clock_, metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    ASSERT_TRUE(region_->Start().ok());
  }
  void TearDown() override {
    if (region_) region_->Stop();
  }

  std::pair<int, json> Call(const std::string& method, const std::string& path,
                            const std::string& body = "") {
    net::HttpRequest req{.method = method, .url = region_->endpoint() + path, .body = body};
    auto resp = http_.Send(req);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    if (!resp.ok()) return {0, json()};
    return {resp->status, json::parse(resp->body, nullptr, false)};
  }

  void RunFor(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.Advance(std::chrono::seconds(1));
      region_->TickFleet();
    }
  }

  // The summary's instances in `state` with `lifecycle` ("spot", "on-demand").
  std::vector<json> Instances(const json& fleet, const std::string& state,
                              const std::string& lifecycle) {
    std::vector<json> out;
    for (const auto& i : fleet["instances"])
      if (i["state"] == state && i["lifecycle"] == lifecycle) out.push_back(i);
    return out;
  }

  ManualClock clock_{FromUnixSeconds(1'790'000'000)};
  MetricsRegistry metrics_;
  std::unique_ptr<Region> region_;
  net::CurlHttpClient http_;
};

TEST_F(AdminTest, FleetSummaryInterruptAndTraffic) {
  std::ifstream in(std::string(STEADY_SOURCE_DIR) + "/examples/fleet-sample.yaml");
  std::stringstream sample;
  sample << in.rdbuf();
  auto [applied_status, applied] = Call("POST", "/_steady/apply", sample.str());
  ASSERT_EQ(applied_status, 200) << applied.dump();
  RunFor(120);

  auto [status, fleet] = Call("GET", "/_steady/fleet");
  ASSERT_EQ(status, 200);
  auto spot = Instances(fleet, "running", "spot");
  auto od = Instances(fleet, "running", "on-demand");
  ASSERT_EQ(spot.size(), 4u) << fleet.dump(2);
  ASSERT_EQ(od.size(), 1u) << fleet.dump(2);
  int tasks = 0;
  for (const auto& i : fleet["instances"]) {
    EXPECT_EQ(i["cluster"], "steady-sample");
    EXPECT_EQ(i["container_instance_status"], "ACTIVE");
    tasks += i["running_tasks"].get<int>();
  }
  EXPECT_EQ(tasks, 4);
  ASSERT_EQ(fleet["clusters"].size(), 1u);
  const json& cluster = fleet["clusters"][0];
  EXPECT_EQ(cluster["name"], "steady-sample");
  EXPECT_EQ(cluster["cpu_reserved"], 4 * 256);
  EXPECT_EQ(cluster["memory_reserved"], 4 * 512);
  EXPECT_EQ(cluster["cpu_registered"], 5 * 2048);
  ASSERT_EQ(fleet["services"].size(), 1u);
  const json& web = fleet["services"][0];
  EXPECT_EQ(web["name"], "web");
  EXPECT_EQ(web["desired"], 4);
  EXPECT_EQ(web["running"], 4);
  ASSERT_EQ(web["deployments"].size(), 1u);
  EXPECT_EQ(web["deployments"][0]["status"], "PRIMARY");
  ASSERT_EQ(fleet["target_groups"].size(), 1u);
  const json& tg = fleet["target_groups"][0];
  EXPECT_EQ(tg["name"], "web");
  EXPECT_EQ(tg["healthy"], 4);
  EXPECT_GT(tg["served"].get<int64_t>(), 0);
  // Requests fail (503) only until the first targets are healthy.
  RunFor(10);
  auto later = Call("GET", "/_steady/fleet").second["target_groups"][0];
  EXPECT_GT(later["served"].get<int64_t>(), tg["served"].get<int64_t>());
  EXPECT_EQ(later["failed"], tg["failed"]);

  // Interrupting an on-demand instance is refused, naming it; nothing is interrupted.
  std::string od_id = od[0]["id"];
  std::string spot_id = spot[0]["id"];
  auto [refused, why] =
      Call("POST", "/_steady/interrupt", json{{"instances", {spot_id, od_id}}}.dump());
  EXPECT_EQ(refused, 400);
  EXPECT_NE(why["error"].get<std::string>().find(od_id), std::string::npos) << why.dump();
  EXPECT_EQ(Call("POST", "/_steady/interrupt", "{\"instances\": []}").first, 400);
  EXPECT_EQ(Call("POST", "/_steady/interrupt", "not json").first, 400);
  EXPECT_EQ(region_->ec2().InstanceStateName(spot_id), "running");

  auto [ok, interrupted] =
      Call("POST", "/_steady/interrupt", json{{"instances", {spot_id}}}.dump());
  ASSERT_EQ(ok, 200) << interrupted.dump();
  EXPECT_EQ(interrupted["interrupted"], json::array({spot_id}));
  // The warning reaches the terminator's queue (through the sample's rule) at once, behind
  // the instances' state-change events.
  bool warned = false;
  for (int batch = 0; batch < 20 && !warned; ++batch) {
    auto got = region_->sqs().ReceiveMessage(
        {.queue_url = "steady-terminator-events", .max_number_of_messages = 10});
    ASSERT_TRUE(got.ok());
    if (got->empty()) break;
    for (const auto& m : *got) {
      json e = json::parse(m.body, nullptr, false);
      if (e.is_object() && e.value("detail-type", "") == "EC2 Spot Instance Interruption Warning")
        warned |= e["detail"]["instance-id"] == spot_id;
    }
  }
  EXPECT_TRUE(warned);
  RunFor(121);
  EXPECT_NE(region_->ec2().InstanceStateName(spot_id), "running");

  // Traffic by name; an unknown group is a 404.
  auto [set, traffic] = Call(
      "POST", "/_steady/traffic",
      json{{"target_group", "web"}, {"requests_per_second", 10}, {"request_seconds", 0.5}}.dump());
  ASSERT_EQ(set, 200) << traffic.dump();
  EXPECT_EQ(traffic["target_group_arn"], tg["arn"]);
  EXPECT_EQ(Call("POST", "/_steady/traffic",
                 json{{"target_group", "nope"}, {"requests_per_second", 1}}.dump())
                .first,
            404);
  EXPECT_EQ(Call("POST", "/_steady/traffic", "{}").first, 400);
  auto after = Call("GET", "/_steady/fleet").second;
  EXPECT_EQ(after["target_groups"][0]["requests_per_second"], 10);
  EXPECT_EQ(after["target_groups"][0]["request_seconds"], 0.5);
}

}  // namespace
}  // namespace steady::region
