// Object detection metrics: COCO's bbox evaluation (mAP, AP per area, AR) with the
// definitions of pycocotools' COCOeval, and precision, recall and F1 at one score threshold.
//
// COCO evaluation (coco_evaluate), per image and category, as COCOeval.evaluateImg and
// accumulate do it:
//  - detections sorted by score, descending and stable (ties keep their input order); the
//    top max_dets per image are kept;
//  - a ground-truth box is "ignored" when it is a crowd (iscrowd) or its area is outside the
//    area range (area < lo or area > hi). The area is the box's "area" field (coco::Box::area),
//    w x h when that is -1; a detection's area is w x h;
//  - IoU of [x, y, w, h] boxes as maskApi's bbIou; against a crowd the union is the
//    detection's area (the share of the detection inside the crowd);
//  - at each IoU threshold t (0.50:0.05:0.95), each detection in score order takes, among the
//    ground truth not yet matched at t (crowds can be matched again), the one with the highest
//    IoU >= t (min(t, 1 - 1e-10); an IoU equal to t matches; among equal IoUs the later one in
//    the ordered list); non-ignored ground truth comes first, and once a detection holds a
//    non-ignored match it does not look at ignored ones;
//  - a detection matched to an ignored box, or unmatched with its area outside the range, is
//    ignored (neither TP nor FP);
//  - over the images (ascending id), detections merged by score (stable); precision
//    tp / (tp + fp + 2^-52), recall tp / (non-ignored ground truth); precision made monotone
//    from the right; sampled at the 101 recall points 0:0.01:1 at the first detection whose
//    recall is >= the point (np.searchsorted, side left), 0 past the last;
//  - a category with no non-ignored ground truth in a range has precision and recall -1 there
//    and is left out of every mean (a category with no ground truth at all: AP -1);
//  - AP is the mean of the entries > -1 over recall points, IoU thresholds (or one) and
//    categories (or one); AR the mean of the final recalls over thresholds and categories.
//  The IoU and recall thresholds are computed as numpy.linspace does, so IoU and recall
//  boundaries fall on the same side as in pycocotools.
//
// Where this differs from pycocotools: a detection counts as matched by a flag, not by a
// non-zero ground-truth annotation id (pycocotools treats a match to annotation id 0 as
// none); means are summed in order rather than pairwise (differences near 1e-16); the caller
// decides what unknown images and categories are (evaluate_detection: errors; pycocotools
// drops detections of categories outside the ground truth's). IoU, like pycocotools', is in
// double.
//
// Thread-compatible: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/coco.h"

namespace vssoff::metrics {

struct AreaRange {
  const char* name;
  double lo, hi;  // pixels^2, both inclusive
};
inline constexpr AreaRange kCocoAreaRanges[] = {
    {"all", 0, 1e10}, {"small", 0, 32 * 32}, {"medium", 32 * 32, 96 * 96}, {"large", 96 * 96, 1e10}};
inline constexpr int kCocoAreas = 4;
inline constexpr int kCocoRecallPoints = 101;

// 0.50, 0.55, ..., 0.95 and 0, 0.01, ..., 1, bit for bit as pycocotools' Params has them.
std::vector<double> coco_iou_thresholds();
std::vector<double> coco_recall_thresholds();

// IoU of two [x, y, w, h] boxes; with crowd, intersection over the detection's area.
double box_iou(const coco::Box& detection, const coco::Box& truth, bool crowd);
// A ground-truth box's area: its "area", w x h when not given.
inline double truth_area(const coco::Box& b) { return b.area >= 0 ? b.area : b.w * b.h; }

struct CocoEval {
  std::vector<int64_t> image_ids;  // ascending
  std::vector<int> category_ids;   // as given
  std::vector<double> iou_thresholds, recall_thresholds;
  std::vector<int> max_dets;  // {1, 10, max_dets} capped at max_dets, ascending, unique
  // precision[((((t * R) + r) * K + k) * A + a) * M + m] (COCOeval's precision[t, r, k, a, m])
  // and recall[(((t * K) + k) * A + a) * M + m]; -1 where undefined.
  std::vector<double> precision, recall;
  // Ground truth (non-crowd) and detections (after the max_dets cut) per category.
  std::vector<int64_t> truths, detections;

  double precision_at(int t, int r, int k, int a, int m) const;
  double recall_at(int t, int k, int a, int m) const;
  // pycocotools' _summarize: the mean of the entries > -1, or -1 when there are none.
  // iou_idx -1: every threshold; category_idx -1: every category; m: index into max_dets.
  double ap(int iou_idx, int area_idx, int m, int category_idx = -1) const;
  double ar(int area_idx, int m, int category_idx = -1) const;
  int last_max_dets() const { return static_cast<int>(max_dets.size()) - 1; }
};

// COCO evaluation of detections (scores in Box::score) against ground truth over the given
// images and categories; boxes on other images or categories are skipped (the caller checks
// them). max_dets >= 1 is the largest number of detections per image (COCO: 100).
CocoEval coco_evaluate(std::vector<int64_t> image_ids, const std::vector<int>& category_ids,
                       const std::vector<coco::Box>& truth, const std::vector<coco::Box>& detections,
                       int max_dets = 100);

// COCO's twelve summary numbers (COCOeval.summarize; AR at 1, 10 and max_dets), -1 undefined.
struct CocoSummary {
  double map = -1, map_50 = -1, map_75 = -1, map_small = -1, map_medium = -1, map_large = -1;
  double ar_1 = -1, ar_10 = -1, ar_max = -1, ar_small = -1, ar_medium = -1, ar_large = -1;
};
CocoSummary summarize(const CocoEval& eval);

// Counts of a one-to-one matching; the ratios are NaN when undefined (precision without
// detections, recall without ground truth). F1 = 2 TP / (2 TP + FP + FN), the harmonic mean
// of precision and recall where both are defined, 0 when there is no TP, NaN with neither
// detections nor ground truth.
struct MatchCounts {
  int64_t tp = 0, fp = 0, fn = 0;
  double precision() const;
  double recall() const;
  double f1() const;
  void add(const MatchCounts& o) { tp += o.tp, fp += o.fp, fn += o.fn; }
};

struct ThresholdMatch {
  MatchCounts overall;
  std::map<int64_t, MatchCounts> per_image;    // every given image
  std::map<int, MatchCounts> per_category;     // every given category
  std::map<int64_t, int64_t> detections_kept;  // per image: detections with score >= the threshold
};

// Precision, recall and F1 of the detections with score >= score_threshold: per image and
// category, detections in score order (stable) each take the unmatched ground truth with the
// highest IoU >= iou_threshold, non-crowd first (a TP); a detection that only overlaps a
// crowd that much is neither TP nor FP; the rest are FPs; unmatched non-crowd ground truth
// are FNs. No area range and no max_dets cut.
ThresholdMatch match_at_score(const std::vector<int64_t>& image_ids, const std::vector<int>& category_ids,
                              const std::vector<coco::Box>& truth, const std::vector<coco::Box>& detections,
                              double score_threshold, double iou_threshold = 0.5);

// The interpolated precision-recall curves (all areas, the largest max_dets, IoU 0.5) of each
// category with ground truth and their mean over those, as a PNG (video::write_chart).
// class_names: one per eval.category_ids entry. InputError when it cannot write.
void write_pr_curve(const std::string& path, const std::string& title, const CocoEval& eval,
                    const std::vector<std::string>& class_names, bool force);

}  // namespace vssoff::metrics
