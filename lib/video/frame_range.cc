#include "video/frame_range.h"

#include <algorithm>

#include "core/error.h"

namespace vssoff::video {

void FrameRange::check() const {
  vssoff::check<UsageError>(start >= 0, "start (--start) must be >= 0 (got ", start, ")");
  vssoff::check<UsageError>(count == -1 || count > 0, "count (--frames) must be > 0 or -1 (got ", count, ")");
  vssoff::check<UsageError>(every >= 1, "every (--every) must be >= 1 (got ", every, ")");
}

int64_t FrameRange::selected(int64_t total_frames) const {
  const int64_t last = count < 0 ? total_frames : std::min(total_frames, start + count);
  return last > start ? (last - start + every - 1) / every : 0;
}

}  // namespace vssoff::video
