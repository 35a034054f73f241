#include "video/decoder.h"

extern "C" {
#include <libavutil/opt.h>
}

#include "core/error.h"
#include "video/ffmpeg_util.h"
#include "video/scaler.h"

namespace vssoff::video {

struct H264Decoder::Impl {
  AVCodecContext* ctx = nullptr;
  AVPacket* pkt = nullptr;
  AVFrame* frame = nullptr;
  bool export_qp;
  PixelFormat format;
  Scaler scaler;
  ~Impl() {
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
  }
};

H264Decoder::H264Decoder(bool export_qp, PixelFormat format) : impl_(std::make_unique<Impl>()) {
  impl_->export_qp = export_qp;
  impl_->format = format;
  route_ffmpeg_log();
  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_H264);
  check<RuntimeError>(codec != nullptr, "this FFmpeg has no H.264 decoder");
  impl_->ctx = avcodec_alloc_context3(codec);
  impl_->pkt = av_packet_alloc();
  impl_->frame = av_frame_alloc();
  check<RuntimeError>(impl_->ctx && impl_->pkt && impl_->frame, "out of memory");
  impl_->ctx->thread_count = 1;  // frames come back in order, without frame-thread delay
  if (export_qp) av_opt_set(impl_->ctx, "export_side_data", "venc_params", 0);
  int ret = avcodec_open2(impl_->ctx, codec, nullptr);
  check<RuntimeError>(ret >= 0, "cannot open the H.264 decoder: ", av_error_string(ret));
}

H264Decoder::~H264Decoder() = default;

void H264Decoder::send(const uint8_t* data, size_t size, int64_t pts) {
  int ret = av_new_packet(impl_->pkt, static_cast<int>(size));
  check<RuntimeError>(ret >= 0, "out of memory");
  std::copy(data, data + size, impl_->pkt->data);
  impl_->pkt->pts = impl_->pkt->dts = pts;
  ret = avcodec_send_packet(impl_->ctx, impl_->pkt);
  av_packet_unref(impl_->pkt);
  check<RuntimeError>(ret >= 0, "H.264 decoder rejected a packet: ", av_error_string(ret));
}

void H264Decoder::send_end() { avcodec_send_packet(impl_->ctx, nullptr); }

bool H264Decoder::receive(Frame* out) {
  int ret = avcodec_receive_frame(impl_->ctx, impl_->frame);
  if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return false;
  check<RuntimeError>(ret >= 0, "H.264 decoding failed: ", av_error_string(ret));
  copy_avframe(impl_->frame, 0, 0, impl_->format, impl_->export_qp, impl_->scaler, out);
  out->index = impl_->frame->pts;
  av_frame_unref(impl_->frame);
  return true;
}

}  // namespace vssoff::video
