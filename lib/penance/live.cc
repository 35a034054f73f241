#include "penance/live.h"

#include <cmath>

#include "codec/round_trip.h"
#include "core/error.h"
#include "penance/features.h"

namespace vssoff::penance {

PenanceLoop::PenanceLoop(const LiveOptions& o) : opt_(o), estimators_(read_estimators(o.estimators)) {
  check<UsageError>(opt_.target > 0 && opt_.target <= 1, "--target: ", opt_.target, "; give a mIoU in (0, 1]");
  check<UsageError>(!find_policy(opt_.policy).needs_world, "--policy ", opt_.policy,
                    " needs the truth of the whole run (an oracle or a bound), which a live run does not have");
  grid_ = ActionGrid{estimators_.models, estimators_.qps, estimators_.scales, estimators_.actions};
  const PolicySetup setup{.params = opt_.params, .grid = grid_, .estimators = estimators_, .target = opt_.target};
  policy_ = make_policy(opt_.policy, setup);
}

PenanceLoop::~PenanceLoop() = default;

Json PenanceLoop::settings() const {
  return {{"policy", opt_.policy},
          {"target", opt_.target},
          {"estimators", opt_.estimators},
          {"acc_margin", opt_.params.acc_margin},
          {"bw_margin", opt_.params.bw_margin},
          {"acc_feedback", opt_.params.acc_feedback},
          {"confidence", opt_.params.confidence},
          {"score_frames", opt_.score_frames},
          {"preset", opt_.preset},
          {"bitrate", "analytic"}};
}

void PenanceLoop::on_welcome(const Json& welcome) {
  for (const Json& m : welcome.value("models", Json::array())) {  // what ModelCard::gflops_at needs
    nn::ModelCard& c = model_costs_[m.value("name", "")];
    c.gflops = m.value("gflops", 0.0);
    c.cost_width = m.value("cost_width", 640);
    c.cost_height = m.value("cost_height", 360);
    c.input_width = m.value("input_width", 0);
    c.input_height = m.value("input_height", 0);
  }
  for (const std::string& name : estimators_.models)
    check<InputError>(model_costs_.contains(name), "the server has no model \"", name, "\", which ", opt_.estimators,
                      " was trained for");
}

link::Prepared PenanceLoop::prepare(const link::CapturedSegment& seg, double kbps) {
  const int n = static_cast<int>(seg.frames.size());
  const int W = seg.frames[0].width, H = seg.frames[0].height;
  const double intra = intra_complexity(seg.frames[0]), inter = inter_complexity(seg.frames);
  const double p26 = probe_bytes(seg.frames, seg.fps, 26, &scaler_),
               p38 = probe_bytes(seg.frames, seg.fps, 38, &scaler_);
  const size_t A = grid_.actions.size();
  std::vector<double> predicted(A), cost(A);
  for (size_t a = 0; a < A; ++a) {
    const Action& act = grid_.actions[a];
    const size_t qi = std::find(grid_.qps.begin(), grid_.qps.end(), act.qp) - grid_.qps.begin();
    const size_t si = std::find(grid_.scales.begin(), grid_.scales.end(), act.scale) - grid_.scales.begin();
    predicted[a] = estimators_.predict_bytes(int(qi), int(si), intra, inter, p26, p38);
    const nn::ModelCard& c = model_costs_.at(act.model);
    cost[a] = c.gflops_at(codec::scaled_size(W, act.scale), codec::scaled_size(H, act.scale)) * n;
  }
  const link::DecisionContext ctx{.segment_idx = static_cast<size_t>(seg.index),
                                  .duration_s = seg.duration_s(),
                                  .estimated_kbps = kbps,
                                  .target = opt_.target,
                                  .predicted_bytes = predicted,
                                  .cost_gflop = cost};
  const link::Decision d = policy_->decide(ctx);
  const Action& act = grid_.actions[d.action_idx];
  codec::RoundTripOptions ro;
  ro.qp = act.qp;
  ro.scale = act.scale;
  ro.preset = opt_.preset;
  ro.gop_frames = n;
  ro.fps = seg.fps;
  ro.threads = opt_.threads;
  ro.keep_stream = true;
  const codec::RoundTripResult enc = codec::round_trip(seg.frames, ro, &scaler_);
  link::Prepared p = link::segment_request(enc, seg, act.model, opt_.score_frames);
  p.action = act.name();
  p.predicted_bytes = std::isnan(d.predicted_bytes) ? predicted[d.action_idx] : d.predicted_bytes;
  p.gflops = cost[d.action_idx];
  if (chosen_.size() <= size_t(seg.index)) chosen_.resize(seg.index + 1, SIZE_MAX);
  chosen_[seg.index] = d.action_idx;
  return p;
}

void PenanceLoop::observe(const link::CapturedSegment& seg, const link::Prepared& p, const link::SegmentReport& r) {
  ++segments_;
  const bool decided = size_t(seg.index) < chosen_.size() && chosen_[seg.index] != SIZE_MAX;
  const double accuracy = r.ok && std::isfinite(r.accuracy) ? r.accuracy : 0;
  const bool acc_miss = accuracy < opt_.target;
  const bool bw_miss = !r.ok || !(r.upload_s <= seg.duration_s());
  if (!r.ok) ++unanswered_;
  acc_misses_ += acc_miss;
  bw_misses_ += bw_miss;
  failures_ += acc_miss || bw_miss;
  accuracy_sum_ += accuracy;
  if (r.ok) cost_ += std::isfinite(r.gflops) ? r.gflops : p.gflops;
  if (!decided) return;  // dropped before the policy was asked
  // The server's statistics in the estimators' order (missing or NaN as 0, as tables read them).
  std::vector<double> stats(estimators_.stat_names.size(), 0.0);
  for (size_t i = 0; i < stats.size(); ++i) {
    auto it = std::find(r.stat_names.begin(), r.stat_names.end(), estimators_.stat_names[i]);
    if (it != r.stat_names.end() && size_t(it - r.stat_names.begin()) < r.stats.size()) {
      const double v = r.stats[it - r.stat_names.begin()];
      stats[i] = std::isfinite(v) ? v : 0;
    }
  }
  link::Outcome o;
  o.segment_idx = static_cast<size_t>(seg.index);
  o.action_idx = chosen_[seg.index];
  o.accuracy = accuracy;
  o.bytes = r.bytes;
  o.stats = stats;
  o.accuracy_miss = acc_miss;
  o.bandwidth_miss = bw_miss;
  policy_->observe(o);
}

Json PenanceLoop::summary() const {
  const double n = std::max<int64_t>(segments_, 1);
  return {{"policy", opt_.policy},
          {"target", opt_.target},
          {"segments", segments_},
          {"cost_gflop", cost_},
          {"mean_accuracy", accuracy_sum_ / n},
          {"accuracy_misses", acc_misses_},
          {"bandwidth_misses", bw_misses_},
          {"failures", failures_},
          {"failure_rate", failures_ / n},
          {"without_result", unanswered_}};
}

}  // namespace vssoff::penance
