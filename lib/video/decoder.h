// Decodes an H.264 elementary stream (Annex B) handed over packet by packet, e.g. the
// output of codec::H264Encoder, to check what a receiver will see: reconstruction for
// PSNR, and the per-macroblock QPs the bitstream really carries.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "video/frame.h"

namespace vssoff::video {

class H264Decoder {
 public:
  explicit H264Decoder(bool export_qp = true, PixelFormat format = PixelFormat::kYuv420p);
  ~H264Decoder();
  H264Decoder(const H264Decoder&) = delete;
  H264Decoder& operator=(const H264Decoder&) = delete;

  // One access unit (may start with SPS/PPS). pts is carried to Frame::index.
  void send(const uint8_t* data, size_t size, int64_t pts);
  void send_end();
  // Next decoded frame, if any is ready.
  bool receive(Frame* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vssoff::video
