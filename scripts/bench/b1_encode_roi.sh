#!/usr/bin/env bash
# B1: encode-roi throughput against what a user would otherwise run, like for like.
#  - uniform QP: `encode-roi --qp 30` against the x264 CLI at --qp 30, same preset, same .y4m
#    input (so decoding costs nothing on either side), same threads (x264's automatic
#    choice on both), same GOP, no B-frames. The outputs must be byte-identical.
#  - QP map: one map of rectangles (QP 24 in about a fifth of the macroblocks, 40 elsewhere)
#    against FFmpeg's addroi filter with libx264 carrying the same per-macroblock offsets,
#    with vssoff's exact-QP recipe (x264_encoder.h) as x264 options. Same output size.
# Target: time(reference) / time(vssoff) >= 0.95 in both.
source "$(dirname "$0")/lib.sh"
PRESET=${PRESET:-veryfast}
clip=$WORK/b1_clip
[ -f "$clip/video.mp4" ] || $VSSOFF -q synth -o "$clip" --frames 300 --seed 11 --force
[ -f "$WORK/b1.y4m" ] || ffmpeg -loglevel error -y -i "$clip/video.mp4" -pix_fmt yuv420p "$WORK/b1.y4m"
echo "B1 encode-roi, 640x360, 300 frames, preset $PRESET; $(machine)"
echo "  x264 $(x264 --version 2>/dev/null | head -1); $(ffmpeg -version | head -1)"

compare B1 "vssoff encode-roi --qp 30" "x264 CLI --qp 30" \
  "$VSSOFF" -q encode-roi "$WORK/b1.y4m" -o "$WORK/b1_vssoff.h264" --qp 30 --preset "$PRESET" --segment 30 --force -- \
  x264 --quiet --preset "$PRESET" --qp 30 --ipratio 1 --pbratio 1 --keyint 30 --min-keyint 30 \
      --scenecut 0 --bframes 0 -o "$WORK/b1_x264.264" "$WORK/b1.y4m"
if cmp -s "$WORK/b1_vssoff.h264" "$WORK/b1_x264.264"; then
  echo "  outputs byte-identical ($(stat -c %s "$WORK/b1_vssoff.h264") bytes)"
else
  echo "  ERROR: the uniform-QP outputs differ: not like for like" >&2
  exit 1
fi

# A map of rectangles, and the same rectangles as addroi filters (the first listed wins in
# FFmpeg; the last covers the frame with the background's offset, +16 of 51).
/usr/bin/python3 - "$WORK/b1_map.npy" "$WORK/b1_roi.txt" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(1)
q = np.full((23, 40), 40, np.uint8)
rois = []
for _ in range(8):
    r, c = int(rng.integers(0, 20)), int(rng.integers(0, 36))
    r1, c1 = min(23, r + int(rng.integers(2, 7))), min(40, c + int(rng.integers(2, 9)))
    q[r:r1, c:c1] = 24
    rois.append(f"addroi=x={c * 16}:y={r * 16}:w={(c1 - c) * 16}:h={min(360, r1 * 16) - r * 16}:qoffset=0")
np.save(sys.argv[1], q)
open(sys.argv[2], "w").write(",".join(rois + ["addroi=x=0:y=0:w=iw:h=ih:qoffset=16/51"]))
PY
x264_exact="qcomp=1:aq-mode=1:aq-strength=0.0001:mbtree=0:ipratio=1:pbratio=1:qpmin=0:qpmax=51:qpstep=51"
compare B1-map "vssoff encode-roi --qp-map" "ffmpeg addroi + libx264" \
  "$VSSOFF" -q encode-roi "$WORK/b1.y4m" -o "$WORK/b1_map_vssoff.h264" --qp-map "$WORK/b1_map.npy" \
      --preset "$PRESET" --segment 30 --force -- \
  ffmpeg -loglevel error -y -i "$WORK/b1.y4m" -vf "$(cat "$WORK/b1_roi.txt")" -c:v libx264 -preset "$PRESET" \
      -crf 24 -x264-params "$x264_exact:keyint=30:min-keyint=30:scenecut=0:bframes=0" -f h264 "$WORK/b1_map_ffmpeg.h264"
sv=$(stat -c %s "$WORK/b1_map_vssoff.h264") sf=$(stat -c %s "$WORK/b1_map_ffmpeg.h264")
echo "  output bytes: vssoff $sv, ffmpeg $sf (ratio $(echo "scale=4; $sv / $sf" | bc))"
