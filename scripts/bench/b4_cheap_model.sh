#!/usr/bin/env bash
# B4: AccMPEG's cheap model must run in real time on the camera: frames/s at 640x360 with 2
# threads, scoring every frame of a 300-frame clip (qpmap --sample all). Reports the
# network's own rate (from the qpmap manifest) and the whole command's (decode, start-up and
# QP-map construction included), median of RUNS runs. Target: >= 30 frames/s.
source "$(dirname "$0")/lib.sh"
CHEAP=${CHEAP:-models/accmpeg-cheap-w24.json}
clip=$WORK/b4_clip
[ -f "$clip/video.mp4" ] || $VSSOFF -q synth -o "$clip" --frames 300 --seed 17 --force
echo "B4 cheap model $(basename "$CHEAP" .json), 640x360, 300 frames, 2 threads; $(machine)"
$VSSOFF -q qpmap "$clip/video.mp4" -o "$WORK/b4_map.npy" --cheap-model "$CHEAP" --sample all --threads 2 --force  # warm-up
net=() whole=()
for ((i = 0; i < RUNS; i++)); do
  t=$(seconds "$VSSOFF" -q qpmap "$clip/video.mp4" -o "$WORK/b4_map.npy" --cheap-model "$CHEAP" --sample all --threads 2 --force)
  whole+=("$(echo "300 / $t" | bc -l)")
  net+=("$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source"]["model_fps"])' "$WORK/b4_map.npy.json")")
done
/usr/bin/python3 - "${net[*]}" "${whole[*]}" <<'PY'
import statistics as st, sys
net, whole = [float(x) for x in sys.argv[1].split()], [float(x) for x in sys.argv[2].split()]
for label, v in (("network only", net), ("whole command", whole)):
    print(f"  {label:<14} min {min(v):6.1f}  median {st.median(v):6.1f}  max {max(v):6.1f} frames/s ({len(v)} runs)")
print(f"  B4: {st.median(whole):.1f} frames/s end to end (target >= 30)")
PY
