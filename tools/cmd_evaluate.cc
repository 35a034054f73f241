// vssoff evaluate: predicted segmentation labels against reference labels, or detections
// (COCO results, or a detect/fuse output) against COCO ground truth.
#include <memory>
#include <vector>

#include "commands.h"
#include "common.h"
#include "core/error.h"
#include "metrics/evaluate_detection.h"
#include "metrics/evaluate_segmentation.h"

namespace vssoff::tools {

void setup_evaluate(CLI::App& app) {
  auto seg = std::make_shared<metrics::SegEvalOptions>();
  auto det = std::make_shared<metrics::DetEvalOptions>();
  // Options of one task only, checked against the task the inputs select.
  auto seg_only = std::make_shared<std::vector<CLI::Option*>>();
  auto det_only = std::make_shared<std::vector<CLI::Option*>>();
  CLI::App* sub = add_subcommand(
      app, "evaluate",
      "Score predicted segmentation labels against reference labels (mIoU, accuracy), or detections against COCO "
      "ground truth (mAP)",
      [=] {
        const bool detection = metrics::is_detection_input(seg->predicted);
        for (CLI::Option* o : detection ? *seg_only : *det_only)
          check<UsageError>(o->count() == 0, o->get_name(), " applies to ",
                            detection ? "segmentation labels" : "detections", ", and ", seg->predicted, " holds ",
                            detection ? "detections" : "segmentation labels");
        if (!detection) {
          metrics::evaluate_segmentation(*seg);
          return;
        }
        det->predicted = seg->predicted, det->reference = seg->reference;
        det->subset = seg->subset, det->output = seg->output, det->frames_csv = seg->frames_csv;
        det->force = seg->force;
        metrics::evaluate_detection(*det);
      });
  sub->add_option("predicted", seg->predicted,
                  "Predicted labels (a directory of NNNNNN.png, or a synth/segment output), or detections (a COCO "
                  "results JSON, or a detect/fuse output with detections.json)")
      ->required();
  sub->add_option("reference", seg->reference,
                  "Reference labels, same forms (ground truth or a reference model's output); for detections a COCO "
                  "dataset JSON or a synth output (its boxes.json)")
      ->required();
  sub->add_option("-o,--output", seg->output, "JSON report (format vssoff.evaluation)");
  seg_only->push_back(sub->add_option("--classes", seg->num_classes,
                                      "Number of classes (default: from the legend in either manifest)"));
  seg_only->push_back(
      sub->add_option("--foreground", seg->foreground, "Classes counted by foreground accuracy, e.g. 5,6")
          ->delimiter(',')
          ->capture_default_str());
  seg_only->push_back(sub->add_option("--segment", seg->segment_frames, "Frames per segment, for per-segment figures")
                          ->capture_default_str());
  sub->add_flag("--subset", seg->subset,
                "Allow predictions for only some reference frames (every k-th); detections: evaluate only the images "
                "with detections");
  sub->add_option("--frames-csv", seg->frames_csv, "CSV with one row per frame");
  seg_only->push_back(sub->add_option("--segments-csv", seg->segments_csv, "CSV with one row per segment"));
  seg_only->push_back(
      sub->add_option("--reliability", seg->reliability,
                      "Reliability diagram (PNG) of a segment run's sampled logits (segment --logit-samples)"));
  det_only->push_back(sub->add_option("--score-threshold", det->score_threshold,
                                      "Detections: the score from which precision, recall and F1 count a detection")
                          ->capture_default_str());
  det_only->push_back(
      sub->add_option("--max-dets", det->max_dets, "Detections: per image, the top-scoring ones COCO's metrics keep")
          ->capture_default_str());
  det_only->push_back(sub->add_option("--pr-curve", det->pr_curve,
                                      "Detections: precision-recall curves at IoU 0.5 per class and their mean (PNG)"));
  sub->add_flag("--force", seg->force, "Overwrite existing outputs");
}

}  // namespace vssoff::tools
