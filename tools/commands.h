// Every subcommand, in the order `vssoff --help` lists them: one line each. A subcommand's
// tools/cmd_*.cc file defines its setup_<name>(CLI::App&), which registers its options and
// calls one library function (common.h's add_subcommand).
#pragma once

#include <CLI/CLI.hpp>

#define VSSOFF_COMMANDS(X) \
  X(synth)                 \
  X(encode_roi)            \
  X(info)                  \
  X(train_model)           \
  X(segment)               \
  X(detect)                \
  X(evaluate)              \
  X(accgrad)               \
  X(train_cheap_model)     \
  X(qpmap)                 \
  X(profile)               \
  X(profile_merge)         \
  X(train_estimators)      \
  X(calibrate)             \
  X(offload_profile)       \
  X(plan)                  \
  X(serve)                 \
  X(link)                  \
  X(replay)                \
  X(fuse)

// The subcommands that run models (LibTorch, through the model plugin). They run with the
// OpenMP wait policy of core/threads.h, set before the process's libraries initialise, so
// main() needs the list before it parses the command line.
#define VSSOFF_MODEL_COMMANDS                                                                                         \
  "train-model", "segment", "detect", "accgrad", "train-cheap-model", "qpmap", "profile", "train-estimators", "plan", \
      "serve", "replay", "offload-profile"

namespace vssoff::tools {
#define VSSOFF_DECLARE_COMMAND(name) void setup_##name(CLI::App& app);
VSSOFF_COMMANDS(VSSOFF_DECLARE_COMMAND)
#undef VSSOFF_DECLARE_COMMAND
}  // namespace vssoff::tools
