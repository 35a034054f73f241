// vssoff: one executable, one subcommand per step. This file only registers the
// subcommands and maps errors to exit codes:
//   0 ok, 1 usage, 2 input or I/O, 3 runtime (see man/vssoff.1).
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <new>

#include "cmd_accmpeg.h"
#include "cmd_encode_roi.h"
#include "cmd_evaluate.h"
#include "cmd_info.h"
#include "cmd_penance.h"
#include "cmd_segment.h"
#include "cmd_synth.h"
#include "cmd_train_model.h"
#include "codec/x264_encoder.h"
#include "common.h"
#include "core/error.h"
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
  tools::set_argv(argc, argv);
  CLI::App app{"vssoff: offload video analytics from cameras to servers", "vssoff"};
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "Exit codes: 0 ok, 1 usage, 2 input or I/O, 3 runtime.\nRun 'vssoff SUBCOMMAND --help' for a subcommand's "
      "options.");
  app.set_config("--config", "", "Read options from an INI/TOML file ([subcommand] sections)");
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

  tools::setup_synth(app);
  tools::setup_encode_roi(app);
  tools::setup_info(app);
  tools::setup_train_model(app);
  tools::setup_segment(app);
  tools::setup_evaluate(app);
  tools::setup_accgrad(app);
  tools::setup_train_cheap_model(app);
  tools::setup_qpmap(app);
  tools::setup_profile(app);
  tools::setup_profile_merge(app);
  tools::setup_train_estimators(app);
  tools::setup_plan(app);

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
    std::cerr << "vssoff " << current_subcommand(app) << ": error: " << e.what() << std::endl;
    return static_cast<int>(ExitCode::kRuntime);
  }
  return 0;
}
