#!/usr/bin/env bash
# Fuzzes every reader of outside input (tests/fuzz) under AddressSanitizer and
# UndefinedBehaviorSanitizer with libFuzzer, from the seed corpora in testdata/fuzz/<target>/
# (the project's own outputs, and every input that once crashed a reader).
#   scripts/fuzz.sh                  20 s per target (what CI runs)
#   scripts/fuzz.sh 600              a long run: 10 minutes per target
#   TARGETS="npy csv" scripts/fuzz.sh 60
#   RUNS=1000000 scripts/fuzz.sh     a fixed number of executions per target instead of a time
# Findings are written to out/fuzz/<target>/ (crash-*, leak-*, timeout-*); the script fails
# when a target finds one. Executions and seconds per target are printed as each ends.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-20}
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
TARGETS=${TARGETS:-npy csv trace coco modelcard estimators qpmap accgrad profile partial labels config message calibrator offload}
RUNS=${RUNS:-}
scripts/setup.sh --fuzz --no-build  # the fuzzing build needs no build/
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVSSOFF_FUZZ=ON >&2
fi
# shellcheck disable=SC2086
ninja -C "$BUILD" --quiet $(printf 'fuzz_%s ' $TARGETS) >&2
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1
# The targets write every input to files: in memory where there is a tmpfs, which makes them
# several times faster than on a disk that other jobs keep busy.
if [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
limit=-max_total_time=$SECONDS_PER_TARGET
[ -z "$RUNS" ] || limit=-runs=$RUNS
status=0
for t in $TARGETS; do
  out=out/fuzz/$t
  mkdir -p "$out/corpus"
  log=$out/log.txt
  start=$(date +%s.%N)
  # Seeds first (any seed that crashes fails at once), then new inputs into out/fuzz/<t>/corpus.
  if "$BUILD/tests/fuzz/fuzz_$t" "$limit" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -artifact_prefix="$out/" -print_final_stats=1 "$out/corpus" "testdata/fuzz/$t" \
      > "$log" 2>&1; then
    seconds=$(echo "$start $(date +%s.%N)" | awk '{printf "%.0f", $2 - $1}')
    echo "fuzz $t: $(sed -n 's/^stat::number_of_executed_units: *//p' "$log") executions in $seconds s, no finding"
  else
    echo "fuzz $t: FINDING (see $log and $out/)" >&2
    tail -30 "$log" >&2
    status=1
  fi
done
exit $status
