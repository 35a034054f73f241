#include "codec/x264_encoder.h"

#include "core/error.h"
#include "synth/scene.h"
#include "test_util.h"
#include "video/decoder.h"
#include "video/scaler.h"

namespace vssoff::codec {
namespace {

struct Stats {
  int64_t exact = 0, inherited = 0, wrong = 0;
};

// Encodes `frames` synthetic street frames with per-frame QP maps from make_map, decodes the
// stream with libavcodec and classifies every macroblock's decoded QP (per frame type).
template <typename MapFn>
void encode_and_check(int width, int height, int frames, const EncoderOptions& base, MapFn make_map, Stats* intra,
                      Stats* inter, std::vector<char>* types = nullptr) {
  synth::SceneOptions so;
  so.width = width;
  so.height = height;
  synth::SceneRenderer scene(so);
  EncoderOptions eo = base;
  H264Encoder enc(width, height, {30, 1}, eo);
  int rows = enc.mb_rows(), cols = enc.mb_cols();
  std::vector<std::vector<uint8_t>> maps;
  video::Frame rgb, labels, yuv;
  std::vector<synth::ObjectBox> boxes;
  std::vector<video::EncodedPacket> pkts;
  video::Scaler scaler;
  for (int i = 0; i < frames; ++i) {
    scene.render(&rgb, &labels, &boxes);
    scaler.convert(rgb, width, height, video::PixelFormat::kYuv420p, &yuv);
    yuv.index = i;
    maps.push_back(make_map(i, rows, cols));
    enc.encode(yuv, eo.per_macroblock_qp ? maps.back().data() : nullptr, &pkts);
  }
  enc.flush(&pkts);
  ASSERT_EQ(static_cast<int>(pkts.size()), frames);
  video::H264Decoder dec(true);
  std::vector<uint8_t> headers = enc.headers();
  video::Frame out;
  int decoded = 0;
  auto check_frame = [&] {
    ASSERT_EQ(out.mb_qp.size(), size_t(rows) * cols);
    const std::vector<uint8_t>& want = maps[out.index];
    Stats* s = out.pict_type == 'I' ? intra : inter;
    if (types) types->push_back(out.pict_type);
    for (int k = 0; k < rows * cols; ++k) {
      int got = out.mb_qp[k];
      int prev = k == 0 ? eo.base_qp : out.mb_qp[k - 1];
      if (got == want[k])
        ++s->exact;
      else if (got == prev)
        ++s->inherited;  // no residual: H.264 keeps the previous QP
      else {
        ++s->wrong;
        ADD_FAILURE() << "frame " << out.index << " mb " << k << ": QP " << got << ", wanted " << int(want[k]);
      }
    }
    ++decoded;
  };
  for (size_t i = 0; i < pkts.size(); ++i) {
    std::vector<uint8_t> data = i == 0 ? headers : std::vector<uint8_t>{};
    data.insert(data.end(), pkts[i].data.begin(), pkts[i].data.end());
    dec.send(data.data(), data.size(), pkts[i].pts);
    while (dec.receive(&out)) check_frame();
  }
  dec.send_end();
  while (dec.receive(&out)) check_frame();
  EXPECT_EQ(decoded, frames);
}

std::vector<uint8_t> mosaic(int i, int rows, int cols) {
  // Four QP levels in blocks that move from frame to frame.
  static const uint8_t levels[] = {18, 27, 36, 45};
  std::vector<uint8_t> m(size_t(rows) * cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) m[r * cols + c] = levels[((r / 2) + (c / 3) + i) % 4];
  return m;
}

TEST(H264Encoder, EveryMacroblockCarriesTheRequestedQpOnIAndPFrames) {
  EncoderOptions eo;
  eo.per_macroblock_qp = true;
  eo.base_qp = 18;
  eo.gop_frames = 6;
  Stats intra, inter;
  encode_and_check(320, 180, 14, eo, mosaic, &intra, &inter);
  EXPECT_EQ(intra.wrong + inter.wrong, 0);
  EXPECT_GT(intra.exact, 0);
  EXPECT_GT(inter.exact, 0);
  // I-frames code nearly every macroblock; P-frames skip some (they inherit).
  EXPECT_GT(double(intra.exact) / (intra.exact + intra.inherited), 0.9);
  EXPECT_GT(double(inter.exact) / (inter.exact + inter.inherited), 0.5);
}

TEST(H264Encoder, ExactWithThreadsAndSizesThatAreNotMultiplesOf16) {
  EncoderOptions eo;
  eo.per_macroblock_qp = true;
  eo.base_qp = 18;
  eo.threads = 2;
  eo.preset = "medium";
  Stats intra, inter;
  encode_and_check(200, 118, 8, eo, mosaic, &intra, &inter);
  EXPECT_EQ(intra.wrong + inter.wrong, 0);
}

TEST(H264Encoder, UniformQpIsUniformInEveryFrameType) {
  EncoderOptions eo;
  eo.base_qp = 33;
  eo.gop_frames = 4;
  Stats intra, inter;
  std::vector<char> types;
  encode_and_check(
      160, 96, 9, eo, [](int, int rows, int cols) { return std::vector<uint8_t>(size_t(rows) * cols, 33); }, &intra,
      &inter, &types);
  EXPECT_EQ(intra.inherited + intra.wrong + inter.inherited + inter.wrong, 0);
  // One IDR per segment of gop_frames, none elsewhere.
  EXPECT_EQ(types, (std::vector<char>{'I', 'P', 'P', 'P', 'I', 'P', 'P', 'P', 'I'}));
}

TEST(H264Encoder, OptionsAreChecked) {
  EncoderOptions eo;
  eo.preset = "warp";
  EXPECT_THROW(eo.check(), UsageError);
  eo = {};
  eo.base_qp = 52;
  EXPECT_THROW(eo.check(), UsageError);
  eo = {};
  EXPECT_THROW(H264Encoder(101, 60, {30, 1}, eo), UsageError);  // odd width in 4:2:0
  video::Frame f;
  f.allocate(64, 48, video::PixelFormat::kYuv420p);
  H264Encoder cqp(64, 48, {30, 1}, eo);
  std::vector<uint8_t> map(12, 30);
  std::vector<video::EncodedPacket> pkts;
  EXPECT_THROW(cqp.encode(f, map.data(), &pkts), RuntimeError);  // a map needs per-macroblock mode
}

TEST(H264Encoder, QpZeroIsRefusedInPerMacroblockMode) {
  // CRF 0 turns libx264 lossless for the whole encode and drops the offsets.
  EncoderOptions eo;
  eo.per_macroblock_qp = true;
  eo.base_qp = 0;
  EXPECT_THROW(eo.check(), UsageError);
  eo.base_qp = 1;
  H264Encoder enc(64, 48, {30, 1}, eo);
  video::Frame f;
  f.allocate(64, 48, video::PixelFormat::kYuv420p);
  f.index = 0;
  std::vector<uint8_t> map(12, 30);
  map[3] = 0;
  std::vector<video::EncodedPacket> pkts;
  EXPECT_THROW(enc.encode(f, map.data(), &pkts), InputError);
  EncoderOptions cqp;  // a uniform QP 0 stays lossless on purpose
  cqp.base_qp = 0;
  EXPECT_NO_THROW(cqp.check());
}

TEST(H264Encoder, ARefusedMapLeaksNothingAndTheEncoderGoesOn) {
  // The QPs are checked before the offsets array x264 frees exists: under scripts/sanitize.sh,
  // LeakSanitizer failed this test on the array of every refused frame.
  EncoderOptions eo;
  eo.per_macroblock_qp = true;
  H264Encoder enc(64, 48, {30, 1}, eo);
  video::Frame f;
  f.allocate(64, 48, video::PixelFormat::kYuv420p);
  f.index = 0;
  std::vector<uint8_t> bad(12, 30), good(12, 30);
  bad[11] = 52;
  std::vector<video::EncodedPacket> pkts;
  for (int i = 0; i < 3; ++i) EXPECT_THROW(enc.encode(f, bad.data(), &pkts), InputError);
  enc.encode(f, good.data(), &pkts);
  enc.flush(&pkts);
  ASSERT_EQ(pkts.size(), 1u);
}

}  // namespace
}  // namespace vssoff::codec
