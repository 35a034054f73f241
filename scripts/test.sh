#!/usr/bin/env bash
# Runs the whole test suite (set-up and build included).
#   scripts/test.sh             everything
#   scripts/test.sh -L unit     only one label (unit, cli, slow)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j2 "$@"
