#!/usr/bin/env bash
# The main job on generated data: synthesize a street clip, encode it with a uniform QP and
# with a region QP map (high quality in the middle band), and compare bytes and PSNR inside
# and outside the region; writes the QP heatmap picture. Outputs in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
VSSOFF=${BUILD_DIR:-build}/tools/vssoff
OUT=out/demo
mkdir -p "$OUT"

echo "== synth: 150 frames of the street preset (640x360)" >&2
$VSSOFF synth -o "$OUT/clip" --preset street --frames 150 --seed 7 --preview-every 75 --force

echo "== a region QP map: QP 24 in the street band (rows 9..17), QP 40 elsewhere" >&2
/usr/bin/python3 - "$OUT/roi.npy" <<'PY'
import sys, numpy as np
qp = np.full((1, 23, 40), 40, np.uint8)   # one map for every segment; grid ceil(360/16) x ceil(640/16)
qp[:, 9:18, :] = 24
np.save(sys.argv[1], qp)
PY

echo "== encode: uniform QP 24, uniform QP 40, and the region map" >&2
$VSSOFF encode-roi "$OUT/clip/video.mp4" -o "$OUT/uniform24.mp4" --qp 24 --verify --force
$VSSOFF encode-roi "$OUT/clip/video.mp4" -o "$OUT/uniform40.mp4" --qp 40 --verify --force
$VSSOFF encode-roi "$OUT/clip/video.mp4" -o "$OUT/roi.mp4" --qp-map "$OUT/roi.npy" --verify \
  --heatmap "$OUT/roi_qp.png" --heatmap-frame 75 --force

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, numpy as np
out = sys.argv[1]
inside = np.zeros((23, 40), bool); inside[9:18, :] = True
print(f"{'encode':<12}{'bytes':>10}{'kbit/s':>9}{'PSNR-Y':>9}{'inside':>9}{'outside':>9}{'QPs exact/inherited/wrong':>28}")
for name in ["uniform24", "uniform40", "roi"]:
    m = json.load(open(f"{out}/{name}.mp4.json"))
    v = m["verify"]; by = v["psnr_y_by_qp"]; c = v["qp_check"]
    if name == "roi": ins, outs = by["24"], by["40"]
    else: ins = outs = list(by.values())[0]
    print(f"{name:<12}{m['total_bytes']:>10}{m['bitrate_kbps']:>9.0f}{v['psnr_y']:>9.2f}{ins:>9.2f}{outs:>9.2f}"
          f"{c['exact']:>14}/{c['inherited']}/{c['mismatched']}")
print(f"\nQP heatmap: {out}/roi_qp.png   previews: {out}/clip/preview/")
PY
