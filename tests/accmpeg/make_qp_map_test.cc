#include "accmpeg/make_qp_map.h"

#include <filesystem>

#include "codec/qp_map.h"
#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace vssoff::accmpeg {
namespace {

// A 128x96 clip of 4 frames (8 x 6 macroblocks) with one box on frame 2.
MakeQpMapOptions boxes_job(const test::TempDir& dir) {
  test::make_clip(dir / "clip.mp4", 128, 96, 4, "-c:v libx264");
  std::string coco = R"({"images": [{"id": 1, "frame_index": 0, "width": 128, "height": 96},
                                    {"id": 3, "frame_index": 2, "width": 128, "height": 96}],
                         "annotations": [{"image_id": 3, "bbox": [20, 20, 10, 10], "category_id": 5}]})";
  write_file_atomic(dir / "boxes.json", coco, true);
  MakeQpMapOptions o;
  o.input = dir / "clip.mp4";
  o.output = dir / "map.npy";
  o.boxes = dir / "boxes.json";
  o.box_margin = 0;
  o.params.segment_frames = 2;
  o.params.qp_hi = 30;
  o.params.qp_lo = 51;
  return o;
}

TEST(MakeQpMap, WritesTheMapOfTheBoxesWithItsManifest) {
  test::TempDir dir;
  MakeQpMapOptions o = boxes_job(dir);
  o.heatmap = dir / "map.png";
  o.heatmap_segment = 1;
  MakeQpMapResult r = make_qp_map(o);
  EXPECT_EQ(r.map.count, 2);
  EXPECT_DOUBLE_EQ(r.high_share, 1.0 / 96);  // one macroblock of 2 x 48
  codec::QpMap map = codec::read_qp_map(o.output, {});
  ASSERT_EQ(map.count, 2);
  ASSERT_EQ(map.rows, 6);
  ASSERT_EQ(map.cols, 8);
  for (int i = 0; i < 48; ++i) EXPECT_EQ(map.qp[i], 51);  // segment 0 (frames 0, 1): no boxes
  EXPECT_EQ(map.qp[48 + 1 * 8 + 1], 30);                  // pixels 20..30 lie in macroblock (1, 1)
  EXPECT_EQ(map.qp[48 + 1 * 8 + 2], 51);
  Json m = read_manifest(manifest_path_for(o.output), "qpmap", codec::kQpMapVersion);
  EXPECT_EQ(m["source"]["kind"], "boxes");
  EXPECT_EQ(m["accmpeg"]["segment_frames"], 2);
  EXPECT_TRUE(fs::exists(o.heatmap));
  EXPECT_THROW(make_qp_map(o), InputError);  // no overwrite without force
  o.force = true;
  EXPECT_NO_THROW(make_qp_map(o));
}

TEST(MakeQpMap, RefusedOptionsLeaveNoFileBehind) {
  test::TempDir dir;
  MakeQpMapOptions o = boxes_job(dir);
  o.heatmap = dir / "map.png";
  o.heatmap_segment = 2;  // 4 frames in segments of 2: segments 0 and 1
  try {
    make_qp_map(o);
    ADD_FAILURE() << "heatmap segment 2 of 2 accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("heatmap segment must be in [0, 1] (got 2)"), std::string::npos) << e.what();
  }
  o.heatmap_segment = -1;
  EXPECT_THROW(make_qp_map(o), UsageError);
  o.heatmap_segment = 0;
  o.heatmap.clear();
  o.importance_heatmap = dir / "imp.png";  // boxes have no importance
  EXPECT_THROW(make_qp_map(o), UsageError);
  o.importance_heatmap.clear();
  o.importance = dir / "g.npy";  // two sources
  EXPECT_THROW(make_qp_map(o), UsageError);
  for (const char* name : {"map.npy", "map.npy.json", "map.png", "imp.png"})
    EXPECT_FALSE(fs::exists(dir / name)) << name;
}

}  // namespace
}  // namespace vssoff::accmpeg
