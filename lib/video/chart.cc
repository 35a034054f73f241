#include "video/chart.h"

#include <algorithm>
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "video/frame.h"
#include "video/picture.h"

namespace vssoff::video {

namespace {

constexpr int kWidth = 1000, kPanelHeight = 240, kLeft = 80, kRight = 20, kTop = 40, kBottom = 50;

// About five round tick values covering [lo, hi].
std::vector<double> ticks(double lo, double hi) {
  const double span = hi - lo;
  const double raw = span / 5, mag = std::pow(10, std::floor(std::log10(raw)));
  const double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
  return t;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

cv::Scalar bgr(const std::array<uint8_t, 3>& c) { return cv::Scalar(c[2], c[1], c[0]); }

void text(cv::Mat& m, const std::string& s, cv::Point at, double scale = 0.45, cv::Scalar color = {40, 40, 40}) {
  cv::putText(m, s, at, cv::FONT_HERSHEY_SIMPLEX, scale, color, 1, cv::LINE_AA);
}

}  // namespace

void write_chart(const std::string& path, const std::string& title, const std::string& x_label,
                 const std::vector<ChartPanel>& panels, bool force) {
  double x_lo = INFINITY, x_hi = -INFINITY;
  for (const ChartPanel& p : panels)
    for (const ChartSeries& s : p.series)
      for (double x : s.x)
        if (std::isfinite(x)) x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x);
  if (!(x_hi > x_lo)) x_lo = 0, x_hi = 1;
  const int H = kTop + int(panels.size()) * kPanelHeight + kBottom;
  cv::Mat m(H, kWidth, CV_8UC3, cv::Scalar(255, 255, 255));
  text(m, title, {kLeft, 24}, 0.6);
  const int plot_w = kWidth - kLeft - kRight;
  auto px = [&](double x) { return kLeft + int(std::lround((x - x_lo) / (x_hi - x_lo) * plot_w)); };
  for (size_t i = 0; i < panels.size(); ++i) {
    const ChartPanel& p = panels[i];
    const int top = kTop + int(i) * kPanelHeight + 10, bottom = kTop + int(i + 1) * kPanelHeight - 20;
    double lo = INFINITY, hi = -INFINITY;
    for (const ChartSeries& s : p.series)
      for (double y : s.y)
        if (std::isfinite(y)) lo = std::min(lo, y), hi = std::max(hi, y);
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (lo >= 0) lo = 0;
    if (std::isfinite(p.y_min)) lo = p.y_min;
    if (std::isfinite(p.y_max)) hi = p.y_max;
    if (!(hi > lo)) hi = lo + 1;
    hi += (hi - lo) * 0.05;
    auto py = [&](double y) { return bottom - int(std::lround((y - lo) / (hi - lo) * (bottom - top))); };
    for (double t : ticks(lo, hi)) {
      cv::line(m, {kLeft, py(t)}, {kWidth - kRight, py(t)}, cv::Scalar(225, 225, 225), 1);
      text(m, number(t), {8, py(t) + 4}, 0.4);
    }
    for (double t : ticks(x_lo, x_hi)) {
      cv::line(m, {px(t), bottom}, {px(t), bottom + 4}, cv::Scalar(80, 80, 80), 1);
      if (i + 1 == panels.size()) text(m, number(t), {px(t) - 10, bottom + 18}, 0.4);
    }
    cv::rectangle(m, {kLeft, top}, {kWidth - kRight, bottom}, cv::Scalar(80, 80, 80), 1);
    text(m, p.y_label, {kLeft + 6, top + 16});
    int legend_x = kWidth - kRight - 10;
    for (auto s = p.series.rbegin(); s != p.series.rend(); ++s) {
      int baseline = 0;
      const cv::Size sz = cv::getTextSize(s->label, cv::FONT_HERSHEY_SIMPLEX, 0.42, 1, &baseline);
      legend_x -= sz.width + 30;
      cv::line(m, {legend_x, top + 12}, {legend_x + 18, top + 12}, bgr(s->rgb), 2);
      text(m, s->label, {legend_x + 22, top + 16}, 0.42);
    }
    cv::Mat roi = m(cv::Rect(kLeft, top, plot_w + 1, bottom - top + 1));
    for (const ChartSeries& s : p.series) {
      const cv::Scalar c = bgr(s.rgb);
      const cv::Point off(-kLeft, -top);
      for (size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
        if (!std::isfinite(s.y[k]) || !std::isfinite(s.x[k])) continue;
        const cv::Point a(px(s.x[k]), py(s.y[k]));
        if (s.points) {
          cv::circle(roi, a + off, 2, c, cv::FILLED, cv::LINE_AA);
          continue;
        }
        if (k + 1 >= s.x.size() || !std::isfinite(s.y[k + 1])) continue;
        const cv::Point b(px(s.x[k + 1]), py(s.y[k + 1]));
        if (s.step) {
          cv::line(roi, a + off, cv::Point(b.x, a.y) + off, c, 1, cv::LINE_AA);
          cv::line(roi, cv::Point(b.x, a.y) + off, b + off, c, 1, cv::LINE_AA);
        } else {
          cv::line(roi, a + off, b + off, c, 2, cv::LINE_AA);
        }
      }
    }
  }
  text(m, x_label, {kLeft + plot_w / 2 - 20, H - 12});
  Frame rgb;
  rgb.allocate(kWidth, H, PixelFormat::kRgb24);
  cv::Mat view(H, kWidth, CV_8UC3, rgb.plane(0), rgb.stride(0));
  cv::cvtColor(m, view, cv::COLOR_BGR2RGB);
  write_png(path, rgb, force);
}

}  // namespace vssoff::video
