#!/usr/bin/env bash
# B1: encode-roi with a non-trivial per-segment QP map against the x264 command line at the
# same preset with a uniform QP, same raw input (.y4m, so decoding costs nothing on either
# side), same threads (x264's automatic choice), same GOP and no B-frames.
# Target: throughput ratio vssoff / x264 >= 0.95, i.e. time(x264) / time(vssoff) >= 0.95.
source "$(dirname "$0")/lib.sh"
PRESET=${PRESET:-veryfast}
clip=$WORK/b1_clip
[ -f "$clip/video.mp4" ] || $VSSOFF -q synth -o "$clip" --frames 300 --seed 11 --force
[ -f "$WORK/b1.y4m" ] || ffmpeg -loglevel error -y -i "$clip/video.mp4" -pix_fmt yuv420p "$WORK/b1.y4m"
# Ten segment maps of random blobs: QP 24 in about a third of the macroblocks, 40 elsewhere.
/usr/bin/python3 - "$WORK/b1_map.npy" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(1)
q = np.full((10, 23, 40), 40, np.uint8)
for s in range(10):
    for _ in range(6):
        r, c = rng.integers(0, 23), rng.integers(0, 40)
        q[s, max(0, r - 3):r + 3, max(0, c - 4):c + 4] = 24
np.save(sys.argv[1], q)
PY
echo "B1 encode-roi vs x264 CLI, 640x360, 300 frames, preset $PRESET; $(machine)"
echo "  x264 $(x264 --version 2>/dev/null | head -1)"
compare B1 "vssoff encode-roi (QP map)" "x264 CLI (uniform QP)" \
  "$VSSOFF" -q encode-roi "$WORK/b1.y4m" -o "$WORK/b1_vssoff.h264" --qp-map "$WORK/b1_map.npy" \
      --preset "$PRESET" --segment 30 --force -- \
  x264 --quiet --preset "$PRESET" --qp 30 --ipratio 1 --pbratio 1 --keyint 30 --min-keyint 30 \
      --scenecut 0 --bframes 0 -o "$WORK/b1_x264.264" "$WORK/b1.y4m"
