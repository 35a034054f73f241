#include "penance/replay.h"

#include <chrono>

namespace vssoff::penance {

std::vector<bool> feasible_segments(const World& w, double target) {
  std::vector<bool> feasible(w.segments(), false);
  for (size_t s = 0; s < w.segments(); ++s)
    for (size_t a = 0; a < w.actions() && !feasible[s]; ++a)
      feasible[s] = w.accuracy(s, a) >= target && w.bytes(s, a) <= w.budget_bytes[s];
  return feasible;
}

ReplayResult replay_policy(Policy& policy, const std::string& name, const ReplayInput& in) {
  const World& w = *in.world;
  const size_t S = w.segments();
  ReplayResult result;
  PolicySummary& sum = result.summary;
  sum.policy = name;
  sum.target = in.target;
  double decision_s = 0;
  for (size_t s = 0; s < S; ++s) {
    DecisionContext context{.segment_idx = s,
                            .duration_s = w.duration_s[s],
                            .estimated_kbps = in.estimated_kbps[s],
                            .target = in.target,
                            .predicted_bytes = in.predicted_bytes[s],
                            .cost_gflop = w.cost_gflop[s]};
    auto t0 = std::chrono::steady_clock::now();
    const Decision d = policy.decide(context);
    decision_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const SegmentRow& r = w.table->rows[s][d.action_idx];
    ReplayRow row;
    row.segment_idx = s, row.action_idx = d.action_idx;
    row.start_s = in.start_s[s], row.kbps = w.kbps[s], row.budget_bytes = w.budget_bytes[s];
    row.predicted_accuracy = d.predicted_accuracy;
    row.predicted_bytes = std::isnan(d.predicted_bytes) ? in.predicted_bytes[s][d.action_idx] : d.predicted_bytes;
    row.accuracy = r.accuracy, row.bytes = r.bytes, row.gflops = r.gflops;
    row.accuracy_miss = r.accuracy < in.target;
    row.bandwidth_miss = r.bytes > w.budget_bytes[s];
    row.feasible = in.feasible[s];
    row.margins = policy.margins().value_or(in.idle_margins);
    policy.observe({.segment_idx = s,
                    .action_idx = d.action_idx,
                    .accuracy = r.accuracy,
                    .bytes = r.bytes,
                    .stats = r.stats,
                    .accuracy_miss = row.accuracy_miss,
                    .bandwidth_miss = row.bandwidth_miss});
    sum.profiling_cost += d.extra_cost_gflop;
    sum.cost += w.cost_gflop[s][d.action_idx];
    sum.mean_accuracy += r.accuracy / S;
    sum.bytes += static_cast<int64_t>(r.bytes);
    sum.acc_misses += row.accuracy_miss;
    sum.bw_misses += row.bandwidth_miss;
    sum.failures += row.accuracy_miss || row.bandwidth_miss;
    sum.feasible_segments += row.feasible;
    sum.feasible_failures += row.feasible && (row.accuracy_miss || row.bandwidth_miss);
    result.rows.push_back(row);
  }
  sum.cost += sum.profiling_cost;
  sum.segments = static_cast<int64_t>(S);
  sum.failure_rate = double(sum.failures) / S;
  sum.decision_us = 1e6 * decision_s / S;
  sum.settings = policy.settings();
  return result;
}

}  // namespace vssoff::penance
