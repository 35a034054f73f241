// Shared by the subcommand files: registration, option parsing helpers, the run wrapper.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "video/frame.h"

namespace vssoff::tools {

// Registers a subcommand whose callback records the invocation (for manifests), sets the
// log prefix and the common options, then calls `run`.
CLI::App* add_subcommand(CLI::App& app, const std::string& name, const std::string& description,
                         std::function<void()> run);

// Parsers that throw UsageError naming the option and value.
void parse_size(const std::string& option, const std::string& text, int* width, int* height);  // "640x360"
video::Rational parse_fps(const std::string& option, const std::string& text);                 // "30", "30000/1001"

// The argv of this process (set by main).
void set_argv(int argc, char** argv);

}  // namespace vssoff::tools
