#include "accmpeg/live.h"

#include <algorithm>
#include <cmath>

#include "codec/round_trip.h"
#include "core/error.h"
#include "core/plugin.h"
#include "core/threads.h"

namespace vssoff::accmpeg {

namespace {
codec::RoundTripOptions encode_options(const LiveOptions& o, const link::CapturedSegment& seg) {
  codec::RoundTripOptions r;
  r.preset = o.preset;
  r.gop_frames = static_cast<int>(seg.frames.size());
  r.fps = seg.fps;
  r.threads = o.threads;
  r.keep_stream = true;
  return r;
}
}  // namespace

AccMpegLoop::AccMpegLoop(const LiveOptions& o) : opt_(o) {
  opt_.params.check();
  check<UsageError>(!opt_.cheap_model.empty(), "replay --system accmpeg: give --cheap-model");
  is_sampled(0, false, 1, opt_.sample);  // checks the rule's name
  const int threads = opt_.threads > 0 ? opt_.threads : std::max(1, thread_budget() / 2);
  model_ = VSSOFF_PLUGIN_CALL(vssoff::accmpeg::open_importance_model)(opt_.cheap_model, threads);
  check<InputError>(opt_.params.graded == 0 || model_->has_relative(), opt_.cheap_model,
                    ": has no log-importance output, which --graded needs; retrain it with this vssoff's "
                    "train-cheap-model");
}

Json AccMpegLoop::settings() const {
  return {{"cheap_model", model_->card().name}, {"sample", opt_.sample},
          {"params", opt_.params.to_json()},    {"preset", opt_.preset},
          {"score_frames", opt_.score_frames},  {"server_model", opt_.server_model}};
}

void AccMpegLoop::on_welcome(const Json& welcome) {
  const nn::ModelCard& cheap = model_->card();
  const Json trained_for = cheap.produced_by.value("server_model", Json::object());
  const std::string want = trained_for.value("weights_sha256", "");
  for (const Json& m : welcome.value("models", Json::array())) {
    if (m.value("name", "") != opt_.server_model || want.empty()) continue;
    const std::string have = m.value("weights_sha256", "");
    check<InputError>(have == want, opt_.cheap_model, ": trained for server model ", trained_for.value("name", "?"),
                      " (weights sha256 ", want.substr(0, 12), "), but the server's ", opt_.server_model, " has ",
                      have.substr(0, 12), "; retrain it with train-cheap-model");
  }
}

link::Prepared AccMpegLoop::prepare(const link::CapturedSegment& seg, double) {
  const int n = static_cast<int>(seg.frames.size());
  const video::Frame& first = seg.frames[0];
  std::vector<int64_t> sampled;
  std::vector<float> importance, relative;
  video::Frame rgb;
  for (int i = 0; i < n; ++i) {
    if (!is_sampled(i, i == n - 1, n, opt_.sample)) continue;
    scaler_.convert(seg.frames[i], first.width, first.height, video::PixelFormat::kRgb24, &rgb);
    model_->score(rgb, &importance, &relative);
    sampled.push_back(i);
  }
  QpMapParams params = opt_.params;
  params.segment_frames = n;
  const int rows = video::mb_rows_for(first.height), cols = video::mb_cols_for(first.width);
  // Graded maps follow the predicted gradient, as qpmap does.
  const std::vector<float>& source = params.graded > 0 ? relative : importance;
  const codec::QpMap map = qp_map_from_importance(sampled, source, rows, cols, first.width, first.height, n, params);
  codec::RoundTripOptions ro = encode_options(opt_, seg);
  ro.qp = params.qp_hi;
  ro.mb_qp.assign(map.qp.begin(), map.qp.begin() + size_t(rows) * cols);
  const codec::RoundTripResult enc = codec::round_trip(seg.frames, ro, &scaler_);
  link::Prepared p = link::segment_request(enc, seg, opt_.server_model, opt_.score_frames);
  double mean = 0;
  for (size_t i = 0; i < ro.mb_qp.size(); ++i) mean += ro.mb_qp[i];
  p.action = cat("qp-map mean ", std::lround(mean / ro.mb_qp.size() * 10) / 10.0);
  return p;
}

UniformQpLoop::UniformQpLoop(const LiveOptions& o) : opt_(o) {
  check<UsageError>(!opt_.qps.empty(), "replay --system uniform: give --qps");
  std::sort(opt_.qps.begin(), opt_.qps.end());
  for (int q : opt_.qps) check<UsageError>(q >= 1 && q <= 51, "--qps: ", q, " is not a QP in [1, 51]");
  check<UsageError>(opt_.initial_qp >= 1 && opt_.initial_qp <= 51, "--initial-qp: ", opt_.initial_qp);
  check<UsageError>(opt_.bw_margin >= 0 && opt_.bw_margin < 1, "--bw-margin: ", opt_.bw_margin, "; give [0, 1)");
}

Json UniformQpLoop::settings() const {
  return {{"qps", opt_.qps},       {"initial_qp", opt_.initial_qp},     {"bw_margin", opt_.bw_margin},
          {"preset", opt_.preset}, {"score_frames", opt_.score_frames}, {"server_model", opt_.server_model}};
}

link::Prepared UniformQpLoop::prepare(const link::CapturedSegment& seg, double kbps) {
  const double budget = kbps * 1000 / 8 * seg.duration_s() * (1 - opt_.bw_margin);
  int qp = opt_.initial_qp;
  double predicted = NAN;
  if (last_qp_ > 0) {
    auto bytes_at = [&](int q) { return last_bytes_ * std::exp2((last_qp_ - q) / 6.0); };
    qp = opt_.qps.back();
    for (int q : opt_.qps)
      if (bytes_at(q) <= budget) {
        qp = q;
        break;
      }
    predicted = bytes_at(qp);
  }
  codec::RoundTripOptions ro = encode_options(opt_, seg);
  ro.qp = qp;
  const codec::RoundTripResult enc = codec::round_trip(seg.frames, ro, &scaler_);
  link::Prepared p = link::segment_request(enc, seg, opt_.server_model, opt_.score_frames);
  p.action = cat("qp", qp);
  p.predicted_bytes = predicted;
  last_qp_ = qp;
  last_bytes_ = static_cast<double>(enc.stream.size());
  return p;
}

void UniformQpLoop::observe(const link::CapturedSegment&, const link::Prepared&, const link::SegmentReport&) {}

}  // namespace vssoff::accmpeg
