// The detection head on the model runner (nn/runner.h): a detection model card (task
// "detection") or a TorchScript detector, frames in, boxes out.
//
// Models: the built-in detnet (output "centernet", nn/detnet.h: decoded here by 3x3 peak
// picking on the sigmoid heatmap, the top max_detections peaks, size and offset read at the
// peak), or a TorchScript file whose forward returns detections (output "detections"):
// boxes [K, 4] (x1, y1, x2, y2 in pixels of the model's input), scores [K], labels [K], as
// a tuple of three tensors or as torchvision's scripted detectors return them ((losses,
// [{"boxes", "scores", "labels"}])). Such a model's labels are the category ids it reports;
// its card's classes name them.
//
// Boxes come back in pixels of the frame (scaled from the model's input, clipped to the
// frame), as COCO boxes (x, y top-left, w, h) with category ids, scores at or above the
// threshold, at most max_detections per frame, best first. Not thread-safe; one Detector per
// thread. Errors: InputError for a model that is not a detector, a label its card does not
// name, or boxes that are not finite (naming the model and the value).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/coco.h"
#include "nn/model_card.h"
#include "nn/runner_options.h"
#include "video/frame.h"

namespace vssoff::nn {

struct DetectorOptions : RunnerOptions {
  double score_threshold = -1;  // < 0: the card's
  int max_detections = 0;       // 0: the card's
  void check() const;
};

class Detector {
 public:
  // model: a card (.json), or a TorchScript file with its card beside it (FILE.json).
  Detector(const std::string& model, const DetectorOptions& options);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  const ModelCard& card() const;
  double score_threshold() const;
  int max_detections() const;
  // The detections of one kRgb24 frame (image_id left 0).
  std::vector<coco::Box> detect(const video::Frame& rgb);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A detector behind a virtual interface for torch-free code (the replay's edge and server),
// reached through the model plugin: VSSOFF_PLUGIN_CALL(vssoff::nn::open_detection_model).
class DetectionModel {
 public:
  virtual ~DetectionModel() = default;
  virtual const ModelCard& card() const = 0;
  virtual std::vector<coco::Box> detect(const video::Frame& rgb) = 0;
};
std::unique_ptr<DetectionModel> open_detection_model(const std::string& model, const DetectorOptions& options);

}  // namespace vssoff::nn
