#include "metrics/segmentation.h"

#include <cmath>

#include "core/error.h"
#include "test_util.h"

namespace vssoff::metrics {
namespace {

TEST(ConfusionMatrix, HandComputedExample) {
  // reference: 0 0 1 1 2 255   predicted: 0 1 1 1 0 2
  const uint8_t ref[] = {0, 0, 1, 1, 2, 255};
  const uint8_t pred[] = {0, 1, 1, 1, 0, 2};
  ConfusionMatrix cm(4);
  cm.add(pred, ref, 6);
  EXPECT_EQ(cm.pixels(), 5);  // the ignored pixel is not counted
  EXPECT_EQ(cm.count(0, 1), 1);
  EXPECT_DOUBLE_EQ(cm.iou(0), 1.0 / 3);  // tp 1, ref 2, pred 2
  EXPECT_DOUBLE_EQ(cm.iou(1), 2.0 / 3);  // tp 2, ref 2, pred 3
  EXPECT_DOUBLE_EQ(cm.iou(2), 0.0);      // tp 0, ref 1, pred 0
  EXPECT_TRUE(std::isnan(cm.iou(3)));    // in neither map: left out of the mean
  EXPECT_DOUBLE_EQ(cm.mean_iou(), (1.0 / 3 + 2.0 / 3 + 0.0) / 3);
  EXPECT_DOUBLE_EQ(cm.pixel_accuracy(), 3.0 / 5);
}

TEST(ConfusionMatrix, MergeEqualsOnePass) {
  const uint8_t ref[] = {0, 1, 2, 1, 0, 2, 2, 1};
  const uint8_t pred[] = {0, 2, 2, 1, 1, 2, 9, 1};  // 9: a label outside the classes is wrong
  ConfusionMatrix all(3), a(3), b(3);
  all.add(pred, ref, 8);
  a.add(pred, ref, 3);
  b.add(pred + 3, ref + 3, 5);
  a.merge(b);
  for (int r = 0; r < 3; ++r)
    for (int p = 0; p <= 3; ++p) EXPECT_EQ(a.count(r, p), all.count(r, p));
  EXPECT_EQ(all.count(2, 3), 1);
  EXPECT_DOUBLE_EQ(a.mean_iou(), all.mean_iou());
}

TEST(ConfusionMatrix, ReferenceLabelOutsideTheClassesIsAnError) {
  const uint8_t ref[] = {0, 7};
  const uint8_t pred[] = {0, 0};
  ConfusionMatrix cm(3);
  EXPECT_THROW(cm.add(pred, ref, 2), InputError);
  EXPECT_THROW(ConfusionMatrix(0), UsageError);
}

TEST(ForegroundAccuracy, CountsPixelsForegroundInEitherMap) {
  std::vector<bool> fg(256, false);
  fg[5] = true;
  const uint8_t ref[] = {5, 5, 0, 0, 1, 255};
  const uint8_t pred[] = {5, 0, 5, 0, 1, 5};
  ForegroundAccuracy acc;
  acc.add(pred, ref, 6, fg);
  EXPECT_EQ(acc.total, 3);  // pixels 0, 1, 2
  EXPECT_EQ(acc.correct, 1);
  ForegroundAccuracy none;
  EXPECT_TRUE(std::isnan(none.value()));
}

}  // namespace
}  // namespace vssoff::metrics
