// Calibration metrics: how well a model's confidence matches how often it is right.
//
// Top-label calibration (Guo et al., ICML 2017): each sample has a confidence (the
// probability of the predicted class) and an outcome (1 when the prediction is right; for
// a frame-level confidence, the frame's accuracy in [0, 1]). Samples are binned by
// confidence, 15 equal-width bins over [0, 1] (a confidence of 1 goes in the last), or 15
// equal-mass bins (sorted confidences cut into bins of n/15 samples each, ties kept
// together); per bin, the mean confidence against the mean outcome.
//   ECE = sum over bins of (bin count / n) x |mean outcome - mean confidence|
//   MCE = the largest |mean outcome - mean confidence| over non-empty bins
// Proper scores of the whole distribution: NLL = mean of -log p[label] (p clamped at
// 1e-12), Brier = mean over samples of sum over classes (p_c - [c == label])^2 (the
// multi-class form, in [0, 2]).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/manifest.h"

namespace vssoff::metrics {

struct ReliabilityBin {
  double lo = 0, hi = 0;  // the bin's confidence range
  int64_t count = 0;
  double mean_confidence = 0, mean_outcome = 0;  // 0 for an empty bin
};

struct Reliability {
  int64_t samples = 0;
  double mean_confidence = 0, mean_outcome = 0;
  double ece = 0, ece_mass = 0, mce = 0;
  std::vector<ReliabilityBin> width_bins, mass_bins;
  Json to_json() const;
};

// InputError naming `what` for sizes that differ, no samples, or a confidence outside
// [0, 1] or NaN (naming the sample and the value).
Reliability reliability(const std::vector<double>& confidence, const std::vector<double>& outcome,
                        const std::string& what, int bins = 15);

// Probabilities [n, C] (rows sum to 1) against labels in [0, C).
struct ProperScores {
  double nll = 0, brier = 0, accuracy = 0;
};
ProperScores proper_scores(const std::vector<float>& probs, const std::vector<int>& labels, int C);

// The reliability diagram: per equal-width bin, the mean outcome (bars' tops, as points)
// against the diagonal, with the bin counts in a second panel; the title carries the ECE.
void write_reliability_diagram(const std::string& path, const std::string& title, const Reliability& r, bool force);

// Logits of labelled samples, for calibration: [n, C] float logits and their labels.
struct LabelledLogits {
  int classes = 0;
  std::vector<float> logits;  // n x classes, row-major
  std::vector<int> labels;
  std::vector<int64_t> frames;  // the frame of each sample (segment runs), else empty
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

// Reads labelled logits from either
//  - a segment output directory written with --logit-samples (logits.npy, samples.npy) and a
//    reference label set (ground truth: a synth output or a directory of label PNGs): the
//    reference label at each sampled pixel; pixels labelled ignore (255) are skipped; or
//  - an NPY of logits [N, C] (any float or integer dtype) and an NPY of integer labels [N].
// InputError naming the file and the value: different lengths, NaN or infinite logits (the
// sample), a label outside [0, C) (the sample and the label), a sampled frame missing from
// the reference, a position outside the reference map.
LabelledLogits read_labelled_logits(const std::string& logits, const std::string& labels);

// Top-label samples of probabilities [n, C]: the prediction is the argmax of each row of
// `decide` (the probabilities themselves, or the scores the classifier decides by), the
// confidence its probability, the outcome 1 when it is the label.
void top_label(const std::vector<float>& probs, const std::vector<float>& decide, int C, const std::vector<int>& labels,
               std::vector<double>* confidence, std::vector<double>* correct);

// Softmax of each row of logits [n, C], divided first by a temperature per class
// (inv_temperature of size C) or for all (size 1; empty = 1).
std::vector<float> softmax_rows(const std::vector<float>& logits, int C, const std::vector<double>& inv_temperature);

}  // namespace vssoff::metrics
