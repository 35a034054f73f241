#include "video/prefetch.h"

namespace vssoff::video {

FramePrefetcher::FramePrefetcher(std::unique_ptr<VideoReader> reader, size_t capacity, FrameRange range)
    : reader_(std::move(reader)), capacity_(std::max<size_t>(1, capacity)), range_(range) {
  range_.check();
  thread_ = std::thread([this] { run(); });
}

FramePrefetcher::~FramePrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool FramePrefetcher::read_selected(Frame* f) {
  if (!started_) {
    started_ = true;
    if (range_.start > 0) reader_->seek(range_.start);
  }
  const int64_t end = range_.end();
  while (!ended_) {
    if (!reader_->read(f) || (end >= 0 && f->index >= end)) {
      ended_ = true;
      return false;
    }
    const int64_t index = f->index;
    // Stop at the range's last frame: reading one more would reach the end of a stream
    // that holds exactly the frames asked for, and report a short stream that is not.
    if (end >= 0 && index + 1 >= end) ended_ = true;
    if (range_.contains(index)) return true;
  }
  return false;
}

void FramePrefetcher::run() {
  try {
    Frame f;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || queue_.size() < capacity_; });
        if (stop_) break;
        if (!spare_.empty()) {  // decode into a buffer the caller gave back: no allocation
          f = std::move(spare_.back());
          spare_.pop_back();
        }
      }
      if (!read_selected(&f)) break;
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(f));
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = true;
  cv_.notify_all();
}

bool FramePrefetcher::next(Frame* frame) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return !queue_.empty() || done_; });
  if (!queue_.empty()) {
    if (!frame->data.empty() && spare_.size() < capacity_) spare_.push_back(std::move(*frame));
    *frame = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    return true;
  }
  if (error_) std::rethrow_exception(error_);
  return false;
}

}  // namespace vssoff::video
