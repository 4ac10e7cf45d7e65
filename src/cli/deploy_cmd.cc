// `steady deploy|rollback|status|remove APP`: an application definition (deploy/definition.h)
// rolled out as an ECS service (deploy/deployer.h). APP is a definition file, or a name looked
// up as NAME.jsonnet, NAME.yaml, NAME.yml or NAME.json in the definitions directory.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "cli/aws_clients.h"
#include "cli/commands.h"
#include "cli/deploy_common.h"
#include "deploy/deployer.h"

namespace steady::cli {

Result<std::string> FindDefinition(const std::string& app, const std::string& dir) {
  namespace fs = std::filesystem;
  if (fs::exists(app) && fs::is_regular_file(app)) return app;
  for (const char* ext : {".jsonnet", ".yaml", ".yml", ".json"}) {
    fs::path p = fs::path(dir) / (app + ext);
    if (fs::exists(p)) return p.string();
  }
  return NotFoundError("no definition for " + app + ": not a file, and no " + app +
                       ".{jsonnet,yaml,yml,json} in " + dir);
}

Result<deploy::AppDefinition> LoadApp(const GlobalOptions& global, const DefinitionFlags& f,
                                      ConfigNode* deploy_section_out) {
  auto config = global.config_file.empty() ? Config::Empty() : Config::LoadFile(global.config_file);
  if (!config.ok()) return config.status();
  ConfigNode sec = config->Section("deploy");
  if (deploy_section_out) *deploy_section_out = sec;
  ASSIGN_OR_RETURN(std::string dir, sec.String("definitions", "."));
  if (!f.definitions.empty()) dir = f.definitions;
  deploy::LoadOptions lo;
  ASSIGN_OR_RETURN(lo.forward_address,
                   sec.String("forward_address", std::string(deploy::kDefaultForwardAddress)));
  if (!f.forward_address.empty()) lo.forward_address = f.forward_address;
  for (const std::string& kv : f.ext_vars) {
    auto eq = kv.find('=');
    if (eq == std::string::npos)
      return InvalidArgumentError("--ext-var " + kv + ": expected NAME=VALUE");
    lo.ext_vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  lo.jsonnet_paths = f.jsonnet_paths;
  ASSIGN_OR_RETURN(std::string path, FindDefinition(f.app, dir));
  return deploy::LoadDefinition(path, lo);
}

void AddDefinitionFlags(CLI::App* cmd, DefinitionFlags& f) {
  cmd->add_option("app", f.app, "the app: a definition file, or a name in the definitions dir")
      ->required();
  cmd->add_option("--definitions", f.definitions,
                  "directory of NAME.jsonnet|yaml|yml|json (default deploy.definitions or .)");
  cmd->add_option("--ext-var,-V", f.ext_vars, "Jsonnet external variable NAME=VALUE (repeatable)");
  cmd->add_option("--jpath,-J", f.jsonnet_paths, "Jsonnet library path (repeatable)");
  cmd->add_option("--forward-address", f.forward_address,
                  "the aggregator the containers log to (default deploy.forward_address)");
  cmd->add_option("--endpoint-url", f.endpoint, "send AWS calls here (e.g. a local region)");
}

[[noreturn]] void FailWith(const char* what, const Status& s, int code) {
  std::fprintf(stderr, "steady %s: %s\n", what, s.ToString().c_str());
  throw CLI::RuntimeError(code);
}

namespace {

struct DeployFlags {
  DefinitionFlags def;
  bool dry_run = false, no_wait = false, no_rollback = false;
  std::string timeout;
};

Result<deploy::DeployOptions> Options(const ConfigNode& sec, const DeployFlags& f) {
  deploy::DeployOptions o;
  ASSIGN_OR_RETURN(std::string timeout, sec.String("rollout_timeout", "10m"));
  if (!f.timeout.empty()) timeout = f.timeout;
  ASSIGN_OR_RETURN(o.rollout_timeout, ParseDuration(timeout));
  ASSIGN_OR_RETURN(std::string rollback, sec.String("rollback_timeout", "10m"));
  ASSIGN_OR_RETURN(o.rollback_timeout, ParseDuration(rollback));
  ASSIGN_OR_RETURN(std::string poll, sec.String("poll_interval", "5s"));
  ASSIGN_OR_RETURN(o.poll_interval, ParseDuration(poll));
  o.dry_run = f.dry_run;
  o.wait = !f.no_wait;
  o.rollback_on_failure = !f.no_rollback;
  return o;
}

void Print(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

enum class Verb { kDeploy, kRollback, kStatus, kRemove };

void Run(const GlobalOptions& global, const DeployFlags& f, Verb verb, const char* name) {
  ConfigNode sec;
  auto def = LoadApp(global, f.def, &sec);
  if (!def.ok()) FailWith(name, def.status(), 2);
  auto o = Options(sec, f);
  if (!o.ok()) FailWith(name, o.status(), 2);
  auto clients = OpenAwsClients(SystemClock::Get(), MetricsRegistry::Default(), f.def.endpoint);
  if (!clients.ok()) FailWith(name, clients.status(), 1);
  deploy::Deployer deployer(*clients->ecs, clients->elbv2.get(), SystemClock::Get(), Print);
  if (verb == Verb::kStatus) {
    auto st = deployer.Describe(*def);
    if (!st.ok()) FailWith(name, st.status(), 1);
    std::fputs(deploy::FormatStatus(*st).c_str(), stdout);
    return;
  }
  if (verb == Verb::kRemove) {
    Status s = deployer.Remove(*def, *o);
    if (!s.ok()) FailWith(name, s, 1);
    return;
  }
  auto r = verb == Verb::kDeploy ? deployer.Deploy(*def, *o) : deployer.Rollback(*def, *o);
  if (!r.ok()) FailWith(name, r.status(), 1);
  if (r->outcome == deploy::DeployOutcome::kDryRun) {
    std::printf("%s: would %s %s%s\n", def->app_id.c_str(),
                r->created ? "create the service with" : "run", r->task_definition.c_str(),
                r->registered ? " (a new revision)" : "");
    for (const auto& c : r->service_changes) std::printf("  %s\n", c.c_str());
    std::fputs(r->diff.c_str(), stdout);
    return;
  }
  std::printf("%s: %s %s%s%s\n", def->app_id.c_str(), deploy::DeployOutcomeName(r->outcome),
              r->task_definition.c_str(), r->failure.empty() ? "" : ": ", r->failure.c_str());
  if (r->outcome == deploy::DeployOutcome::kRolledBack ||
      r->outcome == deploy::DeployOutcome::kFailed)
    throw CLI::RuntimeError(1);
}

}  // namespace

void AddDeployCommands(CLI::App& app, const GlobalOptions& global) {
  static DeployFlags deploy_f, rollback_f, status_f, remove_f;
  auto* deploy = app.add_subcommand(
      "deploy",
      "Register the app's task definition if it changed, create or update its service, "
      "wait for the rollout (rolled back on failure)");
  AddDefinitionFlags(deploy, deploy_f.def);
  deploy->add_flag("--dry-run", deploy_f.dry_run, "print the diff and the changes; change nothing");
  deploy->add_flag("--no-wait", deploy_f.no_wait, "return once the service is updated");
  deploy->add_flag("--no-rollback", deploy_f.no_rollback, "leave a failed rollout as it is");
  deploy->add_option("--timeout", deploy_f.timeout, "rollout timeout (default 10m)");
  deploy->callback([&global] { Run(global, deploy_f, Verb::kDeploy, "deploy"); });

  auto* rollback = app.add_subcommand(
      "rollback", "Run the app's previous task-definition revision and wait for the rollout");
  AddDefinitionFlags(rollback, rollback_f.def);
  rollback->add_flag("--dry-run", rollback_f.dry_run, "say which revision; change nothing");
  rollback->add_flag("--no-wait", rollback_f.no_wait, "return once the service is updated");
  rollback->add_option("--timeout", rollback_f.timeout, "rollout timeout (default 10m)");
  rollback->callback([&global] { Run(global, rollback_f, Verb::kRollback, "rollback"); });

  auto* status = app.add_subcommand(
      "status", "The app's service: deployments, tasks, where they run, target health, events");
  AddDefinitionFlags(status, status_f.def);
  status->callback([&global] { Run(global, status_f, Verb::kStatus, "status"); });

  auto* remove = app.add_subcommand("remove", "Scale the app's service to 0 and delete it");
  AddDefinitionFlags(remove, remove_f.def);
  remove->add_flag("--dry-run", remove_f.dry_run, "say what would go; change nothing");
  remove->add_flag("--no-wait", remove_f.no_wait, "do not wait for the service to be INACTIVE");
  remove->add_option("--timeout", remove_f.timeout, "how long to wait (default 10m)");
  remove->callback([&global] { Run(global, remove_f, Verb::kRemove, "remove"); });

  AddOneshotCommand(app, global);
}

}  // namespace steady::cli
