#include "synth/synth.h"

#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "core/manifest.h"
#include "test_util.h"
#include "video/picture.h"
#include "video/reader.h"

namespace vssoff::synth {
namespace {

SynthOptions small(const std::string& dir, uint64_t seed) {
  SynthOptions o;
  o.scene.width = 192;
  o.scene.height = 108;
  o.scene.seed = seed;
  o.frames = 24;
  o.output_dir = dir;
  return o;
}

TEST(Synth, SameSeedSameBytesOtherSeedOtherBytes) {
  test::TempDir dir;
  synthesize(small(dir / "a", 5));
  synthesize(small(dir / "b", 5));
  synthesize(small(dir / "c", 6));
  for (const char* f : {"video.mp4", "boxes.json", "labels/000000.png", "labels/000023.png"})
    EXPECT_EQ(sha256_file(dir / ("a/" + std::string(f))), sha256_file(dir / ("b/" + std::string(f)))) << f;
  EXPECT_NE(sha256_file(dir / "a/video.mp4"), sha256_file(dir / "c/video.mp4"));
}

TEST(Synth, WritesAConsistentDirectory) {
  test::TempDir dir;
  SynthOptions o = small(dir / "clip", 1);
  o.preview_every = 10;
  synthesize(o);
  Json m = read_manifest(dir / "clip/manifest.json", "synth", kSynthManifestVersion);
  EXPECT_EQ(m["params"]["frames"], 24);
  EXPECT_EQ(m["legend"].size(), static_cast<size_t>(kNumClasses));
  EXPECT_EQ(sidecar_path(m, dir / "clip/manifest.json", "video"), dir / "clip/video.mp4");

  video::VideoReader reader(dir / "clip/video.mp4");
  EXPECT_EQ(reader.info().frame_count, 24);
  EXPECT_EQ(reader.info().width, 192);
  video::Frame labels = video::read_image(dir / "clip/labels/000023.png", video::PixelFormat::kGray8);
  EXPECT_EQ(labels.width, 192);
  EXPECT_FALSE(std::filesystem::exists(dir / "clip/labels/000024.png"));
  EXPECT_TRUE(std::filesystem::exists(dir / "clip/preview/000020.png"));

  Json coco = Json::parse(read_file(dir / "clip/boxes.json"));
  EXPECT_EQ(coco["images"].size(), 24u);
  ASSERT_FALSE(coco["annotations"].empty());
  for (const Json& a : coco["annotations"]) {
    EXPECT_GE(a["image_id"].get<int>(), 1);
    EXPECT_LE(a["image_id"].get<int>(), 24);
    EXPECT_TRUE(a.contains("track_id"));
    EXPECT_EQ(a["bbox"].size(), 4u);
  }
}

TEST(Synth, RefusesToReplaceAnExistingDirectoryWithoutForce) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "clip");
  write_file_atomic(dir / "clip/keep.txt", "mine", false);
  EXPECT_THROW(synthesize(small(dir / "clip", 1)), InputError);
  EXPECT_EQ(read_file(dir / "clip/keep.txt"), "mine");
  SynthOptions o = small(dir / "clip", 1);
  o.force = true;
  EXPECT_THROW(synthesize(o), InputError);  // not a vssoff output: --force does not delete it
  EXPECT_EQ(read_file(dir / "clip/keep.txt"), "mine");
  write_file_atomic(dir / "clip/manifest.json", "{}", false);
  synthesize(o);
  EXPECT_FALSE(std::filesystem::exists(dir / "clip/keep.txt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "clip/video.mp4"));
}

}  // namespace
}  // namespace vssoff::synth
