#include "metrics/segmentation.h"

#include <cmath>

#include "core/error.h"

namespace vssoff::metrics {

ConfusionMatrix::ConfusionMatrix(int num_classes) : classes_(num_classes) {
  check<UsageError>(num_classes >= 1 && num_classes <= 255, "number of classes must be in [1, 255] (got ", num_classes,
                    ")");
  m_.assign(static_cast<size_t>(classes_) * (classes_ + 1), 0);
}

void ConfusionMatrix::add(const uint8_t* predicted, const uint8_t* reference, size_t n) {
  const int cols = classes_ + 1;
  for (size_t i = 0; i < n; ++i) {
    int r = reference[i];
    if (r == kIgnoreLabel) continue;
    if (r >= classes_)
      throw InputError(
          cat("reference label ", r, " is not a class (", classes_, " classes, ", int(kIgnoreLabel), " = ignore)"));
    int p = predicted[i] < classes_ ? predicted[i] : classes_;
    ++m_[static_cast<size_t>(r) * cols + p];
    ++total_;
  }
}

void ConfusionMatrix::merge(const ConfusionMatrix& o) {
  check<RuntimeError>(o.classes_ == classes_, "cannot merge confusion matrices of ", classes_, " and ", o.classes_,
                      " classes");
  for (size_t i = 0; i < m_.size(); ++i) m_[i] += o.m_[i];
  total_ += o.total_;
}

int64_t ConfusionMatrix::count(int reference, int predicted) const {
  return m_.at(static_cast<size_t>(reference) * (classes_ + 1) + predicted);
}

int64_t ConfusionMatrix::correct() const {
  int64_t c = 0;
  for (int k = 0; k < classes_; ++k) c += count(k, k);
  return c;
}

double ConfusionMatrix::iou(int c) const {
  int64_t tp = count(c, c), ref_total = 0, pred_total = 0;
  for (int p = 0; p <= classes_; ++p) ref_total += count(c, p);
  for (int r = 0; r < classes_; ++r) pred_total += count(r, c);
  int64_t uni = ref_total + pred_total - tp;
  return uni == 0 ? NAN : static_cast<double>(tp) / uni;
}

double ConfusionMatrix::mean_iou() const {
  double sum = 0;
  int n = 0;
  for (int c = 0; c < classes_; ++c) {
    double v = iou(c);
    if (!std::isnan(v)) {
      sum += v;
      ++n;
    }
  }
  return n ? sum / n : NAN;
}

double ConfusionMatrix::pixel_accuracy() const { return total_ ? static_cast<double>(correct()) / total_ : NAN; }

namespace {
Json number_or_null(double v) { return std::isnan(v) ? Json(nullptr) : Json(v); }
}  // namespace

Json ConfusionMatrix::to_json(const std::vector<std::string>& names) const {
  Json per_class = Json::array(), matrix = Json::array();
  for (int c = 0; c < classes_; ++c) {
    int64_t ref_total = 0;
    for (int p = 0; p <= classes_; ++p) ref_total += count(c, p);
    per_class.push_back({{"id", c},
                         {"name", c < static_cast<int>(names.size()) ? names[c] : std::to_string(c)},
                         {"iou", number_or_null(iou(c))},
                         {"reference_pixels", ref_total}});
    std::vector<int64_t> row(m_.begin() + static_cast<long>(c) * (classes_ + 1),
                             m_.begin() + static_cast<long>(c + 1) * (classes_ + 1));
    matrix.push_back(row);
  }
  return {{"miou", number_or_null(mean_iou())},
          {"pixel_accuracy", number_or_null(pixel_accuracy())},
          {"pixels", total_},
          {"classes", per_class},
          {"confusion", matrix},
          {"confusion_layout",
           "rows: reference class; columns: predicted class, last column = predicted label outside the classes"}};
}

void ForegroundAccuracy::add(const uint8_t* predicted, const uint8_t* reference, size_t n,
                             const std::vector<bool>& is_foreground) {
  for (size_t i = 0; i < n; ++i) {
    if (reference[i] == kIgnoreLabel) continue;
    if (!is_foreground[reference[i]] && !is_foreground[predicted[i]]) continue;
    ++total;
    correct += predicted[i] == reference[i];
  }
}

double ForegroundAccuracy::value() const { return total ? static_cast<double>(correct) / total : NAN; }

}  // namespace vssoff::metrics
