#include "penance/plan.h"

#include "core/error.h"
#include "core/fs.h"
#include "test_util.h"

namespace vssoff::penance {
namespace {

TEST(BandwidthTrace, CsvIsAStepFunction) {
  test::TempDir dir;
  write_file_atomic(dir / "t.csv", "time_s,kbps\n0,1000\n2,3000\n4,3000\n", true);
  BandwidthTrace t = read_trace(dir / "t.csv");
  EXPECT_DOUBLE_EQ(t.duration_s, 4);
  EXPECT_DOUBLE_EQ(t.mean_kbps(0, 1), 1000);
  EXPECT_DOUBLE_EQ(t.mean_kbps(1, 3), 2000);
  EXPECT_DOUBLE_EQ(t.mean_kbps(2.5, 4), 3000);
}

TEST(BandwidthTrace, MahimahiCountsDeliveryOpportunities) {
  test::TempDir dir;
  std::string text;
  for (int ms = 1; ms <= 2000; ms += 4) text += std::to_string(ms) + "\n";  // one 1500-byte packet per 4 ms: 3 Mbit/s
  write_file_atomic(dir / "t.mahimahi", text, true);
  BandwidthTrace t = read_trace(dir / "t.mahimahi");
  EXPECT_NEAR(t.mean_kbps(0, 1), 3000, 1);
  EXPECT_NEAR(t.duration_s, 1.997, 1e-9);
}

TEST(BandwidthTrace, BadTracesAreInputErrors) {
  test::TempDir dir;
  write_file_atomic(dir / "a.csv", "time_s,kbps\n0,1000\n0,2000\n", true);
  EXPECT_THROW(read_trace(dir / "a.csv"), InputError);  // time does not increase
  write_file_atomic(dir / "b.csv", "time_s,kbps\n1,1000\n2,2000\n", true);
  EXPECT_THROW(read_trace(dir / "b.csv"), InputError);  // does not start at 0
  write_file_atomic(dir / "c.mahimahi", "10\n5\n", true);
  EXPECT_THROW(read_trace(dir / "c.mahimahi"), InputError);  // goes back in time
  write_file_atomic(dir / "d.mahimahi", "10\nfast\n", true);
  EXPECT_THROW(read_trace(dir / "d.mahimahi"), InputError);
  EXPECT_THROW(read_trace(dir / "none.csv"), InputError);
}

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
