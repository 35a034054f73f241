#!/usr/bin/env bash
# A write that fails (a full disk, a quota, a file-size limit) is an I/O error, exit 2, whose
# message names the output and the reason, and leaves nothing behind (issue 14, defect 8).
# A file-size limit stands in for a full disk: `ulimit -f` needs no privileges, and vssoff
# ignores SIGXFSZ, so the write past the limit fails with EFBIG instead of killing it.
source "$(dirname "$0")/lib.sh"
MODELS=$VSSOFF_SOURCE_DIR/models
clip=$(small_clip)/video.mp4

# limited KB STATUS "stderr fragment" -- command...: runs the command under a file-size limit.
limited() {
  local kb=$1
  shift
  (
    ulimit -f "$kb"
    expect_exit "$@"
    finish >/dev/null
  ) && ok || fail "under ulimit -f $kb: ${*:3}"
}
# nothing_left NAME: no output NAME and no temporary of it in $T.
nothing_left() {
  [ ! -e "$T/$1" ] && [ -z "$(find "$T" -maxdepth 1 -name ".$1.tmp-*")" ] && ok ||
    fail "a failed write left $(ls -a "$T" | grep -F "$1" | tr '\n' ' ')"
}

# The video (FFmpeg's muxer), a raw reconstruction (.y4m), segment's logit samples (NPY), its
# label PNGs, and a synth directory.
limited 100 2 "cannot write $T/q10.mp4: File too large" "$VSSOFF" encode-roi "$clip" -o "$T/q10.mp4" --qp 10
nothing_left q10.mp4
nothing_left q10.mp4.json
limited 100 2 "cannot write $T/q10.h264: File too large" "$VSSOFF" encode-roi "$clip" -o "$T/q10.h264" --qp 10
nothing_left q10.h264
limited 200 2 "cannot write $T/recon.y4m: File too large" "$VSSOFF" encode-roi "$clip" -o "$T/r.mp4" --qp 40 \
  --recon "$T/recon.y4m"
nothing_left recon.y4m
nothing_left r.mp4
limited 100 2 "cannot write $T/seg/logits.npy: File too large" "$VSSOFF" segment "$clip" -o "$T/seg" \
  --model "$MODELS/segnet-tiny.json" --logit-samples 20000 --frames 4
nothing_left seg
limited 10 2 "cannot write $T/ov/overlay/000000.png: File too large" "$VSSOFF" segment "$clip" -o "$T/ov" \
  --model "$MODELS/segnet-tiny.json" --overlay-every 1 --frames 2
nothing_left ov
limited 100 2 "cannot write $T/syn/video.mp4: File too large" "$VSSOFF" synth -o "$T/syn" --size 320x176 \
  --frames 20 --video-qp 0
nothing_left syn

finish
