#!/usr/bin/env bash
# detect and train-model --task detect: the built-in detnet (trained a few steps here), and
# users' TorchScript detectors of both kinds (a module returning (boxes, scores, labels), and
# a torchvision detector exported with torch.jit.script), made with Debian's python3-torch
# and python3-torchvision. Checks the COCO results, the manifest, the coordinate mapping from
# the model's input to the frame, overlays, and bad models.
source "$(dirname "$0")/lib.sh"
clip=$(small_clip)  # 320x176, 40 frames

# A TorchScript detector with a fixed input of 160x88 that reports one box in its input
# pixels: (10, 20)-(60, 50), score 0.9, label 5, and a second below the threshold.
cat >"$T/make_detectors.py" <<'PY'  # a file: torch.jit.script reads the module's source
import json, sys, torch
from typing import Tuple
out = sys.argv[1]
class Fixed(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        assert x.shape[2] == 88 and x.shape[3] == 160
        boxes = torch.tensor([[10.0, 20.0, 60.0, 50.0], [0.0, 0.0, 8.0, 8.0]])
        return boxes, torch.tensor([0.9, 0.1]), torch.tensor([5, 6])
torch.jit.script(Fixed()).save(out + "/fixed.pt")
card = {"format": "vssoff.modelcard", "version": 1, "name": "fixed", "task": "detection",
        "architecture": "torchscript", "classes": [{"id": 5, "name": "vehicle"}, {"id": 6, "name": "person"}],
        "input": {"color": "rgb", "scale": 1 / 255, "mean": [0, 0, 0], "std": [1, 1, 1],
                  "width": 160, "height": 88, "stride": 8},
        "output": "detections", "detection": {"score_threshold": 0.3, "max_detections": 100},
        "weights": "fixed.pt"}
json.dump(card, open(out + "/fixed.json", "w"))
card["name"] = "badlabel"; card["classes"] = [{"id": 6, "name": "person"}]
json.dump(card, open(out + "/badlabel.json", "w"))
import torchvision
m = torchvision.models.detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=7)
m.eval()
torch.jit.script(m).save(out + "/ssd.pt")
card = {"format": "vssoff.modelcard", "version": 1, "name": "ssd", "task": "detection",
        "architecture": "torchscript",
        "classes": [{"id": i, "name": n} for i, n in enumerate(["sky", "building", "road", "sidewalk", "vegetation", "vehicle", "person"]) if i > 0],
        "input": {"color": "rgb", "scale": 1 / 255, "mean": [0, 0, 0], "std": [1, 1, 1], "stride": 1},
        "output": "detections", "detection": {"score_threshold": 0.0, "max_detections": 5},
        "weights": "ssd.pt"}
json.dump(card, open(out + "/ssd.json", "w"))
PY
"$PY" "$T/make_detectors.py" "$T"

expect_exit 0 "" "$VSSOFF" detect "$clip/video.mp4" -o "$T/fixed" --model "$T/fixed.json" --every 10 --overlay-every 2
"$PY" - "$T/fixed" <<'PY' && ok || fail "fixed detector's results"
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
r = json.load(open(d + "/detections.json"))
assert m["format"] == "vssoff.detections" and m["frames"] == [0, 10, 20, 30], m["frames"]
assert m["video"]["width"] == 320 and m["video"]["height"] == 176 and m["video"]["frames"] == 40, m["video"]
assert m["categories"] == [{"id": 5, "name": "vehicle"}, {"id": 6, "name": "person"}]
assert m["params"]["every"] == 10 and m["params"]["score_threshold"] == 0.3
assert [x["image_id"] for x in r] == [1, 11, 21, 31], r
for x in r:  # 160x88 input -> 320x176 frame: x2
    assert x["category_id"] == 5 and abs(x["score"] - 0.9) < 1e-6
    assert all(abs(a - b) < 1e-4 for a, b in zip(x["bbox"], [20, 40, 100, 60])), x["bbox"]
PY
[ -f "$T/fixed/overlay/000000.png" ] && [ -f "$T/fixed/overlay/000020.png" ] && [ ! -f "$T/fixed/overlay/000010.png" ] \
  && ok || fail "overlays every 2nd processed frame"
expect_exit 0 "" "$VSSOFF" detect "$clip/video.mp4" -o "$T/fixed2" --model "$T/fixed.json" --start 5 --frames 3 \
  --score-threshold 0.05
"$PY" -c "
import json; m = json.load(open('$T/fixed2/manifest.json')); r = json.load(open('$T/fixed2/detections.json'))
assert m['frames'] == [5, 6, 7] and len(r) == 6 and {x['category_id'] for x in r} == {5, 6}, (m['frames'], r)
" && ok || fail "frame range and score threshold"

# torchvision's scripted SSDlite (random weights): forward takes a list of images and
# returns (losses, detections); max_detections 5 from its card.
expect_exit 0 "" "$VSSOFF" detect "$clip/video.mp4" -o "$T/ssd" --model "$T/ssd.json" --frames 2 --threads 2
"$PY" -c "
import json; r = json.load(open('$T/ssd/detections.json'))
from collections import Counter
assert r and max(Counter(x['image_id'] for x in r).values()) <= 5, r
for x in r:
    b = x['bbox']; assert 1 <= x['category_id'] <= 6 and b[0] >= 0 and b[1] >= 0 and b[2] > 0 and b[3] > 0
    assert b[0] + b[2] <= 320 + 1e-3 and b[1] + b[3] <= 176 + 1e-3, b
" && ok || fail "torchvision detector's results"

# The built-in detector: a few training steps, a resume, then detect.
expect_exit 0 "" "$VSSOFF" train-model --task detect -o "$T/det.json" --width 4 --steps 4 --batch 2 --val-every 2 \
  --val-frames 1 --presets street --threads 2
expect_exit 0 "resuming" "$VSSOFF" train-model --task detect -o "$T/det.json" --width 4 --steps 6 --batch 2 \
  --val-every 2 --val-frames 1 --presets street --threads 2 --resume
"$PY" -c "
import json; c = json.load(open('$T/det.json'))
assert c['task'] == 'detection' and c['architecture'] == 'detnet' and c['output'] == 'centernet', c
assert c['classes'] == [{'id': 5, 'name': 'vehicle'}, {'id': 6, 'name': 'person'}], c['classes']
assert c['arch_params'] == {'width': 4, 'heat_channels': 2} and c['metrics']['val_loss'] > 0
" && ok || fail "detnet card"
expect_exit 0 "" "$VSSOFF" detect "$clip/video.mp4" -o "$T/det" --model "$T/det.json" --frames 3 --score-threshold 0
"$PY" -c "
import json; r = json.load(open('$T/det/detections.json'))
assert len(r) == 300 and {x['category_id'] for x in r} <= {5, 6}, len(r)
" && ok || fail "detnet results (100 per frame at threshold 0)"

# Bad models and options.
expect_exit 2 "not a detector" "$VSSOFF" detect "$clip/video.mp4" -o "$T/bad1" --model "$VSSOFF_SOURCE_DIR/models/segnet-tiny.json"
expect_exit 2 "label 5, which its card does not name" "$VSSOFF" detect "$clip/video.mp4" -o "$T/bad2" \
  --model "$T/badlabel.json"
[ ! -e "$T/bad1" ] && [ ! -e "$T/bad2" ] && ok || fail "no output left by a failed detect"
expect_exit 1 "every" "$VSSOFF" detect "$clip/video.mp4" -o "$T/bad3" --model "$T/fixed.json" --every 0
expect_exit 2 "" "$VSSOFF" detect "$clip/video.mp4" -o "$T/fixed" --model "$T/fixed.json"  # exists, no --force
finish
