#include "video/picture.h"

extern "C" {
#include <libavcodec/avcodec.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "video/ffmpeg_util.h"
#include "video/reader.h"
#include "video/scaler.h"

namespace vssoff::video {

// PNG through libavcodec's encoder: OpenCV's imgcodecs would pull GDAL and ~140 shared
// libraries into every process start.
std::string encode_png(const Frame& f, int compression) {
  check<RuntimeError>(f.format != PixelFormat::kYuv420p, "PNG needs gray or RGB pixels");
  route_ffmpeg_log();
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  check<RuntimeError>(codec != nullptr, "this FFmpeg has no PNG encoder");
  AVCodecContext* ctx = avcodec_alloc_context3(codec);
  AVFrame* frame = av_frame_alloc();
  AVPacket* pkt = av_packet_alloc();
  std::string out;
  int ret = ctx && frame && pkt ? 0 : AVERROR(ENOMEM);
  if (ret == 0) {
    ctx->width = f.width;
    ctx->height = f.height;
    ctx->pix_fmt = to_av_pix_fmt(f.format);
    ctx->time_base = {1, 25};
    ctx->compression_level = compression;
    ret = avcodec_open2(ctx, codec, nullptr);
  }
  if (ret == 0) {
    frame->format = ctx->pix_fmt;
    frame->width = f.width;
    frame->height = f.height;
    frame->data[0] = const_cast<uint8_t*>(f.plane(0));
    frame->linesize[0] = f.stride(0);
    ret = avcodec_send_frame(ctx, frame);
    if (ret == 0) ret = avcodec_receive_packet(ctx, pkt);
    if (ret == 0) out.assign(reinterpret_cast<const char*>(pkt->data), pkt->size);
  }
  av_packet_free(&pkt);
  av_frame_free(&frame);
  avcodec_free_context(&ctx);
  check<RuntimeError>(ret == 0, "PNG encoding failed: ", av_error_string(ret));
  return out;
}

Frame decode_png(std::string_view bytes, PixelFormat format, const std::string& what) {
  check<UsageError>(format == PixelFormat::kGray8 || format == PixelFormat::kRgb24, "decode_png: gray or RGB");
  route_ffmpeg_log();
  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_PNG);
  check<RuntimeError>(codec != nullptr, "this FFmpeg has no PNG decoder");
  AVCodecContext* ctx = avcodec_alloc_context3(codec);
  AVFrame* frame = av_frame_alloc();
  AVPacket* pkt = av_packet_alloc();
  int ret = ctx && frame && pkt ? avcodec_open2(ctx, codec, nullptr) : AVERROR(ENOMEM);
  if (ret == 0 && av_new_packet(pkt, static_cast<int>(bytes.size())) == 0) {
    std::memcpy(pkt->data, bytes.data(), bytes.size());
    ret = avcodec_send_packet(ctx, pkt);
    if (ret == 0) ret = avcodec_receive_frame(ctx, frame);
  }
  const AVPixelFormat want = format == PixelFormat::kGray8 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
  Frame out;
  const bool ok = ret == 0 && frame->format == want && frame->width > 0 && frame->height > 0;
  if (ok) {
    out.allocate(frame->width, frame->height, format);
    const int row = frame->width * (format == PixelFormat::kGray8 ? 1 : 3);
    for (int y = 0; y < frame->height; ++y)
      std::memcpy(out.plane(0) + size_t(y) * out.stride(0), frame->data[0] + size_t(y) * frame->linesize[0], row);
  }
  av_packet_free(&pkt);
  av_frame_free(&frame);
  avcodec_free_context(&ctx);
  check<InputError>(ok, what, ": not a ", format == PixelFormat::kGray8 ? "8-bit gray" : "RGB", " PNG",
                    ret != 0 ? cat(" (", av_error_string(ret), ")") : "");
  return out;
}

namespace {

void write_mat_png(const std::string& path, const cv::Mat& bgr, bool force, int compression) {
  Frame rgb;
  rgb.allocate(bgr.cols, bgr.rows, PixelFormat::kRgb24);
  cv::Mat view(rgb.height, rgb.width, CV_8UC3, rgb.plane(0), rgb.stride(0));
  cv::cvtColor(bgr, view, cv::COLOR_BGR2RGB);
  write_png(path, rgb, force, compression);
}

cv::Mat to_bgr(const Frame& f) {
  Frame rgb;
  const Frame* src = &f;
  if (f.format != PixelFormat::kRgb24) {
    Scaler scaler;
    scaler.convert(f, f.width, f.height, PixelFormat::kRgb24, &rgb);
    src = &rgb;
  }
  cv::Mat m(src->height, src->width, CV_8UC3, const_cast<uint8_t*>(src->plane(0)), src->stride(0));
  cv::Mat bgr;
  cv::cvtColor(m, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}
}  // namespace

void write_png(const std::string& path, const Frame& f, bool force, int compression) {
  std::string png = encode_png(f, compression);
  write_file_atomic(path, png, force);
}

Frame read_image(const std::string& path, PixelFormat format) {
  check_input_file(path, "image");
  check<UsageError>(format != PixelFormat::kYuv420p, "read_image reads gray or RGB pixels");
  ReaderOptions ro;
  ro.format = format;
  ro.threads = 1;
  VideoReader reader(path, ro);
  if (format == PixelFormat::kGray8)
    check<InputError>(reader.info().pixel_format == "gray" || reader.info().pixel_format == "pal8", path,
                      ": expected an 8-bit label image (gray or palette), got pixel format ",
                      reader.info().pixel_format);
  Frame f;
  check<InputError>(reader.read(&f), "cannot decode image ", path);
  return f;
}

void write_grid_heatmap(const std::string& path, const Frame& background, const std::vector<double>& grid, int rows,
                        int cols, const HeatmapStyle& style, bool force) {
  check<RuntimeError>(static_cast<int>(grid.size()) == rows * cols, "heatmap grid has ", grid.size(),
                      " cells, expected ", rows, "x", cols);
  check<UsageError>(style.vmax > style.vmin, "heatmap scale needs vmax > vmin");
  cv::Mat frame = to_bgr(background);
  cv::Mat cells(rows, cols, CV_8UC1);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      double t = (grid[r * cols + c] - style.vmin) / (style.vmax - style.vmin);
      t = std::clamp(style.low_is_hot ? 1.0 - t : t, 0.0, 1.0);
      cells.at<uchar>(r, c) = static_cast<uchar>(t * 255 + 0.5);
    }
  cv::Mat colored, big;
  cv::applyColorMap(cells, colored, cv::COLORMAP_TURBO);
  cv::resize(colored, big, cv::Size(cols * 16, rows * 16), 0, 0, cv::INTER_NEAREST);
  big = big(cv::Rect(0, 0, frame.cols, frame.rows));
  cv::Mat blended;
  cv::addWeighted(big, style.alpha, frame, 1.0 - style.alpha, 0.0, blended);
  for (int c = 1; c < cols; ++c) cv::line(blended, {c * 16, 0}, {c * 16, frame.rows}, {40, 40, 40}, 1);
  for (int r = 1; r < rows; ++r) cv::line(blended, {0, r * 16}, {frame.cols, r * 16}, {40, 40, 40}, 1);

  // Colour bar on the right: 256 steps from vmax (top) to vmin (bottom), with labels.
  const int bar_w = 90, margin = 12, bar_h = std::max(60, frame.rows - 2 * margin - 20);
  cv::Mat canvas(frame.rows, frame.cols + bar_w, CV_8UC3, cv::Scalar(255, 255, 255));
  blended.copyTo(canvas(cv::Rect(0, 0, frame.cols, frame.rows)));
  cv::Mat ramp(bar_h, 1, CV_8UC1);
  for (int y = 0; y < bar_h; ++y) {
    double v = style.vmax - (style.vmax - style.vmin) * y / (bar_h - 1);
    double t = (v - style.vmin) / (style.vmax - style.vmin);
    ramp.at<uchar>(y, 0) = static_cast<uchar>((style.low_is_hot ? 1.0 - t : t) * 255 + 0.5);
  }
  cv::Mat ramp_c, ramp_big;
  cv::applyColorMap(ramp, ramp_c, cv::COLORMAP_TURBO);
  cv::resize(ramp_c, ramp_big, cv::Size(18, bar_h), 0, 0, cv::INTER_NEAREST);
  int x0 = frame.cols + 10, y0 = margin + 20;
  if (y0 + bar_h <= canvas.rows) ramp_big.copyTo(canvas(cv::Rect(x0, y0, 18, bar_h)));
  auto text = [&](const std::string& s, int x, int y) {
    cv::putText(canvas, s, {x, y}, cv::FONT_HERSHEY_SIMPLEX, 0.4, {0, 0, 0}, 1, cv::LINE_AA);
  };
  text(style.title, x0, margin + 8);
  for (int k = 0; k <= 4; ++k) {
    double v = style.vmax - (style.vmax - style.vmin) * k / 4.0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    text(buf, x0 + 24, y0 + (bar_h - 1) * k / 4 + 4);
  }
  write_mat_png(path, canvas, force, 3);
}

}  // namespace vssoff::video

namespace vssoff::video {

std::string frame_file_name(int64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06lld.png", static_cast<long long>(index));
  return buf;
}

std::array<uint8_t, 3> label_color(int id) {
  static const uint8_t kPalette[][3] = {
      {70, 130, 180}, {70, 70, 70},   {128, 64, 128},  {244, 35, 232},  {107, 142, 35},  {0, 0, 142},    {220, 20, 60},
      {220, 220, 0},  {250, 170, 30}, {152, 251, 152}, {255, 0, 0},     {0, 0, 70},      {0, 60, 100},   {0, 80, 100},
      {0, 0, 230},    {119, 11, 32},  {102, 102, 156}, {190, 153, 153}, {153, 153, 153}, {250, 170, 160}};
  constexpr int n = sizeof(kPalette) / sizeof(kPalette[0]);
  if (id >= 0 && id < n) return {kPalette[id][0], kPalette[id][1], kPalette[id][2]};
  uint32_t h = static_cast<uint32_t>(id) * 2654435761u;
  return {static_cast<uint8_t>(h >> 24), static_cast<uint8_t>(h >> 16), static_cast<uint8_t>(h >> 8)};
}

void write_label_overlay(const std::string& path, const Frame& rgb, const uint8_t* labels, double alpha, bool force) {
  check<RuntimeError>(rgb.format == PixelFormat::kRgb24, "label overlay needs an RGB frame");
  Frame out = rgb;
  std::array<std::array<uint8_t, 3>, 256> colors;
  for (int i = 0; i < 256; ++i) colors[i] = label_color(i);
  int a = static_cast<int>(alpha * 256);
  for (size_t i = 0; i < static_cast<size_t>(rgb.width) * rgb.height; ++i) {
    const auto& c = colors[labels[i]];
    uint8_t* p = out.plane(0) + i * 3;
    for (int k = 0; k < 3; ++k) p[k] = static_cast<uint8_t>((p[k] * (256 - a) + c[k] * a) >> 8);
  }
  write_png(path, out, force);
}

void write_boxes_overlay(const std::string& path, const Frame& rgb, const std::vector<DrawnBox>& boxes,
                         const std::string& title, bool force) {
  check<RuntimeError>(rgb.format == PixelFormat::kRgb24, "box overlay needs an RGB frame");
  Frame out = rgb;
  cv::Mat m(out.height, out.width, CV_8UC3, out.plane(0));
  const double font = 0.35;
  for (const DrawnBox& b : boxes) {
    const cv::Scalar c(b.rgb[0], b.rgb[1], b.rgb[2]);  // the Mat holds RGB: channels in that order
    const cv::Point p0(static_cast<int>(std::lround(b.x)), static_cast<int>(std::lround(b.y)));
    const cv::Point p1(static_cast<int>(std::lround(b.x + b.w)), static_cast<int>(std::lround(b.y + b.h)));
    if (!b.dashed) {
      cv::rectangle(m, p0, p1, c, 1, cv::LINE_AA);
    } else {  // dashes of 4 pixels along each side
      const cv::Point corners[5] = {p0, {p1.x, p0.y}, p1, {p0.x, p1.y}, p0};
      for (int s = 0; s < 4; ++s) {
        const cv::Point a = corners[s], z = corners[s + 1];
        const double len = std::hypot(z.x - a.x, z.y - a.y);
        for (double t = 0; t < len; t += 8) {
          const double t1 = std::min(len, t + 4);
          cv::line(m, a + (z - a) * (t / std::max(len, 1.0)), a + (z - a) * (t1 / std::max(len, 1.0)), c, 1);
        }
      }
    }
    if (!b.caption.empty())
      cv::putText(m, b.caption, {p0.x, std::max(8, p0.y - 2)}, cv::FONT_HERSHEY_SIMPLEX, font, c, 1, cv::LINE_AA);
  }
  if (!title.empty()) {
    cv::putText(m, title, {5, 14}, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
    cv::putText(m, title, {5, 14}, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  }
  write_png(path, out, force);
}

}  // namespace vssoff::video
