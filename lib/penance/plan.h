// plan: Penance's per-segment choice of (server model, QP, scale), replayed over a profile
// table and a bandwidth trace, against the oracle and baselines. Torch-free.
//
// Each policy (penance/policy.h; the rules in penance/policies.cc) runs over the table by
// replay_policy (penance/replay.h); `policies` names them from policy_registry(). The oracle
// always runs, printed or not: every relative cost is to its cost.
#pragma once

#include <string>
#include <vector>

#include "core/manifest.h"
#include "penance/estimators.h"
#include "penance/replay.h"

namespace vssoff::penance {

inline constexpr int kPlanVersion = 2;

struct PlanOptions {
  std::string table, estimators, trace, output;            // output: plan .csv (summary in OUTPUT.json)
  std::vector<double> targets = {0.8};                     // accuracy targets (mIoU)
  std::vector<std::string> policies = policy_names(true);  // from policy_registry()
  double acc_margin = 0.02, bw_margin = 0.1;               // penance's starting (and smallest) margins
  double acc_feedback = 0.5;                               // penance's rate of correcting predictions from outcomes
  double confidence = 1;                                   // standard deviations of prediction error to allow for
  int reprofile_every = 10;                                // chameleon's profiling period, in segments
  double initial_kbps = 0;                                 // the sender's estimate before the first segment; 0 = the
                                                           // trace's rate over it (as if probed before streaming)
  std::string bitrate = "auto";                            // bytes predicted by: cnn, analytic, auto (cnn if trained)
  int threads = 0;
  bool force = false;
  void check() const;
};

struct PlanResult {
  std::vector<PolicySummary> summaries;
  int64_t infeasible_segments = 0;  // no action meets both constraints (per target, summed)
  Json manifest;
};

PlanResult plan(const PlanOptions& options);

}  // namespace vssoff::penance
