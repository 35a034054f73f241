#!/usr/bin/env bash
# synth throughput on ONE core (taskset), writing the video, labels and boxes included.
# Target (issue 2): at least 60 frames/s at 640x360.
source "$(dirname "$0")/lib.sh"
FRAMES=300
echo "synth 640x360, $FRAMES frames, street preset, pinned to one core; $(machine)"
t=()
for ((i = 0; i < RUNS; i++)); do
  t+=("$(seconds taskset -c 0 "$VSSOFF" -q synth -o "$WORK/synth_speed" --frames $FRAMES --threads 1 --force)")
done
/usr/bin/python3 - $FRAMES "${t[*]}" <<'PY'
import statistics as st, sys
n, t = int(sys.argv[1]), [float(x) for x in sys.argv[2].split()]
print(f"  frames/s: min {n / max(t):.1f}   median {n / st.median(t):.1f}   max {n / min(t):.1f}   ({len(t)} runs)")
PY
