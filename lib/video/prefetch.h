// Reads frames on a background thread into a bounded queue, so decoding overlaps whatever
// the caller does with the frames (inference, encoding). Memory: at most `capacity` frames.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "video/frame_range.h"
#include "video/reader.h"

namespace vssoff::video {

class FramePrefetcher {
 public:
  // Takes over the reader. Only the frames that `range` selects are delivered (see
  // frame_range.h); the reader is seeked to range.start first. UsageError on a bad range.
  FramePrefetcher(std::unique_ptr<VideoReader> reader, size_t capacity, FrameRange range = {});
  ~FramePrefetcher();
  // Next frame; false at the end. Rethrows a reader error on the caller's thread. The
  // frame's previous buffer is taken back and decoded into again, so a caller that reuses
  // one Frame costs no allocation per frame: keep no pointer (or from_blob tensor) into a
  // frame's data across a call; move the frame out instead to keep it.
  bool next(Frame* frame);

 private:
  void run();
  bool read_selected(Frame* f);  // the next frame the range selects; false at its end
  std::unique_ptr<VideoReader> reader_;
  size_t capacity_;
  FrameRange range_;
  std::deque<Frame> queue_;
  std::vector<Frame> spare_;  // buffers given back by next()
  bool done_ = false, stop_ = false;
  bool started_ = false, ended_ = false;  // the reading thread's own
  std::exception_ptr error_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace vssoff::video
