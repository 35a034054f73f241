// vssoff evaluate: predicted segmentation labels against reference labels.
#include <memory>

#include "commands.h"
#include "common.h"
#include "metrics/evaluate_segmentation.h"

namespace vssoff::tools {

void setup_evaluate(CLI::App& app) {
  auto opt = std::make_shared<metrics::SegEvalOptions>();
  CLI::App* sub =
      add_subcommand(app, "evaluate", "Score predicted segmentation labels against reference labels (mIoU, accuracy)",
                     [=] { metrics::evaluate_segmentation(*opt); });
  sub->add_option("predicted", opt->predicted, "Predicted labels: a directory of NNNNNN.png, or a synth/segment output")
      ->required();
  sub->add_option("reference", opt->reference,
                  "Reference labels, same forms (ground truth or a reference model's output)")
      ->required();
  sub->add_option("-o,--output", opt->output, "JSON report (format vssoff.evaluation)");
  sub->add_option("--classes", opt->num_classes, "Number of classes (default: from the legend in either manifest)");
  sub->add_option("--foreground", opt->foreground, "Classes counted by foreground accuracy, e.g. 5,6")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--segment", opt->segment_frames, "Frames per segment, for per-segment figures")
      ->capture_default_str();
  sub->add_flag("--subset", opt->subset, "Allow predictions for only some reference frames (every k-th)");
  sub->add_option("--frames-csv", opt->frames_csv, "CSV with one row per frame");
  sub->add_option("--segments-csv", opt->segments_csv, "CSV with one row per segment");
  sub->add_option("--reliability", opt->reliability,
                  "Reliability diagram (PNG) of a segment run's sampled logits (segment --logit-samples)");
  sub->add_flag("--force", opt->force, "Overwrite existing outputs");
}

}  // namespace vssoff::tools
