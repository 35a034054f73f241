#!/usr/bin/env bash
# train-model -> segment -> evaluate through the real binary (and its model plugin);
# TorchScript models from python3-torch; bad models and a missing plugin.
source "$(dirname "$0")/lib.sh"
clip=$(small_clip)

expect_exit 0 "validation mIoU" "$VSSOFF" train-model -o "$T/m.json" --width 4 --steps 6 --batch 2 \
  --crop-width 64 --crop-height 48 --render-width 128 --render-height 72 --val-every 3 --val-frames 1
expect_exit 0 "" "$VSSOFF" segment "$clip/video.mp4" -o "$T/seg" --model "$T/m.json" --every 4 --batch 2 \
  --confidence --overlay-every 5 --logit-samples 10
expect_exit 0 "evaluated 10 frames" "$VSSOFF" evaluate "$T/seg" "$clip" --subset -o "$T/eval.json"
expect_exit 0 "" "$PY" - "$T" <<'PY'
import csv, json, sys, numpy as np
t = sys.argv[1]
rows = list(csv.DictReader(open(f"{t}/seg/stats.csv")))
assert [int(r["frame"]) for r in rows] == list(range(0, 40, 4)), [r["frame"] for r in rows]
for r in rows:
    shares = sum(float(r[k]) for k in r if k.startswith("share_"))
    assert abs(shares - 1) < 1e-6, shares
    assert 0 < float(r["mean_max_prob"]) <= 1 and 0 <= float(r["mean_norm_entropy"]) <= 1
logits, pos = np.load(f"{t}/seg/logits.npy"), np.load(f"{t}/seg/samples.npy")
assert logits.shape == (100, 8) and logits.dtype == np.float32 and pos.shape == (100, 3), (logits.shape, pos.shape)
assert set(pos[:, 0]) == set(range(0, 40, 4))
card = json.load(open(f"{t}/m.json"))
assert card["format"] == "vssoff.modelcard" and card["architecture"] == "segnet" and card["cost"]["gflops"] > 0
assert json.load(open(f"{t}/eval.json"))["frames_evaluated"] == 10
PY

# TorchScript: a dict-returning model (torchvision style) without a card.
cat > "$T/export.py" <<'PY'
import sys, torch
class M(torch.nn.Module):
    def forward(self, x): return {"out": torch.cat([x, -x], 1)}
class Flat(torch.nn.Module):
    def forward(self, x): return x.mean(dim=(2, 3))
torch.jit.script(M()).save(sys.argv[1] + "/dict.pt")
torch.jit.trace(Flat(), torch.rand(1, 3, 8, 8)).save(sys.argv[1] + "/flat.pt")
PY
$PY "$T/export.py" "$T"
expect_exit 0 "no model card" "$VSSOFF" segment "$clip/video.mp4" -o "$T/seg_ts" --model "$T/dict.pt" --frames 3
expect_exit 2 "expected [N, C, H, W]" "$VSSOFF" segment "$clip/video.mp4" -o "$T/seg_flat" --model "$T/flat.pt" --frames 3
[ ! -e "$T/seg_flat" ] && ok || fail "a failed segment left $T/seg_flat"
expect_exit 2 "model not found" "$VSSOFF" segment "$clip/video.mp4" -o "$T/x" --model "$T/none.pt"
expect_exit 1 "must end in .json" "$VSSOFF" train-model -o "$T/m.pt"

# LibTorch's own warnings: an info line, once per distinct message, hidden by -q.
cat > "$T/warn.py" <<'PY'
import sys, torch, warnings
class Warns(torch.nn.Module):
    def forward(self, x):
        warnings.warn("deprecated thing")
        return torch.cat([x, -x], 1)
torch.jit.script(Warns()).save(sys.argv[1] + "/warns.pt")
PY
$PY "$T/warn.py" "$T"
expect_exit 0 "LibTorch: deprecated thing" "$VSSOFF" segment "$clip/video.mp4" -o "$T/seg_w" --model "$T/warns.pt" --frames 3
[ "$(grep -c "deprecated thing" "$T/stderr")" = 1 ] && ok || fail "a LibTorch warning shown $(grep -c "deprecated thing" "$T/stderr") times"
expect_exit 0 "" "$VSSOFF" -q segment "$clip/video.mp4" -o "$T/seg_wq" --model "$T/warns.pt" --frames 3
grep -q "deprecated thing" "$T/stderr" && fail "-q shows LibTorch's warning" || ok

# --bf16 on a torchvision export (frozen weights used to stay float32), where the CPU has it.
if grep -qE ' (avx512_bf16|amx_bf16)' /proc/cpuinfo; then
  $PY -c "import sys, torch, torchvision
m = torchvision.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=4)
torch.jit.script(m.eval()).save(sys.argv[1])" "$T/lraspp.pt"
  expect_exit 0 "" "$VSSOFF" segment "$clip/video.mp4" -o "$T/seg_bf16" --model "$T/lraspp.pt" --frames 2 --bf16
  grep -q '"bf16": true' "$T/seg_bf16/manifest.json" && ok || fail "bf16 segment did not record bf16"
else
  echo "skipped: --bf16 on TorchScript (this CPU has no native bfloat16)"
fi

# A vssoff copied away from its plugin says where it looked, and exits 3.
mkdir -p "$T/bin" && cp "$VSSOFF" "$T/bin/vssoff"
expect_exit 3 "cannot load the model plugin libvssoff_nn.so" "$T/bin/vssoff" segment "$clip/video.mp4" -o "$T/y" --model "$T/m.json"
expect_exit 0 "" "$T/bin/vssoff" info "$clip/video.mp4"  # everything else works without it
finish
