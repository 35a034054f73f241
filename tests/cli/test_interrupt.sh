#!/usr/bin/env bash
# Interrupted runs (issue 14, defect 10): SIGINT, SIGTERM and SIGHUP remove every hidden
# temporary and end vssoff by the signal (the shell's status 128 + signo), with the old
# output untouched; a temporary left by a run that was killed outright is removed by the
# next run of the same output once its process is gone, and one of a live process is kept.
source "$(dirname "$0")/lib.sh"
MODELS=$VSSOFF_SOURCE_DIR/models
# Job control: without it bash starts background commands with SIGINT ignored, and vssoff
# (rightly) leaves a signal alone that was ignored when it started.
set -m

"$VSSOFF" -q synth -o "$T/long" --size 320x176 --frames 300 --seed 4
clip=$T/long/video.mp4

# temporaries NAME: the hidden temporaries of output NAME in $T.
temporaries() { find "$T" -maxdepth 1 -name ".$1.tmp-*" | sort; }

# interrupt SIGNAL STATUS NAME -- command...: starts the command, waits until it has written
# into its temporary of output NAME, sends SIGNAL, and checks the exit status and that no
# temporary is left.
interrupt() {
  local sig=$1 want=$2 name=$3 got=0 i
  shift 3
  "$@" 2>"$T/stderr" &
  local pid=$!
  for i in $(seq 600); do
    find "$T" -maxdepth 3 -path "$T/.$name.tmp-*" -type f -size +0c 2>/dev/null | grep -q . && break
    sleep 0.1
  done
  kill -"$sig" "$pid"
  wait "$pid" || got=$?
  if [ "$got" != "$want" ]; then
    fail "$sig: exit $got (wanted $want): $*"; sed 's/^/  | /' "$T/stderr" >&2
  else
    ok
  fi
  grep -qF "interrupted by SIG$sig" "$T/stderr" && ok || fail "$sig: stderr does not say it was interrupted"
  [ -z "$(temporaries "$name")" ] && ok || fail "$sig left temporaries of $name: $(temporaries "$name")"
}

# The old outputs, which an interrupted --force run must leave as they were.
expect_exit 0 "" "$VSSOFF" segment "$clip" -o "$T/seg" --model "$MODELS/segnet-tiny.json" --frames 3
expect_exit 0 "" "$VSSOFF" encode-roi "$clip" -o "$T/e.mp4" --qp 30 --frames 3
expect_exit 0 "" "$VSSOFF" synth -o "$T/syn" --size 64x48 --frames 2
(cd "$T" && find seg e.mp4 e.mp4.json syn -type f -exec sha256sum {} + | sort) >"$T/old.sha"

interrupt INT 130 seg "$VSSOFF" segment "$clip" -o "$T/seg" --model "$MODELS/segnet-tiny.json" --overlay-every 1 \
  --force
interrupt TERM 143 e.mp4 "$VSSOFF" encode-roi "$clip" -o "$T/e.mp4" --qp 20 --preset veryslow --verify --force
interrupt HUP 129 syn "$VSSOFF" synth -o "$T/syn" --size 320x176 --frames 3000 --force
(cd "$T" && find seg e.mp4 e.mp4.json syn -type f -exec sha256sum {} + | sort) | cmp -s - "$T/old.sha" && ok ||
  fail "an interrupted run changed the old output"

# Temporaries of a killed run: removed by the next run of the same output once their process
# is gone (named on stderr), kept while it runs (the test shell's own PID stands for a
# concurrent writer), never those of another output.
sh -c 'exit 0' &
dead=$!
wait "$dead"
mkdir -p "$T/.seg.tmp-$dead-0/labels" "$T/.seg.tmp-$$-0"
head -c 100000 /dev/zero >"$T/.seg.tmp-$dead-0/labels/000000.png"
head -c 100000 /dev/zero >"$T/.e.mp4.tmp-$dead-1"
head -c 100000 /dev/zero >"$T/.other.mp4.tmp-$dead-0"
expect_exit 0 "removed a temporary of $T/seg left by a process that is no longer running: $T/.seg.tmp-$dead-0" \
  "$VSSOFF" segment "$clip" -o "$T/seg" --model "$MODELS/segnet-tiny.json" --frames 2 --force
[ ! -e "$T/.seg.tmp-$dead-0" ] && ok || fail "the temporary of dead process $dead was kept"
[ -d "$T/.seg.tmp-$$-0" ] && ok || fail "the temporary of a live process ($$) was removed"
expect_exit 0 "$T/.e.mp4.tmp-$dead-1 (process $dead)" "$VSSOFF" encode-roi "$clip" -o "$T/e.mp4" --qp 30 --frames 2 \
  --force
[ "$(temporaries e.mp4)" = "" ] && ok || fail "stale temporaries of e.mp4 kept: $(temporaries e.mp4)"
[ -f "$T/.other.mp4.tmp-$dead-0" ] && ok || fail "a temporary of another output was removed"

finish
