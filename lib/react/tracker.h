// Single-object trackers behind one interface, with a registry by name. What REACT's fusion
// moves boxes with between detections and fast-forwards late cloud boxes with.
//
// Registered (trackers.cc, one line each):
//   medianflow  forward-backward optical flow over shared pyramids (react/median_flow.h):
//               OpenCV's MedianFlow, same boxes, without its per-object pyramids (the
//               default: the fastest that follows objects, 3% failed updates on a 640x360
//               synth clip)
//   medianflow-opencv  cv::legacy::TrackerMedianFlow, gray: the reference for the above
//   mosse       cv::legacy::TrackerMOSSE, gray (fast, but its search window is the box
//               itself, so it loses small or fast objects: 59% of its updates fail)
//   kcf         cv::TrackerKCF, BGR (colour-names and gray features)
//   csrt        cv::TrackerCSRT, BGR (most accurate, slowest)
//   mil         cv::TrackerMIL, gray
//   none        the box held still: a baseline that costs nothing
// register_tracker() adds more (a test's probe tracker, a user's own).
// Measured (scripts/bench/fuse_speed.sh: `fuse`, 300 synth frames at 640x360, k=5, m=15, d=10,
// 2 threads, a loaded 2-core machine, 2026-12-02), frames/s of react alone / all three modes:
// medianflow 37 / 16, medianflow-opencv 25 / 12 (both 2% failed updates), mosse 100 / 53
// (54% failed). Earlier, all three modes on one thread: kcf 4; csrt and mil slower still.
//
// A frame reaches trackers as a TrackImage: the decoded RGB24 frame wrapped without a copy,
// and what the run's tracker needs (gray, BGR, or gray with its optical-flow pyramid), made
// once per frame and shared by every tracker of every object and every mode. A TrackImage is
// immutable once made, so trackers on distinct threads may read one at the same time; a
// tracker itself is used by one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <string>
#include <vector>

#include "react/hungarian.h"
#include "video/frame.h"

namespace vssoff::react {

inline constexpr const char* kDefaultTracker = "medianflow";

// kGrayPyramid: gray plus its Lucas-Kanade pyramid with derivatives, built as
// cv::buildOpticalFlowPyramid(gray, pyr, {kFlowWindow, kFlowWindow}, kFlowLevels, true).
enum class TrackerInput { kNone, kGray, kBgr, kGrayPyramid };
inline constexpr int kFlowWindow = 3;  // px, OpenCV MedianFlow's LK window
inline constexpr int kFlowLevels = 5;  // pyramid levels above the frame, OpenCV MedianFlow's

// One video frame as trackers see it. Keeps the frame; image() is the converted view.
class TrackImage {
 public:
  TrackImage() = default;
  TrackImage(video::Frame rgb, TrackerInput input);  // rgb: kRgb24 (InputError otherwise)
  const video::Frame& rgb() const { return rgb_; }
  const cv::Mat& image() const { return image_; }  // gray or BGR; the RGB frame for kNone
  // kGrayPyramid only (empty otherwise): image()'s pyramid, level i at [2i], its Scharr
  // derivatives at [2i + 1].
  const std::vector<cv::Mat>& pyramid() const { return pyramid_; }
  int width() const { return rgb_.width; }
  int height() const { return rgb_.height; }

 private:
  video::Frame rgb_;
  cv::Mat image_;
  std::vector<cv::Mat> pyramid_;
};

class Tracker {
 public:
  virtual ~Tracker() = default;
  // Starts following `box` on `frame`. A box that cannot be tracked (empty after clipping to
  // the frame, or refused by the tracker) makes every later update() fail.
  virtual void init(const TrackImage& frame, const Rect& box) = 0;
  // The box on the next frame, or nullopt when the tracker lost the object.
  virtual std::optional<Rect> update(const TrackImage& frame) = 0;
};

struct TrackerInfo {
  std::string name, description;
  TrackerInput input = TrackerInput::kNone;
  std::function<std::unique_ptr<Tracker>()> make;
};

// Every registered tracker, in registration order.
const std::vector<TrackerInfo>& trackers();
// The one named; UsageError listing the registered names otherwise.
const TrackerInfo& tracker_info(const std::string& name);
// Adds one (or replaces one of the same name). Not thread-safe with lookups.
void register_tracker(TrackerInfo info);
std::string tracker_names();  // "mosse, kcf, ..."

// `box` clipped to a width x height frame.
Rect clip_to(const Rect& box, int width, int height);

}  // namespace vssoff::react
