// encode-roi: encode a video with a per-macroblock QP map (or a uniform QP), segment by
// segment (GOP = segment), and account for every byte.
//
// Output: the H.264 video (.mp4, .mkv or .h264) and OUT.json (format "vssoff.encode",
// version 1) with the effective x264 parameters, bytes per frame and per segment and,
// with verify, what a decoder sees: luma PSNR per frame and per requested QP level (e.g.
// inside and outside a region), and a count of macroblocks whose decoded QP is exactly
// the requested one, inherited (no residual, H.264 keeps the previous QP), or wrong.
// Optionally the decoded reconstruction (.y4m) and a heatmap PNG of the QP map over a
// frame. Streaming: memory is bounded by a few frames whatever the video length.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codec/qp_map.h"
#include "codec/x264_encoder.h"
#include "core/manifest.h"

namespace vssoff::codec {

inline constexpr int kEncodeManifestVersion = 1;

struct EncodeRoiOptions {
  std::string input;                   // any video FFmpeg reads
  std::string output;                  // .mp4, .mkv or .h264
  static constexpr int kNoQp = -1000;  // qp's value when no uniform QP is given
  int qp = kNoQp;                      // uniform QP (when no qp_map); 0..51
  std::string qp_map;                  // NPY or its manifest
  QpMapDefaults map_defaults;          // how to read a bare NPY
  int segment_frames = 30;             // GOP length = segment length, frames
  double scale = 1.0;                  // resolution scale applied before encoding (0, 1]
  EncoderOptions encoder;              // preset, tune, threads, bframes (qp fields are set from the above)
  int decode_threads = 0;              // input decoder threads; 0 = the thread budget
  int64_t max_frames = -1;             // stop after this many frames; -1 = all
  bool verify = false;                 // decode the output: PSNR and QP check
  std::string recon;                   // write the decoded reconstruction (.y4m); implies verify
  std::string heatmap;                 // PNG of the QP map over a frame
  int64_t heatmap_frame = 0;           // which frame the heatmap shows
  bool force = false;                  // overwrite existing outputs
  bool strict_length = false;          // a video shorter than its header's frame count is an error
  void check() const;                  // UsageError naming the field and the value
};

struct QpCheck {
  int64_t exact = 0, inherited = 0, mismatched = 0;
};

// How --verify classifies the decoded QPs of one frame (count macroblocks in raster order,
// one slice) against the requested ones, adding to *out. Exact: the decoded QP is the
// requested one. Inherited: a macroblock without residual keeps the QP the decoder carries
// into it (H.264): slice_qp for the first macroblock, else the QP of the previous one, and
// only while that carried QP is itself right (the previous macroblock exact or inherited).
// Everything else is mismatched, so any departure from the map counts as wrong, including
// a run of macroblocks that all repeat one wrong QP (a lossless encode decodes QP 0 everywhere).
void classify_decoded_qps(const uint8_t* requested, const uint8_t* decoded, int count, int slice_qp, QpCheck* out);

struct EncodeRoiResult {
  int width = 0, height = 0;  // encoded frame size
  int64_t frames = 0;
  std::vector<int64_t> frame_bytes, segment_bytes;
  int64_t total_bytes = 0;
  double seconds = 0;  // wall time of the whole step
  // Only with verify:
  std::vector<double> frame_psnr_y;
  double psnr_y = 0;                                 // MSE-pooled over all frames
  std::vector<std::pair<int, double>> psnr_y_by_qp;  // requested QP -> pooled luma PSNR of its macroblocks
  QpCheck qp_check;
  Json manifest;  // what was written to OUTPUT.json
};

EncodeRoiResult encode_roi(const EncodeRoiOptions& options);

}  // namespace vssoff::codec
