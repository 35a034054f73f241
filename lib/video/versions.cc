#include "video/versions.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libswscale/swscale.h>
}

#include <opencv2/core/version.hpp>

#include "core/error.h"

namespace vssoff::video {
namespace {
std::string v(unsigned x) { return cat(x >> 16, ".", (x >> 8) & 0xff, ".", x & 0xff); }
}  // namespace

std::string ffmpeg_versions() {
  return cat("FFmpeg ", av_version_info(), " (libavformat ", v(avformat_version()), ", libavcodec ",
             v(avcodec_version()), ", libavutil ", v(avutil_version()), ", libswscale ", v(swscale_version()), ")");
}

std::string opencv_version() { return CV_VERSION; }

}  // namespace vssoff::video
