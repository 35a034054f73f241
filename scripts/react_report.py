#!/usr/bin/env python3
"""REACT report: B10's table (fused mAP@0.5 against edge-only and cloud-only over cloud delays
and intervals), the (K, M) trade-off with bytes and server ms, and their figures.

Reads what scripts/react_eval.sh wrote under WORK (sweep/, tradeoff/, tuned.env, the clips'
detection manifests) and writes WORK/report.md, WORK/react.png and WORK/tradeoff.png.
Confidence intervals: 95% percentile bootstrap over the test clips (2000 resamples, seed 1)
of the mean per-clip mAP@0.5, and of the ratio of the means.
"""
import argparse, glob, json, os, random, re, statistics
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

METHODS = ["react", "edge-only", "cloud-only"]


def map50(path):
    return json.load(open(path))["detection"]["map_50"]


def bootstrap(clips, stat, n=2000, seed=1):
    rng = random.Random(seed)
    values = sorted(stat([rng.choice(clips) for _ in clips]) for _ in range(n))
    return values[int(0.025 * n)], values[int(0.975 * n) - 1]


def mean(xs):
    return sum(xs) / len(xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--trade-d", type=int, required=True)
    a = ap.parse_args()
    w = a.work
    tuned = dict(l.strip().split("=") for l in open(f"{w}/tuned.env") if "=" in l)

    # sweep/<clip>.m<M>.d<D>/<method>.eval.json
    runs = {}
    for d in glob.glob(f"{w}/sweep/*.m*.d*"):
        m = re.match(r"(.*)\.m(\d+)\.d(\d+)$", os.path.basename(d))
        if not m or not os.path.exists(f"{d}/cloud-only.eval.json"):
            continue
        clip, M, D = m.group(1), int(m.group(2)), int(m.group(3))
        runs[(clip, M, D)] = {x: map50(f"{d}/{x}.eval.json") for x in METHODS}
        fm = json.load(open(f"{d}/manifest.json"))
        runs[(clip, M, D)]["fps"] = fm.get("timing", {}).get("frames_per_s")
    clips = sorted({k[0] for k in runs})
    Ms = sorted({k[1] for k in runs})
    Ds = sorted({k[2] for k in runs})
    lines = [f"# REACT: edge-cloud fusion (B10)\n",
             f"Test clips: {len(clips)} ({', '.join(clips)}); edge every K = {a.k} frames; tracker "
             f"{tuned['TRACKER']}, decay {tuned['DECAY']}, keep-unconfirmed {tuned['KEEP']}, matched-score "
             f"{tuned['SCORE']} (chosen on the training clips, tune/choices.csv).\n",
             "mAP@0.5: the mean over the test clips of each clip's mAP@0.5 (COCO, all areas, 100 detections), "
             "[95% bootstrap CI over clips]. ratio: REACT over the better of edge-only and cloud-only "
             "(of the means), with its CI; B10 asks for >= 1.2.\n",
             "| M | D (frames) | REACT | edge-only | cloud-only | ratio | clips where REACT >= 1.2x both |",
             "|---|---|---|---|---|---|---|"]
    table = {}
    for M in Ms:
        for D in Ds:
            cs = [c for c in clips if (c, M, D) in runs]
            if not cs:
                continue
            per = {x: [runs[(c, M, D)][x] for c in cs] for x in METHODS}
            mu = {x: mean(per[x]) for x in METHODS}
            ci = {x: bootstrap(per[x], mean) for x in METHODS}
            idx = list(range(len(cs)))

            def ratio(sample):
                r = mean([per["react"][i] for i in sample])
                b = max(mean([per["edge-only"][i] for i in sample]), mean([per["cloud-only"][i] for i in sample]))
                return r / b if b > 0 else float("nan")

            rci = bootstrap(idx, ratio)
            r = ratio(idx)
            wins = sum(per["react"][i] >= 1.2 * max(per["edge-only"][i], per["cloud-only"][i]) for i in idx)
            table[(M, D)] = (mu, r)
            cell = lambda x: f"{mu[x]:.3f} [{ci[x][0]:.3f}, {ci[x][1]:.3f}]"
            lines.append(f"| {M} | {D} | {cell('react')} | {cell('edge-only')} | {cell('cloud-only')} | "
                         f"**{r:.2f}** [{rci[0]:.2f}, {rci[1]:.2f}] | {wins}/{len(cs)} |")
    lines.append("")
    presets = sorted({c.split("_")[1] for c in clips})
    lines += ["Per preset (its test clips): REACT's mAP@0.5 over the better baseline's, of the means.\n",
              "| M | D | " + " | ".join(presets) + " |", "|---|---|" + "---|" * len(presets)]
    for M in Ms:
        for D in Ds:
            row = []
            for pr in presets:
                cs = [c for c in clips if c.split("_")[1] == pr and (c, M, D) in runs]
                if not cs:
                    row.append("")
                    continue
                r = mean([runs[(c, M, D)]["react"] for c in cs])
                b = max(mean([runs[(c, M, D)]["edge-only"] for c in cs]), mean([runs[(c, M, D)]["cloud-only"] for c in cs]))
                row.append(f"{r / b:.2f}" if b > 0 else "")
            lines.append(f"| {M} | {D} | " + " | ".join(row) + " |")
    lines.append("")
    fps = [v["fps"] for v in runs.values() if v.get("fps")]
    if fps:
        lines.append(f"fuse speed over the sweep's runs: median {statistics.median(fps):.0f} frames/s "
                     f"(min {min(fps):.0f}).\n")

    fig, axes = plt.subplots(1, len(Ms), figsize=(5 * len(Ms), 3.6), squeeze=False)
    for ax, M in zip(axes[0], Ms):
        for x, style in zip(METHODS, ["o-", "s--", "^--"]):
            ys = [table[(M, D)][0][x] for D in Ds if (M, D) in table]
            ax.plot([D for D in Ds if (M, D) in table], ys, style, label=x)
        ax.set_title(f"cloud every {M} frames, edge every {a.k}")
        ax.set_xlabel("cloud delay D (frames)")
        ax.set_ylabel("mAP@0.5 (mean over test clips)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(f"{w}/react.png.tmp.png", dpi=110)
    os.replace(f"{w}/react.png.tmp.png", f"{w}/react.png")

    # Trade-off: tradeoff/<clip>.k<K>.m<M>; bytes = cloud frames x the clip's mean intra-frame
    # bytes, server ms = cloud frames x the cloud detector's median ms per frame.
    points = {}
    for d in glob.glob(f"{w}/tradeoff/*.k*.m*"):
        m = re.match(r"(.*)\.k(\d+)\.m(\d+)$", os.path.basename(d))
        if not m or not os.path.exists(f"{d}/react.eval.json"):
            continue
        clip, K, M = m.group(1), int(m.group(2)), int(m.group(3))
        cloud = json.load(open(f"{w}/{clip}.cloud.k{M}/manifest.json"))
        edge = json.load(open(f"{w}/{clip}.edge.k{K}/manifest.json"))
        intra = json.load(open(f"{w}/{clip}.intra.mp4.json"))
        frames = cloud["video"]["frames"]
        fps = cloud["video"]["fps"][0] / cloud["video"]["fps"][1]
        bytes_per_frame = intra.get("bytes", os.path.getsize(f"{w}/{clip}.intra.mp4")) / frames
        n_cloud = len(cloud["frames"])
        points.setdefault((K, M), []).append({
            "map": map50(f"{d}/react.eval.json"),
            "kbps": n_cloud * bytes_per_frame * 8 / 1000 / (frames / fps),
            "server_ms_per_s": n_cloud * cloud["ms_per_frame"] / (frames / fps),
            "edge_ms_per_s": len(edge["frames"]) * edge["ms_per_frame"] / (frames / fps)})
    if points:
        agg = {k: {f: mean([p[f] for p in v]) for f in v[0]} for k, v in points.items()}
        # Pareto over (accuracy, uplink, server time, edge time): a point is dominated by one
        # at least as good on all four and better on one.
        keys = [("map", 1), ("kbps", -1), ("server_ms_per_s", -1), ("edge_ms_per_s", -1)]
        def dominates(o, k):
            ge = all(sign * (agg[o][f] - agg[k][f]) >= -1e-9 for f, sign in keys)
            gt = any(sign * (agg[o][f] - agg[k][f]) > 1e-9 for f, sign in keys)
            return ge and gt
        front = [k for k in agg if not any(dominates(o, k) for o in agg if o != k)]
        lines += [f"## Trade-off over (K, M), cloud delay {a.trade_d} frames\n",
                  "Per point, the mean over the test clips of: REACT's mAP@0.5, the uplink the cloud's frames "
                  "take (x264 intra frames at the eval's QP), the cloud detector's time per second of video, and "
                  "the edge detector's (each at its median ms per frame). Pareto: no other point is at least as "
                  "good on all four (accuracy, uplink, server time, edge time) and better on one.\n",
                  "| K | M | mAP@0.5 | uplink (kbit/s) | server ms per s | edge ms per s | Pareto |",
                  "|---|---|---|---|---|---|---|"]
        for k in sorted(agg):
            p = agg[k]
            lines.append(f"| {k[0]} | {k[1]} | {p['map']:.3f} | {p['kbps']:.0f} | {p['server_ms_per_s']:.0f} | "
                         f"{p['edge_ms_per_s']:.0f} | {'yes' if k in front else ''} |")
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        for ax, f, label in [(axes[0], "kbps", "uplink (kbit/s)"), (axes[1], "server_ms_per_s", "server ms per s of video")]:
            for k, p in agg.items():
                ax.scatter(p[f], p["map"], c="tab:red" if k in front else "tab:gray")
                ax.annotate(f"K{k[0]} M{k[1]}", (p[f], p["map"]), fontsize=7)
            ax.set_xscale("log")
            ax.set_xlabel(label)
            ax.set_ylabel("REACT mAP@0.5")
            ax.grid(alpha=0.3)
        fig.suptitle(f"REACT trade-off (red: Pareto front), cloud delay {a.trade_d} frames")
        fig.tight_layout()
        fig.savefig(f"{w}/tradeoff.png.tmp.png", dpi=110)
        os.replace(f"{w}/tradeoff.png.tmp.png", f"{w}/tradeoff.png")
    tmp = f"{w}/report.md.tmp"
    open(tmp, "w").write("\n".join(lines) + "\n")
    os.replace(tmp, f"{w}/report.md")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
