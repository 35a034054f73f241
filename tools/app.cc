#include "app.h"

#include <iostream>

#include "codec/x264_encoder.h"
#include "commands.h"
#include "core/error.h"
#include "core/log.h"
#include "core/version.h"
#include "nn/runtime.h"
#include "video/versions.h"

namespace vssoff::tools {
namespace {

std::string version_text() {
  return cat("vssoff ", vssoff_version(), " (commit ", git_commit(), ")\n", "  ", video::ffmpeg_versions(), "\n",
             "  x264 ", codec::x264_version(), "\n", "  LibTorch ", nn::torch_version(), "\n", "  OpenCV ",
             video::opencv_version(), "\n");
}

}  // namespace

void setup_app(CLI::App& app) {
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "Exit codes: 0 ok, 1 usage, 2 input or I/O, 3 runtime; 130, 143, 129 interrupted (SIGINT, SIGTERM, SIGHUP).\n"
      "Run 'vssoff SUBCOMMAND --help' for a subcommand's options.");
  app.set_config("--config", "", "Read options from an INI/TOML file ([subcommand] sections)");
  // An unknown key in a config file (a typo such as "farmes") is a usage error naming it;
  // subcommands created below inherit the setting.
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_flag_callback(
      "--version",
      [] {
        std::cout << version_text();
        throw CLI::Success();
      },
      "Print the versions of vssoff and its libraries");
  app.add_flag_callback(
      "-q,--quiet", [] { set_log_level(LogLevel::kQuiet); }, "Only warnings and errors on stderr");
  app.add_flag_callback(
      "-v,--verbose", [] { set_log_level(LogLevel::kDebug); }, "Debug messages on stderr");

#define VSSOFF_SETUP_COMMAND(name) setup_##name(app);
  VSSOFF_COMMANDS(VSSOFF_SETUP_COMMAND)
#undef VSSOFF_SETUP_COMMAND
}

}  // namespace vssoff::tools
