#!/usr/bin/env bash
# REACT (edge-cloud fusion of detections): the edge detector every K frames, the cloud
# detector every M frames arriving D frames late, fused with tracking; against edge-only and
# cloud-only in the same run. Reproduces B10's table and figures and the (K, M) trade-off
# (out/react/report.md, out/react/*.png).
#
#   scripts/react_eval.sh data      render the clips (train, test)
#   scripts/react_eval.sh detect    edge and cloud detections of every clip (detect_edge,
#                                   detect_cloud: one side)
#   scripts/react_eval.sh tune      the tracker and the score decay, on the training clips only
#   scripts/react_eval.sh sweep     the test clips at every cloud interval M and delay D (K fixed)
#   scripts/react_eval.sh tradeoff  the test clips over (K, M) at one delay: bytes and server ms
#   scripts/react_eval.sh report    tables and figures
#   scripts/react_eval.sh           all six
#
# Data: synth clips of the four presets (all have moving vehicles and people), disjoint
# seeds: training 7011-7014 (one per preset), test 8001-8008 (two per preset), $FRAMES frames
# each at 640x360; the detectors were trained on other seeds still (train-model). Ground
# truth: the renderer's visible boxes. The tracker and the decay are chosen on the training
# clips by `tune` (mean fused mAP@0.5 over its (M, D) points) and written to tuned.env, which
# the test stages read; the test clips are read only by `sweep` and `tradeoff`.
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
TRACKERS=${TRACKERS:-"medianflow mosse"}
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
test_clips() { clips test 8000 2; }

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

# fuse_eval CLIP K M D TRACKER DECAY OUT: fuse, then score the three methods.
fuse_eval() {
  local d=$1 out=$7
  cached "$out/manifest.json" $V -q fuse --edge "$d.edge.k$2" --cloud "$d.cloud.k$3" --video "$d/video.mp4" \
    --delay "$4" --tracker "$5" --decay "$6" -o "$out" --force
  for method in react edge-only cloud-only; do
    cached "$out/$method.eval.json" $V -q evaluate "$out/$method" "$d" -o "$out/$method.eval.json" --force
  done
}

tune() {
  mkdir -p "$WORK/tune"
  for d in $(train_clips); do
    for tracker in $TRACKERS; do
      for decay in $DECAYS; do
        for m in $MS; do
          for delay in 10; do
            fuse_eval "$d" "$K" "$m" "$delay" "$tracker" "$decay" \
              "$WORK/tune/$(basename "$d").$tracker.$decay.m$m.d$delay"
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
    parts = os.path.basename(os.path.dirname(f)).split(".")
    tracker, decay = parts[1], ".".join(parts[2:4])
    score[(tracker, decay)].append(json.load(open(f))["detection"]["map_50"])
means = {k: sum(v) / len(v) for k, v in score.items()}
best = max(means, key=means.get)
with open(f"{work}/tune/choices.csv", "w") as out:
    out.write("tracker,decay,mean_react_map50,runs\n")
    for k, v in sorted(means.items()):
        out.write(f"{k[0]},{k[1]},{v:.4f},{len(score[k])}\n")
tmp = f"{work}/tuned.env.tmp"
open(tmp, "w").write(f"TRACKER={best[0]}\nDECAY={best[1]}\n")
os.replace(tmp, f"{work}/tuned.env")
print(f"tuned on the training clips: tracker {best[0]}, decay {best[1]} (mean fused mAP@0.5 {means[best]:.3f})")
PY
}

sweep() {
  # shellcheck disable=SC1091
  source "$WORK/tuned.env"
  mkdir -p "$WORK/sweep"
  for d in $(test_clips); do
    for m in $MS; do
      for delay in $DELAYS; do
        fuse_eval "$d" "$K" "$m" "$delay" "$TRACKER" "$DECAY" "$WORK/sweep/$(basename "$d").m$m.d$delay"
      done
    done
  done
}

tradeoff() {
  # shellcheck disable=SC1091
  source "$WORK/tuned.env"
  mkdir -p "$WORK/tradeoff"
  for d in $(test_clips); do
    for k in $TRADE_K; do
      for m in $TRADE_M; do
        fuse_eval "$d" "$k" "$m" "$TRADE_D" "$TRACKER" "$DECAY" "$WORK/tradeoff/$(basename "$d").k$k.m$m"
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
