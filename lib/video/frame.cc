#include "video/frame.h"

#include "core/error.h"

namespace vssoff::video {

const char* pixel_format_name(PixelFormat f) {
  switch (f) {
    case PixelFormat::kYuv420p:
      return "yuv420p";
    case PixelFormat::kRgb24:
      return "rgb24";
    case PixelFormat::kGray8:
      return "gray";
  }
  return "?";
}

void Frame::allocate(int w, int h, PixelFormat f) {
  check<RuntimeError>(w > 0 && h > 0, "invalid frame size ", w, "x", h);
  width = w;
  height = h;
  format = f;
  size_t bytes = 0;
  for (int i = 0; i < planes(); ++i) bytes += static_cast<size_t>(stride(i)) * plane_height(i);
  data.resize(bytes);
}

int Frame::planes() const { return format == PixelFormat::kYuv420p ? 3 : 1; }

int Frame::plane_width(int i) const { return format == PixelFormat::kYuv420p && i > 0 ? (width + 1) / 2 : width; }

int Frame::plane_height(int i) const { return format == PixelFormat::kYuv420p && i > 0 ? (height + 1) / 2 : height; }

int Frame::stride(int i) const { return format == PixelFormat::kRgb24 ? 3 * width : plane_width(i); }

const uint8_t* Frame::plane(int i) const {
  size_t offset = 0;
  for (int p = 0; p < i; ++p) offset += static_cast<size_t>(stride(p)) * plane_height(p);
  return data.data() + offset;
}

uint8_t* Frame::plane(int i) { return const_cast<uint8_t*>(static_cast<const Frame*>(this)->plane(i)); }

}  // namespace vssoff::video
