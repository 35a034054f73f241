// segment: run a segmentation model over a video and write what it saw.
//
// Output directory (written whole under a temporary name):
//   labels/NNNNNN.png      8-bit class ids per processed frame (NNNNNN = frame index)
//   stats.csv              one row per frame: frame, time_s, mean_max_prob,
//                          mean_norm_entropy, mean_margin, frac_maxprob_below_0.5/0.7/0.9,
//                          share_<class> and conf_<class> for every class; with a
//                          calibrator (SegmenterOptions::calibration) these are calibrated
//                          and a last column raw_mean_max_prob keeps the uncalibrated mean
//   confidence/NNNNNN.png  optional: top-1 probability x 255
//   overlay/NNNNNN.png     optional: the frame with the labels blended over it
//   logits.npy, samples.npy  optional: logits [n, C] (float32) of n sampled pixels and their
//                          positions [n, 3] (frame, y, x; int32), for calibration
//   manifest.json          format "vssoff.segmentation", version 1: model card summary,
//                          legend, labels_pattern (so `evaluate` reads it directly)
#pragma once

#include <cstdint>
#include <string>

#include "core/manifest.h"
#include "nn/segmenter.h"
#include "video/frame_range.h"

namespace vssoff::nn {

inline constexpr int kSegmentationVersion = 1;

struct SegmentOptions {
  std::string input, output_dir, model;
  SegmenterOptions segmenter;
  int batch = 1;          // frames per forward pass
  int64_t start = 0;      // first frame index
  int64_t frames = -1;    // how many frames from start (-1 = to the end)
  int64_t every = 1;      // process every k-th of them: start, start + every, ... (video/frame_range.h)
  int overlay_every = 0;  // write an overlay every k-th processed frame (0 = none)
  int logit_samples = 0;  // pixels sampled per frame for logits.npy (0 = none)
  uint64_t seed = 1;      // for pixel sampling
  int decode_threads = 0;
  bool force = false;
  bool strict_length = false;  // a video shorter than its header's frame count is an error
  void check() const;
  video::FrameRange range() const { return {start, frames, every}; }
};

struct SegmentResult {
  int64_t frames = 0;
  double seconds = 0, inference_seconds = 0;
  Json manifest;
};

SegmentResult segment_video(const SegmentOptions& options);

}  // namespace vssoff::nn
