// Maximum-weight bipartite assignment (Kuhn-Munkres, O(n^3)) and IoU matching of boxes,
// the matching step of REACT's fusion (react/fusion.h).
//
// The weight matrix is padded with zeros to a square, so every row and column takes part
// (no detection is lost to a rectangular solver's choice of side); a pair assigned through
// the padding, or whose IoU is below the threshold, is not a match.
#pragma once

#include <utility>
#include <vector>

namespace vssoff::react {

// A box in pixels: x, y its top-left corner.
struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
  double area() const { return w > 0 && h > 0 ? w * h : 0; }
};

double iou(const Rect& a, const Rect& b);  // 0 when either is empty

// weights[r][c] for r < rows, c < cols (rows may be empty, lengths equal): the column of
// each row in an assignment of maximum total weight, -1 for a row left on the padding.
// Each column is used at most once. Weights must be finite.
std::vector<int> max_weight_assignment(const std::vector<std::vector<double>>& weights);

// Pairs (index in a, index in b) of the assignment of maximum total IoU over the pairs whose
// IoU >= threshold (> 0); the others weigh 0 and are never matches.
std::vector<std::pair<int, int>> match_by_iou(const std::vector<Rect>& a, const std::vector<Rect>& b, double threshold);

}  // namespace vssoff::react
