#!/usr/bin/env bash
# B4: AccMPEG's cheap model must run in real time on the camera: `vssoff qpmap --sample all`
# (every frame of a 300-frame 640x360 clip scored, decode, start-up and QP-map construction
# included; vssoff's default threading on the 2 cores: the decoder and the network split
# them as a pipeline) against the same network in Debian's python3-torch, frozen with
# optimize_for_inference, 2 threads, doing the same per-frame work (b4_python_cheap.py).
# Targets: ratio time(python) / time(vssoff) >= 1.3, and >= 30 frames/s end to end.
source "$(dirname "$0")/lib.sh"
CHEAP=${CHEAP:-models/accmpeg-cheap-w24.json}
width=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["arch_params"]["width"])' "$CHEAP")
clip=$WORK/b4_clip
[ -f "$clip/video.mp4" ] || $VSSOFF -q synth -o "$clip" --frames 300 --seed 17 --force
echo "B4 cheap model $(basename "$CHEAP" .json) (width $width), 640x360, 300 frames, 2 cores; $(machine)"
compare B4 "vssoff qpmap --sample all" "python3-torch optimised" \
  "$VSSOFF" -q qpmap "$clip/video.mp4" -o "$WORK/b4_map.npy" --cheap-model "$CHEAP" --sample all --force -- \
  /usr/bin/python3 scripts/bench/b4_python_cheap.py "$clip/video.mp4" "$width" 2 "$WORK/b4_python.npy"
fps=$(/usr/bin/python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["source"]["model_fps"], 1))' "$WORK/b4_map.npy.json")
echo "  network alone (qpmap manifest, last run): $fps frames/s"
