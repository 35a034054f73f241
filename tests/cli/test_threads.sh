#!/usr/bin/env bash
# The thread budget (VSSOFF_THREADS) and the OpenMP wait policy of model subcommands
# (core/threads.h, man vssoff(1) THREADS).
source "$(dirname "$0")/lib.sh"
unset OMP_WAIT_POLICY GOMP_SPINCOUNT VSSOFF_THREADS  # this script's checks assume none is set
clip=$(small_clip)
tiny=$VSSOFF_SOURCE_DIR/models/segnet-tiny.json

# A bad budget is a usage error naming the variable and the value.
expect_exit 1 'VSSOFF_THREADS must be a whole number in [1, 256] (got "two")' \
  env VSSOFF_THREADS=two "$VSSOFF" encode-roi "$clip/video.mp4" -o "$T/a.mp4" --qp 30
[ ! -e "$T/a.mp4" ] && ok || fail "a refused run wrote its output"
expect_exit 0 "" env VSSOFF_THREADS=two "$VSSOFF" encode-roi --help  # help needs no budget

# The budget reaches x264 (x264's rule: 1.5 threads a core, at most one per two macroblock
# rows: 5 for this 176-row clip) and the run's manifest says so.
for n in 1 4 2; do
  env VSSOFF_THREADS=$n "$VSSOFF" -q encode-roi "$clip/video.mp4" -o "$T/b$n.mp4" --qp 30 --force
  got=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["params"]["x264"]["threads"])' "$T/b$n.mp4.json")
  want=$(( n * 3 / 2 )); [ "$want" -gt 5 ] && want=5
  [ "$got" = "$want" ] && ok || fail "VSSOFF_THREADS=$n: x264 threads $got, wanted $want"
done

# A model subcommand runs with GOMP_SPINCOUNT=10000 (re-executed once), unless the user set
# the OpenMP wait themselves; a subcommand without models is not re-executed. libgomp itself
# says what it read (OMP_DISPLAY_ENV), and the plugin what the process has.
expect_exit 0 "GOMP_SPINCOUNT = '10000'" \
  env OMP_DISPLAY_ENV=verbose "$VSSOFF" -q segment "$clip/video.mp4" -o "$T/s0" --model "$tiny" --frames 1
expect_exit 0 "GOMP_SPINCOUNT = '300000'" env OMP_DISPLAY_ENV=verbose "$VSSOFF" info "$clip/video.mp4"
expect_exit 0 "GOMP_SPINCOUNT = '10000'" \
  env OMP_DISPLAY_ENV=verbose "$VSSOFF" -q qpmap "$clip/video.mp4" -o "$T/q.npy" \
  --cheap-model "$VSSOFF_SOURCE_DIR/models/accmpeg-cheap-w24.json"
expect_exit 0 "OpenMP waiting: GOMP_SPINCOUNT=10000" \
  "$VSSOFF" -v segment "$clip/video.mp4" -o "$T/s1" --model "$tiny" --frames 1
expect_exit 0 "OpenMP waiting: GOMP_SPINCOUNT=777" \
  env GOMP_SPINCOUNT=777 "$VSSOFF" -v segment "$clip/video.mp4" -o "$T/s2" --model "$tiny" --frames 1
expect_exit 0 "OpenMP waiting: OMP_WAIT_POLICY=PASSIVE" \
  env OMP_WAIT_POLICY=PASSIVE "$VSSOFF" -v segment "$clip/video.mp4" -o "$T/s3" --model "$tiny" --frames 1
# The policy holds with global options before the subcommand and a --config file.
printf '[segment]\nframes = 1\n' >"$T/seg.ini"
expect_exit 0 "OpenMP waiting: GOMP_SPINCOUNT=10000" \
  "$VSSOFF" -v --config "$T/seg.ini" segment "$clip/video.mp4" -o "$T/s4" --model "$tiny"
# Arguments survive the re-execution unchanged (spaces).
mkdir -p "$T/dir with space"
expect_exit 0 "" "$VSSOFF" -q segment "$clip/video.mp4" -o "$T/dir with space/s5" --model "$tiny" --frames 1
[ -f "$T/dir with space/s5/manifest.json" ] && ok || fail "output path with a space lost in re-execution"
finish
