// Internal to lib/video: helpers shared by the FFmpeg-based reader, decoder and muxer.
// Not included by any public header.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/pixfmt.h>
}

#include <string>

#include "video/frame.h"

namespace vssoff::video {

class Scaler;

std::string av_error_string(int err);

// Routes FFmpeg's log through vssoff's (errors as "ffmpeg: ..." warnings, the rest at
// debug level). Called by every FFmpeg user in lib/video; cheap after the first call.
void route_ffmpeg_log();
AVPixelFormat to_av_pix_fmt(PixelFormat f);
std::string av_pix_fmt_name(int f);

// Copies (and converts if needed) a decoded AVFrame into `out` at out_w x out_h (0 = same)
// in `format`; fills pict_type, packet_bytes and, when export_qp, the macroblock QPs.
void copy_avframe(const AVFrame* src, int out_w, int out_h, PixelFormat format, bool export_qp, Scaler& scaler,
                  Frame* out);

}  // namespace vssoff::video
