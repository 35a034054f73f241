"""B4 reference: AccMPEG's cheap model as a user would run it in Debian's python3-torch.

A TorchScript twin of vssoff's cheapnet (lib/accmpeg/cheap_model.cc: a stride-2 stem and
five depthwise-separable blocks to stride 16, a 1x1 head with importance logits and a
log2 relative-importance channel), frozen with optimize_for_inference, random weights (B4
measures speed). Per frame, as `vssoff qpmap --sample all`: OpenCV decode, RGB, normalise,
forward, softmax importance and 2^rel per macroblock; per 10-frame segment the top 20% of
macroblocks get QP 30, the rest 40; the maps go to one NPY.

usage: /usr/bin/python3 b4_python_cheap.py VIDEO WIDTH THREADS OUT.npy
"""
import os, sys
import cv2
import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from segnet_export import DSConv  # noqa: E402  (the same block as vssoff's)


class CheapNet(nn.Module):
    def __init__(self, w, outputs=3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, w, 3, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU())
        self.body = nn.Sequential(DSConv(w, 2 * w, 2), DSConv(2 * w, 4 * w, 2), DSConv(4 * w, 8 * w, 2),
                                  DSConv(8 * w, 8 * w, 1), DSConv(8 * w, 8 * w, 1))
        self.head = nn.Conv2d(8 * w, outputs, 1)

    def forward(self, x):
        return self.head(self.body(self.stem(x)))


video, width, threads, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(threads)
cv2.setNumThreads(1)
torch.manual_seed(0)
net = CheapNet(width).eval()
net = torch.jit.optimize_for_inference(torch.jit.trace(net, torch.rand(1, 3, 368, 640)))
cap = cv2.VideoCapture(video)
scores = []
with torch.inference_mode():
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        rgb = torch.from_numpy(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        x = (rgb.permute(2, 0, 1).unsqueeze(0).float().div_(255) - 0.5) / 0.25
        y = net(x)
        p = torch.softmax(y[:, :2], 1)[0, 1]
        rel = torch.exp2(y[0, 2])
        scores.append((p * rel).numpy().copy())
maps = []
for s in range(0, len(scores), 10):
    imp = np.mean(scores[s:s + 10], axis=0)
    maps.append(np.where(imp >= np.quantile(imp, 0.8), 30, 40).astype(np.uint8))
np.save(out, np.stack(maps))
print(len(scores), "frames", file=sys.stderr)
