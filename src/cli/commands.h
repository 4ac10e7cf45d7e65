// Each subcommand registers itself on the root app; main() only builds the app and runs it.
// CLI11 stays out of this header: subcommands receive an opaque App pointer.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace steady::cli {

// Options every subcommand shares (--config, --log-level, --log-format).
struct GlobalOptions {
  std::string config_file;
  std::string log_level = "info";
  std::string log_format = "text";
};

void AddVersionCommand(CLI::App& app);
void AddUpCommand(CLI::App& app, const GlobalOptions& global);
void AddRegionCommand(CLI::App& app, const GlobalOptions& global);
void AddAggregatorCommand(CLI::App& app, const GlobalOptions& global);
void AddExporterCommand(CLI::App& app, const GlobalOptions& global);
void AddTerminatorCommand(CLI::App& app, const GlobalOptions& global);
void AddAutoscalerCommand(CLI::App& app, const GlobalOptions& global);
void AddRouterCommand(CLI::App& app, const GlobalOptions& global);
// `steady deploy`, `rollback`, `status`, `remove` (deploy_cmd.cc) and `oneshot` (oneshot_cmd.cc).
void AddDeployCommands(CLI::App& app, const GlobalOptions& global);
// `steady logs` with tail and grep (logs_cmd.cc), which calls AddLogsSqlCommands for sql and
// catalog (logs_sql_cmd.cc).
void AddLogsCommand(CLI::App& app, const GlobalOptions& global);
void AddLogsSqlCommands(CLI::App& logs, const GlobalOptions& global);

}  // namespace steady::cli
