// CBO: vssoff calibrate and offload-profile (plan's CBO mode is in cmd_plan.cc).
#include <cstdio>
#include <memory>

#include "cbo/calibrator.h"
#include "cbo/offload_profile.h"
#include "commands.h"
#include "common.h"
#include "core/log.h"

namespace vssoff::tools {

void setup_calibrate(CLI::App& app) {
  auto opt = std::make_shared<cbo::CalibrateOptions>();
  CLI::App* sub = add_subcommand(
      app, "calibrate",
      "Fit a confidence calibrator (pixel: temperature, class temperature, histogram, isotonic; or frame level) "
      "and report ECE, MCE, NLL, Brier before and after",
      [=] { cbo::calibrate(*opt); });
  sub->add_option("-o,--output", opt->output, "Calibrator to write (.json, format vssoff.calibrator)")->required();
  sub->add_option("--fit", opt->fit,
                  "Fit data, comma-separated: SEGMENT_DIR:LABELS (segment --logit-samples output and its ground "
                  "truth), LOGITS.npy:LABELS.npy, or offload profiles (.csv) for a frame-level calibrator")
      ->delimiter(',')
      ->required();
  sub->add_option("--test", opt->test, "Held-out data of the same kinds, for the metrics (default: the fit data)")
      ->delimiter(',');
  sub->add_option("--method", opt->method,
                  "Pixel method the calibrator applies (all four are reported): temperature, class-temperature, "
                  "histogram, isotonic")
      ->capture_default_str();
  sub->add_option("--model", opt->model, "With NPY inputs: the model (card or TorchScript) the logits came from");
  sub->add_option("--diagrams", opt->diagrams, "Directory for reliability diagrams, one PNG per method");
  sub->add_option("--max-samples", opt->max_fit_samples, "Pixel level: fit on a seeded subsample of at most this many")
      ->capture_default_str();
  sub->add_option("--ridge", opt->ridge, "Frame level: ridge penalty on the standardised statistics")
      ->capture_default_str();
  sub->add_option("--seed", opt->seed, "Seed of the subsample")->capture_default_str();
  sub->add_flag("--force", opt->force, "Overwrite an existing output");
}

void setup_offload_profile(CLI::App& app) {
  auto opt = std::make_shared<cbo::OffloadProfileOptions>();
  CLI::App* sub = add_subcommand(
      app, "offload-profile",
      "CBO: per frame, the on-device model's confidence and accuracy, and per offload resolution the bytes and the "
      "server's accuracy",
      [=] { cbo::offload_profile(*opt); });
  sub->add_option("input", opt->input, "Input video")->required();
  sub->add_option("-o,--output", opt->output, "Table to write (.csv; manifest OUTPUT.json)")->required();
  sub->add_option("--edge-model", opt->edge_model, "The on-device model (card or TorchScript)")->required();
  sub->add_option("--server-model", opt->server_model, "The server's model (card or TorchScript)")->required();
  sub->add_option("--calibrator", opt->calibrator, "Pixel-level calibrator of the edge model (calibrate)");
  sub->add_option("--ground-truth", opt->ground_truth, "Reference labels: a synth output or a label directory");
  sub->add_option("--reference-model", opt->reference_model,
                  "Reference: this model's labels on the original frames (instead of ground truth)");
  sub->add_option("--scales", opt->scales, "Offload resolutions as scales in (0, 1], comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--qp", opt->qp, "x264 constant QP of the offloaded intra frames")->capture_default_str();
  sub->add_option("--preset", opt->preset, "x264 preset")->capture_default_str();
  sub->add_option("--start", opt->start, "First frame index")->capture_default_str();
  sub->add_option("--frames", opt->frames, "Number of frames from --start (-1 = to the end)")->capture_default_str();
  sub->add_option("--threads", opt->threads, "Inference threads (0 = the thread budget)")->capture_default_str();
  sub->add_flag("--force", opt->force, "Overwrite existing outputs");
}

}  // namespace vssoff::tools
