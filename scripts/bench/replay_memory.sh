#!/usr/bin/env bash
# Memory over a long replay (issue 16): a 10-minute synthetic clip (640x360, 18000 frames)
# replayed as fast as the pipeline goes (--fast: the camera waits for room instead of
# dropping, so every segment is sent and served) by the uniform-QP loop, through a link
# shaped by the T-Mobile LTE trace (repeated), to a server with segnet-w24. Each process's resident set is sampled
# every 5 s from /proc; the script prints, per process, the peak (VmHWM) and the resident
# set after 10% and at the end of the run, which would grow with the run if anything kept
# per-segment state.
#   scripts/bench/replay_memory.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/../.."
V=$PWD/${BUILD_DIR:-build}/tools/vssoff
MIN=${1:-10}
W=${WORK:-out/bench/memory}
mkdir -p "$W"
frames=$((MIN * 60 * 30))
have=$(/usr/bin/python3 -c "import json; print(json.load(open('$W/clip/manifest.json'))['params']['frames'])" 2>/dev/null || true)
[ "$have" = "$frames" ] || $V -q synth -o "$W/clip" --preset street --seed 7201 --frames "$frames" --force
rm -f "$W"/*.port
$V -q serve --model models/segnet-w24.json --port-file "$W/s.port" --log "$W/server.csv" --force &
spid=$!
while [ ! -s "$W/s.port" ]; do sleep 0.1; done
$V -q link --connect "127.0.0.1:$(cat "$W/s.port")" --up-trace ../shared/traces/TMobile-LTE-short.up --port-file "$W/l.port" \
  --log "$W/link.csv" --force &
lpid=$!
while [ ! -s "$W/l.port" ]; do sleep 0.1; done
$V -q replay "$W/clip/video.mp4" -o "$W/replay.csv" --system uniform --server-model models/segnet-w24.json \
  --connect "127.0.0.1:$(cat "$W/l.port")" --fast --force &
rpid=$!
: >"$W/rss.csv"
echo "t_s,replay_kb,link_kb,serve_kb" >"$W/rss.csv"
t0=$(date +%s)
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo ""; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo ""; }
peak_r=0
while kill -0 $rpid 2>/dev/null; do
  echo "$(($(date +%s) - t0)),$(rss $rpid),$(rss $lpid),$(rss $spid)" >>"$W/rss.csv"
  h=$(hwm $rpid); [ -n "$h" ] && peak_r=$h
  sleep 5
done
wait $rpid
peak_l=$(hwm $lpid); peak_s=$(hwm $spid)
kill -TERM $lpid $spid  # (background jobs of a script ignore SIGINT)
wait $lpid $spid 2>/dev/null || true
/usr/bin/python3 - "$W" "$peak_r" "$peak_l" "$peak_s" <<'PY'
import csv, json, sys
w, peaks = sys.argv[1], [int(x) / 1024 for x in sys.argv[2:5]]
rows = [r for r in csv.DictReader(open(f"{w}/rss.csv")) if all(r.values())]
n = len(rows)
s = json.load(open(f"{w}/replay.csv.json"))["totals"]
print(f"{s['segments']} segments ({s['dropped']} dropped), {s['frames']} frames, in {rows[-1]['t_s']} s")
for name, key, peak in zip(("replay", "link", "serve"), ("replay_kb", "link_kb", "serve_kb"), peaks):
    early, late = int(rows[n // 10][key]) / 1024, int(rows[-1][key]) / 1024
    print(f"{name:>7}: peak {peak:.0f} MB; resident {early:.0f} MB after 10% of the run, {late:.0f} MB at the end")
PY
