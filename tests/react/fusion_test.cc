#include "react/fusion.h"

#include <random>

#include "test_util.h"

namespace vssoff::react {
namespace {

constexpr int kW = 160, kH = 120;

// A plain grey frame with, when w > 0, a textured rectangle (fixed random noise) at (x, y).
video::Frame frame_with_patch(int64_t index, int x, int y, int w, int h) {
  video::Frame f;
  f.allocate(kW, kH, video::PixelFormat::kRgb24);
  f.index = index;
  std::fill(f.data.begin(), f.data.end(), uint8_t{90});
  std::mt19937 rng(5);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const uint8_t v = static_cast<uint8_t>(rng() % 256);
      if (y + r < 0 || y + r >= kH || x + c < 0 || x + c >= kW) continue;
      uint8_t* p = f.plane(0) + (y + r) * f.stride(0) + 3 * (x + c);
      p[0] = v, p[1] = static_cast<uint8_t>(255 - v), p[2] = static_cast<uint8_t>(v / 2);
    }
  return f;
}

// Records which frames its trackers were started on and updated with (Frame::index).
struct Probe {
  static inline std::vector<int64_t> inits, updates;
  static inline bool fail = false;
};
class ProbeTracker : public Tracker {
 public:
  void init(const TrackImage& frame, const Rect& box) override {
    Probe::inits.push_back(frame.rgb().index);
    box_ = box;
  }
  std::optional<Rect> update(const TrackImage& frame) override {
    Probe::updates.push_back(frame.rgb().index);
    if (Probe::fail) return std::nullopt;
    return box_;
  }

 private:
  Rect box_;
};

class FusionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_tracker({"probe", "test probe", TrackerInput::kNone, [] { return std::make_unique<ProbeTracker>(); }});
    Probe::inits.clear(), Probe::updates.clear(), Probe::fail = false;
  }
  FusionOptions options(const std::string& tracker = "probe") {
    FusionOptions o;
    o.tracker = tracker;
    return o;
  }
  // Pushes frame t (blank) and runs step 1 on every fusion.
  void next(int64_t t, std::initializer_list<Fusion*> fusions) {
    buffer_.push(TrackImage(frame_with_patch(t, 0, 0, 0, 0), TrackerInput::kNone), t);
    for (Fusion* f : fusions) f->track(t);
  }
  FrameBuffer buffer_{64};
};

const Detection kCar{5, {10, 10, 40, 30}, 0.9};
const Detection kCarShifted{5, {12, 10, 40, 30}, 0.7};  // IoU with kCar > 0.5
const Detection kPerson{6, {100, 20, 20, 50}, 0.8};

TEST_F(FusionTest, EmptyEdgeResultKeepsObjectsAndDecaysThem) {
  Fusion f(options(), buffer_);
  next(0, {&f});
  f.edge(0, {kCar, kPerson});
  next(1, {&f});
  f.edge(1, {});  // the detector ran and saw nothing
  ASSERT_EQ(f.output().size(), 2u);
  EXPECT_NEAR(f.output()[0].score, 0.9 * 0.8, 1e-12);
  EXPECT_EQ(f.stats().empty_edge_results, 1);
}

TEST_F(FusionTest, UnmatchedCloudObjectIsDroppedAtTheNextEdgeResult) {
  Fusion f(options(), buffer_);
  next(0, {&f});
  f.edge(0, {kCar});
  for (int t = 1; t <= 3; ++t) next(t, {&f});
  f.cloud(0, {kCar, kPerson});  // the person only the cloud saw
  EXPECT_EQ(f.output().size(), 2u);
  next(4, {&f});
  f.edge(4, {kCarShifted});
  ASSERT_EQ(f.output().size(), 1u);
  EXPECT_EQ(f.output()[0].category_id, 5);
}

TEST_F(FusionTest, KeepUnconfirmedKeepsWhatOnlyTheCloudSawDecayed) {
  FusionOptions o = options();
  o.keep_unconfirmed = true;
  Fusion f(o, buffer_);
  next(0, {&f});
  f.edge(0, {kCar});
  for (int t = 1; t <= 3; ++t) next(t, {&f});
  f.cloud(0, {kCar, kPerson});  // the person only the cloud saw
  next(4, {&f});
  f.edge(4, {kCarShifted});
  ASSERT_EQ(f.output().size(), 2u);  // the person is kept (the reference drops it)
  double person = -1;
  for (const Detection& d : f.output())
    if (d.category_id == 6) person = d.score;
  EXPECT_DOUBLE_EQ(person, kPerson.score * o.decay);
  next(5, {&f});
  f.edge(5, {kCarShifted});  // an edge-only object unmatched is still dropped
  EXPECT_EQ(f.output().size(), 2u);
}

TEST_F(FusionTest, MatchedScoreMaxKeepsTheCloudsHigherScore) {
  FusionOptions o = options();
  o.matched_score = "max";
  Fusion f(o, buffer_);
  next(0, {&f});
  next(1, {&f});
  f.cloud(0, {{5, kCar.box, 0.95}});
  next(2, {&f});
  f.edge(2, {{6, kCar.box, 0.4}});
  ASSERT_EQ(f.output().size(), 1u);
  EXPECT_DOUBLE_EQ(f.output()[0].score, 0.95);
  EXPECT_EQ(f.output()[0].category_id, 5);
}

TEST_F(FusionTest, MatchedPairTakesTheCloudClassAndTheFresherBox) {
  Fusion f(options(), buffer_);
  next(0, {&f});
  f.edge(0, {{6, kCar.box, 0.4}});  // the edge calls the car a person
  next(1, {&f});
  next(2, {&f});
  f.edge(2, {{6, kCarShifted.box, 0.5}});  // refreshed by the edge after the cloud's frame 1
  next(3, {&f});
  f.cloud(1, {{5, kCar.box, 0.95}});
  ASSERT_EQ(f.output().size(), 1u);
  const Detection d = f.output()[0];
  EXPECT_EQ(d.category_id, 5);      // the cloud's class
  EXPECT_DOUBLE_EQ(d.score, 0.95);  // the score of the set that just arrived
  EXPECT_DOUBLE_EQ(d.box.x, 12);    // the edge's box of frame 2 is fresher than the cloud's of frame 1
  next(4, {&f});
  f.edge(4, {{6, kCar.box, 0.6}});  // a later edge box keeps the cloud class, takes the edge score
  ASSERT_EQ(f.output().size(), 1u);
  EXPECT_EQ(f.output()[0].category_id, 5);
  EXPECT_DOUBLE_EQ(f.output()[0].score, 0.6);
  EXPECT_DOUBLE_EQ(f.output()[0].box.x, 10);
  // Not refreshed by the edge since the cloud's frame: the fast-forwarded cloud box wins.
  next(5, {&f});
  f.cloud(5, {{5, kCarShifted.box, 0.9}});
  EXPECT_DOUBLE_EQ(f.output()[0].box.x, 12);
}

TEST_F(FusionTest, CloudOnlyReplacesItsStaleSetAndKeepsEdgeObjects) {
  Fusion cloud_only(options(), buffer_), react(options(), buffer_);
  next(0, {&cloud_only, &react});
  react.edge(0, {kPerson});
  next(1, {&cloud_only, &react});
  cloud_only.cloud(0, {kCar});
  react.cloud(0, {kCar});
  for (int t = 2; t <= 4; ++t) next(t, {&cloud_only, &react});
  cloud_only.cloud(3, {{6, {60, 60, 20, 20}, 0.9}});
  react.cloud(3, {{6, {60, 60, 20, 20}, 0.9}});
  ASSERT_EQ(cloud_only.output().size(), 1u);  // the car of frame 0 is superseded
  EXPECT_EQ(cloud_only.output()[0].box.x, 60);
  EXPECT_EQ(react.output().size(), 2u);  // the edge's person is kept, the cloud-only car superseded
}

TEST_F(FusionTest, FastForwardStartsOnTheCloudFrameItself) {
  Fusion f(options(), buffer_);
  for (int t = 0; t <= 10; ++t) next(t, {&f});
  Probe::inits.clear(), Probe::updates.clear();
  f.cloud(6, {kCar});  // computed on frame 6, arrives at frame 10
  EXPECT_EQ(Probe::inits, std::vector<int64_t>{6});
  EXPECT_EQ(Probe::updates, (std::vector<int64_t>{7, 8, 9, 10}));
  Probe::updates.clear();
  next(11, {&f});
  EXPECT_EQ(Probe::updates, std::vector<int64_t>{11});
}

TEST_F(FusionTest, OutOfOrderCloudResultIsIgnored) {
  Fusion f(options(), buffer_);
  for (int t = 0; t <= 5; ++t) next(t, {&f});
  f.cloud(4, {kCar});
  f.cloud(3, {kPerson});
  EXPECT_EQ(f.output().size(), 1u);
  EXPECT_EQ(f.stats().cloud_out_of_order, 1);
}

TEST_F(FusionTest, DelayBeyondTheBufferIsAnErrorOrFromTheOldestFrame) {
  FrameBuffer small(4);
  FusionOptions o = options();
  o.buffer_frames = 4;
  Fusion f(o, small);
  o.allow_short_buffer = true;
  Fusion g(o, small);
  for (int t = 0; t <= 9; ++t) {
    small.push(TrackImage(frame_with_patch(t, 0, 0, 0, 0), TrackerInput::kNone), t);
    f.track(t), g.track(t);
  }
  EXPECT_THROW(f.cloud(5, {kCar}), UsageError);  // frames 6..9 are kept
  EXPECT_NO_THROW(f.cloud(6, {kCar}));
  Probe::inits.clear();
  g.cloud(2, {kCar});
  EXPECT_EQ(Probe::inits, std::vector<int64_t>{6});
  EXPECT_EQ(g.stats().short_buffer, 1);
}

TEST_F(FusionTest, ScoreDecaysOnTrackerFailureUntilRemoved) {
  Fusion f(options(), buffer_);
  next(0, {&f});
  f.edge(0, {kCar});  // 0.9
  Probe::fail = true;
  for (int t = 1; t <= 9; ++t) next(t, {&f});
  ASSERT_EQ(f.output().size(), 1u);  // 0.9 * 0.8^9 = 0.121
  EXPECT_NEAR(f.output()[0].score, 0.9 * std::pow(0.8, 9), 1e-12);
  next(10, {&f});  // 0.9 * 0.8^10 = 0.097 < 0.1
  EXPECT_TRUE(f.output().empty());
  EXPECT_TRUE(f.objects().empty());
}

TEST_F(FusionTest, BoxesAreClippedToTheFrame) {
  Fusion f(options("none"), buffer_);
  next(0, {&f});
  f.edge(0, {{5, {150, 100, 20, 30}, 0.9}});  // clipped to the 160x120 frame
  ASSERT_EQ(f.output().size(), 1u);
  EXPECT_DOUBLE_EQ(f.output()[0].box.w, 10);
  EXPECT_DOUBLE_EQ(f.output()[0].box.h, 20);
}

TEST(FrameBufferTest, KeepsTheLastFrames) {
  FrameBuffer b(3);
  for (int t = 0; t < 5; ++t) b.push(TrackImage(frame_with_patch(t, 0, 0, 0, 0), TrackerInput::kGray), t);
  EXPECT_EQ(b.oldest(), 2);
  EXPECT_EQ(b.newest(), 4);
  EXPECT_EQ(b.at(3).rgb().index, 3);
  EXPECT_EQ(b.at(3).image().channels(), 1);
  EXPECT_THROW(b.at(1), RuntimeError);
  EXPECT_THROW(b.push(TrackImage(frame_with_patch(9, 0, 0, 0, 0), TrackerInput::kGray), 9), RuntimeError);
}

// fuse's workers each keep a buffer of the same frames: a frame lives while any holds it.
TEST(FrameBufferTest, SharesFramesBetweenBuffers) {
  FrameBuffer a(1), b(3);
  for (int t = 0; t < 3; ++t) {
    auto f = std::make_shared<const TrackImage>(frame_with_patch(t, 0, 0, 0, 0), TrackerInput::kGray);
    a.push(f, t);
    b.push(f, t);
  }
  EXPECT_FALSE(a.has(0));
  EXPECT_EQ(b.at(0).rgb().index, 0);
  EXPECT_EQ(&a.at(2), &b.at(2));  // one frame, not a copy
}

// A textured patch moving 3 px right and 1 px down per frame; the cloud saw it on frame 4
// and its result arrives at frame 12: the fast-forwarded box must be where the patch is at 12.
class FastForwardTracking : public ::testing::TestWithParam<std::string> {};

TEST_P(FastForwardTracking, FollowsAMovingPatch) {
  const std::string name = GetParam();
  const TrackerInput input = tracker_info(name).input;
  auto pos = [](int64_t t) { return std::pair<int, int>(20 + 3 * static_cast<int>(t), 30 + static_cast<int>(t)); };
  FrameBuffer buffer(64);
  FusionOptions o;
  o.tracker = name;
  Fusion f(o, buffer);
  for (int t = 0; t <= 12; ++t) {
    buffer.push(TrackImage(frame_with_patch(t, pos(t).first, pos(t).second, 24, 24), input), t);
    f.track(t);
  }
  f.cloud(4, {{5, {double(pos(4).first), double(pos(4).second), 24, 24}, 0.9}});
  ASSERT_EQ(f.output().size(), 1u);
  const Rect b = f.output()[0].box;
  EXPECT_NEAR(b.x, pos(12).first, 2.0) << name;
  EXPECT_NEAR(b.y, pos(12).second, 2.0) << name;
  EXPECT_GE(iou(b, {double(pos(12).first), double(pos(12).second), 24, 24}), 0.7) << name;
  // Then it keeps following frame by frame.
  for (int t = 13; t <= 16; ++t) {
    buffer.push(TrackImage(frame_with_patch(t, pos(t).first, pos(t).second, 24, 24), input), t);
    f.track(t);
  }
  ASSERT_EQ(f.output().size(), 1u);
  EXPECT_NEAR(f.output()[0].box.x, pos(16).first, 2.0) << name;
}

INSTANTIATE_TEST_SUITE_P(Trackers, FastForwardTracking,
                         ::testing::Values("kcf", "csrt", "medianflow",
                                           "medianflow-opencv"));  // mosse loses a 24 px patch: see tracker.h

// medianflow (shared pyramids) computes OpenCV's MedianFlow: on a patch moving 3 px right and
// 1 px down per frame, the two agree frame by frame to a fraction of a pixel (not exactly:
// OpenCV's LK on images and on prebuilt pyramids differ in float rounding, about 0.06 px by
// frame 6 here, and a median vote can amplify it), and both follow the patch.
TEST(MedianFlowTest, MatchesOpenCvsMedianFlow) {
  auto pos = [](int64_t t) { return std::pair<int, int>(20 + 3 * static_cast<int>(t), 30 + static_cast<int>(t)); };
  auto ours = tracker_info("medianflow").make(), theirs = tracker_info("medianflow-opencv").make();
  auto frame = [&](int64_t t, TrackerInput in) {
    return TrackImage(frame_with_patch(t, pos(t).first, pos(t).second, 24, 24), in);
  };
  const Rect start{double(pos(0).first), double(pos(0).second), 24, 24};
  ours->init(frame(0, TrackerInput::kGrayPyramid), start);
  theirs->init(frame(0, TrackerInput::kGray), start);
  for (int t = 1; t <= 12; ++t) {
    const std::optional<Rect> a = ours->update(frame(t, TrackerInput::kGrayPyramid));
    const std::optional<Rect> b = theirs->update(frame(t, TrackerInput::kGray));
    ASSERT_TRUE(a && b) << t;
    EXPECT_NEAR(a->x, b->x, 0.25) << t;
    EXPECT_NEAR(a->y, b->y, 0.25) << t;
    EXPECT_NEAR(a->w, b->w, 0.25) << t;
    EXPECT_NEAR(a->h, b->h, 0.25) << t;
    EXPECT_NEAR(a->x, pos(t).first, 1.0) << t;
  }
  // A frame without a pyramid is refused, naming what it needs.
  auto other = tracker_info("medianflow").make();
  EXPECT_THROW(other->init(frame(0, TrackerInput::kGray), start), RuntimeError);
}

TEST(TrackImageTest, BuildsThePyramidOnlyForKGrayPyramid) {
  const TrackImage g(frame_with_patch(0, 0, 0, 0, 0), TrackerInput::kGray);
  EXPECT_TRUE(g.pyramid().empty());
  const TrackImage p(frame_with_patch(0, 0, 0, 0, 0), TrackerInput::kGrayPyramid);
  ASSERT_EQ(p.pyramid().size(), 2u * (kFlowLevels + 1));
  EXPECT_EQ(p.pyramid()[0].size(), cv::Size(kW, kH));
  EXPECT_EQ(p.image().channels(), 1);
}

TEST(TrackerRegistry, ListsTheBuiltInsAndRefusesUnknownNames) {
  for (const char* name : {"medianflow", "mosse", "kcf", "csrt", "mil", "medianflow-opencv", "none"})
    EXPECT_NO_THROW(tracker_info(name)) << name;
  EXPECT_EQ(std::string(kDefaultTracker), "medianflow");
  try {
    tracker_info("goturn");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("kcf"), std::string::npos) << e.what();
  }
}

TEST(FusionOptionsTest, CheckNamesTheOption) {
  FusionOptions o;
  o.iou_threshold = 1.5;
  try {
    o.check();
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("iou must be in (0, 1] (got 1.5)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vssoff::react
