#include "video/reader.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/log.h"
#include "core/threads.h"
#include "video/ffmpeg_util.h"
#include "video/scaler.h"

namespace vssoff::video {
namespace {
// A header may be a frame or two off for honest reasons (edit lists); more is truncation.
constexpr int64_t kFrameCountSlack = 2;
bool is_image_pattern(const std::string& path) { return path.find('%') != std::string::npos; }
}  // namespace

struct VideoReader::Impl {
  std::string path;
  ReaderOptions opt;
  VideoInfo info;
  AVFormatContext* fmt = nullptr;
  AVCodecContext* dec = nullptr;
  AVPacket* pkt = nullptr;
  AVFrame* frame = nullptr;
  int stream_idx = -1;
  AVRational time_base{0, 1};
  int64_t start_ts = 0;
  bool flushing = false;    // sent the final null packet
  bool read_error = false;  // demuxer stopped on an error, not a clean EOF
  bool seeked = false;
  bool use_ts_index = false;  // after a seek, frame indices come from timestamps
  int64_t next_index = 0, skip_until = 0, returned = 0, decoded_total = 0;
  int errors = 0;
  bool warned_short = false;  // the short-stream warning is given once
  Scaler scaler;

  ~Impl() { close(); }

  void close() {
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
  }

  void open() {
    route_ffmpeg_log();
    if (!is_image_pattern(path)) {
      std::error_code ec;
      if (!std::filesystem::exists(path, ec)) throw InputError(cat("video not found: ", path));
      if (std::filesystem::is_directory(path, ec)) throw InputError(cat("video is a directory: ", path));
      if (std::filesystem::file_size(path, ec) == 0) throw InputError(cat("video is empty (0 bytes): ", path));
    }
    int ret = avformat_open_input(&fmt, path.c_str(), nullptr, nullptr);
    if (ret < 0) throw InputError(cat("cannot open video ", path, ": ", av_error_string(ret)));
    ret = avformat_find_stream_info(fmt, nullptr);
    if (ret < 0) throw InputError(cat("cannot read stream info of ", path, ": ", av_error_string(ret)));
    const AVCodec* codec = nullptr;
    stream_idx = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (stream_idx == AVERROR_STREAM_NOT_FOUND) throw InputError(cat("no video stream in ", path));
    if (stream_idx < 0 || !codec)
      throw InputError(cat("no decoder for the video stream of ", path, " (", av_error_string(stream_idx), ")"));
    AVStream* st = fmt->streams[stream_idx];
    check<InputError>(st->codecpar->width > 0 && st->codecpar->height > 0, path,
                      ": video stream has no frame size (corrupt header?)");
    dec = avcodec_alloc_context3(codec);
    check<RuntimeError>(dec != nullptr, "out of memory opening ", path);
    avcodec_parameters_to_context(dec, st->codecpar);
    dec->thread_count = std::min(resolve_threads(opt.threads), 16);  // FFmpeg's own cap for frame threads
    // FFmpeg's H.264 decoder (5.1) exports a picture's QP table when it selects the picture
    // for output, which with frame threads can be while another thread is still decoding
    // it: the QPs of reordered (B-frame) streams came out wrong, differently on each run.
    // Exporting QPs therefore decodes with slice threads only.
    dec->thread_type = opt.export_qp ? FF_THREAD_SLICE : FF_THREAD_FRAME | FF_THREAD_SLICE;
    if (opt.export_qp) av_opt_set(dec, "export_side_data", "venc_params", 0);
    ret = avcodec_open2(dec, codec, nullptr);
    if (ret < 0)
      throw InputError(cat("cannot open the ", codec->name, " decoder for ", path, ": ", av_error_string(ret)));
    pkt = av_packet_alloc();
    frame = av_frame_alloc();
    check<RuntimeError>(pkt && frame, "out of memory opening ", path);
    time_base = st->time_base;
    start_ts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;

    info.path = path;
    info.container = fmt->iformat->name;
    info.codec = codec->name;
    info.pixel_format = av_pix_fmt_name(st->codecpar->format);
    info.width = st->codecpar->width;
    info.height = st->codecpar->height;
    AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : av_guess_frame_rate(fmt, st, nullptr);
    info.fps = {fr.num, fr.den};
    info.frame_count = st->nb_frames > 0 ? st->nb_frames : -1;
    if (st->duration != AV_NOPTS_VALUE)
      info.duration_s = st->duration * av_q2d(st->time_base);
    else if (fmt->duration != AV_NOPTS_VALUE)
      info.duration_s = fmt->duration / static_cast<double>(AV_TIME_BASE);
    info.bit_rate = st->codecpar->bit_rate > 0 ? st->codecpar->bit_rate : fmt->bit_rate;
  }

  int64_t index_of(const AVFrame* f) {
    int64_t ts = f->best_effort_timestamp;
    if (use_ts_index && ts != AV_NOPTS_VALUE && info.fps.valid())
      return std::llround((ts - start_ts) * av_q2d(time_base) * info.fps.value());
    return next_index;
  }

  void check_complete() {
    if (seeked || info.frame_count < 0) return;
    if (decoded_total + kFrameCountSlack < info.frame_count) {
      if (!opt.strict_frame_count) {
        if (!warned_short)
          log_warn(path, ": header says ", info.frame_count, " frames, ", decoded_total, " decoded",
                   read_error ? " (truncated or corrupt file)" : "", "; using the ", decoded_total,
                   " (--strict-length makes this an error)");
        warned_short = true;
        return;
      }
      throw InputError(
          cat(path, ": header declares ", info.frame_count, " frames but the stream ends after ", decoded_total,
              read_error ? " (read error: truncated or corrupt file)" : " (truncated file or wrong header)",
              "; without --strict-length the decodable frames are used"));
    }
  }

  // Next decoded AVFrame into `frame`; false at the end.
  bool decode_next() {
    while (true) {
      int ret = avcodec_receive_frame(dec, frame);
      if (ret == 0) return true;
      if (ret == AVERROR_EOF) return false;
      if (ret != AVERROR(EAGAIN)) {
        ++errors;
        log_warn(path, ": decoding error: ", av_error_string(ret));
        continue;
      }
      if (flushing) return false;
      ret = av_read_frame(fmt, pkt);
      if (ret < 0) {
        if (ret != AVERROR_EOF) {
          read_error = true;
          log_warn(path, ": stopped reading at a damaged or truncated spot: ", av_error_string(ret));
        }
        avcodec_send_packet(dec, nullptr);
        flushing = true;
        continue;
      }
      if (pkt->stream_index != stream_idx) {
        av_packet_unref(pkt);
        continue;
      }
      ret = avcodec_send_packet(dec, pkt);
      av_packet_unref(pkt);
      if (ret < 0 && ret != AVERROR(EAGAIN)) {
        if (++errors <= 5) log_warn(path, ": corrupt packet skipped: ", av_error_string(ret));
        if (ret != AVERROR_INVALIDDATA && ret != AVERROR(EINVAL))
          throw InputError(cat(path, ": decoder failed: ", av_error_string(ret)));
      }
    }
  }
};

VideoReader::VideoReader(const std::string& path, ReaderOptions options) : impl_(std::make_unique<Impl>()) {
  check<UsageError>(options.width >= 0 && options.height >= 0, "invalid output size ", options.width, "x",
                    options.height);
  check<UsageError>(options.threads >= 0, "decoder threads must be >= 0 (got ", options.threads, ")");
  impl_->path = path;
  impl_->opt = options;
  impl_->open();
}

VideoReader::~VideoReader() = default;

const VideoInfo& VideoReader::info() const { return impl_->info; }

bool VideoReader::read(Frame* out) {
  Impl& m = *impl_;
  while (true) {
    if (!m.decode_next()) {
      check<InputError>(m.skip_until == 0, m.path, ": cannot seek to frame ", m.skip_until, ", the video ends after ",
                        m.next_index, " frames");
      m.check_complete();
      if (m.decoded_total == 0 && !m.seeked)
        throw InputError(cat(m.path, ": no frame could be decoded (corrupt or unsupported video)"));
      return false;
    }
    ++m.decoded_total;
    int64_t index = m.index_of(m.frame);
    m.next_index = index + 1;
    if (index < m.skip_until) {
      av_frame_unref(m.frame);
      continue;
    }
    m.skip_until = 0;
    copy_avframe(m.frame, m.opt.width, m.opt.height, m.opt.format, m.opt.export_qp, m.scaler, out);
    out->index = index;
    int64_t ts = m.frame->best_effort_timestamp;
    out->time_s = ts != AV_NOPTS_VALUE ? (ts - m.start_ts) * av_q2d(m.time_base)
                                       : (m.info.fps.valid() ? index / m.info.fps.value() : 0.0);
    av_frame_unref(m.frame);
    ++m.returned;
    return true;
  }
}

void VideoReader::seek(int64_t index) {
  Impl& m = *impl_;
  check<UsageError>(index >= 0, "cannot seek to frame ", index);
  check<InputError>(m.info.frame_count < 0 || index < m.info.frame_count, m.path, ": cannot seek to frame ", index,
                    ", the video has ", m.info.frame_count);
  m.seeked = true;
  m.returned = 0;
  if (index >= m.next_index) {  // forward: decode and drop
    m.skip_until = index;
    return;
  }
  bool can_seek_ts = !(m.fmt->iformat->flags & AVFMT_NOTIMESTAMPS) && m.info.fps.valid() && m.fmt->pb &&
                     (m.fmt->pb->seekable & AVIO_SEEKABLE_NORMAL);
  if (can_seek_ts) {
    int64_t ts = m.start_ts + av_rescale_q(index, AVRational{m.info.fps.den, m.info.fps.num}, m.time_base);
    if (av_seek_frame(m.fmt, m.stream_idx, ts, AVSEEK_FLAG_BACKWARD) >= 0) {
      avcodec_flush_buffers(m.dec);
      m.flushing = false;
      m.use_ts_index = true;
      m.skip_until = index;
      m.next_index = 0;
      return;
    }
  }
  // No usable timestamps (raw H.264, image sequences): reopen and decode forward.
  m.close();
  m.flushing = m.read_error = false;
  m.next_index = 0;
  m.open();
  m.skip_until = index;
}

int64_t VideoReader::frames_read() const { return impl_->returned; }
int VideoReader::decode_errors() const { return impl_->errors; }

}  // namespace vssoff::video
