// AccMPEG's camera-side cheap model: predicts which 16x16 macroblocks matter to the server
// model from the raw frame alone, so that the camera can encode them at high quality.
//
// Architecture "cheapnet" (built in; no pretrained backbone exists here, so it is trained
// from scratch): a stride-2 stem and three depthwise-separable stride-2 blocks take the
// frame to the macroblock grid (ceil(H/16) x ceil(W/16)), two more blocks add context, and
// a 1x1 head gives per macroblock 2 logits (importance = softmax of class 1) and, in models
// trained by this vssoff (arch_params.log_importance), a third channel: the log2 of the
// macroblock's accuracy gradient relative to the frame's mean, which graded QP maps need
// (a probability says which macroblocks matter, not by how much). About 0.057 GFLOPs at
// 640x360 with width 8.
//
// train-cheap-model: labels come from accgrad outputs (top-k% of each frame's macroblocks,
// or a threshold on the raw gradient), the loss is cross-entropy weighted towards the
// important class, the last val_share of every clip's sampled frames is held out, and
// training stops early when validation AUC stops improving. The log-importance channel is
// trained alongside with a smooth L1 loss. The card (task
// "mb-importance") records the server model and grid it was trained for, the label rule,
// and precision, recall and AUC on the held-out frames.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/manifest.h"
#include "nn/model_card.h"
#include "video/frame.h"

namespace vssoff::accmpeg {

struct TrainCheapOptions {
  std::vector<std::string> accgrad;  // accgrad outputs (.npy or their manifests); each names its video
  std::string output;                // model card, .json; weights beside it (.pt)
  int width = 16;                    // channel width of the network
  double top_percent = 20;           // label the top k% of each frame's macroblocks important ...
  double threshold = -1;             // ... or, when >= 0, macroblocks whose gradient exceeds this
  double pos_weight = 2;             // loss weight of the important class (AccMPEG: 2)
  int epochs = 40, patience = 6, batch = 8;
  double lr = 1e-3;
  double val_share = 0.2;  // last share of each clip's frames held out
  uint64_t seed = 1;
  int threads = 0;
  bool force = false;
  void check() const;
};

struct TrainCheapResult {
  int epochs = 0;
  double val_auc = 0, val_precision = 0, val_recall = 0, seconds = 0;
  int64_t train_frames = 0, val_frames = 0;
  Json card;
};

TrainCheapResult train_cheap_model(const TrainCheapOptions& options);

// Runs a cheap model over frames of a video: importance in [0, 1] per macroblock.
struct ImportanceOptions {
  std::string input, model;     // video; cheap model card
  std::vector<int64_t> frames;  // frame indices to run on (ascending); empty = all
  // Instead of `frames`: the frames qp_maps.h's sampled_frames(total, segment_frames, sample)
  // would pick, chosen while decoding (the total is known at the end), so the video is
  // decoded once.
  std::string sample;
  int segment_frames = 0;
  bool strict_length = false;  // the reader's strict_frame_count
  int threads = 0;
};
struct ImportanceResult {
  std::vector<int64_t> frames;  // indices run
  int64_t frames_decoded = 0;   // how many frames the video decoded to (with `sample`: all)
  int rows = 0, cols = 0, width = 0, height = 0;
  std::vector<float> importance;  // [frames x rows x cols]
  std::vector<float> relative;    // the same shape: predicted gradient / frame mean (empty for older models)
  double model_seconds = 0;       // time in the network only
  double seconds = 0;             // decode + network
  Json card;                      // the cheap model's card
};
ImportanceResult predict_importance(const ImportanceOptions& options);

// The cheap model one frame at a time, for a camera that has its frames in memory (the
// replay's AccMPEG loop): open_importance_model is a plugin entry (core/plugin.h), reached
// with VSSOFF_PLUGIN_CALL. score() appends the frame's importance [rows x cols] (and, for
// models with the channel, its relative gradient) and returns the seconds in the network.
// InputError for a card that is not a cheap model of this vssoff's macroblock size.
class ImportanceModel {
 public:
  virtual ~ImportanceModel() = default;
  virtual const nn::ModelCard& card() const = 0;
  virtual bool has_relative() const = 0;
  virtual double score(const video::Frame& rgb, std::vector<float>* importance, std::vector<float>* relative) = 0;
};
std::unique_ptr<ImportanceModel> open_importance_model(const std::string& model, int threads);

}  // namespace vssoff::accmpeg
