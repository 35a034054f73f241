# Shared by the benchmark drivers: alternate two commands (A B A B ...) after a warm-up of
# each, and report min / median / max seconds and the median ratio, with the machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
scripts/setup.sh --eval
VSSOFF=$PWD/${BUILD_DIR:-build}/tools/vssoff
RUNS=${RUNS:-7}
WORK=${WORK:-out/bench}
mkdir -p "$WORK"

seconds() {  # seconds COMMAND...: wall time of one run, output discarded
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

machine() {
  echo "machine: $(lscpu | sed -n 's/^Model name:\s*//p' | head -1), $(nproc) cores; $(date -u +%Y-%m-%d)"
}

# compare NAME "A label" "B label" A_COMMAND -- B_COMMAND
# Prints a table; RATIO is median(B) / median(A): above 1 means A is faster.
compare() {
  local name=$1 la=$2 lb=$3
  shift 3
  local a=() b=()
  while [ "$1" != "--" ]; do a+=("$1"); shift; done
  shift
  b=("$@")
  seconds "${a[@]}" >/dev/null; seconds "${b[@]}" >/dev/null  # warm-up
  local ta=() tb=()
  for ((i = 0; i < RUNS; i++)); do
    ta+=("$(seconds "${a[@]}")")
    tb+=("$(seconds "${b[@]}")")
  done
  /usr/bin/python3 - "$name" "$la" "$lb" "${ta[*]}" "${tb[*]}" <<'PY'
import statistics as st, sys
name, la, lb, ta, tb = sys.argv[1:]
ta, tb = [float(x) for x in ta.split()], [float(x) for x in tb.split()]
for label, t in ((la, ta), (lb, tb)):
    print(f"  {label:<28} min {min(t):7.3f} s   median {st.median(t):7.3f} s   max {max(t):7.3f} s   ({len(t)} runs)")
print(f"  {name}: median ratio ({lb}) / ({la}) = {st.median(tb) / st.median(ta):.3f}")
PY
}
