// evaluate (detection): COCO results against a COCO ground-truth dataset, with the COCO
// metrics of metrics/detection.h and precision, recall and F1 at one score threshold.
//
// Inputs:
//  - predicted: a COCO results JSON file (a list of {"image_id", "category_id", "bbox",
//    "score"}), or a detections artefact directory (what detect and fuse write):
//    DIR/detections.json in results form (image_id = frame index + 1) and DIR/manifest.json,
//    format "vssoff.detections", version 1, with optionally "frames" (the frame indices the
//    run covered) and "video" {"width", "height", "frames"};
//  - reference: a COCO dataset JSON file with "images", or a directory holding boxes.json
//    (a synth output).
// Images evaluated: the ground-truth images whose frame the manifest's "frames" lists when it
// has that list (an explicit claim beats a guess); else, with subset, the ground-truth images
// with at least one detection; else every ground-truth image. Categories: the ground truth's
// "categories" (those of its annotations when it lists none).
// InputErrors, naming the file and the value: a detection whose image_id is not a
// ground-truth image, or one on an image outside the manifest's "frames"; a frame in "frames"
// without a ground-truth image; a category id that is not a ground-truth category; a box
// outside its image (when the image's size is known; 1 pixel of slack) or of negative size;
// a manifest "video" size other than the ground truth's; a file that is not COCO.
//
// Output: a JSON report, format "vssoff.evaluation" (kEvaluationVersion), params.task
// "detection", with "detection" (COCO summary, per class, the threshold figures) and "frames"
// (one entry per evaluated image); optionally a CSV per frame and a precision-recall PNG;
// a table on stderr. Undefined values are null in JSON and empty in CSV.
#pragma once

#include <cstdint>
#include <string>

#include "core/manifest.h"
#include "metrics/detection.h"

namespace vssoff::metrics {

inline constexpr int kDetectionsVersion = 1;  // the "vssoff.detections" manifest read here

// Whether `predicted` is detection input: a regular file, or a directory with detections.json.
bool is_detection_input(const std::string& predicted);

struct DetEvalOptions {
  std::string predicted, reference;  // see above
  double score_threshold = 0.3;      // the threshold figures count detections with score >= it (finite)
  int max_dets = 100;                // detections per image kept for the COCO metrics (>= 1)
  bool subset = false;               // without a manifest "frames", evaluate only images with detections
  std::string output;                // JSON report
  std::string frames_csv;            // per image: frame, image_id, gt, detections, tp, fp, fn, precision, recall, f1
  std::string pr_curve;              // PNG
  bool force = false;
  void check() const;
};

struct DetEvalResult {
  CocoEval coco;
  CocoSummary summary;
  ThresholdMatch at_threshold;
  int64_t images = 0;  // evaluated
  Json report;
};

DetEvalResult evaluate_detection(const DetEvalOptions& options);

}  // namespace vssoff::metrics
