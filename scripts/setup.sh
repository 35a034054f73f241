#!/usr/bin/env bash
# Installs the Debian packages vssoff needs (only those missing) and builds Release into
# build/. Idempotent: with everything installed and built it takes a fraction of a second.
#   scripts/setup.sh            packages + build
#   scripts/setup.sh --eval     also what the evaluation and benchmark scripts use (plots,
#                               OpenCV's Python decoder for B3); the only other place that installs
#   scripts/setup.sh --fuzz     also clang and libFuzzer (scripts/fuzz.sh)
#   scripts/setup.sh --no-build packages only (scripts/sanitize.sh; gcc's ASan and UBSan
#                               runtimes come with g++)
#   BUILD_DIR=dir scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

PACKAGES=(
  g++ cmake ninja-build pkg-config git clang-format
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev ffmpeg
  libx264-dev x264
  libtorch-dev libopenblas0-pthread
  libopencv-dev libopencv-contrib-dev libcli11-dev nlohmann-json3-dev libssl-dev libgtest-dev libasio-dev
  python3-numpy python3-pil python3-torch python3-torchvision python3-sklearn
)
BUILD=1
for arg in "$@"; do
  case $arg in
    --eval) PACKAGES+=(python3-matplotlib python3-opencv) ;;
    --fuzz) PACKAGES+=(clang libfuzzer-14-dev) ;;  # scripts/fuzz.sh: clang's libFuzzer and sanitizers
    --no-build) BUILD=0 ;;
    *) echo "setup: unknown option $arg" >&2; exit 1 ;;
  esac
done

# One dpkg-query for all packages: those not "install ok installed" are missing.
missing=$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null |
          awk '$4 == "installed" {print $1}' | sort -u |
          comm -13 - <(printf '%s\n' "${PACKAGES[@]}" | sort -u) || true)
if [ -n "$missing" ]; then
  echo "setup: installing missing packages:" $missing >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
fi

[ "$BUILD" = 1 ] || exit 0
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
fi
ninja -C "$BUILD_DIR" --quiet >&2 || ninja -C "$BUILD_DIR" >&2
