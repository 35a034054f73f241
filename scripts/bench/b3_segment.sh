#!/usr/bin/env bash
# B3: `vssoff segment` on a TorchScript export of a zoo-sized network against the same
# TorchScript file run by Debian's python3-torch (frozen with optimize_for_inference,
# inference mode, same threads, OpenCV decoding), decode and label PNGs included on both
# sides; 640x360, 120 frames. Measured twice: on an idle machine, and with one CPU-bound
# process (a busy loop) running beside both. Python runs with the OpenMP wait policy vssoff
# uses (B3_PY_ENV, default GOMP_SPINCOUNT=10000; core/threads.h): with libgomp's default
# spinning, python collapses beside a busy process and the loaded ratio would flatter vssoff
# (B3_PY_ENV=X=1 measures that case).
# Target: frames/s ratio vssoff / python >= 1.3, i.e. time(python) / time(vssoff) >= 1.3, in both.
source "$(dirname "$0")/lib.sh"
THREADS=${THREADS:-2}
B3_PY_ENV=${B3_PY_ENV:-GOMP_SPINCOUNT=10000}
WIDTH=${WIDTH:-16}
clip=$WORK/b3_clip
[ -f "$clip/video.mp4" ] || $VSSOFF -q synth -o "$clip" --frames 120 --seed 13 --force
/usr/bin/python3 scripts/bench/segnet_export.py "$WORK/b3_segnet.pt" "$WIDTH" 8
echo "B3 segment, TorchScript segnet width $WIDTH, 640x360, 120 frames, $THREADS threads; $(machine)"
echo "  $(/usr/bin/python3 -c 'import torch, cv2; print("python3-torch", torch.__version__, "OpenCV", cv2.__version__)')"
run_b3() {
  compare "$1" "vssoff segment" "python3-torch optimised" \
    "$VSSOFF" -q segment "$clip/video.mp4" -o "$WORK/b3_vssoff" --model "$WORK/b3_segnet.pt" --threads "$THREADS" --force -- \
    env "$B3_PY_ENV" /usr/bin/python3 scripts/bench/b3_python_segment.py "$clip/video.mp4" "$WORK/b3_segnet.pt" "$WORK/b3_python" "$THREADS"
}
echo " idle:"
NOTE=idle run_b3 B3
echo " with one CPU-bound process beside:"
start_load
NOTE=loaded run_b3 B3-loaded
stop_load
