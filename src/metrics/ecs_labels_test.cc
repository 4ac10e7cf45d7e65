#include "metrics/ecs_labels.h"

#include <gtest/gtest.h>

namespace steady::metrics {
namespace {

Container EcsContainer(const std::string& name, const std::string& docker_name = "ecs-web-1") {
  Container c{.id = "c1", .name = docker_name, .image = "nginx:1.25"};
  c.labels = {{"com.amazonaws.ecs.cluster", "arn:aws:ecs:us-east-1:123:cluster/prod"},
              {"com.amazonaws.ecs.task-arn", "arn:aws:ecs:us-east-1:123:task/prod/0f1e2d"},
              {"com.amazonaws.ecs.task-definition-family", "web"},
              {"com.amazonaws.ecs.task-definition-version", "42"},
              {"com.amazonaws.ecs.container-name", name},
              {"unrelated", "x"}};
  return c;
}

TEST(EcsLabels, IdentityFromAgentLabels) {
  EcsIdentity id = IdentityFromLabels(EcsContainer("app").labels);
  EXPECT_TRUE(id.is_ecs());
  EXPECT_EQ(id.cluster, "prod");
  EXPECT_EQ(id.task_id, "0f1e2d");
  EXPECT_EQ(id.family, "web");
  EXPECT_EQ(id.revision, "42");
  EXPECT_EQ(id.container, "app");
  EXPECT_FALSE(IdentityFromLabels({}).is_ecs());
  EXPECT_EQ(TaskIdFromArn("arn:aws:ecs:us-east-1:123:task/abc"), "abc");
  EXPECT_EQ(TaskIdFromArn("plain"), "plain");
}

TEST(EcsLabels, RenderedLabelSetIsSmallAndFixed) {
  Container c = EcsContainer("app");
  EcsIdentity id = IdentityFromLabels(c.labels);
  EXPECT_EQ(RenderLabels(c, id, {}),
            R"(ecs_cluster="prod",ecs_task_family="web",ecs_task_revision="42",)"
            R"(ecs_task_id="0f1e2d",ecs_container="app")");
  id.service = "web-svc";
  EXPECT_EQ(RenderLabels(c, id, {.name = true, .image = true}),
            R"(ecs_cluster="prod",ecs_service="web-svc",ecs_task_family="web",)"
            R"(ecs_task_revision="42",ecs_task_id="0f1e2d",ecs_container="app",)"
            R"(name="ecs-web-1",image="nginx:1.25")");
  EXPECT_EQ(RenderLabels(c, id, {.name = true}, false),
            R"(ecs_cluster="prod",ecs_service="web-svc",ecs_task_family="web",)"
            R"(ecs_task_revision="42",ecs_task_id="0f1e2d")");
  Container plain{.id = "p", .name = "we\"ird\\name"};
  EXPECT_EQ(RenderLabels(plain, IdentityFromLabels(plain.labels), {}), R"(name="we\"ird\\name")");
}

TEST(EcsLabels, SidecarsAndNonEcsAreExcludedByDefault) {
  ExportPolicy policy;
  auto reason = [&](const Container& c) {
    return std::string(ExclusionReason(c, IdentityFromLabels(c.labels), policy));
  };
  EXPECT_EQ(reason(EcsContainer("app")), "");
  for (const char* sidecar : {"envoy", "fluent-bit", "log_router", "~internal~ecs~pause",
                              "aws-otel-collector", "firelens-router", "datadog-agent"})
    EXPECT_EQ(reason(EcsContainer(sidecar)), "excluded by name") << sidecar;
  Container agent{.id = "a", .name = "ecs-agent"};
  EXPECT_EQ(reason(agent), "not an ECS container");
  policy.include_non_ecs = true;
  EXPECT_EQ(reason(agent), "excluded by name");
  EXPECT_EQ(reason(Container{.id = "b", .name = "postgres"}), "");

  Container labelled = EcsContainer("app");
  labelled.labels["steady.exporter/exclude"] = "true";
  EXPECT_EQ(reason(labelled), "excluded by label");
  labelled.labels["steady.exporter/exclude"] = "false";
  EXPECT_EQ(reason(labelled), "");
  policy.excluded_labels = {"team=infra", "sidecar"};
  Container infra = EcsContainer("app");
  infra.labels["team"] = "infra";
  EXPECT_EQ(reason(infra), "excluded by label");
  infra.labels["team"] = "web";
  EXPECT_EQ(reason(infra), "");
  infra.labels["sidecar"] = "";
  EXPECT_EQ(reason(infra), "excluded by label");

  policy.excluded_names.clear();
  EXPECT_EQ(reason(EcsContainer("envoy")), "");
  policy.excluded_names = {"app"};
  EXPECT_EQ(reason(EcsContainer("app")), "excluded by name");
}

}  // namespace
}  // namespace steady::metrics
