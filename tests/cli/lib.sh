# Helpers for the CLI tests: run from ctest with VSSOFF (the binary) and VSSOFF_SOURCE_DIR set.
set -euo pipefail
: "${VSSOFF:?VSSOFF must point at the vssoff binary}"
: "${VSSOFF_SOURCE_DIR:?}"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/vssoff-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { checks=$((checks + 1)); }

# expect_exit CODE "fragment of stderr" -- command...
expect_exit() {
  local want=$1 fragment=$2
  shift 2
  local got=0
  "$@" >"$T/stdout" 2>"$T/stderr" || got=$?
  if [ "$got" != "$want" ]; then
    fail "exit $got (wanted $want): $*"; sed 's/^/  | /' "$T/stderr" >&2
  elif [ -n "$fragment" ] && ! grep -qF -- "$fragment" "$T/stderr"; then
    fail "stderr lacks '$fragment': $*"; sed 's/^/  | /' "$T/stderr" >&2
  else
    ok
  fi
}

finish() {
  echo "$checks passed, $failures failed"
  [ "$failures" -eq 0 ]
}

# A small synthetic clip, made once per script.
small_clip() {
  [ -d "$T/clip" ] || "$VSSOFF" -q synth -o "$T/clip" --size 320x176 --frames 40 --seed 3
  echo "$T/clip"
}
