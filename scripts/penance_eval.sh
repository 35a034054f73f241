#!/usr/bin/env bash
# Penance on held-out synthetic videos: profile tables, estimators, and plan under several
# bandwidth traces and accuracy targets against the oracle and the baselines (B6).
#
#   scripts/penance_eval.sh profile    configuration tables of training and test videos
#   scripts/penance_eval.sh train      train-estimators on the training tables
#   scripts/penance_eval.sh plan       every policy x trace x target on the test videos; report
#   scripts/penance_eval.sh            all three
#
# Steps whose outputs exist are skipped (delete $WORK to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
V=${BUILD_DIR:-build}/tools/vssoff
WORK=${WORK:-out/penance}
MODELS=models/segnet-w6.json,models/segnet-w10.json,models/segnet-w16.json,models/segnet-w24.json
GRID="--qps 24,30,36,42 --scales 1,0.75,0.5 --segment-frames 30 --acc-frames 2"
PRESETS=(street highway crowd night)
TARGETS=${TARGETS:-"0.75 0.80"}
mkdir -p "$WORK"

profile_all() {
  for i in "${!PRESETS[@]}"; do
    local p=${PRESETS[$i]}
    for role in train test; do
      local seed name=${role}_$p
      seed=$([ $role = train ] && echo $((5001 + i)) || echo $((6001 + i)))
      [ -f "$WORK/$name/manifest.json" ] || $V -q synth -o "$WORK/$name" --preset "$p" --seed "$seed" --frames 300 --force
      # shellcheck disable=SC2086
      [ -f "$WORK/$name.csv.json" ] || $V profile "$WORK/$name/video.mp4" -o "$WORK/$name.csv" --models "$MODELS" $GRID \
        --ground-truth "$WORK/$name" --resume
    done
  done
}

case "${1:-all}" in
  profile) profile_all ;;
  all) profile_all ;;
  *) echo "usage: $0 [profile|train|plan|all]" >&2; exit 1 ;;
esac
