// The built-in trackers: one registration line each (the table at the bottom).
#include <opencv2/core.hpp>
#include <opencv2/tracking.hpp>
#include <opencv2/tracking/tracking_legacy.hpp>

#include "react/median_flow.h"
#include "react/tracker.h"

namespace vssoff::react {
namespace {

constexpr double kMinSidePx = 2;  // smaller boxes are refused by most OpenCV trackers

// Adapts an OpenCV tracker: T is cv::Tracker (cv::Rect) or cv::legacy::Tracker (cv::Rect2d).
template <typename T, typename CvRect>
class OpenCvTracker : public Tracker {
 public:
  // prime: update once on the init frame. OpenCV's KCF learns its model only in update(),
  // so without it every box comes one frame late (measured: a patch moving 3 px per frame
  // is reported exactly 3 px behind).
  // A fresh OpenCV tracker per init(): KCF's init() on a used tracker with another box size
  // corrupts the heap (OpenCV 4.6).
  OpenCvTracker(std::function<cv::Ptr<T>()> create, bool prime) : create_(std::move(create)), prime_(prime) {}

  void init(const TrackImage& frame, const Rect& box) override {
    ok_ = false;
    const Rect b = clip_to(box, frame.width(), frame.height());
    if (b.w < kMinSidePx || b.h < kMinSidePx) return;
    try {
      tracker_ = create_();
      if constexpr (std::is_same_v<CvRect, cv::Rect>) {
        tracker_->init(frame.image(), cv::Rect(cvRound(b.x), cvRound(b.y), cvRound(b.w), cvRound(b.h)));
        ok_ = true;
      } else {
        ok_ = tracker_->init(frame.image(), cv::Rect2d(b.x, b.y, b.w, b.h));
      }
      CvRect unused;
      if (ok_ && prime_) ok_ = tracker_->update(frame.image(), unused);
    } catch (const cv::Exception&) {
      ok_ = false;
    }
  }

  std::optional<Rect> update(const TrackImage& frame) override {
    if (!ok_) return std::nullopt;
    CvRect r;
    try {
      ok_ = tracker_->update(frame.image(), r);
    } catch (const cv::Exception&) {
      ok_ = false;
    }
    if (!ok_) return std::nullopt;
    const Rect box{double(r.x), double(r.y), double(r.width), double(r.height)};
    const Rect inside = clip_to(box, frame.width(), frame.height());
    if (inside.w < kMinSidePx || inside.h < kMinSidePx) return ok_ = false, std::nullopt;  // left the frame
    return box;
  }

 private:
  std::function<cv::Ptr<T>()> create_;
  cv::Ptr<T> tracker_;
  bool prime_, ok_ = false;
};

class StillTracker : public Tracker {
 public:
  void init(const TrackImage&, const Rect& box) override { box_ = box; }
  std::optional<Rect> update(const TrackImage&) override { return box_; }

 private:
  Rect box_;
};

template <typename T>
std::function<std::unique_ptr<Tracker>()> opencv(bool prime = false) {
  return [=] {
    return std::make_unique<OpenCvTracker<cv::Tracker, cv::Rect>>([] { return cv::Ptr<cv::Tracker>(T::create()); },
                                                                  prime);
  };
}
template <typename T>
std::function<std::unique_ptr<Tracker>()> opencv_legacy(bool prime = false) {
  return [=] {
    return std::make_unique<OpenCvTracker<cv::legacy::Tracker, cv::Rect2d>>(
        [] { return cv::Ptr<cv::legacy::Tracker>(T::create()); }, prime);
  };
}

}  // namespace

std::vector<TrackerInfo>& registry() {
  using In = TrackerInput;
  static std::vector<TrackerInfo> list = {
      {"medianflow", "MedianFlow, forward-backward optical flow, over pyramids shared by every object",
       In::kGrayPyramid, make_median_flow_tracker},
      {"mosse", "OpenCV MOSSE correlation filter (legacy API), gray", In::kGray,
       opencv_legacy<cv::legacy::TrackerMOSSE>()},
      {"kcf", "OpenCV KCF, kernelised correlation filter, colour names + gray", In::kBgr,
       opencv<cv::TrackerKCF>(/*prime=*/true)},
      {"csrt", "OpenCV CSRT, discriminative correlation filter with channel and spatial reliability", In::kBgr,
       opencv<cv::TrackerCSRT>()},
      {"mil", "OpenCV MIL, multiple-instance learning", In::kGray, opencv<cv::TrackerMIL>()},
      {"medianflow-opencv", "OpenCV MedianFlow (legacy API), gray: the reference for medianflow", In::kGray,
       opencv_legacy<cv::legacy::TrackerMedianFlow>()},
      {"none", "the box held still (a baseline that costs nothing)", In::kNone,
       [] { return std::make_unique<StillTracker>(); }},
  };
  return list;
}

}  // namespace vssoff::react
