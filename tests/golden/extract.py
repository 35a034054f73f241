"""Reduces each subcommand's main output (tests/golden/run.sh) to a golden record.

    extract.py WORK OUT CLIP

writes OUT/<name>.json = {"subcommand", "what", "tolerance", "values"} for each record below.
"tolerance" maps a glob over value paths (list indices dropped: "frame_bytes", "rows.bytes")
to {"abs", "rel", "share"}: an element passes when |got - want| <= abs + rel * |want|, and a
group passes when at most `share` of its elements fail. Anything without a tolerance must
match exactly. The tolerances allow for other thread counts and BLAS rounding, not for a
change of behaviour; each says why it is what it is.
"""
import csv
import glob
import hashlib
import json
import os
import sys

import numpy as np
from PIL import Image

WORK, OUT, CLIP = sys.argv[1:4]


def load(name):
    with open(os.path.join(WORK, name)) as f:
        return json.load(f)


def rows(name):
    with open(os.path.join(WORK, name)) as f:
        return list(csv.DictReader(f))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def r6(x):  # six significant digits: what a golden can state without float noise
    return float(f"{x:.6g}")


def label_counts(pattern):
    """Per frame, pixels of each class id 0..255 that occurs (as {id: count})."""
    out = []
    for path in sorted(glob.glob(pattern)):
        ids, counts = np.unique(np.asarray(Image.open(path)), return_counts=True)
        out.append({str(int(i)): int(c) for i, c in zip(ids, counts)})
    return out


records = {}


def record(name, what, values, tolerance=None):
    records[name] = {"subcommand": name, "what": what, "tolerance": tolerance or {}, "values": values}


# synth: deterministic by its seed, so bytes and labels are exact.
s = os.path.join(WORK, "synth")
boxes = json.load(open(os.path.join(s, "boxes.json")))
per_frame = [0] * len(boxes["images"])
for a in boxes["annotations"]:
    per_frame[a["image_id"] - 1] += 1
record("synth", "the video's bytes and sha256, label pixels per class and boxes per frame", {
    "video_bytes": os.path.getsize(os.path.join(s, "video.mp4")),
    "video_sha256": sha256(os.path.join(s, "video.mp4")),
    "committed_clip_sha256": sha256(os.path.join(CLIP, "video.mp4")),
    "label_pixels": label_counts(os.path.join(s, "labels", "*.png")),
    "boxes_per_frame": per_frame,
})

# info: a bitstream read back, exact.
frames = rows("info_frames.csv")
qp = np.load(os.path.join(WORK, "info_qp.npy"))
record("info", "per-frame type, packet bytes and mean QP of the clip; its QP grid shape", {
    "types": "".join(r["type"] for r in frames),
    "packet_bytes": [int(r["packet_bytes"]) for r in frames],
    "mean_qp": [r6(float(r["mean_qp"])) for r in frames],
    "qp_shape": list(qp.shape),
})

# encode-roi: bytes within 1% (x264's rate decisions may move a few bytes with threads),
# PSNR within 0.05 dB; decoded QPs nearly all as requested (a skipped macroblock inherits).
enc = {}
for name in ("qp30", "roi"):
    m = load(f"{name}.mp4.json")
    enc[name] = {"total_bytes": m["total_bytes"], "segment_bytes": m["segment_bytes"],
                 "frame_bytes": m["frame_bytes"], "psnr_y": r6(m["verify"]["psnr_y"]),
                 "qp_mismatched": m["verify"]["qp_check"]["mismatched"]}
enc["roi"]["psnr_y_by_qp"] = {k: r6(v) for k, v in load("roi.mp4.json")["verify"]["psnr_y_by_qp"].items()}
enc["roi"]["decoded_qp"] = np.load(os.path.join(WORK, "roi_qp.npy")).astype(int).ravel().tolist()
record("encode-roi", "bytes, PSNR and decoded QPs of a constant-QP and a QP-map encode", enc, {
    "*.total_bytes": {"rel": 0.01}, "*.segment_bytes": {"rel": 0.02}, "*.frame_bytes": {"rel": 0.05, "share": 0.1},
    "*.psnr_y*": {"abs": 0.05}, "roi.decoded_qp": {"share": 0.02},
})

# segment: per-frame class shares and confidence; threads and BLAS move them in the 4th digit.
st = rows("seg/stats.csv")
share_keys = [k for k in st[0] if k.startswith("share_")]
record("segment", "segnet-tiny per frame: class shares, mean top-1 probability, normalised entropy", {
    "frames": [int(r["frame"]) for r in st],
    "shares": [{k[6:]: r6(float(r[k])) for k in share_keys} for r in st],
    "mean_max_prob": [r6(float(r["mean_max_prob"])) for r in st],
    "mean_norm_entropy": [r6(float(r["mean_norm_entropy"])) for r in st],
    "label_pixels": label_counts(os.path.join(WORK, "seg", "labels", "*.png")),
}, {"shares.*": {"abs": 0.003}, "mean_*": {"abs": 0.002}, "label_pixels.*": {"rel": 0.02, "abs": 5}})

ev = load("eval.json")["overall"]
record("evaluate", "segnet-tiny against the clip's labels: mIoU, pixel accuracy, per-class IoU", {
    "miou": r6(ev["miou"]), "pixel_accuracy": r6(ev["pixel_accuracy"]),
    "iou": {c["name"]: (None if c["iou"] is None else r6(c["iou"])) for c in ev["classes"]},
    "confusion": ev["confusion"],
}, {"miou": {"abs": 0.003}, "pixel_accuracy": {"abs": 0.003}, "iou.*": {"abs": 0.01},
    "confusion": {"rel": 0.02, "abs": 50}})

# AccMPEG. Gradients as a share of each frame's largest; QP maps nearly exact.
g = np.load(os.path.join(WORK, "g.npy"))
gm = load("g.npy.json")
record("accgrad", "per-macroblock gradients of segnet-tiny (every 2nd frame), relative to each frame's maximum", {
    "frames": gm["frames"], "shape": list(g.shape),
    "relative": [r6(x) for x in (g / g.reshape(len(g), -1).max(1)[:, None, None]).ravel()],
}, {"relative": {"abs": 0.01, "share": 0.01}})
for name in ("oracle", "cheap"):
    qm = np.load(os.path.join(WORK, f"map_{name}.npy"))
    record(f"qpmap-{name}", f"QP map from {'the gradients' if name == 'oracle' else 'the cheap model'}", {
        "shape": list(qm.shape), "qp": qm.astype(int).ravel().tolist(),
    }, {"qp": {"share": 0.02}})
cm = load("cheap.json")["metrics"]
record("train-cheap-model", "the cheap model's held-out metrics after 3 epochs from its seed (1 thread)", {
    k: r6(cm[k]) for k in ("val_auc", "val_loss", "val_precision", "val_recall")}, {"*": {"abs": 0.02}})

# Penance. Table rows: bytes within 1%, accuracy within 0.005 (segmentation of re-encoded frames).
TABLE_KEYS = ("bytes", "miou", "pixel_accuracy", "gflops", "intra_complexity", "inter_complexity",
              "probe_bytes_qp26", "probe_bytes_qp38", "mean_max_prob")
table = rows("table.csv")
merged_equal = open(os.path.join(WORK, "table.csv")).read() == open(os.path.join(WORK, "merged.csv")).read()
record("profile", "the configuration table: per segment x (model, QP, scale), bytes, accuracy, cost, features", {
    "rows": [{"action": f"{r['segment']}:{r['model']}@{r['qp']}x{r['scale']}",
              **{k: r6(float(r[k])) for k in TABLE_KEYS}} for r in table],
}, {"rows.bytes": {"rel": 0.01}, "rows.probe_bytes_*": {"rel": 0.01}, "rows.miou": {"abs": 0.005},
    "rows.pixel_accuracy": {"abs": 0.005}, "rows.mean_max_prob": {"abs": 0.005},
    "rows.*_complexity": {"rel": 0.001}, "rows.gflops": {"rel": 1e-5}})
record("profile-merge", "two shards joined give the one-run table byte for byte", {"equal_to_one_run": merged_equal})
est = load("est.json")
record("train-estimators", "the analytic estimators' training errors on the table", {
    "bitrate_mdape": r6(est["metrics"]["train"]["bitrate_mdape"]),
    "accuracy_mae": r6(est["metrics"]["train"]["accuracy_mae"]),
}, {"bitrate_mdape": {"abs": 0.002}, "accuracy_mae": {"abs": 0.003}})
plan = rows("plan.csv")
summary = load("plan.csv.json")["summary"]
record("plan", "each policy's choice per segment and target, and its summary (cost, accuracy, misses)", {
    "choices": [f"{r['target']}/{r['policy']}/{r['segment']}: {r['model']}@{r['qp']}x{r['scale']}" for r in plan],
    "summary": [{"target": x["target"], "policy": x["policy"], "cost_gflop": r6(x["cost_gflop"]),
                 "mean_accuracy": r6(x["mean_accuracy"]), "bytes": x["bytes"],
                 "accuracy_misses": x["accuracy_misses"], "bandwidth_misses": x["bandwidth_misses"]}
                for x in summary],
}, {"choices": {"share": 0.05}, "summary.cost_gflop": {"rel": 0.01}, "summary.mean_accuracy": {"abs": 0.005},
    "summary.bytes": {"rel": 0.02}})

mm = load("model.json")["metrics"]
record("train-model", "validation mIoU and per-class IoU after 6 steps from the seed (1 thread)", {
    "val_miou": r6(mm["val_miou"]), "val_iou": {k: r6(v) for k, v in mm["val_iou"].items()},
}, {"val_miou": {"abs": 0.01}, "val_iou.*": {"abs": 0.03}})

os.makedirs(OUT, exist_ok=True)
for name, rec in records.items():
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(rec, f, indent=1)
        f.write("\n")
print(f"extract: {len(records)} records in {OUT}", file=sys.stderr)
