#!/usr/bin/env bash
# Bad input gets a clear message naming the file and value, and the documented exit code
# (1 usage, 2 input or I/O); existing outputs are never touched.
source "$(dirname "$0")/lib.sh"
clip=$(small_clip)/video.mp4

# Usage errors: exit 1.
expect_exit 1 "" "$VSSOFF"
expect_exit 1 "" "$VSSOFF" no-such-subcommand
expect_exit 1 "--frames" "$VSSOFF" synth -o "$T/x" --frames abc
expect_exit 1 "unknown synth preset \"moon\"" "$VSSOFF" synth -o "$T/x" --preset moon
expect_exit 1 "exactly one of" "$VSSOFF" encode-roi "$clip" -o "$T/o.mp4"
expect_exit 1 "qp must be in [0, 51] (got 60)" "$VSSOFF" encode-roi "$clip" -o "$T/o.mp4" --qp 60
expect_exit 1 "unknown x264 preset \"warp\"" "$VSSOFF" encode-roi "$clip" -o "$T/o.mp4" --qp 30 --preset warp
expect_exit 1 ".webm" "$VSSOFF" encode-roi "$clip" -o "$T/o.webm" --qp 30

# Input errors: exit 2, naming the file.
expect_exit 2 "video not found: $T/none.mp4" "$VSSOFF" encode-roi "$T/none.mp4" -o "$T/o.mp4" --qp 30
: > "$T/empty.mp4"
expect_exit 2 "video is empty (0 bytes): $T/empty.mp4" "$VSSOFF" encode-roi "$T/empty.mp4" -o "$T/o.mp4" --qp 30
head -c 30000 /dev/urandom > "$T/noise.mp4"
expect_exit 2 "$T/noise.mp4" "$VSSOFF" info "$T/noise.mp4"
size=$(stat -c %s "$clip")
head -c $((size / 3)) "$clip" > "$T/cut.mp4"
expect_exit 2 "cannot open video $T/cut.mp4" "$VSSOFF" encode-roi "$T/cut.mp4" -o "$T/cut_out.mp4" --qp 30
grep -qF "ffmpeg: " "$T/stderr" && ok || fail "the reason FFmpeg gives is not passed on"
[ ! -e "$T/cut_out.mp4" ] && ok || fail "a failed encode left $T/cut_out.mp4"

# QP maps: wrong grid, bad NPY, bad values, a manifest from the future.
$PY -c "import numpy as np; np.save('$T/grid.npy', np.full((1, 23, 40), 30, np.uint8))"
expect_exit 2 "23x40 macroblocks (rows x cols), but the encoded frame is 320x176 = 11x20" \
  "$VSSOFF" encode-roi "$clip" -o "$T/o.mp4" --qp-map "$T/grid.npy"
printf 'NUMPY garbage' > "$T/bad.npy"
expect_exit 2 "$T/bad.npy: not an NPY file" "$VSSOFF" encode-roi "$clip" -o "$T/o.mp4" --qp-map "$T/bad.npy"
$PY -c "import numpy as np; np.save('$T/c.npy', np.full((1, 11, 20), 30, np.complex64))"
expect_exit 2 "unsupported NPY dtype '<c8'" "$VSSOFF" encode-roi "$clip" -o "$T/o.mp4" --qp-map "$T/c.npy"
$PY -c "import numpy as np; a = np.full((1, 11, 20), 30.0); a[0, 4, 7] = 30.5; np.save('$T/f.npy', a)"
expect_exit 2 "value 30.5 at [0, 4, 7]" "$VSSOFF" encode-roi "$clip" -o "$T/o.mp4" --qp-map "$T/f.npy"
$PY -c "import numpy as np; np.save('$T/ok.npy', np.full((1, 11, 20), 30, np.uint8))"
# QP 0 in a map made x264 encode everything losslessly while --verify saw nothing wrong.
$PY -c "import numpy as np; a = np.full((1, 11, 20), 30, np.uint8); a[0, 2, 3] = 0; np.save('$T/z.npy', a)"
expect_exit 2 "gives QP 0, which a map cannot ask for" "$VSSOFF" encode-roi "$clip" -o "$T/o.mp4" --qp-map "$T/z.npy"
expect_exit 1 "QP 0 cannot be in a QP map (got qp-hi 0" "$VSSOFF" qpmap "$clip" -o "$T/q.npy" --boxes "$T/b.json" \
  --qp-hi 0
cat > "$T/ok.npy.json" <<JSON
{"format": "vssoff.qpmap", "version": 9, "params": {}, "sidecars": {}}
JSON
expect_exit 2 "vssoff.qpmap version 9 is newer than this vssoff reads (1)" \
  "$VSSOFF" encode-roi "$clip" -o "$T/o.mp4" --qp-map "$T/ok.npy"

# Never overwrite without --force, and leave the old bytes alone.
echo precious > "$T/keep.mp4"
expect_exit 2 "output exists: $T/keep.mp4 (use --force to overwrite)" "$VSSOFF" encode-roi "$clip" -o "$T/keep.mp4" --qp 30
[ "$(cat "$T/keep.mp4")" = precious ] && ok || fail "existing output was modified"
expect_exit 0 "" "$VSSOFF" encode-roi "$clip" -o "$T/keep.mp4" --qp 30 --force --frames 3
mkdir -p "$T/dir" && echo mine > "$T/dir/file"
expect_exit 2 "output exists: $T/dir" "$VSSOFF" synth -o "$T/dir" --frames 2
[ "$(cat "$T/dir/file")" = mine ] && ok || fail "existing synth directory was modified"

# Options from a config file.
cat > "$T/cfg.ini" <<INI
[encode-roi]
qp=33
frames=4
INI
expect_exit 0 "" "$VSSOFF" --config "$T/cfg.ini" encode-roi "$clip" -o "$T/cfg.mp4"
$PY -c "import json; m = json.load(open('$T/cfg.mp4.json')); assert m['params']['uniform_qp'] == 33 and m['frames'] == 4, m['params']" \
  && ok || fail "config file options were not applied"

# --force replaces only a vssoff output directory (one with a manifest.json), never another one.
mkdir -p "$T/notours" && echo precious >"$T/notours/thesis.tex"
expect_exit 2 "not replacing directory $T/notours: it is not a vssoff output" \
  "$VSSOFF" synth -o "$T/notours" --size 64x48 --frames 2 --force
expect_exit 2 "not replacing directory $T/notours: it is not a vssoff output" \
  "$VSSOFF" segment "$clip" -o "$T/notours" --model "$VSSOFF_SOURCE_DIR/models/segnet-tiny.json" --force
[ -f "$T/notours/thesis.tex" ] && ok || fail "--force deleted a directory that is not a vssoff output"
expect_exit 0 "" "$VSSOFF" synth -o "$T/ours" --size 64x48 --frames 2
expect_exit 0 "" "$VSSOFF" synth -o "$T/ours" --size 64x48 --frames 2 --force

# An unknown key in a --config file is an error naming it (a typo is not ignored).
printf '[encode-roi]\nqp = 33\nfarmes = 4\n' >"$T/typo.ini"
expect_exit 1 "farmes" "$VSSOFF" --config "$T/typo.ini" encode-roi "$clip" -o "$T/typo.mp4"

# A card whose width does not match its weights: named, without a LibTorch stack trace.
$PY -c "
import json; c = json.load(open('$VSSOFF_SOURCE_DIR/models/segnet-w10.json'))
c['arch_params']['width'] = 16; c['weights'] = '$VSSOFF_SOURCE_DIR/models/segnet-w10.pt'
json.dump(c, open('$T/wide.json', 'w'))"
expect_exit 2 "do not fit the architecture parameters {\"width\":16} of the card $T/wide.json" \
  "$VSSOFF" segment "$clip" -o "$T/wide_out" --model "$T/wide.json" --frames 2
grep -q "segnet-w10.pt" "$T/stderr" && ! grep -q "frame #" "$T/stderr" && ok || fail "the weights error names no file or shows a stack trace"
# --qp out of range names the range, not the choice between --qp and --qp-map.
expect_exit 1 "qp must be in [0, 51] (got -1)" "$VSSOFF" encode-roi "$clip" -o "$T/o.mp4" --qp -1
finish
