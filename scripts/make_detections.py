"""Writes a detections artefact (detect's contract: manifest.json + COCO detections.json) from
a synth clip's ground truth, standing in for a detector in fuse's tests and benchmark.

  edge   every EVERY frames; each box jittered by up to +-1.5 px per side, every object called
         a vehicle (category 5), scores in [0.5, 0.8]; --empty-frame F: the detector ran on F
         and saw nothing
  cloud  every EVERY frames; the exact boxes and classes, score 0.95
Objects under 30 px^2 or less than 0.3 visible are left out. Deterministic (seed 7).
--edit damages the output for the error checks: outside (a box past the right edge),
category (an unknown category id), late (a box on a frame past the end), kind (another
artefact format), sha (another video's hash), notresults (detections.json not a results list).

usage: python3 scripts/make_detections.py CLIP OUT EVERY edge|cloud [--empty-frame F] [--edit WHAT]
"""
import argparse, hashlib, json, os, random

ap = argparse.ArgumentParser()
ap.add_argument("clip")
ap.add_argument("out")
ap.add_argument("every", type=int)
ap.add_argument("kind", choices=["edge", "cloud"])
ap.add_argument("--empty-frame", type=int, default=-1)
ap.add_argument("--edit", default="", choices=["", "outside", "category", "late", "kind", "sha", "notresults"])
a = ap.parse_args()

gt = json.load(open(f"{a.clip}/boxes.json"))
video = f"{a.clip}/video.mp4"
W, H = gt["images"][0]["width"], gt["images"][0]["height"]
n = len(gt["images"])
frames = list(range(0, n, a.every))
on = set(frames)
rng = random.Random(7)
res = []
for g in gt["annotations"]:
    f = g["image_id"] - 1
    x, y, w, h = g["bbox"]
    if f not in on or w * h < 30 or g.get("visibility", 1) < 0.3:
        continue
    if a.kind == "edge":
        if f == a.empty_frame:
            continue
        j = lambda v: v + rng.uniform(-1.5, 1.5)
        x0, y0 = max(0.0, j(x)), max(0.0, j(y))
        x1, y1 = min(W, j(x + w)), min(H, j(y + h))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        res.append({"image_id": g["image_id"], "category_id": 5, "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "score": round(rng.uniform(0.5, 0.8), 3)})
    else:
        res.append({"image_id": g["image_id"], "category_id": g["category_id"], "bbox": [x, y, w, h], "score": 0.95})
if a.edit == "outside": res[0]["bbox"][0] = W - 1
if a.edit == "category": res[0]["category_id"] = 9
if a.edit == "late": res[0]["image_id"] = n + 1
m = {"format": "vssoff.detections", "version": 1,
     "params": {"model": f"models/{a.kind}.json", "model_name": f"{a.kind}-det", "every": a.every, "first": 0,
                "last": n - 1, "score_threshold": 0.3},
     "inputs": [{"role": "video", "path": video, "bytes": os.path.getsize(video),
                 "sha256": hashlib.sha256(open(video, "rb").read()).hexdigest()}],
     "video": {"width": W, "height": H, "frames": n, "fps": [30, 1]},
     "frames": frames, "categories": [{"id": 5, "name": "vehicle"}, {"id": 6, "name": "person"}]}
if a.edit == "kind": m["format"] = "vssoff.synth"
if a.edit == "sha": m["inputs"][0]["sha256"] = "0" * 64
os.makedirs(a.out, exist_ok=True)
json.dump(m, open(f"{a.out}/manifest.json", "w"))
json.dump({"images": []} if a.edit == "notresults" else res, open(f"{a.out}/detections.json", "w"))
