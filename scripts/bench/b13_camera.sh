#!/usr/bin/env bash
# B13: the camera side of AccMPEG at 1280x720 on the 2 cores, whole commands: decode + cheap
# model + QP map (`qpmap`, AccMPEG's default sampling: the ends of each 10-frame segment) then
# `encode-roi` with that map, against the same encode at a uniform QP alone (what a camera
# without AccMPEG does). SAMPLE=all scores every frame instead.
# Target: >= 30 frames/s for the pipeline.
source "$(dirname "$0")/lib.sh"
CHEAP=${CHEAP:-models/accmpeg-cheap-w24.json}
SAMPLE=${SAMPLE:-ends}
clip=$WORK/b13_clip
[ -f "$clip/video.mp4" ] || $VSSOFF -q synth -o "$clip" --size 1280x720 --frames 300 --seed 19 --force
echo "B13 camera pipeline, 1280x720, 300 frames, qpmap --sample $SAMPLE + encode-roi (veryfast); $(machine)"
pipeline() {
  "$VSSOFF" -q qpmap "$clip/video.mp4" -o "$WORK/b13_map.npy" --cheap-model "$CHEAP" --sample "$SAMPLE" \
    --segment-frames 10 --force
  "$VSSOFF" -q encode-roi "$clip/video.mp4" -o "$WORK/b13_roi.mp4" --qp-map "$WORK/b13_map.npy" --segment 10 \
    --preset veryfast --force
}
uniform() {
  "$VSSOFF" -q encode-roi "$clip/video.mp4" -o "$WORK/b13_uniform.mp4" --qp 34 --segment 10 --preset veryfast --force
}
compare B13 "qpmap + encode-roi" "encode-roi, uniform QP" pipeline -- uniform
