#!/usr/bin/env bash
# AccMPEG end to end through the binary: accgrad -> train-cheap-model -> qpmap -> encode-roi,
# with the tiny zoo model as the server model; and the mismatches the manifests catch.
source "$(dirname "$0")/lib.sh"
clip=$(small_clip)  # 320x176: 11 x 20 macroblocks, 40 frames
M=$VSSOFF_SOURCE_DIR/models

expect_exit 0 "differentiated 10 frames" "$VSSOFF" accgrad "$clip/video.mp4" --model "$M/segnet-tiny.json" -o "$T/g.npy" \
  --every 4 --heatmap "$T/g.png"
expect_exit 0 "" "$VSSOFF" accgrad "$clip/video.mp4" --model "$M/segnet-tiny.json" -o "$T/t.npy" --mode taylor --qp-lo 44 \
  --start 8 --frames 8 --every 2 --classes 5,6
expect_exit 0 "" "$PY" - "$T" <<'PY'
import json, sys, numpy as np
t = sys.argv[1]
g, m = np.load(f"{t}/g.npy"), json.load(open(f"{t}/g.npy.json"))
assert g.shape == (10, 11, 20) and g.dtype == np.float32, g.shape
assert (g >= 0).all() and g.sum() > 0
assert m["format"] == "vssoff.accgrad" and m["frames"] == list(range(0, 40, 4)), m["frames"]
assert m["server_model"]["name"] == "segnet-tiny" and m["params"]["mode"] == "grad"
tg, tm = np.load(f"{t}/t.npy"), json.load(open(f"{t}/t.npy.json"))
assert tg.shape == (4, 11, 20) and tm["frames"] == [8, 10, 12, 14] and tm["params"]["qp_lo"] == 44, tm["frames"]
assert tm["params"]["classes"] == [5, 6] and m["params"]["classes"] == []
PY
[ -s "$T/g.png" ] && ok || fail "no gradient heatmap"

expect_exit 0 "held-out AUC" "$VSSOFF" train-cheap-model "$T/g.npy" -o "$T/cheap.json" --epochs 2 --width 4
cp "$T/stderr" "$T/train.log"
expect_exit 0 "% of macroblocks at QP 30" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/map.npy" --cheap-model "$T/cheap.json" \
  --server-model "$M/segnet-tiny.json" --segment-frames 10 --top 25 --qp-hi 30 --qp-lo 44 --heatmap "$T/map.png" \
  --importance-heatmap "$T/imp.png" --heatmap-segment 1
expect_exit 0 "" "$VSSOFF" encode-roi "$clip/video.mp4" -o "$T/roi.mp4" --qp-map "$T/map.npy" --segment 10 --verify
expect_exit 0 "" "$PY" - "$T" <<'PY'
import json, sys, numpy as np
t = sys.argv[1]
q, m = np.load(f"{t}/map.npy"), json.load(open(f"{t}/map.npy.json"))
assert q.shape == (4, 11, 20) and set(np.unique(q)) <= {30, 44}, (q.shape, np.unique(q))
assert m["format"] == "vssoff.qpmap" and m["source"]["kind"] == "cheap-model" and m["source"]["frames_scored"] == 8
assert m["server_model"]["name"] == "segnet-tiny" and m["accmpeg"]["top_percent"] == 25
card = json.load(open(f"{t}/cheap.json"))
assert card["task"] == "mb-importance" and card["produced_by"]["server_model"]["name"] == "segnet-tiny"
# Two epochs on the tiny model's gradients learn nothing measurable (held-out AUC 0.43 measured);
# that the trainer learns is checked on a learnable pattern in tests/accmpeg/cheap_model_test.cc.
# Here: the split of the 10 sampled frames (the last 20% held out), and the AUC it logged.
mt = card["metrics"]
assert mt["train_frames"] == 8 and mt["val_frames"] == 2, mt
assert f"held-out AUC {mt['val_auc']:.6g}" in open(f"{t}/train.log").read(), mt
e = json.load(open(f"{t}/roi.mp4.json"))
assert e["verify"]["qp_check"]["mismatched"] == 0, e["verify"]["qp_check"]
PY
[ -s "$T/map.png" ] && [ -s "$T/imp.png" ] && ok || fail "no QP or importance heatmap"
# Oracle maps from the gradients themselves, and box maps from the synthetic ground truth.
expect_exit 0 "" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/oracle.npy" --importance "$T/g.npy" --segment-frames 10
# Graded maps: QP follows log importance, from the gradients or the cheap model's log-importance head.
expect_exit 0 "mean QP" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/graded.npy" --importance "$T/g.npy" --segment-frames 10 \
  --graded 3 --qp-mean 36 --qp-hi 24 --qp-lo 48
expect_exit 0 "" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/graded_cheap.npy" --cheap-model "$T/cheap.json" \
  --segment-frames 10 --graded 3 --qp-mean 36 --qp-hi 24 --qp-lo 48
expect_exit 0 "" "$VSSOFF" encode-roi "$clip/video.mp4" -o "$T/graded.mp4" --qp-map "$T/graded.npy" --segment 10 --verify
expect_exit 0 "" "$PY" - "$T" <<'PY'
import json, sys, numpy as np
t = sys.argv[1]
g, q = np.load(f"{t}/g.npy"), np.load(f"{t}/graded.npy")
m = json.load(open(f"{t}/graded.npy.json"))
assert m["accmpeg"]["graded"] == 3 and m["accmpeg"]["qp_mean"] == 36 and q.min() >= 24 and q.max() <= 48
assert len(np.unique(q)) > 3, np.unique(q)  # more than two levels
# Segment 0 averages the gradients of frames 0, 4 and 8 (accgrad --every 4); a macroblock at twice
# the mean importance is 3 QP below 36.
imp = g[:3].mean(0)
want = np.clip(np.round(36 - 3 * np.log2(np.maximum(imp, 1e-3 * imp.mean()) / imp.mean())), 24, 48)
assert (q[0] == want).mean() > 0.99, (q[0] != want).sum()
c = np.load(f"{t}/graded_cheap.npy")
assert c.shape == q.shape and c.min() >= 24 and c.max() <= 48
card = json.load(open(f"{t}/cheap.json"))
assert card["arch_params"]["log_importance"] is True
# The log-importance MAE is measured on the held-out frames (the last 2 of 10): not above
# predicting the frame mean everywhere (log2 ratio 0) by more than rounding (1.209 against 1.218
# measured after two epochs; a head that diverged would be far above).
rel = [np.log2(np.maximum(f, 1e-3 * f.mean()) / f.mean()) for f in g[-2:]]
base = float(np.mean([np.abs(r).mean() for r in rel]))
assert card["metrics"]["val_log2_importance_mae"] < 1.1 * base, (card["metrics"], base)
e = json.load(open(f"{t}/graded.mp4.json"))
assert e["verify"]["qp_check"]["mismatched"] == 0, e["verify"]["qp_check"]
PY
expect_exit 1 "not --boxes" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/x.npy" --boxes "$clip/boxes.json" --graded 3
expect_exit 1 "do not apply with --graded" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/x.npy" --importance "$T/g.npy" \
  --segment-frames 10 --graded 3 --dilate 1
expect_exit 1 "qp-mean (20) must lie between" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/x.npy" --importance "$T/g.npy" \
  --segment-frames 10 --graded 3 --qp-mean 20
expect_exit 0 "" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/boxes.npy" --boxes "$clip/boxes.json" --segment-frames 10 --qp-lo 51

# What the manifests catch.
expect_exit 2 "trained for server model segnet-tiny" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/x.npy" \
  --cheap-model "$T/cheap.json" --server-model "$M/segnet-w6.json"
expect_exit 2 "gradients of server model segnet-tiny" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/x.npy" \
  --importance "$T/g.npy" --server-model "$M/segnet-w6.json"
"$VSSOFF" -q synth -o "$T/wide" --size 352x176 --frames 10 --seed 4
expect_exit 2 "QP map grid is 11x20 macroblocks" "$VSSOFF" encode-roi "$T/wide/video.mp4" -o "$T/x.mp4" --qp-map "$T/map.npy" --segment 10
expect_exit 2 "gradients of 320x176 frames" "$VSSOFF" qpmap "$T/wide/video.mp4" -o "$T/x.npy" --importance "$T/g.npy"
expect_exit 2 "degenerate training set" "$VSSOFF" train-cheap-model "$T/g.npy" -o "$T/c2.json" --threshold 1e30
# Clips of two frame sizes train together (a batch never mixes sizes).
"$VSSOFF" -q accgrad "$T/wide/video.mp4" --model "$M/segnet-tiny.json" -o "$T/gw.npy" --every 2
expect_exit 0 "training and 3 validation frames from 2 clip(s)" "$VSSOFF" train-cheap-model "$T/g.npy" "$T/gw.npy" \
  -o "$T/c4.json" --epochs 1 --width 4
"$VSSOFF" -q accgrad "$T/wide/video.mp4" --model "$M/segnet-w6.json" -o "$T/g6.npy" --every 5
expect_exit 2 "train one cheap model per server model" "$VSSOFF" train-cheap-model "$T/g.npy" "$T/g6.npy" -o "$T/c3.json"
expect_exit 2 "not a cheap model" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/x.npy" --cheap-model "$M/segnet-tiny.json"
expect_exit 2 "not a segmentation model" "$VSSOFF" segment "$clip/video.mp4" -o "$T/x" --model "$T/cheap.json"
expect_exit 1 "exactly one of" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/x.npy" --importance "$T/g.npy" --boxes "$clip/boxes.json"
expect_exit 1 "mode must be grad or taylor" "$VSSOFF" accgrad "$clip/video.mp4" --model "$M/segnet-tiny.json" -o "$T/x.npy" --mode hessian
expect_exit 1 "must not exceed qp-lo" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/x.npy" --importance "$T/g.npy" --qp-hi 40 --qp-lo 30
[ ! -e "$T/x.npy" ] && ok || fail "a failed qpmap left $T/x.npy"
# One frame-selection rule: segment and accgrad pick the same frames for the same range.
expect_exit 0 "" "$VSSOFF" segment "$clip/video.mp4" -o "$T/seg_range" --model "$M/segnet-tiny.json" \
  --start 1 --every 2 --frames 4
expect_exit 0 "" "$VSSOFF" accgrad "$clip/video.mp4" --model "$M/segnet-tiny.json" -o "$T/g_range.npy" \
  --start 1 --every 2 --frames 4
expect_exit 0 "" "$PY" - "$T" <<'PY'
import json, os, sys
t = sys.argv[1]
labels = sorted(int(f[:-4]) for f in os.listdir(f"{t}/seg_range/labels"))
grads = json.load(open(f"{t}/g_range.npy.json"))["frames"]
assert labels == grads == [1, 3], (labels, grads)
PY
# qpmap checks every option before writing: a heatmap segment past the end leaves no map.
expect_exit 1 "heatmap segment must be in [0, 3] (got 99)" "$VSSOFF" qpmap "$clip/video.mp4" -o "$T/h99.npy" \
  --importance "$T/g.npy" --segment-frames 10 --heatmap "$T/h99.png" --heatmap-segment 99
[ ! -e "$T/h99.npy" ] && [ ! -e "$T/h99.npy.json" ] && [ ! -e "$T/h99.png" ] && ok || fail "a refused qpmap wrote files"

# Damaged artefacts (a key deleted): exit 2, naming the file and the key.
"$PY" - "$T" <<'PY'
import json, shutil, sys
t = sys.argv[1]
def damage(src, dst, edit):
    m = json.load(open(src)); edit(m); json.dump(m, open(dst, "w"))
damage(f"{t}/g.npy.json", f"{t}/g_noserver.json", lambda m: m.pop("server_model"))
damage(f"{t}/oracle.npy.json", f"{t}/oracle_noparams.json", lambda m: m.pop("params"))
shutil.copytree(f"{t}/seg_range", f"{t}/seg_bad")
damage(f"{t}/seg_range/manifest.json", f"{t}/seg_bad/manifest.json", lambda m: m["legend"][0].pop("id"))
PY
expect_exit 2 "$T/g_noserver.json: malformed (key 'server_model' not found)" "$VSSOFF" qpmap "$clip/video.mp4" \
  -o "$T/x.npy" --importance "$T/g_noserver.json"
expect_exit 2 "$T/g_noserver.json: malformed (key 'server_model' not found)" "$VSSOFF" train-cheap-model \
  "$T/g_noserver.json" -o "$T/c5.json" --epochs 1 --width 4
expect_exit 2 "$T/oracle_noparams.json: malformed (key 'params' not found)" "$VSSOFF" encode-roi "$clip/video.mp4" \
  -o "$T/x.mp4" --qp-map "$T/oracle_noparams.json" --segment 10
expect_exit 2 "$T/seg_bad/manifest.json: missing field \"id\"" "$VSSOFF" evaluate "$T/seg_bad" "$clip" \
  -o "$T/x.json" --subset
[ ! -e "$T/x.npy" ] && [ ! -e "$T/c5.json" ] && [ ! -e "$T/x.mp4" ] && [ ! -e "$T/x.json" ] && ok ||
  fail "a refused run wrote its output"
finish
