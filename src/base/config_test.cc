#include "base/config.h"

#include <gtest/gtest.h>

namespace steady {
namespace {

constexpr char kYaml[] = R"(
region:
  listen: 127.0.0.1:4566
aggregator:
  flush_grace: 30s
  buffer_limit: 512MiB
  workers: 2
  tls: false
  sidecars: [fluentd, envoy]
  routes:
    - family: web
    - family: batch
)";

TEST(Config, ReadsTypedValuesFromSections) {
  auto c = Config::Parse(kYaml);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ConfigNode agg = c->Section("aggregator");
  EXPECT_EQ(*agg.Dur("flush_grace"), seconds(30));
  EXPECT_EQ(*agg.Bytes("buffer_limit"), 512LL * 1024 * 1024);
  EXPECT_EQ(*agg.Int("workers"), 2);
  EXPECT_FALSE(*agg.Bool("tls"));
  EXPECT_EQ(*agg.StringList("sidecars"), (std::vector<std::string>{"fluentd", "envoy"}));
  auto routes = agg.List("routes");
  ASSERT_TRUE(routes.ok());
  ASSERT_EQ(routes->size(), 2u);
  EXPECT_EQ(*(*routes)[1].String("family"), "batch");
  EXPECT_EQ(*c->Section("region").String("listen"), "127.0.0.1:4566");
  // Absent keys take the fallback; absent sections are empty.
  EXPECT_EQ(*agg.Int("missing", 7), 7);
  EXPECT_EQ(*c->Section("nothing").String("x", "d"), "d");
}

TEST(Config, ErrorsNameFileLineKeyAndExpectation) {
  auto c = Config::Parse("aggregator:\n  workers: many\n  flush_grace: soon\n", "steady.yaml");
  ASSERT_TRUE(c.ok());
  auto w = c->Section("aggregator").Int("workers");
  EXPECT_EQ(w.status().message(),
            "steady.yaml:2:12: aggregator.workers: expected an integer, got 'many'");
  auto g = c->Section("aggregator").Dur("flush_grace");
  EXPECT_EQ(g.status().message(),
            "steady.yaml:3:16: aggregator.flush_grace: expected a duration (e.g. 500ms, 30s, 2m, "
            "1h), got 'soon'");
  auto missing = c->Section("aggregator").String("store");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("aggregator.store: required"), std::string::npos);
}

TEST(Config, UnknownKeysAreCaughtWithTheirLine) {
  auto c = Config::Parse("aggregator:\n  listen: x\n  lisen: y\n");
  ASSERT_TRUE(c.ok());
  Status s = c->Section("aggregator").CheckKeys({"listen", "store"});
  EXPECT_EQ(s.message(),
            "steady.yaml:3:3: aggregator.lisen: unknown key (expected one of: listen, store)");
}

TEST(Config, SyntaxErrorsNameTheLine) {
  auto c = Config::Parse("a: [1, 2\nb: 3\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind("steady.yaml:", 0), 0u) << c.status().message();
  EXPECT_FALSE(Config::Parse("- a\n- b\n").ok());  // top level must be a mapping
}

TEST(Config, ValuesAsJson) {
  auto c = Config::Parse(R"(
rule:
  pattern:
    source: [aws.ec2]
    detail-type: ["EC2 Spot Instance Interruption Warning"]
    detail: {count: [{numeric: [">", 3]}], flag: true, code: "007", note: "a \"q\""}
  text: '{"source": ["x"]}'
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(
      *c->Section("rule").Json("pattern"),
      R"({"source":["aws.ec2"],"detail-type":["EC2 Spot Instance Interruption Warning"],)"
      R"("detail":{"count":[{"numeric":[">",3]}],"flag":true,"code":"007","note":"a \"q\""}})");
  EXPECT_EQ(*c->Section("rule").Json("text"), R"({"source": ["x"]})");
  EXPECT_EQ(c->Section("rule").Json("nope").status().code(), StatusCode::kNotFound);
}

TEST(Config, DurationsAndSizes) {
  EXPECT_EQ(*ParseDuration("1h30m"), minutes(90));
  EXPECT_EQ(*ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*ParseDuration("2"), seconds(2));
  EXPECT_EQ(*ParseDuration("1.5s"), milliseconds(1500));
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("5 parsecs").ok());
  EXPECT_FALSE(ParseDuration("1s2").ok());
  EXPECT_EQ(*ParseBytes("64KiB"), 65536);
  EXPECT_EQ(*ParseBytes("1MB"), 1000000);
  EXPECT_EQ(*ParseBytes("12"), 12);
  EXPECT_FALSE(ParseBytes("lots").ok());
}

}  // namespace
}  // namespace steady
