// detnet's box encoding: what training asks the network to output (detnet_targets) decodes
// back (decode_detnet) to the boxes it came from; the heatmap's positives and peaks.
#include "nn/detnet.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vssoff::nn {
namespace {

using train_data::Box;

// The targets as a network output: the heatmap as logits (1 -> large, Gaussian values
// below the positives kept low), the regression as is.
torch::Tensor as_output(const DetNetTargets& t) {
  torch::Tensor heat = torch::where(t.heat.eq(1), torch::full_like(t.heat, 4.0), torch::full_like(t.heat, -6.0));
  return torch::cat({heat, t.reg}, 1);
}

TEST(DetNet, TargetsDecodeToTheirBoxes) {
  // A vehicle (class 5 -> channel 0) and a person (6 -> 1) in a 320x192 input (80x48 cells).
  std::vector<int> channel(256, -1);
  channel[5] = 0;
  channel[6] = 1;
  const std::vector<Box> boxes = {{5, 100, 60, 120, 48}, {6, 40.5f, 100, 6, 17}};
  DetNetTargets t = detnet_targets({boxes}, channel, 2, 48, 80);
  EXPECT_EQ(t.heat.sizes(), (std::vector<int64_t>{1, 2, 48, 80}));
  // The person (1.5 x 4.25 cells, sigma 0.5 x 0.71) has one positive, its centre cell; the
  // vehicle (30 x 12 cells, sigma 5 x 2) a central ellipse of many.
  EXPECT_EQ(t.heat[0][1].eq(1).sum().item<int64_t>(), 1);
  EXPECT_EQ(t.heat[0][1][27][10].item<float>(), 1.0f);  // centre (43.5, 108.5) px -> cell (10, 27)
  EXPECT_GT(t.heat[0][0].eq(1).sum().item<int64_t>(), 20);
  EXPECT_EQ(t.objects, t.mask.sum().item<int64_t>());

  torch::Tensor out = as_output(t);
  Detections d = decode_detnet(out, 2, 0.5, 100);
  // Every positive cell of the vehicle is a peak of equal score (a plateau): all decode to
  // the vehicle's box, which is what the detector's NMS then merges.
  ASSERT_GE(d.scores.size(0), 2);
  bool vehicle = false, person = false;
  for (int64_t i = 0; i < d.scores.size(0); ++i) {
    const auto b = d.boxes[i];
    const Box& want = d.labels[i].item<int64_t>() == 0 ? boxes[0] : boxes[1];
    EXPECT_NEAR(b[0].item<float>(), want.x, 1e-3);
    EXPECT_NEAR(b[1].item<float>(), want.y, 1e-3);
    EXPECT_NEAR(b[2].item<float>(), want.x + want.w, 1e-3);
    EXPECT_NEAR(b[3].item<float>(), want.y + want.h, 1e-3);
    (d.labels[i].item<int64_t>() == 0 ? vehicle : person) = true;
  }
  EXPECT_TRUE(vehicle && person);
}

TEST(DetNet, DecodePicksPeaksAboveTheThresholdBestFirst) {
  torch::Tensor out = torch::full({1, 3, 10, 10}, -8.0);
  out.narrow(1, 1, 2).fill_(0);  // regression 0: exp(0) = 1 cell to every side
  out[0][0][2][3] = 2.0;         // a peak (sigmoid 0.88)
  out[0][0][2][4] = 1.0;         // its neighbour: not a peak
  out[0][0][7][7] = 0.0;         // a peak at 0.5
  out[0][0][0][0] = -1.0;        // a peak under the threshold (0.27)
  torch::Tensor reg = torch::zeros({1, 4, 10, 10});
  out = torch::cat({out.narrow(1, 0, 1), reg}, 1);
  Detections d = decode_detnet(out, 1, 0.4, 100);
  ASSERT_EQ(d.scores.size(0), 2);
  EXPECT_NEAR(d.scores[0].item<float>(), 1 / (1 + std::exp(-2.0)), 1e-6);
  EXPECT_NEAR(d.boxes[0][0].item<float>(), (3 + 0.5 - 1) * 4, 1e-4);  // x1 of cell (3, 2)
  EXPECT_NEAR(d.boxes[0][3].item<float>(), (2 + 0.5 + 1) * 4, 1e-4);  // y2
  EXPECT_NEAR(d.scores[1].item<float>(), 0.5, 1e-6);
  EXPECT_EQ(decode_detnet(out, 1, 0.4, 1).scores.size(0), 1);  // max_dets
}

}  // namespace
}  // namespace vssoff::nn
