#pragma once
#include <CLI/CLI.hpp>
namespace vssoff::tools {
void setup_evaluate(CLI::App& app);
}
