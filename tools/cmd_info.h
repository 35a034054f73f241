#pragma once
#include <CLI/CLI.hpp>
namespace vssoff::tools {
void setup_info(CLI::App& app);
}
