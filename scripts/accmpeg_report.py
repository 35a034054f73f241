"""Summarises scripts/accmpeg_eval.sh: accuracy against bytes, B5 (AccMPEG bytes / uniform-QP
bytes at equal foreground accuracy, AccMPEG's segmentation metric; mIoU is reported too),
the delay model, and the figure.

usage: /usr/bin/python3 scripts/accmpeg_report.py WORK QP_REF CHEAP_MODEL_FPS
Equal accuracy: within 1 point of the reference-quality encode (uniform QP_REF). Bytes at a
target accuracy come from each method's Pareto frontier, interpolated in log(bytes) between
the two frontier points around the target.
"""
import csv, math, os, sys
from collections import defaultdict

work, qp_ref, cheap_fps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rows = list(csv.DictReader(open(os.path.join(work, "results.csv"))))
for r in rows:
    for k in ("bytes", "segments", "frames"):
        r[k] = int(r[k])
    for k in ("top", "qp_lo", "qp_hi"):
        r[k] = int(r[k]) if r[k] else None
    for k in ("miou", "fg_accuracy", "encode_seconds", "cheap_model_seconds"):
        r[k] = float(r[k])
clips = list(dict.fromkeys(r["clip"] for r in rows))
METRICS = [("fg_accuracy", "foreground accuracy"), ("miou", "mIoU")]


def frontier(points, metric):
    pts = sorted(points, key=lambda r: (r["bytes"], -r[metric]))
    out, best = [], -1
    for p in pts:
        if p[metric] > best:
            out.append(p)
            best = p[metric]
    return out


def bytes_at(points, metric, target):
    f = frontier(points, metric)
    for i, p in enumerate(f):
        if p[metric] >= target:
            if i == 0:
                return p["bytes"], p
            q = f[i - 1]
            t = (target - q[metric]) / (p[metric] - q[metric])
            return math.exp(math.log(q["bytes"]) + t * (math.log(p["bytes"]) - math.log(q["bytes"]))), p
    return float("nan"), None


lines = []
def out(s=""):
    lines.append(s)
    print(s)

out("| clip | metric | uniform QP %d | target | uniform bytes at target | AccMPEG bytes at target | **B5 ratio** | oracle AccMPEG ratio | EAAR-like | Vigil-like |" % qp_ref)
out("|---|---|---|---|---|---|---|---|---|---|")
ratios = defaultdict(list)
chosen = {}
for clip in clips:
    rs = [r for r in rows if r["clip"] == clip]
    uni = [r for r in rs if r["method"] == "uniform"]
    acc = [r for r in rs if r["method"] == "accmpeg"]
    orc = [r for r in rs if r["method"] == "oracle"]
    ref = next(r for r in uni if r["qp_hi"] == qp_ref)
    for metric, name in METRICS:
        target = ref[metric] - 0.01
        ub, up = bytes_at(uni, metric, target)
        ab, ap = bytes_at(acc, metric, target)
        ratio = ab / ub
        ratios[metric].append(ratio)
        ob, _ = bytes_at(orc, metric, target) if orc else (float("nan"), None)
        if metric == "fg_accuracy":
            chosen[clip] = ((ub, up), (ab, ap))
        base = []
        for m in ("eaar", "vigil"):
            b = next((r for r in rs if r["method"] == m), None)
            base.append("-" if b is None else "%.0f kB, %.3f%s" % (b["bytes"] / 1e3, b[metric], "" if b[metric] >= target else " (misses)"))
        out("| %s | %s | %.3f | %.3f | %.0f kB | %s | **%s** | %s | %s | %s |" % (
            clip, name, ref[metric], target, ub / 1e3, "not reached" if math.isnan(ab) else "%.0f kB" % (ab / 1e3),
            "not reached" if math.isnan(ratio) else "%.2f" % ratio, "-" if math.isnan(ob) else "%.2f" % (ob / ub),
            base[0], base[1]))
out()
out("AccMPEG's configuration at the foreground-accuracy target (the first frontier point reaching it): " + "; ".join(
    "%s: top %d%%, QP %d/%d" % (c, a[1]["top"], a[1]["qp_hi"], a[1]["qp_lo"]) for c, (_, a) in chosen.items() if a[1]))
out()
for metric, name in METRICS:
    vals = [v for v in ratios[metric] if not math.isnan(v)]
    gm = math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else float("nan")
    out("B5 (%s): AccMPEG reaches the target on %d of %d clips; geometric mean ratio there %.2f; per clip %s; target <= 0.6" % (
        name, len(vals), len(ratios[metric]), gm, ", ".join("-" if math.isnan(v) else "%.2f" % v for v in ratios[metric])))

# Delay model (AccMPEG): round trip + segment bytes / bandwidth + encode time + cheap-model
# time, per segment, for the cheapest measured configuration of each method that reaches the
# target mIoU; averaged over the clips where both reach it.
out()
RTT = 0.05
out("Delay per %s-frame segment: RTT %d ms + bytes / bandwidth + encode time + cheap-model time (2 frames at %.0f frames/s); "
    "bytes: each method's bytes at the foreground-accuracy target (as in the table), encode time of its measured configuration "
    "there; mean over the clips where both reach the target:" % (
    rows[0]["frames"] // rows[0]["segments"], RTT * 1000, cheap_fps))
out()
out("| bandwidth | uniform QP | AccMPEG | AccMPEG saves |")
out("|---|---|---|---|")
for mbps in (1, 2, 5, 10):
    du, da = [], []
    for clip, (uni_at, acc_at) in chosen.items():
        if uni_at[1] is None or acc_at[1] is None:
            continue
        for (b, p), d in ((uni_at, du), (acc_at, da)):
            seg = p["segments"]
            cheap = 2 / cheap_fps if p["method"] == "accmpeg" else 0.0  # two frames scored per segment
            d.append(RTT + b * 8 / seg / (mbps * 1e6) + p["encode_seconds"] / seg + cheap)
    if du:
        mu, ma = sum(du) / len(du), sum(da) / len(da)
        out("| %d Mbit/s | %.0f ms | %.0f ms | %.0f%% |" % (mbps, mu * 1e3, ma * 1e3, 100 * (1 - ma / mu)))
open(os.path.join(work, "report.md"), "w").write("\n".join(lines) + "\n")

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, axes = plt.subplots(2, len(clips), figsize=(3.6 * len(clips), 6.4), squeeze=False)
for row, (metric, name) in enumerate(METRICS):
    for ax, clip in zip(axes[row], clips):
        rs = [r for r in rows if r["clip"] == clip]
        uni = sorted((r for r in rs if r["method"] == "uniform"), key=lambda r: r["bytes"])
        ax.plot([r["bytes"] / 1e3 for r in uni], [r[metric] for r in uni], "o-", color="black", ms=3, label="uniform QP")
        for r in uni:
            ax.annotate(r["qp_hi"], (r["bytes"] / 1e3, r[metric]), fontsize=6, xytext=(2, -7), textcoords="offset points")
        acc = [r for r in rs if r["method"] == "accmpeg"]
        his, los = sorted({r["qp_hi"] for r in acc}), [r["qp_lo"] for r in acc]
        for hi, mk in zip(his, "sDo^v<>ph"):  # one marker per QP_hi, colour by QP_lo
            pts = [r for r in acc if r["qp_hi"] == hi]
            ax.scatter([r["bytes"] / 1e3 for r in pts], [r[metric] for r in pts], c=[r["qp_lo"] for r in pts],
                       cmap="viridis", vmin=min(los), vmax=max(los), marker=mk, s=16,
                       label="AccMPEG, cheap model, QP_hi %d (colour: QP_lo)" % hi)
        orc = [r for r in rs if r["method"] == "oracle"]
        if orc:
            ax.scatter([r["bytes"] / 1e3 for r in orc], [r[metric] for r in orc], marker="x", color="tab:orange", s=22,
                       label="AccMPEG, server gradients (oracle)")
        for m, mk in (("eaar", "^"), ("vigil", "v")):
            b = [r for r in rs if r["method"] == m]
            if b:
                ax.scatter([r["bytes"] / 1e3 for r in b], [r[metric] for r in b], marker=mk, color="red", s=26,
                           label=m.upper() + "-like (true boxes)")
        ref = next(r for r in uni if r["qp_hi"] == qp_ref)
        ax.axhline(ref[metric] - 0.01, color="grey", ls="--", lw=0.8, label="target: QP %d - 1 point" % qp_ref)
        ax.set_xscale("log")
        ax.set_title(clip, fontsize=9)
        ax.set_xlabel("kB (60 frames; vtest 120)", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.set_ylim(max(0, ref[metric] - 0.15), min(1.0, ref[metric] + 0.05))
    axes[row][0].set_ylabel(name + " vs server on original", fontsize=8)
axes[0][0].legend(fontsize=5.5, loc="lower right")
fig.tight_layout()
fig.savefig(os.path.join(work, "accmpeg.png"), dpi=110)
print("wrote", os.path.join(work, "report.md"), "and", os.path.join(work, "accmpeg.png"))
