#!/usr/bin/env bash
# The model zoo: how each shipped model was trained, and how its figures were measured.
#
#   scripts/zoo.sh train NAME...     train models (long: see models/README.md for times)
#   scripts/zoo.sh measure [CARD...] held-out mIoU and ms/frame, as a Markdown table
#   scripts/zoo.sh measure-detectors [CARD...]  held-out COCO mAP and ms/frame of the detectors
#
# The benchmark clips use synth seeds that training (seed * 1000 + preset index) and its
# validation never use; 60 frames of each preset at 640x360.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
VSSOFF=${BUILD_DIR:-build}/tools/vssoff
WORK=${WORK:-out/zoo}
mkdir -p "$WORK"

# name -> train-model options (the exact command of each shipped model)
declare -A RECIPE=(
  [segnet-tiny]="--width 4 --steps 800 --batch 8 --compress-prob 0.3 --val-every 400 --seed 1"
  [segnet-w6]="--width 6 --steps 2000 --batch 8 --compress-prob 0.3 --val-every 500 --seed 1"
  [segnet-w10]="--width 10 --steps 2000 --batch 8 --compress-prob 0.3 --val-every 500 --seed 1"
  [segnet-w16]="--width 16 --steps 4000 --batch 8 --compress-prob 0.3 --val-every 500 --seed 1"
  [segnet-w24]="--width 24 --steps 4000 --batch 8 --compress-prob 0.3 --val-every 500 --seed 1"
  # Detectors (REACT's edge and cloud): trained with one thread each, side by side.
  [detnet-w6]="--task detect --width 6 --steps 2000 --batch 8 --val-every 500 --val-frames 10 --seed 11"
  [detnet-w16]="--task detect --width 16 --steps 1800 --batch 8 --val-every 300 --val-frames 10 --seed 12"
)

train() {
  for name in "$@"; do
    [ -n "${RECIPE[$name]:-}" ] || { echo "zoo: no recipe for $name (have: ${!RECIPE[*]})" >&2; exit 1; }
    # shellcheck disable=SC2086
    $VSSOFF train-model -o "models/$name.json" ${RECIPE[$name]} --force
    rm -f "models/$name.json.ckpt"
  done
}

measure() {
  local cards=("$@")
  [ ${#cards[@]} -gt 0 ] || cards=(models/segnet-*.json)
  local presets=(street highway crowd night)
  for i in "${!presets[@]}"; do
    local p=${presets[$i]}
    [ -f "$WORK/bench_$p/manifest.json" ] ||
      $VSSOFF -q synth -o "$WORK/bench_$p" --preset "$p" --seed $((90001 + i)) --frames 60 --force
  done
  for card in "${cards[@]}"; do
    local name
    name=$(basename "$card" .json)
    for p in "${presets[@]}"; do
      $VSSOFF -q segment "$WORK/bench_$p/video.mp4" -o "$WORK/seg_${name}_$p" --model "$card" --threads 2 --force
      $VSSOFF -q evaluate "$WORK/seg_${name}_$p" "$WORK/bench_$p" -o "$WORK/eval_${name}_$p.json" --force
    done
  done
  # mIoU pooled over the whole benchmark (one confusion matrix, as Cityscapes scores a data
  # set), then per preset; ms/frame is the inference time on the street clip.
  /usr/bin/python3 - "$WORK" "${cards[@]}" <<'PY'
import json, os, sys
import numpy as np
work, cards = sys.argv[1], sys.argv[2:]
presets = ["street", "highway", "crowd", "night"]
print("| model | GFLOPs (640x360) | **mIoU** (pooled) | street | highway | crowd | night | pole/sign IoU | ms/frame (2 threads) |")
print("|---|---|---|---|---|---|---|---|---|")
for card in cards:
    name = os.path.basename(card)[:-5]
    evals = [json.load(open(f"{work}/eval_{name}_{p}.json"))["overall"] for p in presets]
    c = len(evals[0]["classes"])
    cm = sum(np.array(e["confusion"])[:, :c] for e in evals)
    tp = np.diag(cm)
    iou = tp / np.maximum(cm.sum(0) + cm.sum(1) - tp, 1)
    fps = json.load(open(f"{work}/seg_{name}_street/manifest.json"))["inference_fps"]
    gflops = json.load(open(card))["cost"]["gflops"]
    per = " | ".join(f"{e['miou']:.3f}" for e in evals)
    print(f"| {name} | {gflops:.2f} | **{iou.mean():.3f}** | {per} | {iou[-1]:.2f} | {1000 / fps:.1f} |")
PY
}

# The same benchmark clips, detected on every frame and scored against their boxes: COCO
# mAP@0.5 and mAP@[.5:.95] per preset and their mean; ms/frame is detect's median
# inference time per frame on the street clip (2 threads).
measure_detectors() {
  local cards=("$@")
  [ ${#cards[@]} -gt 0 ] || cards=(models/detnet-*.json)
  local presets=(street highway crowd night)
  for i in "${!presets[@]}"; do
    local p=${presets[$i]}
    [ -f "$WORK/bench_$p/manifest.json" ] ||
      $VSSOFF -q synth -o "$WORK/bench_$p" --preset "$p" --seed $((90001 + i)) --frames 60 --force
  done
  for card in "${cards[@]}"; do
    local name
    name=$(basename "$card" .json)
    for p in "${presets[@]}"; do
      $VSSOFF -q detect "$WORK/bench_$p/video.mp4" -o "$WORK/det_${name}_$p" --model "$card" --threads 2 --force
      $VSSOFF -q evaluate "$WORK/det_${name}_$p" "$WORK/bench_$p" -o "$WORK/deteval_${name}_$p.json" --force
    done
  done
  /usr/bin/python3 - "$WORK" "${cards[@]}" <<'PY'
import json, os, sys
work, cards = sys.argv[1], sys.argv[2:]
presets = ["street", "highway", "crowd", "night"]
print("| model | GFLOPs (640x360) | **mAP@0.5** (mean) | street | highway | crowd | night | mAP@[.5:.95] (mean) | vehicle AP@0.5 | person AP@0.5 | ms/frame (2 threads) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for card in cards:
    name = os.path.basename(card)[:-5]
    ev = [json.load(open(f"{work}/deteval_{name}_{p}.json"))["detection"] for p in presets]
    m50 = [e["map_50"] for e in ev]
    cls = {c["name"]: [] for c in ev[0]["classes"]}
    for e in ev:
        for c in e["classes"]:
            if c["ap_50"] is not None:
                cls[c["name"]].append(c["ap_50"])
    ms = json.load(open(f"{work}/det_{name}_street/manifest.json"))["ms_per_frame"]
    gflops = json.load(open(card))["cost"]["gflops"]
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
    print(f"| {name} | {gflops:.2f} | **{mean(m50):.3f}** | " + " | ".join(f"{v:.3f}" for v in m50) +
          f" | {mean([e['map'] for e in ev]):.3f} | {mean(cls['vehicle']):.3f} | {mean(cls['person']):.3f} | {ms:.1f} |")
PY
}

case "${1:-}" in
  train) shift; train "$@" ;;
  measure) shift; measure "$@" ;;
  measure-detectors) shift; measure_detectors "$@" ;;
  *) echo "usage: scripts/zoo.sh train NAME... | measure [CARD...] | measure-detectors [CARD...]" >&2; exit 1 ;;
esac
