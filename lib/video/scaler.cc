#include "video/scaler.h"

extern "C" {
#include <libswscale/swscale.h>
}

#include "core/error.h"
#include "video/ffmpeg_util.h"

namespace vssoff::video {

struct Scaler::Impl {
  SwsContext* sws = nullptr;
  ~Impl() { sws_freeContext(sws); }
};

Scaler::Scaler() : impl_(std::make_unique<Impl>()) {}
Scaler::~Scaler() = default;

void Scaler::convert_planes(const uint8_t* const planes[4], const int strides[4], int av_pix_fmt, int width, int height,
                            Frame* dst) {
  int flags = SWS_BILINEAR;
  if (dst->width < width || dst->height < height)
    flags = SWS_AREA;
  else if (dst->width > width || dst->height > height)
    flags = SWS_BICUBIC;
  impl_->sws = sws_getCachedContext(impl_->sws, width, height, static_cast<AVPixelFormat>(av_pix_fmt), dst->width,
                                    dst->height, to_av_pix_fmt(dst->format), flags, nullptr, nullptr, nullptr);
  check<RuntimeError>(impl_->sws != nullptr, "swscale cannot convert ", width, "x", height, " ",
                      av_pix_fmt_name(av_pix_fmt), " to ", dst->width, "x", dst->height, " ",
                      pixel_format_name(dst->format));
  uint8_t* dst_planes[4] = {nullptr, nullptr, nullptr, nullptr};
  int dst_strides[4] = {0, 0, 0, 0};
  for (int i = 0; i < dst->planes(); ++i) {
    dst_planes[i] = dst->plane(i);
    dst_strides[i] = dst->stride(i);
  }
  sws_scale(impl_->sws, planes, strides, 0, height, dst_planes, dst_strides);
}

void Scaler::convert(const Frame& src, int width, int height, PixelFormat format, Frame* dst) {
  check<RuntimeError>(&src != dst, "Scaler::convert cannot work in place");
  dst->allocate(width, height, format);
  dst->index = src.index;
  dst->time_s = src.time_s;
  dst->pict_type = src.pict_type;
  dst->packet_bytes = src.packet_bytes;
  const uint8_t* planes[4] = {nullptr, nullptr, nullptr, nullptr};
  int strides[4] = {0, 0, 0, 0};
  for (int i = 0; i < src.planes(); ++i) {
    planes[i] = src.plane(i);
    strides[i] = src.stride(i);
  }
  convert_planes(planes, strides, to_av_pix_fmt(src.format), src.width, src.height, dst);
}

}  // namespace vssoff::video
