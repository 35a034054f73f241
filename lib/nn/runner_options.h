// How a model runs, whatever it is and whatever task it serves (nn/runner.h).
#pragma once

#include <string>

namespace vssoff::nn {

struct RunnerOptions {
  int threads = 0;              // intra-op threads; 0 = the thread budget (core/threads.h)
  bool channels_last = false;   // NHWC activations: off, measured 8% slower for the depthwise zoo models
  bool bf16 = false;            // bfloat16 inference, only where the CPU has native support
  bool differentiable = false;  // keep the model as loaded (no freezing) so that gradients reach the input
  std::string device = "cpu";   // "cpu", "cuda" (refused when this LibTorch sees no CUDA device), or "auto"
  void check() const;           // UsageError naming the field
};

// True when this CPU runs bfloat16 natively (AVX512-BF16 or AMX).
bool cpu_has_bf16();

}  // namespace vssoff::nn
