#include "cbo/live.h"

#include <chrono>
#include <cmath>

#include "codec/round_trip.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/plugin.h"
#include "metrics/segmentation.h"
#include "nn/segmenter.h"
#include "video/picture.h"

namespace vssoff::cbo {

void LiveOptions::check() const {
  vssoff::check<UsageError>(!edge_model.empty() && !frame_calibrator.empty() && !train.empty(),
                            "replay --system cbo: give --edge-model, --frame-calibrator and --train");
  vssoff::check<UsageError>(!ground_truth.empty(),
                            "replay --system cbo scores the device's own results: give --ground-truth");
  vssoff::check<UsageError>(deadline_ms > rtt_ms && rtt_ms >= 0, "--deadline-ms ", deadline_ms,
                            " is not longer than the ", rtt_ms, " ms round trip");
  vssoff::check<UsageError>(bw_share > 0 && bw_share <= 1 && price_scale >= 0, "--bw-share must be in (0, 1] and ",
                            "--price-scale >= 0");
}

CboLoop::CboLoop(const LiveOptions& o) : opt_(o) {
  opt_.check();
  frame_ = read_calibrator(opt_.frame_calibrator);
  check<InputError>(frame_.level == "frame", opt_.frame_calibrator, ": a ", frame_.level,
                    "-level calibrator; give the frame-level one (calibrate on offload profiles)");
  std::vector<OffloadProfile> train;
  for (const std::string& t : opt_.train) train.push_back(read_offload_profile(t));
  const std::string pixel_sha = opt_.calibrator.empty() ? "" : sha256_file(opt_.calibrator);
  for (const OffloadProfile& p : train)
    check<InputError>(p.edge_name == frame_.model_name && p.calibrator_sha256 == frame_.pixel_sha256 &&
                          p.calibrator_sha256 == pixel_sha,
                      p.path, ": profiled with another edge model or pixel calibrator than ", opt_.frame_calibrator,
                      " and --calibrator");
  gains_ = fit_gain_model(train, frame_.frame);
  scales_ = train[0].scales, qp_ = train[0].qp;
  if (opt_.server_model.empty()) opt_.server_model = train[0].server_name;
  nn::SegmenterOptions so;
  so.threads = opt_.threads;
  if (!opt_.calibrator.empty()) so.calibration = read_calibrator(opt_.calibrator).for_segmenter();
  so.calibration.keep_raw = false;  // the device needs only the calibrated statistics
  edge_ = VSSOFF_PLUGIN_CALL(vssoff::nn::open_segmentation_model)(opt_.edge_model, so);
  check<InputError>(edge_->card().name == frame_.model_name, opt_.edge_model, ": model \"", edge_->card().name,
                    "\", but ", opt_.frame_calibrator, " is for \"", frame_.model_name, "\"");
  truth_ = metrics::open_label_set(opt_.ground_truth);
}

CboLoop::~CboLoop() = default;

Json CboLoop::settings() const {
  return {{"edge_model", edge_->card().name},
          {"server_model", opt_.server_model},
          {"scales", scales_},
          {"qp", qp_},
          {"deadline_ms", opt_.deadline_ms},
          {"rtt_ms", opt_.rtt_ms},
          {"bw_share", opt_.bw_share},
          {"price_scale", opt_.price_scale}};
}

link::Prepared CboLoop::prepare(const link::CapturedSegment& seg, double kbps) {
  check<UsageError>(seg.frames.size() == 1, "replay --system cbo decides per frame: give --segment-frames 1");
  const auto t0 = std::chrono::steady_clock::now();
  const video::Frame& f = seg.frames[0];
  video::Frame rgb;
  scaler_.convert(f, f.width, f.height, video::PixelFormat::kRgb24, &rgb);
  nn::Segmentation local = std::move(edge_->run({&rgb}, f.width, f.height)[0]);
  auto it = truth_.files.find(f.index);
  check<InputError>(it != truth_.files.end(), opt_.ground_truth, ": no labels for frame ", f.index);
  const video::Frame g = video::read_image(it->second, video::PixelFormat::kGray8);
  metrics::ConfusionMatrix cm(static_cast<int>(edge_->card().classes.size()));
  cm.add(local.labels.data(), g.plane(0), local.labels.size());
  local_[seg.index] = cm.mean_iou();

  const nn::SoftmaxStats& st = local.stats;
  PendingFrame p;
  p.frame = static_cast<size_t>(f.index);
  p.local = frame_.frame.predict(nn::stat_values(st));
  const std::vector<double>& gain = gains_.at(p.local);
  std::vector<codec::RoundTripResult> encoded;
  for (size_t s = 0; s < scales_.size(); ++s) {
    codec::RoundTripOptions ro;
    ro.qp = qp_, ro.scale = scales_[s], ro.preset = opt_.preset, ro.gop_frames = 1, ro.fps = seg.fps;
    ro.keep_stream = true;
    encoded.push_back(codec::round_trip(seg.frames, ro, &scaler_));
    p.server.push_back(p.local + gain[s]);
    p.bytes.push_back(static_cast<double>(encoded.back().stream.size()));
    p.after_s.push_back(opt_.rtt_ms / 1000 + gains_.server_s[s]);
  }
  price_.remember(p);
  const double busy_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double now = seg.ready_s + busy_s;
  p.deadline_s = seg.ready_s + opt_.deadline_ms / 1000;
  const double bps = kbps * 1000 / 8 * opt_.bw_share;
  const double start = std::max(now, sender_free_s_);
  const SendChoice c = knapsack_first_send({p}, start, bps, opt_.price_scale * price_.per_second(bps, seg.fps.value()));
  link::Prepared out;
  if (c.pending < 0) {
    out.local = true;
    out.action = "local";
    return out;
  }
  out = link::segment_request(encoded[c.scale], seg, opt_.server_model, 1);
  out.action = "cbo@" + scale_name(scales_[c.scale]);
  out.predicted_bytes = p.bytes[c.scale];
  sender_free_s_ = start + p.bytes[c.scale] / bps;
  planned_end_[seg.index] = sender_free_s_;
  return out;
}

void CboLoop::observe(const link::CapturedSegment& seg, const link::Prepared& p, const link::SegmentReport& r) {
  FrameResult fr;
  auto it = local_.find(seg.index);
  if (it == local_.end()) {  // dropped by the replay's queue before the device saw it: no result
    fr.dropped = true;
    frames_.push_back(fr);
    return;
  }
  fr.local = fr.accuracy = it->second;
  local_.erase(it);
  if (!p.local) {
    for (size_t s = 0; s < scales_.size(); ++s)
      if (p.action == "cbo@" + scale_name(scales_[s])) fr.scale = static_cast<int>(s);
    fr.bytes = r.bytes;
    auto planned = planned_end_.find(seg.index);
    if (planned != planned_end_.end()) {
      // The sends after it queue behind its real end: move them all back by its lateness.
      const double late_by = std::isfinite(r.upload_s) ? seg.ready_s + r.upload_s - planned->second : 0;
      planned_end_.erase(planned);
      if (late_by > 0) {
        sender_free_s_ += late_by;
        for (auto& [index, end] : planned_end_) end += late_by;
      }
    }
    const bool in_time = r.ok && std::isfinite(r.delay_s) && r.delay_s <= opt_.deadline_ms / 1000;
    fr.late = !in_time;
    if (in_time && std::isfinite(r.accuracy)) fr.accuracy = r.accuracy;
  }
  frames_.push_back(fr);
}

Json CboLoop::summary() const {
  const size_t n = frames_.size();
  double mean = 0, var = 0, local = 0, bytes = 0;
  int64_t offloaded = 0, late = 0, dropped = 0;
  std::vector<int64_t> per_scale(scales_.size(), 0);
  for (const FrameResult& f : frames_) {
    mean += f.accuracy / n, local += f.local / n, bytes += f.bytes;
    if (f.scale >= 0) ++offloaded, f.late ? ++late : ++per_scale[f.scale];
    dropped += f.dropped;
  }
  for (const FrameResult& f : frames_) var += (f.accuracy - mean) * (f.accuracy - mean) / std::max<size_t>(1, n - 1);
  Json counted = Json::object();
  for (size_t s = 0; s < scales_.size(); ++s) counted[scale_name(scales_[s])] = n ? double(per_scale[s]) / n : 0.0;
  return {{"frames", n},
          {"accuracy", mean},
          {"accuracy_ci95_iid", 1.96 * std::sqrt(var / std::max<size_t>(1, n))},
          {"local_accuracy", local},
          {"offloaded", offloaded},
          {"late", late},
          {"dropped", dropped},
          {"counted_fraction_per_scale", counted},
          {"bytes", bytes}};
}

}  // namespace vssoff::cbo
