// vssoff: one executable, one subcommand per step. This file only registers the
// subcommands (listed in commands.h) and maps errors to exit codes:
//   0 ok, 1 usage, 2 input or I/O, 3 runtime (see man/vssoff.1); SIGINT, SIGTERM and SIGHUP
//   remove the unfinished outputs and end the process by the signal (130, 143, 129).
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <new>

#include "codec/x264_encoder.h"
#include "commands.h"
#include "common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/version.h"
#include "nn/runtime.h"
#include "video/versions.h"

namespace {

std::string version_text() {
  using namespace vssoff;
  return cat("vssoff ", vssoff_version(), " (commit ", git_commit(), ")\n", "  ", video::ffmpeg_versions(), "\n",
             "  x264 ", codec::x264_version(), "\n", "  LibTorch ", nn::torch_version(), "\n", "  OpenCV ",
             video::opencv_version(), "\n");
}

std::string current_subcommand(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) return sub->get_name();
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vssoff;
  // First: an interrupt from here on removes the unfinished outputs (core/fs.h).
  install_interrupt_cleanup();
  tools::set_argv(argc, argv);
  CLI::App app{"vssoff: offload video analytics from cameras to servers", "vssoff"};
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

#define VSSOFF_SETUP_COMMAND(name) tools::setup_##name(app);
  VSSOFF_COMMANDS(VSSOFF_SETUP_COMMAND)
#undef VSSOFF_SETUP_COMMAND

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // also --help and --help-all (CallForHelp derives from it)
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return static_cast<int>(ExitCode::kUsage);
  } catch (const Error& e) {
    std::string sub = current_subcommand(app);
    std::cerr << "vssoff" << (sub.empty() ? "" : " " + sub) << ": error: " << e.what() << std::endl;
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    std::cerr << "vssoff " << current_subcommand(app) << ": error: out of memory" << std::endl;
    return static_cast<int>(ExitCode::kRuntime);
  } catch (const std::exception& e) {
    // Only the first line: a LibTorch error's what() goes on with a stack trace.
    const std::string what = e.what();
    std::cerr << "vssoff " << current_subcommand(app) << ": error: " << what.substr(0, what.find('\n')) << std::endl;
    return static_cast<int>(ExitCode::kRuntime);
  }
  return 0;
}
