#include "nn/train.h"

#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "nn/model_card.h"
#include "nn/segment_video.h"
#include "nn/segmenter.h"
#include "synth_clip.h"
#include "test_util.h"

namespace vssoff::nn {
namespace {

TrainOptions tiny(const std::string& card) {
  TrainOptions o;
  o.output = card;
  o.width = 4;
  o.steps = 4;
  o.batch = 2;
  o.crop_width = 64;
  o.crop_height = 48;
  o.render_width = 128;
  o.render_height = 72;
  o.val_every = 2;
  o.val_frames = 1;
  o.compress_prob = 0.5;
  return o;
}

TEST(TrainModel, WritesACardAndWeightsThatSegmentLoads) {
  test::TempDir dir;
  TrainResult r = train_model(tiny(dir / "m.json"));
  EXPECT_EQ(r.steps, 4);
  ModelCard card = read_model_card(dir / "m.json");
  EXPECT_EQ(card.architecture, "segnet");
  EXPECT_EQ(card.classes.size(), 8u);
  EXPECT_EQ(card.classes[5], "vehicle");
  EXPECT_GT(card.gflops, 0);
  EXPECT_TRUE(std::filesystem::exists(dir / "m.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "m.json.ckpt"));

  // segment a synthetic clip with it: one label PNG and one stats row per frame.
  vssoff::test::synth_clip(dir / "clip", 96, 64, 6);
  SegmentOptions sg;
  sg.input = dir / "clip/video.mp4";
  sg.output_dir = dir / "seg";
  sg.model = dir / "m.json";
  sg.every = 2;
  sg.batch = 2;
  sg.logit_samples = 3;
  SegmentResult s = segment_video(sg);
  EXPECT_EQ(s.frames, 3);
  for (const char* f : {"labels/000000.png", "labels/000002.png", "labels/000004.png", "stats.csv", "logits.npy",
                        "samples.npy", "manifest.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / ("seg/" + std::string(f)))) << f;
  EXPECT_FALSE(std::filesystem::exists(dir / "seg/labels/000001.png"));
  Json m = read_manifest(dir / "seg/manifest.json", "segmentation", kSegmentationVersion);
  EXPECT_EQ(m["frames_segmented"], 3);
  EXPECT_EQ(m["legend"].size(), 8u);
}

TEST(TrainModel, ResumesFromTheCheckpointAndRefusesToOverwrite) {
  test::TempDir dir;
  train_model(tiny(dir / "m.json"));
  EXPECT_THROW(train_model(tiny(dir / "m.json")), InputError);  // exists, no --force
  TrainOptions more = tiny(dir / "m.json");
  more.steps = 6;
  more.resume = true;
  EXPECT_EQ(train_model(more).steps, 6);
  more.steps = 3;  // the checkpoint is already past this
  EXPECT_THROW(train_model(more), InputError);
  TrainOptions bad = tiny(dir / "x.pt");
  EXPECT_THROW(train_model(bad), UsageError);  // the output is a card
}

}  // namespace
}  // namespace vssoff::nn
