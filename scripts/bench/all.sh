#!/usr/bin/env bash
# Every benchmark, one after the other; results on stdout (and in the README by hand).
set -euo pipefail
d="$(dirname "$0")"
for b in b1_encode_roi b2_decode b3_segment b4_cheap_model synth_speed; do bash "$d/$b.sh"; echo; done
