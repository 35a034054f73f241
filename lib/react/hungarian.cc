#include "react/hungarian.h"

#include <algorithm>
#include <limits>

namespace vssoff::react {

double iou(const Rect& a, const Rect& b) {
  const double iw = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
  const double ih = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
  if (iw <= 0 || ih <= 0) return 0;
  const double inter = iw * ih, uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0;
}

// The shortest-augmenting-path form of the Hungarian method with potentials (u for rows, v
// for columns), on costs = -weights over the padded n x n matrix; 1-based, column 0 is the
// virtual start of each augmentation.
std::vector<int> max_weight_assignment(const std::vector<std::vector<double>>& weights) {
  const int rows = static_cast<int>(weights.size());
  const int cols = rows ? static_cast<int>(weights[0].size()) : 0;
  const int n = std::max(rows, cols);
  auto cost = [&](int r, int c) { return r < rows && c < cols ? -weights[r][c] : 0.0; };
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(n + 1, 0);
  std::vector<int> row_of(n + 1, 0), way(n + 1, 0);  // row_of[c]: the row on column c (0 = none)
  for (int r = 1; r <= n; ++r) {
    row_of[0] = r;
    int c0 = 0;
    std::vector<double> min_slack(n + 1, inf);
    std::vector<bool> used(n + 1, false);
    do {
      used[c0] = true;
      const int r0 = row_of[c0];
      double delta = inf;
      int c1 = 0;
      for (int c = 1; c <= n; ++c) {
        if (used[c]) continue;
        const double slack = cost(r0 - 1, c - 1) - u[r0] - v[c];
        if (slack < min_slack[c]) min_slack[c] = slack, way[c] = c0;
        if (min_slack[c] < delta) delta = min_slack[c], c1 = c;
      }
      for (int c = 0; c <= n; ++c) {
        if (used[c]) {
          u[row_of[c]] += delta;
          v[c] -= delta;
        } else {
          min_slack[c] -= delta;
        }
      }
      c0 = c1;
    } while (row_of[c0] != 0);
    do {  // flip the augmenting path
      const int c1 = way[c0];
      row_of[c0] = row_of[c1];
      c0 = c1;
    } while (c0 != 0);
  }
  std::vector<int> col_of_row(rows, -1);
  for (int c = 1; c <= n; ++c)
    if (row_of[c] >= 1 && row_of[c] <= rows && c <= cols) col_of_row[row_of[c] - 1] = c - 1;
  return col_of_row;
}

std::vector<std::pair<int, int>> match_by_iou(const std::vector<Rect>& a, const std::vector<Rect>& b,
                                              double threshold) {
  std::vector<std::pair<int, int>> pairs;
  if (a.empty() || b.empty()) return pairs;
  std::vector<std::vector<double>> w(a.size(), std::vector<double>(b.size()));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < b.size(); ++j) {
      const double v = iou(a[i], b[j]);
      w[i][j] = v >= threshold && v > 0 ? v : 0;  // a pair below the threshold must not steer the others
    }
  const std::vector<int> col = max_weight_assignment(w);
  for (size_t i = 0; i < a.size(); ++i)
    if (col[i] >= 0 && w[i][col[i]] > 0) pairs.emplace_back(static_cast<int>(i), col[i]);
  return pairs;
}

}  // namespace vssoff::react
