// The segmentation service of `vssoff serve`: decodes the H.264 segment a request carries,
// runs the requested segmentation model (loaded at start from zoo cards or TorchScript,
// through the model plugin) on the frames it names, and replies with their label maps
// (8-bit PNG at the size the edge asks for, the camera's), the segment's softmax
// statistics pooled as profile tables pool them (nn::pooled_stats), and measured times.
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
#include <string>
#include <vector>

#include "link/server.h"
#include "nn/segmenter.h"

namespace vssoff::link {

class SegmentService : public Service {
 public:
  // models: cards or TorchScript files; UsageError when two share a name.
  SegmentService(const std::vector<std::string>& models, const nn::SegmenterOptions& options);
  ~SegmentService() override;
  Json describe() const override;
  std::string check_hello(const Json& hello) const override;
  Message serve(const Message& request) override;

 private:
  std::vector<std::unique_ptr<nn::SegmentationModel>> models_;
  std::vector<std::string> names_, weights_sha_;
};

}  // namespace vssoff::link
