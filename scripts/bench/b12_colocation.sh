#!/usr/bin/env bash
# B12: two vssoff processes sharing the 2 cores, each with its default threading, against the
# same two run one after the other; and what the OpenMP wait policy (core/threads.h) costs a
# process alone. Pairs: two `segment` runs (segnet-w10, 60 frames), and a `segment` beside an
# `encode-roi` (the camera and the server of the replay on one machine).
# Targets: together / one-after-the-other <= 1.15; alone, policy / libgomp default <= 1.03.
source "$(dirname "$0")/lib.sh"
clip=$WORK/b12_clip
[ -f "$clip/video.mp4" ] || $VSSOFF -q synth -o "$clip" --frames 60 --seed 5 --force
[ -f "$WORK/b12.y4m" ] || ffmpeg -loglevel error -y -i "$clip/video.mp4" -pix_fmt yuv420p "$WORK/b12.y4m"
echo "B12 co-location, 640x360; $(machine)"
seg() { "$VSSOFF" -q segment "$clip/video.mp4" -o "$WORK/b12_seg_$1" --model models/segnet-w10.json --force; }
enc() { "$VSSOFF" -q encode-roi "$WORK/b12.y4m" -o "$WORK/b12_enc.mp4" --qp 30 --preset medium --force; }
seq_pair() { "$1" a; "$2" b; }
par_pair() {  # both at once; fails if either does
  local p1 p2
  "$1" a & p1=$!
  "$2" b & p2=$!
  wait "$p1" && wait "$p2"
}
compare B12-segment+segment "together" "one after the other" par_pair seg seg -- seq_pair seg seg
compare B12-segment+encode "together" "one after the other" par_pair seg enc -- seq_pair seg enc
# With the libgomp default (GOMP_SPINCOUNT=300000 is libgomp's own value) for reference:
# the collapse the policy prevents, and what the policy costs a process alone.
gomp_default() { GOMP_SPINCOUNT=300000 "$@"; }
par_default() {
  local p1 p2
  gomp_default seg a & p1=$!
  gomp_default seg b & p2=$!
  wait "$p1" && wait "$p2"
}
seq_default() { gomp_default seg a; gomp_default seg b; }
RUNS=${DEFAULT_RUNS:-3} compare B12-libgomp-default "together" "one after the other" par_default -- seq_default
compare B12-alone "segment, vssoff's policy" "segment, libgomp default" seg a -- gomp_default seg a
