#!/usr/bin/env bash
# Regenerates the regression goldens (testdata/golden/*.json) after an intended change of
# behaviour, and says what changed: per subcommand, the values out of the old tolerances
# (golden and new side by side) and how many moved within them. Review with git diff; commit.
#   scripts/update_goldens.sh
# The committed clip (testdata/golden/clip) is an input and stays; if synth's output changed,
# its golden says so, and `vssoff synth -o testdata/golden/clip --force ...` (the options are
# in tests/golden/run.sh) makes the clip anew.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=$(mktemp -d /tmp/vssoff-goldens-XXXXXX)
trap 'rm -rf "$out"' EXIT
bash tests/golden/run.sh "$PWD/${BUILD_DIR:-build}/tools/vssoff" "$out"
/usr/bin/python3 tests/golden/compare.py "$out" testdata/golden --update
