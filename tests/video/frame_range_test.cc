#include "video/frame_range.h"

#include <vector>

#include "core/error.h"
#include "test_util.h"
#include "video/prefetch.h"

namespace vssoff::video {
namespace {

std::vector<int64_t> selected_indices(const FrameRange& r, int64_t total) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < total; ++i)
    if (r.contains(i)) out.push_back(i);
  return out;
}

TEST(FrameRange, CountIsFramesFromStartAndEveryCountsFromStart) {
  FrameRange r{1, 4, 2};  // covers frames 1..4, selects 1 and 3
  EXPECT_EQ(r.end(), 5);
  EXPECT_EQ(selected_indices(r, 40), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(r.selected(40), 2);
  EXPECT_FALSE(r.contains(0));
  EXPECT_FALSE(r.contains(2));
  EXPECT_FALSE(r.contains(5));
}

TEST(FrameRange, SelectedMatchesContainsForShortVideosAndOpenEnds) {
  for (int64_t start : {0, 1, 3, 7})
    for (int64_t count : {-1, 1, 4, 5, 30})
      for (int64_t every : {1, 2, 3, 4})
        for (int64_t total : {0, 1, 6, 10}) {
          FrameRange r{start, count, every};
          EXPECT_EQ(r.selected(total), static_cast<int64_t>(selected_indices(r, total).size()))
              << start << " " << count << " " << every << " " << total;
        }
  FrameRange all;
  EXPECT_EQ(all.end(), -1);
  EXPECT_EQ(all.selected(12), 12);
  EXPECT_EQ((FrameRange{8, 8, 2}.selected(40)), 4);  // 8, 10, 12, 14
  EXPECT_EQ((FrameRange{50, -1, 1}.selected(40)), 0);
}

TEST(FrameRange, CheckNamesTheField) {
  auto message = [](const FrameRange& r) {
    try {
      r.check();
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message({}), "");
  EXPECT_EQ(message({-1, -1, 1}), "start (--start) must be >= 0 (got -1)");
  EXPECT_EQ(message({0, 0, 1}), "count (--frames) must be > 0 or -1 (got 0)");
  EXPECT_EQ(message({0, -2, 1}), "count (--frames) must be > 0 or -1 (got -2)");
  EXPECT_EQ(message({0, -1, 0}), "every (--every) must be >= 1 (got 0)");
}

TEST(FrameRange, PrefetcherDeliversExactlyTheSelectedFrames) {
  test::TempDir dir;
  const std::string clip = dir / "clip.mp4";
  test::make_clip(clip, 64, 48, 12, "-c:v libx264 -g 4");
  for (FrameRange r : {FrameRange{1, 4, 2}, FrameRange{3, -1, 4}, FrameRange{0, 5, 1}}) {
    FramePrefetcher p(std::make_unique<VideoReader>(clip), 2, r);
    std::vector<int64_t> got;
    Frame f;
    while (p.next(&f)) got.push_back(f.index);
    EXPECT_EQ(got, selected_indices(r, 12)) << r.start << " " << r.count << " " << r.every;
  }
}

}  // namespace
}  // namespace vssoff::video
