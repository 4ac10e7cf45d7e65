#include <CLI/CLI.hpp>

#include <cstdio>

#include "base/log.h"
#include "base/signals.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  steady::BlockTerminationSignals();
  CLI::App app{"steady: keeps Amazon ECS clusters steady on cheap, interruptible capacity"};
  app.require_subcommand(1);
  app.set_version_flag("--version", STEADY_VERSION);

  steady::cli::GlobalOptions global;
  app.add_option("--config", global.config_file, "steady.yaml to read (default: none)")
      ->envname("STEADY_CONFIG");
  app.add_option("--log-level", global.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--log-format", global.log_format, "text (logfmt) or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.parse_complete_callback([&] {
    steady::LogLevel level;
    if (steady::ParseLogLevel(global.log_level, level)) steady::SetLogLevel(level);
    steady::SetLogFormat(global.log_format == "json" ? steady::LogFormat::kJson
                                                     : steady::LogFormat::kText);
  });

  steady::cli::AddVersionCommand(app);
  steady::cli::AddUpCommand(app, global);
  steady::cli::AddRegionCommand(app, global);
  steady::cli::AddAggregatorCommand(app, global);
  steady::cli::AddExporterCommand(app, global);
  steady::cli::AddTerminatorCommand(app, global);
  steady::cli::AddAutoscalerCommand(app, global);
  steady::cli::AddRouterCommand(app, global);
  steady::cli::AddDeployCommands(app, global);
  steady::cli::AddLogsCommand(app, global);

  CLI11_PARSE(app, argc, argv);
  return 0;
}
