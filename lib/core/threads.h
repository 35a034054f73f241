// The thread budget: how many threads vssoff's components start, from one number.
//
// Every component that runs threads sizes itself from thread_budget(): LibTorch's intra-op
// (OpenMP) pool, x264's frame threads (x264's own automatic rule applied to the budget: 1.5
// per core, at most one per two macroblock rows), the FFmpeg decoder (at most 16).
// The budget is VSSOFF_THREADS when set, else the CPUs this process may run on (its affinity
// mask: taskset, cpusets), not the machine's core count. A subcommand's --threads overrides
// it for that subcommand's main stage.
//
// OpenMP waiting. libgomp's workers spin for 300000 iterations after each parallel region
// before they sleep. Alone on the cores that is free; beside another busy process it burns
// the other's time slices, and two `segment` runs started together took 5.4x as long as one
// after the other. A subcommand that runs models therefore runs with GOMP_SPINCOUNT=10000
// (spin briefly, then sleep), unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT. libgomp
// reads its environment once, when it is loaded, before main (FFmpeg's libswresample pulls it
// in through libsoxr), so the executable sets the variable from its .preinit_array, which
// runs before every library's initialiser (tools/main.cc). scripts/bench/b12_colocation.sh
// measures the effect.
#pragma once

namespace vssoff {

// Threads a component may start: VSSOFF_THREADS if set (UsageError unless 1..256), else
// the CPUs in this process's affinity mask (at least 1).
int thread_budget();

// requested > 0 ? requested : thread_budget().
int resolve_threads(int requested);

// Whether the budget comes from VSSOFF_THREADS (not from the affinity mask).
bool thread_budget_from_environment();

// The environment setting subcommands that run models get (tools/main.cc).
constexpr const char* kOpenMpWaitSetting = "GOMP_SPINCOUNT=10000";

// OpenBLAS (the BLAS that OpenCV and LibTorch link) starts a worker per core when it is
// loaded, and each spins for about 0.1 s of CPU before it sleeps: in every process, beside
// the work. This ends those workers; a later BLAS call starts them again. Without OpenBLAS
// (another libblas alternative) it does nothing.
void stop_idle_blas_threads();

}  // namespace vssoff
