#!/usr/bin/env bash
# Source checks: the layering of lib/ (scripts/check_layering.sh), shown to fail on a planted
# upward include and a stray LibTorch include; every C++ file formatted by .clang-format; the
# model plugin is found, checked and reported clearly when absent.
source "$(dirname "$0")/lib.sh"
cd "$VSSOFF_SOURCE_DIR"

expect_exit 0 "layering: ok" scripts/check_layering.sh

# The check must catch what it is for: a copy of lib/ with one bad include of each kind.
mkdir -p "$T/tree"
git ls-files lib | tar -cf - -T - | tar -xf - -C "$T/tree"
mkdir -p "$T/tree/scripts" && cp scripts/check_layering.sh "$T/tree/scripts/"
(cd "$T/tree" && git init -q && git add -A)
sed -i '1i #include "penance/plan.h"' "$T/tree/lib/core/log.cc"
(cd "$T/tree" && git add -A)
expect_exit 1 "lib/core/log.cc (core) includes penance/" "$T/tree/scripts/check_layering.sh" "$T/tree"
sed -i '1d' "$T/tree/lib/core/log.cc"
sed -i '1i #include "accmpeg/qp_maps.h"' "$T/tree/lib/penance/plan.cc"
sed -i '1i #include <torch/torch.h>' "$T/tree/lib/penance/table.cc"
(cd "$T/tree" && git add -A)
expect_exit 1 "lib/penance/plan.cc (penance) includes accmpeg/" "$T/tree/scripts/check_layering.sh" "$T/tree"
grep -qF "lib/penance/table.cc includes LibTorch but is not in a vssoff_add_torch_library" "$T/stderr" && ok ||
  fail "a LibTorch include outside a torch target was not caught"

# Formatting: every tracked C++ file as .clang-format has it.
unformatted=$(git ls-files '*.cc' '*.h' | while read -r f; do clang-format "$f" | cmp -s - "$f" || echo "$f"; done)
[ -z "$unformatted" ] && ok || fail "not formatted with .clang-format (run clang-format -i): $unformatted"

# scripts/lib.sh's cached: reruns a step only when its command line or an input file changed.
(
  cd "$T" && source "$VSSOFF_SOURCE_DIR/scripts/lib.sh"
  echo a > in.txt
  cached out.txt sh -c 'echo run >> runs; cp in.txt out.txt'
  cached out.txt sh -c 'echo run >> runs; cp in.txt out.txt'         # same: skipped
  cached out.txt sh -c 'echo run >> runs; cp in.txt out.txt; true'   # another command line: reruns
  touch -d '2000-01-01' in.txt
  cached out.txt sh -c 'echo run >> runs; cp in.txt out.txt; true' in.txt  # an input file's stamp counts
  touch in.txt
  cached out.txt sh -c 'echo run >> runs; cp in.txt out.txt; true' in.txt
  # An output named after -o does not count: its appearing does not rerun the step.
  cached o2.txt sh -c 'echo run >> runs; cp "$1" "$3"' sh in.txt -o o2.txt
  cached o2.txt sh -c 'echo run >> runs; cp "$1" "$3"' sh in.txt -o o2.txt
)
[ "$(wc -l < "$T/runs")" = 5 ] && ok || fail "cached ran $(wc -l < "$T/runs") times, expected 5"

# The executable does not link LibTorch; without the plugin beside it, a model step says where it looked.
ldd "$VSSOFF" | grep -q torch && fail "vssoff links LibTorch directly" || ok
mkdir -p "$T/bin"
cp "$VSSOFF" "$(dirname "$VSSOFF")/libvssoff.so" "$T/bin/"
clip=$(small_clip)
expect_exit 3 "cannot load the model plugin libvssoff_nn.so; tried:" \
  env -u VSSOFF_NN_PLUGIN "$T/bin/vssoff" segment "$clip/video.mp4" -o "$T/seg" --model models/segnet-tiny.json
grep -qF "$T/bin/libvssoff_nn.so (absent)" "$T/stderr" && ok || fail "the plugin error does not name the places tried"
expect_exit 0 "" env -u VSSOFF_NN_PLUGIN "$T/bin/vssoff" info "$clip/video.mp4"
finish
