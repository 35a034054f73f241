"""Chooses penance's knobs from scripts/penance_eval.sh's validation plans (training videos
only, each planned with estimators fitted to the others): the setting with the lowest server
cost relative to the oracle among those that fail at most 5% of the feasible segments, pooled
over videos, traces and targets; when none does, the one that fails least. Prints the plan
options; a table of every setting goes to stderr and to WORK/validate.md.

usage: /usr/bin/python3 scripts/penance_choose.py WORK > WORK/knobs.txt
"""
import glob, json, os, re, sys
from collections import defaultdict

work = sys.argv[1]
agg = defaultdict(lambda: defaultdict(float))
for path in glob.glob(os.path.join(work, "validate", "*_c*_f*_m*.csv.json")):
    c, f, m = re.search(r"_c([\d.]+)_f([\d.]+)_m([\d.]+)\.csv\.json$", path).groups()
    for s in json.load(open(path))["summary"]:
        a = agg[(c, f, m)]
        a["cost_" + s["policy"]] += s["cost_gflop"]
        if s["policy"] == "penance":
            a["fail"] += s["failures_on_feasible"]
            a["feasible"] += s["feasible_segments"]
if not agg:
    sys.exit("no validation plans under " + os.path.join(work, "validate"))
rows = []
for k, a in agg.items():
    rows.append((a["cost_penance"] / a["cost_oracle"], a["fail"] / max(1, a["feasible"]), k))
rows.sort()
ok = [r for r in rows if r[1] <= 0.05]
best = ok[0] if ok else min(rows, key=lambda r: (r[1], r[0]))
lines = ["| confidence | acc-feedback | margin | cost / oracle | failed feasible |", "|---|---|---|---|---|"]
for cost, fail, (c, f, m) in sorted(rows, key=lambda r: (r[1] > 0.05, r[0] if r[1] <= 0.05 else r[1])):
    mark = " (chosen)" if (c, f, m) == best[2] else ""
    lines.append("| %s | %s | %s | %.3fx | %.1f%%%s |" % (c, f, m, cost, 100 * fail, mark))
open(os.path.join(work, "validate.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines[:12]), file=sys.stderr)
c, f, m = best[2]
print("--confidence %s --acc-feedback %s --acc-margin %s" % (c, f, m))
