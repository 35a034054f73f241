// train-model: trains a built-in segmentation network ("segnet", task "segment") or detector
// ("detnet", task "detect": nn/detnet.h, the loss in train_detect.cc) from scratch on
// synthetic street scenes rendered on the fly (lib/synth), so no data set has to be
// downloaded.
//
// Every step draws `batch` frames from renderers of the chosen presets (training seeds are
// derived from `seed`; validation clips use seeds the training never sees), augments them
// (random scale, crop, horizontal flip, colour jitter, sensor noise and, with
// compress_prob > 0, an x264 round trip at a random QP) and takes an Adam step on the
// pixel-wise cross-entropy, or the detector's loss on the visible boxes (cosine learning-rate
// decay). Every val_every steps it measures mIoU (the detector: its loss) on the held-out
// clips at full resolution and keeps the best weights.
//
// Outputs: the model card OUTPUT (.json), the weights beside it (OUTPUT minus .json, plus
// .pt), and a checkpoint (OUTPUT.ckpt) that --resume continues from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/manifest.h"

namespace vssoff::nn {

struct TrainOptions {
  std::string output;                       // model card path, must end in .json
  std::string name;                         // model name; default: the card's file stem
  std::string task = "segment";             // "segment" (segnet) or "detect" (detnet)
  int width = 16;                           // segnet width (cost grows about with its square)
  int64_t steps = 2000;                     // optimisation steps
  int batch = 8;                            // frames per step
  double lr = 3e-3;                         // Adam learning rate at the start (cosine decay to 2%)
  int crop_width = 320, crop_height = 192;  // training crop, pixels
  double scale_min = 0.5, scale_max = 1.0;  // random rescale of rendered frames before cropping
  double color_jitter = 0.2;                // max relative change of brightness / contrast per channel
  double noise_sigma = 3.0;                 // max std-dev of added noise, 8-bit units
  double compress_prob = 0.0;               // share of samples passed through x264 at a random QP
  int qp_min = 20, qp_max = 45;             // range of that QP
  std::vector<std::string> presets = {"street", "highway", "crowd", "night"};
  int render_width = 640, render_height = 360;  // rendered frame size
  uint64_t seed = 1;
  int val_every = 250;  // steps between validations (and checkpoints)
  int val_frames = 20;  // held-out frames per preset
  bool resume = false;  // continue from OUTPUT.ckpt
  int threads = 0;      // 0 = the thread budget (core/threads.h)
  bool force = false;
  void check() const;
};

struct TrainResult {
  int64_t steps = 0;
  double best_val_miou = 0, seconds = 0;
  double best_val_loss = 0;  // detection
  Json card;                 // the card written
};

TrainResult train_model(const TrainOptions& options);
TrainResult train_detector(const TrainOptions& options);  // train_model's "detect" task

}  // namespace vssoff::nn
