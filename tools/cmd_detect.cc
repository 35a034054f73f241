// vssoff detect: run a detector (built-in detnet or TorchScript) over a video.
#include <memory>

#include "commands.h"
#include "common.h"
#include "core/log.h"
#include "core/plugin.h"
#include "nn/detect_video.h"

namespace vssoff::tools {

void setup_detect(CLI::App& app) {
  auto opt = std::make_shared<nn::DetectOptions>();
  CLI::App* sub = add_subcommand(app, "detect", "Detect objects in a video: COCO results JSON and a manifest", [=] {
    nn::DetectResult r = VSSOFF_PLUGIN_CALL(vssoff::nn::detect_video)(*opt);
    log_info("wrote ", opt->output_dir, ": ", r.boxes, " boxes on ", r.frames, " frames, ", r.frames / r.seconds,
             " frames/s overall, ", r.frames / r.inference_seconds, " frames/s inference");
  });
  sub->add_option("input", opt->input, "Input video (any FFmpeg input)")->required();
  sub->add_option("-o,--output", opt->output_dir, "Output directory (detections.json, manifest.json, overlay/)")
      ->required();
  sub->add_option("--model", opt->model, "Detection model card (.json) or TorchScript detector (.pt with its card)")
      ->required();
  sub->add_option("--threads", opt->detector.threads, "Inference threads (0 = the thread budget)")
      ->capture_default_str();
  sub->add_option("--start", opt->start, "First frame index")->capture_default_str();
  sub->add_option("--frames", opt->frames, "Number of frames from --start (-1 = to the end)")->capture_default_str();
  sub->add_option("--every", opt->every, "Detect on every k-th frame, counting from --start")->capture_default_str();
  sub->add_option("--score-threshold", opt->detector.score_threshold,
                  "Lowest score kept (default: the card's detection.score_threshold)");
  sub->add_option("--max-detections", opt->detector.max_detections,
                  "Most boxes per frame (default: the card's detection.max_detections)");
  sub->add_option("--overlay-every", opt->overlay_every,
                  "Write overlay/NNNNNN.png (boxes over the frame) every k-th processed frame (0 = none)")
      ->capture_default_str();
  sub->add_flag("--bf16", opt->detector.bf16, "bfloat16 inference where the CPU supports it natively");
  sub->add_option("--device", opt->detector.device,
                  "Where the model runs: cpu, cuda (an error where LibTorch sees no GPU) or auto")
      ->capture_default_str();
  sub->add_option("--decode-threads", opt->decode_threads, "Decoder threads (0 = the thread budget)")
      ->capture_default_str();
  sub->add_flag("--force", opt->force, "Replace an existing output directory");
}

}  // namespace vssoff::tools
