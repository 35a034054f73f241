#include "video/prefetch.h"

namespace vssoff::video {

FramePrefetcher::FramePrefetcher(std::unique_ptr<VideoReader> reader, size_t capacity, int64_t first, int64_t last,
                                 int64_t every)
    : reader_(std::move(reader)),
      capacity_(std::max<size_t>(1, capacity)),
      first_(first),
      last_(last),
      every_(std::max<int64_t>(1, every)) {
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

void FramePrefetcher::run() {
  try {
    if (first_ > 0) reader_->seek(first_);
    Frame f;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || queue_.size() < capacity_; });
        if (stop_) break;
      }
      if (!reader_->read(&f) || (last_ >= 0 && f.index >= last_)) break;
      if (f.index % every_ != 0) continue;
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(f);
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
    *frame = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    return true;
  }
  if (error_) std::rethrow_exception(error_);
  return false;
}

}  // namespace vssoff::video
