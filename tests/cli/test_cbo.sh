#!/usr/bin/env bash
# CBO end to end on small clips: calibrate (checked against scikit-learn's isotonic fit and
# an independent NLL), segment --calibrator, evaluate's calibration, offload-profile, the
# frame-level calibrator and plan's CBO mode, and their errors.
source "$(dirname "$0")/lib.sh"
V=$VSSOFF
M=$VSSOFF_SOURCE_DIR/models
TRACE=$VSSOFF_SOURCE_DIR/testdata/traces/lte-walk.csv
A=$(small_clip)
"$V" -q synth -o "$T/b" --size 320x176 --frames 40 --seed 4 --preset night

# Pixel calibration from segment runs and their ground truth.
for c in "$A" "$T/b"; do
  "$V" -q segment "$c/video.mp4" -o "$c.seg" --model "$M/segnet-tiny.json" --logit-samples 200 --threads 2
done
expect_exit 0 "" "$V" calibrate --fit "$A.seg:$A" --test "$T/b.seg:$T/b" -o "$T/cal.json" --diagrams "$T/diag"
$PY - "$T/cal.json" "$T/diag" <<'PY' && ok || fail "pixel calibrator artefact"
import json, os, sys
c = json.load(open(sys.argv[1]))
assert c["format"] == "vssoff.calibrator" and c["level"] == "pixel", c["level"]
assert c["model"]["name"] == "segnet-tiny" and len(c["model"]["weights_sha256"]) == 64
assert c["pixel"]["method"] == "temperature" and c["pixel"]["temperature"][0] > 0
for k in ["uncalibrated", "temperature", "class-temperature", "histogram", "isotonic"]:
    r = c["report"][k]
    assert 0 <= r["ece"] <= 1 and r["nll"] > 0 and 0 <= r["brier"] <= 2, (k, r)
    assert os.path.getsize(os.path.join(sys.argv[2], k + ".png")) > 1000, k
# Temperature scaling keeps the argmax and does not raise the NLL of the data it was fitted on.
assert abs(c["report"]["temperature"]["accuracy"] - c["report"]["uncalibrated"]["accuracy"]) < 1e-12
PY

# The isotonic fit against scikit-learn's, and the temperature against an independent NLL, on NPY inputs.
$PY - "$T" <<'PY' || fail "making NPY fixtures"
import numpy as np, sys
rng = np.random.default_rng(5)
z = rng.normal(0, 3, size=(4000, 4)).astype(np.float32)
p = np.exp(z / 2.5); p /= p.sum(1, keepdims=True)
y = np.array([rng.choice(4, p=r) for r in p])
np.save(sys.argv[1] + "/z.npy", z); np.save(sys.argv[1] + "/y.npy", y.astype(np.int64))
np.save(sys.argv[1] + "/y_short.npy", y[:-1].astype(np.int64))
bad = z.copy(); bad[7, 2] = np.nan; np.save(sys.argv[1] + "/z_nan.npy", bad)
out = y.copy(); out[3] = 9; np.save(sys.argv[1] + "/y_out.npy", out.astype(np.int64))
PY
# Cards for a user's 4-class and 2-class classifiers (the tiny model's weights stand in for theirs).
$PY - "$M/segnet-tiny.json" "$T" <<'PY' || fail "making cards"
import json, os, sys
c = json.load(open(sys.argv[1]))
c["weights"] = os.path.join(os.path.dirname(sys.argv[1]), c["weights"])
for n in (4, 2):
    c["name"], c["classes"] = f"toy-{n}", [{"id": k, "name": f"c{k}"} for k in range(n)]
    json.dump(c, open(f"{sys.argv[2]}/toy{n}.json", "w"))
PY
expect_exit 0 "" "$V" calibrate --fit "$T/z.npy:$T/y.npy" --model "$T/toy4.json" --method isotonic -o "$T/iso.json"
$PY - "$T" <<'PY' && ok || fail "isotonic fit differs from scikit-learn's, or the temperature is not the NLL minimum"
import json, sys
import numpy as np
from sklearn.isotonic import IsotonicRegression
t = sys.argv[1]
z, y = np.load(t + "/z.npy").astype(np.float64), np.load(t + "/y.npy")
c = json.load(open(t + "/iso.json"))
e = np.exp(z - z.max(1, keepdims=True)); p = e / e.sum(1, keepdims=True)
conf, correct = p.max(1).astype(np.float32).astype(np.float64), (p.argmax(1) == y).astype(float)  # float32, as vssoff keeps them
ref = IsotonicRegression(out_of_bounds="clip").fit(conf, correct)
grid = np.linspace(0, 1, 2001)
ours = np.interp(grid, c["pixel"]["isotonic"]["x"], c["pixel"]["isotonic"]["y"])
assert np.max(np.abs(ours - ref.predict(grid))) < 1e-9, np.max(np.abs(ours - ref.predict(grid)))
T = c["report"]["temperature"]["calibrator"]["temperature"][0]
def nll(T):
    s = z / T; s = s - s.max(1, keepdims=True)
    return float(np.mean(np.log(np.exp(s).sum(1)) - s[np.arange(len(y)), y]))
assert nll(T) <= nll(T * 1.02) and nll(T) <= nll(T / 1.02), (T, nll(T))
assert abs(T - 2.5) < 0.25, T
PY
# With ties (saturated float32 pixels tie a lot): 2-class logits (a, 0) with a from 12 values.
$PY - "$T" <<'PY' || fail "making the tied fixture"
import numpy as np, sys
rng = np.random.default_rng(9)
a = rng.choice(np.linspace(0, 5.5, 12), size=3000)
y = (rng.random(3000) > 1 / (1 + np.exp(-a / 1.7))).astype(np.int64)  # class 0 is right with a flatter sigmoid
np.save(sys.argv[1] + "/zt.npy", np.stack([a, np.zeros_like(a)], 1).astype(np.float32))
np.save(sys.argv[1] + "/yt.npy", y)
PY
expect_exit 0 "" "$V" calibrate --fit "$T/zt.npy:$T/yt.npy" --model "$T/toy2.json" --method isotonic -o "$T/isot.json"
$PY - "$T" <<'PY' && ok || fail "isotonic fit with ties differs from scikit-learn's"
import json, sys
import numpy as np
from sklearn.isotonic import IsotonicRegression
t = sys.argv[1]
z, y = np.load(t + "/zt.npy").astype(np.float64), np.load(t + "/yt.npy")
e = np.exp(z - z.max(1, keepdims=True)); p = e / e.sum(1, keepdims=True)
conf = p.max(1).astype(np.float32).astype(np.float64)
assert len(np.unique(conf)) <= 12
ref = IsotonicRegression(out_of_bounds="clip").fit(conf, (p.argmax(1) == y).astype(float))
c = json.load(open(t + "/isot.json"))["pixel"]["isotonic"]
grid = np.linspace(0, 1, 2001)
assert np.max(np.abs(np.interp(grid, c["x"], c["y"]) - ref.predict(grid))) < 1e-9
PY
expect_exit 2 "has 4000 rows but" "$V" calibrate --fit "$T/z.npy:$T/y_short.npy" --model "$T/toy4.json" -o "$T/x.json"
expect_exit 2 "logit 2 of sample 7 is nan" "$V" calibrate --fit "$T/z_nan.npy:$T/y.npy" --model "$T/toy4.json" -o "$T/x.json"
expect_exit 2 "label 9 of sample 3" "$V" calibrate --fit "$T/z.npy:$T/y_out.npy" --model "$T/toy4.json" -o "$T/x.json"
expect_exit 1 "name the model" "$V" calibrate --fit "$T/z.npy:$T/y.npy" -o "$T/x.json"
expect_exit 1 "unknown method" "$V" calibrate --fit "$T/z.npy:$T/y.npy" --method platt -o "$T/x.json"
expect_exit 1 "DATA:LABELS" "$V" calibrate --fit "$T/z.npy" -o "$T/x.json"
[ ! -e "$T/x.json" ] && ok || fail "a failed calibrate left an output"

# segment --calibrator: calibrated statistics and maps; another model is refused.
expect_exit 0 "" "$V" segment "$T/b/video.mp4" -o "$T/b.cal" --model "$M/segnet-tiny.json" --calibrator "$T/cal.json" \
  --confidence --frames 5
$PY - "$T/b.seg/stats.csv" "$T/b.cal/stats.csv" <<'PY' && ok || fail "segment --calibrator statistics"
import csv, sys
raw = list(csv.DictReader(open(sys.argv[1])))[:5]
cal = list(csv.DictReader(open(sys.argv[2])))
assert len(cal) == 5 and "raw_mean_max_prob" in cal[0]
for r, c in zip(raw, cal):
    assert abs(float(c["raw_mean_max_prob"]) - float(r["mean_max_prob"])) < 1e-9, (r["mean_max_prob"], c)
    assert abs(float(c["mean_max_prob"]) - float(r["mean_max_prob"])) > 1e-6  # the temperature changed it
    assert abs(float(c["share_road"]) - float(r["share_road"])) < 1e-12      # and kept the argmax
PY
expect_exit 2 "fitted for model \"segnet-tiny\"" "$V" segment "$T/b/video.mp4" -o "$T/b.w6" --model "$M/segnet-w6.json" \
  --calibrator "$T/cal.json" --frames 2
[ ! -e "$T/b.w6" ] && ok || fail "a refused segment left an output"

# evaluate reports the calibration of a run with sampled logits, and draws it.
expect_exit 0 "calibration of" "$V" evaluate "$T/b.seg" "$T/b" -o "$T/eval.json" --reliability "$T/rel.png"
$PY - "$T/eval.json" "$T/cal.json" "$T/rel.png" <<'PY' && ok || fail "evaluate's calibration"
import json, os, sys
e, c = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert abs(e["calibration"]["ece"] - c["report"]["uncalibrated"]["ece"]) < 1e-9  # the same samples, the same metric
assert os.path.getsize(sys.argv[3]) > 1000
PY
expect_exit 1 "no logits samples" "$V" evaluate "$T/b.cal" "$T/b" --subset --reliability "$T/rel2.png"

# Offload profiles (tiny at 176p on the device, w6 on the server), the frame calibrator, plan.
for c in "$A" "$T/b"; do
  expect_exit 0 "" "$V" offload-profile "$c/video.mp4" -o "$c.prof.csv" --edge-model "$M/segnet-tiny-176p.json" \
    --server-model "$M/segnet-w6.json" --ground-truth "$c" --scales 1,0.5 --frames 20 --threads 2
done
$PY - "$A.prof.csv" <<'PY' && ok || fail "offload profile"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
m = json.load(open(sys.argv[1] + ".json"))
assert len(rows) == 20 and m["format"] == "vssoff.offload-profile" and m["scales"] == [1, 0.5]
assert m["edge_model"]["name"] == "segnet-tiny-176p" and m["calibrator_sha256"] == ""
for r in rows:
    assert int(r["bytes@0.5"]) < int(r["bytes@1"]), r   # a smaller intra frame
    assert 0 <= float(r["local_miou"]) <= 1 and 0 <= float(r["server_miou@1"]) <= 1
PY
expect_exit 0 "frame calibrator" "$V" calibrate --fit "$A.prof.csv" --test "$T/b.prof.csv" -o "$T/frame.json"
expect_exit 0 "" "$V" plan "$T/b.prof.csv" --train "$A.prof.csv" --calibrator "$T/frame.json" --trace "$TRACE" \
  --deadlines-ms 100,300 -o "$T/plan.csv" --plot "$T/plan.png"
$PY - "$T/plan.csv" <<'PY' && ok || fail "plan's CBO mode"
import csv, json, os, sys
rows = list(csv.DictReader(open(sys.argv[1])))
m = json.load(open(sys.argv[1] + ".json"))
assert m["format"] == "vssoff.offload-plan" and len(rows) == 2 * 6 * 20, len(rows)
res = {(r["policy"], r["deadline_ms"]): r for r in m["results"]}
for d in [100, 300]:
    never, oracle = res[("never", d)]["accuracy"], res[("oracle", d)]["accuracy"]
    assert oracle >= never - 1e-12, (d, oracle, never)        # it offloads only true gains; late counts as local
    assert res[("never", d)]["offloaded"] == 0
    for p in ["cbo", "always", "raw-threshold", "calibrated-threshold"]:
        assert "bandwidth_share" in res[(p, d)]["settings"], p  # knobs chosen on the training profile
for r in rows:  # a late or local frame scores the local result
    if r["counted"] == "0":
        assert abs(float(r["accuracy"]) - float(r["local_miou"])) < 1e-12, r
assert os.path.getsize(sys.argv[1].replace(".csv", ".png")) > 1000
PY
expect_exit 1 "--targets is for Penance profile tables" "$V" plan "$T/b.prof.csv" --train "$A.prof.csv" \
  --calibrator "$T/frame.json" --trace "$TRACE" --targets 0.8 -o "$T/p2.csv"
expect_exit 1 "not longer than the 40 ms round trip" "$V" plan "$T/b.prof.csv" --train "$A.prof.csv" \
  --calibrator "$T/frame.json" --trace "$TRACE" --deadlines-ms 30 --rtt-ms 40 -o "$T/p2.csv"
expect_exit 2 "plan needs a frame-level one" "$V" plan "$T/b.prof.csv" --train "$A.prof.csv" --calibrator "$T/cal.json" \
  --trace "$TRACE" -o "$T/p2.csv"
"$V" -q offload-profile "$A/video.mp4" -o "$T/other.prof.csv" --edge-model "$M/segnet-tiny.json" \
  --server-model "$M/segnet-w6.json" --ground-truth "$A" --scales 1,0.5 --frames 3 --threads 2
expect_exit 2 "profiled with edge model \"segnet-tiny\"" "$V" plan "$T/b.prof.csv" --train "$T/other.prof.csv" \
  --calibrator "$T/frame.json" --trace "$TRACE" -o "$T/p2.csv"
expect_exit 2 "segment applies pixel-level ones" "$V" segment "$T/b/video.mp4" -o "$T/b.f" --model "$M/segnet-tiny.json" \
  --calibrator "$T/frame.json" --frames 2
[ ! -e "$T/p2.csv" ] && ok || fail "a refused plan left an output"

# Live: the same policy in a replay (camera, link and server as processes), frame by frame.
"$V" -q synth -o "$T/l" --size 320x176 --frames 12 --fps 10 --seed 8
expect_exit 0 "" "$V" replay "$T/l/video.mp4" -o "$T/live.csv" --system cbo --segment-frames 1 \
  --server-model "$M/segnet-w6.json" --edge-model "$M/segnet-tiny-176p.json" --frame-calibrator "$T/frame.json" \
  --train "$A.prof.csv" --deadline-ms 400 --rtt-ms 20 --ground-truth "$T/l" --spawn-server --spawn-link \
  --up-trace "$TRACE" --delay-ms 10 --max-queue 1000
$PY - "$T/live.csv" <<'PY' && ok || fail "live cbo replay"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
s = json.load(open(sys.argv[1] + ".json"))["system"]
assert len(rows) == 12 and s["frames"] == 12, (len(rows), s)
assert {r["status"] for r in rows} <= {"ok", "local"}, {r["status"] for r in rows}
sent = [r for r in rows if r["status"] == "ok"]
assert s["offloaded"] == len(sent) and all(r["action"].startswith("cbo@") for r in sent)
assert all(r["action"] == "local" and float(r["bytes"]) == 0 for r in rows if r["status"] == "local")
assert 0 <= s["accuracy"] <= 1 and 0 <= s["local_accuracy"] <= 1
PY
expect_exit 1 "give --segment-frames 1" "$V" replay "$T/l/video.mp4" -o "$T/live2.csv" --system cbo \
  --server-model "$M/segnet-w6.json" --edge-model "$M/segnet-tiny-176p.json" --frame-calibrator "$T/frame.json" \
  --train "$A.prof.csv" --ground-truth "$T/l" --spawn-server
expect_exit 1 "give --ground-truth" "$V" replay "$T/l/video.mp4" -o "$T/live2.csv" --system cbo --segment-frames 1 \
  --server-model "$M/segnet-w6.json" --edge-model "$M/segnet-tiny-176p.json" --frame-calibrator "$T/frame.json" \
  --train "$A.prof.csv" --spawn-server
finish
