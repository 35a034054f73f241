#pragma once
#include <CLI/CLI.hpp>
namespace vssoff::tools {
void setup_segment(CLI::App& app);
}
