// One H.264 round trip of a run of frames: scale, encode with x264 at one uniform QP, and
// optionally decode again. What profile (each (QP, scale) of a segment and its probe
// encodes), the compression augmentation of training and other "what does this setting
// cost, and what does the receiver see" questions need.
//
// Size: the frames are encoded at scaled_size(side, scale) of each side of the input, the
// rule profile tables were made with (scale 1 keeps the size; otherwise round half away
// from zero to an even number, at least 2), unless width and height give the size exactly.
// Every input frame is converted (video::Scaler: area averaging when shrinking, BT.601) to
// kYuv420p at that size; a kYuv420p frame already at that size is encoded as it is.
//
// Encoding: H264Encoder in constant-QP mode (x264_encoder.h), frame i of the input has pts
// i (the frames' own index is ignored) and every gop_frames-th frame from 0 is an IDR frame.
// Bytes: header_bytes are the SPS/PPS, frame_bytes[i] the packet of frame i; total_bytes,
// their sum, is what the run costs as a stream. No B-frames. With mb_qp (one absolute QP
// per macroblock of the encoded size, [1, 51], the same for every frame), the encoder runs in
// per-macroblock mode with base_qp = qp (x264_encoder.h). With keep_stream, `stream` is the
// whole Annex B stream as a receiver gets it (SPS/PPS, then each access unit in decode
// order) and packet_bytes the size of each access unit in it (the first with the headers).
//
// Decoding (decode = true): the stream goes through video::H264Decoder (FFmpeg) into
// decode_format frames at the encoded size, or, with decode_at_input_size, converted back
// to the input's size by the scaler (bicubic when enlarging).
//
// Memory: the whole run (packets and decoded frames) is held at once; meant for segments.
// Threading: calls sharing a Scaler must not overlap; x264 uses `threads` threads.
// Errors: UsageError for bad options (the field and value), RuntimeError when x264 or the
// decoder fails or a frame does not come back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "video/frame.h"
#include "video/muxer.h"
#include "video/scaler.h"

namespace vssoff::codec {

// One side at `scale`: the side itself at scale 1, else max(2, 2 * round(side * scale / 2)).
int scaled_size(int side, double scale);

struct RoundTripOptions {
  int qp = 30;                      // uniform QP in [0, 51]; 0 is lossless
  double scale = 1.0;               // in (0, 1]: encoded size = scaled_size() of each side
  int width = 0, height = 0;        // > 0 (even, both): the encoded size exactly, instead of scale
  std::string preset = "veryfast";  // x264 preset
  int gop_frames = 30;              // IDR interval in frames; 1 = intra only
  int threads = 0;                  // x264 threads; 0 = x264's rule on the thread budget (core/threads.h)
  video::Rational fps{30, 1};       // frame rate told to x264 (timing fields only, in CQP)
  bool decode = false;              // decode the stream again
  video::PixelFormat decode_format = video::PixelFormat::kRgb24;  // of the decoded frames
  bool decode_at_input_size = false;                              // scale the decoded frames back to the input's size
  std::vector<uint8_t> mb_qp;                                     // per-macroblock QPs (see above); empty = uniform qp
  bool keep_stream = false;                                       // fill stream and packet_bytes
  void check() const;                                             // UsageError naming the field and the value
};

struct RoundTripResult {
  int width = 0, height = 0;          // encoded size, pixels
  int64_t header_bytes = 0;           // SPS + PPS, sent once before the first frame
  std::vector<int64_t> frame_bytes;   // [frame], the frame's packet in bytes
  int64_t total_bytes = 0;            // header_bytes + all frame_bytes
  std::vector<video::Frame> decoded;  // with decode: [frame], in input order (index = position)
  std::string stream;                 // with keep_stream: the Annex B stream
  std::vector<int64_t> packet_bytes;  // with keep_stream: bytes of each access unit in it
};

// Round trip of `frames` (all kYuv420p or kRgb24, all of one size, at least one).
// `scaler` converts the frames and may be shared between calls (nullptr: a local one).
RoundTripResult round_trip(const std::vector<video::Frame>& frames, const RoundTripOptions& options,
                           video::Scaler* scaler = nullptr);

}  // namespace vssoff::codec
