"""Formats the rows the benchmark drivers recorded (lib.sh's record) as the README's table.

usage: /usr/bin/python3 table.py RESULTS.tsv
Each row: id, label A, "min med max" of A, label B, "min med max" of B, median(B)/median(A),
note. A is vssoff; B its reference. Targets and how each is read are below.
"""
import datetime, platform, subprocess, sys

# id -> (what, quantity, target, met): quantity from the medians a, b (seconds).
ROWS = {
    "B1": ("`encode-roi --qp 30` vs the x264 CLI at --qp 30; 640x360, 300 frames, .y4m, byte-identical output",
           lambda a, b: b / a, "≥ 0.95", lambda q: q >= 0.95),
    "B1-map": ("`encode-roi --qp-map` vs FFmpeg `addroi` + libx264 with the same offsets; same output size",
               lambda a, b: b / a, "≥ 0.95", lambda q: q >= 0.95),
    "B2": ("`info --decode` vs `ffmpeg -f null`; 1280x720 H.264, 300 frames, 2 threads",
           lambda a, b: b / a, "≥ 0.9", lambda q: q >= 0.9),
    "B3": ("`segment` vs python3-torch with optimize_for_inference; TorchScript segnet-w16, 640x360, 120 frames, idle",
           lambda a, b: b / a, "≥ 1.3", lambda q: q >= 1.3),
    "B3-loaded": ("B3 with one CPU-bound process beside (python with the same GOMP_SPINCOUNT)",
                  lambda a, b: b / a, "≥ 1.3", lambda q: q >= 1.3),
    "B4": ("cheap model, `qpmap --sample all` (default threads) vs python3-torch optimised (2 threads); 640x360, 300 frames",
           lambda a, b: b / a, "≥ 1.3", lambda q: q >= 1.3),
    "B4-fps": ("B4's vssoff side in frames/s, whole command", None, "≥ 30", lambda q: q >= 30),
    "B12-segment+segment": ("two `segment` runs together / one after the other", lambda a, b: a / b, "≤ 1.15",
                            lambda q: q <= 1.15),
    "B12-segment+encode": ("`segment` beside `encode-roi` / one after the other", lambda a, b: a / b, "≤ 1.15",
                           lambda q: q <= 1.15),
    "B12-libgomp-default": ("the same two `segment` runs with libgomp's default spinning (no target: what the policy prevents)",
                            lambda a, b: a / b, "-", None),
    "B12-alone": ("one `segment` alone: vssoff's OpenMP policy / libgomp's default", lambda a, b: a / b, "≤ 1.03",
                  lambda q: q <= 1.03),
    "B13": ("camera pipeline at 1280x720: `qpmap` + `encode-roi`, frames/s (reference: uniform-QP encode alone)",
            lambda a, b: 300 / a, "≥ 30", lambda q: q >= 30),
    "synth": ("`synth` on one core, frames/s (reference: x264 CLI encoding the same frames on that core)",
              lambda a, b: 300 / a, "≥ 60", lambda q: q >= 60),
    "start": ("start-up, `info --help` vs `x264 --help`", lambda a, b: a, "-", None),
    "start-plugin": ("start-up with the model plugin: one-frame `segment` vs `python3 -c 'import torch'`",
                     lambda a, b: a, "-", None),
}

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name:\\s*//p' | head -1"], capture_output=True,
                     text=True).stdout.strip()
print(f"Measured {datetime.date.today()} by `scripts/bench/all.sh` on {cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores. "
      "Seconds as min / median / max of the timed runs; each row's reference ran alternately with it.\n")
print("| id | what | vssoff (s) | reference (s) | figure | target | met |")
print("|---|---|---|---|---|---|---|")
for rid, la, sa, lb, sb, ratio, note in rows:
    what, quantity, target, met = ROWS.get(rid, (rid, lambda a, b: b / a, "-", None))
    a, b = [float(x) for x in sa.split()], [float(x) for x in sb.split()]
    q = quantity(a[1], b[1])
    unit = " s" if rid.startswith("start") else ""
    ok = "-" if met is None else ("yes" if met(q) else "**no**")
    fmt = lambda t: f"{t[0]:.3f} / **{t[1]:.3f}** / {t[2]:.3f}"
    print(f"| {rid} | {what} | {fmt(a)} | {fmt(b)} | {q:.3g}{unit} | {target} | {ok} |")
    if rid == "B4":
        q = 300 / a[1]
        w, _, t, m = ROWS["B4-fps"]
        print(f"| B4-fps | {w} | | | {q:.3g} | {t} | {'yes' if m(q) else '**no**'} |")
