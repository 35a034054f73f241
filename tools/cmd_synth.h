#pragma once
#include <CLI/CLI.hpp>
namespace vssoff::tools {
void setup_synth(CLI::App& app);
}
