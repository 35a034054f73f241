// vssoff segment: run a segmentation model (built-in or TorchScript) over a video.
#include <memory>

#include "cbo/calibrator.h"
#include "commands.h"
#include "common.h"
#include "core/log.h"
#include "core/plugin.h"
#include "nn/segment_video.h"

namespace vssoff::tools {

void setup_segment(CLI::App& app) {
  auto opt = std::make_shared<nn::SegmentOptions>();
  auto calibrator = std::make_shared<std::string>();
  CLI::App* sub =
      add_subcommand(app, "segment", "Segment a video: labels, softmax statistics, confidence, logits samples", [=] {
        if (!calibrator->empty()) opt->segmenter.calibration = cbo::read_calibrator(*calibrator).for_segmenter();
        nn::SegmentResult r = VSSOFF_PLUGIN_CALL(vssoff::nn::segment_video)(*opt);
        log_info("wrote ", opt->output_dir, ": ", r.frames, " frames, ", r.frames / r.seconds, " frames/s overall, ",
                 r.frames / r.inference_seconds, " frames/s inference");
      });
  sub->add_option("input", opt->input, "Input video (any FFmpeg input)")->required();
  sub->add_option("-o,--output", opt->output_dir, "Output directory (labels/, stats.csv, manifest.json, ...)")
      ->required();
  sub->add_option("--model", opt->model, "Model card (.json) or TorchScript file (.pt)")->required();
  sub->add_option("--threads", opt->segmenter.threads, "Inference threads (0 = the thread budget)")
      ->capture_default_str();
  sub->add_option("--batch", opt->batch, "Frames per forward pass")->capture_default_str();
  sub->add_option("--start", opt->start, "First frame index")->capture_default_str();
  sub->add_option("--frames", opt->frames, "Number of frames from --start (-1 = to the end)")->capture_default_str();
  sub->add_option("--every", opt->every, "Segment every k-th frame, counting from --start")->capture_default_str();
  sub->add_flag("--confidence", opt->segmenter.confidence_map, "Write confidence/NNNNNN.png (top-1 probability x 255)");
  sub->add_option("--overlay-every", opt->overlay_every,
                  "Write overlay/NNNNNN.png every k-th segmented frame (0 = none)")
      ->capture_default_str();
  sub->add_option("--logit-samples", opt->logit_samples, "Pixels per frame whose logits go to logits.npy (0 = none)")
      ->capture_default_str();
  sub->add_option("--seed", opt->seed, "Seed of the pixel sampling")->capture_default_str();
  sub->add_flag("--bf16", opt->segmenter.bf16, "bfloat16 inference where the CPU supports it natively");
  sub->add_flag("--channels-last", opt->segmenter.channels_last,
                "NHWC activations (can help standard-convolution models)");
  sub->add_option("--device", opt->segmenter.device,
                  "Where the model runs: cpu, cuda (an error where LibTorch sees no GPU) or auto")
      ->capture_default_str();
  sub->add_option("--decode-threads", opt->decode_threads, "Decoder threads (0 = the thread budget)")
      ->capture_default_str();
  sub->add_flag("--force", opt->force, "Replace an existing output directory");
  sub->add_option("--calibrator", *calibrator,
                  "Pixel-level calibrator of this model (calibrate): calibrated confidence maps and statistics");
  sub->add_flag("--strict-length", opt->strict_length,
                "Fail on a video shorter than its header says (default: warn, use what decodes)");
}

}  // namespace vssoff::tools
