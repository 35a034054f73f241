// Reads any input FFmpeg can demux and decode (mp4, mkv, avi, y4m, raw .h264, image
// sequences such as "frames/%06d.png"), one frame at a time, with bounded memory.
//
// Frames come out as kYuv420p (default), kRgb24 or kGray8, optionally resized; any source
// pixel format (yuv422p, yuv444p, gray, 10-bit, odd sizes) is converted by libswscale.
// Frame::index counts from 0 in presentation order; Frame::time_s is the presentation
// time relative to the stream start.
//
// Errors (all InputError, naming the file): missing, empty, not a video, no video stream,
// no decoder; a stream that ends before the frame count its header declares (truncated
// or lying header) when strict_frame_count is set. Without it (the default) such a stream
// is read to its last decodable frame and one warning names both counts ("header says 444
// frames, 68 decoded"). Corrupt packets inside a stream are
// concealed by the decoder and counted (decode_errors()), as ffmpeg does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "video/frame.h"

namespace vssoff::video {

struct ReaderOptions {
  PixelFormat format = PixelFormat::kYuv420p;  // output pixel format
  int width = 0, height = 0;                   // output size; 0 = the source's
  int threads = 0;                             // decoder threads; 0 = the thread budget (at most 16)
  bool export_qp = false;                      // fill Frame::mb_qp from the bitstream (H.264)
  bool strict_frame_count = false;             // a stream shorter than its header is an error
};

struct VideoInfo {
  std::string path, container, codec, pixel_format;
  int width = 0, height = 0;  // coded picture size of the source
  Rational fps;               // average frame rate (guessed from timestamps if absent)
  int64_t frame_count = -1;   // as the header declares; -1 when the container does not say
  double duration_s = -1;     // -1 when unknown
  int64_t bit_rate = 0;       // bits per second, 0 when unknown
};

class VideoReader {
 public:
  explicit VideoReader(const std::string& path, ReaderOptions options = {});
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const;

  // Decodes the next frame into *frame (buffers are reused). Returns false at the end.
  bool read(Frame* frame);

  // The next read() returns frame `index`: seeks to the preceding keyframe when the
  // container allows, otherwise reopens and decodes forward. InputError past the end.
  void seek(int64_t index);

  int64_t frames_read() const;  // frames returned since opening (or since the last seek)
  int decode_errors() const;    // corrupt packets concealed so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vssoff::video
