#include "cbo/calibrator.h"

#include <cmath>
#include <random>

#include "core/error.h"
#include "core/fs.h"
#include "core/npy.h"
#include "test_util.h"

namespace vssoff::cbo {
namespace {

// Samples of a 3-class problem whose true posterior is softmax(z / t_true): a model whose
// logits are too sharp by t_true.
metrics::LabelledLogits tempered(double t_true, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 3);
  std::uniform_real_distribution<double> u(0, 1);
  metrics::LabelledLogits d;
  d.classes = 3;
  for (int i = 0; i < n; ++i) {
    double z[3], p[3], s = 0;
    for (int c = 0; c < 3; ++c) z[c] = g(rng), s += (p[c] = std::exp(z[c] / t_true));
    double r = u(rng) * s;
    int y = 0;
    while (y < 2 && r > p[y]) r -= p[y++];
    for (int c = 0; c < 3; ++c) d.logits.push_back(static_cast<float>(z[c]));
    d.labels.push_back(y);
  }
  return d;
}

TEST(Isotonic, PoolsViolatorsAndTies) {
  // y: 1 3 2 4 -> blocks (1), (2.5, 2.5), (4): fitted points kept at both ends of a block.
  const Isotonic f = fit_isotonic({1, 2, 3, 4}, {1, 3, 2, 4}, {}, "t");
  EXPECT_NEAR(f(1), 1, 1e-12);
  EXPECT_NEAR(f(2), 2.5, 1e-12);
  EXPECT_NEAR(f(3), 2.5, 1e-12);
  EXPECT_NEAR(f(4), 4, 1e-12);
  EXPECT_NEAR(f(1.5), 1.75, 1e-12);  // linear between fitted points
  EXPECT_NEAR(f(0), 1, 1e-12);       // clipped at the ends
  EXPECT_NEAR(f(9), 4, 1e-12);
  // Equal x are pooled first (weighted): x 1 1 2 with y 0 1 0 -> 0.5 at 1, then pooled with 0.
  const Isotonic g = fit_isotonic({1, 1, 2}, {0, 1, 0}, {}, "t");
  EXPECT_NEAR(g(1), 1.0 / 3, 1e-12);
  EXPECT_NEAR(g(2), 1.0 / 3, 1e-12);
  EXPECT_THROW(fit_isotonic({}, {}, {}, "t"), InputError);
  // A tie after a pooled block: x 1 2 2 2, y 0.5 0 1 1 -> 0.5 at 1 and 2/3 at 2 (scikit-learn's),
  // not one block of 0.625.
  const Isotonic h = fit_isotonic({1, 2, 2, 2}, {0.5, 0, 1, 1}, {}, "t");
  EXPECT_NEAR(h(1), 0.5, 1e-12);
  EXPECT_NEAR(h(2), 2.0 / 3, 1e-12);
}

TEST(Isotonic, FitIsMonotoneAndMinimisesSquaredError) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> x, y;
  for (int i = 0; i < 500; ++i) x.push_back(u(rng)), y.push_back(u(rng) < x.back() ? 1 : 0);
  const Isotonic f = fit_isotonic(x, y, {}, "t");
  for (size_t k = 1; k < f.x.size(); ++k) EXPECT_LE(f.y[k - 1], f.y[k]);
  double sse = 0, sse_shift = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sse += (f(x[i]) - y[i]) * (f(x[i]) - y[i]);
    const double g = std::min(1.0, f(x[i]) * 1.05);  // another monotone function does worse
    sse_shift += (g - y[i]) * (g - y[i]);
  }
  EXPECT_LT(sse, sse_shift);
}

TEST(PixelCalibrator, TemperatureRecoversTheTrueOne) {
  const metrics::LabelledLogits d = tempered(2.0, 20000, 1);
  const PixelCalibrator p = fit_pixel_calibrator("temperature", d);
  ASSERT_EQ(p.inv_temperature.size(), 1u);
  EXPECT_NEAR(1 / p.inv_temperature[0], 2.0, 0.1);
  // It keeps the argmax, and lowers the ECE on fresh data from the same model.
  const metrics::LabelledLogits test = tempered(2.0, 20000, 2);
  auto ece = [&](const PixelCalibrator& cal) {
    const std::vector<float> probs = cal.probabilities(test.logits, 3);
    std::vector<double> conf, correct;
    for (int64_t i = 0; i < test.size(); ++i) {
      const float* r = probs.data() + i * 3;
      const int arg = static_cast<int>(std::max_element(r, r + 3) - r);
      const float* z = test.logits.data() + i * 3;
      EXPECT_EQ(arg, std::max_element(z, z + 3) - z);
      conf.push_back(r[arg]), correct.push_back(arg == test.labels[i]);
    }
    return metrics::reliability(conf, correct, "t").ece;
  };
  PixelCalibrator none;
  none.method = "none";
  EXPECT_GT(ece(none), 0.05);
  EXPECT_LT(ece(p), 0.02);
}

TEST(PixelCalibrator, ClassTemperatureFitsAtLeastAsWellAsOne) {
  const metrics::LabelledLogits d = tempered(1.5, 5000, 4);
  const PixelCalibrator one = fit_pixel_calibrator("temperature", d);
  const PixelCalibrator per = fit_pixel_calibrator("class-temperature", d);
  ASSERT_EQ(per.inv_temperature.size(), 3u);
  const auto nll = [&](const PixelCalibrator& c) {
    return metrics::proper_scores(c.probabilities(d.logits, 3), d.labels, 3).nll;
  };
  EXPECT_LE(nll(per), nll(one) + 1e-6);
}

TEST(PixelCalibrator, HistogramAndIsotonicMapTheTopProbability) {
  const metrics::LabelledLogits d = tempered(2.0, 20000, 5);
  for (const char* m : {"histogram", "isotonic"}) {
    const PixelCalibrator p = fit_pixel_calibrator(m, d);
    const std::vector<float> probs = p.probabilities(d.logits, 3);
    for (int64_t i = 0; i < 100; ++i) {
      double s = 0;
      for (int c = 0; c < 3; ++c) s += probs[i * 3 + c];
      EXPECT_NEAR(s, 1, 1e-5) << m;
    }
    EXPECT_LT(p.map_top1(0.99), 0.99) << m;  // an overconfident model is pulled down
    // What segment applies is the same map, sampled finely.
    const nn::ConfidenceCalibration c = p.for_segmenter();
    EXPECT_NEAR(c.map(0.9f), p.map_top1(0.9), 0.01) << m;
  }
  EXPECT_THROW(fit_pixel_calibrator("platt", d), UsageError);
}

TEST(FrameCalibrator, LearnsALinearAccuracy) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::vector<double>> X;
  std::vector<double> y;
  for (int i = 0; i < 400; ++i) {
    std::vector<double> x(6);
    for (double& v : x) v = u(rng);
    y.push_back(0.2 + 0.5 * x[0] + 0.1 * (1 - x[3]));
    X.push_back(x);
  }
  const FrameCalibrator f = fit_frame_calibrator(X, y, 1e-6);
  double err = 0;
  for (size_t i = 0; i < X.size(); ++i) err += std::abs(f.predict(X[i]) - y[i]) / X.size();
  EXPECT_LT(err, 0.01);
  EXPECT_THROW(fit_frame_calibrator({X[0]}, {y[0]}, 1), InputError);
}

TEST(Calibrator, ArtefactRoundTripsAndRefusesAnotherModel) {
  test::TempDir dir;
  write_npy(dir / "l.npy", NpyArray::from<float>({6, 2}, {3, 0, 2, 0, 0, 3, 0, 1, 4, 0, 0, 2}), false);
  write_npy(dir / "y.npy", NpyArray::from<int32_t>({6}, {0, 1, 1, 1, 0, 1}), false);
  CalibrateOptions o;
  o.fit = {dir / "l.npy" + ":" + dir / "y.npy"};
  o.output = dir / "cal.json";
  o.method = "isotonic";
  EXPECT_THROW(calibrate(o), UsageError);  // NPY inputs need --model
  o.model = std::string(VSSOFF_SOURCE_DIR) + "/models/segnet-tiny.json";
  EXPECT_THROW(calibrate(o), InputError);  // 8 classes, the logits have 2
  // A 2-class classifier's card (the tiny model's weights stand in for its own).
  Json card = Json::parse(read_file(o.model));
  card["name"] = "toy-2", card["classes"] = Json::array({{{"id", 0}, {"name", "no"}}, {{"id", 1}, {"name", "yes"}}});
  card["weights"] = std::string(VSSOFF_SOURCE_DIR) + "/models/segnet-tiny.pt";
  write_file_atomic(dir / "toy.json", card.dump(), false);
  o.model = dir / "toy.json";
  const CalibrateResult r = calibrate(o);
  const Calibrator c = read_calibrator(o.output);
  EXPECT_EQ(c.level, "pixel");
  EXPECT_EQ(c.model_name, "toy-2");
  EXPECT_EQ(c.pixel.method, "isotonic");
  EXPECT_EQ(c.pixel.isotonic.x, r.calibrator.pixel.isotonic.x);
  EXPECT_TRUE(r.report.contains("uncalibrated") && r.report.contains("temperature"));
  EXPECT_THROW(calibrate(o), InputError);  // exists, no --force
  const nn::ConfidenceCalibration s = c.for_segmenter();
  EXPECT_EQ(s.model_name, "toy-2");
  EXPECT_EQ(s.model_sha256.size(), 64u);
}

}  // namespace
}  // namespace vssoff::cbo
