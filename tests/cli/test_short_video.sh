#!/usr/bin/env bash
# A video whose header claims more frames than decode (a truncated MJPEG .avi: its header
# says 40, about 15 decode): every step uses what decodes and warns with both counts;
# --strict-length makes it an error (issue 14, defect 6).
source "$(dirname "$0")/lib.sh"
MODELS=$VSSOFF_SOURCE_DIR/models

ffmpeg -v error -y -f lavfi -i testsrc=size=64x48:rate=10 -frames:v 40 -c:v mjpeg -q:v 5 "$T/full.avi"
head -c 30000 "$T/full.avi" >"$T/short.avi"
n=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$T/short.avi")
[ "$n" -gt 5 ] && [ "$n" -lt 38 ] || fail "the truncated test input decodes to $n frames"

expect_exit 0 "header says 40 frames, $n decoded" \
  "$VSSOFF" segment "$T/short.avi" -o "$T/seg" --model "$MODELS/segnet-tiny.json"
$PY -c "import json,sys; m=json.load(open('$T/seg/manifest.json')); sys.exit(m['frames_segmented'] != $n)" \
  && ok || fail "segment kept $(ls "$T/seg/labels" 2>/dev/null | wc -l) frames, not $n"
# A range that ends at the last decodable frame is not a short stream, even when strict.
expect_exit 0 "" "$VSSOFF" segment "$T/short.avi" -o "$T/seg_n" --model "$MODELS/segnet-tiny.json" --frames "$n" \
  --strict-length
expect_exit 2 "header declares 40 frames but the stream ends after $n" \
  "$VSSOFF" segment "$T/short.avi" -o "$T/seg_strict" --model "$MODELS/segnet-tiny.json" --strict-length
[ ! -e "$T/seg_strict" ] && ok || fail "a refused segment left its output"

expect_exit 0 "header says 40 frames, $n decoded" "$VSSOFF" encode-roi "$T/short.avi" -o "$T/u.mp4" --qp 30
expect_exit 2 "header declares 40 frames" "$VSSOFF" encode-roi "$T/short.avi" -o "$T/u2.mp4" --qp 30 --strict-length

expect_exit 0 "" "$VSSOFF" qpmap "$T/short.avi" -o "$T/map.npy" --cheap-model "$MODELS/accmpeg-cheap-w24.json" \
  --segment-frames 5
$PY -c "import json,sys; m=json.load(open('$T/map.npy.json')); sys.exit(m['summary']['count'] != ($n + 4) // 5)" \
  && ok || fail "qpmap made the wrong number of segment maps for $n frames"
expect_exit 0 "header says 40 frames, $n decoded" "$VSSOFF" encode-roi "$T/short.avi" -o "$T/roi.mp4" \
  --qp-map "$T/map.npy" --segment 5
expect_exit 2 "header declares 40 frames" "$VSSOFF" qpmap "$T/short.avi" -o "$T/map2.npy" \
  --cheap-model "$MODELS/accmpeg-cheap-w24.json" --segment-frames 5 --strict-length
finish
