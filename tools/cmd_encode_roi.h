#pragma once
#include <CLI/CLI.hpp>
namespace vssoff::tools {
void setup_encode_roi(CLI::App& app);
}
