// The shaping of one direction of an emulated link, as Mahimahi's mm-link and mm-delay do
// it, on a byte stream and in virtual time (microseconds), with no I/O: the emulator
// (link/emulator.h) feeds it the bytes it reads and writes out what it delivers; tests
// drive it with any clock.
//
// Capacity: a DeliverySchedule of delivery opportunities, each of which carries up to 1500
// bytes that were queued before it. A Mahimahi trace lists them (ms; repeated end to end, as
// mm-link does); a CSV trace of time_s,kbps becomes one opportunity each time its rate has
// accumulated 1500 bytes (a remainder under 1500 bytes at the end of a repetition is lost).
// An opportunity with nothing queued is wasted, as in mm-link.
//
// Queue: one drop-tail FIFO in bytes, shared by every flow (connection) through this
// direction. On a byte stream a dropped byte cannot be retransmitted, so a full queue holds
// the sender back instead (room() is 0 and the emulator stops reading), which is what TCP's
// retransmission of a dropped packet amounts to, minus the round trip it costs.
// Loss: each 1500-byte delivery is lost with probability `loss`: its opportunity is wasted
// and its bytes wait for the next (TCP retransmits them; a stream keeps its order).
// Delay: a delivered byte reaches the far side `delay_ms` after its opportunity.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "link/trace.h"

namespace vssoff::link {

inline constexpr int64_t kPacketBytes = 1500;

class DeliverySchedule {
 public:
  // InputError for a trace with no opportunity, or one whose period is 0 ms.
  explicit DeliverySchedule(const BandwidthTrace& trace);
  // The time (µs from the trace's start) of opportunity k >= 0, over repetitions.
  int64_t at(int64_t k) const;
  // The first opportunity at or after t_us (>= 0).
  int64_t first_at_or_after(int64_t t_us) const;
  // Opportunities in [t0_us, t1_us).
  int64_t count(int64_t t0_us, int64_t t1_us) const { return first_at_or_after(t1_us) - first_at_or_after(t0_us); }
  int64_t period_us() const { return period_us_; }
  size_t per_period() const { return times_.size(); }

 private:
  std::vector<int64_t> times_;  // one period, ascending, in [0, period]
  int64_t period_us_ = 0;
};

struct ShaperOptions {
  double delay_ms = 0;               // one-way propagation delay
  int64_t queue_bytes = 256 * 1024;  // the queue's bound
  double loss = 0;                   // probability that a delivery is lost, [0, 1)
  uint64_t seed = 1;                 // of the loss draws
  void check() const;                // UsageError naming the field
};

// Bytes of one flow delivered at an opportunity, reaching the far side at arrive_us.
struct Delivery {
  int flow = 0;
  int64_t bytes = 0, arrive_us = 0;
};

class Shaper {
 public:
  // The schedule must outlive the shaper. Time 0 of the trace is start_us on the caller's clock.
  Shaper(const DeliverySchedule& schedule, const ShaperOptions& options, int64_t start_us);

  int64_t room() const { return options_.queue_bytes - queued_; }
  int64_t queued() const { return queued_; }
  // Queues `bytes` of `flow` that arrived at now_us (bytes <= room(); times never go back).
  void enqueue(int64_t now_us, int flow, int64_t bytes);
  // Serves every opportunity up to and including now_us, appending what it delivers.
  void serve(int64_t now_us, std::vector<Delivery>* out);
  // When serve() next has something to do: the next opportunity while bytes are queued, else
  // INT64_MAX.
  int64_t next_event_us() const;
  // Capacity in bytes of [t0_us, t1_us) on the caller's clock (what the trace offers).
  int64_t capacity(int64_t t0_us, int64_t t1_us) const;

  int64_t delivered_bytes() const { return delivered_; }
  int64_t lost_deliveries() const { return lost_; }

 private:
  struct Chunk {
    int flow;
    int64_t bytes, arrived_us;
  };
  const DeliverySchedule& schedule_;
  ShaperOptions options_;
  int64_t start_us_, delay_us_;
  int64_t next_ = 0;  // the next opportunity not yet served
  std::deque<Chunk> queue_;
  int64_t queued_ = 0, delivered_ = 0, lost_ = 0;
  std::mt19937_64 rng_;
  std::bernoulli_distribution lose_;
};

}  // namespace vssoff::link
