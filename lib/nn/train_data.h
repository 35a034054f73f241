// What train-model feeds its networks: synth frames rendered on the fly, augmented (random
// scale, crop, horizontal flip, colour jitter, sensor noise, optional x264 round trip), with
// their labels and boxes moved along; and the held-out validation frames. Shared by the
// segmentation and the detection training (nn/train.h).
// Internal to LibTorch code (includes LibTorch).
#pragma once

#include <torch/torch.h>

#include <array>
#include <memory>
#include <random>
#include <vector>

#include "nn/train.h"
#include "synth/scene.h"

namespace vssoff::nn::train_data {

// Inputs are normalised with these (RGB in [0, 1]); recorded in the cards.
inline constexpr std::array<float, 3> kMean{0.5f, 0.5f, 0.5f}, kStd{0.25f, 0.25f, 0.25f};

torch::Tensor to_input(const video::Frame& rgb);  // [3, H, W] float in [0, 1]
torch::Tensor normalise(torch::Tensor x);         // [N, 3, H, W] in [0, 1]
torch::Tensor to_labels(const video::Frame& labels);

// A box in pixels of the (augmented) sample: x, y its top-left corner.
struct Box {
  int class_id;
  float x, y, w, h;
};

struct Sample {
  torch::Tensor x;       // [3, h, w] in [0, 1]
  torch::Tensor labels;  // [h, w] int64
  std::vector<Box> boxes;
};

class Sampler {
 public:
  Sampler(const TrainOptions& options, uint64_t seed);
  Sample sample();

 private:
  double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }
  const TrainOptions& opt_;
  std::vector<std::unique_ptr<synth::SceneRenderer>> scenes_;
  std::mt19937_64 rng_;
  video::Frame rgb_, labels_;
  std::vector<synth::ObjectBox> boxes_;
};

// Held-out frames at full resolution: every 5th frame of one clip per preset, from seeds
// the training never uses. Inputs normalised, [1, 3, H, W].
struct ValSet {
  std::vector<torch::Tensor> inputs, labels;
  std::vector<std::vector<Box>> boxes;
};
ValSet make_val_set(const TrainOptions& options);

}  // namespace vssoff::nn::train_data
