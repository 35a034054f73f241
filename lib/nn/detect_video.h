// detect: run a detector over a video (every k-th frame, or a range) and write what it saw.
//
// Output directory (written whole under a temporary name):
//   detections.json   COCO results (image_id = frame index + 1, category_id, bbox [x, y, w, h]
//                     in pixels of the frame, score), what `evaluate` and `fuse` read
//   overlay/NNNNNN.png  optional: the frame with its boxes drawn over it
//   manifest.json     format "vssoff.detections", version 1:
//     "params":     model, model_name, every, first, last, score_threshold, max_detections,
//                   threads
//     "video":      width, height, frames (the video's frame count), fps [num, den]
//     "frames":     the frame indices the detector ran on (one with no box is an empty
//                   result, not a frame left out)
//     "categories": the model's [{"id", "name"}]
//     "inference_fps", "ms_per_frame" (median), and the inputs (video, model weights) hashed
#pragma once

#include <cstdint>
#include <string>

#include "core/manifest.h"
#include "nn/detector.h"
#include "video/frame_range.h"

namespace vssoff::nn {

inline constexpr int kDetectionsVersion = 1;

struct DetectOptions {
  std::string input, output_dir, model;
  DetectorOptions detector;
  int64_t start = 0, frames = -1, every = 1;  // video/frame_range.h
  int overlay_every = 0;                      // overlay every k-th processed frame (0 = none)
  int decode_threads = 0;
  bool force = false;
  void check() const;
  video::FrameRange range() const { return {start, frames, every}; }
};

struct DetectResult {
  int64_t frames = 0, boxes = 0;
  double seconds = 0, inference_seconds = 0;
  Json manifest;
};

DetectResult detect_video(const DetectOptions& options);

}  // namespace vssoff::nn
