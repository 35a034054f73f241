// The vssoff command line: every subcommand (commands.h), the options common to all of them,
// and --config. main.cc parses argv with it; the config fuzz target (tests/fuzz) parses config
// files with the same app, so that both read a file the same way.
#pragma once

#include <CLI/CLI.hpp>

namespace vssoff::tools {

// Registers everything on `app`. A key in a --config file that is no option of its section
// is a CLI::ConfigError naming it (config_extras_mode::error, inherited by the subcommands).
void setup_app(CLI::App& app);

}  // namespace vssoff::tools
