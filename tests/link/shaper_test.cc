#include "link/shaper.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"

namespace vssoff::link {
namespace {

const std::string kTraces = VSSOFF_SOURCE_DIR "/testdata/traces/";

// Keeps the shaper saturated for `seconds` of virtual time (1-ms steps, as a busy sender
// would) and returns the bytes that arrive in each 1-s window.
std::vector<int64_t> saturate(Shaper& s, double seconds, int64_t start_us = 0) {
  std::vector<int64_t> per_second(static_cast<size_t>(seconds) + 1, 0);
  std::vector<Delivery> out;
  for (int64_t t = start_us; t < start_us + int64_t(seconds * 1e6); t += 1000) {
    if (s.room() > 0) s.enqueue(t, 1, s.room());
    out.clear();
    s.serve(t, &out);
    for (const Delivery& d : out) per_second[size_t((d.arrive_us - start_us) / 1000000)] += d.bytes;
  }
  per_second.pop_back();
  return per_second;
}

// B14 in virtual time: saturated, the shaper delivers what the trace offers in every 1-s window.
TEST(Shaper, FollowsCsvTraceWithinAPacketPerSecond) {
  const BandwidthTrace trace = read_trace(kTraces + "lte-walk.csv");
  const DeliverySchedule schedule(trace);
  Shaper s(schedule, ShaperOptions{}, 0);
  const auto got = saturate(s, 60);
  for (size_t w = 0; w < got.size(); ++w) {
    const double offered = trace.mean_kbps(w, w + 1) * 1000 / 8;
    EXPECT_NEAR(got[w], offered, kPacketBytes + 1) << "second " << w;
  }
}

TEST(Shaper, FollowsMahimahiTraceExactly) {
  const BandwidthTrace trace = read_trace(kTraces + "cellular.mahimahi");
  const DeliverySchedule schedule(trace);
  Shaper s(schedule, ShaperOptions{}, 5000000);  // the trace starts 5 s into the caller's clock
  const auto got = saturate(s, 20, 5000000);
  for (size_t w = 0; w < got.size(); ++w)
    EXPECT_EQ(got[w], schedule.count(w * 1000000, (w + 1) * 1000000) * kPacketBytes) << "second " << w;
}

TEST(Shaper, RepeatsAMahimahiTraceAndWastesIdleOpportunities) {
  test::TempDir dir;
  write_file_atomic(dir / "t.mm", "0\n10\n10\n20\n", true);  // period 20 ms, as mm-link repeats it
  const DeliverySchedule schedule(read_trace(dir / "t.mm"));
  EXPECT_EQ(schedule.period_us(), 20000);
  EXPECT_EQ(schedule.count(0, 100000), 19);    // 4 per 20 ms; the fifth repetition's last is at 100 ms itself
  EXPECT_EQ(schedule.count(0, 1), 1);          // at 0: the first line only
  EXPECT_EQ(schedule.count(20000, 20001), 2);  // at 20 ms: the last line, and the first of the repetition
  Shaper s(schedule, ShaperOptions{}, 0);
  std::vector<Delivery> out;
  s.serve(35000, &out);  // idle: nothing queued, opportunities pass unused
  s.enqueue(35000, 7, 4000);
  s.serve(39999, &out);
  EXPECT_TRUE(out.empty());
  s.serve(40000, &out);  // two at 40 ms (0 and 20 of the third period)
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flow, 7);
  EXPECT_EQ(out[0].bytes, 3000);
  EXPECT_EQ(s.next_event_us(), 50000);
}

TEST(Shaper, DelaysQueuesAndLoses) {
  BandwidthTrace trace;
  trace.times = {0, 100};
  trace.kbps = {12000, 0};  // one 1500-byte opportunity per ms
  trace.duration_s = 100;
  const DeliverySchedule schedule(trace);
  ShaperOptions o;
  o.delay_ms = 25;
  o.queue_bytes = 3000;
  Shaper s(schedule, o, 0);
  EXPECT_EQ(s.room(), 3000);
  s.enqueue(0, 1, 3000);
  EXPECT_EQ(s.room(), 0);
  std::vector<Delivery> out;
  s.serve(2000, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].arrive_us, 1000 + 25000);  // opportunity at 1 ms, then the delay
  EXPECT_EQ(out[1].arrive_us, 2000 + 25000);
  EXPECT_EQ(s.room(), 3000);
  o.loss = 0.25;
  o.queue_bytes = 1 << 30;
  Shaper lossy(schedule, o, 0);
  lossy.enqueue(0, 1, 1 << 29);
  out.clear();
  lossy.serve(40000000, &out);
  const double lost = lossy.lost_deliveries() / 40000.0;
  EXPECT_NEAR(lost, 0.25, 0.01);
  EXPECT_EQ(lossy.delivered_bytes(), (40000 - lossy.lost_deliveries()) * kPacketBytes);
  o.loss = 1;
  EXPECT_THROW(o.check(), UsageError);
}

TEST(Shaper, RefusesATraceWithNoCapacity) {
  BandwidthTrace trace;
  trace.path = "zero.csv";
  trace.times = {0, 10};
  trace.kbps = {0, 0};
  trace.duration_s = 10;
  EXPECT_THROW(DeliverySchedule{trace}, InputError);
}

}  // namespace
}  // namespace vssoff::link
