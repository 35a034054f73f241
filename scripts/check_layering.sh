#!/usr/bin/env bash
# Fails when an include runs against the layering of shared/ARCHITECTURE.md:
#  - a domain of lib/ includes a domain above it (core < video < codec < synth < nn <
#    metrics < link < the systems < plugin), or one system includes another;
#  - a file outside a LibTorch target (vssoff_add_torch_library in its folder's
#    CMakeLists.txt) includes LibTorch, or a public header (lib/*/*.h) does, other than the
#    ones marked internal to LibTorch code;
#  - tools/ includes LibTorch.
# lib/nn/runtime.cc reads only <torch/version.h> (macros, no library) and is exempt.
# Run from anywhere: scripts/check_layering.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

rank() {
  case $1 in
    core) echo 1 ;; video) echo 2 ;; codec) echo 3 ;; synth) echo 4 ;; nn) echo 5 ;;
    metrics) echo 6 ;; link) echo 7 ;; plugin) echo 9 ;; *) echo 8 ;;
  esac
}

bad=0
for f in $(git ls-files 'lib/*.h' 'lib/*.cc'); do
  d=${f#lib/}; d=${d%%/*}
  for inc in $(grep -oE '^#include "[a-z_0-9]+/' "$f" | sed 's/#include "//; s/\/$//' | sort -u); do
    [ "$inc" = "$d" ] && continue
    if [ "$(rank "$inc")" -gt "$(rank "$d")" ] || { [ "$(rank "$inc")" -eq 8 ] && [ "$(rank "$d")" -eq 8 ]; }; then
      echo "layering: $f ($d) includes $inc/" >&2
      bad=1
    fi
  done
done

# LibTorch stays in the files of LibTorch targets; headers that include it say so.
for f in $(git grep -lE '^#include <(torch|ATen|c10)/' -- lib tools | grep -v -x 'lib/nn/runtime.cc'); do
  case $f in
    tools/*) echo "layering: $f includes LibTorch (tools/ must not)" >&2; bad=1; continue ;;
  esac
  dir=$(dirname "$f"); base=$(basename "$f")
  if [[ $f == *.h ]]; then
    if ! grep -q 'Internal to LibTorch code' "$f"; then
      echo "layering: public header $f includes LibTorch (keep it behind a torch-free header, or mark it 'Internal to LibTorch code')" >&2
      bad=1
    fi
    continue
  fi
  if ! awk '/vssoff_add_torch_library/,/\)/' "$dir/CMakeLists.txt" | grep -qw "${base}"; then
    echo "layering: $f includes LibTorch but is not in a vssoff_add_torch_library of $dir/CMakeLists.txt" >&2
    bad=1
  fi
done

[ $bad -eq 0 ] && echo "layering: ok" >&2
exit $bad
