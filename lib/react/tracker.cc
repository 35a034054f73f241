#include "react/tracker.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "core/error.h"

namespace vssoff::react {

std::vector<TrackerInfo>& registry();  // trackers.cc: the built-in ones

TrackImage::TrackImage(video::Frame rgb, TrackerInput input) : rgb_(std::move(rgb)) {
  check<InputError>(rgb_.format == video::PixelFormat::kRgb24, "tracker frames must be rgb24 (got ",
                    video::pixel_format_name(rgb_.format), ")");
  const cv::Mat view(rgb_.height, rgb_.width, CV_8UC3, rgb_.plane(0), rgb_.stride(0));  // no copy
  if (input == TrackerInput::kGray || input == TrackerInput::kGrayPyramid)
    cv::cvtColor(view, image_, cv::COLOR_RGB2GRAY);
  else if (input == TrackerInput::kBgr)
    cv::cvtColor(view, image_, cv::COLOR_RGB2BGR);
  else
    image_ = view;
  if (input == TrackerInput::kGrayPyramid)
    cv::buildOpticalFlowPyramid(image_, pyramid_, {kFlowWindow, kFlowWindow}, kFlowLevels, /*withDerivatives=*/true);
}

const std::vector<TrackerInfo>& trackers() { return registry(); }

const TrackerInfo& tracker_info(const std::string& name) {
  for (const TrackerInfo& t : registry())
    if (t.name == name) return t;
  throw UsageError(cat("unknown tracker '", name, "' (registered: ", tracker_names(), ")"));
}

void register_tracker(TrackerInfo info) {
  for (TrackerInfo& t : registry())
    if (t.name == info.name) {
      t = std::move(info);
      return;
    }
  registry().push_back(std::move(info));
}

std::string tracker_names() {
  std::string names;
  for (const TrackerInfo& t : registry()) names += (names.empty() ? "" : ", ") + t.name;
  return names;
}

Rect clip_to(const Rect& box, int width, int height) {
  const double x0 = std::clamp(box.x, 0.0, double(width)), y0 = std::clamp(box.y, 0.0, double(height));
  const double x1 = std::clamp(box.x + box.w, 0.0, double(width)), y1 = std::clamp(box.y + box.h, 0.0, double(height));
  return {x0, y0, std::max(0.0, x1 - x0), std::max(0.0, y1 - y0)};
}

}  // namespace vssoff::react
