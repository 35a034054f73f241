#include "react/hungarian.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "test_util.h"

namespace vssoff::react {
namespace {

// The best total weight over every assignment of the zero-padded square matrix.
double brute_force_best(const std::vector<std::vector<double>>& w, int rows, int cols) {
  const int n = std::max(rows, cols);
  std::vector<int> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  double best = 0;
  do {
    double sum = 0;
    for (int r = 0; r < rows; ++r)
      if (perm[r] < cols) sum += w[r][perm[r]];
    best = std::max(best, sum);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

TEST(Hungarian, MatchesBruteForceOnRandomMatricesUpTo7x7) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 400; ++trial) {
    const int rows = 1 + trial % 7, cols = 1 + (trial / 7) % 7;
    std::vector<std::vector<double>> w(rows, std::vector<double>(cols));
    for (auto& row : w)
      for (double& v : row) v = trial % 3 == 0 ? std::round(u(rng) * 3) / 3 : u(rng);  // ties in a third
    const std::vector<int> col = max_weight_assignment(w);
    ASSERT_EQ(static_cast<int>(col.size()), rows);
    std::vector<bool> used(cols, false);
    double sum = 0;
    int assigned = 0;
    for (int r = 0; r < rows; ++r) {
      if (col[r] < 0) continue;
      ASSERT_LT(col[r], cols);
      ASSERT_FALSE(used[col[r]]) << "column used twice";
      used[col[r]] = true;
      sum += w[r][col[r]];
      ++assigned;
    }
    EXPECT_EQ(assigned, std::min(rows, cols)) << "padding must not take a real pair";
    EXPECT_NEAR(sum, brute_force_best(w, rows, cols), 1e-9) << rows << "x" << cols << " trial " << trial;
  }
}

TEST(Hungarian, EmptyAndSingle) {
  EXPECT_TRUE(max_weight_assignment({}).empty());
  EXPECT_EQ(max_weight_assignment({{0.3}}), std::vector<int>{0});
}

TEST(MatchByIou, ThresholdAndGreedyTrap) {
  // a0 overlaps b0 a little and b1 well; a1 overlaps only b0 well: greedy by best IoU from
  // a0's side would still be right here, but the max-weight assignment must pair a0-b1, a1-b0.
  const std::vector<Rect> a = {{0, 0, 10, 10}, {20, 0, 10, 10}};
  const std::vector<Rect> b = {{19, 0, 10, 10}, {1, 0, 10, 10}};
  auto pairs = match_by_iou(a, b, 0.5);
  std::sort(pairs.begin(), pairs.end());
  EXPECT_EQ(pairs, (std::vector<std::pair<int, int>>{{0, 1}, {1, 0}}));
  // Below the threshold: no match (IoU of a 10x10 box shifted by 5 is 1/3).
  EXPECT_TRUE(match_by_iou({{0, 0, 10, 10}}, {{5, 0, 10, 10}}, 0.5).empty());
  EXPECT_EQ(match_by_iou({{0, 0, 10, 10}}, {{5, 0, 10, 10}}, 0.3).size(), 1u);
  EXPECT_TRUE(match_by_iou({}, {{5, 0, 10, 10}}, 0.5).empty());
}

TEST(MatchByIou, PairsUnderTheThresholdDoNotSteerTheAssignment) {
  // IoU a0-b0 0.6, a0-b1 0.45, a1-b0 0.45, a1-b1 0: the assignment of all IoUs pairs a0-b1
  // and a1-b0 (0.9 > 0.6), both under 0.5; the threshold must apply before the assignment.
  const double x = 5.5 / 1.45;  // a shift with IoU (10 - x) / (10 + x) = 0.45
  const std::vector<Rect> a = {{10, 0, 10, 10}, {12.5 + x, 0, 10, 10}};
  const std::vector<Rect> b = {{12.5, 0, 10, 10}, {10 - x, 0, 10, 10}};
  ASSERT_NEAR(iou(a[0], b[0]), 0.6, 1e-9);
  ASSERT_NEAR(iou(a[0], b[1]), 0.45, 1e-9);
  ASSERT_NEAR(iou(a[1], b[0]), 0.45, 1e-9);
  ASSERT_EQ(iou(a[1], b[1]), 0.0);
  EXPECT_EQ(match_by_iou(a, b, 0.5), (std::vector<std::pair<int, int>>{{0, 0}}));
}

TEST(Iou, Basics) {
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {10, 0, 10, 10}), 0.0);
  EXPECT_NEAR(iou({0, 0, 10, 10}, {5, 5, 10, 10}), 25.0 / 175.0, 1e-12);
  EXPECT_DOUBLE_EQ(iou({0, 0, 0, 10}, {0, 0, 10, 10}), 0.0);
}

}  // namespace
}  // namespace vssoff::react
