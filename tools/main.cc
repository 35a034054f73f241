// vssoff: one executable, one subcommand per step. This file only parses the command line
// (app.h: the subcommands listed in commands.h) and maps errors to exit codes:
//   0 ok, 1 usage, 2 input or I/O, 3 runtime (see man/vssoff.1); SIGINT, SIGTERM and SIGHUP
//   remove the unfinished outputs and end the process by the signal (130, 143, 129).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
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

// The OpenMP wait policy of core/threads.h for subcommands that run models. libgomp reads its
// environment in its own initialiser, before main (FFmpeg's libswresample loads it through
// libsoxr), and libc sets up `environ` only in its initialiser too, so a variable set from
// here would be lost. Instead this re-executes the program with the variable added to its
// environment, from the executable's .preinit_array: after the libraries are loaded but
// before any of them initialises (no threads, no OpenBLAS pool yet), which is the cheapest
// moment. Only libc's plain functions are used; nothing of vssoff's is initialised yet.
void openmp_wait_preinit(int argc, char** argv, char** envp) {
  if (!runs_models(argc, argv)) return;
  size_t n = 0;
  for (; envp[n]; ++n)
    if (std::strncmp(envp[n], "OMP_WAIT_POLICY=", 16) == 0 || std::strncmp(envp[n], "GOMP_SPINCOUNT=", 15) == 0)
      return;  // the user's own setting wins
  // This executable's own path, so that the process keeps its name (ps, pgrep, killall);
  // not when it was started through the dynamic loader (ld-linux.so vssoff ...), which
  // /proc/self/exe would then name.
  static char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return;
  self[len] = '\0';
  const char* base = std::strrchr(self, '/');
  if (std::strncmp(base ? base + 1 : self, "ld-", 3) == 0) return;
  char** env = static_cast<char**>(std::malloc((n + 2) * sizeof(char*)));
  if (!env) return;
  std::memcpy(env, envp, n * sizeof(char*));
  env[n] = const_cast<char*>(vssoff::kOpenMpWaitSetting);  // execve only reads it
  env[n + 1] = nullptr;
  execve(self, argv, env);
  std::free(env);  // could not: carry on with libgomp's defaults
}
[[gnu::section(".preinit_array"), gnu::used]] void (*const preinit_openmp_wait)(int, char**,
                                                                                char**) = openmp_wait_preinit;

}  // namespace

static int run_command(int argc, char** argv) {
  using namespace vssoff;
  stop_idle_blas_threads();
  // An interrupt from here on removes the unfinished outputs (core/fs.h).
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
  if (code != 0) vssoff::cancel_background_hashes();
  vssoff::wait_for_background_hashes();  // before the libraries tear down (core/manifest.h)
  vssoff::end_if_interrupted();          // a graceful stop (serve, link, replay) ends by its signal
  return code;
}
