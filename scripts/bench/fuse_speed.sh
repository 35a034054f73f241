#!/usr/bin/env bash
# fuse throughput at 640x360: a 300-frame synth clip, edge detections every 5 frames (jittered)
# and cloud detections every 15 frames from its ground truth (scripts/make_detections.py, as
# tests/cli/test_fuse.sh), a cloud delay of 10 frames; `fuse` with its default tracker for
# react alone and for all three modes (B10's evaluation), RUNS runs each (alternating), on
# THREADS threads. Prints min / median / max of the manifest's frames/s (timing.frames_per_s:
# the decode-and-fuse loop, decode included) and the tracker's failed-update share.
# Target: react alone >= 30 frames/s on 2 threads.
#   scripts/bench/fuse_speed.sh
#   TRACKERS="medianflow medianflow-opencv mosse" RUNS=5 scripts/bench/fuse_speed.sh
# VSSOFF (default $BUILD_DIR/tools/vssoff, BUILD_DIR default build) is the binary; it is not
# built here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
VSSOFF=${VSSOFF:-$PWD/${BUILD_DIR:-build}/tools/vssoff}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
TRACKERS=${TRACKERS:-default}
WORK=${WORK:-out/bench}
clip=$WORK/fuse_clip
mkdir -p "$WORK"
[ -f "$clip/video.mp4" ] || "$VSSOFF" -q synth -o "$clip" --size 640x360 --frames 300 --seed 11 --force
/usr/bin/python3 scripts/make_detections.py "$clip" "$WORK/fuse_edge" 5 edge
/usr/bin/python3 scripts/make_detections.py "$clip" "$WORK/fuse_cloud" 15 cloud
echo "fuse 640x360, 300 frames, k=5 m=15 d=10, $THREADS threads, $RUNS runs;" \
  "machine: $(lscpu | sed -n 's/^Model name:\s*//p' | head -1), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg); $(date -u +%Y-%m-%d)"
for tracker in $TRACKERS; do
  targ=()
  [ "$tracker" = default ] || targ=(--tracker "$tracker")
  for ((i = 0; i < RUNS; i++)); do
    for methods in react react,edge-only,cloud-only; do
      out=$WORK/fuse_out_${methods//,/_}_$i
      "$VSSOFF" -q fuse --edge "$WORK/fuse_edge" --cloud "$WORK/fuse_cloud" --video "$clip/video.mp4" -o "$out" \
        --delay 10 --methods "$methods" --threads "$THREADS" "${targ[@]}" --force
    done
  done
  /usr/bin/python3 - "$WORK" "$RUNS" <<'PY'
import json, statistics as st, sys
work, runs = sys.argv[1], int(sys.argv[2])
for methods in ["react", "react_edge-only_cloud-only"]:
    ms = [json.load(open(f"{work}/fuse_out_{methods}_{i}/manifest.json")) for i in range(runs)]
    fps = [m["timing"]["frames_per_s"] for m in ms]
    c = ms[0]["counts"]["react"]
    label = "react alone" if methods == "react" else "all three modes"
    print(f"  {ms[0]['params']['tracker']:<18} {label:<16} frames/s min {min(fps):6.1f}  median {st.median(fps):6.1f}"
          f"  max {max(fps):6.1f}   react's failed updates {c['tracker_failures'] / max(1, c['tracker_updates']):.1%}")
PY
done
