// What `steady deploy|rollback|status|remove` (deploy_cmd.cc) and `steady oneshot`
// (oneshot_cmd.cc) share: finding and loading an app's definition, and failing with a message.
#pragma once

#include <string>
#include <vector>

#include "base/config.h"
#include "base/status.h"
#include "cli/commands.h"
#include "deploy/definition.h"

namespace CLI {
class App;
}

namespace steady::cli {

struct DefinitionFlags {
  std::string app, definitions, forward_address, endpoint;
  std::vector<std::string> ext_vars, jsonnet_paths;
};

// APP as a file, else NAME.{jsonnet,yaml,yml,json} in `dir`.
Result<std::string> FindDefinition(const std::string& app, const std::string& dir);

// Loads the app named by `f` with the config's `deploy` section (definitions directory,
// forward_address); that section is stored in `deploy_section_out` when given.
Result<deploy::AppDefinition> LoadApp(const GlobalOptions& global, const DefinitionFlags& f,
                                      ConfigNode* deploy_section_out);

// The positional APP and the definition options every app command takes.
void AddDefinitionFlags(CLI::App* cmd, DefinitionFlags& f);

// `steady oneshot` (oneshot_cmd.cc); AddDeployCommands adds it.
void AddOneshotCommand(CLI::App& app, const GlobalOptions& global);

// Prints "steady WHAT: error" and exits the command with `code`.
[[noreturn]] void FailWith(const char* what, const Status& s, int code);

}  // namespace steady::cli
