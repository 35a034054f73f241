#!/usr/bin/env python3
"""CBO report: the calibration tables and the policy table of scripts/cbo_eval.sh.

Reads WORK/pixel.json and WORK/frame.json (calibrate's reports on the held-out clips) and
WORK/plans/*.csv.json (plan's summaries), writes WORK/report.md and WORK/cbo.png.
Per cell (trace, deadline) the accuracy of a policy is the mean over the held-out videos of
its mean frame mIoU, with a 95% t-interval over the videos; CBO against a baseline is the
paired difference over the videos, with its interval, and the count of videos where CBO is
at least as accurate. Usage: cbo_report.py WORK
"""
import glob
import json
import math
import os
import sys

T975 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23}
POLICIES = ["cbo", "oracle", "never", "always", "raw-threshold", "calibrated-threshold"]
BASELINES = ["never", "always", "raw-threshold", "calibrated-threshold"]


def mean_ci(xs):
    n = len(xs)
    m = sum(xs) / n
    if n < 2:
        return m, float("nan")
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    return m, T975.get(n - 1, 1.96) * sd / math.sqrt(n)


def main(work):
    out = []
    pixel = json.load(open(os.path.join(work, "pixel.json")))
    frame = json.load(open(os.path.join(work, "frame.json")))
    out.append(f"# CBO evaluation\n\nEdge model `{pixel['model']['name']}`; pixel calibrator fitted on "
               f"{pixel['fit_samples']} sampled pixels of the fit clips, scored on {pixel['test_samples']} of "
               f"the held-out test clips.\n")
    out.append("## Pixel calibration (held-out test clips)\n")
    out.append("| method | ECE (15 bins) | ECE (equal mass) | MCE | NLL | Brier | accuracy |")
    out.append("|---|---|---|---|---|---|---|")
    for k, r in pixel["report"].items():
        out.append(f"| {k} | {r['ece']:.4f} | {r['ece_equal_mass']:.4f} | {r['mce']:.3f} | {r['nll']:.4f} | "
                   f"{r['brier']:.4f} | {r['accuracy']:.4f} |")
    out.append("\n## Frame-level calibration (held-out test clips; outcome: frame mIoU)\n")
    out.append("| frame confidence | ECE (15 bins) | ECE (equal mass) | MCE | MAE |")
    out.append("|---|---|---|---|---|")
    for k, r in frame["report"].items():
        out.append(f"| {k} | {r['ece']:.4f} | {r['ece_equal_mass']:.4f} | {r['mce']:.3f} | {r['mae']:.4f} |")

    # results[(trace, deadline)][policy][clip] = summary
    results, decision = {}, []
    for path in sorted(glob.glob(os.path.join(work, "plans", "*.csv.json"))):
        m = json.load(open(path))
        clip, trace = os.path.basename(path)[: -len(".csv.json")].split(".", 1)
        for r in m["results"]:
            results.setdefault((trace, r["deadline_ms"]), {}).setdefault(r["policy"], {})[clip] = r
            if r["policy"] == "cbo":
                decision.append((r["decision_us_mean"], r["decision_us_max"]))
    clips = sorted({c for cell in results.values() for p in cell.values() for c in p})
    out.append(f"\n## Policies: mean frame mIoU over {len(clips)} held-out videos, 95% interval over videos\n")
    out.append("Videos: " + ", ".join(clips) + ".\n")
    out.append("| trace | deadline | " + " | ".join(POLICIES) + " | CBO - raw threshold | CBO >= every baseline |")
    out.append("|---|---|" + "---|" * len(POLICIES) + "---|---|")
    all_ok = True
    margins = []
    for (trace, deadline) in sorted(results, key=lambda k: (k[0], k[1])):
        cell = results[(trace, deadline)]
        row = [trace.replace(".up", ""), f"{deadline:.0f} ms"]
        for p in POLICIES:
            m, h = mean_ci([cell[p][c]["accuracy"] for c in clips])
            row.append(f"{m:.4f} ± {h:.4f}")
        diff = [cell["cbo"][c]["accuracy"] - cell["raw-threshold"][c]["accuracy"] for c in clips]
        m, h = mean_ci(diff)
        margins.append(m)
        row.append(f"{m:+.4f} ± {h:.4f}")
        cell_means = {p: sum(cell[p][c]["accuracy"] for c in clips) / len(clips) for p in POLICIES}
        ok = all(cell_means["cbo"] >= cell_means[b] - 1e-12 for b in BASELINES)
        wins = sum(all(cell["cbo"][c]["accuracy"] >= cell[b][c]["accuracy"] - 1e-12 for b in BASELINES) for c in clips)
        all_ok &= ok
        row.append(f"{'yes' if ok else 'NO'} ({wins}/{len(clips)} videos)")
        out.append("| " + " | ".join(row) + " |")
    out.append(f"\nCBO at least as accurate as every baseline (means over videos) in every cell: "
               f"{'yes' if all_ok else 'NO'}. CBO minus raw-confidence thresholding: "
               f"{min(margins):+.4f} to {max(margins):+.4f} mIoU over the cells.")
    if decision:
        out.append(f"CBO's decision time: mean {sum(d[0] for d in decision) / len(decision):.1f} µs, largest "
                   f"{max(d[1] for d in decision):.1f} µs (one decision over the window of pending frames).")

    # Late results and offloaded shares of CBO.
    out.append("\n## CBO's offloading (means over videos)\n")
    out.append("| trace | deadline | offloaded | late (of offloaded) | MB per video |")
    out.append("|---|---|---|---|---|")
    for (trace, deadline) in sorted(results, key=lambda k: (k[0], k[1])):
        c = results[(trace, deadline)]["cbo"]
        off = sum(c[v]["offloaded"] / c[v]["frames"] for v in clips) / len(clips)
        late = sum(c[v]["late_fraction_of_offloaded"] for v in clips) / len(clips)
        mb = sum(c[v]["bytes"] for v in clips) / len(clips) / 1e6
        out.append(f"| {trace.replace('.up', '')} | {deadline:.0f} ms | {off:.3f} | {late:.3f} | {mb:.2f} |")
    live = sorted(glob.glob(os.path.join(work, "live", "replay.*.csv.json")))
    if live:
        out.append("\n## CBO live (replay through `vssoff link`) beside plan, the same 10 fps clip\n")
        out.append("| trace | deadline | plan: mIoU | live: mIoU | plan: offloaded / late | live: offloaded / late | "
                   "live: local only |")
        out.append("|---|---|---|---|---|---|---|")
        for path in live:
            trace, deadline = os.path.basename(path)[len("replay."):-len(".csv.json")].rsplit(".", 1)
            s = json.load(open(path))["system"]
            plan = json.load(open(os.path.join(work, "live", f"plan.{trace}.csv.json")))
            p = [r for r in plan["results"] if r["policy"] == "cbo" and r["deadline_ms"] == float(deadline)][0]
            out.append(f"| {trace.replace('.up', '')} | {deadline} ms | {p['accuracy']:.4f} | {s['accuracy']:.4f} | "
                       f"{p['offloaded']} / {p['late']} | {s['offloaded']} / {s['late']} | {s['local_accuracy']:.4f} |")
    open(os.path.join(work, "report.md"), "w").write("\n".join(out) + "\n")
    print("\n".join(out))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    traces = sorted({t for t, _ in results})
    fig, axes = plt.subplots(1, len(traces), figsize=(5 * len(traces), 4), sharey=True)
    for ax, trace in zip(axes if len(traces) > 1 else [axes], traces):
        deadlines = sorted(d for t, d in results if t == trace)
        for p in POLICIES:
            ms = [mean_ci([results[(trace, d)][p][c]["accuracy"] for c in clips]) for d in deadlines]
            ax.errorbar(deadlines, [m for m, _ in ms], yerr=[h for _, h in ms], marker="o", capsize=3, label=p,
                        linestyle="--" if p == "oracle" else "-")
        ax.set_title(trace.replace(".up", ""))
        ax.set_xlabel("deadline (ms)")
        ax.grid(alpha=0.3)
    (axes[0] if len(traces) > 1 else axes).set_ylabel(f"mean frame mIoU ({len(clips)} held-out videos)")
    (axes[-1] if len(traces) > 1 else axes).legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(work, "cbo.png"), dpi=100)


if __name__ == "__main__":
    main(sys.argv[1])
