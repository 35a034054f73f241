// evaluate (segmentation): predicted label maps against reference label maps (ground truth,
// or a reference model's output on the original video), per frame, per segment and overall.
//
// Label sets are directories of 8-bit PNGs whose file names end in the frame index
// (000123.png, frame_123.png), or output directories of synth and segment, whose
// manifest.json names "labels_pattern" and a "legend" (class ids and names).
//
// Output: a JSON report (format "vssoff.evaluation", version 1) with the overall confusion
// matrix, per-class IoU, mIoU, pixel accuracy and foreground accuracy, and per-segment and
// per-frame figures; optionally CSV tables per frame and per segment; a table on stderr.
// Frames missing on either side, and maps of different sizes, are InputErrors naming the
// frame and both values. When the predicted set is a segment run with sampled logits
// (--logit-samples), the report also has "calibration": ECE, MCE, NLL and Brier of the
// sampled pixels against the reference (metrics/calibration.h), and optionally a
// reliability diagram.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/manifest.h"
#include "metrics/segmentation.h"

namespace vssoff::metrics {

inline constexpr int kEvaluationVersion = 1;

struct LabelSet {
  std::string path;                      // as given
  std::map<int64_t, std::string> files;  // frame index -> PNG path
  std::vector<std::string> class_names;  // from a manifest legend, else empty
};

// InputError when the path has no label PNGs, or two files claim the same frame.
LabelSet open_label_set(const std::string& path);

struct SegEvalOptions {
  std::string predicted, reference;      // label sets
  int num_classes = 0;                   // 0 = from a legend in either manifest
  std::vector<int> foreground = {5, 6};  // classes counted by foreground accuracy (synth: vehicle, person)
  int segment_frames = 30;               // frames per segment, for the per-segment figures
  bool subset = false;                   // predicted frames may be a subset of the reference frames
  std::string output;                    // JSON report
  std::string frames_csv, segments_csv;
  std::string reliability;  // reliability diagram (PNG) of the run's sampled pixels ("" = none)
  bool force = false;
  void check() const;
};

struct SegEvalResult {
  ConfusionMatrix overall{1};
  ForegroundAccuracy foreground;
  int64_t frames = 0;
  Json report;
};

SegEvalResult evaluate_segmentation(const SegEvalOptions& options);

}  // namespace vssoff::metrics
