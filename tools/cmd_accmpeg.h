#pragma once
#include <CLI/CLI.hpp>
namespace vssoff::tools {
void setup_accgrad(CLI::App& app);
void setup_train_cheap_model(CLI::App& app);
void setup_qpmap(CLI::App& app);
}  // namespace vssoff::tools
