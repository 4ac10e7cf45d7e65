#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"

namespace steady::cli {

void AddVersionCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print steady's version");
  cmd->callback([] { std::printf("steady %s\n", STEADY_VERSION); });
}

}  // namespace steady::cli
