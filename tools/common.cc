#include "common.h"

#include <cstdlib>

#include "core/error.h"
#include "core/log.h"
#include "core/manifest.h"
#include "core/threads.h"

namespace vssoff::tools {
namespace {
std::vector<std::string> g_argv;
}

void set_argv(int argc, char** argv) { g_argv.assign(argv, argv + argc); }

CLI::App* add_subcommand(CLI::App& app, const std::string& name, const std::string& description,
                         std::function<void()> run) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->callback([name, run = std::move(run)] {
    set_invocation(name, g_argv);
    set_log_prefix("vssoff " + name);
    thread_budget();  // a bad VSSOFF_THREADS is a usage error before any work (--help still works)
    run();
  });
  return sub;
}

void parse_size(const std::string& option, const std::string& text, int* width, int* height) {
  char* end = nullptr;
  long w = std::strtol(text.c_str(), &end, 10);
  long h = (end && *end == 'x') ? std::strtol(end + 1, &end, 10) : -1;
  check<UsageError>(end && *end == '\0' && w > 0 && h > 0, option, " must be WIDTHxHEIGHT, e.g. 640x360 (got \"", text,
                    "\")");
  *width = static_cast<int>(w);
  *height = static_cast<int>(h);
}

video::Rational parse_fps(const std::string& option, const std::string& text) {
  char* end = nullptr;
  long num = std::strtol(text.c_str(), &end, 10), den = 1;
  if (end && *end == '/') den = std::strtol(end + 1, &end, 10);
  check<UsageError>(end && *end == '\0' && num > 0 && den > 0, option,
                    " must be a frame rate such as 30 or 30000/1001 (got \"", text, "\")");
  return {static_cast<int>(num), static_cast<int>(den)};
}

}  // namespace vssoff::tools
