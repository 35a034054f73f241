"""Python re-implementation of vssoff's built-in "segnet" (lib/nn/segnet.{h,cc}), with the
same parameter names, so the weights that LibTorch's torch::save wrote load by name.

Also: reading a card's weights, decoding video frames with ffmpeg and the runner's
pre-processing (nn/runner.cc ModelRunner::forward_frames), shared by the other scripts.
Needs Debian's python3-torch (run with /usr/bin/python3).
"""
import json
import os
import subprocess

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.quantization import DeQuantStub, QuantStub


def _conv(cin, cout, k, stride, groups=1, bias=False):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=bias)


class DSConv(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = _conv(cin, cin, 3, stride, groups=cin)
        self.bn_dw = nn.BatchNorm2d(cin)
        self.relu_dw = nn.ReLU()
        self.pw = _conv(cin, cout, 1, 1)
        self.bn_pw = nn.BatchNorm2d(cout)
        self.relu_pw = nn.ReLU()

    def forward(self, x):
        x = self.relu_dw(self.bn_dw(self.dw(x)))
        return self.relu_pw(self.bn_pw(self.pw(x)))

    def fuse_lists(self, prefix):
        return [[prefix + "dw", prefix + "bn_dw", prefix + "relu_dw"],
                [prefix + "pw", prefix + "bn_pw", prefix + "relu_pw"]]


class SegNet(nn.Module):
    """SegNetImpl::forward. QuantStub/DeQuantStub/FloatFunctional are identities in float."""

    def __init__(self, w, classes):
        super().__init__()
        self.stem = nn.Sequential(_conv(3, w, 3, 2), nn.BatchNorm2d(w), nn.ReLU())
        self.stage4 = nn.Sequential(DSConv(w, 2 * w, 2), DSConv(2 * w, 2 * w, 1))
        self.stage8 = nn.Sequential(DSConv(2 * w, 4 * w, 2), DSConv(4 * w, 4 * w, 1))
        self.stage16 = nn.Sequential(DSConv(4 * w, 8 * w, 2), DSConv(8 * w, 8 * w, 1),
                                     DSConv(8 * w, 8 * w, 1), DSConv(8 * w, 8 * w, 1))
        self.lateral = nn.Conv2d(2 * w, 2 * w, 1)
        self.fuse = DSConv(10 * w, 4 * w, 1)
        self.head = nn.Conv2d(4 * w, classes, 1)
        self.quant = QuantStub()
        self.dequant = DeQuantStub()
        self.cat = torch.nn.quantized.FloatFunctional()

    def forward(self, x):
        h, wd = x.size(2), x.size(3)
        x = self.quant(x)
        f4 = self.stage4(self.stem(x))
        f16 = self.stage16(self.stage8(f4))
        up = F.interpolate(f16, size=[f4.size(2), f4.size(3)], mode="bilinear", align_corners=False)
        y = self.fuse(self.cat.cat([up, self.lateral(f4)], 1))
        y = self.dequant(self.head(y))
        # The full-resolution upsampling of the logits stays in float.
        return F.interpolate(y, size=[h, wd], mode="bilinear", align_corners=False)

    def fuse_lists(self):
        lists = [["stem.0", "stem.1", "stem.2"]]
        for seq in ("stage4", "stage8", "stage16"):
            for i in range(len(getattr(self, seq))):
                lists += getattr(self, seq)[i].fuse_lists(f"{seq}.{i}.")
        lists += self.fuse.fuse_lists("fuse.")
        return lists


def read_card(path):
    with open(path) as f:
        card = json.load(f)
    if card.get("architecture") != "segnet":
        raise SystemExit(f"{path}: architecture is {card.get('architecture')!r}, not 'segnet'")
    return card


def load_segnet(card_path):
    """The float SegNet of a built-in segnet card, weights loaded, in eval mode."""
    card = read_card(card_path)
    width = int(card["arch_params"]["width"])
    classes = len(card["classes"])
    weights = os.path.join(os.path.dirname(os.path.abspath(card_path)), card["weights"])
    saved = torch.jit.load(weights, map_location="cpu")
    state = {k: v.detach().clone() for k, v in saved.named_parameters()}
    state.update({k: v.clone() for k, v in saved.named_buffers()})
    model = SegNet(width, classes)
    model.load_state_dict(state, strict=True)
    return model.eval(), card


def decode_frames(video, every=1, limit=None):
    """RGB uint8 frames [H, W, 3] of a video, via the ffmpeg command line."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "csv=p=0", video],
                           check=True, capture_output=True, text=True).stdout.strip().split(",")
    w, h = int(probe[0]), int(probe[1])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", video, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)[::every]
    return frames[:limit] if limit else frames


def preprocess(frames, card):
    """ModelRunner::forward_frames: [N,H,W,3] uint8 -> [N,3,H',W'] normalised float, with
    H', W' the card's size or the frame's rounded up to the stride."""
    inp = card.get("input", {})
    stride = int(inp.get("stride", 16))
    scale = float(inp.get("scale", 1 / 255))
    mean = torch.tensor(inp.get("mean", [0.485, 0.456, 0.406])).view(1, 3, 1, 1)
    std = torch.tensor(inp.get("std", [0.229, 0.224, 0.225])).view(1, 3, 1, 1)
    x = torch.from_numpy(np.array(frames)).permute(0, 3, 1, 2).float() * scale
    H, W = x.shape[2], x.shape[3]
    ih = inp.get("height", 0) or (H + stride - 1) // stride * stride
    iw = inp.get("width", 0) or (W + stride - 1) // stride * stride
    if (ih, iw) != (H, W):
        x = F.interpolate(x, size=[ih, iw], mode="bilinear", align_corners=False,
                          antialias=bool(ih < H or iw < W))
    return (x - mean) / std
