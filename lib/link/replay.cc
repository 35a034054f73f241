#include "link/replay.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <thread>

#include "core/csv.h"
#include "core/fs.h"
#include "core/log.h"
#include "link/client.h"
#include "link/net.h"
#include "link/trace.h"
#include "metrics/evaluate_segmentation.h"
#include "metrics/segmentation.h"
#include "video/chart.h"
#include "video/picture.h"
#include "video/reader.h"

namespace vssoff::link {

void ReplayOptions::check() const {
  vssoff::check<UsageError>(!input.empty() && !output.empty(), "replay: give the input video and --output");
  vssoff::check<UsageError>(!connect.empty(), "replay: give the server's (or the link's) address, --connect host:port");
  vssoff::check<UsageError>(segment_frames >= 1 && segment_frames <= 600, "--segment-frames: ", segment_frames,
                            "; give 1 to 600");
  vssoff::check<UsageError>(max_queue >= 1 && max_queue <= 1000, "--max-queue: ", max_queue, "; give 1 to 1000");
  vssoff::check<UsageError>(initial_kbps > 0, "--initial-kbps: ", initial_kbps, "; give a positive rate");
  vssoff::check<UsageError>(drain_s > 0 && give_up_s > 0, "--drain and --give-up: give positive times");
}

namespace {

// One segment's record, filled as it goes.
struct Row {
  CapturedSegment segment;  // frames released once sent
  Prepared prepared;
  double estimated_kbps = NAN, encode_ms = NAN, bytes = 0;
  uint64_t seq = 0;
  std::string status = "pending";
  Reply reply;
  bool answered = false;
  SegmentReport report;
  double send_start_s = NAN, send_end_s = NAN, recv_start_s = NAN, recv_end_s = NAN, result_s = NAN;
  double queue_ms = NAN, serve_ms = NAN;
  int64_t frame_count = 0;  // the segment's frames are released once it is observed; these stay
  double fps = 30;
  int64_t segment_frame_count() const { return frame_count; }
  double fps_value() const { return fps; }
  double segment_duration() const { return frame_count / fps; }
};

double percentile(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t i = static_cast<size_t>(pos);
  return i + 1 < v.size() ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[i];
}

// Mean and the half-width of its normal 95% interval, over the finite values.
std::pair<double, double> mean_ci(const std::vector<double>& v) {
  double s = 0, s2 = 0;
  int n = 0;
  for (double x : v)
    if (std::isfinite(x)) s += x, s2 += x * x, ++n;
  if (n == 0) return {NAN, NAN};
  const double m = s / n;
  const double var = n > 1 ? std::max(0.0, (s2 - n * m * m) / (n - 1)) : 0;
  return {m, 1.96 * std::sqrt(var / n)};
}

std::string num(double v) { return std::isfinite(v) ? csv_number(v) : ""; }

class Replay {
 public:
  Replay(const ReplayOptions& o, CameraLoop& loop) : opt_(o), loop_(loop) {}

  ReplaySummary run();

 private:
  const ReplayOptions& opt_;
  CameraLoop& loop_;
  std::unique_ptr<Client> client_;
  std::vector<Row> rows_;
  std::map<uint64_t, size_t> by_seq_;
  std::deque<double> throughputs_;
  int64_t t0_us_ = 0;
  size_t observed_ = 0;  // rows handed to loop.observe, in order
  metrics::LabelSet truth_;
  bool have_truth_ = false;
  int classes_ = 0;
  Json welcome_;
  std::atomic<bool> stop_{false};

  double since_start(int64_t us) const { return (us - t0_us_) / 1e6; }
  double estimate() const {
    if (throughputs_.empty()) return opt_.initial_kbps;
    double inv = 0;
    for (double k : throughputs_) inv += 1 / k;
    return throughputs_.size() / inv;
  }
  void take_replies(double timeout_s);
  void finish(Row& r, const Reply& reply);
  void observe_in_order();
  double score(const Row& r, const Message& m);
  ReplaySummary write_outputs();
};

double Replay::score(const Row& r, const Message& m) {
  if (!have_truth_) return NAN;
  const auto scored = m.meta.value("scored", std::vector<int64_t>{});
  const auto sizes = m.meta.value("labels_bytes", std::vector<int64_t>{});
  check<InputError>(sizes.size() == scored.size(), "segment ", r.segment.index, ": ", sizes.size(), " label maps for ",
                    scored.size(), " scored frames");
  metrics::ConfusionMatrix cm(classes_);
  size_t offset = 0;
  for (size_t j = 0; j < scored.size(); ++j) {
    check<InputError>(sizes[j] > 0 && offset + size_t(sizes[j]) <= m.data.size(), "segment ", r.segment.index,
                      ": label maps larger than the result");
    const video::Frame labels =
        video::decode_png(std::string_view(m.data).substr(offset, size_t(sizes[j])), video::PixelFormat::kGray8,
                          cat("segment ", r.segment.index, " labels"));
    offset += size_t(sizes[j]);
    const int64_t frame = r.segment.first_frame + scored[j];
    auto it = truth_.files.find(frame);
    check<InputError>(it != truth_.files.end(), opt_.ground_truth, ": no labels for frame ", frame);
    const video::Frame g = video::read_image(it->second, video::PixelFormat::kGray8);
    check<InputError>(g.width == labels.width && g.height == labels.height, it->second, ": ", g.width, "x", g.height,
                      ", the results are ", labels.width, "x", labels.height);
    cm.add(labels.plane(0), g.plane(0), size_t(g.width) * g.height);
  }
  return cm.mean_iou();
}

void Replay::finish(Row& r, const Reply& reply) {
  r.answered = true;
  r.reply = reply;
  std::string().swap(r.reply.message.data);  // the label maps are scored from `reply`; the row keeps no payload
  const Message& m = reply.message;
  r.send_start_s = since_start(reply.send_start_us);
  r.send_end_s = since_start(reply.send_end_us);
  r.result_s = since_start(reply.arrived_us);
  r.report.delay_s = r.result_s - r.segment.ready_s;
  const int64_t rs = m.meta.value("recv_start_us", int64_t(0)), re = m.meta.value("recv_end_us", int64_t(0));
  r.recv_start_s = since_start(client_->server_to_edge_us(rs));
  r.recv_end_s = since_start(client_->server_to_edge_us(re));
  r.queue_ms = m.meta.value("queue_ms", double(NAN));
  r.serve_ms = m.meta.value("serve_ms", double(NAN));
  r.report.bytes = r.bytes;
  r.report.upload_s = r.recv_end_s - r.segment.ready_s;
  // What the sender saw: bytes over the time from its first byte sent to the last one
  // received, as a streaming client times a download. The server's receive span alone would
  // learn the rate of a burst: a cellular link delivers a short message at many times its mean.
  const double span_s = r.recv_end_s - r.send_start_s;
  if (span_s > 0.002) {
    r.report.measured_kbps = r.bytes * 8 / span_s / 1000;
    throughputs_.push_back(r.report.measured_kbps);
    if (throughputs_.size() > 3) throughputs_.pop_front();
  }
  if (m.kind == MessageKind::kError) {
    r.status = "error: " + m.meta.value("reason", std::string("?"));
    log_warn("segment ", r.segment.index, ": ", r.status);
    return;
  }
  r.status = "ok";
  r.report.ok = true;
  for (const Json& v : m.meta.value("stats", Json::array()))
    r.report.stats.push_back(v.is_number() ? v.get<double>() : NAN);
  r.report.stat_names = m.meta.value("stat_names", std::vector<std::string>{});
  r.report.gflops = m.meta.value("gflops_per_frame", double(NAN)) * static_cast<double>(r.frame_count);
  r.report.accuracy = score(r, m);
}

void Replay::take_replies(double timeout_s) {
  const int64_t until = monotonic_us() + std::llround(std::max(timeout_s, 0.0) * 1e6);
  for (;;) {
    const double left = (until - monotonic_us()) / 1e6;
    std::optional<Reply> reply = client_->next_reply(std::max(left, 0.0));
    if (!reply) break;
    auto it = by_seq_.find(reply->message.seq);
    if (it != by_seq_.end()) {
      Row& r = rows_[it->second];
      try {
        finish(r, *reply);
      } catch (const std::exception& e) {  // a result that does not parse, or labels that do not fit
        r.status = cat("error: bad result: ", e.what());
        r.report = SegmentReport{};
        r.report.bytes = r.bytes;
        log_warn("segment ", r.segment.index, ": ", r.status);
      }
    }
    if (monotonic_us() >= until) break;
  }
  observe_in_order();
}

// The loop learns outcomes in segment order, as a sender would.
void Replay::observe_in_order() {
  while (observed_ < rows_.size() &&
         (rows_[observed_].answered || rows_[observed_].status == "dropped" || rows_[observed_].status == "local")) {
    Row& r = rows_[observed_++];
    loop_.observe(r.segment, r.prepared, r.report);
    // What the CSV needs is in the row's own fields now: a long run keeps a few hundred bytes
    // per segment.
    std::vector<video::Frame>().swap(r.segment.frames);
    std::string().swap(r.prepared.request.data);
    r.prepared.request.meta = Json();
    r.reply.message.meta = Json();
    std::vector<double>().swap(r.report.stats);
    std::vector<std::string>().swap(r.report.stat_names);
  }
}

ReplaySummary Replay::run() {
  opt_.check();
  check_output_path(opt_.output, opt_.force);
  check_output_path(replay_output_stem(opt_.output) + ".frames.csv", opt_.force);
  check_output_path(manifest_path_for(opt_.output), opt_.force);
  if (!opt_.plot.empty()) check_output_path(opt_.plot, opt_.force);
  if (!opt_.ground_truth.empty()) {
    truth_ = metrics::open_label_set(opt_.ground_truth);
    have_truth_ = true;
  }
  video::ReaderOptions ro;
  ro.threads = 1;  // the camera decodes one stream; the cores are the encoder's and the server's
  video::VideoReader reader(opt_.input, ro);
  const video::Rational fps = reader.info().fps;
  check<InputError>(fps.value() > 0, opt_.input, ": no frame rate");

  ClientOptions co;
  co.connect = opt_.connect;
  co.give_up_s = opt_.give_up_s;
  co.hello = {{"system", loop_.system()}, {"settings", loop_.settings()}, {"models", loop_.models()}};
  client_ = std::make_unique<Client>(co);
  welcome_ = client_->start();
  loop_.on_welcome(welcome_);
  if (have_truth_) {
    for (const Json& m : welcome_.value("models", Json::array()))
      classes_ = std::max(classes_, static_cast<int>(m.value("classes", Json::array()).size()));
    check<InputError>(classes_ > 0, "the server's welcome names no classes; cannot score against ", opt_.ground_truth);
  }
  log_info("", loop_.system(), " -> ", opt_.connect, ", clock offset ", client_->clock_offset_us() / 1000.0, " ms",
           opt_.fast ? ", as fast as possible" : ", in real time");
  InterruptHook hook([this](int) { stop_ = true; });

  const int64_t total = opt_.max_frames >= 0 ? opt_.max_frames : reader.info().frame_count;
  Progress progress("replayed", total);
  t0_us_ = monotonic_us();
  CapturedSegment seg;
  video::Frame f;
  int64_t index = 0;
  auto flush_segment = [&](bool last) {
    if (seg.frames.empty() || (!last && int(seg.frames.size()) < opt_.segment_frames)) return;
    seg.fps = fps;
    seg.ready_s = (seg.first_frame + int64_t(seg.frames.size()) - 1) / fps.value();
    Row r;
    r.segment = std::move(seg);
    r.frame_count = static_cast<int64_t>(r.segment.frames.size());
    r.fps = fps.value();
    seg = CapturedSegment{};
    seg.index = r.segment.index + 1;
    seg.first_frame = index;
    if (opt_.fast)  // wait for room instead of dropping
      while (client_->unanswered() >= size_t(opt_.max_queue) && !stop_) take_replies(0.05);
    r.estimated_kbps = estimate();
    if (client_->unanswered() >= size_t(opt_.max_queue)) {
      r.status = "dropped";
      log_warn("segment ", r.segment.index, " dropped: ", client_->unanswered(),
               " segments still wait for results (--max-queue ", opt_.max_queue, ")");
    } else {
      const int64_t e0 = monotonic_us();
      r.prepared = loop_.prepare(r.segment, r.estimated_kbps);
      r.encode_ms = (monotonic_us() - e0) / 1e3;
      if (r.prepared.local) {
        r.status = "local";
      } else {
        r.bytes = static_cast<double>(r.prepared.request.data.size());
        r.prepared.request.kind = MessageKind::kSegment;
        r.prepared.request.meta["segment"] = r.segment.index;
        r.seq = client_->send(r.prepared.request);
        by_seq_[r.seq] = rows_.size();
      }
    }
    rows_.push_back(std::move(r));
    observe_in_order();
  };
  std::string failure;  // the server is gone for good: write what was done, then fail
  try {
    while (!stop_ && (opt_.max_frames < 0 || index < opt_.max_frames) && reader.read(&f)) {
      if (!opt_.fast) {
        const double wait = index / fps.value() - since_start(monotonic_us());
        if (wait > 0) take_replies(wait);
      }
      if (stop_) break;
      f.index = index;
      if (seg.frames.empty()) seg.capture_start_s = index / fps.value();
      seg.frames.push_back(f);
      ++index;
      flush_segment(false);
      take_replies(0);
      progress.update(index);
    }
    if (!stop_) flush_segment(true);
    progress.finish();
    // Drain: every result that is still coming.
    const int64_t drain_until = monotonic_us() + std::llround(opt_.drain_s * 1e6);
    while (!stop_ && client_->unanswered() > 0 && monotonic_us() < drain_until) take_replies(0.1);
    if (client_->unanswered() > 0)
      log_warn(client_->unanswered(), stop_ ? " results not waited for (stopped)" : " results never came");
  } catch (const InputError& e) {
    failure = e.what();
    progress.finish();
  }
  for (Row& r : rows_)
    if (!r.answered && r.status == "pending") r.status = stop_ ? "unfinished" : "lost";
  if (!failure.empty()) log_warn(failure);
  while (observed_ < rows_.size()) {  // the loop sees every segment, answered or not
    Row& r = rows_[observed_++];
    loop_.observe(r.segment, r.prepared, r.report);
  }
  client_->stop();
  ReplaySummary summary = write_outputs();
  check<InputError>(failure.empty(), failure, "; wrote the ", rows_.size(), " segments so far to ", opt_.output);
  return summary;
}

ReplaySummary Replay::write_outputs() {
  CsvWriter seg_csv({"segment",
                     "first_frame",
                     "frames",
                     "capture_start_s",
                     "ready_s",
                     "action",
                     "estimated_kbps",
                     "predicted_bytes",
                     "bytes",
                     "encode_ms",
                     "send_start_s",
                     "send_end_s",
                     "server_recv_start_s",
                     "server_recv_end_s",
                     "queue_ms",
                     "serve_ms",
                     "result_s",
                     "delay_s",
                     "upload_s",
                     "measured_kbps",
                     "sends",
                     "gflops",
                     "accuracy",
                     "status"});
  CsvWriter frame_csv({"frame", "segment", "capture_s", "result_s", "delay_s"});
  ReplaySummary s;
  std::vector<double> seg_delay, frame_delay, accuracy;
  int64_t misses = 0;
  for (const Row& r : rows_) {
    const double delay = r.answered ? r.result_s - r.segment.ready_s : NAN;
    seg_csv.add_row({std::to_string(r.segment.index),
                     std::to_string(r.segment.first_frame),
                     std::to_string(r.segment_frame_count()),
                     num(r.segment.capture_start_s),
                     num(r.segment.ready_s),
                     r.prepared.action,
                     num(r.estimated_kbps),
                     num(r.prepared.predicted_bytes),
                     num(r.bytes),
                     num(r.encode_ms),
                     num(r.send_start_s),
                     num(r.send_end_s),
                     num(r.recv_start_s),
                     num(r.recv_end_s),
                     num(r.queue_ms),
                     num(r.serve_ms),
                     num(r.result_s),
                     num(delay),
                     num(r.report.upload_s),
                     num(r.report.measured_kbps),
                     std::to_string(r.reply.sends),
                     num(r.report.gflops),
                     num(r.report.accuracy),
                     r.status});
    ++s.segments;
    const bool local = r.status == "local";
    if (r.status == "dropped") ++s.dropped;
    if (local) ++s.local;
    if (r.status != "ok" && r.status != "dropped" && !local) ++s.errors;
    s.bytes += r.bytes;
    if (!local) seg_delay.push_back(delay);
    // A segment without a result counts as accuracy 0 when there is ground truth: a miss.
    if (have_truth_ && !local) accuracy.push_back(r.report.ok ? r.report.accuracy : 0.0);
    if (!r.report.ok && !local) ++misses;
    for (int64_t i = 0; i < r.segment_frame_count(); ++i) {
      const double capture = (r.segment.first_frame + i) / r.fps_value();
      const double fd = r.answered ? r.result_s - capture : NAN;
      if (!local) frame_delay.push_back(fd);
      frame_csv.add_row({std::to_string(r.segment.first_frame + i), std::to_string(r.segment.index), num(capture),
                         num(r.result_s), num(fd)});
      ++s.frames;
    }
  }
  s.mean_delay_s = mean_ci(seg_delay).first;
  s.p95_delay_s = percentile(seg_delay, 0.95);
  const auto [acc, acc_ci] = mean_ci(accuracy);
  s.mean_accuracy = acc;
  const auto [fmean, fci] = mean_ci(frame_delay);
  Json m = new_manifest("replay", kReplayVersion);
  m["params"] = {{"system", loop_.system()},    {"settings", loop_.settings()},
                 {"connect", opt_.connect},     {"segment_frames", opt_.segment_frames},
                 {"max_queue", opt_.max_queue}, {"initial_kbps", opt_.initial_kbps},
                 {"fast", opt_.fast},           {"max_frames", opt_.max_frames}};
  add_input(m, "video", opt_.input);
  if (!opt_.trace.empty()) add_input(m, "trace", opt_.trace);
  m["welcome"] = welcome_;
  m["clock_offset_ms"] = client_->clock_offset_us() / 1000.0;
  m["hello_round_trip_ms"] = client_->hello_round_trip_us() / 1000.0;  // the offset is good to half of it
  m["reconnects"] = client_->reconnects();
  m["interrupted"] = stop_.load();
  m["totals"] = {{"segments", s.segments},
                 {"dropped", s.dropped},
                 {"local", s.local},
                 {"failed", s.errors},
                 {"frames", s.frames},
                 {"bytes", s.bytes},
                 {"segment_delay_s", {{"mean", s.mean_delay_s}, {"p95", s.p95_delay_s}}},
                 {"frame_delay_s", {{"mean", fmean}, {"ci95", fci}, {"p95", percentile(frame_delay, 0.95)}}},
                 {"accuracy", have_truth_ ? Json{{"mean", acc}, {"ci95", acc_ci}, {"segments_without_result", misses}}
                                          : Json(nullptr)}};
  m["system"] = loop_.summary();
  const std::string frames_csv = replay_output_stem(opt_.output) + ".frames.csv";
  seg_csv.write(opt_.output, opt_.force);
  frame_csv.write(frames_csv, opt_.force);
  add_sidecar(m, "frames", manifest_path_for(opt_.output), frames_csv);
  s.manifest = m;
  write_manifest(manifest_path_for(opt_.output), m, opt_.force);
  if (!opt_.plot.empty()) {
    std::vector<double> t, kbps, seen, delay, accs;
    for (const Row& r : rows_) {
      t.push_back(r.segment.ready_s);
      kbps.push_back(r.bytes * 8 / r.segment_duration() / 1000);
      seen.push_back(r.report.measured_kbps);
      delay.push_back(r.answered ? r.result_s - r.segment.ready_s : NAN);
      accs.push_back(r.report.accuracy);
    }
    video::ChartPanel rate{"kbit/s",
                           {{"sent (segment bytes / duration)", t, kbps, {31, 119, 180}, false, true},
                            {"throughput the segment saw", t, seen, {148, 103, 189}, false, true}}};
    if (!opt_.trace.empty()) {
      const BandwidthTrace trace = read_trace(opt_.trace);
      std::vector<double> tt, tk;
      for (double x = 0; x <= (t.empty() ? 0 : t.back()); x += 1)
        tt.push_back(x), tk.push_back(trace.mean_kbps(x, x + 1));
      rate.series.push_back({"trace (1-s mean)", tt, tk, {214, 39, 40}, true, false});
    }
    std::vector<video::ChartPanel> panels = {rate,
                                             {"end-to-end delay (s)", {{"segment delay", t, delay, {255, 127, 14}}}}};
    if (have_truth_) panels.push_back({"mIoU", {{"accuracy", t, accs, {44, 160, 44}}}, 0, 1});
    video::write_chart(opt_.plot, cat("replay: ", loop_.system(), " (", opt_.input, ")"), "time (s)", panels,
                       opt_.force);
  }
  return s;
}

}  // namespace

ReplaySummary run_replay(const ReplayOptions& options, CameraLoop& loop) { return Replay(options, loop).run(); }

std::vector<int64_t> scored_positions(int n, int k) {
  std::vector<int64_t> p;
  if (k <= 0 || k >= n)
    for (int i = 0; i < n; ++i) p.push_back(i);
  else
    for (int j = 0; j < k; ++j) p.push_back(static_cast<int64_t>((j + 0.5) * n / k));
  return p;
}

link::Prepared segment_request(const codec::RoundTripResult& enc, const link::CapturedSegment& seg,
                               const std::string& model, int score_frames) {
  link::Prepared p;
  p.request.meta = {{"model", model},
                    {"width", enc.width},
                    {"height", enc.height},
                    {"out_width", seg.frames[0].width},
                    {"out_height", seg.frames[0].height},
                    {"packets", enc.packet_bytes},
                    {"score", scored_positions(static_cast<int>(seg.frames.size()), score_frames)}};
  p.request.data = enc.stream;
  return p;
}

std::vector<ThroughputWindow> throughput_windows(const std::string& link_log, double window_s) {
  const CsvTable t = read_csv(link_log);
  std::vector<ThroughputWindow> out;
  std::map<int64_t, std::pair<double, double>> sums;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    if (t.rows[i][t.column("direction")] != "up") continue;
    const double end = t.number(i, "t_s");
    const int64_t w = static_cast<int64_t>(std::floor((end - 1e-9) / window_s));
    sums[w].first += t.number(i, "delivered_bytes");
    sums[w].second += t.number(i, "capacity_bytes");
  }
  for (const auto& [w, v] : sums)
    out.push_back({w * window_s, v.first * 8 / window_s / 1000, v.second * 8 / window_s / 1000});
  return out;
}

}  // namespace vssoff::link
