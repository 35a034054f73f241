#include "core/threads.h"

#include <dlfcn.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "core/error.h"

namespace vssoff {

int thread_budget() {
  if (const char* env = std::getenv("VSSOFF_THREADS"); env && *env) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    check<UsageError>(end && *end == '\0' && n >= 1 && n <= 256,
                      "VSSOFF_THREADS must be a whole number in [1, 256] (got \"", env, "\")");
    return static_cast<int>(n);
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

int resolve_threads(int requested) { return requested > 0 ? requested : thread_budget(); }

bool thread_budget_from_environment() {
  const char* env = std::getenv("VSSOFF_THREADS");
  return env && *env;
}

void stop_idle_blas_threads() {
  // OpenBLAS's own shutdown (what it runs at exit); its thread pool restarts on demand.
  using Shutdown = void (*)();
  if (auto shutdown = reinterpret_cast<Shutdown>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_"))) shutdown();
}

}  // namespace vssoff
