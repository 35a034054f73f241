#!/usr/bin/env bash
# The unit tests under AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer:
# configures build-asan/ with gcc and -DVSSOFF_SANITIZE=ON, builds everything, and runs
# `ctest -L unit` there. Every report is fatal: -fno-sanitize-recover=all, halt_on_error=1.
#   scripts/sanitize.sh              build and run the unit tests (what CI runs)
#   scripts/sanitize.sh -R Npy       arguments go to ctest
# Covers libvssoff.so and the model plugin libvssoff_nn.so through every unit test, the
# plugin's included: they run against Debian's uninstrumented LibTorch, and LeakSanitizer
# reports none of its allocations, so there are no suppressions. Leaves out the vssoff
# executable and tools/ (no unit test runs them, so they are not built), the cli and slow
# tests, and the inside of LibTorch, FFmpeg, x264 and OpenCV (not instrumented). README,
# Development, "Sanitizers", has the measured time.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${SANITIZE_BUILD_DIR:-build-asan}
scripts/setup.sh --no-build  # gcc's sanitizer runtimes come with g++
if [ ! -f "$BUILD/build.ninja" ]; then
  # -O1 -g1: fast enough, with line numbers in reports; without NDEBUG, so that the assertions
  # in the headers vssoff uses (nlohmann's on a missing key) are checked as well.
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DVSSOFF_SANITIZE=ON >&2
fi
# Also for the build: it runs each test binary to list its tests.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ninja -C "$BUILD" --quiet unit_tests >&2 || ninja -C "$BUILD" unit_tests >&2
cd "$BUILD"
ctest --output-on-failure -j2 -L unit "$@"
