// CBO's confidence calibrators (`vssoff calibrate`): fitted on held-out labelled data of the
// on-device model, applied by `segment --calibrator` and `offload-profile`, read by `plan`.
// Torch-free.
//
// Two levels, one artefact format ("vssoff.calibrator", version 1):
//  - pixel: a calibration of each pixel's (or sample's) softmax, fitted on (logits, label)
//    pairs. Methods:
//      temperature        one T minimising the NLL (golden-section search on log T); keeps
//                         the argmax (Guo et al., ICML 2017)
//      class-temperature  one T per class, dividing that class's logit (Newton steps with
//                         the Hessian's diagonal and backtracking on the NLL, from the
//                         single T); may change the argmax
//      histogram          15 equal-width bins of the top-1 probability, each mapped to its
//                         accuracy on the fit data (an empty bin keeps its centre)
//      isotonic           the non-decreasing fit of correctness on the top-1 probability by
//                         pool-adjacent-violators, linear between fitted points and clipped
//                         at the ends, as scikit-learn's IsotonicRegression predicts
//    For histogram and isotonic the top-1 probability is mapped and the other classes are
//    rescaled to keep the sum 1.
//  - frame: a frame's confidence summary (segment's statistics of the calibrated softmax:
//    mean top-1 probability, entropy, margin, the shares below 0.5/0.7/0.9) mapped to the
//    frame's expected accuracy (mIoU against the ground truth), what an offload decision
//    needs: a ridge regression on the standardised summary, then an isotonic map of its
//    output onto the measured accuracy. Fitted on offload profiles (cbo/offload_profile.h).
// Each records the model it was fitted for (name and weights SHA-256) and refuses another.
#pragma once

#include <string>
#include <vector>

#include "core/manifest.h"
#include "metrics/calibration.h"
#include "nn/segmenter.h"

namespace vssoff::cbo {

inline constexpr int kCalibratorVersion = 1;

// A non-decreasing piecewise-linear function through (x[k], y[k]), constant past the ends.
struct Isotonic {
  std::vector<double> x, y;
  double operator()(double v) const;
};
// Pool-adjacent-violators on (x, y) with weights (empty = 1): equal x are pooled first.
// InputError naming `what` for sizes that differ or no points.
Isotonic fit_isotonic(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& w,
                      const std::string& what);

const std::vector<std::string>& pixel_methods();  // temperature, class-temperature, histogram, isotonic

struct PixelCalibrator {
  std::string method;                   // one of pixel_methods(), or "none"
  std::vector<double> inv_temperature;  // temperature: 1 value; class-temperature: C values
  std::vector<double> bin_accuracy;     // histogram: per equal-width bin
  Isotonic isotonic;                    // isotonic
  double map_top1(double p) const;      // histogram and isotonic; identity otherwise
  std::vector<float> probabilities(const std::vector<float>& logits, int C) const;  // [n, C] rows
  nn::ConfidenceCalibration for_segmenter() const;                                  // without the identity
  Json to_json() const;
};

PixelCalibrator fit_pixel_calibrator(const std::string& method, const metrics::LabelledLogits& data);

struct FrameCalibrator {
  std::vector<std::string> features;  // stats columns used
  std::vector<double> mean, scale, weights;
  double bias = 0;
  Isotonic isotonic;
  double predict(const std::vector<double>& values) const;  // values in `features` order
  Json to_json() const;
};

FrameCalibrator fit_frame_calibrator(const std::vector<std::vector<double>>& features,
                                     const std::vector<double>& accuracy, double ridge);
const std::vector<std::string>& frame_features();  // what fit_frame_calibrator reads, in order

struct Calibrator {
  std::string level;  // "pixel" or "frame"
  std::string model_name, model_sha256;
  int classes = 0;
  std::string pixel_sha256;  // frame level: the pixel calibrator its profiles used ("" = none)
  PixelCalibrator pixel;
  FrameCalibrator frame;
  std::string path;  // where it was read from
  Json manifest;
  // The calibration segment applies (its model identity set); pixel level only.
  nn::ConfidenceCalibration for_segmenter() const;
};

// InputError naming the file and the field.
Calibrator read_calibrator(const std::string& path);

struct CalibrateOptions {
  std::vector<std::string> fit, test;   // pixel: "SEGMENT_DIR:LABELS" or "LOGITS.npy:LABELS.npy";
                                        // frame: offload profile tables (.csv)
  std::string output;                   // calibrator (.json)
  std::string method = "temperature";   // pixel: the method the artefact applies (all are reported)
  std::string model;                    // pixel with NPY inputs: the card or TorchScript file they came from
  std::string diagrams;                 // directory for reliability diagrams (PNG), "" = none
  int64_t max_fit_samples = 2'000'000;  // pixel: fit on a seeded subsample of at most this many
  double ridge = 1.0;                   // frame: ridge penalty (on standardised features), > 0
  uint64_t seed = 1;
  bool force = false;
  void check() const;
};

struct CalibrateResult {
  Calibrator calibrator;
  Json report;  // per method: metrics before and after, on the test data (or the fit data)
};

CalibrateResult calibrate(const CalibrateOptions& options);

}  // namespace vssoff::cbo
