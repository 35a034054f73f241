#!/usr/bin/env bash
# This build against another build of vssoff (an older commit, say) on the subjects of
# B1-B4 and start-up, same inputs, alternating: a change that slows any of them shows as a
# ratio below 1. RATIO is median(other) / median(this).
#   OTHER=../old/build/tools/vssoff scripts/bench/versus.sh
source "$(dirname "$0")/lib.sh"
: "${OTHER:?set OTHER to the vssoff binary of the other build}"
RUNS=${RUNS:-5}
CHEAP=${CHEAP:-models/accmpeg-cheap-w24.json}
echo "this build against $OTHER; $(machine)"
clip=$WORK/b1_clip
[ -f "$clip/video.mp4" ] || $VSSOFF -q synth -o "$clip" --frames 300 --seed 11 --force
[ -f "$WORK/b1.y4m" ] || ffmpeg -loglevel error -y -i "$clip/video.mp4" -pix_fmt yuv420p "$WORK/b1.y4m"
[ -f "$WORK/b2.mp4" ] || $VSSOFF -q encode-roi "$clip/video.mp4" -o "$WORK/b2.mp4" --qp 26 --preset medium --force
[ -f "$WORK/b3_segnet.pt" ] || /usr/bin/python3 scripts/bench/segnet_export.py "$WORK/b3_segnet.pt" 16 8
run() {  # run BIN NAME: one subject with BIN
  local bin=$1
  case $2 in
    b1) "$bin" -q encode-roi "$WORK/b1.y4m" -o "$WORK/vs_$3.h264" --qp 30 --preset medium --segment 30 --force ;;
    b2) "$bin" -q info --decode --threads 2 "$WORK/b2.mp4" ;;
    b3) "$bin" -q segment "$clip/video.mp4" -o "$WORK/vs_seg_$3" --model "$WORK/b3_segnet.pt" --threads 2 --frames 120 --force ;;
    b4) "$bin" -q qpmap "$clip/video.mp4" -o "$WORK/vs_$3.npy" --cheap-model "$CHEAP" --sample all --threads 2 --force ;;
    start) "$bin" info --help ;;
    start_plugin) "$bin" segment "$clip/video.mp4" -o "$WORK/vs_seg1_$3" --model models/segnet-tiny.json --frames 1 --force ;;
  esac
}
for subject in b1 b2 b3 b4 start start_plugin; do
  compare "$subject" "this build" "other build" run "$VSSOFF" "$subject" this -- run "$OTHER" "$subject" other
done
