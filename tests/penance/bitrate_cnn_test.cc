#include "penance/bitrate_cnn.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "test_util.h"

namespace vssoff::penance {
namespace {

// Samples whose log-bytes are a simple function of the features: output k is
// 7 + f0 + 0.5 f1 - 0.4 k (images: noise, carrying nothing).
BitrateSamples samples(int64_t n, int outputs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  BitrateSamples s;
  s.n = n;
  for (int64_t i = 0; i < n * 2 * kCnnHeight * kCnnWidth; ++i) s.images.push_back(u(rng) - 0.5f);
  for (int64_t i = 0; i < n; ++i) {
    float f0 = 1 + 2 * u(rng), f1 = 0.5f + 1.5f * u(rng);
    s.features.insert(s.features.end(), {f0, f1, u(rng) - 0.5f, u(rng) - 0.5f});
    for (int k = 0; k < outputs; ++k) s.log_bytes.push_back(7 + f0 + 0.5f * f1 - 0.4f * k);
  }
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(BitrateCnn, LearnsLogBytesFromTheFeaturesBetterThanTheTrainingMean) {
  vssoff::test::TempDir dir;
  const int K = 3;
  BitrateSamples train = samples(8, K, 1), held = samples(8, K, 2);
  BitrateCnnResult r = train_bitrate_cnn(train, held, K, dir / "w.pt", 1, 2);
  EXPECT_EQ(r.epochs, 600);
  ASSERT_TRUE(std::filesystem::exists(dir / "w.pt"));
  // Baseline: each output's mean training log-bytes.
  std::vector<double> mean(K, 0.0), base;
  for (int64_t i = 0; i < train.n; ++i)
    for (int k = 0; k < K; ++k) mean[k] += train.log_bytes[i * K + k] / train.n;
  for (int64_t i = 0; i < held.n; ++i)
    for (int k = 0; k < K; ++k) base.push_back(std::abs(std::exp(mean[k] - held.log_bytes[i * K + k]) - 1));
  const double baseline = median(base);
  EXPECT_GT(baseline, 0.15);
  EXPECT_LT(r.holdout_mdape, 0.25 * baseline) << "held-out MdAPE " << r.holdout_mdape << ", baseline " << baseline;
  // predict_bitrate_cnn loads the saved weights and gives the same error, in bytes.
  std::vector<double> bytes = predict_bitrate_cnn(dir / "w.pt", held, K, 2);
  ASSERT_EQ(bytes.size(), size_t(held.n * K));
  std::vector<double> ape;
  for (size_t i = 0; i < bytes.size(); ++i) ape.push_back(std::abs(bytes[i] / std::exp(held.log_bytes[i]) - 1));
  // Through the saved weights the error is larger than the trainer reports (0.081 against under
  // 0.056 measured; 0.0098 against 0.0081 with 40 samples): still well below the baseline.
  EXPECT_LT(median(ape), 0.5 * baseline);
}

}  // namespace
}  // namespace vssoff::penance
