#!/usr/bin/env bash
# evaluate on synth outputs: the class legend comes from the manifests; a clip against
# itself scores 1; against another seed, less; a subset needs --subset. Detections: a
# hand-made dataset with a known mAP, a synth directory as the reference, bad inputs.
source "$(dirname "$0")/lib.sh"
clip=$(small_clip)
"$VSSOFF" -q synth -o "$T/other" --size 320x176 --frames 40 --seed 4

expect_exit 0 "mIoU 1.0000" "$VSSOFF" evaluate "$clip" "$clip" -o "$T/self.json"
grep -qF "vehicle" "$T/stderr" && ok || fail "the class table lacks the legend's names"
expect_exit 0 "" "$VSSOFF" evaluate "$T/other" "$clip" -o "$T/other.json" --segment 10 --segments-csv "$T/seg.csv"
expect_exit 0 "" "$PY" - "$T" <<'PY'
import csv, json, sys
t = sys.argv[1]
r = json.load(open(f"{t}/other.json"))
assert r["format"] == "vssoff.evaluation" and r["params"]["num_classes"] == 8
assert 0 < r["overall"]["miou"] < 0.95, r["overall"]["miou"]
assert len(r["segments"]) == 4 and len(r["frames"]) == 40
assert [row["segment"] for row in csv.DictReader(open(f"{t}/seg.csv"))] == ["0", "1", "2", "3"]
assert json.load(open(f"{t}/self.json"))["overall"]["foreground_accuracy"] == 1.0
PY

mkdir -p "$T/sub" && cp "$clip"/labels/00000[05].png "$T/sub/"
expect_exit 2 "has 2 frames" "$VSSOFF" evaluate "$T/sub" "$clip"
expect_exit 0 "evaluated 2 frames" "$VSSOFF" evaluate "$T/sub" "$clip" --subset
expect_exit 1 "give --classes" "$VSSOFF" evaluate "$T/sub" "$T/sub"

# Detection: a hand-made dataset (images 100x80) and results. vehicle: .9 exact (TP), .8 on
# background (FP), the second vehicle missed: rc .5 .5, pr 1 1/2 -> AP = 51/101 at every IoU;
# person: found exactly, AP 1. mAP = (51/101 + 1) / 2. At score >= 0.3: TP 2, FP 1, FN 1.
printf '%s' '{"images": [{"id": 1, "width": 100, "height": 80}, {"id": 2, "width": 100, "height": 80}],
 "categories": [{"id": 1, "name": "vehicle"}, {"id": 2, "name": "person"}],
 "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20], "area": 400, "iscrowd": 0},
  {"id": 2, "image_id": 1, "category_id": 1, "bbox": [40, 40, 20, 20], "area": 400, "iscrowd": 0},
  {"id": 3, "image_id": 2, "category_id": 2, "bbox": [10, 10, 20, 20], "area": 400, "iscrowd": 0}]}' >"$T/gt.json"
printf '%s' '[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20], "score": 0.9},
 {"image_id": 1, "category_id": 1, "bbox": [70, 0, 20, 20], "score": 0.8},
 {"image_id": 2, "category_id": 2, "bbox": [10, 10, 20, 20], "score": 0.7}]' >"$T/dets.json"
expect_exit 0 "mAP@.5 0.7525" "$VSSOFF" evaluate "$T/dets.json" "$T/gt.json" -o "$T/det.json" \
  --frames-csv "$T/det_frames.csv" --pr-curve "$T/pr.png"
grep -qF "vehicle" "$T/stderr" && ok || fail "the detection table lacks the class names"
mkdir -p "$T/run" && cp "$T/dets.json" "$T/run/detections.json"
printf '%s' '{"format": "vssoff.detections", "version": 1, "frames": [0],
 "video": {"width": 100, "height": 80, "frames": 2}}' >"$T/run/manifest.json"
expect_exit 2 "does not list" "$VSSOFF" evaluate "$T/run" "$T/gt.json"  # a detection on frame 1
printf '%s' '[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20], "score": 0.9},
 {"image_id": 1, "category_id": 1, "bbox": [70, 0, 20, 20], "score": 0.8}]' >"$T/run/detections.json"
expect_exit 0 "evaluated 1 images" "$VSSOFF" evaluate "$T/run" "$T/gt.json" -o "$T/run.json"
expect_exit 0 "" "$PY" - "$T" <<'PY'
import csv, json, sys
t = sys.argv[1]
r = json.load(open(f"{t}/det.json"))
d = r["detection"]
assert r["format"] == "vssoff.evaluation" and r["params"]["task"] == "detection", r["params"]
want = (51 / 101 + 1) / 2
assert abs(d["map"] - want) < 1e-9 and abs(d["map_50"] - want) < 1e-9, (d["map"], d["map_50"])
c = {k["name"]: k for k in d["classes"]}
assert abs(c["vehicle"]["ap_50"] - 51 / 101) < 1e-9 and abs(c["person"]["ap"] - 1) < 1e-9, c
assert c["vehicle"]["precision_50"][50] > 0.999 and c["vehicle"]["precision_50"][51] == 0
a = d["at_threshold"]
assert (a["tp"], a["fp"], a["fn"]) == (2, 1, 1) and abs(a["f1"] - 2 / 3) < 1e-12, a
rows = list(csv.DictReader(open(f"{t}/det_frames.csv")))
assert [(x["frame"], x["tp"], x["fp"], x["fn"]) for x in rows] == [("0", "1", "1", "1"), ("1", "1", "0", "0")], rows
assert open(f"{t}/pr.png", "rb").read(8) == b"\x89PNG\r\n\x1a\n"
s = json.load(open(f"{t}/run.json"))["detection"]  # frame 0 only: no person ground truth
assert abs(s["map"] - 51 / 101) < 1e-9 and s["classes"][1]["ap"] is None, s
PY
# A synth directory as the reference (its boxes.json), its own boxes as results: mAP 1.
"$PY" -c 'import json, sys
a = json.load(open(sys.argv[1] + "/boxes.json"))["annotations"]
json.dump([{"image_id": b["image_id"], "category_id": b["category_id"], "bbox": b["bbox"], "score": 1} for b in a],
          open(sys.argv[2], "w"))' "$clip" "$T/self_dets.json"
expect_exit 0 "mAP@[.5:.95] 1.0000" "$VSSOFF" evaluate "$T/self_dets.json" "$clip"

# Bad detection inputs: exit 2 naming the file; segmentation options exit 1.
bad() {  # bad NAME JSON FRAGMENT
  printf '%s' "$2" >"$T/$1.json"
  expect_exit 2 "$T/$1.json" "$VSSOFF" evaluate "$T/$1.json" "$T/gt.json"
  grep -qF -- "$3" "$T/stderr" && ok || fail "$1: stderr lacks '$3'"
}
bad unknown_category '[{"image_id": 1, "category_id": 9, "bbox": [0, 0, 5, 5], "score": 0.5}]' "category_id 9"
bad unknown_image '[{"image_id": 5, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5}]' "image_id 5"
bad negative_size '[{"image_id": 1, "category_id": 1, "bbox": [0, 0, -5, 5], "score": 0.5}]' "w, h >= 0"
bad outside '[{"image_id": 1, "category_id": 1, "bbox": [90, 0, 20, 5], "score": 0.5}]' "outside the image"
bad not_coco '{"detections": []}' "not a list of results"
printf '%s' '[1, 2]' >"$T/not_dataset.json"
expect_exit 2 "$T/not_dataset.json" "$VSSOFF" evaluate "$T/dets.json" "$T/not_dataset.json"
expect_exit 1 "--classes applies to segmentation" "$VSSOFF" evaluate "$T/dets.json" "$T/gt.json" --classes 3
expect_exit 1 "--max-dets applies to detections" "$VSSOFF" evaluate "$clip" "$clip" --max-dets 10
finish
