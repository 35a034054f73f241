// Camera-side features of a segment for Penance's bitrate prediction (estimators.h):
// what profile tables record and what a live camera computes before it encodes. Torch-free.
#pragma once

#include <vector>

#include "video/frame.h"
#include "video/muxer.h"
#include "video/scaler.h"

namespace vssoff::penance {

// Mean |horizontal| + |vertical| luma gradient of a frame (intra complexity), in 8-bit units.
double intra_complexity(const video::Frame& frame);
// Mean |luma difference| between consecutive frames (inter complexity); 0 for one frame.
double inter_complexity(const std::vector<video::Frame>& frames);
// Bytes of a quick probe encode: the segment at half the size (each side), x264 ultrafast
// at `qp`, headers not counted. The camera can afford two for every segment (a sixteenth of
// the work of one full-size veryfast encode each), and they see what H.264 sees
// (motion-compensated residuals), which a frame difference does not; two QPs give the
// segment's rate slope.
double probe_bytes(const std::vector<video::Frame>& frames, video::Rational fps, int qp, video::Scaler* scaler);

}  // namespace vssoff::penance
