// One loop that drives any Policy (penance/policy.h) over a profile table and a bandwidth
// trace, offline: for each segment in order it builds the DecisionContext, asks the policy,
// scores the chosen action with the table's true outcome against the link's true rate, and
// tells the policy what the server would have measured (observe). A live replay drives the
// same objects with measured outcomes instead.
//
// Failures: accuracy below the target, bytes above what the segment's bandwidth carries. A
// segment is feasible when some action meets both; every policy fails the others, so the
// summary also counts failures on feasible segments alone.
#pragma once

#include <string>
#include <vector>

#include "core/manifest.h"
#include "penance/policy.h"

namespace vssoff::penance {

// One replay: a video's table over a link, at one target. Built once, replayed by any policy.
struct ReplayInput {
  const World* world = nullptr;  // the truth that scores each decision
  double target = 0;
  std::vector<double> start_s;                       // of each segment
  std::vector<double> estimated_kbps;                // the sender's estimate before each segment
  std::vector<std::vector<double>> predicted_bytes;  // [segment][action]: the camera's predictions
  std::vector<bool> feasible;                        // some action meets the target and the rate
  Margins idle_margins;                              // printed for policies without margins (plan's starting margins)
};
// The true rate per segment, the feasibility at `target`.
std::vector<bool> feasible_segments(const World& world, double target);

struct PolicySummary {
  std::string policy;
  double target = 0, cost = 0, relative_cost = 0, mean_accuracy = 0, failure_rate = 0;
  int64_t segments = 0, acc_misses = 0, bw_misses = 0, failures = 0, bytes = 0;
  int64_t feasible_segments = 0, feasible_failures = 0;  // failures where some action met both
  double decision_us = 0;                                // mean time of one decision
  double profiling_cost = 0;                             // GFLOP spent profiling (chameleon; part of cost)
  Json settings;                                         // Policy::settings(), null for most
};

// One segment as replayed: the plan CSV's row.
struct ReplayRow {
  size_t segment_idx = 0, action_idx = 0;
  double start_s = 0, kbps = 0, budget_bytes = 0;
  double predicted_accuracy = NAN, accuracy = 0, predicted_bytes = 0, bytes = 0, gflops = 0;
  bool accuracy_miss = false, bandwidth_miss = false, feasible = false;
  Margins margins;  // after the decision, before the outcome
};

struct ReplayResult {
  std::vector<ReplayRow> rows;
  PolicySummary summary;  // relative_cost left 0: the caller knows the oracle's cost
};

ReplayResult replay_policy(Policy& policy, const std::string& name, const ReplayInput& input);

}  // namespace vssoff::penance
