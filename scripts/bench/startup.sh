#!/usr/bin/env bash
# Start-up: a subcommand that does not load the model plugin (`info --help`) against the
# x264 CLI's (`x264 --help`), and one that does (`segment` of one frame with segnet-tiny:
# LibTorch loaded, model read and optimised) against importing torch in Debian's python3.
source "$(dirname "$0")/lib.sh"
clip=$WORK/b12_clip
[ -f "$clip/video.mp4" ] || $VSSOFF -q synth -o "$clip" --frames 60 --seed 5 --force
echo "start-up; $(machine)"
compare start "vssoff info --help" "x264 --help" "$VSSOFF" info --help -- x264 --help
compare start-plugin "vssoff segment, 1 frame" "python3 -c 'import torch'" \
  "$VSSOFF" -q segment "$clip/video.mp4" -o "$WORK/start_seg" --model models/segnet-tiny.json --frames 1 --force -- \
  /usr/bin/python3 -c 'import torch'
