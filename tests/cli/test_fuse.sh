#!/usr/bin/env bash
# fuse (REACT) end to end on a synth clip: edge and cloud detections artefacts made from the
# ground truth (edge: every 5 frames, jittered, every object called a vehicle, one empty
# result; cloud: every 15 frames, exact), fused with a delay of 10 frames; the three modes'
# outputs, their accuracy against the ground truth, the manifests, and the input errors.
source "$(dirname "$0")/lib.sh"
V=$VSSOFF
"$V" -q synth -o "$T/clip" --size 320x176 --frames 60 --seed 3
"$V" -q synth -o "$T/other" --size 320x176 --frames 60 --seed 4

# make_dets CLIP OUT EVERY KIND [EDIT]: a detections artefact in detect's contract from the
# clip's boxes.json. EDIT damages it for the error checks.
make_dets() {
  $PY - "$@" <<'PY'
import hashlib, json, os, random, sys
clip, out, every, kind = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
edit = sys.argv[5] if len(sys.argv) > 5 else ""
gt = json.load(open(f"{clip}/boxes.json"))
man = json.load(open(f"{clip}/manifest.json"))
video = f"{clip}/video.mp4"
W, H = gt["images"][0]["width"], gt["images"][0]["height"]
n = len(gt["images"])
frames = list(range(0, n, every))
rng = random.Random(7)
res = []
for a in gt["annotations"]:
    f = a["image_id"] - 1
    x, y, w, h = a["bbox"]
    if f not in frames or w * h < 30 or a.get("visibility", 1) < 0.3:
        continue
    if kind == "edge":
        if f == 25:
            continue  # an empty result: the detector ran and saw nothing
        j = lambda v: v + rng.uniform(-1.5, 1.5)
        x0, y0 = max(0.0, j(x)), max(0.0, j(y))
        x1, y1 = min(W, j(x + w)), min(H, j(y + h))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        res.append({"image_id": a["image_id"], "category_id": 5, "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "score": round(rng.uniform(0.5, 0.8), 3)})
    else:
        res.append({"image_id": a["image_id"], "category_id": a["category_id"], "bbox": [x, y, w, h], "score": 0.95})
if edit == "outside": res[0]["bbox"][0] = W - 1
if edit == "category": res[0]["category_id"] = 9
if edit == "late": res[0]["image_id"] = n + 1
m = {"format": "vssoff.detections", "version": 1,
     "params": {"model": f"models/{kind}.json", "model_name": f"{kind}-det", "every": every, "first": 0,
                "last": n - 1, "score_threshold": 0.3},
     "inputs": [{"role": "video", "path": video, "bytes": os.path.getsize(video),
                 "sha256": hashlib.sha256(open(video, "rb").read()).hexdigest()}],
     "video": {"width": W, "height": H, "frames": n, "fps": [30, 1]},
     "frames": frames, "categories": [{"id": 5, "name": "vehicle"}, {"id": 6, "name": "person"}]}
if edit == "kind": m["format"] = "vssoff.synth"
if edit == "sha": m["inputs"][0]["sha256"] = "0" * 64
os.makedirs(out, exist_ok=True)
json.dump(m, open(f"{out}/manifest.json", "w"))
json.dump({"images": []} if edit == "notresults" else res, open(f"{out}/detections.json", "w"))
PY
}
make_dets "$T/clip" "$T/edge" 5 edge || fail "making edge detections"
make_dets "$T/clip" "$T/cloud" 15 cloud || fail "making cloud detections"

expect_exit 0 "fused 60 frames" "$V" fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/clip/video.mp4" \
  -o "$T/out" --delay 10 --overlay-every 20
$PY - "$T" <<'PY' && ok || fail "fuse outputs"
import json, os, sys
t = sys.argv[1]
gt = json.load(open(f"{t}/clip/boxes.json"))
def iou(a, b):
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]); ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return 0 if iw <= 0 or ih <= 0 else iw * ih / (a[2] * a[3] + b[2] * b[3] - iw * ih)
truth = {}
for a in gt["annotations"]:
    if a["bbox"][2] * a["bbox"][3] >= 30 and a.get("visibility", 1) >= 0.3:
        truth.setdefault(a["image_id"], []).append(a)
def f1(dets):  # class-aware, greedy by score at IoU 0.5
    tp = fp = 0
    by = {}
    for d in dets: by.setdefault(d["image_id"], []).append(d)
    for img, ds in by.items():
        used = set()
        for d in sorted(ds, key=lambda d: -d["score"]):
            best = max(((iou(d["bbox"], g["bbox"]), k) for k, g in enumerate(truth.get(img, []))
                        if k not in used and g["category_id"] == d["category_id"]), default=(0, -1))
            if best[0] >= 0.5: tp += 1; used.add(best[1])
            else: fp += 1
    fn = sum(len(v) for v in truth.values()) - tp
    return 2 * tp / (2 * tp + fp + fn)
top = json.load(open(f"{t}/out/manifest.json"))
assert top["format"] == "vssoff.fusion" and top["version"] == 1
p = top["params"]
assert (p["k"], p["m"], p["delay_frames"], p["tracker"], p["iou_threshold"], p["decay"], p["min_score"],
        p["buffer_frames"]) == (5, 15, 10, "mosse", 0.5, 0.8, 0.1, 64), p
c = top["counts"]
assert c["frames"] == 60 and c["cloud_arrived"] == 4 and c["cloud_dropped_after_last_frame"] == 0, c
assert c["react"]["empty_edge_results"] == 1 and c["react"]["cloud_results"] == 4, c["react"]
assert c["edge-only"]["cloud_results"] == 0 and c["cloud-only"]["edge_results"] == 0
assert top["timing"]["frames_per_s"] > 0 and top["timing"]["tracker_s"] >= 0
scores = {}
for mode in ["react", "edge-only", "cloud-only"]:
    m = json.load(open(f"{t}/out/{mode}/manifest.json"))
    assert m["format"] == "vssoff.detections" and m["frames"] == list(range(60)), mode
    assert m["video"]["frames"] == 60 and m["inputs"][0]["role"] == "video"
    assert m["inputs"][0]["sha256"] == json.load(open(f"{t}/edge/manifest.json"))["inputs"][0]["sha256"]
    d = json.load(open(f"{t}/out/{mode}/detections.json"))
    for b in d:
        x, y, w, h = b["bbox"]
        assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= 320.001 and y + h <= 176.001, (mode, b)
    scores[mode] = (f1(d), {b["category_id"] for b in d}, {b["image_id"] for b in d}, d)
react, edge, cloud = scores["react"], scores["edge-only"], scores["cloud-only"]
assert edge[1] == {5}, edge[1]            # the edge calls everything a vehicle
assert 6 in react[1], react[1]             # react takes the cloud's classes
assert min(cloud[2]) == 11, min(cloud[2])  # the first cloud result arrives at frame 10
# Every frame has results (the empty edge result at 25 wipes nothing; edge-only's objects may
# decay away on a failing tracker before the edge's next result at 30).
assert react[2] == set(range(1, 61)), sorted(set(range(1, 61)) - react[2])
assert len(edge[2]) >= 54 and set(range(1, 26)) <= edge[2], sorted(set(range(1, 61)) - edge[2])
assert react[0] > edge[0] and react[0] > cloud[0], (react[0], edge[0], cloud[0])
print(f"class-aware F1 at IoU 0.5: react {react[0]:.3f}, edge-only {edge[0]:.3f}, cloud-only {cloud[0]:.3f}")
for f in ["000000.png", "000020.png", "000040.png"]:
    assert os.path.getsize(f"{t}/out/overlay/{f}") > 1000, f
assert not os.path.exists(f"{t}/out/overlay/000010.png")
PY

# Other trackers, per-result delays in seconds (rounded up: 0.301 s at 30 fps = 10 frames),
# a result arriving after the last frame.
printf 'frame,delay_s\n0,0.301\n15,0.2\n30,0.5\n45,0.6\n' >"$T/delays.csv"
expect_exit 0 "" "$V" -q fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/clip/video.mp4" -o "$T/out2" \
  --delays "$T/delays.csv" --tracker kcf
$PY - "$T/out2/manifest.json" <<'PY' && ok || fail "delays file"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["params"]["delay_frames"] is None and m["params"]["delays"].endswith("delays.csv")
assert m["params"]["max_delay_frames"] == 18 and m["params"]["tracker"] == "kcf", m["params"]
assert m["counts"]["cloud_arrived"] == 3 and m["counts"]["cloud_dropped_after_last_frame"] == 1, m["counts"]
assert [i["role"] for i in m["inputs"]] == ["video", "edge", "cloud", "delays"]
PY
for tr in csrt mil medianflow none; do
  expect_exit 0 "" "$V" -q fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/clip/video.mp4" \
    -o "$T/out-$tr" --delay 10 --tracker "$tr"
done
expect_exit 0 "" "$V" fuse --tracker list
for tr in mosse kcf csrt mil medianflow none; do grep -q "^$tr" "$T/stdout" && ok || fail "--tracker list lacks $tr"; done

# Outputs are not overwritten without --force.
expect_exit 2 "exists" "$V" fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/clip/video.mp4" -o "$T/out" --delay 10
expect_exit 0 "" "$V" -q fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/clip/video.mp4" -o "$T/out" \
  --delay 5 --force
[ "$($PY -c "import json; print(json.load(open('$T/out/manifest.json'))['params']['delay_frames'])")" = 5 ] && ok ||
  fail "--force did not replace the output"

# Usage errors (exit 1).
F=(fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/clip/video.mp4" -o "$T/bad")
expect_exit 1 "does not fit the frame buffer of 64 frames" "$V" "${F[@]}" --delay 64
expect_exit 0 "" "$V" -q fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/clip/video.mp4" -o "$T/short" \
  --delay 64 --allow-short-buffer
expect_exit 1 "give one of --delay" "$V" "${F[@]}" --force
expect_exit 1 "give one of --delay" "$V" "${F[@]}" --delay 3 --delays "$T/delays.csv" --force
expect_exit 1 "unknown tracker 'goturn'" "$V" "${F[@]}" --delay 3 --tracker goturn --force
expect_exit 1 "iou must be in (0, 1]" "$V" "${F[@]}" --delay 3 --iou 0 --force

# Input errors (exit 2), each naming the file and the value.
make_dets "$T/other" "$T/cloud-other" 15 cloud
expect_exit 2 "edge and cloud detections are of different videos" \
  "$V" fuse --edge "$T/edge" --cloud "$T/cloud-other" --video "$T/clip/video.mp4" -o "$T/bad" --delay 3
expect_exit 2 "is not the video of the detections" \
  "$V" fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/other/video.mp4" -o "$T/bad" --delay 3
for e in outside:"is outside the 320x176 image" category:"unknown category_id 9" \
         late:"which does not exist (the video has 60 frames)" kind:"vssoff.synth" \
         notresults:"COCO results form expected" sha:"different videos"; do
  make_dets "$T/clip" "$T/cloud-${e%%:*}" 15 cloud "${e%%:*}"
  expect_exit 2 "${e#*:}" "$V" fuse --edge "$T/edge" --cloud "$T/cloud-${e%%:*}" --video "$T/clip/video.mp4" \
    -o "$T/bad" --delay 3
done
printf 'frame,delay_frames\n0,3\n' >"$T/short.csv"
expect_exit 2 "no delay for cloud frame 15" "$V" "${F[@]}" --delays "$T/short.csv"
[ ! -e "$T/bad" ] || [ -f "$T/bad/manifest.json" ] && ok || fail "a failed run left a partial output"
finish
