#!/usr/bin/env bash
# CBO (confidence-based offloading): calibrate the on-device model, profile held-out videos,
# and replay every offload policy over measured cellular uplink traces at three deadlines.
# Reproduces the calibration table, the reliability diagrams, the policy table and the
# figure in the README (out/cbo/report.md, out/cbo/*.png).
#
#   scripts/cbo_eval.sh data        render the clips (fit, train, test) and fetch vtest.avi
#   scripts/cbo_eval.sh calibrate   pixel calibrator (fit clips), metrics on the test clips
#   scripts/cbo_eval.sh profile     offload profiles of the train and test clips; the
#                                   frame-level calibrator from the train profiles
#   scripts/cbo_eval.sh plan        every policy on every test clip, trace and deadline
#   scripts/cbo_eval.sh live        the cbo policy live (replay, serve, link) on a 10 fps
#                                   held-out clip, beside plan's replay of the same clip
#   scripts/cbo_eval.sh report      tables and figures
#   scripts/cbo_eval.sh             all six
#
# Data: synth clips of the four presets, disjoint seeds for the three roles (pixel
# calibration fit 5001-5004, training 5011-5018, test 6001-6008), 150 frames each; and the
# real vtest.avi (Debian's opencv-doc), first 300 frames, scored against the largest model
# on its original frames. Every knob (the calibrators, the gain model, each policy's
# bandwidth share, the baselines' scale and threshold) is fitted on fit or training data;
# the test clips are read only by `calibrate --test`, `offload-profile` and `plan`'s replay.
# Each test clip starts at a seeded random offset into each trace (recorded in plans.csv).
# Steps whose outputs exist are skipped (delete $WORK to start over). NO_BUILD=1 runs the
# binaries in $BUILD_DIR as they are (e.g. a copy, while the tree is rebuilt).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --eval ${NO_BUILD:+--no-build}
source scripts/lib.sh
V=${BUILD_DIR:-build}/tools/vssoff
WORK=${WORK:-out/cbo}
EDGE=${EDGE:-models/segnet-tiny-176p.json}
SERVER=${SERVER:-models/segnet-w24.json}
FRAMES=${FRAMES:-150}
DEADLINES=${DEADLINES:-100,200,400}
RTT_MS=${RTT_MS:-40}
TRACES=${TRACES:-"ATT-LTE-driving-2016.up Verizon-LTE-short.up TMobile-LTE-short.up"}
TRACE_DIR=${TRACE_DIR:-../shared/traces}
[ -d "$TRACE_DIR" ] || TRACE_DIR=testdata/traces/measured
PRESETS=(street highway crowd night)
mkdir -p "$WORK"

clip() {  # role seed preset
  local d=$WORK/$1_$3_$2
  cached "$d/manifest.json" $V -q synth -o "$d" --preset "$3" --seed "$2" --frames "$FRAMES" --force >&2
  echo "$d"
}

clips() {  # role base: one clip per preset (fit) or two (train, test)
  local n=$([ "$1" = fit ] && echo 1 || echo 2)
  for i in "${!PRESETS[@]}"; do
    for k in $(seq 1 "$n"); do clip "$1" $(($2 + i * n + k)) "${PRESETS[$i]}"; done
  done
}

data() {
  clips fit 5000 >/dev/null
  clips train 5010 >/dev/null
  clips test 6000 >/dev/null
  fetch_vtest "$WORK/vtest.avi"
  cached "$WORK/vtest300.mp4" $V -q encode-roi "$WORK/vtest.avi" -o "$WORK/vtest300.mp4" --qp 12 --frames 300 --force
}

calibrate() {
  local fit=() test=()
  for d in $(clips fit 5000); do
    cached "$d.seg/manifest.json" $V -q segment "$d/video.mp4" -o "$d.seg" --model "$EDGE" --logit-samples 300 --force
    fit+=("$d.seg:$d")
  done
  for d in $(clips test 6000); do
    cached "$d.seg/manifest.json" $V -q segment "$d/video.mp4" -o "$d.seg" --model "$EDGE" --logit-samples 300 --force
    test+=("$d.seg:$d")
  done
  cached "$WORK/pixel.json" $V calibrate --fit "$(IFS=,; echo "${fit[*]}")" --test "$(IFS=,; echo "${test[*]}")" \
    --method temperature --diagrams "$WORK/diagrams" -o "$WORK/pixel.json" --force
}

profile() {
  local train=() test=()
  for d in $(clips train 5010); do
    cached "$d.prof.csv" $V offload-profile "$d/video.mp4" -o "$d.prof.csv" --edge-model "$EDGE" --server-model "$SERVER" \
      --calibrator "$WORK/pixel.json" --ground-truth "$d" --threads 2 --force
    train+=("$d.prof.csv")
  done
  for d in $(clips test 6000); do
    cached "$d.prof.csv" $V offload-profile "$d/video.mp4" -o "$d.prof.csv" --edge-model "$EDGE" --server-model "$SERVER" \
      --calibrator "$WORK/pixel.json" --ground-truth "$d" --threads 2 --force
    test+=("$d.prof.csv")
  done
  cached "$WORK/vtest.prof.csv" $V offload-profile "$WORK/vtest300.mp4" -o "$WORK/vtest.prof.csv" --edge-model "$EDGE" \
    --server-model "$SERVER" --calibrator "$WORK/pixel.json" --reference-model "$SERVER" --threads 2 --force
  cached "$WORK/frame.json" $V calibrate --fit "$(IFS=,; echo "${train[*]}")" --test "$(IFS=,; echo "${test[*]}")" \
    --diagrams "$WORK/diagrams" -o "$WORK/frame.json" --force
}

plan() {
  local train
  train=$(ls "$WORK"/train_*.prof.csv | paste -sd,)
  local profiles=("$WORK"/test_*.prof.csv "$WORK/vtest.prof.csv")
  mkdir -p "$WORK/plans"
  : > "$WORK/offsets.csv.tmp"
  echo "clip,trace,offset_s" > "$WORK/offsets.csv.tmp"
  for t in $TRACES; do
    for p in "${profiles[@]}"; do
      local name
      name=$(basename "$p" .prof.csv)
      # A seeded random start in the trace: the hash of (clip, trace), uniform in [0, length - 20 s).
      local offset
      offset=$(/usr/bin/python3 -c "import hashlib,sys; h=int(hashlib.sha256(sys.argv[1].encode()).hexdigest(),16)
last=float(open(sys.argv[2]).read().split()[-1])/1000; print(round((h%10**6)/10**6*max(0,last-20),3))" "$name/$t" "$TRACE_DIR/$t")
      echo "$name,$t,$offset" >> "$WORK/offsets.csv.tmp"
      cached "$WORK/plans/$name.$t.csv" $V -q plan "$p" --train "$train" --calibrator "$WORK/frame.json" \
        --trace "$TRACE_DIR/$t" --trace-offset "$offset" --deadlines-ms "$DEADLINES" --rtt-ms "$RTT_MS" \
        -o "$WORK/plans/$name.$t.csv" --plot "$WORK/plans/$name.$t.png" --force
    done
  done
  mv "$WORK/offsets.csv.tmp" "$WORK/offsets.csv"
}

# Live: a 10 fps clip (this machine's 2 cores run the device's model, its three encodes, the
# server's model and the link; at 30 fps they fall behind real time), profiled and planned as
# the test clips, then replayed through `vssoff link` with the trace from its start, with the
# knobs plan chose on the training profiles.
live() {
  local d=$WORK/live_street_6101 train
  cached "$d/manifest.json" $V -q synth -o "$d" --preset street --seed 6101 --fps 10 --frames 100 --force
  train=$(ls "$WORK"/train_*.prof.csv | paste -sd,)
  cached "$d.prof.csv" $V offload-profile "$d/video.mp4" -o "$d.prof.csv" --edge-model "$EDGE" --server-model "$SERVER" \
    --calibrator "$WORK/pixel.json" --ground-truth "$d" --threads 2 --force
  mkdir -p "$WORK/live"
  for t in $TRACES; do
    cached "$WORK/live/plan.$t.csv" $V -q plan "$d.prof.csv" --train "$train" --calibrator "$WORK/frame.json" \
      --trace "$TRACE_DIR/$t" --deadlines-ms "$DEADLINES" --rtt-ms "$RTT_MS" -o "$WORK/live/plan.$t.csv" --force
    for deadline in ${DEADLINES//,/ }; do
      local knobs
      knobs=$(/usr/bin/python3 -c "import json,sys; r=[x for x in json.load(open(sys.argv[1]))['results']
if x['policy']=='cbo' and x['deadline_ms']==float(sys.argv[2])][0]['settings']
print(r['bandwidth_share'], r['price_scale'])" "$WORK/live/plan.$t.csv.json" "$deadline")
      cached "$WORK/live/replay.$t.$deadline.csv" $V -q replay "$d/video.mp4" -o "$WORK/live/replay.$t.$deadline.csv" \
        --system cbo --segment-frames 1 --server-model "$SERVER" --edge-model "$EDGE" --calibrator "$WORK/pixel.json" \
        --frame-calibrator "$WORK/frame.json" --train "$train" --deadline-ms "$deadline" --rtt-ms "$RTT_MS" \
        --bw-share "${knobs% *}" --price-scale "${knobs#* }" --ground-truth "$d" --spawn-server --spawn-link \
        --up-trace "$TRACE_DIR/$t" --delay-ms $((RTT_MS / 2)) --max-queue 1000 --force
    done
  done
}

report() {
  /usr/bin/python3 scripts/cbo_report.py "$WORK"
}

case ${1:-all} in
  data) data ;;
  calibrate) data && calibrate ;;
  profile) data && calibrate && profile ;;
  plan) plan ;;
  report) report ;;
  live) live ;;
  all) data && calibrate && profile && plan && live && report ;;
  *) echo "usage: $0 [data|calibrate|profile|plan|live|report]" >&2; exit 1 ;;
esac
