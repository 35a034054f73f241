// Line charts as PNG, drawn with OpenCV: panels stacked over one x axis, each with its
// series, axes, ticks and a legend. What the replay draws (delay, bytes against the trace,
// accuracy over time) and the link emulator's delivered throughput against its trace.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace vssoff::video {

struct ChartSeries {
  std::string label;
  std::vector<double> x, y;  // NaN y values leave a gap
  std::array<uint8_t, 3> rgb{31, 119, 180};
  bool step = false;    // a step function (each y holds until the next x)
  bool points = false;  // markers instead of a line
};

struct ChartPanel {
  std::string y_label;
  std::vector<ChartSeries> series;
  double y_min = NAN, y_max = NAN;  // NaN = from the data (y_min 0 when the data is >= 0)
};

// Writes the panels (top to bottom) as one PNG, atomically. InputError when it cannot.
void write_chart(const std::string& path, const std::string& title, const std::string& x_label,
                 const std::vector<ChartPanel>& panels, bool force);

}  // namespace vssoff::video
