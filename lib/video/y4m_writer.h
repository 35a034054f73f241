// Writes raw 4:2:0 frames as YUV4MPEG2 (.y4m), which ffmpeg, x264 and most tools read.
// Atomic like every output: visible under its name only after finish(). A failed write is
// an InputError naming the file and the reason (core/fs.h).
#pragma once

#include <memory>
#include <string>

#include "video/frame.h"

namespace vssoff {
class AtomicOutput;
class OutputFile;
}  // namespace vssoff

namespace vssoff::video {

class Y4mWriter {
 public:
  Y4mWriter(const std::string& path, int width, int height, Rational fps, bool force);
  ~Y4mWriter();
  void write(const Frame& yuv420p);
  void finish();

 private:
  std::unique_ptr<AtomicOutput> out_;
  std::unique_ptr<OutputFile> file_;
  int width_, height_;
};

}  // namespace vssoff::video
