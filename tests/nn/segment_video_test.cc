#include "nn/segment_video.h"

#include <filesystem>

#include "core/csv.h"
#include "core/error.h"
#include "synth_clip.h"
#include "test_util.h"

namespace vssoff::nn {
namespace {

TEST(SegmentVideo, LabelsForTheSelectedFramesStatsRowsManifestAndNoOverwrite) {
  vssoff::test::TempDir dir;
  vssoff::test::synth_clip(dir / "clip", 96, 64, 7);
  SegmentOptions o;
  o.input = dir / "clip/video.mp4";
  o.output_dir = dir / "seg";
  o.model = std::string(VSSOFF_SOURCE_DIR) + "/models/segnet-tiny.json";
  o.start = 1;
  o.every = 3;  // frames 1, 4
  o.frames = 5;
  o.segmenter.threads = 2;
  SegmentResult r = segment_video(o);
  EXPECT_EQ(r.frames, 2);
  namespace fs = std::filesystem;
  std::vector<std::string> labels;
  for (const auto& e : fs::directory_iterator(dir / "seg/labels")) labels.push_back(e.path().filename().string());
  std::sort(labels.begin(), labels.end());
  EXPECT_EQ(labels, (std::vector<std::string>{"000001.png", "000004.png"}));
  CsvTable stats = read_csv(dir / "seg/stats.csv");
  ASSERT_EQ(stats.rows.size(), 2u);
  EXPECT_EQ(stats.integer(0, "frame"), 1);
  EXPECT_EQ(stats.integer(1, "frame"), 4);
  EXPECT_NEAR(stats.number(1, "time_s"), 4.0 / 30, 1e-3);
  double shares = 0;
  for (size_t c = 0; c < stats.columns.size(); ++c)
    if (stats.columns[c].rfind("share_", 0) == 0) shares += stats.number(0, stats.columns[c]);
  EXPECT_NEAR(shares, 1, 1e-4);
  const double p = stats.number(0, "mean_max_prob");
  EXPECT_TRUE(p > 0 && p <= 1) << p;
  Json m = read_manifest(dir / "seg/manifest.json", "segmentation", kSegmentationVersion);
  EXPECT_EQ(m["frames_segmented"], 2);
  EXPECT_EQ(m["labels_pattern"], "labels/%06d.png");
  EXPECT_FALSE(fs::exists(dir / "seg/confidence"));
  EXPECT_FALSE(fs::exists(dir / "seg/logits.npy"));

  // An existing output is refused without force and left as it was; with force it is replaced.
  SegmentOptions again = o;
  again.every = 1;
  EXPECT_THROW(segment_video(again), InputError);
  EXPECT_EQ(read_csv(dir / "seg/stats.csv").rows.size(), 2u);
  again.force = true;
  EXPECT_EQ(segment_video(again).frames, 5);
  EXPECT_EQ(read_csv(dir / "seg/stats.csv").rows.size(), 5u);
  EXPECT_FALSE(fs::exists(dir / "seg/labels/000000.png"));
  EXPECT_TRUE(fs::exists(dir / "seg/labels/000005.png"));
}

}  // namespace
}  // namespace vssoff::nn
