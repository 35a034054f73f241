#!/usr/bin/env bash
# synth throughput on ONE core (taskset, --threads 1), writing the video, labels and boxes,
# against the x264 CLI encoding the same 300 frames from .y4m on the same core with the
# same settings: the reference shows what a loaded machine does to both.
# Target: at least 60 frames/s at 640x360.
source "$(dirname "$0")/lib.sh"
FRAMES=300
echo "synth 640x360, $FRAMES frames, street preset, pinned to one core; $(machine)"
$VSSOFF -q synth -o "$WORK/synth_speed" --frames $FRAMES --threads 1 --force
ffmpeg -loglevel error -y -i "$WORK/synth_speed/video.mp4" -pix_fmt yuv420p "$WORK/synth_speed.y4m"
keyint=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["params"]["segment_frames"])' "$WORK/synth_speed/manifest.json" 2>/dev/null || echo 30)
compare synth "vssoff synth" "x264 CLI, same frames" \
  taskset -c 0 "$VSSOFF" -q synth -o "$WORK/synth_speed" --frames $FRAMES --threads 1 --force -- \
  taskset -c 0 x264 --quiet --threads 1 --preset veryfast --keyint "$keyint" -o "$WORK/synth_speed_x264.264" "$WORK/synth_speed.y4m"
