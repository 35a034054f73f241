#include "nn/detector.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/log.h"
#include "core/plugin.h"
#include "nn/detnet.h"
#include "nn/runner.h"

namespace vssoff::nn {
namespace {

constexpr double kNmsIou = 0.6;

double iou(const coco::Box& a, const coco::Box& b) {
  const double w = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
  const double h = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return w * h / (a.w * a.h + b.w * b.h - w * h);
}

}  // namespace

void DetectorOptions::check() const {
  RunnerOptions::check();
  vssoff::check<UsageError>(score_threshold <= 1, "score threshold must be at most 1 (got ", score_threshold, ")");
  vssoff::check<UsageError>(max_detections >= 0 && max_detections <= 10000,
                            "max detections must be in [0, 10000] (got ", max_detections, ")");
}

struct Detector::Impl {
  Impl(const std::string& model, const DetectorOptions& options) : runner(model, options) {
    const ModelCard& c = runner.card();
    const std::string& where = c.card_path.empty() ? c.weights_path() : c.card_path;
    check<InputError>(c.task == "detection", where, ": a ", c.task, " model, not a detector (task \"detection\")");
    check<InputError>(c.output == "centernet" || c.output == "detections", where,
                      ": a detector's output must be \"centernet\" or \"detections\" (got \"", c.output, "\")");
    ids = c.category_ids();
    check<InputError>(!ids.empty(), where, ": a detector's card must name its classes");
    threshold = options.score_threshold >= 0 ? options.score_threshold : c.score_threshold;
    max_dets = options.max_detections > 0 ? options.max_detections : c.max_detections;
  }
  ModelRunner runner;
  std::vector<int> ids;
  double threshold = 0.3;
  int max_dets = 100;

  Detections decode_centernet(const torch::Tensor& out) {
    const int64_t C = static_cast<int64_t>(ids.size());
    check<InputError>(out.dim() == 4 && out.size(0) == 1 && out.size(1) == C + 4, runner.card().card_path,
                      ": centernet output of shape ", out.sizes(), ", expected [1, ", C + 4, ", h, w]");
    return decode_detnet(out, static_cast<int>(C), threshold, max_dets);
  }

  std::vector<coco::Box> detect(const video::Frame& rgb) {
    torch::InferenceMode guard;
    const ModelCard& card = runner.card();
    torch::Tensor x = torch::from_blob(const_cast<uint8_t*>(rgb.plane(0)), {1, rgb.height, rgb.width, 3}, torch::kUInt8)
                          .permute({0, 3, 1, 2})
                          .to(torch::kFloat32)
                          .div(255.0f);
    torch::IValue out = runner.forward_frames(x);
    const std::string where = card.card_path.empty() ? card.weights_path() : card.card_path;
    Detections d;
    bool labels_are_ids = false;
    if (card.output == "centernet") {
      d = decode_centernet(dense_output(out, 1, where));
    } else {
      std::vector<Detections> all = detection_output(out, where);
      check<InputError>(all.size() == 1, where, ": the detector returned ", all.size(), " images for one frame");
      d = all[0];
      labels_are_ids = true;
    }
    // Input pixels to frame pixels: the runner resized the frame to the model's input.
    const int64_t ih =
        card.input_height > 0 ? card.input_height : (rgb.height + card.stride - 1) / card.stride * card.stride;
    const int64_t iw =
        card.input_width > 0 ? card.input_width : (rgb.width + card.stride - 1) / card.stride * card.stride;
    const double sx = double(rgb.width) / iw, sy = double(rgb.height) / ih;
    torch::Tensor boxes = d.boxes.to(torch::kDouble).contiguous(), scores = d.scores.to(torch::kDouble).contiguous();
    torch::Tensor labels = d.labels.to(torch::kLong).contiguous();
    check<InputError>(torch::isfinite(boxes).all().item<bool>() && torch::isfinite(scores).all().item<bool>(), where,
                      ": the detector returned non-finite boxes or scores");
    auto b = boxes.accessor<double, 2>();
    auto sc = scores.accessor<double, 1>();
    auto lb = labels.accessor<int64_t, 1>();
    std::vector<coco::Box> result;
    for (int64_t i = 0; i < scores.size(0); ++i) {
      if (sc[i] < threshold) continue;
      int category;
      if (labels_are_ids) {
        const int64_t id = lb[i];
        check<InputError>(id >= 0 && id < static_cast<int64_t>(card.classes.size()) && !card.classes[id].empty(), where,
                          ": the detector returned label ", id, ", which its card does not name");
        category = static_cast<int>(id);
      } else {
        category = ids.at(lb[i]);
      }
      const double x0 = std::clamp(b[i][0] * sx, 0.0, double(rgb.width)),
                   y0 = std::clamp(b[i][1] * sy, 0.0, double(rgb.height));
      const double x1 = std::clamp(b[i][2] * sx, 0.0, double(rgb.width)),
                   y1 = std::clamp(b[i][3] * sy, 0.0, double(rgb.height));
      if (x1 - x0 <= 0 || y1 - y0 <= 0) continue;
      coco::Box box;
      box.category_id = category;
      box.x = x0, box.y = y0, box.w = x1 - x0, box.h = y1 - y0;
      box.score = sc[i];
      result.push_back(box);
    }
    std::stable_sort(result.begin(), result.end(), [](const auto& a, const auto& c) { return a.score > c.score; });
    // A positive region of several cells can leave two peaks on one object: greedy NMS per
    // class (IoU above kNmsIou) on detnet's boxes. TorchScript detectors do their own.
    if (card.output == "centernet") {
      std::vector<coco::Box> kept;
      for (const coco::Box& box : result) {
        bool suppressed = false;
        for (const coco::Box& k : kept)
          suppressed = suppressed || (k.category_id == box.category_id && iou(k, box) > kNmsIou);
        if (!suppressed) kept.push_back(box);
      }
      result = std::move(kept);
    }
    if (static_cast<int>(result.size()) > max_dets) result.resize(max_dets);
    return result;
  }
};

Detector::Detector(const std::string& model, const DetectorOptions& options) {
  options.check();
  impl_ = std::make_unique<Impl>(model, options);
}
Detector::~Detector() = default;
const ModelCard& Detector::card() const { return impl_->runner.card(); }
double Detector::score_threshold() const { return impl_->threshold; }
int Detector::max_detections() const { return impl_->max_dets; }
std::vector<coco::Box> Detector::detect(const video::Frame& rgb) { return impl_->detect(rgb); }

namespace {
class PluginDetector : public DetectionModel {
 public:
  PluginDetector(const std::string& model, const DetectorOptions& options) : d_(model, options) {}
  const ModelCard& card() const override { return d_.card(); }
  std::vector<coco::Box> detect(const video::Frame& rgb) override { return d_.detect(rgb); }

 private:
  Detector d_;
};
}  // namespace

std::unique_ptr<DetectionModel> open_detection_model(const std::string& model, const DetectorOptions& options) {
  return std::make_unique<PluginDetector>(model, options);
}

VSSOFF_PLUGIN_ENTRY(vssoff::nn::open_detection_model);

}  // namespace vssoff::nn
