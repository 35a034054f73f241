#!/usr/bin/env bash
# Penance on held-out synthetic videos: profile tables, estimators, and plan under several
# bandwidth traces and accuracy targets against the oracle and the baselines (B6).
#
#   scripts/penance_eval.sh profile    configuration tables of training and test videos
#   scripts/penance_eval.sh train      train-estimators on the training tables
#   scripts/penance_eval.sh plan       every policy x trace x target on the test videos; report
#   scripts/penance_eval.sh            all three
#
# Steps whose outputs exist are skipped (delete $WORK to start over). Accuracy is mIoU
# against the largest model on the original frames, as Penance measures it without labels:
# against the synthetic ground truth the presets differ too much in difficulty (the largest
# model reaches 0.60 on highway and 0.81 on street) for one target to mean the same on all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
V=${BUILD_DIR:-build}/tools/vssoff
WORK=${WORK:-out/penance}
MODELS=models/segnet-w6.json,models/segnet-w10.json,models/segnet-w16.json,models/segnet-w24.json
GRID="--qps 24,30,36,42 --scales 1,0.75,0.5 --segment-frames 30 --acc-frames 2"
PRESETS=(street highway crowd night)
TARGETS=${TARGETS:-0.75,0.8,0.85}
TRACES=(testdata/traces/lte-walk.csv testdata/traces/wifi-drops.csv testdata/traces/cellular.mahimahi testdata/traces/steady.csv)
mkdir -p "$WORK"

profile_all() {
  for i in "${!PRESETS[@]}"; do
    local p=${PRESETS[$i]}
    for role in train train2 test; do
      local seed name=${role}_$p
      case $role in train) seed=$((5001 + i)) ;; train2) seed=$((5011 + i)) ;; test) seed=$((6001 + i)) ;; esac
      [ -f "$WORK/$name/manifest.json" ] || $V -q synth -o "$WORK/$name" --preset "$p" --seed "$seed" --frames 300 --force
      # shellcheck disable=SC2086
      [ -f "$WORK/$name.csv.json" ] || $V profile "$WORK/$name/video.mp4" -o "$WORK/$name.csv" --models "$MODELS" $GRID --resume
    done
  done
}

train() {
  local tables=() held=()
  for p in "${PRESETS[@]}"; do tables+=("$WORK/train_$p.csv" "$WORK/train2_$p.csv"); held+=("$WORK/test_$p.csv"); done
  local IFS=,
  $V train-estimators "${tables[@]}" -o "$WORK/estimators.json" --holdout "${held[*]}" --force
}

plan_all() {
  for p in "${PRESETS[@]}"; do
    for tr in "${TRACES[@]}"; do
      local name
      name=$(basename "$tr"); name=${name%.*}
      $V -q plan "$WORK/test_$p.csv" --estimators "$WORK/estimators.json" --trace "$tr" --targets "$TARGETS" \
        -o "$WORK/plan_${p}_$name.csv" --force
    done
  done
  dpkg-query -W -f='${Status}' python3-matplotlib 2>/dev/null | grep -q "ok installed" ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-matplotlib >/dev/null; }
  /usr/bin/python3 scripts/penance_report.py "$WORK"
}

case "${1:-all}" in
  profile) profile_all ;;
  train) train ;;
  plan) plan_all ;;
  all) profile_all; train; plan_all ;;
  *) echo "usage: $0 [profile|train|plan|all]" >&2; exit 1 ;;
esac
