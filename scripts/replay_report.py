#!/usr/bin/env python3
"""The tables of scripts/replay_eval.sh's live runs, as Markdown (README: "Replay").

Usage: replay_report.py OUT DELAY_MS
"""
import bisect
import csv
import glob
import json
import math
import os
import sys

out, delay_ms = sys.argv[1], float(sys.argv[2])


def mean_ci(v):
    v = [x for x in v if x == x]
    if not v:
        return float("nan"), float("nan")
    m = sum(v) / len(v)
    sd = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0
    return m, 1.96 * sd / math.sqrt(len(v))


def p95(v):
    v = sorted(x for x in v if x == x)
    if not v:
        return float("nan")
    pos = 0.95 * (len(v) - 1)
    i = int(pos)
    return v[i] + (pos - i) * (v[min(i + 1, len(v) - 1)] - v[i])


def trace_rate(path):
    """kbit/s over [t0, t1) for a CSV or Mahimahi trace (repeated as the link repeats it)."""
    text = open(path).read()
    if "," in text.split("\n", 1)[0]:
        rows = [l.split(",") for l in text.strip().split("\n")[1:]]
        times, kbps = [float(r[0]) for r in rows], [float(r[1]) for r in rows]
        dur = times[-1]

        def rate(t0, t1):
            s = 0.0
            for rep in range(int(t0 // dur), int(t1 // dur) + 1):
                for i in range(len(times) - 1):
                    a, b = max(t0, rep * dur + times[i]), min(t1, rep * dur + times[i + 1])
                    if b > a:
                        s += kbps[i] * (b - a)
            return s / (t1 - t0)
        return rate
    ms = sorted(int(l) for l in text.split())
    period = ms[-1]
    within = sorted(m % period for m in ms)

    def count(t):
        reps, rest = divmod(t * 1000, period)
        return reps * len(within) + bisect.bisect_left(within, rest)
    return lambda t0, t1: (count(t1) - count(t0)) * 1500 * 8 / (t1 - t0) / 1000


TRACES = {"lte-walk": "testdata/traces/lte-walk.csv"}
for p in glob.glob("../shared/traces/*.up"):
    TRACES[os.path.basename(p)[:-3]] = p

print("| trace (mean kbit/s over the run) | system | segments (dropped) | delay mean ± 95% CI (s) | delay p95 (s) "
      "| analytic model (s) | kB per segment | mIoU ± 95% CI |")
print("|---|---|---|---|---|---|---|---|")
for name, path in TRACES.items():
    rate = trace_rate(path)
    for system in ("accmpeg", "uniform"):
        f = f"{out}/{system}-{name}.csv"
        if not os.path.exists(f):
            continue
        rows = list(csv.DictReader(open(f)))
        ok = [r for r in rows if r["status"] == "ok"]
        delays = [float(r["delay_s"]) for r in ok]
        # The analytic model of the AccMPEG report: round trip + bytes / bandwidth + camera time,
        # with the trace's mean rate over the second after the segment is ready; against it, the
        # measured delay less the server's own time (which that model leaves out).
        model, measured = [], []
        for r in ok:
            ready, b = float(r["ready_s"]), float(r["bytes"])
            kbps = rate(ready, ready + 1)
            if kbps > 0:
                model.append(2 * delay_ms / 1000 + b * 8 / (kbps * 1000) + float(r["encode_ms"]) / 1000)
                measured.append(float(r["delay_s"]) - float(r["serve_ms"]) / 1000)
        d, dci = mean_ci(delays)
        acc, aci = mean_ci([float(r["accuracy"]) if r["status"] == "ok" else 0.0 for r in rows])
        run = float(rows[-1]["ready_s"]) + 1 / 30
        kb = sum(float(r["bytes"]) for r in rows) / len(rows) / 1000
        mm, _ = mean_ci(model)
        me, _ = mean_ci(measured)
        print(f"| {name} ({rate(0, run):.0f}) | {system} | {len(rows)} ({len(rows) - len(ok)}) | {d:.2f} ± {dci:.2f} "
              f"| {p95(delays):.2f} | {mm:.2f} against {me:.2f} measured | {kb:.0f} | {acc:.3f} ± {aci:.3f} |")

print()
print("| trace | run | segments | cost (GFLOP) | mean mIoU | accuracy misses | bandwidth misses | failure rate "
      "| same action as plan |")
print("|---|---|---|---|---|---|---|---|---|")
for name in TRACES:
    p, live = f"{out}/plan-{name}.csv.json", f"{out}/penance-{name}.csv.json"
    if not (os.path.exists(p) and os.path.exists(live)):
        continue
    s = next(x for x in json.load(open(p))["summary"] if x["policy"] == "penance")
    planned = {int(r["segment"]): f"{r['model']}@qp{r['qp']}x{r['scale']}" for r in csv.DictReader(open(p[:-5]))
               if r["policy"] == "penance"}
    lived = {int(r["segment"]): r["action"] for r in csv.DictReader(open(live[:-5]))}
    same = sum(planned.get(k) == v for k, v in lived.items())
    print(f"| {name} | plan (offline, profile table) | {s['segments']} | {s['cost_gflop']:.1f} | {s['mean_accuracy']:.3f} "
          f"| {s['accuracy_misses']} | {s['bandwidth_misses']} | {s['failure_rate']:.2f} | |")
    L = json.load(open(live))["system"]
    print(f"| {name} | replay (live) | {L['segments']} | {L['cost_gflop']:.1f} | {L['mean_accuracy']:.3f} "
          f"| {L['accuracy_misses']} | {L['bandwidth_misses']} | {L['failure_rate']:.2f} | {same} of {len(lived)} |")

# The live run against the profile table, segment by segment: the server's accuracy and the
# camera's bytes for the action the live policy took, against the table's row of that action.
table = f"{out}/table.csv"
if os.path.exists(table):
    t = {(int(r["segment"]), f"{r['model']}@qp{r['qp']}x{r['scale']}"): (float(r["miou"]), int(r["bytes"]))
         for r in csv.DictReader(open(table))}
    print()
    for name in TRACES:
        f = f"{out}/penance-{name}.csv"
        if not os.path.exists(f):
            continue
        da, db = [], []
        for r in csv.DictReader(open(f)):
            if r["status"] == "ok":
                acc, b = t[(int(r["segment"]), r["action"])]
                da.append(abs(float(r["accuracy"]) - acc))
                db.append(abs(int(float(r["bytes"])) - b))
        verb = "equal" if max(da) == 0 and max(db) == 0 else "differ from"
        print(f"- {name}: on the {len(da)} segments served live, mIoU and bytes {verb} the table's row of the same "
              f"action (largest difference: {max(da):.2g} in mIoU, {max(db)} bytes).")

