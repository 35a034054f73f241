#pragma once
#include <CLI/CLI.hpp>
namespace vssoff::tools {
void setup_profile(CLI::App& app);
void setup_profile_merge(CLI::App& app);
void setup_train_estimators(CLI::App& app);
void setup_plan(CLI::App& app);
}  // namespace vssoff::tools
