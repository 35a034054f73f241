// plan: Penance's per-segment choice of (server model, QP, scale), replayed over a profile
// table and a bandwidth trace, against the oracle and baselines. Torch-free.
//
// Policies:
//  - penance:   the cheapest action whose predicted accuracy - confidence x the spread of its
//               prediction error (measured in training) >= target + accuracy margin and
//               whose predicted bytes <= predicted budget x (1 - bandwidth margin); between
//               equally cheap actions, the fewest predicted bytes. Accuracy is predicted from
//               the statistics of the segment just served; bytes from the camera-side
//               features of the segment about to be sent; the budget from the lower of the
//               bandwidth over the previous segment and over its last half second (a drop
//               shows there first). A margin grows after a miss of its kind (the accuracy
//               margin by the size of the miss) and shrinks back to its floor (the starting
//               margin) otherwise. The accuracy then measured of the served action corrects
//               later predictions: shift += acc_feedback x (measured - predicted) / spread of
//               the served action, and every action's prediction moves by shift x its own
//               spread (content the predictor misjudges stays misjudged for a while; actions
//               it predicts less well move more). Nothing predicted feasible: the action
//               within the budget with the highest predicted accuracy - confidence x spread;
//               nothing within it: the fewest bytes (penance_choice below).
//  - oracle:    true table values and the true bandwidth; the cheapest action meeting both
//               (none: the most accurate within the bandwidth, counted as a failure).
//  - static:    the one action, chosen in hindsight, with the fewest failures (then cheapest).
//  - bandwidth: AWStream-style: the largest model, the most accurate (QP, scale) whose
//               predicted bytes fit the predicted budget x (1 - 0.1); most accurate by the
//               mean accuracy in training that the estimators record (their offline profile).
//  - largest:   the largest model at the lowest QP and full resolution, always.
//  - chameleon: periodic re-profiling (Chameleon-style): every reprofile_every segments it
//               runs every action on the segment's scored frames, learns their true
//               accuracy and bytes there, and serves the cheapest action meeting the target
//               within the predicted budget. Until the next profile it keeps the actions
//               that met the target then, and serves the cheapest of them whose predicted
//               bytes fit the predicted budget (none: the most accurate of the last profile
//               that fits; none: the fewest bytes). Its cost includes the profiling: every
//               action's GFLOPs on the scored frames of each profiled segment.
//  - persistence: penance, but told every action's true accuracy on the previous segment in
//               place of its predictions: a bound on what predicting from the past can do on
//               this content (not one of the default policies).
// Failures: accuracy below the target, bytes above what the segment's bandwidth carries.
// A segment is feasible when some action meets both; every policy fails the others, so the
// summary also counts failures on feasible segments alone.
#pragma once

#include <string>
#include <vector>

#include "core/manifest.h"
#include "penance/estimators.h"

namespace vssoff::penance {

inline constexpr int kPlanVersion = 2;

// Bandwidth over time: a CSV with columns time_s,kbps (a step function), or a Mahimahi
// trace (one line per 1500-byte delivery opportunity, in ms).
struct BandwidthTrace {
  std::string path;
  std::vector<double> times, kbps;    // CSV form
  std::vector<double> deliveries_ms;  // Mahimahi form
  double duration_s = 0;
  double mean_kbps(double t0, double t1) const;  // average over [t0, t1)
};
BandwidthTrace read_trace(const std::string& path);

// Penance's choice for one segment, given every action's predicted accuracy, the spread of
// its prediction error, predicted bytes and server cost: the cheapest action (then the fewest
// bytes) with bytes <= limit and accuracy - confidence x spread >= needed; none: the one
// within the limit with the highest accuracy - confidence x spread; none within it: the
// fewest bytes.
size_t penance_choice(const std::vector<double>& pred_acc, const std::vector<double>& sd,
                      const std::vector<double>& pred_bytes, const std::vector<double>& cost, double limit,
                      double needed, double confidence);

struct PlanOptions {
  std::string table, estimators, trace, output;  // output: plan .csv (summary in OUTPUT.json)
  std::vector<double> targets = {0.8};           // accuracy targets (mIoU)
  std::vector<std::string> policies = {"penance", "oracle", "static", "bandwidth", "largest", "chameleon"};
  double acc_margin = 0.02, bw_margin = 0.1;  // penance's starting (and smallest) margins
  double acc_feedback = 0.5;                  // penance's rate of correcting predictions from outcomes
  double confidence = 1;                      // standard deviations of prediction error to allow for
  int reprofile_every = 10;                   // chameleon's profiling period, in segments
  double initial_kbps = 0;                    // the sender's estimate before the first segment; 0 = the
                                              // trace's rate over it (as if probed before streaming)
  std::string bitrate = "auto";               // bytes predicted by: cnn, analytic, auto (cnn if trained)
  int threads = 0;
  bool force = false;
  void check() const;
};

struct PolicySummary {
  std::string policy;
  double target = 0, cost = 0, relative_cost = 0, mean_accuracy = 0, failure_rate = 0;
  int64_t segments = 0, acc_misses = 0, bw_misses = 0, failures = 0, bytes = 0;
  int64_t feasible_segments = 0, feasible_failures = 0;  // failures where some action met both
  double decision_us = 0;                                // mean time of one decision
  double profiling_cost = 0;                             // GFLOP spent profiling (chameleon; part of cost)
};

struct PlanResult {
  std::vector<PolicySummary> summaries;
  int64_t infeasible_segments = 0;  // no action meets both constraints (per target, summed)
  Json manifest;
};

PlanResult plan(const PlanOptions& options);

}  // namespace vssoff::penance
