#include "video/muxer.h"

extern "C" {
#include <libavformat/avformat.h>
}

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "video/ffmpeg_util.h"

namespace vssoff::video {

struct H264Muxer::Impl {
  std::unique_ptr<AtomicOutput> out;
  // A failed FFmpeg call: when the output's I/O layer holds an error (a full disk, a quota,
  // a file-size limit), an InputError naming the file and the reason, like every other
  // write; otherwise a RuntimeError with `what` (the muxer itself failed).
  [[noreturn]] void fail(const std::string& what, int ret) const {
    if (oc && oc->pb && oc->pb->error < 0)
      throw InputError(cat("cannot write ", output_name(out->final_path()), ": ", av_error_string(oc->pb->error)));
    throw RuntimeError(cat(what, ": ", av_error_string(ret)));
  }
  AVFormatContext* oc = nullptr;
  AVStream* st = nullptr;
  AVPacket* pkt = nullptr;
  AVRational frame_tb{1, 25};
  bool finished = false;
  ~Impl() {
    if (oc) {
      if (oc->pb) avio_closep(&oc->pb);
      avformat_free_context(oc);
    }
    av_packet_free(&pkt);
  }
};

std::string H264Muxer::container_for(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  if (ext == ".mp4" || ext == ".mov" || ext == ".m4v") return "mp4";
  if (ext == ".mkv") return "matroska";
  if (ext == ".h264" || ext == ".264") return "h264";
  throw UsageError(
      cat("cannot tell the container of ", path, " from its extension '", ext, "' (use .mp4, .mkv or .h264)"));
}

H264Muxer::H264Muxer(const std::string& path, int width, int height, Rational fps, const std::vector<uint8_t>& headers,
                     bool force)
    : impl_(std::make_unique<Impl>()) {
  std::string container = container_for(path);
  route_ffmpeg_log();
  check<UsageError>(fps.valid(), "invalid frame rate ", fps.num, "/", fps.den, " for ", path);
  impl_->out = std::make_unique<AtomicOutput>(path, force);
  const std::string& tmp = impl_->out->temp_path();
  int ret = avformat_alloc_output_context2(&impl_->oc, nullptr, container.c_str(), tmp.c_str());
  check<RuntimeError>(ret >= 0 && impl_->oc, "cannot create a ", container, " muxer: ", av_error_string(ret));
  impl_->st = avformat_new_stream(impl_->oc, nullptr);
  check<RuntimeError>(impl_->st != nullptr, "out of memory");
  AVCodecParameters* par = impl_->st->codecpar;
  par->codec_type = AVMEDIA_TYPE_VIDEO;
  par->codec_id = AV_CODEC_ID_H264;
  par->width = width;
  par->height = height;
  par->format = AV_PIX_FMT_YUV420P;
  if (container != "h264" && !headers.empty()) {
    par->extradata = static_cast<uint8_t*>(av_mallocz(headers.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    std::memcpy(par->extradata, headers.data(), headers.size());
    par->extradata_size = static_cast<int>(headers.size());
  }
  impl_->frame_tb = AVRational{fps.den, fps.num};
  impl_->st->time_base = impl_->frame_tb;
  impl_->st->avg_frame_rate = AVRational{fps.num, fps.den};
  ret = avio_open(&impl_->oc->pb, tmp.c_str(), AVIO_FLAG_WRITE);
  if (ret < 0) throw InputError(cat("cannot write ", path, ": ", av_error_string(ret)));
  ret = avformat_write_header(impl_->oc, nullptr);
  if (ret < 0) impl_->fail(cat("cannot write the ", container, " header of ", path), ret);
  impl_->pkt = av_packet_alloc();
  check<RuntimeError>(impl_->pkt != nullptr, "out of memory");
}

H264Muxer::~H264Muxer() = default;

void H264Muxer::write(const EncodedPacket& p) {
  check<RuntimeError>(!impl_->finished, "H264Muxer::write after finish");
  AVPacket* pkt = impl_->pkt;
  int ret = av_new_packet(pkt, static_cast<int>(p.data.size()));
  check<RuntimeError>(ret >= 0, "out of memory");
  std::memcpy(pkt->data, p.data.data(), p.data.size());
  pkt->pts = p.pts;
  pkt->dts = p.dts;
  pkt->duration = 1;
  pkt->stream_index = impl_->st->index;
  if (p.keyframe) pkt->flags |= AV_PKT_FLAG_KEY;
  av_packet_rescale_ts(pkt, impl_->frame_tb, impl_->st->time_base);
  ret = av_interleaved_write_frame(impl_->oc, pkt);
  if (ret < 0) impl_->fail(cat("cannot write a packet to ", impl_->out->final_path()), ret);
}

void H264Muxer::finish() {
  if (impl_->finished) return;
  int ret = av_write_trailer(impl_->oc);
  if (ret < 0) impl_->fail(cat("cannot finish ", impl_->out->final_path()), ret);
  // Closing flushes the last buffer, and returns the error of any write before it.
  ret = avio_closep(&impl_->oc->pb);
  if (ret < 0)
    throw InputError(cat("cannot write ", output_name(impl_->out->final_path()), ": ", av_error_string(ret)));
  impl_->out->commit();
  impl_->finished = true;
}

}  // namespace vssoff::video
