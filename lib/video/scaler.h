// Scaling and colour conversion through libswscale.
// Area averaging when shrinking, bicubic when enlarging, bilinear for pure format
// conversion; BT.601 limited range for YUV <-> RGB (what H.264 streams carry by default).
// Not thread-safe: one Scaler per thread.
#pragma once

#include <memory>

#include "video/frame.h"

namespace vssoff::video {

class Scaler {
 public:
  Scaler();
  ~Scaler();
  Scaler(const Scaler&) = delete;
  Scaler& operator=(const Scaler&) = delete;

  // Converts src into dst at width x height in `format` (dst is (re)allocated).
  // Metadata (index, time, pict_type, ...) is copied.
  void convert(const Frame& src, int width, int height, PixelFormat format, Frame* dst);

  // Low level: source planes in any FFmpeg pixel format (an AVPixelFormat value) into an
  // already allocated dst. Used by the readers.
  void convert_planes(const uint8_t* const planes[4], const int strides[4], int av_pix_fmt, int width, int height,
                      Frame* dst);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vssoff::video
