#include "penance/features.h"

#include <algorithm>
#include <cstdlib>

#include "codec/round_trip.h"

namespace vssoff::penance {

double intra_complexity(const video::Frame& f) {
  const uint8_t* y = f.plane(0);
  double sum = 0;
  for (int r = 0; r + 1 < f.height; ++r)
    for (int c = 0; c + 1 < f.width; ++c) {
      const uint8_t* p = y + r * f.stride(0) + c;
      sum += std::abs(p[1] - p[0]) + std::abs(p[f.stride(0)] - p[0]);
    }
  return sum / (double(f.width - 1) * (f.height - 1));
}

double inter_complexity(const std::vector<video::Frame>& frames) {
  if (frames.size() < 2) return 0;
  double sum = 0;
  for (size_t i = 1; i < frames.size(); ++i) {
    const uint8_t *a = frames[i - 1].plane(0), *b = frames[i].plane(0);
    for (int r = 0; r < frames[i].height; ++r)
      for (int c = 0; c < frames[i].width; ++c)
        sum += std::abs(a[r * frames[i].stride(0) + c] - b[r * frames[i].stride(0) + c]);
  }
  return sum / (double(frames[0].width) * frames[0].height * (frames.size() - 1));
}

double probe_bytes(const std::vector<video::Frame>& frames, video::Rational fps, int qp, video::Scaler* scaler) {
  codec::RoundTripOptions o;
  o.width = std::max(16, frames[0].width / 2 / 2 * 2);  // not scaled_size(): the rule the tables were made with
  o.height = std::max(16, frames[0].height / 2 / 2 * 2);
  o.preset = "ultrafast";
  o.qp = qp;
  o.threads = 1;
  o.gop_frames = static_cast<int>(frames.size());
  o.fps = fps;
  const codec::RoundTripResult r = codec::round_trip(frames, o, scaler);
  return static_cast<double>(r.total_bytes - r.header_bytes);
}

}  // namespace vssoff::penance
