#!/usr/bin/env bash
# The main job on generated data and the shipped models: synthesize a street clip, encode it
# with uniform QPs, with a hand-made region QP map (high quality in the street band) and with
# AccMPEG's QP maps from the shipped cheap model; compare bytes and PSNR inside and outside
# the regions; then segment every version with the shipped server model (models/segnet-w24)
# and score it against the ground truth; then Penance's per-segment choice of server model and
# compression for the clip under a bandwidth trace, against the oracle. Writes QP and
# importance heatmaps and segmentation overlays. Outputs in out/demo/.
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

echo "== AccMPEG: the shipped cheap model picks the macroblocks that matter to segnet-w24; QP 30 there, 40 elsewhere" >&2
$VSSOFF encode-roi "$OUT/clip/video.mp4" -o "$OUT/uniform30.mp4" --qp 30 --segment 10 --verify --force
$VSSOFF qpmap "$OUT/clip/video.mp4" -o "$OUT/accmpeg.npy" --cheap-model models/accmpeg-cheap-w24.json \
  --server-model models/segnet-w24.json --segment-frames 10 --top 20 --dilate 1 --qp-hi 30 --qp-lo 40 \
  --heatmap "$OUT/accmpeg_qp.png" --importance-heatmap "$OUT/accmpeg_importance.png" --heatmap-segment 7 --force
$VSSOFF encode-roi "$OUT/clip/video.mp4" -o "$OUT/accmpeg.mp4" --qp-map "$OUT/accmpeg.npy" --segment 10 --verify --force

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, numpy as np
out = sys.argv[1]
inside = np.zeros((23, 40), bool); inside[9:18, :] = True
print(f"{'encode':<12}{'bytes':>10}{'kbit/s':>9}{'PSNR-Y':>9}{'inside':>9}{'outside':>9}{'QPs exact/inherited/wrong':>28}")
for name in ["uniform24", "uniform30", "uniform40", "roi", "accmpeg"]:
    m = json.load(open(f"{out}/{name}.mp4.json"))
    v = m["verify"]; by = v["psnr_y_by_qp"]; c = v["qp_check"]
    if name == "roi": ins, outs = by["24"], by["40"]
    elif name == "accmpeg": ins, outs = by["30"], by["40"]
    else: ins = outs = list(by.values())[0]
    print(f"{name:<12}{m['total_bytes']:>10}{m['bitrate_kbps']:>9.0f}{v['psnr_y']:>9.2f}{ins:>9.2f}{outs:>9.2f}"
          f"{c['exact']:>14}/{c['inherited']}/{c['mismatched']}")
PY

echo "== segment the original and each encode with models/segnet-w24 (every 5th frame), score against ground truth" >&2
MODEL=models/segnet-w24.json
for name in original uniform24 uniform30 uniform40 roi accmpeg; do
  src="$OUT/$name.mp4"; [ "$name" = original ] && src="$OUT/clip/video.mp4"
  $VSSOFF -q segment "$src" -o "$OUT/seg_$name" --model "$MODEL" --every 5 --overlay-every 10 --force
  $VSSOFF -q evaluate "$OUT/seg_$name" "$OUT/clip" --subset -o "$OUT/eval_$name.json" --force
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
print(f"\n{'segmented':<12}{'bytes':>10}{'mIoU':>8}{'pixel acc':>11}{'vehicle+person acc':>20}")
for name in ["original", "uniform24", "uniform30", "uniform40", "roi", "accmpeg"]:
    e = json.load(open(f"{out}/eval_{name}.json"))["overall"]
    size = "-" if name == "original" else json.load(open(f"{out}/{name}.mp4.json"))["total_bytes"]
    print(f"{name:<12}{size:>10}{e['miou']:>8.3f}{e['pixel_accuracy']:>11.3f}{e['foreground_accuracy']:>20.3f}")
PY

echo "== Penance: the clip's configuration table (4 models x 4 QPs x 3 scales, 1-s segments), then per-segment" >&2
echo "   choices under the lte-walk trace with the shipped estimators (models/penance-estimators.json)" >&2
$VSSOFF -q profile "$OUT/clip/video.mp4" -o "$OUT/table.csv" --force --segment-frames 30 --acc-frames 2 \
  --models models/segnet-w6.json,models/segnet-w10.json,models/segnet-w16.json,models/segnet-w24.json \
  --qps 24,30,36,42 --scales 1,0.75,0.5
$VSSOFF plan "$OUT/table.csv" --estimators models/penance-estimators.json --trace testdata/traces/lte-walk.csv \
  --targets 0.8 --policies penance,oracle,static,bandwidth,largest,chameleon -o "$OUT/plan.csv" --force

echo "== Replay: AccMPEG live, camera, link and server as three processes over loopback TCP, the clip in real" >&2
echo "   time through the lte-walk trace with 20 ms each way (vssoff replay --spawn-server --spawn-link)" >&2
$VSSOFF -q replay "$OUT/clip/video.mp4" -o "$OUT/replay.csv" --system accmpeg --server-model "$MODEL" \
  --cheap-model models/accmpeg-cheap-w24.json --ground-truth "$OUT/clip" --spawn-server --spawn-link \
  --up-trace testdata/traces/lte-walk.csv --delay-ms 20 --plot "$OUT/replay.png" --force
/usr/bin/python3 - "$OUT" <<'PY'
import csv, json, sys
out = sys.argv[1]
print(f"\n{'segment':<9}{'bytes':>8}{'camera ms':>11}{'upload s':>10}{'server ms':>11}{'delay s':>9}{'mIoU':>8}")
for r in csv.DictReader(open(f"{out}/replay.csv")):
    print(f"{r['segment']:<9}{r['bytes']:>8}{float(r['encode_ms']):>11.0f}{float(r['upload_s']):>10.2f}"
          f"{float(r['serve_ms']):>11.0f}{float(r['delay_s']):>9.2f}{float(r['accuracy']):>8.3f}")
t = json.load(open(f"{out}/replay.csv.json"))["totals"]
print(f"delay per segment: mean {t['segment_delay_s']['mean']:.2f} s, p95 {t['segment_delay_s']['p95']:.2f} s; "
      f"mIoU {t['accuracy']['mean']:.3f} +- {t['accuracy']['ci95']:.3f}")
PY

/usr/bin/python3 - "$OUT" <<'PY'
import sys
out = sys.argv[1]
print(f"\nQP heatmaps: {out}/roi_qp.png {out}/accmpeg_qp.png   importance: {out}/accmpeg_importance.png")
print(f"overlays: {out}/seg_accmpeg/overlay/   previews: {out}/clip/preview/   Penance plan: {out}/plan.csv")
print(f"replay: {out}/replay.csv (per segment), {out}/replay.png (bytes, delay, accuracy over time)")
print("The full comparisons: scripts/accmpeg_eval.sh (AccMPEG, B5) and scripts/penance_eval.sh (Penance, B6).")
PY
