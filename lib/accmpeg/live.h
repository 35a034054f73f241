// AccMPEG's camera side in a live replay (link/replay.h), and the uniform-QP baseline it is
// compared with in the same conditions.
//
// accmpeg: for each segment, the cheap model scores the segment's sampled frames (`sample`,
// as qpmap does: the first and the last by default), qp_map_from_importance makes the
// segment's map with the given parameters, and the segment is encoded alone (its own GOP,
// as encode-roi's segments are) in per-macroblock mode with base QP qp_hi, the lowest QP a
// map can hold; the server model named scores `score_frames` evenly spaced frames of it.
// The same parameters give what `qpmap --cheap-model` and `encode-roi --qp-map` give in batch
// (the difference: encode-roi runs one encoder over the whole video, with base QP the
// lowest QP of all its maps).
//
// uniform (AWStream-style adaptation): every segment at one QP, the lowest of `qps` whose
// predicted bytes fit (1 - bw_margin) of what the bandwidth estimate carries over the
// segment, else the highest. Predicted bytes: the last segment's bytes at its QP, scaled by
// 2^((last QP - QP) / 6) (x264's bytes roughly halve every 6 QP); initial_qp for the first.
// Torch-free: the cheap model is reached through the model plugin.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "accmpeg/cheap_model.h"
#include "accmpeg/qp_maps.h"
#include "link/replay.h"

namespace vssoff::accmpeg {

struct LiveOptions {
  std::string server_model;         // the server model's card name
  std::string preset = "veryfast";  // x264
  int score_frames = 10;            // frames of a segment the server scores (0 = all)
  int threads = 0;                  // x264 and cheap-model threads (0 = x264's rule, half the budget)
  // accmpeg
  std::string cheap_model;
  std::string sample = "ends";
  QpMapParams params;
  // uniform
  std::vector<int> qps = {22, 26, 30, 34, 38, 42, 46};
  int initial_qp = 30;
  double bw_margin = 0.1;
};

class AccMpegLoop : public link::CameraLoop {
 public:
  explicit AccMpegLoop(const LiveOptions& options);
  std::string system() const override { return "accmpeg"; }
  Json settings() const override;
  std::vector<std::string> models() const override { return {opt_.server_model}; }
  // InputError when the server's model is not the one the cheap model was trained for (by
  // the weights hash in the welcome), as qpmap --server-model refuses it.
  void on_welcome(const Json& welcome) override;
  link::Prepared prepare(const link::CapturedSegment& segment, double estimated_kbps) override;

 private:
  LiveOptions opt_;
  std::unique_ptr<ImportanceModel> model_;
  video::Scaler scaler_;
};

class UniformQpLoop : public link::CameraLoop {
 public:
  explicit UniformQpLoop(const LiveOptions& options);
  std::string system() const override { return "uniform"; }
  Json settings() const override;
  std::vector<std::string> models() const override { return {opt_.server_model}; }
  link::Prepared prepare(const link::CapturedSegment& segment, double estimated_kbps) override;
  void observe(const link::CapturedSegment& segment, const link::Prepared& p, const link::SegmentReport& r) override;

 private:
  LiveOptions opt_;
  int last_qp_ = -1;
  double last_bytes_ = 0;
  video::Scaler scaler_;
};

}  // namespace vssoff::accmpeg
