// The built-in segmentation architecture family ("segnet"): a MobileNet-style encoder of
// depthwise-separable blocks (output stride 16) and a light decoder that fuses the 1/16
// features with 1/4 features, then upsamples the logits to the input size. One width
// parameter sets the cost: about 0.1 GFLOPs at width 8 to 3 at width 64 (640x360).
// Internal to LibTorch code (includes LibTorch).
#pragma once

#include <torch/torch.h>

namespace vssoff::nn {

struct DSConvImpl : torch::nn::Module {
  DSConvImpl(int in, int out, int stride);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Conv2d dw{nullptr}, pw{nullptr};
  torch::nn::BatchNorm2d bn_dw{nullptr}, bn_pw{nullptr};
};
TORCH_MODULE(DSConv);

struct SegNetImpl : torch::nn::Module {
  SegNetImpl(int width, int classes);
  torch::Tensor forward(torch::Tensor x);  // [N,3,H,W] normalised -> [N,C,H,W] logits
  // Multiply-accumulates x 2 of one forward pass at height x width, in GFLOPs.
  double gflops(int height, int width) const;
  int width, classes;
  torch::nn::Sequential stem{nullptr}, stage4{nullptr}, stage8{nullptr}, stage16{nullptr};
  torch::nn::Conv2d lateral{nullptr}, head{nullptr};
  DSConv fuse{nullptr};
};
TORCH_MODULE(SegNet);

}  // namespace vssoff::nn
