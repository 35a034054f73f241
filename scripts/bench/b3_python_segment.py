"""B3 reference: what a user would otherwise run. Segments a video with a TorchScript model in
Debian's python3-torch (frozen and optimised with torch.jit.optimize_for_inference, as vssoff
does, inference mode), decoding with OpenCV, and does the same per-frame
work as `vssoff segment`: resize to the stride, normalise, forward, logits back to the frame
size, softmax statistics, label PNG.

usage: /usr/bin/python3 b3_python_segment.py VIDEO MODEL.pt OUTDIR THREADS
"""
import math, os, sys
import cv2
import torch
import torch.nn.functional as F

video, model_path, out, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
torch.set_num_threads(threads)
cv2.setNumThreads(1)
os.makedirs(out, exist_ok=True)
# Frozen, batch norm folded into the convolutions: the stronger reference.
model = torch.jit.optimize_for_inference(torch.jit.load(model_path).eval())
mean = torch.tensor([0.5, 0.5, 0.5]).view(1, 3, 1, 1)
std = torch.tensor([0.25, 0.25, 0.25]).view(1, 3, 1, 1)
cap = cv2.VideoCapture(video)
rows, index = [], 0
with torch.inference_mode():
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        h, w = bgr.shape[:2]
        rgb = torch.from_numpy(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        x = rgb.permute(2, 0, 1).unsqueeze(0).float().div_(255)
        ih, iw = (h + 15) // 16 * 16, (w + 15) // 16 * 16
        if (ih, iw) != (h, w):
            x = F.interpolate(x, size=(ih, iw), mode="bilinear", align_corners=False)
        logits = model((x - mean) / std)
        if logits.shape[2:] != (h, w):
            logits = F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False)
        p = torch.softmax(logits, 1)
        top, idx = p.topk(2, 1)
        maxp = top[:, 0]
        c = p.shape[1]
        entropy = -(p * p.clamp_min(1e-12).log()).sum(1) / math.log(c)
        labels = idx[0, 0].to(torch.uint8).numpy()
        share = torch.bincount(idx[:, 0].flatten(), minlength=c).double() / (h * w)
        rows.append((index, maxp.mean().item(), entropy.mean().item(), (top[:, 0] - top[:, 1]).mean().item(),
                     (maxp < 0.5).double().mean().item(), share.tolist()))
        cv2.imwrite(f"{out}/{index:06d}.png", labels, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        index += 1
with open(f"{out}/stats.csv", "w") as f:
    for r in rows:
        f.write(",".join(str(v) for v in r[:5]) + "," + ",".join(str(v) for v in r[5]) + "\n")
print(index, "frames", file=sys.stderr)
