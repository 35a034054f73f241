// Model cards: the JSON that says what a model is and how to feed it.
//
// Format "vssoff.modelcard", version 1 (plus the common manifest fields):
//   "name":         "segnet-w16"
//   "task":         what the model's head does: "segmentation" (nn/segmenter.h), or a task
//                   a system defines (AccMPEG's "mb-importance")
//   "architecture": a loader of the model runner (nn/runner.h): "torchscript", or a built-in
//                   architecture registered by its domain ("segnet" by nn, "cheapnet" by
//                   accmpeg; weights saved by vssoff)
//   "arch_params":  {"width": 16}                 for built-in architectures
//   "classes":      [{"id": 0, "name": "sky"}, ...]; for a detector the COCO category ids
//                   it reports (synth's {"id": 5, "name": "vehicle"}, {"id": 6, "name": "person"})
//   "input":        {"color": "rgb", "scale": 1/255, "mean": [3], "std": [3],
//                    "width": W, "height": H (0 = the frame's own size), "stride": 16}
//   "output":       "logits"                      [N, C, H, W], before softmax (segmentation);
//                   "centernet"                   detnet's heatmap + box regression (nn/detnet.h);
//                   "detections"                  boxes, scores and labels (nn/runner.h's
//                                                 detection_output: torchvision's detectors)
//   "detection":    {"score_threshold": 0.3, "max_detections": 100}   detection cards only
//   "cost":         {"gflops": G, "width": 640, "height": 360}
//   "weights":      "segnet-w16.pt"               relative to the card
//   "produced_by":  how the weights came to be (command, data, steps)
//   "metrics":      measured figures (mIoU, ms per frame), free form
// A TorchScript file without a card gets the assumptions of assumed_card() (and a warning).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/manifest.h"

namespace vssoff::nn {

inline constexpr int kModelCardVersion = 1;

struct ModelCard {
  std::string name, task = "segmentation", architecture;
  std::string output = "logits";  // "logits", "centernet", "detections"
  double score_threshold = 0.3;   // detection: lowest score reported
  int max_detections = 100;       // detection: most boxes per frame
  Json arch_params = Json::object();
  std::vector<std::string> classes;                                                // index = class id
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f}, std{0.229f, 0.224f, 0.225f};  // on RGB in [0, 1]
  int input_width = 0, input_height = 0;                                           // 0 = any (rounded to the stride)
  int stride = 16;
  double gflops = 0;  // at cost_width x cost_height
  int cost_width = 640, cost_height = 360;
  std::string weights;  // path as stored (relative to the card)
  Json produced_by = Json::object(), metrics = Json::object();
  std::string card_path;  // where it was read from ("" for assumed cards)

  std::string weights_path() const;
  // A detector's category ids: the ids of the named classes, in id order (detnet's heatmap
  // channels are these, one each).
  std::vector<int> category_ids() const;  // resolved against the card's directory
  // GFLOPs of one frame of width x height: `gflops` scaled to the pixels the model runs on,
  // which are the card's fixed input size when it has one.
  double gflops_at(int width, int height) const;
  void check() const;  // InputError naming the card and the field
};

ModelCard read_model_card(const std::string& path);
void write_model_card(const std::string& path, const ModelCard& card, bool force);

// What vssoff assumes for a bare TorchScript file: RGB in [0, 1] normalised with the
// ImageNet mean and std, any input size rounded to a multiple of 32, logits out,
// classes named by index once the first output shows how many there are.
ModelCard assumed_card(const std::string& torchscript_path);

}  // namespace vssoff::nn
