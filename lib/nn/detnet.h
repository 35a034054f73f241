// The built-in detection architecture ("detnet"): an anchor-free centre-point detector
// (CenterNet, Zhou et al. 2019, "Objects as Points") on the segnet backbone (nn/segnet.h):
// the same MobileNet-style encoder and 1/16 + 1/4 fusion, then two heads at output stride 4,
// each a depthwise 3x3 and a pointwise convolution (ReLU) before its output convolution:
//   - a class heatmap (one channel per class, logits; a peak marks an object's centre),
//   - a regression of 4 channels: the log distances from the cell's centre to the box's
//     left, top, right and bottom sides, in output cells (FCOS's box encoding).
// forward() returns both as one tensor [N, C + 4, H/4, W/4] ("centernet" output, decoded
// by nn/detector.h). One width parameter sets the cost, as for segnet.
// Internal to LibTorch code (includes LibTorch).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "nn/runner.h"
#include "nn/segnet.h"
#include "nn/train_data.h"

namespace vssoff::nn {

inline constexpr int kDetNetStride = 4;

struct DetNetImpl : torch::nn::Module {
  DetNetImpl(int width, int classes);
  torch::Tensor forward(torch::Tensor x);  // [N,3,H,W] normalised -> [N,C+4,H/4,W/4]
  double gflops(int height, int width) const;
  int width, classes;
  torch::nn::Sequential stem{nullptr}, stage4{nullptr}, stage8{nullptr}, stage16{nullptr};
  torch::nn::Conv2d lateral{nullptr}, heat_dw{nullptr}, heat_pw{nullptr}, heat{nullptr};
  torch::nn::Conv2d reg_dw{nullptr}, reg_pw{nullptr}, reg{nullptr};
  DSConv fuse{nullptr};
};
TORCH_MODULE(DetNet);

// What the network is trained to output for a batch of boxes (pixels of the input), at
// output size h x w: per class a heatmap with an elliptical Gaussian at every box centre
// (sigma = the box side / 6 per axis, at least 0.5 cells; overlaps take the maximum) whose
// cells within one sigma of the centre are positives (1), and at each positive cell the log
// distances from the cell's centre to the box's four sides, in cells (FCOS's encoding). A
// cell two objects claim regresses the smaller. channel[class_id]: the heatmap channel of a
// class id, -1 for classes the detector does not report.
struct DetNetTargets {
  torch::Tensor heat, reg, mask;  // [B, C, h, w], [B, 4, h, w], [B, 1, h, w]
  int64_t objects = 0;            // positive cells
};
DetNetTargets detnet_targets(const std::vector<std::vector<train_data::Box>>& boxes, const std::vector<int>& channel,
                             int C, int64_t h, int64_t w);

// The inverse: boxes (x1, y1, x2, y2 in pixels of the input), scores and channel indices of
// the top `max_dets` heatmap peaks (3x3 maximum) scoring at least `threshold`, best first,
// from one image's output [1, C + 4, h, w].
Detections decode_detnet(const torch::Tensor& out, int C, double threshold, int max_dets);

}  // namespace vssoff::nn
