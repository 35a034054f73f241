#include "codec/encode_roi.h"

#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "core/npy.h"
#include "synth/synth.h"
#include "test_util.h"
#include "video/reader.h"

namespace vssoff::codec {
namespace {

// One synthetic clip shared by the tests of this file.
class EncodeRoi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    synth::SynthOptions so;
    so.scene.width = 320;
    so.scene.height = 176;
    so.frames = 40;
    so.output_dir = *dir_ / "clip";
    synth::synthesize(so);
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string clip() { return *dir_ / "clip/video.mp4"; }
  test::TempDir tmp_;
  static test::TempDir* dir_;
};
test::TempDir* EncodeRoi::dir_ = nullptr;

TEST_F(EncodeRoi, PerSegmentMapsAreExactAndTheRegionIsSharper) {
  // 11x20 macroblocks; 4 segments of 10 frames; the region moves right each segment.
  std::vector<uint8_t> qp(4 * 11 * 20, 42);
  for (int s = 0; s < 4; ++s)
    for (int r = 3; r < 8; ++r)
      for (int c = 2 + 3 * s; c < 8 + 3 * s; ++c) qp[(s * 11 + r) * 20 + c] = 22;
  write_npy(tmp_ / "map.npy", NpyArray::from<uint8_t>({4, 11, 20}, qp), false);
  EncodeRoiOptions o;
  o.input = clip();
  o.output = tmp_ / "out.mp4";
  o.qp_map = tmp_ / "map.npy";
  o.segment_frames = 10;
  o.recon = tmp_ / "recon.y4m";
  o.heatmap = tmp_ / "qp.png";
  o.heatmap_frame = 25;
  EncodeRoiResult r = encode_roi(o);
  EXPECT_EQ(r.frames, 40);
  ASSERT_EQ(r.segment_bytes.size(), 4u);
  EXPECT_EQ(r.qp_check.mismatched, 0);
  EXPECT_GT(r.qp_check.exact, 2 * r.qp_check.inherited);  // static QP-42 background is often skipped
  ASSERT_EQ(r.psnr_y_by_qp.size(), 2u);
  EXPECT_EQ(r.psnr_y_by_qp[0].first, 22);
  EXPECT_GT(r.psnr_y_by_qp[0].second, r.psnr_y_by_qp[1].second + 5);  // inside far better than outside
  int64_t sum = 0;
  for (int64_t b : r.frame_bytes) sum += b;
  EXPECT_EQ(sum, r.total_bytes);
  // The artefacts are all there and consistent.
  Json m = read_manifest(tmp_ / "out.mp4.json", "encode", kEncodeManifestVersion);
  EXPECT_EQ(m["segment_bytes"].size(), 4u);
  EXPECT_EQ(m["params"]["x264"]["rc"], "crf");
  EXPECT_EQ(m["params"]["x264"]["keyint"], 10);
  EXPECT_TRUE(std::filesystem::exists(tmp_ / "qp.png"));
  video::VideoReader recon(tmp_ / "recon.y4m");
  video::Frame f;
  int n = 0;
  while (recon.read(&f)) ++n;
  EXPECT_EQ(n, 40);
}

TEST_F(EncodeRoi, FewerBytesThanUniformHighQuality) {
  std::vector<uint8_t> qp(11 * 20, 40);
  for (int r = 4; r < 7; ++r)
    for (int c = 5; c < 15; ++c) qp[r * 20 + c] = 24;
  write_npy(tmp_ / "map.npy", NpyArray::from<uint8_t>({1, 11, 20}, qp), false);
  EncodeRoiOptions a;
  a.input = clip();
  a.output = tmp_ / "roi.mp4";
  a.qp_map = tmp_ / "map.npy";
  EncodeRoiOptions u = a;
  u.output = tmp_ / "u24.mp4";
  u.qp_map.clear();
  u.qp = 24;
  int64_t roi = encode_roi(a).total_bytes, uniform = encode_roi(u).total_bytes;
  EXPECT_LT(roi, uniform / 2);
}

TEST_F(EncodeRoi, ScaleChangesTheGridTheMapMustFit) {
  std::vector<uint8_t> qp(6 * 10, 30);
  write_npy(tmp_ / "half.npy", NpyArray::from<uint8_t>({1, 6, 10}, qp), false);  // 160x88 -> 6x10
  EncodeRoiOptions o;
  o.input = clip();
  o.output = tmp_ / "half.mp4";
  o.qp_map = tmp_ / "half.npy";
  o.scale = 0.5;
  o.verify = true;
  EncodeRoiResult r = encode_roi(o);
  EXPECT_EQ(r.width, 160);
  EXPECT_EQ(r.height, 88);
  EXPECT_EQ(r.qp_check.mismatched, 0);
  o.scale = 1.0;
  o.output = tmp_ / "full.mp4";
  EXPECT_THROW(encode_roi(o), InputError);  // 6x10 grid for a 11x20 frame
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "full.mp4"));
}

TEST_F(EncodeRoi, OddSizedInputIsPaddedNotRejected) {
  test::make_clip(tmp_ / "odd.mkv", 97, 55, 6, "-c:v ffv1");
  EncodeRoiOptions o;
  o.input = tmp_ / "odd.mkv";
  o.output = tmp_ / "odd.mp4";
  o.qp = 26;
  o.verify = true;
  EncodeRoiResult r = encode_roi(o);
  EXPECT_EQ(r.width, 98);
  EXPECT_EQ(r.height, 56);
  EXPECT_EQ(r.frames, 6);
  EXPECT_EQ(r.qp_check.mismatched + r.qp_check.inherited, 0);
}

TEST_F(EncodeRoi, NeverOverwritesWithoutForceAndChecksOptions) {
  write_file_atomic(tmp_ / "out.mp4", "precious", false);
  EncodeRoiOptions o;
  o.input = clip();
  o.output = tmp_ / "out.mp4";
  o.qp = 30;
  EXPECT_THROW(encode_roi(o), InputError);
  EXPECT_EQ(read_file(tmp_ / "out.mp4"), "precious");
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "out.mp4.json"));
  o.force = true;
  o.max_frames = 5;
  EXPECT_EQ(encode_roi(o).frames, 5);

  EncodeRoiOptions bad;
  bad.input = clip();
  bad.output = tmp_ / "b.mp4";
  EXPECT_THROW(encode_roi(bad), UsageError);  // neither --qp nor --qp-map
  bad.qp = 30;
  bad.scale = 1.5;
  EXPECT_THROW(encode_roi(bad), UsageError);
  bad.scale = 1;
  bad.output = tmp_ / "b.avi";
  EXPECT_THROW(encode_roi(bad), UsageError);
}

TEST(VerifyQpCheck, AnyDepartureFromTheMapIsWrongEvenWhenRepeated) {
  auto classify = [](std::vector<uint8_t> want, std::vector<uint8_t> got, int slice_qp) {
    QpCheck c;
    classify_decoded_qps(want.data(), got.data(), static_cast<int>(want.size()), slice_qp, &c);
    return std::vector<int64_t>{c.exact, c.inherited, c.mismatched};
  };
  // Exact, and inheritance from the slice QP and from a correct previous macroblock.
  EXPECT_EQ(classify({40, 22, 40, 40}, {30, 22, 22, 40}, 30), (std::vector<int64_t>{2, 2, 0}));
  // A lossless encode: every macroblock decodes QP 0. The first is wrong and the others
  // only repeat its wrong QP: all wrong, not "inherited".
  EXPECT_EQ(classify({30, 30, 30, 30}, {0, 0, 0, 0}, 30), (std::vector<int64_t>{0, 0, 4}));
  // After a wrong macroblock, the chain is right again from the next exact one.
  EXPECT_EQ(classify({30, 30, 40, 40}, {25, 25, 40, 40}, 30), (std::vector<int64_t>{2, 0, 2}));
}

TEST_F(EncodeRoi, AMapWithQpZeroIsRefusedBeforeAnyOutput) {
  std::vector<uint8_t> qp(11 * 20, 30);
  qp[5] = 0;  // x264 would encode every frame losslessly and --verify saw nothing wrong
  write_npy(tmp_ / "zero.npy", NpyArray::from<uint8_t>({11, 20}, qp), false);
  EncodeRoiOptions o;
  o.input = clip();
  o.output = tmp_ / "x.mp4";
  o.qp_map = tmp_ / "zero.npy";
  o.verify = true;
  EXPECT_THROW(encode_roi(o), InputError);
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "x.mp4"));
}

TEST_F(EncodeRoi, TooFewSegmentMapsIsAnErrorBeforeAnyOutput) {
  write_npy(tmp_ / "two.npy", NpyArray::from<uint8_t>({2, 11, 20}, std::vector<uint8_t>(2 * 220, 30)), false);
  EncodeRoiOptions o;
  o.input = clip();
  o.output = tmp_ / "x.mp4";
  o.qp_map = tmp_ / "two.npy";
  o.segment_frames = 10;   // 40 frames need 4 maps
  o.strict_length = true;  // the header's count is trusted: checked before any work
  try {
    encode_roi(o);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("needs 4"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp_.path()) || !std::filesystem::exists(tmp_ / "x.mp4"));
  o.strict_length = false;  // checked against the frames that decode: at frame 20, still no output
  try {
    encode_roi(o);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("frame 20 needs segment 2"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "x.mp4"));
}

TEST_F(EncodeRoi, VariableFrameRateInputIsRefusedNotMadeConstant) {
  // 30 frames 1/30 s apart, then 30 frames 0.1 s apart: 3.9 s, which a constant-rate encode
  // turned into 2 s.
  std::string cmd =
      "ffmpeg -loglevel error -y -f lavfi -i testsrc=size=160x96:rate=30 -frames:v 60 -vf "
      "\"setpts='if(lt(N,30),N,30+(N-30)*3)/30/TB'\" -vsync vfr -c:v libx264 -qp 20 '" +
      tmp_ / "vfr.mkv" + "'";
  ASSERT_EQ(test::run(cmd), 0) << cmd;
  EncodeRoiOptions o;
  o.input = tmp_ / "vfr.mkv";
  o.output = tmp_ / "x.mp4";
  o.qp = 30;
  try {
    encode_roi(o);
    FAIL() << "variable frame rate accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("variable frame rate: frame 31"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "x.mp4"));
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "x.mp4.json"));
  // The same frames at a constant rate encode.
  test::make_clip(tmp_ / "cfr.mkv", 160, 96, 20, "-c:v libx264 -qp 20 -bf 2");
  o.input = tmp_ / "cfr.mkv";
  EXPECT_EQ(encode_roi(o).frames, 20);
}

TEST_F(EncodeRoi, TooManyMapsIsAnErrorNamingBothCountsAndTheOption) {
  // 40 per-frame maps without --qp-map-per frame were read as per-segment maps: 4 of them
  // were used, the other 36 silently dropped.
  write_npy(tmp_ / "frames.npy", NpyArray::from<uint8_t>({40, 11, 20}, std::vector<uint8_t>(40 * 220, 30)), false);
  EncodeRoiOptions o;
  o.input = clip();
  o.output = tmp_ / "x.mp4";
  o.qp_map = tmp_ / "frames.npy";
  o.segment_frames = 10;
  try {
    encode_roi(o);
    FAIL() << "40 maps for 4 segments accepted";
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("has 40 segment maps"), std::string::npos) << msg;
    EXPECT_NE(msg.find("needs only 4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--qp-map-per frame"), std::string::npos) << msg;
  }
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "x.mp4"));
  // Read per frame, they fit.
  o.map_defaults.granularity = QpMapGranularity::kFrame;
  EXPECT_EQ(encode_roi(o).frames, 40);
  // One segment map too many.
  write_npy(tmp_ / "five.npy", NpyArray::from<uint8_t>({5, 11, 20}, std::vector<uint8_t>(5 * 220, 30)), false);
  o = {};
  o.input = clip();
  o.output = tmp_ / "y.mp4";
  o.qp_map = tmp_ / "five.npy";
  o.segment_frames = 10;
  EXPECT_THROW(encode_roi(o), InputError);
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "y.mp4"));
  // Encoding only the first frames on purpose uses the maps it needs.
  o.max_frames = 20;
  EXPECT_EQ(encode_roi(o).frames, 20);
}

}  // namespace
}  // namespace vssoff::codec
