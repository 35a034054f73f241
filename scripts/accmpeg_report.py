"""Summarises scripts/accmpeg_eval.sh: accuracy against bytes, B5 (AccMPEG bytes / uniform-QP
bytes at equal accuracy), the delay model, and the figure.

usage: /usr/bin/python3 scripts/accmpeg_report.py WORK QP_HI
Equal accuracy: within 1 point of the reference-quality encode (uniform QP_HI). Bytes at a
target accuracy come from each method's Pareto frontier, interpolated in log(bytes) between
the two frontier points around the target.
"""
import csv, math, os, sys
from collections import defaultdict

work, qp_hi = sys.argv[1], int(sys.argv[2])
rows = list(csv.DictReader(open(os.path.join(work, "results.csv"))))
for r in rows:
    for k in ("bytes", "segments", "frames"):
        r[k] = int(r[k])
    for k in ("miou", "fg_accuracy", "encode_seconds", "cheap_model_seconds"):
        r[k] = float(r[k])
clips = list(dict.fromkeys(r["clip"] for r in rows))
METRICS = [("miou", "mIoU"), ("fg_accuracy", "foreground accuracy")]


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

out("| clip | metric | uniform QP %d | target | uniform bytes at target | AccMPEG bytes at target | **B5 ratio** | EAAR-like | Vigil-like |" % qp_hi)
out("|---|---|---|---|---|---|---|---|---|")
ratios = defaultdict(list)
chosen = {}
for clip in clips:
    rs = [r for r in rows if r["clip"] == clip]
    uni = [r for r in rs if r["method"] == "uniform"]
    acc = [r for r in rs if r["method"] == "accmpeg"]
    ref = next(r for r in uni if int(r["param1"]) == qp_hi)
    for metric, name in METRICS:
        target = ref[metric] - 0.01
        ub, up = bytes_at(uni, metric, target)
        ab, ap = bytes_at(acc, metric, target)
        ratio = ab / ub
        ratios[metric].append(ratio)
        if metric == "miou":
            chosen[clip] = (up, ap)
        base = []
        for m in ("eaar", "vigil"):
            b = next((r for r in rs if r["method"] == m), None)
            base.append("-" if b is None else "%.0f kB, %.3f%s" % (b["bytes"] / 1e3, b[metric], "" if b[metric] >= target else " (misses)"))
        out("| %s | %s | %.3f | %.3f | %.0f kB | %s | **%s** | %s | %s |" % (
            clip, name, ref[metric], target, ub / 1e3, "not reached" if math.isnan(ab) else "%.0f kB" % (ab / 1e3),
            "-" if math.isnan(ratio) else "%.2f" % ratio, base[0], base[1]))
out()
for metric, name in METRICS:
    vals = [v for v in ratios[metric] if not math.isnan(v)]
    if vals:
        gm = math.exp(sum(math.log(v) for v in vals) / len(vals))
        out("B5 (%s): geometric mean over %d clips %.2f; per clip %s; target <= 0.6" % (
            name, len(vals), gm, ", ".join("%.2f" % v for v in ratios[metric])))

# Delay model (AccMPEG): round trip + segment bytes / bandwidth + encode time + cheap-model
# time, per segment, for the cheapest measured configuration of each method that reaches the
# target mIoU; averaged over the clips where both reach it.
out()
RTT = 0.05
out("Delay per %s-frame segment (RTT %d ms; configuration: the cheapest measured one reaching the mIoU target):" % (
    rows[0]["frames"] // rows[0]["segments"], RTT * 1000))
out()
out("| bandwidth | uniform QP | AccMPEG | AccMPEG saves |")
out("|---|---|---|---|")
for mbps in (1, 2, 5, 10):
    du, da = [], []
    for clip, (up, ap) in chosen.items():
        if up is None or ap is None:
            continue
        for p, d in ((up, du), (ap, da)):
            seg = p["segments"]
            d.append(RTT + p["bytes"] * 8 / seg / (mbps * 1e6) + p["encode_seconds"] / seg + p["cheap_model_seconds"] / seg)
    if du:
        mu, ma = sum(du) / len(du), sum(da) / len(da)
        out("| %d Mbit/s | %.0f ms | %.0f ms | %.0f%% |" % (mbps, mu * 1e3, ma * 1e3, 100 * (1 - ma / mu)))
open(os.path.join(work, "report.md"), "w").write("\n".join(lines) + "\n")

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, axes = plt.subplots(1, len(clips), figsize=(4 * len(clips), 3.6), squeeze=False)
for ax, clip in zip(axes[0], clips):
    rs = [r for r in rows if r["clip"] == clip]
    uni = sorted((r for r in rs if r["method"] == "uniform"), key=lambda r: r["bytes"])
    ax.plot([r["bytes"] / 1e3 for r in uni], [r["miou"] for r in uni], "o-", color="black", label="uniform QP")
    for r in uni:
        ax.annotate(r["param1"], (r["bytes"] / 1e3, r["miou"]), fontsize=6, xytext=(2, -7), textcoords="offset points")
    acc = [r for r in rs if r["method"] == "accmpeg"]
    sc = ax.scatter([r["bytes"] / 1e3 for r in acc], [r["miou"] for r in acc], c=[int(r["param2"]) for r in acc],
                    cmap="viridis", marker="s", s=18, label="AccMPEG (colour: QP_lo)")
    for m, mk in (("eaar", "^"), ("vigil", "v")):
        b = [r for r in rs if r["method"] == m]
        if b:
            ax.scatter([r["bytes"] / 1e3 for r in b], [r["miou"] for r in b], marker=mk, color="red", s=30, label=m + "-like")
    ref = next(r for r in uni if int(r["param1"]) == qp_hi)
    ax.axhline(ref["miou"] - 0.01, color="grey", ls="--", lw=0.8, label="target (QP %d - 1 point)" % qp_hi)
    ax.set_xscale("log")
    ax.set_title(clip)
    ax.set_xlabel("kB")
    ax.set_ylim(max(0, min(r["miou"] for r in rs) - 0.02), 1.0)
axes[0][0].set_ylabel("mIoU vs the server model on the original")
axes[0][0].legend(fontsize=6, loc="lower right")
fig.colorbar(sc, ax=axes[0][-1], label="QP_lo")
fig.tight_layout()
fig.savefig(os.path.join(work, "accmpeg.png"), dpi=110)
print("wrote", os.path.join(work, "report.md"), "and", os.path.join(work, "accmpeg.png"))
