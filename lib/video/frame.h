// Decoded video frames as plain memory (no FFmpeg types), tightly packed planes.
//
// kYuv420p: three planes, Y of width x height, U and V of ceil(w/2) x ceil(h/2).
// kRgb24:   one plane of 3*width bytes per row, R G B.
// kGray8:   one plane (label maps, masks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vssoff::video {

enum class PixelFormat { kYuv420p, kRgb24, kGray8 };
const char* pixel_format_name(PixelFormat f);

struct Rational {
  int num = 0, den = 1;
  double value() const { return den ? static_cast<double>(num) / den : 0.0; }
  bool valid() const { return num > 0 && den > 0; }
};

struct Frame {
  int width = 0, height = 0;
  PixelFormat format = PixelFormat::kYuv420p;
  std::vector<uint8_t> data;

  // Metadata filled by readers and decoders.
  int64_t index = -1;         // position in the stream, from 0
  double time_s = 0.0;        // presentation time in seconds
  char pict_type = '?';       // 'I', 'P', 'B' as the decoder reports
  int64_t packet_bytes = -1;  // size of the compressed frame, if known
  // Per-macroblock QPs [mb_rows x mb_cols], only when requested (ReaderOptions::export_qp).
  std::vector<uint8_t> mb_qp;
  int mb_cols = 0, mb_rows = 0;

  void allocate(int width, int height, PixelFormat format);
  int planes() const;
  int plane_width(int i) const;  // in samples (bytes per row for kRgb24 is 3x this)
  int plane_height(int i) const;
  int stride(int i) const;  // bytes per row
  uint8_t* plane(int i);
  const uint8_t* plane(int i) const;
};

// Macroblock grid of a frame size: ceil(w/16) x ceil(h/16).
inline int mb_cols_for(int width) { return (width + 15) / 16; }
inline int mb_rows_for(int height) { return (height + 15) / 16; }

}  // namespace vssoff::video
