"""Writes the shipped bandwidth traces in testdata/traces/ (deterministic; rerun to regenerate).

  steady.csv           4 Mbit/s throughout (CSV: time_s,kbps)
  lte-walk.csv         a random walk between 0.5 and 6 Mbit/s, a step every 0.5 s
  wifi-drops.csv       5 Mbit/s with 2 to 4 s drops to 0.6 Mbit/s
  cellular.mahimahi    Mahimahi form (ms of each 1500-byte delivery opportunity), 1 to 4 Mbit/s
Each lasts 120 s.

usage: python3 scripts/make_traces.py
"""
import os, random

out = os.path.join(os.path.dirname(__file__), "..", "testdata", "traces")
os.makedirs(out, exist_ok=True)
DURATION = 120


def write_csv(name, steps):  # steps: [(time_s, kbps)], then the end marker
    with open(os.path.join(out, name), "w") as f:
        f.write("time_s,kbps\n")
        for t, k in steps:
            f.write(f"{t:g},{k:.0f}\n")
        f.write(f"{DURATION},{steps[-1][1]:.0f}\n")


write_csv("steady.csv", [(0, 4000)])

rng = random.Random(7)
k, steps = 3000.0, []
for i in range(DURATION * 2):
    k = min(6000, max(500, k * rng.uniform(0.75, 1.3)))
    steps.append((i * 0.5, k))
write_csv("lte-walk.csv", steps)

rng = random.Random(11)
steps, t = [], 0.0
while t < DURATION:
    good = rng.uniform(3, 8)
    steps.append((round(t, 1), 5000))
    t += good
    if t >= DURATION:
        break
    steps.append((round(t, 1), 600))
    t += rng.uniform(2, 4)
write_csv("wifi-drops.csv", steps)

rng = random.Random(13)
with open(os.path.join(out, "cellular.mahimahi"), "w") as f:
    ms, rate = 0.0, 2000.0  # kbit/s; one opportunity = 1500 bytes = 12 kbit
    next_change = 0.0
    while ms < DURATION * 1000:
        if ms >= next_change:
            rate = rng.uniform(1000, 4000)
            next_change += 1000
        ms += 12.0 / rate * 1000
        f.write(f"{int(ms)}\n")
print("wrote", sorted(os.listdir(out)))
