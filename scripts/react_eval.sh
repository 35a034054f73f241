#!/usr/bin/env bash
# REACT (edge-cloud fusion of detections): the edge detector every K frames, the cloud
# detector every M frames arriving D frames late, fused with tracking; against edge-only and
# cloud-only in the same run. Reproduces B10's table and figures and the (K, M) trade-off
# (out/react/report.md, out/react/*.png).
#
#   scripts/react_eval.sh data      render the clips (train, test)
#   scripts/react_eval.sh detect    edge and cloud detections of every clip (detect_edge,
#                                   detect_cloud: one side)
#   scripts/react_eval.sh tune      the fusion's knobs, on the training clips only
#   scripts/react_eval.sh sweep     the test clips at every cloud interval M and delay D (K fixed)
#   scripts/react_eval.sh tradeoff  the test clips over (K, M) at one delay: bytes and server ms
#   scripts/react_eval.sh report    tables and figures
#   scripts/react_eval.sh           all six
#
# Data: synth clips of the four presets (all have moving vehicles and people), disjoint
# seeds: training 7011-7014 (one per preset), test 8001-8008 (two per preset), $FRAMES frames
# each at 640x360 (TEST_PER_PRESET=1: one per preset, 8001, 8003, 8005, 8007); the detectors
# were trained on other seeds still (train-model). Ground
# truth: the renderer's visible boxes. The tracker, the decay and the two score-fusion
# options (fuse --keep-unconfirmed, --matched-score) are chosen on the training clips by
# `tune` (mean fused mAP@0.5 over M at D = 10) and written to tuned.env, which the test
# stages read; the test clips are read only by `sweep` and `tradeoff`.
# Steps whose outputs exist are skipped (delete $WORK to start over). NO_BUILD=1 runs the
# binaries in $BUILD_DIR as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --eval ${NO_BUILD:+--no-build}
source scripts/lib.sh
V=${BUILD_DIR:-build}/tools/vssoff
WORK=${WORK:-out/react}
EDGE=${EDGE:-models/detnet-w6.json}
CLOUD=${CLOUD:-models/detnet-w16.json}
FRAMES=${FRAMES:-150}
K=${K:-5}                          # edge interval, fixed for B10
MS=${MS:-"15 30"}                  # cloud intervals
DELAYS=${DELAYS:-"0 5 10 20 40"}   # cloud delays, frames
TRACKERS=${TRACKERS:-medianflow}
DECAYS=${DECAYS:-"0.8 0.9"}
TRADE_K=${TRADE_K:-"1 5 15"}
TRADE_M=${TRADE_M:-"5 15 30 60"}
TRADE_D=${TRADE_D:-10}
QP=${QP:-28}                       # the cloud's frames go as x264 intra frames at this QP
PRESETS=(street highway crowd night)
mkdir -p "$WORK"

clip() {  # role seed preset
  local d=$WORK/$1_$3_$2
  cached "$d/manifest.json" $V -q synth -o "$d" --preset "$3" --seed "$2" --frames "$FRAMES" --force >&2
  echo "$d"
}

clips() {  # role base per-preset
  for i in "${!PRESETS[@]}"; do
    for k in $(seq 1 "$3"); do clip "$1" $(($2 + i * $3 + k)) "${PRESETS[$i]}"; done
  done
}

train_clips() { clips train 7010 1; }
# The test clips: TEST_PER_PRESET of each preset (seeds 8001, 8003, ... with 1; all eight with 2).
test_clips() {
  local all
  all=$(clips test 8000 2)
  if [ "${TEST_PER_PRESET:-2}" = 1 ]; then echo "$all" | awk 'NR % 2 == 1'; else echo "$all"; fi
}

data() {
  train_clips >/dev/null
  test_clips >/dev/null
}

# detect_every CLIP MODEL TAG EVERY: the detections of every EVERY-th frame.
detect_every() {
  cached "$1.$3.k$4/manifest.json" $V -q detect "$1/video.mp4" -o "$1.$3.k$4" --model "$2" --every "$4" \
    --threads 2 --force
}

detect_edge() {
  for d in $(train_clips) $(test_clips); do
    for k in $(echo "$K $TRADE_K" | tr ' ' '\n' | sort -un); do detect_every "$d" "$EDGE" edge "$k"; done
  done
}

detect_cloud() {
  for d in $(train_clips) $(test_clips); do
    for m in $(echo "$MS $TRADE_M" | tr ' ' '\n' | sort -un); do detect_every "$d" "$CLOUD" cloud "$m"; done
    # What one cloud request carries: the frame as an x264 intra frame.
    cached "$d.intra.mp4" $V -q encode-roi "$d/video.mp4" -o "$d.intra.mp4" --qp "$QP" --segment 1 --force
  done
}

detect() {
  detect_edge
  detect_cloud
}

# fuse_eval CLIP K M D OUT METHODS FUSE-OPTIONS...: fuse, then score each method (all three
# for the sweep; tune and tradeoff need only react's).
fuse_eval() {
  local d=$1 k=$2 m=$3 delay=$4 out=$5 methods=$6
  shift 6
  cached "$out/manifest.json" $V -q fuse --edge "$d.edge.k$k" --cloud "$d.cloud.k$m" --video "$d/video.mp4" \
    --delay "$delay" --methods "$methods" "$@" -o "$out" --force
  for method in ${methods//,/ }; do
    cached "$out/$method.eval.json" $V -q evaluate "$out/$method" "$d" -o "$out/$method.eval.json" --force
  done
}

# The knobs, on the training clips only: tracker, decay, and the two score-fusion options
# (react's reference rules are keep=0, score=arrived).
tune() {
  mkdir -p "$WORK/tune"
  for d in $(train_clips); do
    for tracker in $TRACKERS; do
      for decay in $DECAYS; do
        for keep in 0 1; do
          for score in arrived max; do
            local flags=(--tracker "$tracker" --decay "$decay" --matched-score "$score")
            [ "$keep" = 1 ] && flags+=(--keep-unconfirmed)
            for m in $MS; do
              fuse_eval "$d" "$K" "$m" 10 "$WORK/tune/$(basename "$d")__${tracker}__${decay}__${keep}__${score}__m$m" \
                react "${flags[@]}"
            done
          done
        done
      done
    done
  done
  /usr/bin/python3 - "$WORK" <<'PY'
import glob, json, os, sys, collections
work = sys.argv[1]
score = collections.defaultdict(list)
for f in glob.glob(f"{work}/tune/*/react.eval.json"):
    _, tracker, decay, keep, matched, _ = os.path.basename(os.path.dirname(f)).split("__")
    score[(tracker, decay, keep, matched)].append(json.load(open(f))["detection"]["map_50"])
means = {k: sum(v) / len(v) for k, v in score.items()}
best = max(means, key=means.get)
with open(f"{work}/tune/choices.csv", "w") as out:
    out.write("tracker,decay,keep_unconfirmed,matched_score,mean_react_map50,runs\n")
    for k, v in sorted(means.items()):
        out.write(f"{','.join(k)},{v:.4f},{len(score[k])}\n")
tmp = f"{work}/tuned.env.tmp"
open(tmp, "w").write(f"TRACKER={best[0]}\nDECAY={best[1]}\nKEEP={best[2]}\nSCORE={best[3]}\n")
os.replace(tmp, f"{work}/tuned.env")
print(f"tuned on the training clips: tracker {best[0]}, decay {best[1]}, keep-unconfirmed {best[2]}, "
      f"matched-score {best[3]} (mean fused mAP@0.5 {means[best]:.3f})")
PY
}

tuned_flags() {
  # shellcheck disable=SC1091
  source "$WORK/tuned.env"
  FLAGS=(--tracker "$TRACKER" --decay "$DECAY" --matched-score "$SCORE")
  [ "$KEEP" = 1 ] && FLAGS+=(--keep-unconfirmed)
  return 0
}

sweep() {
  tuned_flags
  mkdir -p "$WORK/sweep"
  for d in $(test_clips); do
    for m in $MS; do
      for delay in $DELAYS; do
        fuse_eval "$d" "$K" "$m" "$delay" "$WORK/sweep/$(basename "$d").m$m.d$delay" react,edge-only,cloud-only \
          "${FLAGS[@]}"
      done
    done
  done
}

tradeoff() {
  tuned_flags
  mkdir -p "$WORK/tradeoff"
  for d in $(test_clips); do
    for k in $TRADE_K; do
      for m in $TRADE_M; do
        fuse_eval "$d" "$k" "$m" "$TRADE_D" "$WORK/tradeoff/$(basename "$d").k$k.m$m" react "${FLAGS[@]}"
      done
    done
  done
}

report() {
  /usr/bin/python3 scripts/react_report.py "$WORK" --k "$K" --trade-d "$TRADE_D"
}

if [ $# -eq 0 ]; then set -- data detect tune sweep tradeoff report; fi
for stage in "$@"; do
  case $stage in
    data | detect | detect_edge | detect_cloud | tune | sweep | tradeoff | report) "$stage" ;;
    *) echo "unknown stage: $stage" >&2; exit 1 ;;
  esac
done
