#!/usr/bin/env bash
# synth -> encode-roi with per-segment QP maps -> info --qp-out: the decoded bitstream carries
# the requested QPs (the bytes and PSNR of an encode are in the goldens, test_goldens.sh).
source "$(dirname "$0")/lib.sh"
clip=$(small_clip)

expect_exit 0 "" "$PY" - "$clip" <<'PY'
import json, os, sys
clip = sys.argv[1]
m = json.load(open(f"{clip}/manifest.json"))
assert m["format"] == "vssoff.synth" and m["version"] == 1
assert len(os.listdir(f"{clip}/labels")) == 40
coco = json.load(open(f"{clip}/boxes.json"))
assert len(coco["images"]) == 40 and {c["id"] for c in coco["categories"]} == {5, 6}
PY

# Four segments of 10 frames; a 5x6-macroblock region that moves right each segment.
$PY - "$T/map.npy" <<'PY'
import sys, numpy as np
q = np.full((4, 11, 20), 40, np.uint8)
for s in range(4):
    q[s, 3:8, 2 + 3 * s:8 + 3 * s] = 22
np.save(sys.argv[1], q)
PY
expect_exit 0 "" "$VSSOFF" encode-roi "$clip/video.mp4" -o "$T/roi.mp4" --qp-map "$T/map.npy" --segment 10 \
  --recon "$T/recon.y4m" --heatmap "$T/qp.png" --heatmap-frame 12
expect_exit 0 "" "$VSSOFF" info "$T/roi.mp4" --qp-out "$T/qp.npy" --frames-csv "$T/frames.csv"
[ -s "$T/qp.png" ] && ok || fail "no heatmap"

# Independent check with numpy: decoded QP == requested, or inherited from the previous
# macroblock in raster order (no residual); I-frames are nearly all exact.
expect_exit 0 "" "$PY" - "$T" <<'PY'
import csv, json, sys, numpy as np
t = sys.argv[1]
want, got = np.load(f"{t}/map.npy"), np.load(f"{t}/qp.npy")
assert got.shape == (40, 11, 20), got.shape
types = [r["type"] for r in csv.DictReader(open(f"{t}/frames.csv"))]
assert types == (["I"] + ["P"] * 9) * 4, types
exact_i = []
for f in range(40):
    w, g = want[f // 10].ravel(), got[f].ravel()
    prev = np.concatenate([[w.min()], g[:-1]])
    bad = (g != w) & (g != prev)
    assert not bad.any(), f"frame {f}: {bad.sum()} macroblocks with a wrong QP"
    if types[f] == "I":
        exact_i.append((g == w).mean())
assert min(exact_i) > 0.9, exact_i
m = json.load(open(f"{t}/roi.mp4.json"))
assert m["verify"]["qp_check"]["mismatched"] == 0
assert len(m["segment_bytes"]) == 4 and sum(m["frame_bytes"]) == m["total_bytes"]
PY

finish
