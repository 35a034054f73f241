#include "metrics/calibration.h"

#include <cmath>

#include "core/error.h"
#include "core/npy.h"
#include "test_util.h"

namespace vssoff::metrics {
namespace {

TEST(Reliability, HandComputedBins) {
  // Bins of width 1/15. Four samples at 0.95 (bin 14): 3 right -> gap |0.75 - 0.95| = 0.2.
  // Two at 0.5 (bin 7): 1 right -> gap 0. n = 6: ECE = 4/6 x 0.2; MCE 0.2.
  const std::vector<double> conf = {0.95, 0.95, 0.95, 0.95, 0.5, 0.5}, out = {1, 1, 1, 0, 1, 0};
  const Reliability r = reliability(conf, out, "test");
  EXPECT_NEAR(r.ece, 4.0 / 6 * 0.2, 1e-12);
  EXPECT_NEAR(r.mce, 0.2, 1e-12);
  EXPECT_EQ(r.width_bins[14].count, 4);
  EXPECT_EQ(r.width_bins[7].count, 2);
  EXPECT_NEAR(r.mean_confidence, (4 * 0.95 + 1.0) / 6, 1e-12);
  // Equal mass keeps ties together: two bins, the same gaps.
  EXPECT_EQ(r.mass_bins.size(), 2u);
  EXPECT_NEAR(r.ece_mass, r.ece, 1e-12);
}

TEST(Reliability, ConfidenceOfOneGoesInTheLastBinAndPerfectIsZero) {
  const Reliability r = reliability({1.0, 1.0, 0.0}, {1, 1, 0}, "test");
  EXPECT_EQ(r.width_bins.back().count, 2);
  EXPECT_NEAR(r.ece, 0, 1e-12);
  EXPECT_NEAR(r.ece_mass, 0, 1e-12);
}

TEST(Reliability, BadInputNamesTheSample) {
  EXPECT_THROW(reliability({0.5}, {1, 0}, "x"), InputError);
  EXPECT_THROW(reliability({}, {}, "x"), InputError);
  try {
    reliability({0.5, 1.5}, {1, 0}, "x");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("sample 1 is 1.5"), std::string::npos) << e.what();
  }
  EXPECT_THROW(reliability({0.5, NAN}, {1, 0}, "x"), InputError);
}

TEST(ProperScores, HandComputed) {
  // Two samples, 2 classes: p = (0.8, 0.2) label 0; p = (0.4, 0.6) label 0.
  const ProperScores s = proper_scores({0.8f, 0.2f, 0.4f, 0.6f}, {0, 0}, 2);
  EXPECT_NEAR(s.nll, -(std::log(0.8) + std::log(0.4)) / 2, 1e-6);
  EXPECT_NEAR(s.brier, ((0.04 + 0.04) + (0.36 + 0.36)) / 2, 1e-6);
  EXPECT_NEAR(s.accuracy, 0.5, 1e-12);
}

TEST(LabelledLogits, NpyPairsAndTheirErrors) {
  test::TempDir dir;
  write_npy(dir / "l.npy", NpyArray::from<float>({3, 2}, {1, 0, 0, 1, 2, 2}), false);
  write_npy(dir / "y.npy", NpyArray::from<int64_t>({3}, {0, 1, 1}), false);
  const LabelledLogits d = read_labelled_logits(dir / "l.npy", dir / "y.npy");
  EXPECT_EQ(d.classes, 2);
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.labels[2], 1);
  write_npy(dir / "short.npy", NpyArray::from<int64_t>({2}, {0, 1}), false);
  EXPECT_THROW(read_labelled_logits(dir / "l.npy", dir / "short.npy"), InputError);
  write_npy(dir / "out.npy", NpyArray::from<int64_t>({3}, {0, 2, 1}), false);
  EXPECT_THROW(read_labelled_logits(dir / "l.npy", dir / "out.npy"), InputError);
  write_npy(dir / "nan.npy", NpyArray::from<float>({3, 2}, {1, 0, NAN, 1, 2, 2}), false);
  EXPECT_THROW(read_labelled_logits(dir / "nan.npy", dir / "y.npy"), InputError);
  write_npy(dir / "inf.npy", NpyArray::from<double>({3, 2}, {1, 0, 1, INFINITY, 2, 2}), false);
  EXPECT_THROW(read_labelled_logits(dir / "inf.npy", dir / "y.npy"), InputError);
  write_npy(dir / "fl.npy", NpyArray::from<float>({3}, {0, 1, 1}), false);
  EXPECT_THROW(read_labelled_logits(dir / "l.npy", dir / "fl.npy"), InputError);
}

TEST(SoftmaxRows, TemperatureFlattens) {
  const std::vector<float> p1 = softmax_rows({2, 0}, 2, {}), p2 = softmax_rows({2, 0}, 2, {0.5});
  EXPECT_NEAR(p1[0], 1 / (1 + std::exp(-2.0)), 1e-6);
  EXPECT_NEAR(p2[0], 1 / (1 + std::exp(-1.0)), 1e-6);
  const std::vector<float> p3 = softmax_rows({2, 0}, 2, {1.0, 2.0});  // per class: logits (2, 0)
  EXPECT_NEAR(p3[0], p1[0], 1e-6);
}

}  // namespace
}  // namespace vssoff::metrics
