// vssoff: one executable, one subcommand per step. This file only parses the command line
// (app.h: the subcommands listed in commands.h) and maps errors to exit codes:
//   0 ok, 1 usage, 2 input or I/O, 3 runtime (see man/vssoff.1); SIGINT, SIGTERM and SIGHUP
//   remove the unfinished outputs and end the process by the signal (130, 143, 129).
#include <CLI/CLI.hpp>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>

#include "app.h"
#include "commands.h"
#include "common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/manifest.h"
#include "core/threads.h"

namespace {

std::string current_subcommand(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) return sub->get_name();
  return "";
}

// The subcommand named on the command line, before parsing: the first word that is not an
// option (nor --config's file name).
bool runs_models(int argc, char** argv) {
  static const char* const kModelCommands[] = {VSSOFF_MODEL_COMMANDS};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0) {
      ++i;
      continue;
    }
    if (argv[i][0] == '-') continue;
    for (const char* name : kModelCommands)
      if (std::strcmp(argv[i], name) == 0) return true;
    return false;
  }
  return false;
}

}  // namespace

static int run_command(int argc, char** argv) {
  using namespace vssoff;
  // Before anything else: may re-execute this program once with the OpenMP wait policy set.
  if (runs_models(argc, argv)) adopt_openmp_wait_policy(argv);
  stop_idle_blas_threads();
  // First: an interrupt from here on removes the unfinished outputs (core/fs.h).
  install_interrupt_cleanup();
  tools::set_argv(argc, argv);
  CLI::App app{"vssoff: offload video analytics from cameras to servers", "vssoff"};
  tools::setup_app(app);

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

int main(int argc, char** argv) {
  const int code = run_command(argc, argv);
  vssoff::wait_for_background_hashes();  // before the libraries tear down (core/manifest.h)
  return code;
}
