#!/usr/bin/env bash
# Every subcommand has --help; no option is registered twice; each man page documents every
# option that --help lists (and no other); --version names every library.
source "$(dirname "$0")/lib.sh"

expect_exit 0 "" "$VSSOFF" --help
subcommands=$(sed -n '/^Subcommands:/,/^$/p' "$T/stdout" | awk 'NR > 1 && NF {print $1}')
[ -n "$subcommands" ] && ok || fail "no subcommands listed in --help"

for sub in $subcommands; do
  expect_exit 0 "" "$VSSOFF" "$sub" --help
  opts=$(grep -oE '^\s+(-[a-zA-Z],)?--[a-z0-9-]+' "$T/stdout" | grep -oE -- '--[a-z0-9-]+' | sort)
  dups=$(echo "$opts" | uniq -d)
  [ -z "$dups" ] && ok || fail "$sub: options registered twice: $dups"
  page="$VSSOFF_SOURCE_DIR/man/vssoff-$sub.1"
  if [ ! -f "$page" ]; then fail "no man page $page"; continue; fi
  ok
  text=$(sed 's/\\f[BIRP]//g; s/\\//g' "$page")  # roff escapes removed: \-\-qp\-map -> --qp-map
  for o in $opts; do
    [ "$o" = "--help" ] && continue
    grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|\$)" <<< "$text" && ok || fail "$page does not document $o"
  done
  # Every option in the man page's OPTIONS section must exist.
  documented=$(echo "$text" | sed -n '/^\.SH OPTIONS/,/^\.SH [A-NP-Z]/p' | grep -oE -- '--[a-z0-9-]+' | sort -u)
  for o in $documented; do
    grep -qx -- "$o" <<< "$opts" && ok || fail "$page documents $o, which $sub does not have"
  done
  grep -qF "vssoff-$sub (1)" "$VSSOFF_SOURCE_DIR/man/vssoff.1" && ok || fail "vssoff.1 does not list vssoff-$sub(1)"
done

expect_exit 0 "" "$VSSOFF" --version
for lib in "vssoff 0" libavcodec libavformat x264 LibTorch OpenCV commit; do
  grep -qF "$lib" "$T/stdout" && ok || fail "--version lacks $lib"
done
finish
