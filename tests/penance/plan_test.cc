#include "penance/plan.h"

#include "test_util.h"

namespace vssoff::penance {
namespace {

TEST(PenanceChoice, CheapestQualifyingThenHighestLowerBoundThenFewestBytes) {
  // Three actions: a cheap one predicted well, a cheaper one predicted badly, an expensive one.
  const std::vector<double> acc = {0.84, 0.86, 0.90}, sd = {0.01, 0.10, 0.01}, cost = {2, 1, 5};
  const std::vector<double> bytes = {100, 100, 300};
  // Need 0.82: the cheap badly predicted action (0.86 - 0.10 = 0.76) does not qualify, the
  // well-predicted one (0.83) does and is cheaper than the expensive one.
  EXPECT_EQ(penance_choice(acc, sd, bytes, cost, 1000, 0.82, 1), 0u);
  // With no allowance for error the cheapest prediction wins.
  EXPECT_EQ(penance_choice(acc, sd, bytes, cost, 1000, 0.82, 0), 1u);
  // Nothing qualifies for 0.95: the highest lower bound wins, the expensive action (0.89).
  // With it over the budget, the well-predicted action (0.83) beats the badly predicted one
  // (0.76), though its prediction is lower.
  EXPECT_EQ(penance_choice(acc, sd, bytes, cost, 1000, 0.95, 1), 2u);
  EXPECT_EQ(penance_choice(acc, sd, bytes, cost, 200, 0.95, 1), 0u);
  // Equally cheap qualifying actions: the fewest bytes.
  EXPECT_EQ(penance_choice({0.9, 0.9}, {0, 0}, {200, 100}, {1, 1}, 1000, 0.8, 1), 1u);
  // Nothing fits the budget: the fewest bytes.
  EXPECT_EQ(penance_choice(acc, sd, bytes, cost, 50, 0.5, 1), 0u);
}

}  // namespace
}  // namespace vssoff::penance
