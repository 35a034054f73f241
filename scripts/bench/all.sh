#!/usr/bin/env bash
# Every benchmark, one after the other, then the performance table (out/bench/table.md):
# each row with its reference measured in the same run. --readme also writes the table into
# README.md between the "bench-table" markers. RUNS (default 7) timed runs of each side.
#   scripts/bench/all.sh [--readme]
set -euo pipefail
d="$(cd "$(dirname "$0")" && pwd)"
root="$d/../.."
WORK=${WORK:-out/bench}
mkdir -p "$root/$WORK"
export RESULTS="$root/$WORK/results.tsv"
: >"$RESULTS"
for b in b1_encode_roi b2_decode b3_segment b4_cheap_model b12_colocation b13_camera synth_speed startup; do
  bash "$d/$b.sh"
  echo
done
/usr/bin/python3 "$d/table.py" "$RESULTS" >"$root/$WORK/table.md"
cat "$root/$WORK/table.md"
if [ "${1:-}" = "--readme" ]; then
  /usr/bin/python3 - "$root/README.md" "$root/$WORK/table.md" <<'PY'
import sys
readme, table = sys.argv[1], open(sys.argv[2]).read()
text = open(readme).read()
begin, end = "<!-- bench-table: begin -->\n", "<!-- bench-table: end -->\n"
i, j = text.index(begin) + len(begin), text.index(end)
open(readme + ".tmp", "w").write(text[:i] + table + text[j:])
import os; os.replace(readme + ".tmp", readme)
PY
  echo "README.md: performance table updated"
fi
