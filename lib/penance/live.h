// Penance's camera side in a live replay (link/replay.h): the same policy objects `plan`
// replays offline (penance/policy.h's registry; those that need no World), driven by
// what the live run measures.
//
// Per segment: the camera computes the bitrate estimator's features on the raw frames
// (penance/features.h: intra and inter complexity, two half-size probe encodes) and
// predicts the bytes of every (QP, scale) with the estimators' analytic form (the bitrate
// CNN needs the video file; plan --bitrate analytic is the like-for-like offline run); the
// server cost of every action is the server's model cost (from its welcome) at the scaled
// size times the segment's frames; the bandwidth estimate is the replay's. The policy
// decides; the camera encodes the segment at the chosen QP and scale and asks the chosen
// model for it. When the result comes back, the policy observes the accuracy (against the
// ground truth, as plan's profile tables measure it), the bytes, and the softmax statistics
// the server sent; a bandwidth miss is a segment whose last byte reached the server more
// than its duration after it was ready.
//
// Summary, as plan's: cost (GFLOPs served), misses, failures and their rate, mean accuracy.
// A segment the camera dropped, or whose result never came, counts as a failure.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "link/replay.h"
#include "nn/model_card.h"
#include "penance/estimators.h"
#include "penance/policy.h"
#include "video/scaler.h"

namespace vssoff::penance {

struct LiveOptions {
  std::string estimators;
  std::string policy = "penance";
  double target = 0.8;
  PolicyParams params;
  int score_frames = 10;            // frames of a segment the server scores (0 = all)
  std::string preset = "veryfast";  // x264
  int threads = 0;
};

class PenanceLoop : public link::CameraLoop {
 public:
  explicit PenanceLoop(const LiveOptions& options);
  ~PenanceLoop() override;
  std::string system() const override { return "penance"; }
  Json settings() const override;
  std::vector<std::string> models() const override { return estimators_.models; }
  void on_welcome(const Json& welcome) override;
  link::Prepared prepare(const link::CapturedSegment& segment, double estimated_kbps) override;
  void observe(const link::CapturedSegment& segment, const link::Prepared& p, const link::SegmentReport& r) override;
  Json summary() const override;

 private:
  LiveOptions opt_;
  Estimators estimators_;
  ActionGrid grid_;
  std::unique_ptr<Policy> policy_;
  std::map<std::string, nn::ModelCard> model_costs_;  // name -> the cost fields of the server's welcome
  video::Scaler scaler_;
  std::vector<size_t> chosen_;  // action per prepared segment, by segment index
  int64_t segments_ = 0, acc_misses_ = 0, bw_misses_ = 0, failures_ = 0, unanswered_ = 0;
  double cost_ = 0, accuracy_sum_ = 0;
};

}  // namespace vssoff::penance
