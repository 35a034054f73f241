// Golden cases of the COCO evaluation, each computed by hand in its comment (no pycocotools
// on the build machines; a re-implementation in the test would not be independent).
// Notation: detections in merged score order, TP/FP/ig(nored); rc and pr the cumulative
// recall and precision; pr made monotone from the right; AP the mean of pr at the 101
// recall points r_i = i / 100 (the first detection with rc >= r_i, 0 past the last).
#include "metrics/detection.h"

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "metrics/evaluate_detection.h"
#include "metrics/evaluate_segmentation.h"
#include "test_util.h"

namespace vssoff::metrics {
namespace {

constexpr double kTol = 1e-12;  // pycocotools' precision is tp / (tp + fp + 2^-52)

coco::Box gt(int64_t image, int category, double x, double y, double w, double h, int crowd = 0, double area = -1) {
  coco::Box b;
  b.image_id = image, b.category_id = category, b.x = x, b.y = y, b.w = w, b.h = h, b.iscrowd = crowd, b.area = area;
  return b;
}
coco::Box dt(int64_t image, int category, double x, double y, double w, double h, double score) {
  coco::Box b = gt(image, category, x, y, w, h);
  b.score = score;
  return b;
}

TEST(Detection, ThresholdsAreNumpysLinspaceBitForBit) {
  // np.linspace(.5, .95, 10) and np.linspace(0, 1, 101), printed with repr (numpy 1.24).
  const std::vector<double> iou = {0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95};
  EXPECT_EQ(coco_iou_thresholds(), iou);
  const std::vector<double> rec = coco_recall_thresholds();
  ASSERT_EQ(rec.size(), 101u);
  const std::map<int, double> odd = {{35, 0.35000000000000003}, {41, 0.41000000000000003}, {47, 0.47000000000000003},
                                     {57, 0.5700000000000001},  {69, 0.6900000000000001},  {70, 0.7000000000000001},
                                     {82, 0.8200000000000001},  {83, 0.8300000000000001},  {94, 0.9400000000000001},
                                     {95, 0.9500000000000001}};
  for (int i = 0; i <= 100; ++i) EXPECT_EQ(rec[i], odd.count(i) ? odd.at(i) : i / 100.0) << i;
}

TEST(Detection, BoxIou) {
  EXPECT_DOUBLE_EQ(box_iou(dt(1, 1, 0, 0, 10, 10, 1), gt(1, 1, 5, 0, 10, 10), false), 50.0 / 150);
  EXPECT_EQ(box_iou(dt(1, 1, 0, 0, 10, 10, 1), gt(1, 1, 10, 0, 10, 10), false), 0);  // touching: no overlap
  // Against a crowd: intersection over the detection's area.
  EXPECT_EQ(box_iou(dt(1, 1, 55, 55, 20, 20, 1), gt(1, 1, 50, 50, 40, 40, 1), true), 1);
  EXPECT_EQ(box_iou(dt(1, 1, 55, 55, 20, 20, 1), gt(1, 1, 50, 50, 40, 40, 1), false), 0.25);
}

TEST(Detection, PerfectDetectorScoresOneInEveryRange) {
  // Two images, two classes, boxes of each area range; every box detected exactly. Every
  // detection is a TP of its range (pr = 1/(1+2^-52)); in another range it sits on an ignored
  // box and is ignored, so every defined AP and AR is 1.
  std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 10, 10), gt(1, 2, 20, 20, 50, 50), gt(2, 1, 100, 100, 100, 100),
                                  gt(2, 2, 0, 0, 10, 10)};
  std::vector<coco::Box> det;
  for (const coco::Box& b : truth) det.push_back(dt(b.image_id, b.category_id, b.x, b.y, b.w, b.h, 0.9));
  const CocoEval e = coco_evaluate({1, 2}, {1, 2}, truth, det);
  const CocoSummary s = summarize(e);
  for (double v : {s.map, s.map_50, s.map_75, s.map_small, s.map_medium, s.map_large, s.ar_1, s.ar_10, s.ar_max,
                   s.ar_small, s.ar_medium, s.ar_large})
    EXPECT_NEAR(v, 1, kTol);
  EXPECT_EQ(e.max_dets, (std::vector<int>{1, 10, 100}));
  EXPECT_EQ(e.truths, (std::vector<int64_t>{2, 2}));
}

TEST(Detection, DuplicateIsAFalsePositive) {
  // One image: GT g1, g2. Detections .9 on g1 (TP), .8 on g1 again (FP: g1 is taken), .7 on
  // g2 (TP). rc = [.5, .5, 1], pr = [1, 1/2, 2/3] -> monotone [1, 2/3, 2/3].
  // r_0..r_50 (rc .5 >= r): 51 points at 1; r_51..r_100: 50 points at 2/3.
  // AP = (51 + 50 * 2/3) / 101 = 0.834983..., the same at every IoU threshold.
  std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 20, 20), gt(1, 1, 50, 50, 20, 20)};
  std::vector<coco::Box> det = {dt(1, 1, 0, 0, 20, 20, 0.9), dt(1, 1, 0, 0, 20, 20, 0.8),
                                dt(1, 1, 50, 50, 20, 20, 0.7)};
  const CocoEval e = coco_evaluate({1}, {1}, truth, det);
  const double ap = (51 + 50 * 2.0 / 3) / 101;
  EXPECT_NEAR(summarize(e).map_50, ap, kTol);
  EXPECT_NEAR(summarize(e).map, ap, kTol);
  EXPECT_NEAR(e.precision_at(0, 50, 0, 0, 2), 1, kTol);  // r = 0.5 is reached by the first TP
  EXPECT_NEAR(e.precision_at(0, 51, 0, 0, 2), 2.0 / 3, kTol);
  EXPECT_NEAR(summarize(e).ar_max, 1, kTol);
  // At score >= 0.3, IoU 0.5: TP 2, FP 1, FN 0: P 2/3, R 1, F1 0.8.
  const ThresholdMatch m = match_at_score({1}, {1}, truth, det, 0.3);
  EXPECT_EQ(m.overall.tp, 2);
  EXPECT_EQ(m.overall.fp, 1);
  EXPECT_EQ(m.overall.fn, 0);
  EXPECT_DOUBLE_EQ(m.overall.f1(), 0.8);
}

TEST(Detection, MissesCapRecall) {
  // One image, 4 GT, one exact detection (.9): rc = [.25], pr = [1]. r_0..r_25 (r_25 = 0.25
  // exactly): 26 points at 1, the other 75 at 0. AP = 26/101; AR = 0.25.
  std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 10, 10), gt(1, 1, 20, 0, 10, 10), gt(1, 1, 40, 0, 10, 10),
                                  gt(1, 1, 60, 0, 10, 10)};
  const CocoEval e = coco_evaluate({1}, {1}, truth, {dt(1, 1, 0, 0, 10, 10, 0.9)});
  EXPECT_NEAR(summarize(e).map, 26.0 / 101, kTol);
  EXPECT_NEAR(summarize(e).ar_max, 0.25, kTol);
  EXPECT_NEAR(summarize(e).ar_1, 0.25, kTol);
}

TEST(Detection, RecallPointsFollowNumpysRounding) {
  // 100 GT, 57 exact detections: rc ends at 57/100 = 0.57, but r_57 is 0.5700000000000001
  // (numpy's linspace), above it. So r_0..r_56 get 1: AP = 57/101 (not 58/101).
  std::vector<coco::Box> truth, det;
  for (int i = 0; i < 100; ++i) {
    truth.push_back(gt(1, 1, (i % 10) * 20, (i / 10) * 20, 10, 10));
    if (i < 57) det.push_back(dt(1, 1, (i % 10) * 20, (i / 10) * 20, 10, 10, 1 - i / 100.0));
  }
  EXPECT_NEAR(summarize(coco_evaluate({1}, {1}, truth, det)).map, 57.0 / 101, kTol);
}

TEST(Detection, InterleavedScoresOverImages) {
  // Image 1: GT A, B; image 2: GT C. Merged by score:
  //   .9 A (TP), .8 img2 background (FP), .7 C (TP), .6 img1 background (FP), .5 B (TP).
  // tp 1 1 2 2 3, fp 0 1 1 2 2; rc 1/3 1/3 2/3 2/3 1; pr 1 1/2 2/3 1/2 3/5
  // -> monotone 1 2/3 2/3 3/5 3/5.
  // r_0..r_33 (<= 1/3): 34 points at 1; r_34..r_66 (<= 2/3): 33 at 2/3; r_67..r_100: 34 at 3/5.
  // AP = (34 + 33 * 2/3 + 34 * 3/5) / 101 = 76.4 / 101 = 0.756435...
  std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 20, 20), gt(1, 1, 100, 0, 20, 20), gt(2, 1, 0, 0, 20, 20)};
  std::vector<coco::Box> det = {dt(1, 1, 0, 0, 20, 20, 0.9), dt(2, 1, 200, 200, 20, 20, 0.8),
                                dt(2, 1, 0, 0, 20, 20, 0.7), dt(1, 1, 200, 200, 20, 20, 0.6),
                                dt(1, 1, 100, 0, 20, 20, 0.5)};
  const CocoEval e = coco_evaluate({1, 2}, {1}, truth, det);
  EXPECT_NEAR(summarize(e).map, 76.4 / 101, kTol);
  EXPECT_NEAR(summarize(e).map_50, 76.4 / 101, kTol);
  // AR@1: image 1 keeps .9 (A), image 2 keeps .8 (FP): recall 1/3.
  EXPECT_NEAR(summarize(e).ar_1, 1.0 / 3, kTol);
}

TEST(Detection, CategoryWithoutGroundTruthIsLeftOut) {
  // Category 1: one GT, detected exactly (AP 1). Category 2: no GT, one detection: AP -1,
  // left out of the mean. Category 3: one GT, no detection: AP 0, counted.
  // mAP = (1 + 0) / 2 = 0.5.
  std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 20, 20), gt(1, 3, 50, 0, 20, 20)};
  std::vector<coco::Box> det = {dt(1, 1, 0, 0, 20, 20, 0.9), dt(1, 2, 100, 0, 20, 20, 0.8)};
  const CocoEval e = coco_evaluate({1}, {1, 2, 3}, truth, det);
  EXPECT_NEAR(e.ap(-1, 0, 2, 0), 1, kTol);
  EXPECT_EQ(e.ap(-1, 0, 2, 1), -1);
  EXPECT_EQ(e.ar(0, 2, 1), -1);
  EXPECT_EQ(e.ap(-1, 0, 2, 2), 0);
  EXPECT_NEAR(summarize(e).map, 0.5, kTol);
  EXPECT_NEAR(summarize(e).ar_max, 0.5, kTol);  // recall 1 and 0
}

TEST(Detection, CrowdIsIgnored) {
  // GT A (regular) and a crowd region. Detection .95 inside the crowd (crowd IoU = 400/400 =
  // 1): it matches the ignored crowd and is ignored. Detection .9 on A: TP (it takes A and
  // stops before the ignored crowd). tp 0 1, fp 0 0: rc 0 1, pr 0 1 -> monotone 1 1: AP 1.
  // Without the crowd rule the first detection would be an FP and AP (0 + ... ) < 1.
  std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 10, 10), gt(1, 1, 50, 50, 40, 40, 1)};
  std::vector<coco::Box> det = {dt(1, 1, 55, 55, 20, 20, 0.95), dt(1, 1, 0, 0, 10, 10, 0.9)};
  const CocoEval e = coco_evaluate({1}, {1}, truth, det);
  EXPECT_NEAR(summarize(e).map, 1, kTol);
  EXPECT_EQ(e.truths[0], 1);  // the crowd is not ground truth to find
  // Two detections in one crowd: both ignored (a crowd can be matched again).
  det.push_back(dt(1, 1, 60, 60, 20, 20, 0.97));
  EXPECT_NEAR(summarize(coco_evaluate({1}, {1}, truth, det)).map, 1, kTol);
  // At a score threshold: TP 1, FP 0, FN 0 (the detections in the crowd are neither).
  const ThresholdMatch m = match_at_score({1}, {1}, truth, det, 0.3);
  EXPECT_EQ(m.overall.tp, 1);
  EXPECT_EQ(m.overall.fp, 0);
  EXPECT_EQ(m.overall.fn, 0);
}

TEST(Detection, RegularMatchBeatsABetterIgnoredOne) {
  // GT A [0,0,10,10] and a crowd C [0,0,10,9]. Detection [0,0,10,7.8]: IoU with A 78/100 =
  // 0.78, with the crowd 78/78 = 1. A comes first; once the detection holds A it stops before
  // the ignored crowd: a TP at t = 0.50..0.75 (6 thresholds, AP 1 each). At 0.80..0.95 A is
  // too far and the crowd takes it: ignored, so no TP and no FP: rc [0], AP 0.
  // mAP = 6/10; AP50 1.
  std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 10, 10), gt(1, 1, 0, 0, 10, 9, 1)};
  const CocoSummary s = summarize(coco_evaluate({1}, {1}, truth, {dt(1, 1, 0, 0, 10, 7.8, 0.9)}));
  EXPECT_NEAR(s.map, 0.6, kTol);
  EXPECT_NEAR(s.map_50, 1, kTol);
}

TEST(Detection, AreaRanges) {
  // 300x300 image: GT S (10x10, area 100, small) and L (100x100, large). Detections .9
  // exactly on L, .8 a small box on background (area 100).
  //  all:    .9 TP, .8 FP: rc .5 .5, pr 1 1/2 -> r_0..r_50 at 1: AP = 51/101.
  //  small:  L ignored; .9 matches ignored L (ignored), .8 unmatched, small: FP. npig 1,
  //          tp 0 0: AP 0, AR 0.
  //  medium: both GT ignored: npig 0: AP -1.
  //  large:  S ignored; .9 TP; .8 unmatched and outside [96^2, 1e10]: ignored. AP 1.
  std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 10, 10), gt(1, 1, 100, 100, 100, 100)};
  std::vector<coco::Box> det = {dt(1, 1, 100, 100, 100, 100, 0.9), dt(1, 1, 250, 0, 10, 10, 0.8)};
  const CocoSummary s = summarize(coco_evaluate({1}, {1}, truth, det));
  EXPECT_NEAR(s.map, 51.0 / 101, kTol);
  EXPECT_EQ(s.map_small, 0);
  EXPECT_EQ(s.ar_small, 0);
  EXPECT_EQ(s.map_medium, -1);
  EXPECT_EQ(s.ar_medium, -1);
  EXPECT_NEAR(s.map_large, 1, kTol);
  EXPECT_NEAR(s.ar_large, 1, kTol);

  // The range goes by the GT's "area" field when given: a 40x40 box (1600, medium by w x h)
  // with area 900 is small. Its exact detection: small AP 1; medium: the GT is ignored and the
  // detection, matched to it, too: AP -1.
  const CocoSummary a =
      summarize(coco_evaluate({1}, {1}, {gt(1, 1, 0, 0, 40, 40, 0, 900)}, {dt(1, 1, 0, 0, 40, 40, 1)}));
  EXPECT_NEAR(a.map_small, 1, kTol);
  EXPECT_EQ(a.map_medium, -1);
}

TEST(Detection, MaxDetsCutsPerImage) {
  // Image 1: 3 GT with exact detections .9 .8 .7; image 2: 1 GT, exact detection .6.
  // max_dets 2 (list {1, 2}): image 1 keeps .9 .8, image 2 keeps .6: all TP, npig 4,
  // rc .25 .5 .75, pr 1: r_0..r_75 (r_75 = 0.75): 76 points: AP = 76/101; AR@2 = .75.
  // AR@1: image 1 keeps .9, image 2 .6: recall 2/4 = .5. With max_dets 100: AP 1.
  std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 10, 10), gt(1, 1, 20, 0, 10, 10), gt(1, 1, 40, 0, 10, 10),
                                  gt(2, 1, 0, 0, 10, 10)};
  std::vector<coco::Box> det = {dt(1, 1, 40, 0, 10, 10, 0.7), dt(1, 1, 0, 0, 10, 10, 0.9), dt(1, 1, 20, 0, 10, 10, 0.8),
                                dt(2, 1, 0, 0, 10, 10, 0.6)};
  const CocoEval e = coco_evaluate({1, 2}, {1}, truth, det, 2);
  EXPECT_EQ(e.max_dets, (std::vector<int>{1, 2}));
  const CocoSummary s = summarize(e);
  EXPECT_NEAR(s.map, 76.0 / 101, kTol);
  EXPECT_NEAR(s.ar_max, 0.75, kTol);
  EXPECT_NEAR(s.ar_1, 0.5, kTol);
  EXPECT_NEAR(s.ar_10, 0.75, kTol);  // 10 capped at max_dets 2
  const CocoSummary full = summarize(coco_evaluate({1, 2}, {1}, truth, det));
  EXPECT_NEAR(full.map, 1, kTol);
  EXPECT_NEAR(full.ar_1, 0.5, kTol);
  EXPECT_NEAR(full.ar_10, 1, kTol);
}

TEST(Detection, IouExactlyAtAThresholdMatches) {
  // GT [0,0,10,10]. A detection [0,0,10,5] has IoU 50/100 = 0.5 exactly: it matches at 0.5
  // (pycocotools skips only IoU < t) and at no other threshold: AP50 1, mAP = 1/10.
  std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 10, 10)};
  CocoSummary s = summarize(coco_evaluate({1}, {1}, truth, {dt(1, 1, 0, 0, 10, 5, 0.9)}));
  EXPECT_NEAR(s.map_50, 1, kTol);
  EXPECT_EQ(s.map_75, 0);
  EXPECT_NEAR(s.map, 0.1, kTol);
  // [0,0,10,7.5]: IoU 0.75 exactly, matching at 0.50..0.75 (6 of 10): mAP 0.6, AP75 1.
  s = summarize(coco_evaluate({1}, {1}, truth, {dt(1, 1, 0, 0, 10, 7.5, 0.9)}));
  EXPECT_NEAR(s.map_75, 1, kTol);
  EXPECT_NEAR(s.map, 0.6, kTol);
  // Just under 0.5 ([0,0,10,4.999]): no match anywhere.
  s = summarize(coco_evaluate({1}, {1}, truth, {dt(1, 1, 0, 0, 10, 4.999, 0.9)}));
  EXPECT_EQ(s.map, 0);
  // The score threshold matching uses the same >= 0.5 rule.
  EXPECT_EQ(match_at_score({1}, {1}, truth, {dt(1, 1, 0, 0, 10, 5, 0.9)}, 0.3).overall.tp, 1);
}

TEST(Detection, PrecisionRecallF1AtAScoreThreshold) {
  // Threshold 0.3, IoU 0.5.
  //  Image 1: GT A, B. .9 on A: TP. .8 inside B with IoU 40/100 = 0.4: FP. .2 exactly on B:
  //           below the threshold, not counted. B: FN. -> TP 1, FP 1, FN 1: P 1/2, R 1/2, F1 1/2.
  //  Image 2: GT C. .5 on background: FP. .35 on C: TP. -> TP 1, FP 1, FN 0: P 1/2, R 1, F1 2/3.
  //  Image 3: nothing: all ratios undefined.
  //  Overall: TP 2, FP 2, FN 1: P 1/2, R 2/3, F1 = 2 (1/2)(2/3) / (7/6) = 4/7.
  std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 10, 10), gt(1, 1, 20, 0, 10, 10), gt(2, 1, 0, 0, 10, 10)};
  std::vector<coco::Box> det = {dt(1, 1, 0, 0, 10, 10, 0.9), dt(1, 1, 20, 0, 10, 4, 0.8), dt(1, 1, 20, 0, 10, 10, 0.2),
                                dt(2, 1, 50, 50, 10, 10, 0.5), dt(2, 1, 0, 0, 10, 10, 0.35)};
  const ThresholdMatch m = match_at_score({1, 2, 3}, {1}, truth, det, 0.3);
  EXPECT_EQ(m.per_image.at(1).tp, 1);
  EXPECT_EQ(m.per_image.at(1).fp, 1);
  EXPECT_EQ(m.per_image.at(1).fn, 1);
  EXPECT_DOUBLE_EQ(m.per_image.at(1).f1(), 0.5);
  EXPECT_DOUBLE_EQ(m.per_image.at(2).recall(), 1);
  EXPECT_DOUBLE_EQ(m.per_image.at(2).f1(), 2.0 / 3);
  EXPECT_TRUE(std::isnan(m.per_image.at(3).precision()) && std::isnan(m.per_image.at(3).f1()));
  // F1 = 2 TP / (2 TP + FP + FN): 0 without a TP, even where precision is undefined.
  EXPECT_EQ((MatchCounts{0, 0, 3}).f1(), 0);
  EXPECT_TRUE(std::isnan((MatchCounts{0, 0, 3}).precision()));
  EXPECT_EQ(m.detections_kept.at(1), 2);
  EXPECT_DOUBLE_EQ(m.overall.precision(), 0.5);
  EXPECT_DOUBLE_EQ(m.overall.recall(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.overall.f1(), 4.0 / 7);
}

// evaluate_detection on files: a dataset and results written here.
struct Files {
  test::TempDir dir;
  std::string truth = dir / "gt.json", results = dir / "dets.json";
  Files(const std::vector<coco::Box>& boxes, const std::vector<coco::Box>& dets, int images = 3) {
    coco::Dataset d;
    for (int i = 1; i <= images; ++i) {
      coco::Image im;
      im.id = i, im.width = 100, im.height = 80;
      d.images.push_back(im);
    }
    d.annotations = boxes;
    for (size_t k = 0; k < d.annotations.size(); ++k) d.annotations[k].id = static_cast<int64_t>(k + 1);
    d.categories = {{1, "vehicle", "vehicle"}, {2, "person", "person"}};
    coco::write_dataset(truth, d, true);
    coco::write_results(results, dets, true);
  }
};

TEST(EvaluateDetection, ReportAndInputs) {
  // Images 1..3; vehicle: GT on 1 and 2, detected exactly on 1 only; person: no GT.
  // vehicle: rc .5, pr 1: AP = 51/101; person: AP -1 (null), left out: mAP = 51/101.
  Files f({gt(1, 1, 0, 0, 20, 20), gt(2, 1, 10, 10, 20, 20)}, {dt(1, 1, 0, 0, 20, 20, 0.9)});
  DetEvalOptions o;
  o.predicted = f.results, o.reference = f.truth;
  o.output = f.dir / "report.json", o.frames_csv = f.dir / "frames.csv", o.pr_curve = f.dir / "pr.png";
  const DetEvalResult r = evaluate_detection(o);
  EXPECT_EQ(r.images, 3);
  const Json rep = read_manifest(o.output, "evaluation", kEvaluationVersion);
  EXPECT_EQ(rep["params"]["task"], "detection");
  const Json& d = rep["detection"];
  EXPECT_NEAR(d["map"].get<double>(), 51.0 / 101, kTol);
  EXPECT_NEAR(d["map_50"].get<double>(), 51.0 / 101, kTol);
  EXPECT_EQ(d["classes"][0]["name"], "vehicle");
  EXPECT_NEAR(d["classes"][0]["ap_50"].get<double>(), 51.0 / 101, kTol);
  EXPECT_TRUE(d["classes"][1]["ap"].is_null());
  EXPECT_EQ(d["classes"][0]["precision_50"].size(), 101u);
  EXPECT_EQ(d["at_threshold"]["fn"], 1);
  EXPECT_EQ(rep["frames"].size(), 3u);
  EXPECT_EQ(rep["frames"][2]["frame"], 2);  // image 3 is frame 2
  EXPECT_TRUE(std::filesystem::file_size(o.pr_curve) > 0);
  EXPECT_TRUE(std::filesystem::exists(o.frames_csv));

  // --subset: only image 1, the one with detections: vehicle AP 1.
  o.output = o.frames_csv = o.pr_curve = "";
  o.subset = true;
  EXPECT_NEAR(evaluate_detection(o).summary.map, 1, kTol);

  // A detections artefact whose manifest lists frames 0 and 1 (images 1, 2): AP 51/101, and
  // --subset does not override the list.
  std::filesystem::create_directories(f.dir / "run");
  std::filesystem::copy_file(f.results, f.dir / "run/detections.json");
  Json m = new_manifest("detections", kDetectionsVersion);
  m["frames"] = {0, 1};
  m["video"] = {{"width", 100}, {"height", 80}, {"frames", 3}};
  write_manifest(f.dir / "run/manifest.json", m, false);
  o.predicted = f.dir / "run";
  EXPECT_TRUE(is_detection_input(o.predicted));
  const DetEvalResult a = evaluate_detection(o);
  EXPECT_EQ(a.images, 2);
  EXPECT_NEAR(a.summary.map, 51.0 / 101, kTol);
  // A listed frame without ground truth, and a video of another size.
  m["frames"] = {0, 7};
  write_manifest(f.dir / "run/manifest.json", m, true);
  EXPECT_THROW(evaluate_detection(o), InputError);
  m["frames"] = {0, 1};
  m["video"]["width"] = 64;
  write_manifest(f.dir / "run/manifest.json", m, true);
  EXPECT_THROW(evaluate_detection(o), InputError);
}

TEST(EvaluateDetection, BadInputsAreInputErrorsNamingTheFile) {
  const std::vector<coco::Box> truth = {gt(1, 1, 0, 0, 20, 20)};
  auto message = [&](const std::vector<coco::Box>& dets) -> std::string {
    Files f(truth, dets);
    DetEvalOptions o;
    o.predicted = f.results, o.reference = f.truth;
    try {
      evaluate_detection(o);
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(f.results), std::string::npos) << e.what();
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message({dt(9, 1, 0, 0, 20, 20, 0.9)}).find("image_id 9"), std::string::npos);
  EXPECT_NE(message({dt(1, 7, 0, 0, 20, 20, 0.9)}).find("category_id 7"), std::string::npos);
  EXPECT_NE(message({dt(1, 1, 90, 0, 20, 20, 0.9)}).find("outside the image"), std::string::npos);
  EXPECT_EQ(message({dt(1, 1, 81, 0, 20, 20, 0.9)}), "no error");  // 1 pixel of slack
}

}  // namespace
}  // namespace vssoff::metrics
