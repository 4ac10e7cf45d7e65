#include "deploy/definition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "region/ecs_test_fixture.h"

namespace steady::deploy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kTestdata = std::string(STEADY_SOURCE_DIR) + "/src/deploy/testdata/";

LoadOptions Production() {
  LoadOptions o;
  o.ext_vars = {{"env", "production"}, {"tag", "v1"}};
  return o;
}

// What ECS would give back for `req` (the part SameTaskDefinition looks at).
aws::TaskDefinition Registered(const aws::RegisterTaskDefinitionRequest& req, int revision = 1) {
  aws::TaskDefinition td;
  td.family = req.family;
  td.revision = revision;
  td.container_definitions = req.container_definitions;
  td.cpu = req.cpu;
  td.memory = req.memory;
  td.network_mode = req.network_mode.empty() ? "bridge" : req.network_mode;
  td.requires_compatibilities = req.requires_compatibilities;
  return td;
}

Result<AppDefinition> Yaml(const std::string& text, const LoadOptions& options = {}) {
  return ParseDefinition(text, DefinitionFormat::kYaml, "src.yaml", "src", options);
}

const char kMinimal[] = R"(
scheduler: {cluster: c1}
app: {image: nginx, memory: 128}
)";

TEST(DefinitionTest, JsonnetWithExtVarsAndImports) {
  auto def = LoadDefinition(kTestdata + "web.jsonnet", Production());
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->app_id, "web");
  EXPECT_EQ(def->scheduler.cluster, "web-cluster");          // from the import
  EXPECT_EQ(def->scheduler.desired_count, 4);                // from std.extVar('env')
  EXPECT_EQ(def->app.image, "registry.example.com/web:v1");  // appId and tag ext vars
  EXPECT_EQ(def->app.env.at("RACK_ENV"), "production");
  EXPECT_EQ(def->scheduler.group_name, "web-group");

  LoadOptions staging = Production();
  staging.ext_vars["env"] = "staging";
  staging.ext_vars["appId"] = "web-staging";  // the caller's appId wins over the file name
  auto st = LoadDefinition(kTestdata + "web.jsonnet", staging);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->scheduler.desired_count, 1);
  EXPECT_EQ(st->app.image, "registry.example.com/web-staging:v1");
}

TEST(DefinitionTest, JsonnetMissingExtVarIsAnError) {
  auto def = LoadDefinition(kTestdata + "web.jsonnet");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(def.status().message(), HasSubstr("web.jsonnet: jsonnet:"));
  EXPECT_THAT(def.status().message(), HasSubstr("env"));
}

TEST(DefinitionTest, YamlJsonAndJsonnetRenderTheSameRequests) {
  auto a = LoadDefinition(kTestdata + "web.jsonnet", Production());
  auto b = LoadDefinition(kTestdata + "web.yaml");
  auto c = LoadDefinition(kTestdata + "web.json");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto ra = RenderTaskDefinition(*a);
  for (const auto* other : {&*b, &*c}) {
    auto r = RenderTaskDefinition(*other);
    EXPECT_TRUE(SameTaskDefinition(Registered(ra), r)) << DiffTaskDefinition(Registered(ra), r);
    // Environment is rendered sorted, so even the order matches.
    EXPECT_EQ(r.container_definitions[0].environment, ra.container_definitions[0].environment);
    auto sa = RenderCreateService(*a, "web:1");
    auto so = RenderCreateService(*other, "web:1");
    ASSERT_TRUE(sa.ok() && so.ok());
    EXPECT_EQ(so->service_name, sa->service_name);
    EXPECT_EQ(so->desired_count, sa->desired_count);
    EXPECT_EQ(so->load_balancers.size(), 1u);
    EXPECT_EQ(so->load_balancers[0].target_group_arn, sa->load_balancers[0].target_group_arn);
    EXPECT_EQ(so->deployment_configuration.minimum_healthy_percent, 50);
    EXPECT_EQ(so->placement_strategy.size(), 1u);
    EXPECT_EQ(so->placement_strategy[0].field, "attribute:ecs.availability-zone");
  }
}

TEST(DefinitionTest, RenderedTaskDefinition) {
  auto def = LoadDefinition(kTestdata + "web.yaml");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto req = RenderTaskDefinition(*def);
  EXPECT_EQ(req.family, "web");
  ASSERT_EQ(req.container_definitions.size(), 2u);
  const auto& app = req.container_definitions[0];
  EXPECT_EQ(app.name, "app");
  EXPECT_TRUE(app.essential);
  EXPECT_EQ(app.cpu, 256);
  EXPECT_EQ(app.memory, 512);
  EXPECT_EQ(app.memory_reservation, 256);
  EXPECT_EQ(app.command, (std::vector<std::string>{"bundle", "exec", "puma"}));
  // YAML's unquoted 8080 is a number; ECS wants a string.
  EXPECT_EQ(app.environment,
            (std::vector<aws::KeyValuePair>{{"PORT", "8080"}, {"RACK_ENV", "production"}}));
  ASSERT_EQ(app.secrets.size(), 2u);  // passed through as valueFrom, in order
  EXPECT_EQ(app.secrets[0].name, "DATABASE_URL");
  EXPECT_EQ(app.secrets[0].value_from,
            "arn:aws:ssm:us-east-1:000000000000:parameter/web/database_url");
  EXPECT_EQ(app.secrets[1].name, "API_KEY");
  EXPECT_EQ(app.secrets[1].value_from,
            "arn:aws:secretsmanager:us-east-1:000000000000:secret:web/api-key-AbCdEf");
  const auto& nginx = req.container_definitions[1];
  EXPECT_EQ(nginx.name, "nginx");
  EXPECT_EQ(nginx.image, "nginx:1.25");
  EXPECT_FALSE(nginx.essential);  // sidecars default to non-essential
  ASSERT_EQ(nginx.port_mappings.size(), 1u);
  EXPECT_EQ(nginx.port_mappings[0].container_port, 80);
  EXPECT_EQ(nginx.port_mappings[0].host_port, 0);
  // Both containers log over Forward to the aggregator with the routing labels.
  for (const auto& cd : req.container_definitions) {
    ASSERT_TRUE(cd.log_configuration.has_value()) << cd.name;
    EXPECT_EQ(cd.log_configuration->log_driver, "fluentd");
    EXPECT_EQ(cd.log_configuration->options.at("tag"), "ecs.web");
  }
}

TEST(DefinitionTest, Defaults) {
  auto def = Yaml(kMinimal);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->app_id, "src");
  EXPECT_EQ(def->scheduler.type, "ecs");
  EXPECT_EQ(def->scheduler.service_name, "src");
  EXPECT_EQ(def->scheduler.desired_count, 1);
  EXPECT_EQ(def->scheduler.deployment.minimum_healthy_percent, 100);
  EXPECT_EQ(def->scheduler.deployment.maximum_percent, 200);
  EXPECT_EQ(def->app.name, "app");
  auto req = RenderTaskDefinition(*def);
  EXPECT_EQ(req.network_mode, "");
  const auto& log = *req.container_definitions[0].log_configuration;
  EXPECT_EQ(log.log_driver, "fluentd");
  EXPECT_EQ(log.options,
            (std::map<std::string, std::string>{
                {"fluentd-address", "127.0.0.1:24224"},
                {"labels",
                 "com.amazonaws.ecs.task-definition-family,com.amazonaws.ecs."
                 "container-name,com.amazonaws.ecs.task-arn,com.amazonaws.ecs.cluster"},
                {"tag", "ecs.src"}}));

  auto svc = RenderCreateService(*def, "src:3");
  ASSERT_TRUE(svc.ok());
  EXPECT_EQ(svc->cluster, "c1");
  EXPECT_EQ(svc->task_definition, "src:3");
  EXPECT_TRUE(svc->load_balancers.empty());
  EXPECT_EQ(svc->deployment_configuration.minimum_healthy_percent, 100);
  EXPECT_EQ(svc->deployment_configuration.maximum_percent, 200);

  auto upd = RenderUpdateService(*def, "src:4");
  ASSERT_TRUE(upd.ok());
  EXPECT_EQ(upd->service, "src");
  EXPECT_EQ(upd->task_definition, "src:4");
  EXPECT_EQ(upd->desired_count, 1);
  ASSERT_TRUE(upd->deployment_configuration.has_value());
  EXPECT_EQ(upd->deployment_configuration->maximum_percent, 200);
}

TEST(DefinitionTest, PortMappingDefaultsAndLoadBalancerContainer) {
  auto def = Yaml(R"(
scheduler:
  cluster: c1
  target_group_arn: arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/t/1
  container_port: 3000
app:
  image: nginx
  memory: 128
  port_mappings: [{container_port: 3000}]
)");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto req = RenderTaskDefinition(*def);
  const auto& pm = req.container_definitions[0].port_mappings;
  ASSERT_EQ(pm.size(), 1u);
  EXPECT_EQ(pm[0].host_port, 0);
  EXPECT_EQ(pm[0].protocol, "tcp");
  auto svc = RenderCreateService(*def, "src:1");
  ASSERT_TRUE(svc.ok());
  ASSERT_EQ(svc->load_balancers.size(), 1u);
  EXPECT_EQ(svc->load_balancers[0].container_name, "app");
  EXPECT_EQ(svc->load_balancers[0].container_port, 3000);
}

TEST(DefinitionTest, LogConfigurationOverrides) {
  LoadOptions o;
  o.forward_address = "10.0.0.5:24224";
  auto def = Yaml(R"(
scheduler: {cluster: c1}
app: {image: nginx, memory: 128}
sidecars:
  - name: agent
    image: agent
    memory: 32
    essential: true
    log_configuration: {log_driver: json-file, options: {max-size: 10m}}
)",
                  o);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto req = RenderTaskDefinition(*def);
  EXPECT_EQ(req.container_definitions[0].log_configuration->options.at("fluentd-address"),
            "10.0.0.5:24224");
  EXPECT_TRUE(req.container_definitions[1].essential);
  EXPECT_EQ(req.container_definitions[1].log_configuration->log_driver, "json-file");
  EXPECT_EQ(req.container_definitions[1].log_configuration->options.at("max-size"), "10m");

  // A top-level log_configuration replaces the Forward default for every container.
  auto top = Yaml(R"(
scheduler: {cluster: c1}
app: {image: nginx, memory: 128}
log_configuration: {log_driver: awslogs, options: {awslogs-group: g}}
)");
  ASSERT_TRUE(top.ok()) << top.status().ToString();
  EXPECT_EQ(RenderTaskDefinition(*top).container_definitions[0].log_configuration->log_driver,
            "awslogs");
}

TEST(DefinitionTest, OneshotHasNoService) {
  auto def = Yaml(R"(
scheduler: {type: oneshot, cluster: batch, autoscaler_group: batch-asg}
app: {image: worker, cpu: 512, memory: 1024, command: [run]}
)");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->scheduler.group_name, "batch-asg");
  EXPECT_EQ(def->scheduler.service_name, "");
  EXPECT_EQ(RenderCreateService(*def, "src:1").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(RenderUpdateService(*def, "src:1").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(RenderTaskDefinition(*def).container_definitions[0].cpu, 512);
}

TEST(DefinitionTest, SecretReferenceForms) {
  for (const std::string from :
       {"arn:aws:ssm:eu-west-1:123456789012:parameter/a/b", "/prod/db/password", "db_password",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::"}) {
    auto def = Yaml(std::string(kMinimal) + "  \n" +
                    "sidecars: [{name: s, image: s, memory: 8, secrets: [{name: X, value_from: \"" +
                    from + "\"}]}]\n");
    ASSERT_TRUE(def.ok()) << from << ": " << def.status().ToString();
    EXPECT_EQ(RenderTaskDefinition(*def).container_definitions[1].secrets[0].value_from, from);
  }
}

TEST(DefinitionTest, SecretValueIsNeverEchoed) {
  auto def = Yaml(R"(
scheduler: {cluster: c1}
app:
  image: nginx
  memory: 128
  secrets: [{name: DB_PASSWORD, value_from: "hunter2 is my password"}]
)");
  ASSERT_FALSE(def.ok());
  EXPECT_THAT(def.status().message(), HasSubstr("src.yaml: app.secrets[0].value_from: expected"));
  EXPECT_THAT(def.status().message(), Not(HasSubstr("hunter2")));
}

TEST(DefinitionTest, ReportsEveryProblem) {
  auto def = Yaml(R"(
scheduler: {cluster: c1, desired_count: -1}
app: {image: nginx, memory: lots}
)");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(def.status().message(),
            "src.yaml: scheduler.desired_count: must be >= 0, got -1\n"
            "src.yaml: app.memory: expected a positive integer, got \"lots\"");
}

struct BadCase {
  std::string yaml;
  const char* error;  // after "src.yaml: "
};

// Every validation error names the field at fault.
TEST(DefinitionTest, ValidationErrorsNameTheField) {
  const std::string s = "scheduler: {cluster: c1}\n";
  const std::string a = "app: {image: nginx, memory: 128}\n";
  const std::vector<BadCase> cases = {
      {"[1, 2]", "expected an object at the top, got a list"},
      {"app: {image: nginx, memory: 128}", "scheduler: required"},
      {"scheduler: {cluster: c1}", "app: required"},
      {"scheduler: {cluster: c1}\napp: {image: nginx, memory: 128}\nextra: 1",
       "extra: unknown key"},
      {"scheduler: {cluster: c1, desired: 2}\napp: {image: nginx, memory: 128}",
       "scheduler.desired: unknown key"},
      {"scheduler: {cluster: c1}\napp: {image: nginx, memroy: 128, memory: 1}",
       "app.memroy: unknown key"},
      {"app_id: 'web app'\nscheduler: {cluster: c1}\napp: {image: nginx, memory: 128}",
       "app_id: expected 1-255 letters"},
      {"scheduler: 3\napp: {image: nginx, memory: 128}", "scheduler: expected an object, got 3"},
      {"scheduler: {}\napp: {image: nginx, memory: 128}", "scheduler.cluster: required"},
      {"scheduler: {cluster: ''}\napp: {image: nginx, memory: 128}",
       "scheduler.cluster: must not be empty"},
      {"scheduler: {cluster: [c1]}\napp: {image: nginx, memory: 128}",
       "scheduler.cluster: expected a string, got a list"},
      {"scheduler: {cluster: c1, type: cron}\napp: {image: nginx, memory: 128}",
       "scheduler.type: expected one of ecs, oneshot, got \"cron\""},
      {"scheduler: {cluster: c1, desired_count: -1}\n" + a,
       "scheduler.desired_count: must be >= 0, got -1"},
      {"scheduler: {cluster: c1, desired_count: 1.5}\n" + a,
       "scheduler.desired_count: expected an integer, got 1.5"},
      {"scheduler: {cluster: c1, service_name: 'a/b'}\n" + a,
       "scheduler.service_name: expected 1-255 letters"},
      {"scheduler: {cluster: c1, placement_strategy: [{type: pack}]}\n" + a,
       "scheduler.placement_strategy[0].type: expected one of binpack, spread, random"},
      {"scheduler: {cluster: c1, placement_strategy: [{type: binpack, field: disk}]}\n" + a,
       "scheduler.placement_strategy[0].field: expected one of cpu, memory"},
      {"scheduler: {cluster: c1, placement_strategy: [{type: spread}]}\n" + a,
       "scheduler.placement_strategy[0].field: required"},
      {"scheduler: {cluster: c1, placement_constraints: [{type: memberOf}]}\n" + a,
       "scheduler.placement_constraints[0].expression: required"},
      {"scheduler: {cluster: c1, placement_constraints: {type: memberOf}}\n" + a,
       "scheduler.placement_constraints: expected a list, got an object"},
      {"scheduler: {cluster: c1, target_group_arn: web}\n" + a,
       "scheduler.target_group_arn: expected a target group ARN, got \"web\""},
      {"scheduler: {cluster: c1, target_group_arn: 'arn:aws:elasticloadbalancing:r:1:targetgroup/"
       "t/1'}\n" +
           a,
       "scheduler.container_port: required"},
      {"scheduler: {cluster: c1, target_group_arn: 'arn:aws:elasticloadbalancing:r:1:targetgroup/"
       "t/1', container_port: 8080}\n" +
           a,
       "scheduler.container_port: 8080 is not a tcp container_port in app.port_mappings"},
      {"scheduler: {cluster: c1, target_group_arn: 'arn:aws:elasticloadbalancing:r:1:targetgroup/"
       "t/1', container_port: 80, container_name: web}\n" +
           a,
       "scheduler.container_name: no container is named \"web\""},
      {"scheduler: {cluster: c1, target_group: 'web_1', container_port: 80}\n" + a,
       "scheduler.target_group: expected a target group name (1-32 letters, digits or '-'), got "
       "\"web_1\""},
      {"scheduler: {cluster: c1, target_group: web, target_group_arn: "
       "'arn:aws:elasticloadbalancing:"
       "r:1:targetgroup/t/1', container_port: 80}\n" +
           a,
       "scheduler.target_group: give target_group or target_group_arn, not both"},
      {"scheduler: {cluster: c1, container_port: 80}\n" + a,
       "scheduler.container_port: needs scheduler.target_group or scheduler.target_group_arn"},
      {"scheduler: {cluster: c1, deployment: {minimum_healthy_percent: 150}}\n" + a,
       "scheduler.deployment.minimum_healthy_percent: must be <= 100, got 150"},
      {"scheduler: {cluster: c1, deployment: {maximum_percent: 50}}\n" + a,
       "scheduler.deployment.maximum_percent: must be >= 100, got 50"},
      {"scheduler: {cluster: c1, deployment: {max: 50}}\n" + a,
       "scheduler.deployment.max: unknown key"},
      {"scheduler: {cluster: c1, group_name: g, autoscaler_group: h}\n" + a,
       "scheduler.autoscaler_group: give scheduler.group_name or this, not both"},
      {"scheduler: {cluster: c1, cpu: -5}\n" + a,
       "scheduler.cpu: expected a positive integer or a string, got -5"},
      {"scheduler: {cluster: c1, network_mode: nat}\n" + a,
       "scheduler.network_mode: expected one of bridge, host, awsvpc, none, got \"nat\""},
      {"scheduler: {cluster: c1, requires_compatibilities: [EC2, LAMBDA]}\n" + a,
       "scheduler.requires_compatibilities[1]: expected one of EC2, FARGATE, EXTERNAL"},
      {s + "app: {memory: 128}", "app.image: required"},
      {s + "app: {image: 7, memory: 128}", "app.image: expected a string, got 7"},
      {s + "app: {image: nginx, memory: lots}",
       "app.memory: expected a positive integer, got \"lots\""},
      {s + "app: {image: nginx, memory: 0}", "app.memory: expected a positive integer, got 0"},
      {s + "app: {image: nginx}",
       "app.memory: required unless app.memory_reservation or scheduler.memory is set"},
      {s + "app: {image: nginx, memory: 128, memory_reservation: 256}",
       "app.memory_reservation: must be <= app.memory (128), got 256"},
      {s + "app: {image: nginx, memory: 128, cpu: -1}", "app.cpu: must be >= 0, got -1"},
      {s + "app: {image: nginx, memory: 128, cpu: true}", "app.cpu: expected an integer, got true"},
      {s + "app: {image: nginx, memory: 128, essential: false}",
       "app.essential: unknown key (the app container is always essential)"},
      {s + "app: {image: nginx, memory: 128, name: 'a b'}", "app.name: expected 1-255 letters"},
      {s + "app: {image: nginx, memory: 128, command: 'run it'}",
       "app.command: expected a list of strings, got \"run it\""},
      {s + "app: {image: nginx, memory: 128, command: [run, [x]]}",
       "app.command[1]: expected a string, got a list"},
      {s + "app: {image: nginx, memory: 128, env: [A]}", "app.env: expected an object, got a list"},
      {s + "app: {image: nginx, memory: 128, env: {A: {b: c}}}",
       "app.env.A: expected a string, got an object"},
      {s + "app: {image: nginx, memory: 128, port_mappings: [{host_port: 80}]}",
       "app.port_mappings[0].container_port: required"},
      {s + "app: {image: nginx, memory: 128, port_mappings: [{container_port: 70000}]}",
       "app.port_mappings[0].container_port: must be <= 65535, got 70000"},
      {s + "app: {image: nginx, memory: 128, port_mappings: [{container_port: 80, host_port: -1}]}",
       "app.port_mappings[0].host_port: must be >= 0, got -1"},
      {s + "app: {image: nginx, memory: 128, port_mappings: [{container_port: 80, protocol: "
           "sctp}]}",
       "app.port_mappings[0].protocol: expected one of tcp, udp, got \"sctp\""},
      {s + "app: {image: nginx, memory: 128, port_mappings: [{container_port: 80, hostPort: 1}]}",
       "app.port_mappings[0].hostPort: unknown key"},
      {s + "app: {image: nginx, memory: 128, port_mappings: [{container_port: 80}, "
           "{container_port: 80}]}",
       "app.port_mappings[1].container_port: 80/tcp is mapped twice"},
      {s + "app: {image: nginx, memory: 128, secrets: [{value_from: /a}]}",
       "app.secrets[0].name: required"},
      {s + "app: {image: nginx, memory: 128, secrets: [{name: A}]}",
       "app.secrets[0].value_from: required"},
      {s + "app: {image: nginx, memory: 128, secrets: [{name: A, value_from: 'arn:aws:s3:::b/k'}]}",
       "app.secrets[0].value_from: expected an SSM parameter ARN"},
      {s + "app: {image: nginx, memory: 128, secrets: [{name: A, value_from: /a, value: x}]}",
       "app.secrets[0].value: unknown key"},
      {s + "app: {image: nginx, memory: 128, secrets: [{name: A, value_from: /a}, {name: A, "
           "value_from: /b}]}",
       "app.secrets[1].name: \"A\" is given twice"},
      {s + "app: {image: nginx, memory: 128, env: {A: x}, secrets: [{name: A, value_from: /a}]}",
       "app.secrets[0].name: \"A\" is also set in app.env"},
      {s + "app: {image: nginx, memory: 128, log_configuration: {options: {}}}",
       "app.log_configuration.log_driver: required"},
      {s + "app: {image: nginx, memory: 128, log_configuration: {log_driver: x, opts: {}}}",
       "app.log_configuration.opts: unknown key"},
      {s + a + "log_configuration: {log_driver: fluentd, options: {tag: [x]}}",
       "log_configuration.options.tag: expected a string, got a list"},
      {s + a + "sidecars: {name: x}", "sidecars: expected a list, got an object"},
      {s + a + "sidecars: [{image: x, memory: 8}]", "sidecars[0].name: required"},
      {s + a + "sidecars: [{name: x, memory: 8}]", "sidecars[0].image: required"},
      {s + a + "sidecars: [{name: x, image: x}]",
       "sidecars[0].memory: required unless sidecars[0].memory_reservation or scheduler.memory"},
      {s + a + "sidecars: [{name: app, image: x, memory: 8}]",
       "sidecars[0].name: \"app\" is already used by app"},
      {s + a + "sidecars: [{name: x, image: x, memory: 8, essential: 1}]",
       "sidecars[0].essential: expected true or false, got 1"},
      {s + a + "sidecars: [{name: x, image: x, memory: 8, memroy: 8}]",
       "sidecars[0].memroy: unknown key"},
  };
  for (const auto& c : cases) {
    auto def = Yaml(c.yaml);
    ASSERT_FALSE(def.ok()) << "accepted:\n" << c.yaml;
    EXPECT_EQ(def.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(def.status().message(), HasSubstr(std::string("src.yaml: ") + c.error)) << "for:\n"
                                                                                        << c.yaml;
  }
}

TEST(DefinitionTest, TaskMemoryMakesContainerMemoryOptional) {
  auto def = Yaml(R"(
scheduler: {cluster: c1, cpu: 1024, memory: "2 GB", network_mode: awsvpc}
app: {image: nginx}
)");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto req = RenderTaskDefinition(*def);
  EXPECT_EQ(req.cpu, "1024");
  EXPECT_EQ(req.memory, "2 GB");
  EXPECT_EQ(req.network_mode, "awsvpc");
  EXPECT_FALSE(req.container_definitions[0].memory.has_value());
}

TEST(DefinitionTest, JsonnetNullMeansAbsentAndFloatsThatAreIntegers) {
  auto def = ParseDefinition(R"({
    scheduler: { cluster: 'c1', desired_count: 6 / 2 },
    app: { image: 'nginx', memory: 128, memory_reservation: null },
  })",
                             DefinitionFormat::kJsonnet, "inline.jsonnet", "inline");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->scheduler.desired_count, 3);
  EXPECT_FALSE(def->app.memory_reservation.has_value());
}

TEST(DefinitionTest, LoadErrors) {
  EXPECT_EQ(LoadDefinition(kTestdata + "nope.yaml").status().code(), StatusCode::kNotFound);
  auto ext = LoadDefinition(kTestdata + "web.toml");
  EXPECT_EQ(ext.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(ext.status().message(), HasSubstr("unknown definition format"));
  auto yaml = Yaml("app: [unclosed");
  EXPECT_EQ(yaml.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(yaml.status().message(), HasSubstr("src.yaml: yaml:"));
  auto json = ParseDefinition("{\"app\": ", DefinitionFormat::kJson, "x.json", "x");
  EXPECT_EQ(json.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(json.status().message(), HasSubstr("x.json: json:"));
}

TEST(DefinitionTest, SameTaskDefinitionIgnoresSetOrder) {
  auto def = LoadDefinition(kTestdata + "web.yaml");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto wanted = RenderTaskDefinition(*def);
  auto current = Registered(wanted, 7);
  std::reverse(current.container_definitions[0].environment.begin(),
               current.container_definitions[0].environment.end());
  std::reverse(current.container_definitions[0].secrets.begin(),
               current.container_definitions[0].secrets.end());
  EXPECT_TRUE(SameTaskDefinition(current, wanted));
  EXPECT_EQ(DiffTaskDefinition(current, wanted), "");

  // Container order, a port mapping, memory, network mode and a log option all matter.
  auto swapped = current;
  std::swap(swapped.container_definitions[0], swapped.container_definitions[1]);
  EXPECT_FALSE(SameTaskDefinition(swapped, wanted));
  auto port = current;
  port.container_definitions[1].port_mappings[0].host_port = 8080;
  EXPECT_FALSE(SameTaskDefinition(port, wanted));
  auto memory = current;
  memory.container_definitions[0].memory_reservation.reset();
  EXPECT_FALSE(SameTaskDefinition(memory, wanted));
  auto mode = current;
  mode.network_mode = "host";
  EXPECT_FALSE(SameTaskDefinition(mode, wanted));
  auto log = current;
  log.container_definitions[0].log_configuration->options["tag"] = "ecs.other";
  EXPECT_FALSE(SameTaskDefinition(log, wanted));
  auto secret = current;
  secret.container_definitions[0].secrets[0].value_from = "/other";
  EXPECT_FALSE(SameTaskDefinition(secret, wanted));
}

TEST(DefinitionTest, DiffIsUnifiedAndReadable) {
  auto def = Yaml(kMinimal);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto current = Registered(RenderTaskDefinition(*def), 3);
  def->app.image = "nginx:1.27";
  def->app.env["MODE"] = "fast";
  auto wanted = RenderTaskDefinition(*def);
  std::string diff = DiffTaskDefinition(current, wanted);
  EXPECT_THAT(diff, ::testing::StartsWith("--- current src:3\n+++ wanted\n@@ -"));
  EXPECT_THAT(diff,
              HasSubstr("\n-      \"image\": \"nginx\",\n+      \"image\": \"nginx:1.27\",\n"));
  EXPECT_THAT(diff, HasSubstr("\n+          \"name\": \"MODE\",\n"));
  EXPECT_THAT(diff, HasSubstr("\n       \"name\": \"app\",\n"));  // context
  EXPECT_THAT(diff, Not(HasSubstr("\"family\"")));                // far from the change: not shown
  // Every body line is context, removal or addition.
  std::istringstream in(diff);
  int plus = 0, minus = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("--- ", 0) == 0 || line.rfind("+++ ", 0) == 0 || line.rfind("@@ ", 0) == 0)
      continue;
    ASSERT_FALSE(line.empty());
    ASSERT_TRUE(line[0] == ' ' || line[0] == '+' || line[0] == '-') << line;
    plus += line[0] == '+';
    minus += line[0] == '-';
  }
  EXPECT_EQ(minus, 2);  // the image line, and "environment": [] becomes a list
  EXPECT_GE(plus, 5);
}

// Registered in the in-process region's ECS model and described back, the rendered definition
// is still the same: a redeploy of an unchanged file registers nothing.
class DefinitionRoundTripTest : public region::EcsTest {};

TEST_F(DefinitionRoundTripTest, SameAfterRegisterAndDescribe) {
  auto def = LoadDefinition(kTestdata + "web.jsonnet", Production());
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto wanted = RenderTaskDefinition(*def);
  auto registered = ecs_->RegisterTaskDefinition(wanted);
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  auto current = ecs_->DescribeTaskDefinition("web");
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  EXPECT_TRUE(SameTaskDefinition(*current, wanted)) << DiffTaskDefinition(*current, wanted);

  def->app.image = "registry.example.com/web:v2";
  auto next = RenderTaskDefinition(*def);
  EXPECT_FALSE(SameTaskDefinition(*current, next));
  EXPECT_THAT(DiffTaskDefinition(*current, next),
              HasSubstr("+      \"image\": \"registry.example.com/web:v2\""));

  // And the service it renders is one the model accepts.
  ASSERT_TRUE(ecs_->CreateCluster("web-cluster", {}).ok());
  Boot("i-1", "us-east-1a", 2, 4096, "web-cluster");
  auto svc = RenderCreateService(*def, registered->task_definition_arn);
  ASSERT_TRUE(svc.ok());
  svc->load_balancers.clear();  // no target group in this model
  auto created = ecs_->CreateService(*svc);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->service_name, "web");
  EXPECT_EQ(created->desired_count, 4);
}

}  // namespace
}  // namespace steady::deploy
