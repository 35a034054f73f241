#include "link/shaper.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace vssoff::link {

DeliverySchedule::DeliverySchedule(const BandwidthTrace& trace) {
  // Bounds that keep the arithmetic in range and the schedule in memory: a repetition of at
  // most a year, with at most 20 million deliveries (240 Gbit) in it.
  constexpr double kMaxPeriodS = 365 * 86400.0, kMaxDeliveries = 2e7;
  check<InputError>(trace.duration_s <= kMaxPeriodS, trace.path, ": the trace lasts ", trace.duration_s,
                    " s; the link takes traces of up to a year");
  if (!trace.deliveries_ms.empty()) {
    check<InputError>(
        double(trace.deliveries_ms.size()) <= kMaxDeliveries && trace.deliveries_ms.back() <= kMaxPeriodS * 1000,
        trace.path, ": more than ", kMaxDeliveries, " deliveries, or a timestamp past a year");
    // mm-link: the trace repeats with a period of its last timestamp; repetition r delivers
    // at r x period + each timestamp, the last one included.
    period_us_ = std::llround(trace.deliveries_ms.back() * 1000);
    for (double ms : trace.deliveries_ms) times_.push_back(std::llround(ms * 1000));
  } else {
    period_us_ = std::llround(trace.duration_s * 1e6);
    double total = 0;
    for (size_t i = 0; i + 1 < trace.times.size(); ++i)
      total += trace.kbps[i] * 1000 / 8 * (trace.times[i + 1] - trace.times[i]) / kPacketBytes;
    check<InputError>(total <= kMaxDeliveries, trace.path, ": the trace offers ", total,
                      " deliveries of 1500 bytes; the link takes at most ", kMaxDeliveries);
    double credit = 0;  // bytes accumulated towards the next opportunity
    for (size_t i = 0; i + 1 < trace.times.size(); ++i) {
      const double rate = trace.kbps[i] * 1000 / 8 / 1e6;  // bytes per µs
      if (rate <= 0) continue;
      const double t0 = trace.times[i] * 1e6, t1 = trace.times[i + 1] * 1e6;
      double t = t0 + (kPacketBytes - credit) / rate;
      for (; t < t1; t += kPacketBytes / rate) times_.push_back(std::llround(t));
      credit = kPacketBytes - (t - t1) * rate;  // what the step left towards the next one
    }
  }
  check<InputError>(!times_.empty(), trace.path, ": the trace offers no delivery opportunity");
  check<InputError>(period_us_ > 0, trace.path, ": the trace lasts 0 ms, so it cannot repeat");
}

int64_t DeliverySchedule::at(int64_t k) const {
  const int64_t n = static_cast<int64_t>(times_.size());
  return (k / n) * period_us_ + times_[k % n];
}

int64_t DeliverySchedule::first_at_or_after(int64_t t) const {
  const int64_t n = static_cast<int64_t>(times_.size());
  const int64_t rep = t / period_us_;
  const int64_t within = t - rep * period_us_;
  int64_t k = rep * n + (std::lower_bound(times_.begin(), times_.end(), within) - times_.begin());
  while (k > 0 && at(k - 1) >= t) --k;  // the repetition before may end at t itself (a trace's last timestamp)
  return k;
}

void ShaperOptions::check() const {
  vssoff::check<UsageError>(delay_ms >= 0 && delay_ms <= 60000, "delay: ", delay_ms, " ms; give 0 to 60000");
  vssoff::check<UsageError>(queue_bytes >= kPacketBytes, "queue: ", queue_bytes, " bytes; give at least ",
                            kPacketBytes);
  vssoff::check<UsageError>(loss >= 0 && loss < 1, "loss: ", loss, "; give a probability in [0, 1)");
}

Shaper::Shaper(const DeliverySchedule& schedule, const ShaperOptions& options, int64_t start_us)
    : schedule_(schedule),
      options_(options),
      start_us_(start_us),
      delay_us_(std::llround(options.delay_ms * 1000)),
      rng_(options.seed),
      lose_(options.loss) {
  options_.check();
}

void Shaper::enqueue(int64_t now_us, int flow, int64_t bytes) {
  if (bytes <= 0) return;
  if (!queue_.empty() && queue_.back().flow == flow && queue_.back().arrived_us == now_us)
    queue_.back().bytes += bytes;
  else
    queue_.push_back({flow, bytes, now_us});
  queued_ += bytes;
}

void Shaper::serve(int64_t now_us, std::vector<Delivery>* out) {
  const int64_t now = now_us - start_us_;
  while (!queue_.empty()) {
    // Nothing queued can use an opportunity before it arrived.
    const int64_t head = queue_.front().arrived_us - start_us_;
    if (schedule_.at(next_) < head) next_ = schedule_.first_at_or_after(std::max<int64_t>(head, 0));
    const int64_t t = schedule_.at(next_);
    if (t > now) return;
    ++next_;
    if (options_.loss > 0 && lose_(rng_)) {
      ++lost_;
      continue;
    }
    int64_t left = kPacketBytes;
    while (left > 0 && !queue_.empty() && queue_.front().arrived_us - start_us_ <= t) {
      Chunk& c = queue_.front();
      const int64_t n = std::min(left, c.bytes);
      if (!out->empty() && out->back().flow == c.flow && out->back().arrive_us == t + start_us_ + delay_us_)
        out->back().bytes += n;
      else
        out->push_back({c.flow, n, t + start_us_ + delay_us_});
      left -= n;
      c.bytes -= n;
      queued_ -= n;
      delivered_ += n;
      if (c.bytes == 0) queue_.pop_front();
    }
  }
  // Idle: opportunities up to now are wasted.
  if (now >= 0) next_ = std::max(next_, schedule_.first_at_or_after(now + 1));
}

int64_t Shaper::next_event_us() const {
  if (queue_.empty()) return std::numeric_limits<int64_t>::max();
  const int64_t head = std::max<int64_t>(queue_.front().arrived_us - start_us_, 0);
  const int64_t k = std::max(next_, schedule_.first_at_or_after(head));
  return schedule_.at(k) + start_us_;
}

int64_t Shaper::capacity(int64_t t0_us, int64_t t1_us) const {
  const int64_t a = std::max<int64_t>(t0_us - start_us_, 0), b = std::max<int64_t>(t1_us - start_us_, 0);
  return schedule_.count(a, b) * kPacketBytes;
}

}  // namespace vssoff::link
