// Versions of the libraries lib/video links, for `vssoff --version` and bug reports.
#pragma once
#include <string>

namespace vssoff::video {
std::string ffmpeg_versions();  // "libavformat 59.27.100, libavcodec ..., FFmpeg 5.1.x"
std::string opencv_version();   // "4.6.0"
}  // namespace vssoff::video
