// Pictures for people to look at (PNG through OpenCV): label maps, frames, and macroblock
// heatmaps (QP maps, importance maps) drawn over a frame with a colour bar.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "video/frame.h"

namespace vssoff::video {

// Writes a kGray8 or kRgb24 frame as PNG, atomically. compression 0..9 (zlib level).
void write_png(const std::string& path, const Frame& frame, bool force, int compression = 3);

// A kGray8 or kRgb24 frame as PNG bytes, and back (InputError naming `what` for bytes that
// are not a PNG of that format); what the replay sends label maps as.
std::string encode_png(const Frame& frame, int compression = 3);
Frame decode_png(std::string_view bytes, PixelFormat format, const std::string& what);

// Reads a PNG (or any image FFmpeg reads) as kRgb24, or as kGray8 labels: an 8-bit gray
// image, or a palette image whose indices are the labels. InputError naming the file otherwise.
Frame read_image(const std::string& path, PixelFormat format);

struct HeatmapStyle {
  double vmin = 0, vmax = 51;  // colour scale limits
  std::string title;           // drawn above the colour bar, e.g. "QP"
  bool low_is_hot = true;      // QP: low (high quality) drawn hot
  double alpha = 0.55;         // weight of the heatmap over the frame
};

// Draws a [rows x cols] grid (row-major) over `background` (any format; converted to RGB),
// each cell covering 16x16 pixels, blended, with grid lines and a labelled colour bar.
void write_grid_heatmap(const std::string& path, const Frame& background, const std::vector<double>& grid, int rows,
                        int cols, const HeatmapStyle& style, bool force);

}  // namespace vssoff::video

namespace vssoff::video {

// Per-frame picture files are named by frame index: "000123.png" (six digits or more).
std::string frame_file_name(int64_t index);

// A distinct colour for each label id (Cityscapes-like for the first ids), as {r, g, b}.
std::array<uint8_t, 3> label_color(int id);

// Writes the RGB frame with the label colours blended over it (alpha = label weight).
void write_label_overlay(const std::string& path, const Frame& rgb, const uint8_t* labels, double alpha, bool force);

// A box to draw: pixels of the frame (x, y its top-left corner), a caption drawn above it
// ("vehicle 0.87"; empty: none), its colour, and a dashed outline (for a box of another kind
// beside solid ones: ground truth against detections, cloud against edge).
struct DrawnBox {
  double x = 0, y = 0, w = 0, h = 0;
  std::string caption;
  std::array<uint8_t, 3> rgb{255, 255, 0};
  bool dashed = false;
};

// Writes the RGB frame with the boxes drawn over it and an optional title in its top-left
// corner, atomically.
void write_boxes_overlay(const std::string& path, const Frame& rgb, const std::vector<DrawnBox>& boxes,
                         const std::string& title, bool force);

}  // namespace vssoff::video
