#include "codec/round_trip.h"

#include <cmath>

#include "codec/x264_encoder.h"
#include "core/error.h"
#include "synth/scene.h"
#include "test_util.h"
#include "video/decoder.h"
#include "video/scaler.h"

namespace vssoff::codec {
namespace {

// `n` synthetic street frames (moving objects) in `format`, index = position.
std::vector<video::Frame> street(int width, int height, int n, video::PixelFormat format) {
  synth::SceneOptions so;
  so.width = width;
  so.height = height;
  synth::SceneRenderer scene(so);
  video::Scaler scaler;
  video::Frame rgb, labels;
  std::vector<synth::ObjectBox> boxes;
  std::vector<video::Frame> frames(n);
  for (int i = 0; i < n; ++i) {
    scene.render(&rgb, &labels, &boxes);
    scaler.convert(rgb, width, height, format, &frames[i]);
    frames[i].index = i;
  }
  return frames;
}

// Mean squared error of the first plane (luma, or RGB bytes) between two frames of one size and format.
double mse(const video::Frame& a, const video::Frame& b) {
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.format, b.format);
  const int row_bytes = a.format == video::PixelFormat::kRgb24 ? 3 * a.width : a.width;
  double sse = 0;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < row_bytes; ++x) {
      const double d = double(a.plane(0)[y * a.stride(0) + x]) - b.plane(0)[y * b.stride(0) + x];
      sse += d * d;
    }
  return sse / (double(row_bytes) * a.height);
}

TEST(RoundTrip, BytesEqualADirectEncodeAtTheSameSettings) {
  const std::vector<video::Frame> frames = street(96, 64, 12, video::PixelFormat::kYuv420p);
  RoundTripOptions o;
  o.qp = 31;
  o.preset = "ultrafast";
  o.gop_frames = 5;
  o.threads = 1;
  const RoundTripResult r = round_trip(frames, o);

  EncoderOptions eo;
  eo.preset = "ultrafast";
  eo.base_qp = 31;
  eo.gop_frames = 5;
  eo.threads = 1;
  H264Encoder enc(96, 64, {30, 1}, eo);
  std::vector<video::EncodedPacket> pkts;
  for (const auto& f : frames) enc.encode(f, nullptr, &pkts);
  enc.flush(&pkts);
  ASSERT_EQ(pkts.size(), frames.size());
  std::vector<int64_t> want(frames.size(), 0);
  int64_t total = static_cast<int64_t>(enc.headers().size());
  for (const auto& p : pkts) want[p.pts] += static_cast<int64_t>(p.data.size()), total += p.data.size();

  EXPECT_EQ(r.width, 96);
  EXPECT_EQ(r.height, 64);
  EXPECT_EQ(r.header_bytes, static_cast<int64_t>(enc.headers().size()));
  EXPECT_EQ(r.frame_bytes, want);
  EXPECT_EQ(r.total_bytes, total);
  EXPECT_TRUE(r.decoded.empty());  // not asked for
}

TEST(RoundTrip, RgbInputIsConvertedAsTheScalerDoes) {
  // An RGB input encodes exactly like its scaler conversion to yuv420p.
  const std::vector<video::Frame> rgb = street(64, 48, 3, video::PixelFormat::kRgb24);
  std::vector<video::Frame> yuv(rgb.size());
  video::Scaler scaler;
  for (size_t i = 0; i < rgb.size(); ++i) scaler.convert(rgb[i], 64, 48, video::PixelFormat::kYuv420p, &yuv[i]);
  RoundTripOptions o;
  o.qp = 28;
  o.threads = 1;
  EXPECT_EQ(round_trip(rgb, o).frame_bytes, round_trip(yuv, o).frame_bytes);
}

TEST(RoundTrip, DecodesEveryFrameAtTheEncodedOrTheInputSize) {
  const std::vector<video::Frame> frames = street(100, 60, 7, video::PixelFormat::kYuv420p);
  RoundTripOptions o;
  o.qp = 30;
  o.scale = 0.5;
  o.gop_frames = 4;
  o.threads = 1;
  o.decode = true;
  const RoundTripResult sent = round_trip(frames, o);
  EXPECT_EQ(sent.width, 50);
  EXPECT_EQ(sent.height, 30);
  ASSERT_EQ(sent.decoded.size(), frames.size());
  for (size_t i = 0; i < sent.decoded.size(); ++i) {
    EXPECT_EQ(sent.decoded[i].index, static_cast<int64_t>(i));
    EXPECT_EQ(sent.decoded[i].width, 50);
    EXPECT_EQ(sent.decoded[i].height, 30);
    EXPECT_EQ(sent.decoded[i].format, video::PixelFormat::kRgb24);
  }
  o.decode_at_input_size = true;
  o.decode_format = video::PixelFormat::kYuv420p;
  const RoundTripResult back = round_trip(frames, o);
  EXPECT_EQ(back.frame_bytes, sent.frame_bytes);  // decoding does not change the encode
  ASSERT_EQ(back.decoded.size(), frames.size());
  for (const auto& f : back.decoded) {
    EXPECT_EQ(f.width, 100);
    EXPECT_EQ(f.height, 60);
    EXPECT_EQ(f.format, video::PixelFormat::kYuv420p);
  }
}

TEST(RoundTrip, DecodedFramesEqualADirectEncodeAndDecode) {
  // What train's compression augmentation did by hand: one RGB frame, intra, ultrafast,
  // converted by the scaler, the whole stream decoded in one piece.
  const std::vector<video::Frame> rgb = street(80, 48, 1, video::PixelFormat::kRgb24);
  RoundTripOptions o;
  o.qp = 36;
  o.preset = "ultrafast";
  o.threads = 1;
  o.gop_frames = 1;
  o.decode = true;
  const RoundTripResult r = round_trip(rgb, o);

  EncoderOptions eo;
  eo.preset = "ultrafast";
  eo.base_qp = 36;
  eo.threads = 1;
  eo.gop_frames = 1;
  video::Scaler scaler;
  video::Frame yuv;
  scaler.convert(rgb[0], 80, 48, video::PixelFormat::kYuv420p, &yuv);
  yuv.index = 0;
  H264Encoder enc(80, 48, {30, 1}, eo);
  std::vector<video::EncodedPacket> pkts;
  enc.encode(yuv, nullptr, &pkts);
  enc.flush(&pkts);
  std::vector<uint8_t> data = enc.headers();
  for (const auto& p : pkts) data.insert(data.end(), p.data.begin(), p.data.end());
  video::H264Decoder dec(false, video::PixelFormat::kRgb24);
  dec.send(data.data(), data.size(), 0);
  dec.send_end();
  video::Frame want;
  ASSERT_TRUE(dec.receive(&want));
  ASSERT_EQ(r.decoded.size(), 1u);
  EXPECT_EQ(r.decoded[0].width, want.width);
  EXPECT_EQ(r.decoded[0].height, want.height);
  EXPECT_EQ(r.decoded[0].data, want.data);
  EXPECT_EQ(r.total_bytes, static_cast<int64_t>(data.size()));
}

TEST(RoundTrip, ScaleRuleIsProfilesRoundToEven) {
  EXPECT_EQ(scaled_size(320, 1.0), 320);
  EXPECT_EQ(scaled_size(321, 1.0), 321);  // scale 1 keeps the size as it is
  EXPECT_EQ(scaled_size(320, 0.5), 160);
  EXPECT_EQ(scaled_size(176, 0.75), 132);
  EXPECT_EQ(scaled_size(322, 0.5), 162);  // 161 -> the even number nearest (half away from zero)
  EXPECT_EQ(scaled_size(100, 0.3), 30);
  EXPECT_EQ(scaled_size(110, 0.3), 34);  // 33 -> 16.5 pairs -> 17 pairs
  EXPECT_EQ(scaled_size(10, 0.05), 2);   // at least 2
  // The encoded size follows the rule, or the exact size when given.
  const std::vector<video::Frame> frames = street(110, 64, 2, video::PixelFormat::kYuv420p);
  RoundTripOptions o;
  o.qp = 35;
  o.scale = 0.3;
  o.threads = 1;
  RoundTripResult r = round_trip(frames, o);
  EXPECT_EQ(r.width, 34);
  EXPECT_EQ(r.height, 20);  // 19.2 -> 9.6 pairs -> 10 pairs
  o.width = 48;
  o.height = 32;
  r = round_trip(frames, o);
  EXPECT_EQ(r.width, 48);
  EXPECT_EQ(r.height, 32);
}

TEST(RoundTrip, LowerQpCostsMoreBytesAndErrsLess) {
  const std::vector<video::Frame> frames = street(128, 80, 6, video::PixelFormat::kRgb24);
  RoundTripOptions o;
  o.threads = 1;
  o.decode = true;
  o.decode_format = video::PixelFormat::kRgb24;
  double prev_err = -1;
  int64_t prev_bytes = -1;
  for (int qp : {45, 35, 25, 15}) {
    o.qp = qp;
    const RoundTripResult r = round_trip(frames, o);
    double err = 0;
    for (size_t i = 0; i < frames.size(); ++i) err += mse(frames[i], r.decoded[i]) / frames.size();
    if (prev_bytes >= 0) {
      EXPECT_GT(r.total_bytes, prev_bytes) << "qp " << qp;
      EXPECT_LT(err, prev_err) << "qp " << qp;
    }
    prev_bytes = r.total_bytes;
    prev_err = err;
  }
}

TEST(RoundTrip, RefusesBadOptionsAndInputs) {
  const std::vector<video::Frame> frames = street(64, 48, 2, video::PixelFormat::kYuv420p);
  RoundTripOptions o;
  o.qp = 52;
  EXPECT_THROW(round_trip(frames, o), UsageError);
  o = RoundTripOptions();
  o.scale = 0;
  EXPECT_THROW(round_trip(frames, o), UsageError);
  o = RoundTripOptions();
  o.width = 33;
  o.height = 32;
  EXPECT_THROW(round_trip(frames, o), UsageError);
  EXPECT_THROW(round_trip({}, RoundTripOptions()), UsageError);
  std::vector<video::Frame> mixed = frames;
  mixed.push_back(street(32, 32, 1, video::PixelFormat::kYuv420p)[0]);
  EXPECT_THROW(round_trip(mixed, RoundTripOptions()), UsageError);
}

}  // namespace
}  // namespace vssoff::codec
