// The segmentation service of `vssoff serve`: decodes the H.264 segment a request carries,
// runs the requested segmentation model (loaded at start from zoo cards or TorchScript,
// through the model plugin) on the frames it names, and replies with their label maps
// (8-bit PNG at the size the edge asks for, the camera's), the segment's softmax
// statistics pooled as profile tables pool them (nn::pooled_stats), and measured times.
//
// Models: those named at start, and, with a model directory, any card DIR/NAME.json that a
// hello asks for by NAME (a plain name: letters, digits, '.', '_', '-'), loaded then (the
// hello waits for it) and kept. A card whose name is not NAME, or no such card, refuses the
// hello.
//
// Request (kind segment) meta: segment, model (a loaded model's card name), width and
// height (the encoded size), out_width and out_height (the labels' size; 0 = encoded),
// packets (bytes of each access unit in data, in order), score (positions within the
// segment to run the model on; empty = all), labels (send label maps back; default true).
// Result meta: segment, model, frames (decoded), scored, stats (6 + 2 x classes, null for
// NaN) and stat_names, labels_bytes (of each PNG in data, in scored order), gflops_per_frame
// (at the size served), decode_ms, infer_ms.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "link/server.h"
#include "nn/segmenter.h"

namespace vssoff::link {

class SegmentService : public Service {
 public:
  // models: cards or TorchScript files; model_dir: where requested models may come from
  // ("" = nowhere). UsageError when two share a name, or there are neither.
  SegmentService(const std::vector<std::string>& models, const nn::SegmenterOptions& options,
                 const std::string& model_dir = "");
  ~SegmentService() override;
  Json describe() const override;
  std::string check_hello(const Json& hello) const override;
  Message serve(const Message& request) override;

 private:
  void load(const std::string& path) const;  // appends one model (under mutex_)
  nn::SegmenterOptions options_;
  std::string model_dir_;
  // Models are only ever added (by check_hello, on the network thread) while serve() reads
  // them on the worker thread: the vectors are guarded, the models themselves never move.
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<nn::SegmentationModel>> models_;
  mutable std::vector<std::string> names_, weights_sha_;
};

}  // namespace vssoff::link
