// The torch-free side of the segmentation head's statistics (nn/segmenter.h).
#include <algorithm>
#include <cmath>

#include "nn/segmenter.h"

namespace vssoff::nn {

const std::vector<std::string>& softmax_stat_columns() {
  static const std::vector<std::string> names = {
      "mean_max_prob",          "mean_norm_entropy",      "mean_margin",
      "frac_maxprob_below_0.5", "frac_maxprob_below_0.7", "frac_maxprob_below_0.9"};
  return names;
}

float ConfidenceCalibration::map(float p) const {
  if (top1_map.empty()) return p;
  const float pos = std::clamp(p, 0.0f, 1.0f) * static_cast<float>(top1_map.size() - 1);
  const size_t k = std::min(static_cast<size_t>(pos), top1_map.size() - 2);
  const float f = pos - static_cast<float>(k);
  return top1_map[k] + f * (top1_map[k + 1] - top1_map[k]);
}

std::vector<double> stat_values(const SoftmaxStats& s) {
  return {s.mean_max_prob, s.mean_norm_entropy, s.mean_margin, s.frac_below_050, s.frac_below_070, s.frac_below_090};
}

std::vector<double> pooled_stats(const std::vector<const SoftmaxStats*>& frames, int C) {
  std::vector<double> st(6 + 2 * C, 0.0), conf_n(C, 0.0);
  const double n = static_cast<double>(frames.size());
  for (const SoftmaxStats* x : frames) {
    const double v[6] = {x->mean_max_prob,  x->mean_norm_entropy, x->mean_margin,
                         x->frac_below_050, x->frac_below_070,    x->frac_below_090};
    for (int k = 0; k < 6; ++k) st[k] += v[k] / n;
    for (int k = 0; k < C; ++k) {
      st[6 + k] += x->class_share[k] / n;
      if (!std::isnan(x->class_confidence[k])) st[6 + C + k] += x->class_confidence[k], conf_n[k] += 1;
    }
  }
  for (int k = 0; k < C; ++k) st[6 + C + k] = conf_n[k] > 0 ? st[6 + C + k] / conf_n[k] : NAN;
  return st;
}

}  // namespace vssoff::nn
