// CBO's camera side in a live replay (link/replay.h, one frame per segment): the device
// runs its model on every frame, and sends the frames worth it to the server, as plan's cbo
// policy decides them (cbo/offload.h: the same knapsack, gain model and price of the
// sender's time), with what the live run measures.
//
// Per frame: the on-device model (with its pixel calibrator) gives the labels and the
// calibrated statistics; the frame calibrator the expected local accuracy; the gain model
// (from training offload profiles) the expected gain at every scale; the frame is encoded
// as an intra frame at every scale (x264, the profiles' QP), so its bytes are known. The
// window is this frame alone: the replay hands the loop each frame once, at capture, and a
// frame is sent then or never (offline, plan's cbo may also send a frame that waited). The
// sender is taken to be free once its earlier sends' bytes have gone at the estimated rate;
// when a result shows that a send's last byte arrived later than planned, the sends planned
// after it move back by as much (FIFO).
// A result that arrives after capture + deadline counts as the local result.
//
// What differs from plan's replay: the bandwidth estimate is the replay's (the harmonic mean
// of the throughputs the last three results saw, 2000 kbit/s before the first), the device's
// and the server's times are those of this run, and a frame that waits is never sent later.
//
// Summary: frames, mean frame mIoU (the server's result when it came in time, else the
// device's; a frame the replay dropped scores 0) with a 95% interval that treats frames as
// independent, offloaded, late, dropped, counted per scale, bytes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cbo/calibrator.h"
#include "cbo/offload.h"
#include "link/replay.h"
#include "metrics/evaluate_segmentation.h"
#include "video/scaler.h"

namespace vssoff::nn {
class SegmentationModel;
}

namespace vssoff::cbo {

struct LiveOptions {
  std::string edge_model, calibrator;  // the device's model and its pixel calibrator
  std::string frame_calibrator;        // frame level, fitted on profiles made with both
  std::vector<std::string> train;      // training offload profiles: the gain model, scales and QP
  std::string server_model;            // the name the server knows it by
  std::string ground_truth;            // labels: the device's accuracy (required)
  double deadline_ms = 200, rtt_ms = 40;
  double bw_share = 1, price_scale = 1;  // plan's knobs (its summary's "settings")
  std::string preset = "veryfast";
  int threads = 0;  // inference threads of the device's model
  void check() const;
};

class CboLoop : public link::CameraLoop {
 public:
  explicit CboLoop(const LiveOptions& options);
  ~CboLoop() override;
  std::string system() const override { return "cbo"; }
  Json settings() const override;
  std::vector<std::string> models() const override { return {opt_.server_model}; }
  link::Prepared prepare(const link::CapturedSegment& segment, double estimated_kbps) override;
  void observe(const link::CapturedSegment& segment, const link::Prepared& p, const link::SegmentReport& r) override;
  Json summary() const override;

 private:
  LiveOptions opt_;
  Calibrator frame_;
  GainModel gains_;
  std::vector<double> scales_;
  int qp_ = 28;
  std::unique_ptr<nn::SegmentationModel> edge_;
  metrics::LabelSet truth_;
  video::Scaler scaler_;
  SenderPrice price_;
  double sender_free_s_ = 0;
  // Per frame, in order: the device's accuracy, and what became of it.
  struct FrameResult {
    double local = 0, accuracy = 0;
    int scale = -1;
    bool late = false, dropped = false;  // dropped: by the replay's queue, scored 0
    double bytes = 0;
  };
  std::vector<FrameResult> frames_;
  std::map<int64_t, double> local_;        // segment -> the device's accuracy, until observed
  std::map<int64_t, double> planned_end_;  // segment -> when its last byte was planned to leave
};

}  // namespace vssoff::cbo
