#include "penance/plan.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/manifest.h"
#include "link/trace.h"

namespace fs = std::filesystem;

namespace vssoff::penance {

void PlanOptions::check() const {
  vssoff::check<UsageError>(!table.empty() && !estimators.empty() && !trace.empty() && !output.empty(),
                            "give the table, --estimators, --trace and -o");
  vssoff::check<UsageError>(fs::path(output).extension() == ".csv", "output must end in .csv (got ", output, ")");
  vssoff::check<UsageError>(!targets.empty(), "give at least one accuracy target");
  for (double t : targets) vssoff::check<UsageError>(t > 0 && t < 1, "targets must be in (0, 1) (got ", t, ")");
  for (const auto& p : policies) find_policy(p);  // UsageError naming the known ones
  vssoff::check<UsageError>(bitrate == "auto" || bitrate == "cnn" || bitrate == "analytic",
                            "bitrate must be auto, cnn or analytic (got ", bitrate, ")");
  vssoff::check<UsageError>(acc_margin >= 0 && acc_margin < 0.5 && bw_margin >= 0 && bw_margin < 1,
                            "margins out of range");
  vssoff::check<UsageError>(acc_feedback >= 0 && acc_feedback <= 1, "acc-feedback must be in [0, 1] (got ",
                            acc_feedback, ")");
  vssoff::check<UsageError>(confidence >= 0 && confidence <= 5, "confidence must be in [0, 5] (got ", confidence, ")");
  vssoff::check<UsageError>(reprofile_every >= 1, "reprofile-every must be >= 1 (got ", reprofile_every, ")");
  vssoff::check<UsageError>(initial_kbps >= 0, "initial-kbps must be >= 0 (got ", initial_kbps, ")");
}

PlanResult plan(const PlanOptions& opt) {
  opt.check();
  check_output_path(opt.output, opt.force);
  const std::string summary_path = manifest_path_for(opt.output);
  check_output_path(summary_path, opt.force);
  ProfileTable t = read_profile_table(opt.table);
  Estimators e = read_estimators(opt.estimators);
  e.check_fits(t);
  link::BandwidthTrace trace = link::read_trace(opt.trace);
  const size_t S = t.rows.size(), A = t.actions.size();
  World world;
  world.table = &t;
  std::vector<double> start(S);
  double time = 0;
  for (size_t s = 0; s < S; ++s) {
    start[s] = time;
    world.duration_s.push_back(t.frames[s] / t.fps);
    time += world.duration_s[s];
  }
  check<InputError>(trace.duration_s + 1e-9 >= time, opt.trace, ": the trace lasts ", trace.duration_s,
                    " s, the video ", time, " s; give a trace at least as long");
  auto budget = [&](size_t s, double kbps) { return kbps * 1000 / 8 * world.duration_s[s]; };
  for (size_t s = 0; s < S; ++s) {
    world.kbps.push_back(trace.mean_kbps(start[s], start[s] + world.duration_s[s]));
    world.budget_bytes.push_back(budget(s, world.kbps[s]));
  }
  // The sender's estimate before each segment: the lower of the rate over the last segment and
  // over its last half second (what a drop shows first); the first segment gets --initial-kbps, or
  // the rate at the start.
  std::vector<double> est_kbps(S, opt.initial_kbps > 0 ? opt.initial_kbps : world.kbps[0]);
  for (size_t s = 1; s < S; ++s)
    est_kbps[s] = std::min(world.kbps[s - 1], trace.mean_kbps(std::max(0.0, start[s] - 0.5), start[s]));
  // Camera-side byte predictions for every segment and action (those of its QP and scale), made once.
  const bool use_cnn = opt.bitrate == "cnn" || (opt.bitrate == "auto" && !e.cnn_weights.empty());
  const std::vector<std::vector<double>> predicted = e.predict_table_bytes(t, use_cnn, opt.threads);
  const size_t QS = t.qps.size() * t.scales.size();
  std::vector<std::vector<double>> predicted_bytes(S, std::vector<double>(A));
  for (size_t s = 0; s < S; ++s)
    for (size_t a = 0; a < A; ++a) predicted_bytes[s][a] = predicted[s][a % QS];
  // Server cost of every action on every segment (GFLOP), computed once for all policies; and
  // Chameleon's price for profiling a segment: every action on the frames the table scored.
  const int acc_frames = read_artefact(manifest_path_for(t.path), [&] {
    return json_get<int>(t.manifest.at("params"), "acc_frames", manifest_path_for(t.path), 0);
  });
  world.cost_gflop.assign(S, std::vector<double>(A));
  world.profiling_gflop.assign(S, 0);
  for (size_t s = 0; s < S; ++s) {
    const int scored = acc_frames > 0 ? std::min(acc_frames, t.frames[s]) : t.frames[s];
    for (size_t a = 0; a < A; ++a) {
      world.cost_gflop[s][a] = t.rows[s][a].gflops * t.frames[s];
      world.profiling_gflop[s] += t.rows[s][a].gflops * scored;
    }
  }
  const ActionGrid grid{t.models, t.qps, t.scales, t.actions};
  const PolicyParams params{.acc_margin = opt.acc_margin,
                            .bw_margin = opt.bw_margin,
                            .acc_feedback = opt.acc_feedback,
                            .confidence = opt.confidence,
                            .reprofile_every = opt.reprofile_every};

  CsvWriter rows({"target",         "policy",          "segment",    "start_s",   "kbps",
                  "budget_bytes",   "model",           "qp",         "scale",     "predicted_accuracy",
                  "accuracy",       "predicted_bytes", "bytes",      "gflops",    "accuracy_miss",
                  "bandwidth_miss", "feasible",        "acc_margin", "acc_shift", "bw_margin"});
  PlanResult result;
  for (double target : opt.targets) {
    ReplayInput replay{.world = &world,
                       .target = target,
                       .start_s = start,
                       .estimated_kbps = est_kbps,
                       .predicted_bytes = predicted_bytes,
                       .feasible = feasible_segments(world, target),
                       .idle_margins = {opt.acc_margin, 0, opt.bw_margin}};
    const int64_t infeasible = std::count(replay.feasible.begin(), replay.feasible.end(), false);
    if (infeasible > 0)
      log_warn("target ", target, ": on ", infeasible, " of ", S, " segments no action meets both the target and the ",
               "bandwidth; every policy fails those (the oracle takes the most accurate action that fits)");
    result.infeasible_segments += infeasible;
    const PolicySetup setup{.params = params, .grid = grid, .estimators = e, .target = target, .world = &world};
    auto run = [&](const std::string& name) { return replay_policy(*make_policy(name, setup), name, replay); };
    // The oracle's cost is every relative cost's denominator: run it whether or not it is listed.
    const bool listed = std::find(opt.policies.begin(), opt.policies.end(), "oracle") != opt.policies.end();
    const double oracle_cost = listed ? 0 : run("oracle").summary.cost;
    const size_t first = result.summaries.size();
    for (const std::string& policy : opt.policies) {
      ReplayResult r = run(policy);
      for (const ReplayRow& x : r.rows) {
        const Action& action = t.actions[x.action_idx];
        rows.add_row({csv_number(target),
                      policy,
                      std::to_string(x.segment_idx),
                      csv_number(x.start_s),
                      csv_number(x.kbps),
                      csv_number(x.budget_bytes),
                      action.model,
                      std::to_string(action.qp),
                      csv_number(action.scale),
                      std::isnan(x.predicted_accuracy) ? "" : csv_number(x.predicted_accuracy),
                      csv_number(x.accuracy),
                      csv_number(x.predicted_bytes),
                      csv_number(x.bytes),
                      csv_number(x.gflops),
                      x.accuracy_miss ? "1" : "0",
                      x.bandwidth_miss ? "1" : "0",
                      x.feasible ? "1" : "0",
                      csv_number(x.margins.acc_margin),
                      csv_number(x.margins.acc_shift),
                      csv_number(x.margins.bw_margin)});
      }
      result.summaries.push_back(std::move(r.summary));
    }
    double denominator = oracle_cost;
    for (size_t k = first; k < result.summaries.size(); ++k)
      if (result.summaries[k].policy == "oracle") denominator = result.summaries[k].cost;
    for (size_t k = first; k < result.summaries.size(); ++k)
      result.summaries[k].relative_cost = denominator > 0 ? result.summaries[k].cost / denominator : NAN;
  }

  Json m = new_manifest("plan", kPlanVersion);
  m["params"] = {{"targets", opt.targets},
                 {"policies", opt.policies},
                 {"acc_margin", opt.acc_margin},
                 {"acc_feedback", opt.acc_feedback},
                 {"confidence", opt.confidence},
                 {"reprofile_every", opt.reprofile_every},
                 {"initial_kbps", opt.initial_kbps},
                 {"bitrate", use_cnn ? "cnn" : "analytic"},
                 {"bw_margin", opt.bw_margin},
                 {"segments", S},
                 {"actions", A}};
  Json summaries = Json::array();
  for (const auto& s : result.summaries) {
    summaries.push_back({{"policy", s.policy},
                         {"target", s.target},
                         {"cost_gflop", s.cost},
                         {"cost_relative_to_oracle", s.relative_cost},
                         {"mean_accuracy", s.mean_accuracy},
                         {"failure_rate", s.failure_rate},
                         {"failures", s.failures},
                         {"feasible_segments", s.feasible_segments},
                         {"failures_on_feasible", s.feasible_failures},
                         {"accuracy_misses", s.acc_misses},
                         {"bandwidth_misses", s.bw_misses},
                         {"bytes", s.bytes},
                         {"segments", s.segments},
                         {"decision_us", s.decision_us},
                         {"profiling_gflop", s.profiling_cost}});
    if (!s.settings.is_null()) summaries.back()["settings"] = s.settings;  // the bounds' hindsight choices
  }
  m["summary"] = summaries;
  m["infeasible_segments"] = result.infeasible_segments;
  add_input(m, "table", opt.table);
  add_input(m, "estimators", opt.estimators);
  add_input(m, "trace", opt.trace);
  rows.write(opt.output, opt.force);
  add_sidecar(m, "plan", summary_path, opt.output);
  write_manifest(summary_path, m, opt.force);
  result.manifest = m;
  return result;
}

}  // namespace vssoff::penance
