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

namespace fs = std::filesystem;

namespace vssoff::penance {

double BandwidthTrace::mean_kbps(double t0, double t1) const {
  if (!deliveries_ms.empty()) {
    auto lo = std::lower_bound(deliveries_ms.begin(), deliveries_ms.end(), t0 * 1000);
    auto hi = std::lower_bound(deliveries_ms.begin(), deliveries_ms.end(), t1 * 1000);
    return (hi - lo) * 1500.0 * 8 / (t1 - t0) / 1000;
  }
  double sum = 0;
  for (size_t i = 0; i < times.size(); ++i) {
    double a = std::max(t0, times[i]), b = std::min(t1, i + 1 < times.size() ? times[i + 1] : duration_s);
    if (b > a) sum += kbps[i] * (b - a);
  }
  return sum / (t1 - t0);
}

BandwidthTrace read_trace(const std::string& path) {
  check_input_file(path, "bandwidth trace");
  return read_artefact(path, [&] {
    BandwidthTrace t;
    t.path = path;
    std::string text = read_file(path);
    if (text.find(',') != std::string::npos) {
      CsvTable csv = read_csv(path);
      for (size_t r = 0; r < csv.rows.size(); ++r) {
        double time = csv.number(r, "time_s"), kbps = csv.number(r, "kbps");
        check<InputError>(kbps >= 0 && (t.times.empty() || time > t.times.back()), path, ": row ", r + 2,
                          ": times must increase and kbps be >= 0 (got ", time, ", ", kbps, ")");
        t.times.push_back(time);
        t.kbps.push_back(kbps);
      }
      check<InputError>(t.times.size() >= 2 && t.times[0] == 0, path,
                        ": a CSV trace starts at time_s 0 and has two rows or more");
      t.duration_s = t.times.back();  // the last row only marks the end
    } else {
      std::istringstream in(text);
      std::string line;
      for (int n = 1; std::getline(in, line); ++n) {
        if (line.empty()) continue;
        char* end = nullptr;
        double ms = std::strtod(line.c_str(), &end);
        check<InputError>(end && *end == '\0' && ms >= 0 && (t.deliveries_ms.empty() || ms >= t.deliveries_ms.back()),
                          path, ": line ", n, ": not a Mahimahi delivery time in ms (\"", line, "\")");
        t.deliveries_ms.push_back(ms);
      }
      check<InputError>(!t.deliveries_ms.empty(), path, ": empty trace");
      t.duration_s = t.deliveries_ms.back() / 1000;
    }
    return t;
  });
}

void PlanOptions::check() const {
  vssoff::check<UsageError>(!table.empty() && !estimators.empty() && !trace.empty() && !output.empty(),
                            "give the table, --estimators, --trace and -o");
  vssoff::check<UsageError>(fs::path(output).extension() == ".csv", "output must end in .csv (got ", output, ")");
  vssoff::check<UsageError>(!targets.empty(), "give at least one accuracy target");
  for (double t : targets) vssoff::check<UsageError>(t > 0 && t < 1, "targets must be in (0, 1) (got ", t, ")");
  for (const auto& p : policies)
    vssoff::check<UsageError>(p == "penance" || p == "oracle" || p == "static" || p == "bandwidth" || p == "largest" ||
                                  p == "persistence" || p == "chameleon",
                              "unknown policy \"", p,
                              "\" (penance, oracle, static, bandwidth, largest, chameleon, persistence)");
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

size_t penance_choice(const std::vector<double>& pred_acc, const std::vector<double>& sd,
                      const std::vector<double>& pred_bytes, const std::vector<double>& cost, double limit,
                      double needed, double confidence) {
  // An action qualifies when its predicted accuracy less `confidence` standard deviations of
  // its prediction error reaches what is needed: actions predicted less well (small scales,
  // high QPs) need more room. Then the cheapest, and between equally cheap ones (one model)
  // the fewest bytes, which leaves room for the bandwidth to drop. None qualifies: the highest
  // of those lower bounds, not the highest prediction, which a poorly predicted action could
  // win by its error alone.
  const size_t A = pred_acc.size();
  std::pair<double, double> best{std::numeric_limits<double>::infinity(), 0};
  double best_lower = -std::numeric_limits<double>::infinity();
  size_t choice = A, fallback = A;
  for (size_t a = 0; a < A; ++a) {
    if (pred_bytes[a] > limit) continue;
    const double lower = pred_acc[a] - confidence * sd[a];
    const std::pair<double, double> key{cost[a], pred_bytes[a]};
    if (lower >= needed && key < best) best = key, choice = a;
    if (lower > best_lower) best_lower = lower, fallback = a;
  }
  if (choice < A) return choice;
  if (fallback < A) return fallback;
  return static_cast<size_t>(std::min_element(pred_bytes.begin(), pred_bytes.end()) - pred_bytes.begin());
}

PlanResult plan(const PlanOptions& opt) {
  opt.check();
  check_output_path(opt.output, opt.force);
  const std::string summary_path = manifest_path_for(opt.output);
  check_output_path(summary_path, opt.force);
  ProfileTable t = read_profile_table(opt.table);
  Estimators e = read_estimators(opt.estimators);
  e.check_fits(t);
  BandwidthTrace trace = read_trace(opt.trace);
  const size_t S = t.rows.size(), A = t.actions.size();
  std::vector<double> start(S), dur(S), bw(S);
  double time = 0;
  for (size_t s = 0; s < S; ++s) {
    start[s] = time;
    dur[s] = t.frames[s] / t.fps;
    time += dur[s];
  }
  check<InputError>(trace.duration_s + 1e-9 >= time, opt.trace, ": the trace lasts ", trace.duration_s,
                    " s, the video ", time, " s; give a trace at least as long");
  for (size_t s = 0; s < S; ++s) bw[s] = trace.mean_kbps(start[s], start[s] + dur[s]);
  // The sender's estimate before each segment: the lower of the rate over the last segment and
  // over its last half second (what a drop shows first); the first segment gets --initial-kbps, or
  // the rate at the start.
  std::vector<double> est_kbps(S, opt.initial_kbps > 0 ? opt.initial_kbps : bw[0]);
  for (size_t s = 1; s < S; ++s)
    est_kbps[s] = std::min(bw[s - 1], trace.mean_kbps(std::max(0.0, start[s] - 0.5), start[s]));
  // Camera-side byte predictions for every segment and (QP, scale), made once.
  const bool use_cnn = opt.bitrate == "cnn" || (opt.bitrate == "auto" && !e.cnn_weights.empty());
  const std::vector<std::vector<double>> predicted = e.predict_table_bytes(t, use_cnn, opt.threads);
  auto budget = [&](size_t s, double kbps) { return kbps * 1000 / 8 * dur[s]; };
  // Action index helpers: actions are models x qps x scales.
  const size_t Q = t.qps.size(), SC = t.scales.size();
  // Server cost of every action on every segment (GFLOP), computed once for all policies.
  std::vector<std::vector<double>> seg_cost(S, std::vector<double>(A));
  for (size_t s = 0; s < S; ++s)
    for (size_t a = 0; a < A; ++a) seg_cost[s][a] = t.rows[s][a].gflops * t.frames[s];
  auto cost = [&](size_t s, size_t a) { return seg_cost[s][a]; };
  // Chameleon's price for profiling a segment: every action on the frames the table scored.
  const int acc_frames =
      read_artefact(manifest_path_for(t.path), [&] { return t.manifest.at("params").value("acc_frames", 0); });
  auto profiling_cost = [&](size_t s) {
    double c = 0;
    const int scored = acc_frames > 0 ? std::min(acc_frames, t.frames[s]) : t.frames[s];
    for (size_t a = 0; a < A; ++a) c += t.rows[s][a].gflops * scored;
    return c;
  };
  const size_t largest_first = (t.models.size() - 1) * Q * SC;
  // The largest model's (QP, scale) settings, best quality first: by their mean accuracy in
  // training (the estimators' offline profile, as AWStream ranks configurations), else by lowest
  // QP, then largest scale. A small scale at a low QP can be worse than full size at a higher one.
  std::vector<size_t> quality_order;
  for (size_t qi = 0; qi < Q; ++qi)
    for (size_t si = 0; si < SC; ++si) quality_order.push_back(qi * SC + si);
  std::sort(quality_order.begin(), quality_order.end(), [&](size_t a, size_t b) {
    return std::make_pair(t.qps[a / SC], -t.scales[a % SC]) < std::make_pair(t.qps[b / SC], -t.scales[b % SC]);
  });
  if (!e.mean_accuracy.empty())
    std::stable_sort(quality_order.begin(), quality_order.end(), [&](size_t a, size_t b) {
      return e.mean_accuracy[largest_first + a] > e.mean_accuracy[largest_first + b];
    });

  CsvWriter rows({"target",         "policy",          "segment",    "start_s",   "kbps",
                  "budget_bytes",   "model",           "qp",         "scale",     "predicted_accuracy",
                  "accuracy",       "predicted_bytes", "bytes",      "gflops",    "accuracy_miss",
                  "bandwidth_miss", "feasible",        "acc_margin", "acc_shift", "bw_margin"});
  PlanResult result;
  for (double target : opt.targets) {
    int64_t infeasible = 0;
    std::vector<bool> feasible(S, false);
    for (size_t s = 0; s < S; ++s) {
      for (size_t a = 0; a < A && !feasible[s]; ++a)
        feasible[s] = t.rows[s][a].accuracy >= target && t.rows[s][a].bytes <= budget(s, bw[s]);
      infeasible += !feasible[s];
    }
    if (infeasible > 0)
      log_warn("target ", target, ": on ", infeasible, " of ", S, " segments no action meets both the target and the ",
               "bandwidth; every policy fails those (the oracle takes the most accurate action that fits)");
    result.infeasible_segments += infeasible;
    // Hindsight static choice.
    size_t static_action = 0;
    {
      int64_t best_fail = std::numeric_limits<int64_t>::max();
      double best_cost = 0;
      for (size_t a = 0; a < A; ++a) {
        int64_t fail = 0;
        double c = 0;
        for (size_t s = 0; s < S; ++s) {
          fail += t.rows[s][a].accuracy < target || t.rows[s][a].bytes > budget(s, bw[s]);
          c += cost(s, a);
        }
        if (fail < best_fail || (fail == best_fail && c < best_cost))
          best_fail = fail, best_cost = c, static_action = a;
      }
    }
    double oracle_cost = 0;
    for (const std::string& policy : opt.policies) {
      PolicySummary sum;
      sum.policy = policy;
      sum.target = target;
      // shift: how far (in units of each action's error spread) the predictor has been off here
      double m_acc = opt.acc_margin, m_bw = opt.bw_margin, shift = 0, decision_s = 0;
      size_t prev = 0;
      std::vector<double> profiled_acc;  // chameleon: true accuracies on the last profiled segment
      for (size_t s = 0; s < S; ++s) {
        const double predicted_kbps = est_kbps[s];
        auto t0 = std::chrono::steady_clock::now();
        std::vector<double> pred_acc(A, NAN), pred_bytes(A);
        for (size_t a = 0; a < A; ++a) pred_bytes[a] = predicted[s][a % (Q * SC)];
        size_t choice = 0;
        auto fewest_bytes = [&](const std::vector<double>& bytes) {
          return static_cast<size_t>(std::min_element(bytes.begin(), bytes.end()) - bytes.begin());
        };
        auto best_quality_fitting = [&](size_t model_first, double limit, const std::vector<double>& bytes) {
          for (size_t k : quality_order)
            if (bytes[model_first + k] <= limit) return model_first + k;
          return model_first + quality_order.back();
        };
        // The cheapest action that meets the target within the limit; none: the most accurate
        // within it; none: the fewest bytes.
        auto cheapest_meeting = [&](const std::vector<double>& acc, const std::vector<double>& bytes, double limit) {
          double best = std::numeric_limits<double>::infinity(), fallback_acc = -1;
          size_t found = A, fallback = fewest_bytes(bytes);
          for (size_t a = 0; a < A; ++a) {
            const bool fits = bytes[a] <= limit;
            if (fits && acc[a] >= target && cost(s, a) < best) best = cost(s, a), found = a;
            if (fits && acc[a] > fallback_acc) fallback_acc = acc[a], fallback = a;
          }
          return found < A ? found : fallback;
        };
        if (policy == "oracle") {
          std::vector<double> truth_acc(A), truth_bytes(A);
          for (size_t a = 0; a < A; ++a) truth_acc[a] = t.rows[s][a].accuracy, truth_bytes[a] = t.rows[s][a].bytes;
          choice = cheapest_meeting(truth_acc, truth_bytes, budget(s, bw[s]));
        } else if (policy == "static") {
          choice = static_action;
        } else if (policy == "largest") {
          choice = largest_first + quality_order.front();
        } else if (policy == "chameleon") {
          if (s % static_cast<size_t>(opt.reprofile_every) == 0) {  // profile: true accuracy and bytes
            profiled_acc.resize(A);
            for (size_t a = 0; a < A; ++a) profiled_acc[a] = t.rows[s][a].accuracy, pred_bytes[a] = t.rows[s][a].bytes;
            sum.profiling_cost += profiling_cost(s);
          }
          choice = cheapest_meeting(profiled_acc, pred_bytes, budget(s, predicted_kbps) * (1 - opt.bw_margin));
          pred_acc = profiled_acc;
        } else if (policy == "bandwidth") {
          choice = best_quality_fitting(largest_first, budget(s, predicted_kbps) * 0.9, pred_bytes);
        } else {  // penance, or persistence: penance told every action's true accuracy on the last segment
          const double limit = budget(s, predicted_kbps) * (1 - m_bw);
          if (s == 0) {
            choice = best_quality_fitting(largest_first, limit, pred_bytes);
          } else {
            if (policy == "penance") {
              pred_acc = e.predict_accuracy(t.rows[s - 1][prev].stats, static_cast<int>(prev));
              for (size_t a = 0; a < A; ++a) pred_acc[a] = std::clamp(pred_acc[a] + shift * e.acc_sd[a], 0.0, 1.0);
            } else {
              for (size_t a = 0; a < A; ++a) pred_acc[a] = t.rows[s - 1][a].accuracy;
            }
            const std::vector<double>& sd = policy == "penance" ? e.acc_sd : e.change_sd;
            choice = penance_choice(pred_acc, sd, pred_bytes, seg_cost[s], limit, target + m_acc, opt.confidence);
          }
        }
        decision_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const SegmentRow& r = t.rows[s][choice];
        const bool acc_miss = r.accuracy<target, bw_miss = r.bytes> budget(s, bw[s]);
        rows.add_row({csv_number(target),
                      policy,
                      std::to_string(s),
                      csv_number(start[s]),
                      csv_number(bw[s]),
                      csv_number(budget(s, bw[s])),
                      t.actions[choice].model,
                      std::to_string(t.actions[choice].qp),
                      csv_number(t.actions[choice].scale),
                      std::isnan(pred_acc[choice]) ? "" : csv_number(pred_acc[choice]),
                      csv_number(r.accuracy),
                      csv_number(pred_bytes[choice]),
                      csv_number(r.bytes),
                      csv_number(r.gflops),
                      acc_miss ? "1" : "0",
                      bw_miss ? "1" : "0",
                      feasible[s] ? "1" : "0",
                      csv_number(m_acc),
                      csv_number(shift),
                      csv_number(m_bw)});
        if (policy == "penance" || policy == "persistence") {  // learn from what was observed of the segment served
          m_acc =
              acc_miss ? std::min(0.2, m_acc + (target - r.accuracy) + 0.01) : std::max(opt.acc_margin, m_acc - 0.002);
          m_bw = bw_miss ? std::min(0.6, m_bw + 0.1) : std::max(opt.bw_margin, m_bw - 0.02);
          if (policy == "penance" && !std::isnan(pred_acc[choice]))
            shift += opt.acc_feedback * (r.accuracy - pred_acc[choice]) / std::max(0.005, e.acc_sd[choice]);
        }
        prev = choice;
        sum.cost += cost(s, choice);
        sum.mean_accuracy += r.accuracy / S;
        sum.bytes += static_cast<int64_t>(r.bytes);
        sum.acc_misses += acc_miss;
        sum.bw_misses += bw_miss;
        sum.failures += acc_miss || bw_miss;
        sum.feasible_segments += feasible[s];
        sum.feasible_failures += feasible[s] && (acc_miss || bw_miss);
      }
      sum.cost += sum.profiling_cost;
      sum.segments = static_cast<int64_t>(S);
      sum.failure_rate = double(sum.failures) / S;
      sum.decision_us = 1e6 * decision_s / S;
      if (policy == "oracle") oracle_cost = sum.cost;
      result.summaries.push_back(sum);
    }
    if (oracle_cost == 0) {  // the oracle was not asked for: compute its cost for the ratio
      for (size_t s = 0; s < S; ++s) {
        double best = std::numeric_limits<double>::infinity();
        for (size_t a = 0; a < A; ++a)
          if (t.rows[s][a].accuracy >= target && t.rows[s][a].bytes <= budget(s, bw[s]))
            best = std::min(best, cost(s, a));
        if (std::isfinite(best)) oracle_cost += best;
      }
    }
    for (auto& sum : result.summaries)
      if (sum.target == target) sum.relative_cost = oracle_cost > 0 ? sum.cost / oracle_cost : NAN;
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
  for (const auto& s : result.summaries)
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
