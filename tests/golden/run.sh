#!/usr/bin/env bash
# Runs every subcommand on the committed tiny clip (testdata/golden/clip: 32 frames of 192x112,
# four 8-frame segments) with the shipped tiny models, and writes each one's main output,
# reduced to what a change of behaviour would move, as OUT/<subcommand>.json (extract.py).
# compare.py checks them against testdata/golden/ within the tolerances written there.
#   tests/golden/run.sh VSSOFF OUT
# Used by tests/cli/test_goldens.sh and scripts/update_goldens.sh.
set -euo pipefail
VSSOFF=$1
OUT=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
C=$SRC/testdata/golden/clip
M=$SRC/models
W=$OUT/work
PY=/usr/bin/python3
mkdir -p "$W"
v() { "$VSSOFF" -q "$@"; }

# synth: the committed clip again, from the options it records.
v synth -o "$W/synth" --size 192x112 --frames 32 --segment 8 --seed 7 --video-qp 16

# info: frame types, sizes and QPs of the clip's bitstream.
v info "$C/video.mp4" --frames-csv "$W/info_frames.csv" --qp-out "$W/info_qp.npy" > "$W/info.txt"

# encode-roi: constant QP, and a per-segment QP map (a 3x4-macroblock window moving right).
v encode-roi "$C/video.mp4" -o "$W/qp30.mp4" --qp 30 --segment 8 --verify
"$PY" - "$W/map.npy" <<'PY'
import sys, numpy as np
q = np.full((4, 7, 12), 40, np.uint8)
for s in range(4):
    q[s, 2:5, 1 + 3 * s:4 + 3 * s] = 24
np.save(sys.argv[1], q)
PY
v encode-roi "$C/video.mp4" -o "$W/roi.mp4" --qp-map "$W/map.npy" --segment 8 --verify
v info "$W/roi.mp4" --qp-out "$W/roi_qp.npy" > "$W/roi_info.txt"

# segment and evaluate: the tiny model on every frame, scored against the clip's labels.
v segment "$C/video.mp4" -o "$W/seg" --model "$M/segnet-tiny.json" --threads 2
v evaluate "$W/seg" "$C" -o "$W/eval.json"

# AccMPEG: gradients, a QP map from them, a cheap model trained on them, a map from that.
v accgrad "$C/video.mp4" --model "$M/segnet-tiny.json" -o "$W/g.npy" --every 2 --threads 2
v qpmap "$C/video.mp4" -o "$W/map_oracle.npy" --importance "$W/g.npy" --segment-frames 8
v train-cheap-model "$W/g.npy" -o "$W/cheap.json" --epochs 3 --width 4 --threads 1
v qpmap "$C/video.mp4" -o "$W/map_cheap.npy" --cheap-model "$W/cheap.json" --server-model "$M/segnet-tiny.json" \
  --segment-frames 8 --threads 1

# Penance: the configuration table (whole, and from two shards), estimators, plans.
P=(--models "$M/segnet-tiny.json,$M/segnet-w6.json" --qps 27,37 --scales 1,0.5 --segment-frames 8 --acc-frames 2
   --ground-truth "$C" --threads 2)
v profile "$C/video.mp4" -o "$W/table.csv" "${P[@]}"
v profile "$C/video.mp4" -o "$W/s0.csv" "${P[@]}" --shard 0/2
v profile "$C/video.mp4" -o "$W/s1.csv" "${P[@]}" --shard 1/2
v profile-merge "$W/s0.csv" "$W/s1.csv" -o "$W/merged.csv"
v train-estimators "$W/table.csv" -o "$W/est.json" --no-cnn
v plan "$W/table.csv" -o "$W/plan.csv" --estimators "$W/est.json" --trace "$SRC/testdata/traces/steady.csv" \
  --targets 0.3,0.5

# train-model: a few steps of the segmentation trainer from its seed.
v train-model -o "$W/model.json" --width 4 --steps 6 --batch 2 --crop-width 64 --crop-height 48 --render-width 128 \
  --render-height 72 --val-every 3 --val-frames 1 --threads 1

"$PY" "$SRC/tests/golden/extract.py" "$W" "$OUT" "$C"
