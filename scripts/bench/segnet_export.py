"""Exports a TorchScript twin of vssoff's built-in segnet (lib/nn/segnet.cc) for benchmarks.

usage: /usr/bin/python3 segnet_export.py OUT.pt WIDTH CLASSES
Random weights: B3 measures speed, not accuracy. A model card OUT.pt.json is written too.
"""
import json, sys
import torch
from torch import nn
import torch.nn.functional as F


class DSConv(nn.Module):
    def __init__(self, i, o, stride):
        super().__init__()
        self.dw = nn.Conv2d(i, i, 3, stride, 1, groups=i, bias=False)
        self.bn_dw = nn.BatchNorm2d(i)
        self.pw = nn.Conv2d(i, o, 1, bias=False)
        self.bn_pw = nn.BatchNorm2d(o)

    def forward(self, x):
        return F.relu(self.bn_pw(self.pw(F.relu(self.bn_dw(self.dw(x))))))


class SegNet(nn.Module):
    def __init__(self, w, classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, w, 3, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU())
        self.stage4 = nn.Sequential(DSConv(w, 2 * w, 2), DSConv(2 * w, 2 * w, 1))
        self.stage8 = nn.Sequential(DSConv(2 * w, 4 * w, 2), DSConv(4 * w, 4 * w, 1))
        self.stage16 = nn.Sequential(DSConv(4 * w, 8 * w, 2), *[DSConv(8 * w, 8 * w, 1) for _ in range(3)])
        self.lateral = nn.Conv2d(2 * w, 2 * w, 1)
        self.fuse = DSConv(10 * w, 4 * w, 1)
        self.head = nn.Conv2d(4 * w, classes, 1)

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        f4 = self.stage4(self.stem(x))
        f16 = self.stage16(self.stage8(f4))
        up = F.interpolate(f16, size=(f4.shape[2], f4.shape[3]), mode="bilinear", align_corners=False)
        y = self.fuse(torch.cat([up, self.lateral(f4)], 1))
        return F.interpolate(self.head(y), size=(h, w), mode="bilinear", align_corners=False)


if __name__ == "__main__":
    out, width, classes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.manual_seed(0)
    model = SegNet(width, classes).eval()
    with torch.no_grad():
        for m in model.modules():  # non-trivial BN statistics, as after training
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        traced = torch.jit.trace(model, torch.rand(1, 3, 368, 640))
    traced.save(out)
    card = {"format": "vssoff.modelcard", "version": 1, "name": f"segnet-w{width}-ts", "task": "segmentation",
            "architecture": "torchscript", "classes": [{"id": i, "name": str(i)} for i in range(classes)],
            "input": {"color": "rgb", "scale": 1 / 255, "mean": [0.5] * 3, "std": [0.25] * 3, "width": 0, "height": 0,
                      "stride": 16},
            "output": "logits", "weights": out.split("/")[-1]}
    json.dump(card, open(out + ".json", "w"), indent=2)
