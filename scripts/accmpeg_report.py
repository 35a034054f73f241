"""Summarises scripts/accmpeg_eval.sh: accuracy against bytes, B5 (AccMPEG bytes / uniform-QP
bytes at equal foreground accuracy, AccMPEG's segmentation metric; mIoU is reported too) for
AccMPEG's two-level maps and for graded maps, the delay model, and the figure.

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
    for k in ("top", "qp_lo", "qp_hi", "qp_mean"):
        r[k] = int(r[k]) if r[k] else None
    r["graded"] = float(r["graded"]) if r["graded"] else None
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

# Camera-side methods whose bytes at the target are compared with uniform QP's.
METHODS = [("accmpeg", "AccMPEG"), ("graded", "AccMPEG graded"), ("oracle", "oracle AccMPEG"),
           ("oracle-graded", "oracle graded")]


def config(p):
    if p["graded"] is not None:
        return "graded %g, QP %d at the mean (%d-%d)" % (p["graded"], p["qp_mean"], p["qp_hi"], p["qp_lo"])
    return "top %d%%, QP %d/%d" % (p["top"], p["qp_hi"], p["qp_lo"])


out("| clip | metric | uniform QP %d | target | uniform bytes at target | %s | EAAR-like | Vigil-like |" % (
    qp_ref, " | ".join("%s: bytes, ratio" % name for _, name in METHODS)))
out("|---|---|---|---|---|%s---|---|" % ("---|" * len(METHODS)))
ratios = defaultdict(lambda: defaultdict(list))  # method -> metric -> per clip
chosen = defaultdict(dict)  # clip -> method -> (bytes, point) at the foreground target
for clip in clips:
    rs = [r for r in rows if r["clip"] == clip]
    uni = [r for r in rs if r["method"] == "uniform"]
    ref = next(r for r in uni if r["qp_hi"] == qp_ref)
    for metric, name in METRICS:
        target = ref[metric] - 0.01
        ub, up = bytes_at(uni, metric, target)
        if metric == "fg_accuracy":
            chosen[clip]["uniform"] = (ub, up)
        cells = []
        for m, _ in METHODS:
            pts = [r for r in rs if r["method"] == m]
            b, p = bytes_at(pts, metric, target) if pts else (float("nan"), None)
            ratios[m][metric].append(b / ub)
            if metric == "fg_accuracy":
                chosen[clip][m] = (b, p)
            cells.append("-" if not pts else "not reached" if math.isnan(b) else
                         ("%.0f kB, **%.2f**" if m in ("accmpeg", "graded") else "%.0f kB, %.2f") % (b / 1e3, b / ub))
        base = []
        for m in ("eaar", "vigil"):
            b = next((r for r in rs if r["method"] == m), None)
            base.append("-" if b is None else "%.0f kB, %.3f%s" % (b["bytes"] / 1e3, b[metric], "" if b[metric] >= target else " (misses)"))
        out("| %s | %s | %.3f | %.3f | %.0f kB | %s | %s | %s |" % (
            clip, name, ref[metric], target, ub / 1e3, " | ".join(cells), base[0], base[1]))
out()
for m, name in METHODS[:2]:
    out("%s's configuration at the foreground-accuracy target (the first frontier point reaching it): %s" % (name, "; ".join(
        "%s: %s" % (c, config(ch[m][1])) for c, ch in chosen.items() if m in ch and ch[m][1])))
out()
for m, mname in METHODS:
    for metric, name in METRICS:
        per = ratios[m][metric]
        vals = [v for v in per if not math.isnan(v)]
        gm = math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else float("nan")
        out("B5 %s (%s): reaches the target on %d of %d clips, at most 0.6x on %d; geometric mean ratio there %.2f; "
            "per clip %s" % (mname, name, len(vals), len(per), sum(v <= 0.6 for v in vals), gm,
                             ", ".join("-" if math.isnan(v) else "%.2f" % v for v in per)))

# Delay model (AccMPEG): round trip + segment bytes / bandwidth + encode time + cheap-model
# time, per segment, for each method's bytes at the foreground-accuracy target; averaged over
# the clips where both it and uniform QP reach it.
out()
RTT = 0.05
out("Delay per %s-frame segment: RTT %d ms + bytes / bandwidth + encode time + cheap-model time (2 frames at %.0f frames/s); "
    "bytes: each method's bytes at the foreground-accuracy target (as in the table), encode time of its measured configuration "
    "there; mean over the clips where both reach the target (each method against uniform QP on its own clips):" % (
    rows[0]["frames"] // rows[0]["segments"], RTT * 1000, cheap_fps))
out()
out("| bandwidth | AccMPEG against uniform QP | AccMPEG graded against uniform QP |")
out("|---|---|---|")
for mbps in (1, 2, 5, 10):
    cells = []
    for m in ("accmpeg", "graded"):
        du, da = [], []
        for clip, ch in chosen.items():
            if ch["uniform"][1] is None or m not in ch or ch[m][1] is None:
                continue
            for (b, p), d in ((ch["uniform"], du), (ch[m], da)):
                seg = p["segments"]
                cheap = 2 / cheap_fps if p["method"] in ("accmpeg", "graded") else 0.0  # two frames scored per segment
                d.append(RTT + b * 8 / seg / (mbps * 1e6) + p["encode_seconds"] / seg + cheap)
        cells.append((sum(du) / len(du), sum(da) / len(da), len(du)) if du else None)
    out("| %d Mbit/s | %s |" % (mbps, " | ".join(
        "-" if c is None else "%.0f ms against %.0f ms: saves %.0f%% (%d clips)" % (c[1] * 1e3, c[0] * 1e3, 100 * (1 - c[1] / c[0]), c[2])
        for c in cells)))
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
        for m, mk, col, label in (("oracle", "x", "tab:orange", "AccMPEG, server gradients (oracle)"),
                                  ("graded", "P", "tab:green", "graded, cheap model"),
                                  ("oracle-graded", "+", "tab:red", "graded, server gradients (oracle)")):
            pts = sorted((r for r in rs if r["method"] == m), key=lambda r: r["bytes"])
            if pts:
                ax.plot([r["bytes"] / 1e3 for r in pts], [r[metric] for r in pts], marker=mk, color=col, ms=5, lw=0.8,
                        ls="-" if m != "oracle" else "none", label=label)
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
