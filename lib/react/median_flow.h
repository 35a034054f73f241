// MedianFlow (Kalal, Mikolajczyk, Matas, "Forward-Backward Error: Automatic Detection of
// Tracking Failures", ICPR 2010) as OpenCV contrib's cv::legacy::TrackerMedianFlow computes
// it, with its default parameters: a 10x10 grid of points in the box, pyramidal Lucas-Kanade
// (3x3 window, 5 levels, 20 iterations or 0.3 px) forward to the new frame and back; the
// points whose forward-backward error is at most the median and whose 30x30 NCC is at least
// the median vote the box's shift (median per axis) and scale (median ratio of pairwise
// distances); the update fails when no point survives or the median displacement residual
// exceeds 10 px.
//
// The difference is where the time goes. OpenCV's tracker copies the previous frame into
// every object's model, and each update builds four full-frame pyramids (both frames, both
// directions) plus the Scharr derivatives of each level: about 1 ms per object per frame at
// 640x360, nearly all of it independent of the object. Here the frames come as
// TrackerInput::kGrayPyramid: the pyramid and its derivatives are built once per frame
// (react/tracker.h) and every object of every mode reuses them; the tracker keeps the
// previous frame's pyramid by reference (cv::Mat refcounts, no copy). The boxes are
// OpenCV's (tests/react/fusion_test.cc compares the two on a moving patch).
#pragma once

#include <memory>

#include "react/tracker.h"

namespace vssoff::react {

// A tracker reading TrackImage::pyramid(); init() and update() need frames made with
// TrackerInput::kGrayPyramid (RuntimeError otherwise).
std::unique_ptr<Tracker> make_median_flow_tracker();

}  // namespace vssoff::react
