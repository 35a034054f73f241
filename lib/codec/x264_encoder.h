// H.264 encoding through libx264's C API, with an exact QP per 16x16 macroblock.
//
// Two modes:
//  - constant QP (per_macroblock_qp = false): every macroblock of every frame at base_qp
//    (x264 CQP mode with ipratio = pbratio = 1; x264's default would code I-frames 3 QPs
//    lower). base_qp 0 is lossless.
//  - per-macroblock QP: encode() takes a grid of absolute QPs. libx264 applies
//    x264_picture_t.prop.quant_offsets only in CRF/ABR mode with adaptive quantisation on
//    (in CQP mode, or with aq-strength 0, it silently ignores them), so this mode uses the
//    recipe from shared/papers/accmpeg.md: CRF = base_qp with qcomp = 1 (a constant frame
//    QP), aq-mode 1 with aq-strength 1e-4 (on, but negligible), mb-tree off,
//    ipratio = pbratio = 1, qpmin 0, qpmax 51; offset = wanted QP - base_qp per macroblock.
//    Decoding the result gives exactly the wanted QP in every macroblock that codes a
//    QP delta; macroblocks without residual inherit the previous QP, as H.264 requires.
//    QPs in this mode are in [1, 51], base_qp included (UsageError / InputError otherwise):
//    at CRF 0 libx264 switches the whole encode to lossless (every macroblock QP 0) and
//    drops the offsets, so one macroblock at QP 0 would silently cost every other QP.
//
// Every gop_frames-th frame (from 0) is an IDR frame, and there are no other keyframes
// (scenecut off), so a segment of gop_frames frames is independently decodable.
// Output packets are Annex B. Not thread-safe; x264 itself uses `threads` threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/manifest.h"
#include "video/frame.h"
#include "video/muxer.h"

namespace vssoff::codec {

struct EncoderOptions {
  std::string preset = "veryfast";  // x264 preset (ultrafast ... placebo)
  std::string tune;                 // x264 tune ("" none, "zerolatency", "film", ...)
  int threads = 0;                  // x264 threads; 0 = x264's rule on the thread budget (core/threads.h)
  int gop_frames = 30;              // keyframe interval = segment length, in frames
  int bframes = 0;                  // B-frames; 0 for low latency
  bool per_macroblock_qp = false;   // see the modes above
  int base_qp = 30;                 // CQP value, or the frame QP the offsets are relative to
  bool repeat_headers = false;      // SPS/PPS before every IDR (for raw .h264 streams)
  void check() const;               // UsageError naming the field and value
};

class H264Encoder {
 public:
  H264Encoder(int width, int height, video::Rational fps, const EncoderOptions& options);
  ~H264Encoder();
  H264Encoder(const H264Encoder&) = delete;
  H264Encoder& operator=(const H264Encoder&) = delete;

  // SPS and PPS (Annex B), for container extradata.
  std::vector<uint8_t> headers() const;

  // Encodes one kYuv420p frame of the encoder's size. mb_qp: mb_rows() x mb_cols() absolute
  // QPs in [1, 51] (only in per-macroblock mode; nullptr = base_qp everywhere; InputError
  // for a QP outside).
  // Appends 0 or more finished packets (x264 buffers a few frames).
  void encode(const video::Frame& frame, const uint8_t* mb_qp, std::vector<video::EncodedPacket>* out);
  // Drains the buffered frames.
  void flush(std::vector<video::EncodedPacket>* out);

  int mb_cols() const { return mb_cols_; }
  int mb_rows() const { return mb_rows_; }
  // The parameters x264 actually uses (after the preset, tune and our overrides).
  Json effective_params() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int mb_cols_, mb_rows_;
};

// x264's build number and version, e.g. "164 (0.164.3095 baee400)".
std::string x264_version();

}  // namespace vssoff::codec
