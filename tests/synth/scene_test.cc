#include "synth/scene.h"

#include <map>
#include <set>

#include "core/error.h"
#include "test_util.h"

namespace vssoff::synth {
namespace {

TEST(Scene, EveryClassAppearsAndBoxesAgreeWithLabels) {
  SceneOptions o;
  o.width = 320;
  o.height = 180;
  SceneRenderer scene(o);
  video::Frame rgb, labels;
  std::vector<ObjectBox> boxes;
  std::set<int> seen;
  std::set<int> tracks;
  for (int i = 0; i < 60; ++i) {
    scene.render(&rgb, &labels, &boxes);
    ASSERT_EQ(rgb.width, 320);
    for (uint8_t l : labels.data) {
      ASSERT_LT(l, kNumClasses);
      seen.insert(l);
    }
    for (const ObjectBox& b : boxes) {
      tracks.insert(b.track_id);
      ASSERT_TRUE(b.class_id == kVehicle || b.class_id == kPerson);
      ASSERT_GE(b.x, 0);
      ASSERT_GE(b.y, 0);
      ASSERT_LE(b.x + b.w, 320);
      ASSERT_LE(b.y + b.h, 180);
      ASSERT_GT(b.visibility, 0);
      ASSERT_LE(b.visibility, 1);
      // Every visible pixel of the object lies in its box and carries its class.
      int64_t of_class = 0;
      for (int y = b.y; y < b.y + b.h; ++y)
        for (int x = b.x; x < b.x + b.w; ++x) of_class += labels.plane(0)[y * 320 + x] == b.class_id;
      ASSERT_GE(of_class, b.area) << "track " << b.track_id << " frame " << i;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kNumClasses));
  EXPECT_GT(tracks.size(), 5u);
}

TEST(Scene, BusyAndCalmPeriodsAlternate) {
  SceneOptions o;
  o.width = 64;
  o.height = 36;
  o.fps = {10, 1};
  SceneRenderer scene(o);
  video::Frame rgb, labels;
  std::vector<ObjectBox> boxes;
  double lo = 1, hi = 0;
  for (int i = 0; i < 400; ++i) {  // 40 s
    scene.render(&rgb, &labels, &boxes);
    lo = std::min(lo, scene.activity());
    hi = std::max(hi, scene.activity());
  }
  EXPECT_LT(lo, 0.4);
  EXPECT_GT(hi, 0.8);
}

double mean(const video::Frame& f) {
  double s = 0;
  for (uint8_t v : f.data) s += v;
  return s / f.data.size();
}

TEST(Scene, PresetsDifferAsNamed) {
  std::map<std::string, double> brightness;
  std::map<std::string, size_t> people;
  std::map<std::string, std::set<int>> vehicles;  // distinct vehicles seen
  for (const std::string& p : preset_names()) {
    SceneOptions o;
    o.preset = p;
    o.width = 160;
    o.height = 90;
    SceneRenderer scene(o);
    video::Frame rgb, labels;
    std::vector<ObjectBox> boxes;
    for (int i = 0; i < 150; ++i) {
      scene.render(&rgb, &labels, &boxes);
      for (const auto& b : boxes) {
        if (b.class_id == kPerson)
          ++people[p];
        else
          vehicles[p].insert(b.track_id);
      }
    }
    brightness[p] = mean(rgb);
  }
  EXPECT_LT(brightness["night"], 0.6 * brightness["street"]);
  EXPECT_GT(people["crowd"], 2 * people["street"]);
  EXPECT_EQ(people["highway"], 0u);
  EXPECT_GT(vehicles["highway"].size(), vehicles["street"].size());
}

TEST(Scene, OptionsAreChecked) {
  SceneOptions o;
  o.preset = "moon";
  EXPECT_THROW(SceneRenderer s(o), UsageError);
  o = {};
  o.width = 8;
  EXPECT_THROW(SceneRenderer s(o), UsageError);
}

}  // namespace
}  // namespace vssoff::synth
