// Segmentation metrics from a confusion matrix: per-class IoU, mIoU, pixel accuracy, and
// AccMPEG's foreground pixel accuracy (accuracy over the pixels that are foreground in
// either map; Du et al., MLSys 2022).
//
// Conventions: rows are the reference class, columns the predicted class. Reference pixels
// labelled `ignore` (255) are skipped. A predicted label >= num_classes counts as wrong
// (it is recorded in an extra "other" column). IoU of a class that appears in neither map
// is undefined (NaN) and left out of the mean, as in the Cityscapes and VOC protocols.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/manifest.h"

namespace vssoff::metrics {

inline constexpr uint8_t kIgnoreLabel = 255;

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int num_classes);

  // Adds n pixels. InputError naming the reference value if a reference label is neither
  // a class nor `ignore`.
  void add(const uint8_t* predicted, const uint8_t* reference, size_t n);
  void merge(const ConfusionMatrix& other);

  int num_classes() const { return classes_; }
  int64_t count(int reference, int predicted) const;  // predicted == num_classes: "other"
  int64_t pixels() const { return total_; }           // counted (non-ignored) pixels

  double iou(int c) const;        // NaN when the class is in neither map
  double mean_iou() const;        // over classes with a defined IoU; NaN if none
  double pixel_accuracy() const;  // NaN when no pixel was counted
  int64_t correct() const;

  Json to_json(const std::vector<std::string>& class_names) const;

 private:
  int classes_;
  std::vector<int64_t> m_;  // classes_ x (classes_ + 1)
  int64_t total_ = 0;
};

// Accuracy over pixels whose reference or prediction is a foreground class.
struct ForegroundAccuracy {
  int64_t correct = 0, total = 0;
  // is_foreground[label] for every label value 0..255.
  void add(const uint8_t* predicted, const uint8_t* reference, size_t n, const std::vector<bool>& is_foreground);
  double value() const;  // NaN when no pixel is foreground in either map
};

}  // namespace vssoff::metrics
