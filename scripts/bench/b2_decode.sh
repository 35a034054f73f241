#!/usr/bin/env bash
# B2: decoding inside vssoff (vssoff info --decode: every frame decoded and copied out as
# yuv420p) against `ffmpeg -i IN -f null -`, same decoder thread count, 720p H.264.
# Target: ratio time(ffmpeg) / time(vssoff) >= 0.9.
source "$(dirname "$0")/lib.sh"
THREADS=${THREADS:-2}
clip=$WORK/b2_clip
[ -f "$clip/video.mp4" ] || $VSSOFF -q synth -o "$clip" --size 1280x720 --frames 300 --seed 12 --force
[ -f "$WORK/b2.mp4" ] || $VSSOFF -q encode-roi "$clip/video.mp4" -o "$WORK/b2.mp4" --qp 26 --preset medium --force
echo "B2 decode, 1280x720, 300 frames (x264 medium, QP 26), $THREADS threads; $(machine)"
compare B2 "vssoff info --decode" "ffmpeg -f null" \
  "$VSSOFF" -q info --decode --threads "$THREADS" "$WORK/b2.mp4" -- \
  ffmpeg -loglevel error -threads "$THREADS" -i "$WORK/b2.mp4" -f null -
