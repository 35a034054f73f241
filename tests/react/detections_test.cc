#include "react/detections.h"

#include <fstream>

#include "core/fs.h"
#include "react/fuse.h"
#include "test_util.h"

namespace vssoff::react {
namespace {

Json manifest(int64_t frames = 30) {
  Json m = new_manifest("detections", kDetectionsVersion);
  m["params"] = {{"model", "models/det.json"}, {"model_name", "det-s"}, {"every", 5}, {"first", 0},
                 {"last", frames - 1},         {"score_threshold", 0.3}};
  m["inputs"] = Json::array({{{"role", "video"}, {"path", "v.mp4"}, {"bytes", 10}, {"sha256", std::string(64, 'a')}}});
  m["video"] = {{"width", 320}, {"height", 176}, {"frames", frames}, {"fps", {30, 1}}};
  m["categories"] = Json::array({{{"id", 5}, {"name", "vehicle"}}, {{"id", 6}, {"name", "person"}}});
  return m;
}

// Writes DIR/manifest.json (with "frames") and DIR/detections.json as given.
std::string write_dir(const test::TempDir& tmp, const std::string& name, Json m, const std::vector<int64_t>& frames,
                      const std::string& results) {
  const std::string dir = tmp / name;
  std::filesystem::create_directories(dir);
  m["frames"] = frames;
  write_file_atomic(dir + "/manifest.json", m.dump(), true);
  write_file_atomic(dir + "/detections.json", results, true);
  return dir;
}

TEST(Detections, RoundTripKeepsEmptyResults) {
  test::TempDir tmp;
  const std::string dir = tmp / "d";
  std::filesystem::create_directories(dir);
  std::map<int64_t, std::vector<Detection>> per_frame = {
      {0, {{5, {1, 2, 30, 20}, 0.9}, {6, {100, 50, 10.5, 30}, 0.45}}}, {5, {}}, {10, {{6, {0, 0, 320, 176}, 1}}}};
  write_detections(dir, manifest(), per_frame);
  const DetectionsArtefact a = read_detections(dir);
  EXPECT_EQ(a.model_name, "det-s");
  EXPECT_EQ(a.every, 5);
  EXPECT_EQ(a.width, 320);
  EXPECT_EQ(a.video_frames, 30);
  EXPECT_EQ(a.fps.num, 30);
  EXPECT_EQ(a.video_sha256, std::string(64, 'a'));
  ASSERT_EQ(a.categories.size(), 2u);
  ASSERT_EQ(a.frames.size(), 3u);
  EXPECT_TRUE(a.frames.at(5).empty());  // the detector ran and saw nothing
  EXPECT_FALSE(a.frames.count(4));      // it did not run
  ASSERT_EQ(a.frames.at(0).size(), 2u);
  EXPECT_DOUBLE_EQ(a.frames.at(0)[1].box.w, 10.5);
  EXPECT_DOUBLE_EQ(a.frames.at(0)[1].score, 0.45);
  EXPECT_EQ(a.frames.at(10)[0].category_id, 6);
}

void expect_input_error(const std::string& dir, const std::string& fragment) {
  try {
    read_detections(dir);
    ADD_FAILURE() << "no error for " << dir;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Detections, RejectsWhatFuseCannotUse) {
  test::TempDir tmp;
  auto box = [](int image_id, int cat, std::string bbox) {
    return "[{\"image_id\": " + std::to_string(image_id) + ", \"category_id\": " + std::to_string(cat) +
           ", \"bbox\": " + bbox + ", \"score\": 0.5}]";
  };
  expect_input_error(write_dir(tmp, "cat", manifest(), {0}, box(1, 7, "[1, 1, 5, 5]")), "unknown category_id 7");
  expect_input_error(write_dir(tmp, "out", manifest(), {0}, box(1, 5, "[300, 1, 30, 5]")),
                     "is outside the 320x176 image");
  expect_input_error(write_dir(tmp, "neg", manifest(), {0}, box(1, 5, "[10, 1, -3, 5]")), "");
  expect_input_error(write_dir(tmp, "zero", manifest(), {0}, box(1, 5, "[10, 1, 0, 5]")), "non-positive size");
  expect_input_error(write_dir(tmp, "late", manifest(), {0}, box(31, 5, "[1, 1, 5, 5]")),
                     "frame 30, which does not exist (the video has 30 frames)");
  expect_input_error(write_dir(tmp, "frames", manifest(), {0, 30}, "[]"), "frame 30 does not exist");
  expect_input_error(write_dir(tmp, "unlisted", manifest(), {0}, box(3, 5, "[1, 1, 5, 5]")),
                     "frame 2 is not among the frames");
  expect_input_error(write_dir(tmp, "notcoco", manifest(), {0}, "{\"images\": []}"), "COCO results form expected");
  Json other = manifest();
  other["format"] = "vssoff.synth";
  expect_input_error(write_dir(tmp, "kind", other, {0}, "[]"), "vssoff.synth");
  Json novideo = manifest();
  novideo["inputs"] = Json::array();
  expect_input_error(write_dir(tmp, "novideo", novideo, {0}, "[]"), "no \"video\" input");
  expect_input_error(tmp / "missing", "not a detections directory");
}

TEST(Delays, FramesOrSecondsRoundedUp) {
  test::TempDir tmp;
  write_file_atomic(tmp / "f.csv", "frame,delay_frames\n0,10\n15,12\n", false);
  write_file_atomic(tmp / "s.csv", "frame,delay_s\n0,0.3\n15,0.301\n30,0\n", false);
  write_file_atomic(tmp / "bad.csv", "frame,delay\n0,3\n", false);
  write_file_atomic(tmp / "neg.csv", "frame,delay_frames\n0,-1\n", false);
  EXPECT_EQ(read_delays(tmp / "f.csv", 30), (std::map<int64_t, int64_t>{{0, 10}, {15, 12}}));
  EXPECT_EQ(read_delays(tmp / "s.csv", 30), (std::map<int64_t, int64_t>{{0, 9}, {15, 10}, {30, 0}}));
  EXPECT_THROW(read_delays(tmp / "bad.csv", 30), InputError);
  EXPECT_THROW(read_delays(tmp / "neg.csv", 30), InputError);
}

}  // namespace
}  // namespace vssoff::react
