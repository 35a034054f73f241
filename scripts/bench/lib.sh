# Shared by the benchmark drivers: alternate two commands (A B A B ...) after a warm-up of
# each, and report min / median / max seconds and the median ratio, with the machine.
# With RESULTS=FILE set (scripts/bench/all.sh sets it), each comparison also appends one
# tab-separated row: id, label A, min/median/max A, label B, min/median/max B, ratio, note.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
scripts/setup.sh --eval
VSSOFF=$PWD/${BUILD_DIR:-build}/tools/vssoff
RUNS=${RUNS:-7}
WORK=${WORK:-out/bench}
mkdir -p "$WORK"

seconds() {  # seconds COMMAND...: wall time of one run, output discarded; a failed run ends the benchmark
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "benchmark command failed: $*" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

machine() {
  echo "machine: $(lscpu | sed -n 's/^Model name:\s*//p' | head -1), $(nproc) cores; $(date -u +%Y-%m-%d)"
}

# One CPU-bound process beside the benchmark (a busy loop on any core), for the "loaded"
# rows: start_load, then stop_load. The loop is a child of this shell, stopped on exit.
LOAD_PID=
start_load() {
  bash -c 'while :; do :; done' &
  LOAD_PID=$!
  trap stop_load EXIT
}
stop_load() {
  if [ -n "$LOAD_PID" ]; then kill "$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; fi
  LOAD_PID=
}

# record ID LABEL_A "MIN MED MAX" LABEL_B "MIN MED MAX" RATIO NOTE: one row into RESULTS.
record() {
  [ -n "${RESULTS:-}" ] || return 0
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

# compare NAME "A label" "B label" A_COMMAND -- B_COMMAND
# Prints a table; RATIO is median(B) / median(A): above 1 means A is faster. NOTE (the
# environment variable) goes into the recorded row, e.g. NOTE=loaded.
compare() {
  local name=$1 la=$2 lb=$3
  shift 3
  local a=() b=()
  while [ "$1" != "--" ]; do a+=("$1"); shift; done
  shift
  b=("$@")
  seconds "${a[@]}" >/dev/null || exit 1
  seconds "${b[@]}" >/dev/null || exit 1  # warm-up
  local ta=() tb=()
  for ((i = 0; i < RUNS; i++)); do
    ta+=("$(seconds "${a[@]}")") || exit 1
    tb+=("$(seconds "${b[@]}")") || exit 1
  done
  local out
  out=$(/usr/bin/python3 - "$name" "$la" "$lb" "${ta[*]}" "${tb[*]}" <<'PY'
import statistics as st, sys
name, la, lb, ta, tb = sys.argv[1:]
ta, tb = [float(x) for x in ta.split()], [float(x) for x in tb.split()]
for label, t in ((la, ta), (lb, tb)):
    print(f"  {label:<28} min {min(t):7.3f} s   median {st.median(t):7.3f} s   max {max(t):7.3f} s   ({len(t)} runs)")
print(f"  {name}: median ratio ({lb}) / ({la}) = {st.median(tb) / st.median(ta):.3f}")
print(f"#\t{min(ta):.3f} {st.median(ta):.3f} {max(ta):.3f}\t{min(tb):.3f} {st.median(tb):.3f} {max(tb):.3f}\t{st.median(tb) / st.median(ta):.3f}")
PY
)
  grep -v '^#' <<<"$out"
  local row sa sb ratio
  row=$(grep '^#' <<<"$out")
  IFS=$'\t' read -r _ sa sb ratio <<<"$row"
  record "$name" "$la" "$sa" "$lb" "$sb" "$ratio" "${NOTE:-}"
}
