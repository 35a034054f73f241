#!/usr/bin/env bash
# synth throughput on ONE core (taskset, --threads 1), writing the video, labels and boxes,
# against the x264 CLI encoding the same 300 frames from .y4m on the same core with synth's
# own x264 settings (its manifest: preset, QP, keyframe interval): the reference shows what
# a loaded machine does to both.
# Target: at least 60 frames/s at 640x360.
source "$(dirname "$0")/lib.sh"
FRAMES=300
echo "synth 640x360, $FRAMES frames, street preset, pinned to one core; $(machine)"
$VSSOFF -q synth -o "$WORK/synth_speed" --frames $FRAMES --threads 1 --force
ffmpeg -loglevel error -y -i "$WORK/synth_speed/video.mp4" -pix_fmt yuv420p "$WORK/synth_speed.y4m"
read -r preset qp keyint < <(/usr/bin/python3 -c 'import json,sys; p = json.load(open(sys.argv[1]))["params"]; print(p["x264_preset"], p["video_qp"], p["segment_frames"])' "$WORK/synth_speed/manifest.json")
compare synth "vssoff synth" "x264 CLI, same frames" \
  taskset -c 0 "$VSSOFF" -q synth -o "$WORK/synth_speed" --frames $FRAMES --threads 1 --force -- \
  taskset -c 0 x264 --quiet --threads 1 --preset "$preset" --qp "$qp" --ipratio 1 --pbratio 1 --keyint "$keyint" \
      --min-keyint "$keyint" --scenecut 0 -o "$WORK/synth_speed_x264.264" "$WORK/synth_speed.y4m"
