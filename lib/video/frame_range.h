// Which frames of a video a step works on: the one rule behind every --start, --frames and
// --every (segment, accgrad, and any step that samples frames).
//
// The range covers `count` frames from `start` (indices start .. start + count - 1; count
// -1 = to the end of the video), and of those selects every `every`-th one counting from
// start: start, start + every, start + 2 * every, ... while index < start + count.
// Example: start 1, count 4, every 2 selects frames 1 and 3.
#pragma once

#include <cstdint>

namespace vssoff::video {

struct FrameRange {
  int64_t start = 0;   // first frame index (>= 0)
  int64_t count = -1;  // frames covered from start (> 0; -1 = to the end of the video)
  int64_t every = 1;   // select every k-th covered frame, counting from start (>= 1)

  // UsageError naming the field, its option and the value ("every (--every) must be >= 1 (got 0)").
  void check() const;
  // One past the last index covered; -1 when the range runs to the end of the video.
  int64_t end() const { return count < 0 ? -1 : start + count; }
  // Whether frame `index` is selected.
  bool contains(int64_t index) const {
    return index >= start && (count < 0 || index < start + count) && (index - start) % every == 0;
  }
  // How many frames of a video of `total_frames` frames are selected (0 if start is past the end).
  int64_t selected(int64_t total_frames) const;
};

}  // namespace vssoff::video
