#!/usr/bin/python3
"""Post-training static int8 quantisation of a vssoff built-in segnet model.

Writes a TorchScript file and its model card (architecture "torchscript") that
`vssoff segment --model OUT.json` runs.

  /usr/bin/python3 scripts/bench/int8/quantize_segnet.py --card models/segnet-w24.json \
      --out /tmp/segnet-w24-int8.pt --calib-video CLIP/video.mp4 --engine onednn

--engine float writes the float32 TorchScript of the same Python model (a control).
Eager-mode PTQ: conv+BN+ReLU fused, QuantStub at the input, DeQuantStub after the head
(the final upsampling to the input size is float), histogram observers on the activations,
calibration on frames of --calib-video pre-processed as the C++ runner does.
Needs Debian's python3-torch 1.13 (/usr/bin/python3).
"""
import argparse
import copy
import json
import os
import sys

import torch
from torch.ao import quantization as tq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from segnet_py import SegNet, decode_frames, load_segnet, preprocess  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.ao.quantization import DeQuantStub  # noqa: E402


class EncoderOnlyQ(SegNet):
    """SegNet with DeQuantStubs after stage4 (f4) and stage16, so only the encoder is int8;
    lateral/fuse/head, the concat and the upsamplings run in float."""

    @classmethod
    def from_segnet(cls, m):
        w = m.stem[0].out_channels
        q = cls(w, m.head.out_channels)
        q.load_state_dict(m.state_dict(), strict=True)
        q.dq4 = DeQuantStub()
        q.dq16 = DeQuantStub()
        for name in ("lateral", "fuse", "head"):
            getattr(q, name).qconfig = None
        return q.eval()

    def forward(self, x):
        h, wd = x.size(2), x.size(3)
        x = self.quant(x)
        f4q = self.stage4(self.stem(x))
        f16 = self.dq16(self.stage16(self.stage8(f4q)))
        f4 = self.dq4(f4q)
        up = F.interpolate(f16, size=[f4.size(2), f4.size(3)], mode="bilinear", align_corners=False)
        y = self.fuse(torch.cat([up, self.lateral(f4)], 1))
        y = self.head(y)
        return F.interpolate(y, size=[h, wd], mode="bilinear", align_corners=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--card", required=True, help="card of a built-in segnet model")
    ap.add_argument("--out", required=True, help="TorchScript file to write (its card: same stem, .json)")
    ap.add_argument("--calib-video", help="video whose frames calibrate the activation ranges")
    ap.add_argument("--engine", default="onednn", choices=["onednn", "qnnpack", "float"])
    ap.add_argument("--calib-frames", type=int, default=20, help="frames used for calibration")
    ap.add_argument("--calib-every", type=int, default=3, help="take every k-th frame of the video")
    ap.add_argument("--per-tensor", action="store_true", help="per-tensor weight observers (default: the "
                    "engine's default qconfig: per-channel for onednn, per-tensor for qnnpack)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--encoder-only", action="store_true", help="quantise only stem/stage4/8/16; "
                    "lateral/fuse/head, the concat and all upsampling stay float (dequant after stage4 and stage16)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    model, card = load_segnet(args.card)
    if args.encoder_only:
        model = EncoderOnlyQ.from_segnet(model)
    example = preprocess(decode_frames(args.calib_video, limit=1), card) if args.calib_video else \
        torch.randn(1, 3, 368, 640)

    if args.engine == "float":
        out_model = model
        note = "float32 TorchScript export of the Python re-implementation (control)"
    else:
        if not args.calib_video:
            ap.error("--calib-video is needed to quantise")
        torch.backends.quantized.engine = args.engine
        q = copy.deepcopy(model)
        q = tq.fuse_modules(q, q.fuse_lists(), inplace=False)
        qconfig = tq.get_default_qconfig(args.engine)
        if args.per_tensor:
            qconfig = tq.QConfig(activation=qconfig.activation, weight=tq.default_weight_observer)
        q.qconfig = qconfig
        tq.prepare(q, inplace=True)
        frames = decode_frames(args.calib_video, every=args.calib_every, limit=args.calib_frames)
        with torch.no_grad():
            for i in range(0, len(frames), 4):
                q(preprocess(frames[i:i + 4], card))
        tq.convert(q, inplace=True)
        out_model = q.eval()
        note = (f"eager-mode post-training static int8 quantisation for the {args.engine} engine "
                f"{'(encoder stem..stage16 only; decoder float) ' if args.encoder_only else ''}"
                f"({'per-tensor' if args.per_tensor else 'default'} weight observers), calibrated on "
                f"{len(frames)} frames of {args.calib_video}")

    with torch.no_grad():
        scripted = torch.jit.script(out_model)
        ref = model(example)
        got = scripted(example)
    agree = (ref.argmax(1) == got.argmax(1)).float().mean().item()
    print(f"{args.engine}: argmax agreement with the float Python model on one frame: {100 * agree:.2f}%")
    scripted.save(args.out)

    out_card = copy.deepcopy(card)
    stem = os.path.splitext(os.path.basename(args.out))[0]
    out_card.update(name=stem, architecture="torchscript", weights=os.path.basename(args.out), arch_params={})
    out_card["produced_by"] = {"command": "/usr/bin/python3 " + " ".join([os.path.abspath(sys.argv[0])] + sys.argv[1:]),
                               "tool": "quantize_segnet.py", "from_card": os.path.abspath(args.card),
                               "engine": args.engine, "method": note, "torch": torch.__version__,
                               "calib_frames": args.calib_frames if args.engine != "float" else 0,
                               "calib_every": args.calib_every, "calib_video": args.calib_video,
                               "encoder_only": bool(args.encoder_only)}
    out_card["metrics"] = {}  # the float model's metrics do not carry over
    out_card.pop("producer", None)
    card_path = os.path.splitext(args.out)[0] + ".json"
    with open(card_path, "w") as f:
        json.dump(out_card, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {args.out} and {card_path}")


if __name__ == "__main__":
    main()
