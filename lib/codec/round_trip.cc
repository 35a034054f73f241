#include "codec/round_trip.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "codec/x264_encoder.h"
#include "core/error.h"
#include "video/decoder.h"

namespace vssoff::codec {

int scaled_size(int side, double scale) {
  return scale == 1.0 ? side : std::max(2, static_cast<int>(std::lround(side * scale / 2)) * 2);
}

void RoundTripOptions::check() const {
  vssoff::check<UsageError>(qp >= 0 && qp <= 51, "qp must be in [0, 51] (got ", qp, ")");
  vssoff::check<UsageError>(scale > 0 && scale <= 1, "scale must be in (0, 1] (got ", scale, ")");
  vssoff::check<UsageError>(
      (width == 0 && height == 0) || (width > 0 && height > 0 && width % 2 == 0 && height % 2 == 0),
      "width and height must both be 0 or both even and > 0 (got ", width, "x", height, ")");
  vssoff::check<UsageError>(gop_frames >= 1, "gop frames must be >= 1 (got ", gop_frames, ")");
  vssoff::check<UsageError>(threads >= 0, "threads must be >= 0 (got ", threads, ")");
  vssoff::check<UsageError>(
      decode_format == video::PixelFormat::kYuv420p || decode_format == video::PixelFormat::kRgb24,
      "decode format must be yuv420p or rgb24");
}

RoundTripResult round_trip(const std::vector<video::Frame>& frames, const RoundTripOptions& opt,
                           video::Scaler* scaler) {
  opt.check();
  check<UsageError>(!frames.empty(), "round trip: no frames");
  const int in_w = frames[0].width, in_h = frames[0].height;
  for (const video::Frame& f : frames)
    check<UsageError>(f.width == in_w && f.height == in_h &&
                          (f.format == video::PixelFormat::kYuv420p || f.format == video::PixelFormat::kRgb24),
                      "round trip: frames must be yuv420p or rgb24 of one size (got ", f.width, "x", f.height,
                      " after ", in_w, "x", in_h, ")");
  std::unique_ptr<video::Scaler> own;
  if (!scaler) scaler = (own = std::make_unique<video::Scaler>()).get();

  RoundTripResult r;
  r.width = opt.width > 0 ? opt.width : scaled_size(in_w, opt.scale);
  r.height = opt.height > 0 ? opt.height : scaled_size(in_h, opt.scale);
  const int n = static_cast<int>(frames.size());

  EncoderOptions eo;
  eo.preset = opt.preset;
  eo.base_qp = opt.qp;
  eo.gop_frames = opt.gop_frames;
  eo.threads = opt.threads;
  eo.per_macroblock_qp = !opt.mb_qp.empty();
  H264Encoder enc(r.width, r.height, opt.fps, eo);
  check<UsageError>(opt.mb_qp.empty() || opt.mb_qp.size() == size_t(enc.mb_rows()) * enc.mb_cols(),
                    "round trip: a QP map of ", opt.mb_qp.size(), " macroblocks for a ", enc.mb_cols(), "x",
                    enc.mb_rows(), " grid");
  std::vector<video::EncodedPacket> pkts;
  video::Frame converted;
  for (int i = 0; i < n; ++i) {
    const video::Frame* in = &frames[i];
    if (in->format != video::PixelFormat::kYuv420p || in->width != r.width || in->height != r.height) {
      scaler->convert(*in, r.width, r.height, video::PixelFormat::kYuv420p, &converted);
      converted.index = i;
      in = &converted;
    } else if (in->index != i) {  // the encoder takes its pts and IDR decisions from the index
      converted = *in;
      converted.index = i;
      in = &converted;
    }
    enc.encode(*in, opt.mb_qp.empty() ? nullptr : opt.mb_qp.data(), &pkts);
  }
  enc.flush(&pkts);
  const std::vector<uint8_t> headers = enc.headers();
  r.header_bytes = static_cast<int64_t>(headers.size());
  r.frame_bytes.assign(n, 0);
  r.total_bytes = r.header_bytes;
  for (const auto& p : pkts) {
    check<RuntimeError>(p.pts >= 0 && p.pts < n, "round trip: x264 returned a packet for frame ", p.pts);
    r.frame_bytes[p.pts] += static_cast<int64_t>(p.data.size());
    r.total_bytes += static_cast<int64_t>(p.data.size());
  }
  if (opt.keep_stream) {
    for (size_t k = 0; k < pkts.size(); ++k) {
      if (k == 0) r.stream.assign(headers.begin(), headers.end());
      r.stream.append(pkts[k].data.begin(), pkts[k].data.end());
      r.packet_bytes.push_back(static_cast<int64_t>(pkts[k].data.size() + (k == 0 ? headers.size() : 0)));
    }
  }
  if (!opt.decode) return r;

  video::H264Decoder dec(false, opt.decode_format);
  r.decoded.resize(n);
  int got = 0;
  auto drain = [&] {
    video::Frame out;
    while (dec.receive(&out)) {
      check<RuntimeError>(out.index >= 0 && out.index < n, "round trip: the decoder returned frame ", out.index);
      if (opt.decode_at_input_size)
        scaler->convert(out, in_w, in_h, opt.decode_format, &r.decoded[out.index]);
      else
        r.decoded[out.index] = std::move(out);
      ++got;
    }
  };
  for (size_t k = 0; k < pkts.size(); ++k) {
    std::vector<uint8_t> au = k == 0 ? headers : std::vector<uint8_t>();  // SPS/PPS with the first IDR
    au.insert(au.end(), pkts[k].data.begin(), pkts[k].data.end());
    dec.send(au.data(), au.size(), pkts[k].pts);
    drain();
  }
  dec.send_end();
  drain();
  check<RuntimeError>(got == n, "round trip: decoded ", got, " of ", n, " frames");
  return r;
}

}  // namespace vssoff::codec
