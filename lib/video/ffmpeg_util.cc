#include "video/ffmpeg_util.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libavutil/video_enc_params.h>
}

#include <cstdarg>
#include <mutex>

#include "core/error.h"
#include "core/log.h"
#include "video/scaler.h"

namespace vssoff::video {

namespace {
void ffmpeg_log_callback(void* avcl, int level, const char* fmt, va_list args) {
  if (level > AV_LOG_WARNING && log_level() < LogLevel::kDebug) return;
  char line[1024];
  int print_prefix = 1;
  av_log_format_line2(avcl, level, fmt, args, line, sizeof line, &print_prefix);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return;
  if (level <= AV_LOG_ERROR)
    log_warn("ffmpeg: ", text);
  else
    log_debug("ffmpeg: ", text);
}
}  // namespace

void route_ffmpeg_log() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(ffmpeg_log_callback); });
}

std::string av_error_string(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

AVPixelFormat to_av_pix_fmt(PixelFormat f) {
  switch (f) {
    case PixelFormat::kYuv420p:
      return AV_PIX_FMT_YUV420P;
    case PixelFormat::kRgb24:
      return AV_PIX_FMT_RGB24;
    case PixelFormat::kGray8:
      return AV_PIX_FMT_GRAY8;
  }
  return AV_PIX_FMT_NONE;
}

std::string av_pix_fmt_name(int f) {
  const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(f));
  return name ? name : "unknown";
}

namespace {
void extract_mb_qp(const AVFrame* src, Frame* out) {
  out->mb_cols = mb_cols_for(src->width);
  out->mb_rows = mb_rows_for(src->height);
  out->mb_qp.assign(static_cast<size_t>(out->mb_cols) * out->mb_rows, 0);
  const AVFrameSideData* sd = av_frame_get_side_data(src, AV_FRAME_DATA_VIDEO_ENC_PARAMS);
  if (!sd) {
    out->mb_qp.clear();
    return;
  }
  const auto* par = reinterpret_cast<const AVVideoEncParams*>(sd->data);
  for (unsigned i = 0; i < par->nb_blocks; ++i) {
    const AVVideoBlockParams* b = av_video_enc_params_block(const_cast<AVVideoEncParams*>(par), i);
    int qp = par->qp + b->delta_qp;
    for (int y = b->src_y / 16; y < (b->src_y + b->h + 15) / 16 && y < out->mb_rows; ++y)
      for (int x = b->src_x / 16; x < (b->src_x + b->w + 15) / 16 && x < out->mb_cols; ++x)
        out->mb_qp[static_cast<size_t>(y) * out->mb_cols + x] = static_cast<uint8_t>(qp);
  }
}
}  // namespace

void copy_avframe(const AVFrame* src, int out_w, int out_h, PixelFormat format, bool export_qp, Scaler& scaler,
                  Frame* out) {
  int w = out_w > 0 ? out_w : src->width;
  int h = out_h > 0 ? out_h : src->height;
  if (out->width != w || out->height != h || out->format != format || out->data.empty()) out->allocate(w, h, format);
  bool palette_indices = format == PixelFormat::kGray8 && src->format == AV_PIX_FMT_PAL8;
  if (palette_indices) {
    // Palette label images (PASCAL VOC style): the indices are the labels, not the colours.
    check<InputError>(w == src->width && h == src->height, "palette label images cannot be resized");
    av_image_copy_plane(out->plane(0), out->stride(0), src->data[0], src->linesize[0], w, h);
  } else if (w == src->width && h == src->height && src->format == to_av_pix_fmt(format)) {
    for (int i = 0; i < out->planes(); ++i)
      av_image_copy_plane(out->plane(i), out->stride(i), src->data[i], src->linesize[i],
                          out->plane_width(i) * (format == PixelFormat::kRgb24 ? 3 : 1), out->plane_height(i));
  } else {
    scaler.convert_planes(src->data, src->linesize, src->format, src->width, src->height, out);
  }
  out->pict_type = av_get_picture_type_char(src->pict_type);
#if LIBAVUTIL_VERSION_MAJOR < 59
  out->packet_bytes = src->pkt_size;
#endif
  if (export_qp) extract_mb_qp(src, out);
}

}  // namespace vssoff::video
