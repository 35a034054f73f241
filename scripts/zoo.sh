#!/usr/bin/env bash
# The model zoo: how each shipped model was trained, and how its figures were measured.
#
#   scripts/zoo.sh train NAME...     train models (long: see models/README.md for times)
#   scripts/zoo.sh measure [CARD...] held-out mIoU and ms/frame, as a Markdown table
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
  [segnet-w6]="--width 6 --steps 3000 --batch 8 --compress-prob 0.3 --val-every 500 --seed 1"
  [segnet-w10]="--width 10 --steps 3000 --batch 8 --compress-prob 0.3 --val-every 500 --seed 1"
  [segnet-w16]="--width 16 --steps 4000 --batch 8 --compress-prob 0.3 --val-every 500 --seed 1"
  [segnet-w24]="--width 24 --steps 4000 --batch 8 --compress-prob 0.3 --val-every 500 --seed 1"
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
  [ ${#cards[@]} -gt 0 ] || cards=(models/*.json)
  local presets=(street highway crowd night)
  for i in "${!presets[@]}"; do
    local p=${presets[$i]}
    [ -f "$WORK/bench_$p/manifest.json" ] ||
      $VSSOFF -q synth -o "$WORK/bench_$p" --preset "$p" --seed $((90001 + i)) --frames 60 --force
  done
  echo "| model | GFLOPs (640x360) | mIoU street | highway | crowd | night | mean mIoU | ms/frame (2 threads) |"
  echo "|---|---|---|---|---|---|---|---|"
  for card in "${cards[@]}"; do
    local name row=() ms
    name=$(basename "$card" .json)
    for p in "${presets[@]}"; do
      $VSSOFF -q segment "$WORK/bench_$p/video.mp4" -o "$WORK/seg_${name}_$p" --model "$card" --threads 2 --force
      $VSSOFF -q evaluate "$WORK/seg_${name}_$p" "$WORK/bench_$p" -o "$WORK/eval_${name}_$p.json" --force
      row+=("$(/usr/bin/python3 -c "import json; print(round(json.load(open('$WORK/eval_${name}_$p.json'))['overall']['miou'], 3))")")
    done
    ms=$(/usr/bin/python3 -c "import json; print(round(1000 / json.load(open('$WORK/seg_${name}_street/manifest.json'))['inference_fps'], 1))")
    gflops=$(/usr/bin/python3 -c "import json; print(round(json.load(open('$card'))['cost']['gflops'], 2))")
    mean=$(/usr/bin/python3 -c "print(round(sum([${row[*]// /,}]) / 4, 3))")
    echo "| $name | $gflops | ${row[0]} | ${row[1]} | ${row[2]} | ${row[3]} | **$mean** | $ms |"
  done
}

case "${1:-}" in
  train) shift; train "$@" ;;
  measure) shift; measure "$@" ;;
  *) echo "usage: scripts/zoo.sh train NAME... | measure [CARD...]" >&2; exit 1 ;;
esac
