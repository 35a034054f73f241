"""Formats the rows the benchmark drivers recorded (lib.sh's record) as the README's table.

usage: /usr/bin/python3 table.py RESULTS.tsv
Each row: id, label A, "min med max" of A, label B, "min med max" of B, median(B)/median(A),
note. A is vssoff; B its reference. Targets and how each is read are below.
"""
import datetime, platform, subprocess, sys

SPEED = lambda a, b: b / a      # reference time / vssoff time: above 1, vssoff is faster
TOGETHER = lambda a, b: a / b   # together (or with the policy) / one after the other (or without)
FPS = lambda a, b: 300 / a      # the drivers' clips are 300 frames
START = lambda a, b: a          # vssoff's own seconds


def at_least(x):
    return f"≥ {x:g}", lambda q: q >= x


def at_most(x):
    return f"≤ {x:g}", lambda q: q <= x


NONE = ("-", None)

# id -> (what, quantity from the medians a (vssoff) and b (reference), (target, met)).
ROWS = {
    "B1": ("`encode-roi --qp 30` vs the x264 CLI at --qp 30; 640x360, 300 frames, .y4m, byte-identical output",
           SPEED, at_least(0.95)),
    "B1-map": ("`encode-roi --qp-map` vs FFmpeg `addroi` + libx264 with the same offsets; same output size", SPEED,
               at_least(0.95)),
    "B2": ("`info --decode` vs `ffmpeg -f null`; 1280x720 H.264, 300 frames, 2 threads", SPEED, at_least(0.9)),
    "B3": ("`segment` vs python3-torch with optimize_for_inference; TorchScript segnet-w16, 640x360, 120 frames, idle",
           SPEED, at_least(1.3)),
    "B3-loaded": ("B3 with one CPU-bound process beside (python with the same GOMP_SPINCOUNT)", SPEED, at_least(1.3)),
    "B4": ("cheap model, `qpmap --sample all` (default threads) vs python3-torch optimised (2 threads); 640x360, 300 frames",
           SPEED, at_least(1.3)),
    "B4-fps": ("B4's vssoff side in frames/s, whole command", FPS, at_least(30)),
    "B12-segment+segment": ("two `segment` runs together / one after the other", TOGETHER, at_most(1.15)),
    "B12-segment+encode": ("`segment` beside `encode-roi` / one after the other", TOGETHER, at_most(1.15)),
    "B12-libgomp-default": ("the same two `segment` runs with libgomp's default spinning (no target: what the policy prevents)",
                            TOGETHER, NONE),
    "B12-alone": ("one `segment` alone: vssoff's OpenMP policy / libgomp's default", TOGETHER, at_most(1.03)),
    "B13": ("camera pipeline at 1280x720: `qpmap` + `encode-roi`, frames/s (reference: uniform-QP encode alone)", FPS,
            at_least(30)),
    "synth": ("`synth` on one core, frames/s (reference: x264 CLI encoding the same frames on that core)", FPS,
              at_least(60)),
    "start": ("start-up, `info --help` vs `x264 --help`", START, NONE),
    "start-plugin": ("start-up with the model plugin: one-frame `segment` vs `python3 -c 'import torch'`", START, NONE),
}

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name:\\s*//p' | head -1"], capture_output=True,
                     text=True).stdout.strip()
print(f"Measured {datetime.date.today()} by `scripts/bench/all.sh` on {cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores. "
      "Seconds as min / median / max of the timed runs; each row's reference ran alternately with it.\n")
print("| id | what | vssoff (s) | reference (s) | figure | target | met |")
print("|---|---|---|---|---|---|---|")
fmt = lambda t: f"{t[0]:.3f} / **{t[1]:.3f}** / {t[2]:.3f}"
verdict = lambda met, q: "-" if met is None else ("yes" if met(q) else "**no**")
for rid, la, sa, lb, sb, ratio, note in rows:
    what, quantity, (target, met) = ROWS.get(rid, (rid, SPEED, NONE))
    a, b = [float(x) for x in sa.split()], [float(x) for x in sb.split()]
    q = quantity(a[1], b[1])
    unit = " s" if quantity is START else ""
    print(f"| {rid} | {what} | {fmt(a)} | {fmt(b)} | {q:.3g}{unit} | {target} | {verdict(met, q)} |")
    if rid == "B4":  # the same run, read as frames/s
        w, quantity, (target, met) = ROWS["B4-fps"]
        q = quantity(a[1], b[1])
        print(f"| B4-fps | {w} | | | {q:.3g} | {target} | {verdict(met, q)} |")
