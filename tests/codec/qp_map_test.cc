#include "codec/qp_map.h"

#include "core/error.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "test_util.h"

namespace vssoff::codec {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(QpMap, BareNpyAbsoluteAndOffsets) {
  test::TempDir dir;
  write_npy(dir / "abs.npy", NpyArray::from<int32_t>({2, 2, 3}, {30, 30, 40, 40, 30, 30, 22, 22, 22, 22, 22, 51}),
            false);
  QpMap m = read_qp_map(dir / "abs.npy", {});
  EXPECT_EQ(m.count, 2);
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.cols, 3);
  EXPECT_EQ(m.min_qp(), 22);
  EXPECT_EQ(m.max_qp(), 51);
  EXPECT_EQ(m.for_frame(0, 10)[2], 40);
  EXPECT_EQ(m.for_frame(15, 10)[5], 51);  // frame 15 is in segment 1
  EXPECT_THROW(m.for_frame(20, 10), InputError);

  write_npy(dir / "off.npy", NpyArray::from<float>({2, 2}, {-4.0f, 0.0f, 6.0f, 10.0f}), false);
  QpMapDefaults d;
  d.kind = QpMapKind::kOffset;
  d.base_qp = 30;
  QpMap o = read_qp_map(dir / "off.npy", d);
  EXPECT_EQ(o.count, 1);
  EXPECT_EQ(std::vector<uint8_t>(o.qp.begin(), o.qp.end()), (std::vector<uint8_t>{26, 30, 36, 40}));
  EXPECT_EQ(o.for_frame(1000, 30), o.qp.data());  // one map serves every frame
}

TEST(QpMap, ManifestRoundTripStatesTheGrid) {
  test::TempDir dir;
  QpMap m;
  m.granularity = QpMapGranularity::kFrame;
  m.segment_frames = 10;
  m.width = 64;
  m.height = 36;
  m.rows = 3;
  m.cols = 4;
  m.count = 2;
  m.qp.assign(24, 33);
  m.qp[5] = 20;
  write_qp_map(dir / "m.npy", m, false);
  for (const std::string& path : {dir / "m.npy", dir / "m.npy.json"}) {
    QpMap r = read_qp_map(path, {});  // the manifest overrides the defaults
    EXPECT_EQ(r.granularity, QpMapGranularity::kFrame);
    EXPECT_EQ(r.width, 64);
    EXPECT_EQ(r.qp, m.qp);
  }
  Json j = read_manifest(dir / "m.npy.json", "qpmap", kQpMapVersion);
  EXPECT_EQ(j["params"]["mb_rows"], 3);
  EXPECT_THROW(write_qp_map(dir / "m.npy", m, false), InputError);
}

TEST(QpMap, BadValuesNameTheCell) {
  test::TempDir dir;
  write_npy(dir / "frac.npy", NpyArray::from<float>({1, 2}, {30.0f, 30.5f}), false);
  EXPECT_NE(message_of([&] { read_qp_map(dir / "frac.npy", {}); }).find("[0, 0, 1]"), std::string::npos);
  write_npy(dir / "range.npy", NpyArray::from<int16_t>({1, 2}, {30, 60}), false);
  EXPECT_NE(message_of([&] { read_qp_map(dir / "range.npy", {}); }).find("outside [1, 51]"), std::string::npos);
  write_npy(dir / "dims.npy", NpyArray::from<uint8_t>({4}, {1, 2, 3, 4}), false);
  EXPECT_NE(message_of([&] { read_qp_map(dir / "dims.npy", {}); }).find("shape"), std::string::npos);
  QpMapDefaults d;
  d.kind = QpMapKind::kOffset;
  d.base_qp = 48;
  write_npy(dir / "off.npy", NpyArray::from<int8_t>({1, 1}, {5}), false);
  EXPECT_THROW(read_qp_map(dir / "off.npy", d), InputError);
}

TEST(QpMap, QpZeroIsRefusedBecauseX264WouldEncodeEverythingLosslessly) {
  // One macroblock at QP 0 made x264 encode the whole video losslessly (CRF 0), every
  // macroblock decoding QP 0 whatever the map asked.
  test::TempDir dir;
  write_npy(dir / "zero.npy", NpyArray::from<uint8_t>({1, 2, 2}, {30, 0, 30, 30}), false);
  std::string msg = message_of([&] { read_qp_map(dir / "zero.npy", {}); });
  EXPECT_NE(msg.find("[0, 0, 1]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("lossless"), std::string::npos) << msg;
  EXPECT_THROW(read_qp_map(dir / "zero.npy", {}), InputError);
  QpMapDefaults d;
  d.kind = QpMapKind::kOffset;
  d.base_qp = 10;
  write_npy(dir / "off.npy", NpyArray::from<int8_t>({1, 2}, {0, -10}), false);
  EXPECT_THROW(read_qp_map(dir / "off.npy", d), InputError);
  write_npy(dir / "one.npy", NpyArray::from<uint8_t>({1, 2}, {1, 51}), false);
  EXPECT_EQ(read_qp_map(dir / "one.npy", {}).min_qp(), 1);
}

TEST(QpMap, FitChecksNameBothValues) {
  QpMap m;
  m.rows = 23;
  m.cols = 40;
  m.count = 3;
  m.source = "map.npy";
  m.qp.assign(3 * 23 * 40, 30);
  EXPECT_NO_THROW(check_qp_map_fits(m, 640, 360, 30, 90));
  std::string grid = message_of([&] { check_qp_map_fits(m, 1280, 720, 30, 90); });
  EXPECT_NE(grid.find("23x40"), std::string::npos) << grid;
  EXPECT_NE(grid.find("45x80"), std::string::npos) << grid;
  std::string count = message_of([&] { check_qp_map_fits(m, 640, 360, 30, 120); });
  EXPECT_NE(count.find("needs 4"), std::string::npos) << count;
  std::string many = message_of([&] { check_qp_map_fits(m, 640, 360, 30, 60); });
  EXPECT_NE(many.find("has 3 segment maps, the video needs only 2"), std::string::npos) << many;
  EXPECT_NO_THROW(check_qp_map_fits(m, 640, 360, 30, 60, /*prefix=*/true));
  m.segment_frames = 10;
  std::string seg = message_of([&] { check_qp_map_fits(m, 640, 360, 30, 90); });
  EXPECT_NE(seg.find("segments of 10"), std::string::npos) << seg;
  m.segment_frames = 0;
  m.width = 320;
  m.height = 360;
  EXPECT_THROW(check_qp_map_fits(m, 640, 360, 30, 90), InputError);
}

}  // namespace
}  // namespace vssoff::codec
