// Bandwidth traces: how many bits per second a link carries over time, read from a file,
// for everything that replays a video over a link (Penance's plan, CBO, AccMPEG's delay
// model, a live replay).
//
// Two formats, told apart by the first comma in the file:
//  - CSV with a header row and columns time_s,kbps (others are ignored): a step function,
//    row i's rate holds from its time_s to the next row's. The first row is at time_s 0,
//    times strictly increase, kbps >= 0; the last row only marks the end (its kbps is
//    never used), so a trace needs two rows or more and lasts the last row's time_s.
//  - Mahimahi (mm-link): one line per delivery opportunity of one 1500-byte packet, the
//    time in ms since the start, non-decreasing (several packets may share a millisecond);
//    empty lines are skipped. It lasts until the last opportunity. The rate over an
//    interval is the opportunities in it x 1500 x 8 bits over its length; a trace that
//    repeats (as mm-link replays it) is not extended here.
// Read once, then const: mean_kbps may be called from any number of threads.
#pragma once

#include <string>
#include <vector>

namespace vssoff::link {

struct BandwidthTrace {
  std::string path;
  std::vector<double> times, kbps;    // CSV form: row start times (s) and rates (kbit/s)
  std::vector<double> deliveries_ms;  // Mahimahi form: delivery opportunities (ms)
  double duration_s = 0;
  // Average rate in kbit/s over [t0_s, t1_s), t1_s > t0_s. Past the end a CSV trace
  // carries nothing, a Mahimahi one has no opportunities, so both average in zeros.
  double mean_kbps(double t0_s, double t1_s) const;
};

// InputError naming the file and the line or row: a missing file, a CSV without the two
// columns, times that go back, a negative rate, a CSV not starting at 0 or with one row, a
// Mahimahi line that is not a number of ms, an empty trace.
BandwidthTrace read_trace(const std::string& path);

}  // namespace vssoff::link
