// TorchScript source for built-in architectures (nn/runner.h's script_for_inference): small
// builders that spell a layer's computation over its parameters, named as the C++ module
// names them ("stage4.0.dw" refers to self.stage4_0_dw_weight and so on). Each returns an
// expression; an architecture strings them into `def forward(self, x):`.
#pragma once

#include <string>

namespace vssoff::nn::script {

// The attribute a module's parameter or buffer becomes: "stage4.0.dw.weight" -> "stage4_0_dw_weight".
std::string attribute(const std::string& dotted);

// torch.conv2d of `x` with the weights (and bias) of the layer at `layer`.
std::string conv(const std::string& x, const std::string& layer, int stride, int padding, int groups, bool bias);
// torch.batch_norm in inference form (running statistics, eps 1e-5 as LibTorch's default).
std::string batch_norm(const std::string& x, const std::string& layer);
std::string relu(const std::string& x);
// nn/segnet.h's DSConv at `block`: depthwise 3x3 (groups = in), BN, ReLU, pointwise, BN, ReLU.
std::string dsconv(const std::string& x, const std::string& block, int in, int stride);
// A stride-s 3x3 convolution without bias, BN, ReLU: a Sequential at `seq` (items 0 and 1).
std::string stem(const std::string& x, const std::string& seq, int stride);

}  // namespace vssoff::nn::script
