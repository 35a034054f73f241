// The policies of `plan`, one block each, and their registry (at the end). Each constructor
// takes what the policy is told beyond the DecisionContext.
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
//  - bandwidth-bound: told the true accuracy and bytes of every action on the current segment
//               and the true rate over the previous one: the cheapest action meeting the target
//               whose bytes fit share x that rate (none: the most accurate that fits; none: the
//               fewest bytes); the share from 1.0, 0.9, ..., 0.3 chosen in hindsight on this video
//               (see hindsight_best). A bound on what budgeting on the last rate allows.
//  - accuracy-bound: told every action's true accuracy on all past segments: the cheapest whose
//               mean or minimum over the last w in {1, 2, 3, 5, 8} segments reaches target +
//               margin in {0, 0.01, 0.02, 0.03, 0.05, 0.08} (none: the highest such prediction),
//               bandwidth ignored, the first segment the most expensive action; w, the aggregate
//               and the margin chosen in hindsight on this video. A bound on what predicting the
//               next segment from past ones can do.
// Neither bound is a default policy; scripts/penance_report.py pools their figures.
#include <algorithm>
#include <limits>
#include <map>

#include "core/error.h"
#include "penance/policy.h"

namespace vssoff::penance {
namespace {

size_t fewest_bytes(std::span<const double> bytes) {
  return static_cast<size_t>(std::min_element(bytes.begin(), bytes.end()) - bytes.begin());
}

// The cheapest action that meets the target within the limit; none: the most accurate within
// it; none: the fewest bytes.
size_t cheapest_meeting(std::span<const double> acc, std::span<const double> bytes, std::span<const double> cost,
                        double limit, double target) {
  const size_t A = acc.size();
  double best = std::numeric_limits<double>::infinity(), fallback_acc = -1;
  size_t found = A, fallback = fewest_bytes(bytes);
  for (size_t a = 0; a < A; ++a) {
    const bool fits = bytes[a] <= limit;
    if (fits && acc[a] >= target && cost[a] < best) best = cost[a], found = a;
    if (fits && acc[a] > fallback_acc) fallback_acc = acc[a], fallback = a;
  }
  return found < A ? found : fallback;
}

// The largest model at the best quality whose bytes fit; none: its worst quality.
size_t best_quality_fitting(const ActionGrid& grid, const std::vector<size_t>& order, double limit,
                            std::span<const double> bytes) {
  const size_t first = grid.largest_first();
  for (size_t k : order)
    if (bytes[first + k] <= limit) return first + k;
  return first + order.back();
}

// Hindsight choice among settings: the cheapest failing at most 5% of the segments counted,
// else the fewest failures (then the cheapest); ties go to the earlier setting.
struct Trial {
  double cost = 0, oracle_cost = 0;
  int64_t failures = 0, segments = 0;
  double failure_rate() const { return segments ? double(failures) / segments : 0; }
  Json json() const {
    return {{"cost_gflop", cost}, {"oracle_cost_gflop", oracle_cost}, {"failures", failures}, {"segments", segments}};
  }
};
size_t hindsight_best(const std::vector<Trial>& trials) {
  size_t best = trials.size();
  for (size_t i = 0; i < trials.size(); ++i)
    if (trials[i].failure_rate() <= 0.05 && (best == trials.size() || trials[i].cost < trials[best].cost)) best = i;
  if (best < trials.size()) return best;
  best = 0;
  for (size_t i = 1; i < trials.size(); ++i)
    if (std::make_pair(trials[i].failures, trials[i].cost) < std::make_pair(trials[best].failures, trials[best].cost))
      best = i;
  return best;
}

// ---- penance and persistence --------------------------------------------------------------
// penance: told nothing beyond the context; predicts accuracy from the served segment's
// statistics (observe). persistence: told every action's true accuracy on the previous
// segment (World), in place of the predictions.
class PenancePolicy : public Policy {
 public:
  PenancePolicy(const PolicyParams& params, const ActionGrid& grid, const Estimators& estimators,
                const World* previous_truth)
      : p_(params),
        grid_(grid),
        e_(estimators),
        order_(quality_order(grid, estimators)),
        truth_(previous_truth),
        m_{params.acc_margin, 0, params.bw_margin} {}

  Decision decide(const DecisionContext& c) override {
    const size_t s = c.segment_idx, A = grid_.actions.size();
    target_ = c.target;
    const std::vector<double> pred_bytes(c.predicted_bytes.begin(), c.predicted_bytes.end());
    const double limit = c.budget_bytes(c.estimated_kbps) * (1 - m_.bw_margin);
    pred_acc_.assign(A, NAN);
    Decision d;
    if (s == 0 || prev_stats_.empty()) {  // nothing observed yet: the best quality that fits
      d.action_idx = best_quality_fitting(grid_, order_, limit, pred_bytes);
    } else {
      if (!truth_) {
        pred_acc_ = e_.predict_accuracy(prev_stats_, static_cast<int>(prev_action_));
        for (size_t a = 0; a < A; ++a) pred_acc_[a] = std::clamp(pred_acc_[a] + m_.acc_shift * e_.acc_sd[a], 0.0, 1.0);
      } else {
        for (size_t a = 0; a < A; ++a) pred_acc_[a] = truth_->accuracy(s - 1, a);
      }
      const std::vector<double>& sd = truth_ ? e_.change_sd : e_.acc_sd;
      const std::vector<double> cost(c.cost_gflop.begin(), c.cost_gflop.end());
      d.action_idx = penance_choice(pred_acc_, sd, pred_bytes, cost, limit, c.target + m_.acc_margin, p_.confidence);
    }
    d.predicted_accuracy = pred_acc_[d.action_idx];
    predicted_[s] = d.predicted_accuracy;
    return d;
  }

  // Learns from what was observed of the segment served: a margin grows after a miss of its
  // kind and shrinks back to its floor otherwise; penance's shift corrects its predictions.
  void observe(const Outcome& o) override {
    m_.acc_margin = o.accuracy_miss ? std::min(0.2, m_.acc_margin + (target_ - o.accuracy) + 0.01)
                                    : std::max(p_.acc_margin, m_.acc_margin - 0.002);
    m_.bw_margin = o.bandwidth_miss ? std::min(0.6, m_.bw_margin + 0.1) : std::max(p_.bw_margin, m_.bw_margin - 0.02);
    // The prediction made for the observed segment (live, later segments may be decided already).
    const auto it = predicted_.find(o.segment_idx);
    const double predicted = it == predicted_.end() ? NAN : it->second;
    if (it != predicted_.end()) predicted_.erase(it);
    if (!truth_ && !std::isnan(predicted))
      m_.acc_shift += p_.acc_feedback * (o.accuracy - predicted) / std::max(0.005, e_.acc_sd[o.action_idx]);
    prev_stats_.assign(o.stats.begin(), o.stats.end());
    prev_action_ = o.action_idx;
  }

  std::optional<Margins> margins() const override { return m_; }

 private:
  const PolicyParams& p_;
  const ActionGrid& grid_;
  const Estimators& e_;
  const std::vector<size_t> order_;
  const World* truth_;  // persistence only
  Margins m_;           // shift: how far (in units of each action's error spread) the predictor has been off here
  double target_ = 0;
  std::vector<double> pred_acc_, prev_stats_;
  std::map<size_t, double> predicted_;  // segment -> predicted accuracy of its action, until observed
  size_t prev_action_ = 0;
};

// ---- oracle -------------------------------------------------------------------------------
// Told the true accuracy and bytes of every action on the current segment, and the true rate.
class OraclePolicy : public Policy {
 public:
  explicit OraclePolicy(const World& truth) : w_(truth) {}
  Decision decide(const DecisionContext& c) override {
    const size_t s = c.segment_idx, A = w_.actions();
    std::vector<double> acc(A), bytes(A);
    for (size_t a = 0; a < A; ++a) acc[a] = w_.accuracy(s, a), bytes[a] = w_.bytes(s, a);
    return {.action_idx = cheapest_meeting(acc, bytes, c.cost_gflop, w_.budget_bytes[s], c.target)};
  }

 private:
  const World& w_;
};

// ---- static -------------------------------------------------------------------------------
// Told everything in hindsight: the one action with the fewest failures over the video, then
// the cheapest.
class StaticPolicy : public Policy {
 public:
  StaticPolicy(const World& w, double target) {
    int64_t best_fail = std::numeric_limits<int64_t>::max();
    double best_cost = 0;
    for (size_t a = 0; a < w.actions(); ++a) {
      int64_t fail = 0;
      double c = 0;
      for (size_t s = 0; s < w.segments(); ++s) {
        fail += w.accuracy(s, a) < target || w.bytes(s, a) > w.budget_bytes[s];
        c += w.cost_gflop[s][a];
      }
      if (fail < best_fail || (fail == best_fail && c < best_cost)) best_fail = fail, best_cost = c, action_ = a;
    }
  }
  Decision decide(const DecisionContext&) override { return {.action_idx = action_}; }

 private:
  size_t action_ = 0;
};

// ---- bandwidth (AWStream-style) and largest -------------------------------------------------
// Told nothing beyond the context and the estimators' offline profile.
class BandwidthPolicy : public Policy {
 public:
  BandwidthPolicy(const ActionGrid& grid, const Estimators& e) : grid_(grid), order_(quality_order(grid, e)) {}
  Decision decide(const DecisionContext& c) override {
    return {.action_idx =
                best_quality_fitting(grid_, order_, c.budget_bytes(c.estimated_kbps) * 0.9, c.predicted_bytes)};
  }

 private:
  const ActionGrid& grid_;
  const std::vector<size_t> order_;
};

class LargestPolicy : public Policy {
 public:
  LargestPolicy(const ActionGrid& grid, const Estimators& e)
      : action_(grid.largest_first() + quality_order(grid, e).front()) {}
  Decision decide(const DecisionContext&) override { return {.action_idx = action_}; }

 private:
  size_t action_;
};

// ---- chameleon ----------------------------------------------------------------------------
// Told, on every reprofile_every-th segment, the true accuracy and bytes of every action there
// (it runs them all on the scored frames), at the price of that profiling.
class ChameleonPolicy : public Policy {
 public:
  ChameleonPolicy(const PolicyParams& p, const World& profiles) : p_(p), w_(profiles) {}
  Decision decide(const DecisionContext& c) override {
    const size_t s = c.segment_idx, A = w_.actions();
    std::vector<double> bytes(c.predicted_bytes.begin(), c.predicted_bytes.end());
    Decision d;
    if (s % static_cast<size_t>(p_.reprofile_every) == 0) {  // profile: true accuracy and bytes
      profiled_acc_.resize(A);
      for (size_t a = 0; a < A; ++a) profiled_acc_[a] = w_.accuracy(s, a), bytes[a] = w_.bytes(s, a);
      d.extra_cost_gflop = w_.profiling_gflop[s];
    }
    d.action_idx = cheapest_meeting(profiled_acc_, bytes, c.cost_gflop,
                                    c.budget_bytes(c.estimated_kbps) * (1 - p_.bw_margin), c.target);
    d.predicted_accuracy = profiled_acc_[d.action_idx];
    d.predicted_bytes = bytes[d.action_idx];
    return d;
  }

 private:
  const PolicyParams& p_;
  const World& w_;
  std::vector<double> profiled_acc_;  // true accuracies on the last profiled segment
};

// ---- bandwidth-bound ----------------------------------------------------------------------
// Told the true accuracy and bytes of every action on the current segment and the true rate
// over the previous one; it budgets a fixed share of that rate. The share is chosen in
// hindsight over the whole video (the World) on the feasible segments.
class BandwidthBoundPolicy : public Policy {
 public:
  // Ascending: between equally good shares the smaller, as scripts/penance_report.py chose.
  static constexpr double kShares[] = {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};

  BandwidthBoundPolicy(const World& w, double target) : w_(w) {
    std::vector<Trial> trials;
    for (double share : kShares) {
      Trial t;
      for (size_t s = 0; s < w.segments(); ++s) {
        double oracle = std::numeric_limits<double>::infinity();
        for (size_t a = 0; a < w.actions(); ++a)
          if (w.accuracy(s, a) >= target && w.bytes(s, a) <= w.budget_bytes[s])
            oracle = std::min(oracle, w.cost_gflop[s][a]);
        if (!std::isfinite(oracle)) continue;  // infeasible: every policy fails it
        const size_t j = choose(s, share, target);
        t.cost += w.cost_gflop[s][j];
        t.oracle_cost += oracle;
        t.failures += w.accuracy(s, j) < target || w.bytes(s, j) > w.budget_bytes[s];
        ++t.segments;
      }
      trials.push_back(t);
    }
    const size_t k = hindsight_best(trials);
    share_ = kShares[k];
    chosen_ = trials[k];
  }
  Decision decide(const DecisionContext& c) override {
    return {.action_idx = choose(c.segment_idx, share_, c.target), .predicted_accuracy = NAN};
  }
  Json settings() const override { return {{"share", share_}, {"selection", chosen_.json()}}; }

 private:
  // The cheapest action meeting the target whose true bytes fit share x the previous
  // segment's rate (the first segment: its own); none: the most accurate that fits; none:
  // the fewest bytes.
  size_t choose(size_t s, double share, double target) const {
    const double limit = share * w_.kbps[s ? s - 1 : 0] * 1000 / 8 * w_.duration_s[s];
    const size_t A = w_.actions();
    size_t found = A, fitting = A;
    for (size_t a = 0; a < A; ++a) {
      if (w_.bytes(s, a) > limit) continue;
      if (w_.accuracy(s, a) >= target && (found == A || w_.cost_gflop[s][a] < w_.cost_gflop[s][found])) found = a;
      if (fitting == A || w_.accuracy(s, a) > w_.accuracy(s, fitting)) fitting = a;
    }
    if (found < A) return found;
    if (fitting < A) return fitting;
    size_t fewest = 0;
    for (size_t a = 1; a < A; ++a)
      if (w_.bytes(s, a) < w_.bytes(s, fewest)) fewest = a;
    return fewest;
  }
  const World& w_;
  double share_ = 1;
  Trial chosen_;
};

// ---- accuracy-bound -----------------------------------------------------------------------
// Told every action's true accuracy on all past segments; predicts each action's accuracy as
// the mean or the minimum over the last `window` segments and takes the cheapest predicted to
// reach target + margin (none: the highest prediction); the first segment, with nothing seen,
// the most expensive action. Bandwidth ignored. The window, aggregate and margin are chosen in
// hindsight over the whole video (the World) on the segments where some action meets the
// target, counting accuracy misses only.
class AccuracyBoundPolicy : public Policy {
 public:
  static constexpr int kWindows[] = {1, 2, 3, 5, 8};
  static constexpr double kMargins[] = {0, 0.01, 0.02, 0.03, 0.05, 0.08};

  AccuracyBoundPolicy(const World& w, double target) : w_(w) {
    struct Setting {
      int window;
      bool minimum;
      double margin;
    };
    std::vector<Setting> settings;
    std::vector<Trial> trials;
    for (int window : kWindows)
      for (bool minimum : {false, true})
        for (double margin : kMargins) {
          Setting k{window, minimum, margin};
          Trial t;
          for (size_t s = 0; s < w.segments(); ++s) {
            double oracle = std::numeric_limits<double>::infinity();
            for (size_t a = 0; a < w.actions(); ++a)
              if (w.accuracy(s, a) >= target) oracle = std::min(oracle, w.cost_gflop[s][a]);
            if (!std::isfinite(oracle)) continue;
            const size_t j = choose(s, k.window, k.minimum, k.margin, target);
            t.cost += w.cost_gflop[s][j];
            t.oracle_cost += oracle;
            t.failures += w.accuracy(s, j) < target;
            ++t.segments;
          }
          settings.push_back(k);
          trials.push_back(t);
        }
    const size_t k = hindsight_best(trials);
    window_ = settings[k].window, minimum_ = settings[k].minimum, margin_ = settings[k].margin;
    chosen_ = trials[k];
  }
  Decision decide(const DecisionContext& c) override {
    Decision d;
    d.action_idx = choose(c.segment_idx, window_, minimum_, margin_, c.target, &d.predicted_accuracy);
    return d;
  }
  Json settings() const override {
    return {{"window", window_},
            {"aggregate", minimum_ ? "min" : "mean"},
            {"margin", margin_},
            {"selection", chosen_.json()}};
  }

 private:
  size_t choose(size_t s, int window, bool minimum, double margin, double target,
                double* predicted_accuracy = nullptr) const {
    const size_t A = w_.actions();
    const std::vector<double>& cost = w_.cost_gflop[s];
    if (s == 0) return static_cast<size_t>(std::max_element(cost.begin(), cost.end()) - cost.begin());
    const size_t from = s > static_cast<size_t>(window) ? s - window : 0;
    std::vector<double> pred(A);
    for (size_t a = 0; a < A; ++a) {
      double v = minimum ? std::numeric_limits<double>::infinity() : 0;
      for (size_t k = from; k < s; ++k) v = minimum ? std::min(v, w_.accuracy(k, a)) : v + w_.accuracy(k, a);
      pred[a] = minimum ? v : v / double(s - from);
    }
    size_t found = A;
    for (size_t a = 0; a < A; ++a)
      if (pred[a] >= target + margin && (found == A || cost[a] < cost[found])) found = a;
    if (found == A) found = static_cast<size_t>(std::max_element(pred.begin(), pred.end()) - pred.begin());
    if (predicted_accuracy) *predicted_accuracy = pred[found];
    return found;
  }
  const World& w_;
  int window_ = 1;
  bool minimum_ = false;
  double margin_ = 0;
  Trial chosen_;
};

const World& need_world(const PolicySetup& setup) { return *setup.world; }

}  // namespace

// ---- the registry -------------------------------------------------------------------------
const std::vector<PolicyInfo>& policy_registry() {
  static const std::vector<PolicyInfo> registry = {
      {"penance",
       "Penance: the cheapest action predicted (from the served segment's statistics) to meet target + margin within "
       "the "
       "predicted budget less a margin",
       true, false,
       [](const PolicySetup& s) { return std::make_unique<PenancePolicy>(s.params, s.grid, s.estimators, nullptr); }},
      {"oracle", "told each segment's true accuracies, bytes and rate: the cheapest action meeting both", true, true,
       [](const PolicySetup& s) { return std::make_unique<OraclePolicy>(need_world(s)); }},
      {"static", "the one action with the fewest failures over the video in hindsight, then the cheapest", true, true,
       [](const PolicySetup& s) { return std::make_unique<StaticPolicy>(need_world(s), s.target); }},
      {"bandwidth", "AWStream-style: the largest model at the best quality fitting the predicted budget less 10%", true,
       false, [](const PolicySetup& s) { return std::make_unique<BandwidthPolicy>(s.grid, s.estimators); }},
      {"largest", "the largest model at the best quality, always", true, false,
       [](const PolicySetup& s) { return std::make_unique<LargestPolicy>(s.grid, s.estimators); }},
      {"chameleon",
       "Chameleon-style: every action profiled every --reprofile-every segments, the cheapest meeting the target in "
       "between",
       true, true, [](const PolicySetup& s) { return std::make_unique<ChameleonPolicy>(s.params, need_world(s)); }},
      {"persistence", "penance told every action's true accuracy on the previous segment in place of its predictions",
       false, true,
       [](const PolicySetup& s) {
         return std::make_unique<PenancePolicy>(s.params, s.grid, s.estimators, &need_world(s));
       }},
      {"bandwidth-bound",
       "told the current segment's true accuracies and bytes, budgets a share (chosen in hindsight) of the previous "
       "segment's rate",
       false, true,
       [](const PolicySetup& s) { return std::make_unique<BandwidthBoundPolicy>(need_world(s), s.target); }},
      {"accuracy-bound",
       "told every action's true accuracy on past segments: their mean or minimum over a window plus a margin (chosen "
       "in "
       "hindsight), bandwidth ignored",
       false, true,
       [](const PolicySetup& s) { return std::make_unique<AccuracyBoundPolicy>(need_world(s), s.target); }},
  };
  return registry;
}

std::vector<std::string> policy_names(bool defaults_only) {
  std::vector<std::string> names;
  for (const auto& p : policy_registry())
    if (p.by_default || !defaults_only) names.push_back(p.name);
  return names;
}

const PolicyInfo& find_policy(const std::string& name) {
  for (const auto& p : policy_registry())
    if (p.name == name) return p;
  std::string known;
  for (const auto& n : policy_names()) known += (known.empty() ? "" : ", ") + n;
  throw UsageError(cat("unknown policy \"", name, "\" (known: ", known, ")"));
}

std::unique_ptr<Policy> make_policy(const std::string& name, const PolicySetup& setup) {
  const PolicyInfo& info = find_policy(name);
  check<UsageError>(setup.world || !info.needs_world, "policy ", name, " needs the truth of a replay (a World)");
  return info.make(setup);
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

std::vector<size_t> quality_order(const ActionGrid& grid, const Estimators& e) {
  // A small scale at a low QP can be worse than full size at a higher one.
  const size_t Q = grid.qps.size(), SC = grid.scales.size(), first = grid.largest_first();
  std::vector<size_t> order;
  for (size_t qi = 0; qi < Q; ++qi)
    for (size_t si = 0; si < SC; ++si) order.push_back(qi * SC + si);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::make_pair(grid.qps[a / SC], -grid.scales[a % SC]) <
           std::make_pair(grid.qps[b / SC], -grid.scales[b % SC]);
  });
  if (!e.mean_accuracy.empty())
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return e.mean_accuracy[first + a] > e.mean_accuracy[first + b]; });
  return order;
}

}  // namespace vssoff::penance
