#include "cbo/offload.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <memory>
#include <random>

#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "link/shaper.h"
#include "video/chart.h"

namespace vssoff::cbo {
namespace {

constexpr int kGainBins = 10;
constexpr int kTrainStarts = 3;  // each training profile is replayed from this many points of the trace

// What the device and the run's physics are, for one replay.
struct Setup {
  const link::DeliverySchedule* schedule = nullptr;
  double offset_s = 0, deadline_s = 0, rtt_s = 0, initial_bps = 0;
  double bw_share = 1;     // the share of the estimated bandwidth a policy plans with
  double price_scale = 0;  // cbo and oracle: multiplies their price of the sender's time
  double fps = 30;
};

double expected_local(const FrameCalibrator& f, const OffloadFrame& fr) { return f.predict(fr.stats); }

double finish_s(const Setup& st, double start_s, double bytes) {
  const int64_t t0 = std::llround((start_s + st.offset_s) * 1e6);
  const int64_t packets = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(bytes / link::kPacketBytes)));
  const int64_t k0 = st.schedule->first_at_or_after(t0);
  return double(st.schedule->at(k0 + packets - 1)) / 1e6 - st.offset_s;
}

// The trace's true rate over [t0, t1) (wrapping), in bytes per second.
double true_bps(const Setup& st, double t0, double t1) {
  const int64_t a = std::llround((t0 + st.offset_s) * 1e6), b = std::llround((t1 + st.offset_s) * 1e6);
  return double(st.schedule->count(a, b)) * link::kPacketBytes / std::max(1e-6, t1 - t0);
}

class OffloadPolicy {
 public:
  virtual ~OffloadPolicy() = default;
  // The values a pending frame carries for this policy.
  virtual void value(const OffloadFrame& f, PendingFrame* p) const = 0;
  virtual SendChoice choose(const std::vector<PendingFrame>& window, double now_s, double est_bps, const Setup& st) = 0;
};

class KnapsackPolicy : public OffloadPolicy {
 public:
  KnapsackPolicy(const FrameCalibrator* cal, const GainModel* gains) : cal_(cal), gains_(gains) {}
  void value(const OffloadFrame& f, PendingFrame* p) const override {
    if (!cal_) {  // the oracle: the truth
      p->local = f.local_miou, p->server = f.server_miou;
      return;
    }
    p->local = expected_local(*cal_, f);
    const std::vector<double>& g = gains_->at(p->local);
    p->server.resize(g.size());
    for (size_t s = 0; s < g.size(); ++s) p->server[s] = p->local + g[s];
  }
  SendChoice choose(const std::vector<PendingFrame>& w, double now, double est_bps, const Setup& st) override {
    const double bps = cal_ ? est_bps * st.bw_share : true_bps(st, now, now + st.deadline_s);
    for (const PendingFrame& p : w)
      if (p.frame >= seen_) seen_ = p.frame + 1, price_.remember(p);
    return knapsack_first_send(w, now, bps, st.price_scale * price_.per_second(bps, st.fps));
  }

 private:
  const FrameCalibrator* cal_;
  const GainModel* gains_;
  size_t seen_ = 0;
  SenderPrice price_;
};

class ThresholdPolicy : public OffloadPolicy {
 public:
  // confidence: 0 never offloads; kind "raw" or "calibrated"; threshold +inf: always.
  ThresholdPolicy(std::string kind, const FrameCalibrator* cal, double threshold, int scale)
      : kind_(std::move(kind)), cal_(cal), threshold_(threshold), scale_(scale) {}
  void value(const OffloadFrame& f, PendingFrame* p) const override {
    p->confidence = kind_ == "raw" ? f.raw_confidence : expected_local(*cal_, f);
  }
  SendChoice choose(const std::vector<PendingFrame>& w, double now, double est_bps, const Setup& st) override {
    if (scale_ < 0) return {};
    est_bps *= st.bw_share;
    for (size_t j = 0; j < w.size(); ++j) {
      const PendingFrame& p = w[j];
      if (!(p.confidence < threshold_)) continue;
      if (now + p.bytes[scale_] / est_bps + p.after_s[scale_] <= p.deadline_s) return {int(j), scale_};
    }
    return {};
  }

 private:
  std::string kind_;
  const FrameCalibrator* cal_;
  double threshold_;
  int scale_;
};

struct FrameOutcome {
  int scale = -1;  // the scale sent at, -1: not sent
  double send_s = NAN, result_s = NAN;
  bool counted = false;
  double accuracy = 0, value = 0;
};

struct Replay {
  std::vector<FrameOutcome> frames;
  std::vector<double> decision_us;
};

Replay replay(const OffloadProfile& p, OffloadPolicy& policy, const Setup& setup, const GainModel& g, double rtt_s) {
  Setup st = setup;
  st.fps = p.fps;
  const size_t n = p.frames.size(), S = p.scales.size();
  std::vector<double> capture(n), ready(n);
  for (size_t i = 0; i < n; ++i) {
    const OffloadFrame& f = p.frames[i];
    capture[i] = f.time_s - p.frames[0].time_s;
    double encode = 0;
    for (double e : f.encode_ms) encode += e;
    // The device works on one frame at a time: its model, then an encode at every scale.
    ready[i] = std::max(capture[i], i > 0 ? ready[i - 1] : 0.0) + (f.edge_ms + encode) / 1000;
  }
  Replay r;
  r.frames.resize(n);
  for (size_t i = 0; i < n; ++i) r.frames[i].accuracy = p.frames[i].local_miou;
  std::deque<size_t> pending;
  std::deque<std::pair<double, double>> sends;  // (bytes, transmission seconds) of the last five
  double t = 0, sender_free = 0, server_free = 0, refreshed_s = 0, probe_bps = st.initial_bps;
  auto estimate = [&] {
    if (t - refreshed_s > 2) {  // two seconds without a send: a probe measures the last second
      probe_bps = true_bps(st, std::max(0.0, t - 1), std::max(1.0, t));
      sends.clear();
      refreshed_s = t;
    }
    if (sends.empty()) return probe_bps;
    double bytes = 0, seconds = 0;
    for (const auto& [b, t] : sends) bytes += b, seconds += t;
    return bytes / std::max(seconds, 1e-6);
  };
  size_t next = 0;
  std::vector<PendingFrame> window;
  while (true) {
    t = std::max(t, sender_free);
    while (next < n && ready[next] <= t) pending.push_back(next++);
    while (!pending.empty() && capture[pending.front()] + st.deadline_s <= t) pending.pop_front();
    if (pending.empty()) {
      if (next >= n) break;
      t = ready[next];
      continue;
    }
    window.clear();
    for (size_t i : pending) {
      const OffloadFrame& f = p.frames[i];
      PendingFrame pf;
      pf.frame = i;
      pf.deadline_s = capture[i] + st.deadline_s;
      pf.bytes = f.bytes;
      pf.after_s.resize(S);
      for (size_t s = 0; s < S; ++s) pf.after_s[s] = rtt_s + g.server_s[s];
      policy.value(f, &pf);
      window.push_back(std::move(pf));
    }
    const auto t0 = std::chrono::steady_clock::now();
    const SendChoice c = policy.choose(window, t, estimate(), st);
    r.decision_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    if (c.pending < 0) {
      if (next >= n) break;
      t = ready[next];
      continue;
    }
    const size_t j = window[c.pending].frame;
    const OffloadFrame& f = p.frames[j];
    const double done = finish_s(st, t, f.bytes[c.scale]);
    sends.push_back({f.bytes[c.scale], done - t});
    refreshed_s = t;
    if (sends.size() > 5) sends.pop_front();
    const double start = std::max(done + rtt_s / 2, server_free);
    server_free = start + f.server_ms[c.scale] / 1000;
    FrameOutcome& o = r.frames[j];
    o.scale = c.scale, o.send_s = t, o.result_s = server_free + rtt_s / 2;
    o.counted = o.result_s <= capture[j] + st.deadline_s;
    if (o.counted) o.accuracy = f.server_miou[c.scale];
    pending.erase(pending.begin() + c.pending);
    sender_free = done;
  }
  return r;
}

double mean_accuracy(const Replay& r) {
  double s = 0;
  for (const FrameOutcome& o : r.frames) s += o.accuracy;
  return s / r.frames.size();
}

// 95% interval of the mean frame accuracy by a bootstrap of 1-second blocks (frames are
// correlated within a scene), 2000 resamples, seeded.
std::pair<double, double> block_ci(const Replay& r, size_t block) {
  const size_t n = r.frames.size(), blocks = (n + block - 1) / block;
  std::vector<double> sums(blocks, 0.0), counts(blocks, 0.0);
  for (size_t i = 0; i < n; ++i) sums[i / block] += r.frames[i].accuracy, counts[i / block] += 1;
  std::mt19937_64 rng(12345);
  std::uniform_int_distribution<size_t> pick(0, blocks - 1);
  std::vector<double> means;
  for (int k = 0; k < 2000; ++k) {
    double s = 0, c = 0;
    for (size_t b = 0; b < blocks; ++b) {
      const size_t x = pick(rng);
      s += sums[x], c += counts[x];
    }
    means.push_back(s / c);
  }
  std::sort(means.begin(), means.end());
  return {means[size_t(0.025 * means.size())], means[size_t(0.975 * means.size()) - 1]};
}

}  // namespace

const std::vector<double>& GainModel::at(double c) const {
  return gain[std::upper_bound(edges.begin(), edges.end(), c) - edges.begin()];
}

Json GainModel::to_json() const {
  return {{"bins", gain.size()}, {"edges", edges}, {"gain", gain}, {"server_s", server_s}};
}

GainModel fit_gain_model(const std::vector<OffloadProfile>& train, const FrameCalibrator& cal) {
  check<InputError>(!train.empty(), "no training profiles");
  std::vector<std::pair<double, const OffloadFrame*>> v;
  for (const OffloadProfile& p : train) {
    check<InputError>(p.scales == train[0].scales, p.path, ": scales differ from ", train[0].path, "'s");
    for (const OffloadFrame& f : p.frames) v.push_back({expected_local(cal, f), &f});
  }
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const size_t S = train[0].scales.size(), n = v.size();
  GainModel g;
  g.gain.assign(kGainBins, std::vector<double>(S, 0.0));
  g.server_s.assign(S, 0.0);
  std::vector<double> count(kGainBins, 0.0);
  for (int b = 1; b < kGainBins; ++b) g.edges.push_back(v[b * n / kGainBins].first);
  for (const auto& [c, f] : v) {
    const size_t b = std::upper_bound(g.edges.begin(), g.edges.end(), c) - g.edges.begin();
    count[b] += 1;
    for (size_t s = 0; s < S; ++s)
      g.gain[b][s] += f->server_miou[s] - f->local_miou, g.server_s[s] += f->server_ms[s] / 1000 / n;
  }
  for (int b = 0; b < kGainBins; ++b)
    for (size_t s = 0; s < S; ++s) g.gain[b][s] = count[b] > 0 ? g.gain[b][s] / count[b] : 0;
  return g;
}

void SenderPrice::remember(const PendingFrame& p) {
  recent_.push_back(p);
  if (recent_.size() > 30) recent_.erase(recent_.begin());
}

// The dual of "send a share x_s of the frames at scale s, maximising sum x_s g_s, with
// sum x_s <= 1 and fps sum x_s t_s <= 1" (g_s, t_s: the mean gain and transmission time at s
// over the recent frames): minimise f(l) = l + max(0, max_s (g_s - l fps t_s)) over l >= 0,
// convex and piecewise linear, so its minimum is at 0 or at a breakpoint. l fps is the
// price of a second of sending.
double SenderPrice::per_second(double bps, double fps) const {
  if (recent_.empty() || !(bps > 0)) return 0;
  const size_t S = recent_[0].bytes.size();
  std::vector<double> g(S, 0.0), t(S, 0.0);
  for (const PendingFrame& p : recent_)
    for (size_t s = 0; s < S; ++s) {
      g[s] += std::max(0.0, p.server[s] - p.local) / recent_.size();
      t[s] += p.bytes[s] / bps / recent_.size();
    }
  auto f = [&](double l) {
    double m = 0;
    for (size_t s = 0; s < S; ++s) m = std::max(m, g[s] - l * fps * t[s]);
    return l + m;
  };
  std::vector<double> candidates;
  for (size_t a = 0; a < S; ++a) {
    if (t[a] > 0) candidates.push_back(g[a] / (fps * t[a]));
    for (size_t b = 0; b < a; ++b)
      if (t[a] != t[b]) candidates.push_back((g[a] - g[b]) / (fps * (t[a] - t[b])));
  }
  double best = 0, best_f = f(0);
  for (double l : candidates)
    if (l > 0 && std::isfinite(l) && f(l) < best_f - 1e-12) best = l, best_f = f(l);
  return best * fps;
}

const std::vector<std::string>& offload_policy_names() {
  static const std::vector<std::string> n = {"cbo",    "oracle",        "never",
                                             "always", "raw-threshold", "calibrated-threshold"};
  return n;
}

SendChoice knapsack_first_send(const std::vector<PendingFrame>& w, double now, double bps, double price, double step) {
  if (w.empty() || !(bps > 0)) return {};
  const size_t n = w.size(), S = w[0].bytes.size();
  double horizon = 0;
  for (const PendingFrame& p : w) horizon = std::max(horizon, p.deadline_s - now);
  const int T = std::max(1, static_cast<int>(std::ceil(horizon / step)) + 1);
  // best[k][tau]: the most gain from frames k.. with the sender free at now + tau x step.
  // A send of frame k at scale s from tau ends at tau + busy[s], and fits when that end is
  // at most last[s] (its result is then back by the deadline).
  std::vector<double> best((n + 1) * T, 0.0);
  std::vector<int> pick(n * T, -1);
  std::vector<int> busy(S), last(S);
  std::vector<double> gain(S);
  for (size_t k = n; k-- > 0;) {
    const PendingFrame& p = w[k];
    for (size_t s = 0; s < S; ++s) {
      busy[s] = static_cast<int>(std::min<double>(T, std::ceil(p.bytes[s] / bps / step)));
      gain[s] = p.server[s] - p.local - price * busy[s] * step;
      last[s] = std::min<int>(T - 1, static_cast<int>(std::floor((p.deadline_s - p.after_s[s] - now) / step + 1e-9)));
    }
    const double* next = best.data() + (k + 1) * T;
    double* here = best.data() + k * T;
    int* choice = pick.data() + k * T;
    std::copy(next, next + T, here);
    for (size_t s = 0; s < S; ++s) {
      if (!(gain[s] > 0)) continue;
      for (int tau = 0; tau + busy[s] <= last[s]; ++tau) {
        const double total = gain[s] + next[tau + busy[s]];
        if (total > here[tau]) here[tau] = total, choice[tau] = static_cast<int>(s);
      }
    }
  }
  for (size_t k = 0; k < n; ++k)  // the first frame the optimal plan from tau 0 sends
    if (pick[k * T] >= 0) return {static_cast<int>(k), pick[k * T]};
  return {};
}

void OffloadPlanOptions::check() const {
  vssoff::check<UsageError>(!profile.empty() && !output.empty(), "give the offload profile and the plan (-o)");
  vssoff::check<UsageError>(!train.empty(), "give training offload profiles (--train)");
  vssoff::check<UsageError>(!calibrator.empty(), "give the frame-level calibrator (--calibrator)");
  vssoff::check<UsageError>(!trace.empty(), "give the uplink trace (--trace)");
  vssoff::check<UsageError>(!deadlines_ms.empty(), "give at least one deadline (--deadlines-ms)");
  vssoff::check<UsageError>(rtt_ms >= 0 && std::isfinite(rtt_ms), "--rtt-ms must be >= 0 (got ", rtt_ms, ")");
  for (double d : deadlines_ms)
    vssoff::check<UsageError>(d > rtt_ms && std::isfinite(d), "deadline ", d, " ms is not longer than the ", rtt_ms,
                              " ms round trip: no offloaded result could meet it");
  vssoff::check<UsageError>(trace_offset_s >= 0 && std::isfinite(trace_offset_s), "--trace-offset must be >= 0");
  vssoff::check<UsageError>(initial_kbps >= 0, "--initial-kbps must be >= 0");
  const auto& known = offload_policy_names();
  for (const std::string& p : policies)
    vssoff::check<UsageError>(std::find(known.begin(), known.end(), p) != known.end(), "unknown CBO policy \"", p,
                              "\" (cbo, oracle, never, always, raw-threshold, calibrated-threshold)");
}

OffloadPlanResult offload_plan(const OffloadPlanOptions& opt) {
  opt.check();
  check_output_path(opt.output, opt.force);
  check_output_path(manifest_path_for(opt.output), opt.force);
  if (!opt.plot.empty()) check_output_path(opt.plot, opt.force);
  const Calibrator cal = read_calibrator(opt.calibrator);
  check<InputError>(cal.level == "frame", opt.calibrator, ": a ", cal.level,
                    "-level calibrator; plan needs a frame-level one (calibrate on offload profiles)");
  std::vector<OffloadProfile> train;
  for (const std::string& t : opt.train) train.push_back(read_offload_profile(t));
  auto fits = [&](const OffloadProfile& p) {
    check<InputError>(
        p.edge_name == cal.model_name && p.edge_sha256 == cal.model_sha256 && p.calibrator_sha256 == cal.pixel_sha256,
        p.path, ": profiled with edge model \"", p.edge_name, "\" and pixel calibrator ",
        p.calibrator_sha256.empty() ? "none" : p.calibrator_sha256.substr(0, 12), ", but ", opt.calibrator,
        " is fitted for \"", cal.model_name, "\" with ",
        cal.pixel_sha256.empty() ? "none" : cal.pixel_sha256.substr(0, 12));
    check<InputError>(p.scales == train[0].scales && p.server_name == train[0].server_name, p.path,
                      ": scales or server model differ from ", train[0].path, "'s");
  };
  for (const OffloadProfile& p : train) fits(p);
  const GainModel gains = fit_gain_model(train, cal.frame);

  const link::BandwidthTrace trace = link::read_trace(opt.trace);
  const link::DeliverySchedule schedule(trace);
  auto setup_for = [&](double offset, double deadline_ms) {
    Setup st;
    st.schedule = &schedule, st.offset_s = offset, st.deadline_s = deadline_ms / 1000, st.rtt_s = opt.rtt_ms / 1000;
    st.initial_bps = opt.initial_kbps > 0 ? opt.initial_kbps * 1000 / 8 : true_bps(st, 0, 1);
    return st;
  };

  const OffloadProfile test = read_offload_profile(opt.profile);
  fits(test);
  const double video_s = test.frames.back().time_s - test.frames.front().time_s + 1 / test.fps;
  // The training replays start at 37 i + 101 k s (k = 0, 1, 2) into the trace, moved on in
  // 13 s steps until their window does not overlap the test video's (the trace wraps), so
  // that no knob is chosen on the bandwidth the test video sees.
  const double period_s = schedule.period_us() / 1e6;
  auto overlaps = [&](double a, double la, double b, double lb) {
    a = std::fmod(a, period_s), b = std::fmod(b, period_s);
    for (double shift : {-period_s, 0.0, period_s})
      if (a + shift < b + lb && b < a + shift + la) return true;
    return false;
  };
  std::vector<std::vector<double>> train_offsets(train.size());
  for (size_t i = 0; i < train.size(); ++i) {
    const double len = train[i].frames.back().time_s - train[i].frames.front().time_s + 1 / train[i].fps + 1;
    for (int k = 0; k < kTrainStarts; ++k) {
      double o = 37.0 * i + 101.0 * k;
      for (int step = 0; step < 1000 && overlaps(o, len, opt.trace_offset_s, video_s + 1); ++step) o += 13;
      if (overlaps(o, len, opt.trace_offset_s, video_s + 1))
        log_warn(opt.trace, ": too short to keep the training replays off the test video's part of it");
      train_offsets[i].push_back(o);
    }
  }
  // Every policy's knobs, chosen on the training profiles replayed from those offsets: the
  // share of the bandwidth estimate it plans with, the multiplier of the knapsack policies'
  // price of time, and for the threshold baselines the scale and the threshold (the 5%
  // quantiles of the training confidences, and none).
  struct Knobs {
    double share = 1, threshold = INFINITY;
    int scale = -1;
    double price = 0;  // the multiplier of the knapsack policies' price
  };
  auto make = [&](const std::string& name, const Knobs& k) -> std::unique_ptr<OffloadPolicy> {
    if (name == "cbo") return std::make_unique<KnapsackPolicy>(&cal.frame, &gains);
    if (name == "oracle") return std::make_unique<KnapsackPolicy>(nullptr, nullptr);
    if (name == "never") return std::make_unique<ThresholdPolicy>("raw", &cal.frame, 0, -1);
    return std::make_unique<ThresholdPolicy>(name == "calibrated-threshold" ? "calibrated" : "raw", &cal.frame,
                                             k.threshold, k.scale);
  };
  auto tune = [&](const std::string& name, double deadline_ms, Json* settings) {
    Knobs best_k;
    if (name == "never") return best_k;
    const bool knapsack = name == "cbo" || name == "oracle";
    std::vector<double> thresholds = {INFINITY};
    if (name.ends_with("threshold")) {
      std::vector<double> conf;
      for (const OffloadProfile& p : train)
        for (const OffloadFrame& f : p.frames)
          conf.push_back(name == "raw-threshold" ? f.raw_confidence : cal.frame.predict(f.stats));
      std::sort(conf.begin(), conf.end());
      for (int q = 1; q < 20; ++q) thresholds.push_back(conf[q * (conf.size() - 1) / 20]);
    }
    const int scales = knapsack ? 1 : int(train[0].scales.size());
    const std::vector<double> shares =
        name == "oracle" ? std::vector<double>{1.0} : std::vector<double>{1, 0.8, 0.6, 0.4};
    const std::vector<double> prices = knapsack ? std::vector<double>{0, 0.5, 1, 1.5, 2} : std::vector<double>{0};
    double best = -1;
    for (double share : shares)
      for (double price : prices)
        for (int s = 0; s < scales; ++s)
          for (double th : thresholds) {
            const Knobs k{share, th, knapsack ? -1 : s, price};
            double acc = 0, frames = 0;
            for (size_t i = 0; i < train.size(); ++i)
              for (int rep = 0; rep < kTrainStarts; ++rep) {
                Setup st = setup_for(train_offsets[i][rep], deadline_ms);
                st.bw_share = share, st.price_scale = price;
                auto pol = make(name, k);
                const Replay r = replay(train[i], *pol, st, gains, opt.rtt_ms / 1000);
                acc += mean_accuracy(r) * r.frames.size(), frames += r.frames.size();
              }
            if (acc / frames > best) best = acc / frames, best_k = k;
          }
    *settings = {{"bandwidth_share", best_k.share}, {"training_accuracy", best}};
    if (knapsack) (*settings)["price_scale"] = best_k.price;
    if (!knapsack) (*settings)["scale"] = train[0].scales[best_k.scale];
    if (name.ends_with("threshold"))
      (*settings)["threshold"] = std::isinf(best_k.threshold) ? Json(nullptr) : Json(best_k.threshold);
    return best_k;
  };

  if (trace.duration_s < opt.trace_offset_s + video_s)
    log_warn(opt.trace, ": lasts ", trace.duration_s, " s, less than the offset plus the video (",
             opt.trace_offset_s + video_s, " s); it wraps, as mm-link repeats it");
  double mean_edge_ms = 0;
  for (const OffloadFrame& f : test.frames) mean_edge_ms += f.edge_ms / test.frames.size();
  for (double d : opt.deadlines_ms)
    check<UsageError>(d > mean_edge_ms, "deadline ", d, " ms is shorter than the on-device inference (", mean_edge_ms,
                      " ms on average in ", opt.profile, ")");

  std::vector<std::string> columns = {"deadline_ms", "policy",  "frame",    "action",     "send_s",
                                      "result_s",    "counted", "accuracy", "local_miou", "bytes"};
  CsvWriter csv(columns);
  OffloadPlanResult result;
  Json summary = Json::array();
  Progress progress("planned", int64_t(opt.deadlines_ms.size() * opt.policies.size()), "runs");
  int64_t runs = 0;
  for (double deadline : opt.deadlines_ms) {
    const Setup st = setup_for(opt.trace_offset_s, deadline);
    for (const std::string& name : opt.policies) {
      OffloadPolicyResult pr;
      pr.policy = name, pr.deadline_ms = deadline;
      const Knobs k = tune(name, deadline, &pr.settings);
      Setup run = st;
      run.bw_share = k.share, run.price_scale = k.price;
      std::unique_ptr<OffloadPolicy> pol = make(name, k);
      const Replay r = replay(test, *pol, run, gains, opt.rtt_ms / 1000);
      pr.frames = static_cast<int64_t>(r.frames.size());
      pr.per_scale.assign(test.scales.size(), 0);
      for (size_t i = 0; i < r.frames.size(); ++i) {
        const FrameOutcome& o = r.frames[i];
        const OffloadFrame& f = test.frames[i];
        if (o.scale >= 0) {
          ++pr.offloaded, pr.bytes += f.bytes[o.scale];
          if (o.counted)
            ++pr.per_scale[o.scale];
          else
            ++pr.late;
        }
        csv.add_row({csv_number(deadline), name, std::to_string(f.frame),
                     o.scale < 0 ? "local" : scale_name(test.scales[o.scale]), o.scale < 0 ? "" : csv_number(o.send_s),
                     o.scale < 0 ? "" : csv_number(o.result_s), o.counted ? "1" : "0", csv_number(o.accuracy),
                     csv_number(f.local_miou), o.scale < 0 ? "0" : csv_number(f.bytes[o.scale])});
      }
      pr.accuracy = mean_accuracy(r);
      std::tie(pr.ci_low, pr.ci_high) = block_ci(r, std::max<size_t>(1, size_t(std::lround(test.fps))));
      for (double us : r.decision_us) pr.decision_us_mean += us / r.decision_us.size();
      pr.decision_us_max = r.decision_us.empty() ? 0 : *std::max_element(r.decision_us.begin(), r.decision_us.end());
      Json per_scale = Json::object();
      for (size_t s = 0; s < test.scales.size(); ++s)
        per_scale[scale_name(test.scales[s])] = double(pr.per_scale[s]) / pr.frames;
      summary.push_back({{"policy", name},
                         {"deadline_ms", deadline},
                         {"accuracy", pr.accuracy},
                         {"accuracy_ci95", {pr.ci_low, pr.ci_high}},
                         {"frames", pr.frames},
                         {"offloaded", pr.offloaded},
                         {"late", pr.late},
                         {"late_fraction_of_offloaded", pr.offloaded ? double(pr.late) / pr.offloaded : 0.0},
                         {"counted_fraction_per_scale", per_scale},
                         {"bytes", pr.bytes},
                         {"decision_us_mean", pr.decision_us_mean},
                         {"decision_us_max", pr.decision_us_max},
                         {"settings", pr.settings}});
      log_info("  deadline ", deadline, " ms, ", name, ": accuracy ", pr.accuracy, " [", pr.ci_low, ", ", pr.ci_high,
               "], offloaded ", pr.offloaded, "/", pr.frames, ", late ", pr.late);
      result.results.push_back(pr);
      progress.update(++runs);
    }
  }
  progress.finish();

  Json m = new_manifest("offload-plan", kOffloadPlanVersion);
  m["profile"] = opt.profile;
  m["train"] = opt.train;
  m["trace"] = opt.trace;
  m["trace_offset_s"] = opt.trace_offset_s;
  m["train_offsets_s"] = train_offsets;
  m["rtt_ms"] = opt.rtt_ms;
  m["initial_kbps"] = setup_for(opt.trace_offset_s, 0).initial_bps * 8 / 1000;
  m["scales"] = test.scales;
  m["edge_model"] = test.edge_name;
  m["server_model"] = test.server_name;
  m["gain_model"] = gains.to_json();
  m["results"] = summary;
  add_input(m, "profile", opt.profile);
  add_input(m, "calibrator", opt.calibrator);
  add_input(m, "trace", opt.trace);
  for (const std::string& t : opt.train) add_input(m, "train", t);
  if (!opt.plot.empty()) {
    static const std::array<uint8_t, 3> colours[] = {{214, 39, 40},  {44, 160, 44},  {127, 127, 127},
                                                     {31, 119, 180}, {255, 127, 14}, {148, 103, 189}};
    video::ChartPanel acc{"mean frame mIoU", {}};
    video::ChartPanel off{"share served in time", {}, 0, 1};
    for (size_t k = 0; k < opt.policies.size(); ++k) {
      video::ChartSeries a{opt.policies[k], {}, {}, colours[k % 6]}, o{opt.policies[k], {}, {}, colours[k % 6]};
      for (const OffloadPolicyResult& r : result.results)
        if (r.policy == opt.policies[k]) {
          a.x.push_back(r.deadline_ms), a.y.push_back(r.accuracy);
          o.x.push_back(r.deadline_ms), o.y.push_back(double(r.offloaded - r.late) / r.frames);
        }
      acc.series.push_back(a), off.series.push_back(o);
    }
    video::write_chart(
        opt.plot,
        "CBO: accuracy against deadline (" + test.edge_name + " on the device, " + test.server_name + " on the server)",
        "deadline (ms)", {acc, off}, opt.force);
  }
  csv.write(opt.output, opt.force);
  write_manifest(manifest_path_for(opt.output), m, opt.force);
  result.manifest = m;

  return result;
}

}  // namespace vssoff::cbo
