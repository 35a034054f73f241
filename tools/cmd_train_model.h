#pragma once
#include <CLI/CLI.hpp>
namespace vssoff::tools {
void setup_train_model(CLI::App& app);
}
