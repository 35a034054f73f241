#!/usr/bin/env bash
# The replay (issue 16): vssoff serve, link and replay as real processes over loopback TCP.
# One command end to end, the live run against the batch subcommands, and the faults: a
# link that drops to zero, a server killed and restarted, Ctrl-C on each process, eight
# edges against one server, hostile or missing peers.
source "$(dirname "$0")/lib.sh"
set -m  # background jobs keep SIGINT (see test_interrupt.sh)
M=$VSSOFF_SOURCE_DIR/models/segnet-tiny.json
BIG=$VSSOFF_SOURCE_DIR/models/segnet-w24.json  # the server model the cheap model was trained for
CHEAP=$VSSOFF_SOURCE_DIR/models/accmpeg-cheap-w24.json
TRACES=$VSSOFF_SOURCE_DIR/testdata/traces
"$VSSOFF" -q synth -o "$T/clip" --size 320x176 --frames 120 --seed 3
clip=$T/clip

# check_csv FILE PYTHON: runs an assertion over the rows of a replay CSV (rows = list of dicts).
check_csv() {
  local file=$1 code=$2
  if $PY - "$file" <<EOF2 2>"$T/py.err"; then ok; else fail "$file: $code"; sed 's/^/  | /' "$T/py.err" >&2; fi
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert all(None not in r.values() and len(r) == len(rows[0]) for r in rows), "a half row"
$code
EOF2
}

# wait_for FILE: until it exists (a port file).
wait_for() { for _ in $(seq 300); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }

# --- 1. one command: AccMPEG through the lte-walk trace, scored against the ground truth.
expect_exit 0 "" "$VSSOFF" replay "$clip/video.mp4" -o "$T/acc.csv" --system accmpeg --server-model "$BIG" \
  --cheap-model "$CHEAP" --ground-truth "$clip" --spawn-server --spawn-link --up-trace "$TRACES/lte-walk.csv" \
  --delay-ms 10 --plot "$T/acc.png"
check_csv "$T/acc.csv" '
assert len(rows) == 4, len(rows)
assert all(r["status"] == "ok" for r in rows), [r["status"] for r in rows]
assert all(0 < float(r["accuracy"]) <= 1 for r in rows)
assert all(float(r["delay_s"]) > 0.02 for r in rows)        # two 10-ms crossings at least
assert all(float(r["server_recv_end_s"]) >= float(r["send_start_s"]) for r in rows)
m = json.load(open(sys.argv[1] + ".json"))
assert m["format"] == "vssoff.replay" and m["totals"]["segments"] == 4 and m["reconnects"] == 0
assert abs(m["clock_offset_ms"]) < 20, m["clock_offset_ms"]'
[ -s "$T/acc.png" ] && [ -s "$T/acc.server.csv" ] && [ -s "$T/acc.link.csv" ] && ok || fail "plot or logs missing"
[ -z "$(find "$T" -maxdepth 1 -name '.replay-*')" ] && ok || fail "spawn left its run directory"
# The live bytes are the batch encode's: qpmap + encode-roi with the same parameters give the
# same segments, less the SPS/PPS each live segment carries (the batch file has them once).
"$VSSOFF" -q qpmap "$clip/video.mp4" -o "$T/batch.npy" --cheap-model "$CHEAP" --segment-frames 30 --top 20 \
  --qp-hi 30 --qp-lo 40
"$VSSOFF" -q encode-roi "$clip/video.mp4" -o "$T/batch.mp4" --qp-map "$T/batch.npy" --segment 30
check_csv "$T/acc.csv" '
batch = json.load(open(sys.argv[1].replace("acc.csv", "batch.mp4.json")))["segment_bytes"]
extra = {int(float(r["bytes"])) - b for r, b in zip(rows, batch)}
assert len(extra) == 1 and 0 < extra.pop() < 100, (batch, [r["bytes"] for r in rows])'

# --- 2. The link drops to zero for 2 s: the camera queue stays bounded (it drops segments,
# and says so), and the run recovers when the link comes back.
"$VSSOFF" -q synth -o "$T/long" --size 320x176 --frames 180 --seed 5
printf 'time_s,kbps\n0,4000\n0.9,0\n2.9,4000\n60,4000\n' >"$T/gap.csv"
expect_exit 0 "" "$VSSOFF" replay "$T/long/video.mp4" -o "$T/gap.out.csv" --system uniform --server-model "$M" \
  --spawn-server --spawn-link --up-trace "$T/gap.csv" --max-queue 1
check_csv "$T/gap.out.csv" '
status = [r["status"] for r in rows]
assert "dropped" in status, status
assert status[0] == "ok" and status[-1] == "ok", status
assert all(s in ("ok", "dropped") for s in status), status
assert float(rows[0]["delay_s"]) > 1.5, "segment 0 did not wait for the gap"
assert float(rows[-1]["delay_s"]) < 1, "no recovery"'

# --- 3. The server is killed mid-run and restarted on the same port: the edge reconnects,
# re-sends what had no result, and every segment is answered exactly once. The server runs
# the larger model on one thread, slower than real time, so that requests are in flight.
"$VSSOFF" -q serve --model "$M" --model "$BIG" --threads 1 --port-file "$T/s.port" --log "$T/s1.csv" &
spid=$!
wait_for "$T/s.port" && ok || fail "serve did not start"
port=$(cat "$T/s.port")
"$VSSOFF" -q replay "$T/long/video.mp4" -o "$T/restart.csv" --system uniform --server-model "$BIG" \
  --score-frames 0 --connect "127.0.0.1:$port" --max-queue 6 2>"$T/restart.err" &
rpid=$!
sleep 2.5
kill -KILL $spid
wait $spid 2>/dev/null || true
sleep 1
"$VSSOFF" -q serve --model "$M" --model "$BIG" --listen "127.0.0.1:$port" --log "$T/s2.csv" &
spid=$!
got=0
wait $rpid || got=$?
[ "$got" = 0 ] && ok || { fail "replay across a restart: exit $got"; sed 's/^/  | /' "$T/restart.err" >&2; }
check_csv "$T/restart.csv" '
assert [int(r["segment"]) for r in rows] == list(range(6))
assert all(r["status"] == "ok" for r in rows), [r["status"] for r in rows]
assert any(int(r["sends"]) > 1 for r in rows), "nothing was re-sent"
m = json.load(open(sys.argv[1] + ".json"))
assert m["reconnects"] == 1, m["reconnects"]'

# --- 4. Eight edges against that one server at once: all complete, the server queues.
for i in 1 2 3 4 5 6 7 8; do
  "$VSSOFF" -q replay "$clip/video.mp4" -o "$T/edge$i.csv" --system uniform --server-model "$M" \
    --connect "127.0.0.1:$port" --fast --frames 60 2>"$T/edge$i.err" &
done
bad=0
for job in $(jobs -p); do [ "$job" = "$spid" ] || wait "$job" || bad=$((bad + 1)); done
[ "$bad" = 0 ] && ok || fail "$bad of 8 edges failed"
for i in 1 2 3 4 5 6 7 8; do check_csv "$T/edge$i.csv" 'assert [r["status"] for r in rows] == ["ok", "ok"]'; done
# The server's log shows the eight connections' requests waiting for its one worker.
check_csv "$T/s2.csv" '
seg = [r for r in rows if r["kind"] == "segment" and r["status"] == "ok"]
assert len({r["connection"] for r in seg}) >= 8, len({r["connection"] for r in seg})
assert max(float(r["queue_ms"]) for r in seg) > 20, max(float(r["queue_ms"]) for r in seg)'

# --- 5. Ctrl-C on the server: it ends by SIGINT with a complete log; the edge notices,
# gives up after --give-up, and still writes what it had.
"$VSSOFF" -q replay "$T/long/video.mp4" -o "$T/orphan.csv" --system uniform --server-model "$M" \
  --connect "127.0.0.1:$port" --give-up 1.5 2>"$T/orphan.err" &
rpid=$!
sleep 2
kill -INT $spid
got=0
wait $spid || got=$?
[ "$got" = 130 ] && ok || fail "serve after SIGINT: exit $got"
check_csv "$T/s2.csv" 'assert any(r["kind"] == "segment" and r["status"] == "ok" for r in rows)'
got=0
wait $rpid || got=$?
[ "$got" = 2 ] && grep -q "cannot reach the server" "$T/orphan.err" && ok ||
  { fail "the orphaned edge: exit $got"; sed 's/^/  | /' "$T/orphan.err" >&2; }
check_csv "$T/orphan.csv" 'assert rows and rows[0]["status"] == "ok", [r["status"] for r in rows]'

# --- 6. Ctrl-C on the edge (spawning both): it ends by SIGINT, its CSVs complete, the
# children gone; Ctrl-C on a link: it ends by SIGINT with a complete log.
"$VSSOFF" -q replay "$T/long/video.mp4" -o "$T/int.csv" --system uniform --server-model "$M" --spawn-server \
  --spawn-link --up-trace "$TRACES/lte-walk.csv" 2>"$T/int.err" &
rpid=$!
for _ in $(seq 200); do [ -s "$T/int.link.csv" ] && [ "$(wc -l <"$T/int.link.csv")" -gt 20 ] && break; sleep 0.1; done
kill -INT $rpid
got=0
wait $rpid || got=$?
[ "$got" = 130 ] && ok || { fail "replay after SIGINT: exit $got"; sed 's/^/  | /' "$T/int.err" >&2; }
check_csv "$T/int.csv" 'assert json.load(open(sys.argv[1] + ".json"))["interrupted"] is True'
check_csv "$T/int.link.csv" 'assert rows[-1]["direction"] == "down"'
sleep 0.5
pgrep -f "$T/int" >/dev/null && fail "a spawned process outlived the replay" || ok
"$VSSOFF" -q link --connect 127.0.0.1:9 --port-file "$T/l.port" --log "$T/l.csv" --trace-from-start &
lpid=$!
wait_for "$T/l.port"
sleep 0.5
kill -INT $lpid
got=0
wait $lpid || got=$?
[ "$got" = 130 ] && ok || fail "link after SIGINT: exit $got"
check_csv "$T/l.csv" 'assert len(rows) >= 2'

# --- 7b. A server that loads what an edge asks for, by name, from a model directory.
"$VSSOFF" -q serve --model-dir "$VSSOFF_SOURCE_DIR/models" --port-file "$T/d.port" 2>"$T/d.err" &
dpid=$!
wait_for "$T/d.port"
expect_exit 0 "" "$VSSOFF" replay "$clip/video.mp4" -o "$T/bydir.csv" --system uniform --server-model "$M" \
  --connect "127.0.0.1:$(cat "$T/d.port")" --fast --frames 30
check_csv "$T/bydir.csv" 'assert [r["status"] for r in rows] == ["ok"]'
$PY -c 'import json, sys; c = json.load(open(sys.argv[1])); c["name"] = "segnet-nowhere"
c["weights"] = sys.argv[1].replace(".json", ".pt"); json.dump(c, open(sys.argv[2], "w"))' "$M" "$T/nowhere.json"
expect_exit 2 "none of that name in" "$VSSOFF" replay "$clip/video.mp4" -o "$T/bydir2.csv" --system uniform \
  --server-model "$T/nowhere.json" --connect "127.0.0.1:$(cat "$T/d.port")" --give-up 2
kill $dpid
wait $dpid 2>/dev/null || true

# --- 7. Clear errors: a cheap model for another server model (by the weights hash in the
# welcome), a port in use, a server that is not there, bad options.
$PY - "$VSSOFF_SOURCE_DIR/models/segnet-tiny.json" "$T/impostor.json" <<'EOF2'
import json, sys
c = json.load(open(sys.argv[1]))
c["name"] = "segnet-w24"  # the name the cheap model was trained for, other weights
c["weights"] = sys.argv[1].replace(".json", ".pt")
json.dump(c, open(sys.argv[2], "w"))
EOF2
expect_exit 2 "accmpeg-cheap-w24.json: trained for server model segnet-w24" "$VSSOFF" replay "$clip/video.mp4" \
  -o "$T/impostor.csv" --system accmpeg --server-model "$T/impostor.json" --cheap-model "$CHEAP" --spawn-server
"$VSSOFF" -q serve --model "$M" --port-file "$T/busy.port" &
bpid=$!
wait_for "$T/busy.port"
busy=$(cat "$T/busy.port")
expect_exit 2 "cannot listen on 127.0.0.1:$busy" "$VSSOFF" serve --model "$M" --listen "127.0.0.1:$busy"
expect_exit 2 "cannot listen on 127.0.0.1:$busy" "$VSSOFF" link --connect 127.0.0.1:1 --listen "127.0.0.1:$busy"
kill $bpid
wait $bpid 2>/dev/null || true
expect_exit 2 "cannot reach the server at 127.0.0.1:$busy" "$VSSOFF" replay "$clip/video.mp4" -o "$T/none.csv" \
  --system uniform --server-model "$M" --connect "127.0.0.1:$busy" --give-up 0.5
[ ! -e "$T/none.csv" ] && ok || fail "a failed start left an output"
expect_exit 1 "give accmpeg, uniform, penance or cbo" "$VSSOFF" replay "$clip/video.mp4" -o "$T/x.csv" --system nope \
  --connect 127.0.0.1:1
expect_exit 1 "is not host:port" "$VSSOFF" link --connect nowhere
printf 'time_s,kbps\n0,0\n5,0\n' >"$T/zero.csv"
expect_exit 2 "zero.csv: the trace offers no delivery opportunity" "$VSSOFF" link --connect 127.0.0.1:1 \
  --up-trace "$T/zero.csv"
expect_exit 1 "delay: -1 ms" "$VSSOFF" link --connect 127.0.0.1:1 --delay-ms -1
finish
