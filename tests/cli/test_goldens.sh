#!/usr/bin/env bash
# Regression goldens: every subcommand on the committed tiny clip (testdata/golden/clip) with
# the shipped tiny models, its main output reduced to a record (tests/golden/extract.py) and
# compared with testdata/golden/<subcommand>.json within the tolerances written there. A change
# of behaviour shows as the paths that moved, golden value and new value side by side.
# After an intended change: scripts/update_goldens.sh (rewrites them and says what changed).
source "$(dirname "$0")/lib.sh"
bash "$VSSOFF_SOURCE_DIR/tests/golden/run.sh" "$VSSOFF" "$T/new" 2>"$T/run.log" || {
  fail "tests/golden/run.sh failed"; tail -20 "$T/run.log" >&2; }
if "$PY" "$VSSOFF_SOURCE_DIR/tests/golden/compare.py" "$T/new" "$VSSOFF_SOURCE_DIR/testdata/golden" >"$T/compare.txt"; then
  ok
else
  fail "outputs differ from the goldens (scripts/update_goldens.sh if the change is intended):"
  sed 's/^/  | /' "$T/compare.txt" >&2
fi
# The comparison itself: a value out of tolerance, and one moved within it, are told apart.
mkdir -p "$T/fake"
"$PY" - "$VSSOFF_SOURCE_DIR/testdata/golden/evaluate.json" "$T/fake/evaluate.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["values"]["miou"] += 0.001          # within its tolerance (0.003)
r["values"]["pixel_accuracy"] -= 0.01  # out of it
json.dump(r, open(sys.argv[2], "w"))
PY
mkdir -p "$T/g" && cp "$VSSOFF_SOURCE_DIR/testdata/golden/evaluate.json" "$T/g/"
expect_exit 1 "" "$PY" "$VSSOFF_SOURCE_DIR/tests/golden/compare.py" "$T/fake" "$T/g"
grep -q "pixel_accuracy: 1 of 1 out of tolerance" "$T/stdout" && grep -q "1 value(s) moved within tolerance" "$T/stdout" &&
  ! grep -q "miou: " "$T/stdout" && ok || { fail "compare.py misreports"; cat "$T/stdout" >&2; }
finish
