// CBO's offload decision: which frames to offload, at which resolution, so that the most
// accuracy arrives within a deadline. Torch-free. `plan` replays it over an offload profile
// (cbo/offload_profile.h) and a bandwidth trace.
//
// The device runs its model on every frame, then encodes the frame as an intra frame at
// every scale of the profile (so its bytes are known), one frame at a time, with the
// profile's measured times. It may also send the frame, at one of those scales, over one
// FIFO uplink to the server; the server's result counts if it is back by capture + deadline,
// otherwise the local one does. One frame is sent at a time; a send occupies the sender for
// its transmission (from the trace's delivery opportunities, as mm-link delivers 1500-byte
// packets); the result arrives after half the round trip, the server's queue (one worker)
// and its measured inference time, and the other half.
//
// Whenever the sender is idle it asks the policy, with the frames now pending (captured,
// locally segmented, not sent, not past their deadline: the window), which one to send next
// and at which scale, or none until the next frame is ready. Policies:
//   cbo        a multiple-choice knapsack over the window, solved exactly by a dynamic
//              programme over the sender's time, discretised in 1 ms steps, frames in
//              capture order (earliest deadline first, which is optimal for one sender):
//              value = the sum of expected gains (the expected server accuracy at the scale
//              minus the expected local accuracy) of the frames sent, subject to each
//              meeting its deadline at the estimated bandwidth; the first frame it sends
//              goes now, the rest is re-planned at the next decision (receding horizon).
//              The frames after the window are not known yet; what the sender's time is
//              worth to them enters as a price per second of sending, subtracted from each
//              send's gain: the dual price of the sender's time in the fluid version of the
//              problem over the last 30 frames (send a share of the frames at each scale,
//              at most all of them, within the sender's capacity at the estimated rate),
//              zero when the uplink can carry every frame at its best scale. A multiplier of
//              it (0, 0.5, 1, 1.5, 2) is chosen on the training profiles.
//   oracle     the same programme with each frame's true local and server accuracy and
//              the trace's true rate over the coming deadline (its price chosen on the
//              training profiles with their truth): an upper reference, not a policy.
//   never      every frame local.
//   always     every frame, oldest first, at the baseline scale when it fits the deadline.
//   raw-threshold, calibrated-threshold
//              frames whose raw mean top-1 probability (or calibrated expected accuracy) is
//              below a threshold, oldest first, at the baseline scale when they fit.
// Every policy's knobs are chosen by replaying it on the training profiles with the same
// trace, deadline and delays (each profile from three points of the trace, none overlapping
// the part the test video sees; the test profile gives only its length): the share of the
// bandwidth estimate it plans with (1, 0.8, 0.6, 0.4), the multiplier of cbo's and the
// oracle's price of time (0, 0.5, 1, 1.5, 2), and for the baselines the scale and the
// threshold (the 5% quantiles of the training confidences, or none).
//
// Bandwidth estimate: the bytes of the last five sends over their transmission times;
// before the first, the trace's mean over its first second (as if probed) or initial_kbps;
// after two seconds without a send, a probe: the trace's mean over the last second. Time
// starts at trace_offset_s into the trace, which wraps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cbo/calibrator.h"
#include "cbo/offload_profile.h"
#include "core/manifest.h"
#include "link/trace.h"

namespace vssoff::cbo {

inline constexpr int kOffloadPlanVersion = 1;

const std::vector<std::string>&
offload_policy_names();  // cbo, oracle, never, always, raw-threshold, calibrated-threshold

// A pending frame as a policy sees it.
struct PendingFrame {
  size_t frame = 0;             // index in the profile
  double deadline_s = 0;        // capture + deadline
  double local = 0;             // the policy's value of the local result
  std::vector<double> server;   // per scale: the policy's value of the server's result
  std::vector<double> bytes;    // per scale (the device has encoded it: known)
  std::vector<double> after_s;  // per scale: delay, server time and delay back after it
  double confidence = 0;        // what a threshold policy compares
};

struct SendChoice {
  int pending = -1, scale = -1;  // -1: send nothing now
};

// The dynamic programme of `cbo` (also the oracle's): the best first send of the window at
// now_s with the sender's bytes per second. step_s: the time discretisation.
// price: the accuracy one second of the sender is worth to the frames still to come,
// subtracted from each send's gain for the time it takes (0: the window alone counts).
SendChoice knapsack_first_send(const std::vector<PendingFrame>& window, double now_s, double bytes_per_s,
                               double price = 0, double step_s = 0.001);

// The cbo policy's memory: the last 30 frames it has seen, from which it prices the
// sender's time (the dual price of the fluid problem above, per second). Shared by plan's
// replay and the live camera loop (cbo/live.h).
class SenderPrice {
 public:
  void remember(const PendingFrame& frame);  // once per frame, in capture order
  double per_second(double bytes_per_s, double fps) const;

 private:
  std::vector<PendingFrame> recent_;
};

// The gain model: the expected gain of offloading at each scale (server minus local frame
// mIoU) against the expected local accuracy, the mean over training frames in 10 bins of
// equal mass; and the mean server time per scale. InputError for profiles of other scales.
struct GainModel {
  std::vector<double> edges;              // inner bin edges
  std::vector<std::vector<double>> gain;  // [bin][scale]
  std::vector<double> server_s;           // per scale
  const std::vector<double>& at(double expected_local) const;
  Json to_json() const;
};
GainModel fit_gain_model(const std::vector<OffloadProfile>& train, const FrameCalibrator& calibrator);

struct OffloadPlanOptions {
  std::string profile, output;     // the test profile; plan CSV (summary OUTPUT.json)
  std::vector<std::string> train;  // training profiles (the same edge model, calibrator, scales)
  std::string calibrator;          // frame-level calibrator of the edge model
  std::string trace;               // uplink trace (CSV time_s,kbps or Mahimahi)
  double trace_offset_s = 0;       // where in the trace the video starts (wraps)
  std::vector<double> deadlines_ms = {100, 200, 400};
  double rtt_ms = 40;       // round-trip propagation delay (half each way)
  double initial_kbps = 0;  // 0: the trace's mean over its first second from the offset
  std::vector<std::string> policies = offload_policy_names();
  std::string plot;  // accuracy against deadline (PNG), "" = none
  bool force = false;
  void check() const;
};

struct OffloadPolicyResult {
  std::string policy;
  double deadline_ms = 0;
  double accuracy = 0, ci_low = 0, ci_high = 0;  // mean frame mIoU; 95% block-bootstrap interval
  int64_t frames = 0, offloaded = 0, late = 0;   // late: sent, but the result missed the deadline
  std::vector<int64_t> per_scale;                // frames whose server result counted, per scale
  double bytes = 0, decision_us_mean = 0, decision_us_max = 0;
  Json settings;  // the knobs chosen on the training profiles
};

struct OffloadPlanResult {
  std::vector<OffloadPolicyResult> results;
  Json manifest;
};

OffloadPlanResult offload_plan(const OffloadPlanOptions& options);

}  // namespace vssoff::cbo
