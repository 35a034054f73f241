// Writes an H.264 elementary stream into MP4 (.mp4, .mov), Matroska (.mkv) or raw
// Annex B (.h264, .264), chosen by the file extension. Written under a temporary name
// and renamed into place by finish(); destroyed without finish() it leaves nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "video/frame.h"

namespace vssoff::video {

struct EncodedPacket {
  std::vector<uint8_t> data;  // Annex B NAL units of one frame
  int64_t pts = 0, dts = 0;   // in frames
  bool keyframe = false;
  char type = '?';  // 'I', 'P', 'B'
};

class H264Muxer {
 public:
  // headers: SPS and PPS in Annex B (codec::H264Encoder::headers()).
  H264Muxer(const std::string& path, int width, int height, Rational fps, const std::vector<uint8_t>& headers,
            bool force);
  ~H264Muxer();
  H264Muxer(const H264Muxer&) = delete;
  H264Muxer& operator=(const H264Muxer&) = delete;

  void write(const EncodedPacket& packet);
  void finish();

  // "mp4", "matroska" or "h264"; UsageError for other extensions.
  static std::string container_for(const std::string& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vssoff::video
