#!/usr/bin/env bash
# evaluate on synth outputs: the class legend comes from the manifests; a clip against
# itself scores 1; against another seed, less; a subset needs --subset.
source "$(dirname "$0")/lib.sh"
clip=$(small_clip)
"$VSSOFF" -q synth -o "$T/other" --size 320x176 --frames 40 --seed 4

expect_exit 0 "mIoU 1.0000" "$VSSOFF" evaluate "$clip" "$clip" -o "$T/self.json"
grep -qF "vehicle" "$T/stderr" && ok || fail "the class table lacks the legend's names"
expect_exit 0 "" "$VSSOFF" evaluate "$T/other" "$clip" -o "$T/other.json" --segment 10 --segments-csv "$T/seg.csv"
expect_exit 0 "" "$PY" - "$T" <<'PY'
import csv, json, sys
t = sys.argv[1]
r = json.load(open(f"{t}/other.json"))
assert r["format"] == "vssoff.evaluation" and r["params"]["num_classes"] == 8
assert 0 < r["overall"]["miou"] < 0.95, r["overall"]["miou"]
assert len(r["segments"]) == 4 and len(r["frames"]) == 40
assert [row["segment"] for row in csv.DictReader(open(f"{t}/seg.csv"))] == ["0", "1", "2", "3"]
assert json.load(open(f"{t}/self.json"))["overall"]["foreground_accuracy"] == 1.0
PY

mkdir -p "$T/sub" && cp "$clip"/labels/00000[05].png "$T/sub/"
expect_exit 2 "has 2 frames" "$VSSOFF" evaluate "$T/sub" "$clip"
expect_exit 0 "evaluated 2 frames" "$VSSOFF" evaluate "$T/sub" "$clip" --subset
expect_exit 1 "give --classes" "$VSSOFF" evaluate "$T/sub" "$T/sub"
finish
