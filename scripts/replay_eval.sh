#!/usr/bin/env bash
# Live replays (issue 16) on the measured cellular traces of ../shared/traces and the
# project's lte-walk: camera (vssoff replay), link (vssoff link) and server (vssoff serve) as
# three processes, in real time, on a held-out synthetic clip.
#   - per trace, AccMPEG (the shipped cheap model, two-level maps) and the uniform-QP
#     baseline (AWStream-style, QP chosen per segment for the estimated bandwidth) with the
#     server model segnet-w24: delay, bytes, accuracy;
#   - Penance live against `plan` on the same clip's profile table and the same traces.
# Then scripts/replay_report.py writes OUT/report.md (the README's tables) from the outputs.
# Nothing is tuned here: every setting is a default of replay or the one the AccMPEG and
# Penance evaluations use. Steps whose outputs exist are skipped (scripts/lib.sh `cached`).
#   scripts/replay_eval.sh            everything (about 10 minutes on 2 cores)
#   CLIP_FRAMES=300 scripts/replay_eval.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --eval
source scripts/lib.sh
V=${BUILD_DIR:-build}/tools/vssoff
OUT=${OUT:-out/replay}
FRAMES=${CLIP_FRAMES:-600}
SERVER=models/segnet-w24.json
CHEAP=models/accmpeg-cheap-w24.json
MODELS=models/segnet-w6.json,models/segnet-w10.json,models/segnet-w16.json,models/segnet-w24.json
TRACES=(testdata/traces/lte-walk.csv ../shared/traces/ATT-LTE-driving-2016.up ../shared/traces/ATT-LTE-driving.up
        ../shared/traces/Verizon-LTE-short.up ../shared/traces/TMobile-LTE-short.up)
DELAY_MS=${DELAY_MS:-20}
mkdir -p "$OUT"

# The clip: the street preset with a seed no training or evaluation uses (7101).
cached "$OUT/clip/manifest.json" $V -q synth -o "$OUT/clip" --preset street --seed 7101 --frames "$FRAMES" --force

for trace in "${TRACES[@]}"; do
  name=$(basename "$trace"); name=${name%.*}
  for system in accmpeg uniform; do
    echo "== $system through $name" >&2
    cached "$OUT/$system-$name.csv.json" $V replay "$OUT/clip/video.mp4" -o "$OUT/$system-$name.csv" \
      --system "$system" --server-model "$SERVER" --cheap-model "$CHEAP" --ground-truth "$OUT/clip" \
      --spawn-server --spawn-link --up-trace "$trace" --delay-ms "$DELAY_MS" --plot "$OUT/$system-$name.png" --force
  done
done

# Penance: the clip's profile table (the grid of scripts/penance_eval.sh and the shipped
# estimators), plan offline, and the same policy live, on two traces.
cached "$OUT/table.csv.json" $V profile "$OUT/clip/video.mp4" -o "$OUT/table.csv" --models "$MODELS" \
  --qps 24,30,36,42 --scales 1,0.75,0.5 --segment-frames 30 --acc-frames 10 --ground-truth "$OUT/clip" --resume
for trace in testdata/traces/lte-walk.csv ../shared/traces/ATT-LTE-driving-2016.up; do
  name=$(basename "$trace"); name=${name%.*}
  echo "== penance through $name: plan, then live" >&2
  cached "$OUT/plan-$name.csv.json" $V plan "$OUT/table.csv" --estimators models/penance-estimators.json \
    --trace "$trace" --targets 0.8 --policies penance --bitrate analytic -o "$OUT/plan-$name.csv" --force
  serve=()
  for m in ${MODELS//,/ }; do serve+=(--serve-model "$m"); done
  cached "$OUT/penance-$name.csv.json" $V replay "$OUT/clip/video.mp4" -o "$OUT/penance-$name.csv" \
    --system penance --estimators models/penance-estimators.json --target 0.8 --ground-truth "$OUT/clip" \
    "${serve[@]}" --spawn-server --spawn-link --up-trace "$trace" --delay-ms "$DELAY_MS" \
    --plot "$OUT/penance-$name.png" --force
done

/usr/bin/python3 scripts/replay_report.py "$OUT" "$DELAY_MS" | tee "$OUT/report.md"
