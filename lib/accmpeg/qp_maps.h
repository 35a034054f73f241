// From importance to per-segment QP maps (AccMPEG), and region-of-interest maps from boxes
// (EAAR- and Vigil-like baselines). Torch-free.
//
// Importance: per sampled frame, a value per macroblock (the cheap model's probability, or
// accgrad's raw gradients for an oracle). Each segment (segment_frames frames, its own GOP
// in encode-roi) averages the sampled frames that fall in it (AccMPEG samples the first and
// the last); the top k% of macroblocks (or those above a threshold) are important; a 3x3
// opening drops isolated macroblocks and a closing fills holes, both with replicated
// borders (zero padding, as in AccMPEG's public code, would wrongly push the frame edge to
// low quality); a dilation by `dilate` macroblocks adds a margin. Important macroblocks get
// qp_hi, the rest qp_lo.
//
// Graded maps (graded > 0; our extension, not the paper's): instead of two levels, each
// macroblock's QP follows its importance v relative to the segment's mean m,
//   QP = clamp(round(qp_mean - graded * log2(v / m)), qp_hi, qp_lo),
// i.e. `graded` QP steps per doubling of importance; a macroblock of mean importance gets
// qp_mean. With the gradient as importance this is the rate-distortion allocation for a
// loss that is linear in the pixel error (distortion weight g^2, quantiser step ~ 1/g, and
// the step doubles every 6 QP: graded = 6). Top-k, threshold, clean-up and dilation do not
// apply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codec/qp_map.h"
#include "core/manifest.h"

namespace vssoff::accmpeg {

struct QpMapParams {
  int segment_frames = 10;
  double top_percent = 20;     // share of macroblocks marked important ...
  double threshold = -1;       // ... or, when >= 0, those whose segment importance exceeds this
  int dilate = 0;              // extra macroblocks around important regions
  bool clean = true;           // 3x3 opening then closing
  int qp_hi = 30, qp_lo = 40;  // QPs in [1, 51]: QP 0 would make x264 encode the whole frame losslessly
  double graded = 0;           // > 0: QP steps per doubling of importance (graded map)
  int qp_mean = 34;            // graded: QP of a macroblock of the segment's mean importance
  void check() const;          // UsageError naming the field
  Json to_json() const;
};

// Per-frame importance [frames x rows x cols] at `frame_indices` -> one map per segment
// of a video of `total_frames` frames. InputError if a segment has no sampled frame
// or a frame index is negative (indices past the video are ignored).
codec::QpMap qp_map_from_importance(const std::vector<int64_t>& frame_indices, const std::vector<float>& importance,
                                    int rows, int cols, int width, int height, int64_t total_frames,
                                    const QpMapParams& params, std::vector<float>* segment_importance = nullptr);

// Boxes (COCO dataset JSON: images with "frame_index" or ids = frame + 1, annotations with
// "bbox") -> one map per segment: qp_hi for macroblocks that any box of the segment's
// frames overlaps (grown by margin pixels), qp_lo elsewhere.
codec::QpMap qp_map_from_boxes(const std::string& coco_path, int width, int height, int64_t total_frames,
                               const QpMapParams& params, double margin);

// Macroblock labels of one frame's gradients: top `top_percent`% (ties broken by position),
// or above `threshold` when it is >= 0.
std::vector<uint8_t> importance_labels(const float* grad, int count, double top_percent, double threshold);

// log2 of each macroblock's importance over the mean of `count` values, floored at 1/1000 of
// the mean (about -10); all 0 when there is no importance anywhere. The graded maps' scale,
// and the cheap model's log-importance target.
std::vector<float> relative_log2_importance(const float* importance, size_t count);

// Area under the ROC curve of scores against 0/1 labels (ties count half). NaN if a class is absent.
double roc_auc(const std::vector<float>& scores, const std::vector<uint8_t>& labels);

// The frames of each segment that AccMPEG samples: "ends" (first and last), "first", or "all".
std::vector<int64_t> sampled_frames(int64_t total_frames, int segment_frames, const std::string& sample);
// The same rule for one frame, given whether it is the video's last: what a caller that
// decodes in order uses before it knows the total (predict_importance).
bool is_sampled(int64_t index, bool last, int segment_frames, const std::string& sample);

}  // namespace vssoff::accmpeg
