#!/usr/bin/env bash
# The shipped tiny model (models/segnet-tiny) on a synthetic clip against the committed
# golden: mIoU and pixel accuracy against the ground truth, and the mean top-1 probability,
# within tolerances that allow for other BLAS and thread counts, not for a broken model.
# Regenerate after an intended change: UPDATE_GOLDEN=1 bash tests/cli/test_tiny_model.sh
source "$(dirname "$0")/lib.sh"
golden="$VSSOFF_SOURCE_DIR/testdata/golden/tiny_model.json"
clip=$(small_clip)
expect_exit 0 "" "$VSSOFF" segment "$clip/video.mp4" -o "$T/seg" --model "$VSSOFF_SOURCE_DIR/models/segnet-tiny.json" --threads 2
expect_exit 0 "" "$VSSOFF" evaluate "$T/seg" "$clip" -o "$T/eval.json"
"$PY" - "$T" >"$T/result.json" <<'PY'
import csv, json, sys
t = sys.argv[1]
o = json.load(open(f"{t}/eval.json"))["overall"]
rows = list(csv.DictReader(open(f"{t}/seg/stats.csv")))
print(json.dumps({"miou": o["miou"], "pixel_accuracy": o["pixel_accuracy"],
                  "mean_max_prob": sum(float(r["mean_max_prob"]) for r in rows) / len(rows)}, indent=2))
PY
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$T/result.json" "$golden"; echo "updated $golden"; fi
expect_exit 0 "" "$PY" - "$T/result.json" "$golden" <<'PY'
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ("miou", "pixel_accuracy", "mean_max_prob"):
    assert abs(got[k] - want[k]) < 0.01, f"{k}: {got[k]:.4f}, golden {want[k]:.4f}"
assert want["miou"] > 0.3, "the tiny model should do better than chance"
PY
finish
