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
# clip's boxes.json (scripts/make_detections.py; the edge's result on frame 25 is empty). EDIT
# damages it for the error checks.
make_dets() {
  $PY "$VSSOFF_SOURCE_DIR/scripts/make_detections.py" "$1" "$2" "$3" "$4" --empty-frame 25 ${5:+--edit "$5"}
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
        p["buffer_frames"]) == (5, 15, 10, "medianflow", 0.5, 0.8, 0.1, 64), p
assert p["methods"] == ["react", "edge-only", "cloud-only"], p["methods"]
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
for tr in mosse csrt mil medianflow-opencv none; do
  expect_exit 0 "" "$V" -q fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/clip/video.mp4" \
    -o "$T/out-$tr" --delay 10 --tracker "$tr"
done
expect_exit 0 "" "$V" fuse --tracker list
for tr in medianflow mosse kcf csrt mil medianflow-opencv none; do grep -q "^$tr	" "$T/stdout" && ok || fail "--tracker list lacks $tr"; done

# Threads: each mode on its own thread gives byte-identical outputs to one thread (the trackers
# are deterministic), for the default tracker and an OpenCV one. --methods: only the listed
# modes run and are written, with the same results as in the full run.
for tr in medianflow kcf; do
  for th in 1 3; do
    expect_exit 0 "" "$V" -q fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/clip/video.mp4" \
      -o "$T/th$th-$tr" --delay 10 --tracker "$tr" --threads "$th" --overlay-every 20
  done
  for f in react/detections.json edge-only/detections.json cloud-only/detections.json overlay/000020.png; do
    cmp -s "$T/th1-$tr/$f" "$T/th3-$tr/$f" && ok || fail "--threads 3 differs from --threads 1 ($tr): $f"
  done
done
$PY - "$T/th1-medianflow/manifest.json" "$T/th3-medianflow/manifest.json" <<'PY' && ok || fail "threads in the manifest"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert (a["timing"]["threads"], a["timing"]["worker_threads"]) == (1, 0), a["timing"]
assert (b["timing"]["threads"], b["timing"]["worker_threads"]) == (3, 3), b["timing"]
strip = lambda c: {k: ({f: x for f, x in v.items() if f != "tracker_s"} if isinstance(v, dict) else v)
                   for k, v in c.items()}  # tracker seconds vary run to run
assert strip(a["counts"]) == strip(b["counts"]) and a["params"] == b["params"]
PY
expect_exit 0 " s); react " "$V" fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/clip/video.mp4" -o "$T/only" \
  --delay 10 --methods react --threads 2
expect_exit 0 "" "$V" -q fuse --edge "$T/edge" --cloud "$T/cloud" --video "$T/clip/video.mp4" -o "$T/pair" \
  --delay 10 --methods cloud-only,edge-only --threads 1
$PY - "$T" <<'PY' && ok || fail "--methods"
import json, os, sys
t = sys.argv[1]
assert sorted(os.listdir(f"{t}/only")) == ["manifest.json", "react"], os.listdir(f"{t}/only")
assert sorted(os.listdir(f"{t}/pair")) == ["cloud-only", "edge-only", "manifest.json"], os.listdir(f"{t}/pair")
for d, want in (("only", ["react"]), ("pair", ["edge-only", "cloud-only"])):
    m = json.load(open(f"{t}/{d}/manifest.json"))
    assert m["params"]["methods"] == want, m["params"]["methods"]
    assert sorted(k for k in m["counts"] if isinstance(m["counts"][k], dict)) == sorted(want), m["counts"]
    assert sorted(m["timing"]["tracker_s_per_mode"]) == sorted(want) and sorted(m["modes"]) == sorted(want)
    for mode in want:
        assert open(f"{t}/{d}/{mode}/detections.json").read() == \
            open(f"{t}/th1-medianflow/{mode}/detections.json").read(), (d, mode)
m = json.load(open(f"{t}/only/manifest.json"))
assert (m["timing"]["threads"], m["timing"]["worker_threads"]) == (2, 1), m["timing"]
PY

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
expect_exit 1 "unknown method 'fused'" "$V" "${F[@]}" --delay 3 --methods react,fused --force
expect_exit 1 "method 'react' listed twice" "$V" "${F[@]}" --delay 3 --methods react,react --force
expect_exit 1 "methods must include react" "$V" "${F[@]}" --delay 3 --methods edge-only --overlay-every 5 --force
expect_exit 1 "threads must be >= 0" "$V" "${F[@]}" --delay 3 --threads -1 --force

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
