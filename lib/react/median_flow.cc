#include "react/median_flow.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "core/error.h"

namespace vssoff::react {
namespace {

constexpr int kGrid = 10;             // points per side of the box's grid
constexpr int kNccWindow = 30;        // px, side of the NCC patch
constexpr float kMaxResidualPx = 10;  // median displacement residual beyond which it fails
constexpr double kMinSidePx = 2;      // as the OpenCV adapters (trackers.cc)
const cv::TermCriteria kTerm(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 20, 0.3);
const cv::Size kWindow(kFlowWindow, kFlowWindow);

// OpenCV's median: the mean of the two middle values for an even count.
template <typename T>
T median_of(std::vector<T> v) {
  const size_t n = v.size();
  if (n % 2 == 0) {
    std::nth_element(v.begin(), v.begin() + n / 2 - 1, v.end());
    const T a = v[n / 2 - 1];
    std::nth_element(v.begin(), v.begin() + n / 2, v.end());
    return (a + v[n / 2]) / T(2);
  }
  std::nth_element(v.begin(), v.begin() + (n - 1) / 2, v.end());
  return v[(n - 1) / 2];
}

struct FlowFrame {
  cv::Mat gray;
  std::vector<cv::Mat> pyramid;
};

FlowFrame flow_frame(const TrackImage& frame) {
  check<RuntimeError>(!frame.pyramid().empty(),
                      "medianflow: the frame has no optical-flow pyramid (the run's "
                      "tracker input must be TrackerInput::kGrayPyramid)");
  return {frame.image(), frame.pyramid()};
}

// Keeps the entries of `v` whose `keep` is set (in order).
template <typename T>
void keep_if(std::vector<T>& v, const std::vector<bool>& keep) {
  size_t o = 0;
  for (size_t i = 0; i < v.size(); ++i)
    if (keep[i]) v[o++] = v[i];
  v.resize(o);
}

// Normalised cross-correlation of two kNccWindow^2 8-bit patches, in one pass (OpenCV's
// tracker takes cv::sum, cv::norm and Mat::dot, three passes and their dispatch per patch).
// The sums are of integers, exact in double.
double ncc(const cv::Mat& a, const cv::Mat& b) {
  const double area = double(kNccWindow) * kNccWindow;
  int64_t s1 = 0, s2 = 0, q1 = 0, q2 = 0, p = 0;
  for (int r = 0; r < a.rows; ++r) {
    const uchar *x = a.ptr<uchar>(r), *y = b.ptr<uchar>(r);
    for (int c = 0; c < a.cols; ++c) s1 += x[c], s2 += y[c], q1 += x[c] * x[c], q2 += y[c] * y[c], p += x[c] * y[c];
  }
  const double sq1 = std::sqrt(double(q1) - double(s1) * double(s1) / area);
  const double sq2 = std::sqrt(double(q2) - double(s2) * double(s2) / area);
  return sq2 == 0 ? sq1 / std::abs(sq1) : (double(p) - double(s1) * double(s2) / area) / sq1 / sq2;
}

// The new box (old's shift and scale by the points' votes); mean_shift: the median shift.
cv::Rect2d vote(const std::vector<cv::Point2f>& from, const std::vector<cv::Point2f>& to, const cv::Rect2d& old,
                cv::Point2f& shift) {
  const size_t n = from.size();
  if (n == 1) {
    shift = to[0] - from[0];
    return {old.x + to[0].x - from[0].x, old.y + to[0].y - from[0].y, old.width, old.height};
  }
  std::vector<float> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = to[i].x - from[i].x;
  const float dx = median_of(d);
  for (size_t i = 0; i < n; ++i) d[i] = to[i].y - from[i].y;
  const float dy = median_of(d);
  shift = {dx, dy};
  std::vector<double> ratios;
  ratios.reserve(n * (n - 1) / 2);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j) {
      const double nd = cv::norm(to[i] - to[j]), od = cv::norm(from[i] - from[j]);
      ratios.push_back(od == 0.0 ? 0.0 : nd / od);
    }
  const double scale = median_of(ratios);
  const double cx = old.x + old.width / 2.0 + dx, cy = old.y + old.height / 2.0 + dy;
  return {cx - scale * old.width / 2.0, cy - scale * old.height / 2.0, scale * old.width, scale * old.height};
}

// One MedianFlow step of `box` from `a` to `b`; false when the object is lost.
bool median_flow(const FlowFrame& a, const FlowFrame& b, cv::Rect2d& box) {
  std::vector<cv::Point2f> from, to;
  for (int i = 0; i < kGrid; ++i)
    for (int j = 0; j < kGrid; ++j)
      from.emplace_back(float(box.x + (1.0 * box.width / kGrid) * j + .5 * box.width / kGrid),
                        float(box.y + (1.0 * box.height / kGrid) * i + .5 * box.height / kGrid));
  std::vector<uchar> status;
  std::vector<float> err;
  cv::calcOpticalFlowPyrLK(a.pyramid, b.pyramid, from, to, status, err, kWindow, kFlowLevels, kTerm, 0);
  std::vector<bool> good(from.size());
  for (size_t i = 0; i < from.size(); ++i) good[i] = status[i] == 1;
  keep_if(from, good), keep_if(to, good);
  if (from.empty()) return false;

  // Forward-backward error, then NCC: each keeps the points at or better than its median.
  std::vector<cv::Point2f> back;
  cv::calcOpticalFlowPyrLK(b.pyramid, a.pyramid, to, back, status, err, kWindow, kFlowLevels, kTerm, 0);
  std::vector<float> fb(from.size()), nccs(from.size());
  for (size_t i = 0; i < from.size(); ++i) fb[i] = float(cv::norm(from[i] - back[i]));
  cv::Mat pa, pb;
  for (size_t i = 0; i < from.size(); ++i) {
    cv::getRectSubPix(a.gray, {kNccWindow, kNccWindow}, from[i], pa);
    cv::getRectSubPix(b.gray, {kNccWindow, kNccWindow}, to[i], pb);
    nccs[i] = float(ncc(pa, pb));
  }
  const float fb_median = median_of(fb), ncc_median = median_of(nccs);
  good.assign(from.size(), false);
  for (size_t i = 0; i < from.size(); ++i) good[i] = fb[i] <= fb_median && nccs[i] >= ncc_median;
  keep_if(from, good), keep_if(to, good);
  if (from.empty()) return false;

  cv::Point2f shift;
  const cv::Rect2d next = vote(from, to, box, shift);
  std::vector<float> residual(from.size());
  for (size_t i = 0; i < from.size(); ++i) {
    const cv::Point2f r = to[i] - from[i] - shift;
    residual[i] = float(std::sqrt(r.ddot(r)));
  }
  if (median_of(residual) > kMaxResidualPx) return false;
  box = next;
  return true;
}

class MedianFlowTracker : public Tracker {
 public:
  void init(const TrackImage& frame, const Rect& box) override {
    ok_ = false;
    prev_ = flow_frame(frame);
    const Rect b = clip_to(box, frame.width(), frame.height());
    if (b.w < kMinSidePx || b.h < kMinSidePx) return;
    box_ = {b.x, b.y, b.w, b.h};
    ok_ = true;
  }

  std::optional<Rect> update(const TrackImage& frame) override {
    if (!ok_) return std::nullopt;
    FlowFrame next = flow_frame(frame);
    cv::Rect2d r = box_;
    try {
      ok_ = median_flow(prev_, next, r);
    } catch (const cv::Exception&) {
      ok_ = false;
    }
    if (!ok_) return std::nullopt;
    box_ = r;
    prev_ = std::move(next);
    const Rect out{r.x, r.y, r.width, r.height};
    const Rect inside = clip_to(out, frame.width(), frame.height());
    if (inside.w < kMinSidePx || inside.h < kMinSidePx) return ok_ = false, std::nullopt;  // left the frame
    return out;
  }

 private:
  FlowFrame prev_;
  cv::Rect2d box_;
  bool ok_ = false;
};

}  // namespace

std::unique_ptr<Tracker> make_median_flow_tracker() { return std::make_unique<MedianFlowTracker>(); }

}  // namespace vssoff::react
