// The segmentation head on the model runner (nn/runner.h): whatever the model is (a card
// naming a built-in architecture or a TorchScript file, or a bare TorchScript file with the
// assumptions of assumed_card() and a warning), frames in, labels and softmax statistics out.
// forward() may return a Tensor [N,C,H,W], a tuple whose first element is one, or a dict
// with "out" (torchvision's segmentation models).
//
// Frames (kRgb24, any size) are resized to the model's input size (or rounded to its
// stride), normalised as the card says, run in inference mode with an explicit thread
// count, layout, precision and device (RunnerOptions); logits are resized back to the frame
// size. Not thread-safe; one Segmenter per thread. Errors: InputError for a model that is not
// a segmentation model or disagrees with its card, and for NaN or infinite logits (naming
// the model, the frame and how many values), which would otherwise come out as label 0.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/model_card.h"
#include "nn/runner_options.h"
#include "video/frame.h"

namespace vssoff::nn {

// Confidence summaries of one frame's softmax (what a system that judges a result by its
// confidence reads: Penance's accuracy predictor, calibration).
struct SoftmaxStats {
  double mean_max_prob = 0;                                           // mean over pixels of the top-1 probability
  double mean_norm_entropy = 0;                                       // mean of entropy / log(C)
  double mean_margin = 0;                                             // mean of top-1 minus top-2 probability
  double frac_below_050 = 0, frac_below_070 = 0, frac_below_090 = 0;  // share of pixels with top-1 below
  std::vector<double> class_share;                                    // share of pixels labelled with each class
  std::vector<double> class_confidence;  // mean top-1 probability of those pixels (NaN if none)
};

// The column names of SoftmaxStats' scalar fields, in their order (stats.csv, profile tables),
// and their values in that order.
const std::vector<std::string>& softmax_stat_columns();
std::vector<double> stat_values(const SoftmaxStats& stats);

struct Segmentation {
  std::vector<uint8_t> labels;      // frame size, row-major class ids
  std::vector<uint8_t> confidence;  // top-1 probability x 255, only with confidence_map
  std::vector<float> logits;        // [C x samples], only for sample_pixels (always the raw logits)
  SoftmaxStats stats;               // calibrated when the options carry a calibration
  SoftmaxStats raw_stats;           // the uncalibrated statistics, only with a calibration (keep_raw)
  double raw_stats_ms = 0;          // what computing them took
};

// A calibration of the confidences (made by `calibrate`, cbo/calibrator.h): the logits
// divided by a temperature (one for all classes, or one per class) before the softmax, then
// the top-1 probability mapped through a non-decreasing piecewise-linear function (histogram
// binning, isotonic regression) sampled at k / (n - 1). The labels are the argmax of the
// scaled logits (only a per-class temperature can change it); entropy and margin are those
// of the scaled softmax; the top-1 probability, its thresholds, the class confidences and
// the confidence map are mapped.
struct ConfidenceCalibration {
  std::vector<float> inv_temperature;  // empty: none; 1 value: all classes; C values: per class
  std::vector<float> top1_map;         // values at p = k / (size - 1); empty: identity
  // The model it was fitted for, and where it came from: a Segmenter refuses to run with a
  // calibration whose name or weights (SHA-256) are not its model's (InputError).
  std::string model_name, model_sha256, source;
  bool keep_raw = true;  // also compute Segmentation::raw_stats (a second pass over the logits)
  bool empty() const { return inv_temperature.empty() && top1_map.empty(); }
  float map(float p) const;
};

struct SegmenterOptions : RunnerOptions {
  bool confidence_map = false;  // fill Segmentation::confidence
  ConfidenceCalibration calibration;
  void check() const;
};

class Segmenter {
 public:
  // model: a card (.json), or a TorchScript file (its card beside it as FILE.json if any).
  Segmenter(const std::string& model, const SegmenterOptions& options);
  ~Segmenter();
  Segmenter(const Segmenter&) = delete;
  Segmenter& operator=(const Segmenter&) = delete;

  const ModelCard& card() const;
  int num_classes() const;
  bool using_bf16() const;

  // Segments a batch of kRgb24 frames of one size. sample_pixels: flat pixel indices whose
  // logits are returned (the same for every frame of the batch). out_width x out_height:
  // the size of the labels (logits resized bilinearly); 0 = the frames' size. A server that
  // runs on a downscaled frame and reports labels at the camera's size uses it.
  std::vector<Segmentation> run(const std::vector<const video::Frame*>& frames,
                                const std::vector<int64_t>& sample_pixels = {}, int out_width = 0, int out_height = 0);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A segmentation model behind a virtual interface, for torch-free code (a server) that
// reaches it through the model plugin: open_segmentation_model is a plugin entry
// (core/plugin.h), so VSSOFF_PLUGIN_CALL(vssoff::nn::open_segmentation_model)(...) loads
// LibTorch only when it is called. run() is Segmenter::run without sampled logits.
class SegmentationModel {
 public:
  virtual ~SegmentationModel() = default;
  virtual const ModelCard& card() const = 0;
  virtual std::vector<Segmentation> run(const std::vector<const video::Frame*>& frames, int out_width,
                                        int out_height) = 0;
};
std::unique_ptr<SegmentationModel> open_segmentation_model(const std::string& model, const SegmenterOptions& options);

// The statistics of a run of frames as one row of a profile table (penance/profile.h) has
// them: the mean over the frames of each softmax_stat_columns() value and of each class's
// pixel share, then per class the mean of its confidence over the frames where the class
// appears (NaN where it appears in none): 6 + 2 x classes values. Torch-free.
std::vector<double> pooled_stats(const std::vector<const SoftmaxStats*>& frames, int classes);

// Labels (argmax), optional top-1 probability x 255, and the statistics of one frame's
// logits [C, H, W] (contiguous float), in one pass; the result does not depend on the
// thread count.
// With a calibration, the top-1 probability goes through calibration->map (the logits are
// expected already scaled by its temperature).
void softmax_stats(const float* logits, int C, int H, int W, uint8_t* labels, uint8_t* confidence, SoftmaxStats* stats,
                   const ConfidenceCalibration* calibration = nullptr);

}  // namespace vssoff::nn
