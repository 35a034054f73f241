#!/usr/bin/env bash
# segment --logit-samples streams the samples to disk frame by frame (issue 14, defect 12):
# peak memory does not grow with the number of frames (it grew by 7 MB a frame here, when
# the samples were held to the end), and the arrays are what they were: [frames x samples,
# classes] logits and [frames x samples, 3] positions, the first frames' rows the same as a
# shorter run's.
source "$(dirname "$0")/lib.sh"
clip=$(small_clip)/video.mp4

# peak_kb -- command...: runs the command and prints its peak resident set size in kB.
peak_kb() {
  $PY -c "import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)" "$@"
}

run() { peak_kb "$VSSOFF" segment "$clip" -o "$T/s$1" --model "$VSSOFF_SOURCE_DIR/models/segnet-tiny.json" \
  --logit-samples 50000 --frames "$1" --threads 2; }
kb5=$(run 5) && kb30=$(run 30) && ok || fail "segment --logit-samples failed"
echo "peak RSS: ${kb5} kB at 5 frames, ${kb30} kB at 30 frames"
# 25 frames more are 55 MB more of samples; streamed, the peak stays within noise.
[ $((kb30 - kb5)) -lt 40000 ] && ok || fail "peak RSS grew by $(((kb30 - kb5) / 1024)) MB from 5 to 30 frames"

$PY - "$T" <<'PY' && ok || fail "the streamed logit samples are not what they should be"
import json, sys
import numpy as np
t = sys.argv[1]
for n in (5, 30):
    logits, pos = np.load(f"{t}/s{n}/logits.npy"), np.load(f"{t}/s{n}/samples.npy")
    assert logits.shape == (n * 50000, 8) and logits.dtype == np.float32, (n, logits.shape, logits.dtype)
    assert pos.shape == (n * 50000, 3) and pos.dtype == np.int32, (n, pos.shape, pos.dtype)
    assert (pos[:, 0] == np.repeat(np.arange(n), 50000)).all(), "frame column"
    assert (pos[:, 1] < 176).all() and (pos[:, 2] < 320).all() and (pos >= 0).all(), "positions off the frame"
    assert np.isfinite(logits).all()
    m = json.load(open(f"{t}/s{n}/manifest.json"))
    assert m["sidecars"]["logits"]["bytes"] == 128 + logits.nbytes, m["sidecars"]["logits"]
# Same seed: the first five frames sample the same pixels and get the same logits.
a, b = np.load(f"{t}/s5/logits.npy"), np.load(f"{t}/s30/logits.npy")
assert np.array_equal(a, b[: len(a)]), "the first frames' logits differ"
assert np.array_equal(np.load(f"{t}/s5/samples.npy"), np.load(f"{t}/s30/samples.npy")[: len(a)])
PY

finish
