// vssoff synth: render a synthetic street clip with labels and boxes.
#include <memory>

#include "commands.h"
#include "common.h"
#include "core/log.h"
#include "synth/synth.h"

namespace vssoff::tools {

void setup_synth(CLI::App& app) {
  auto opt = std::make_shared<synth::SynthOptions>();
  auto size = std::make_shared<std::string>("640x360");
  auto fps = std::make_shared<std::string>("30");
  CLI::App* sub = add_subcommand(app, "synth", "Render a synthetic street clip with exact labels and boxes", [=] {
    parse_size("--size", *size, &opt->scene.width, &opt->scene.height);
    opt->scene.fps = parse_fps("--fps", *fps);
    synth::SynthResult r = synth::synthesize(*opt);
    log_info("wrote ", opt->output_dir, ": ", r.frames, " frames, video ", r.video_bytes, " bytes, ",
             r.frames / r.seconds, " frames/s");
  });
  sub->add_option("-o,--output", opt->output_dir, "Output directory (video.mp4, labels/, boxes.json, manifest.json)")
      ->required();
  sub->add_option("--preset", opt->scene.preset, "Scene preset: street, highway, crowd, night")->capture_default_str();
  sub->add_option("--size", *size, "Frame size WIDTHxHEIGHT (even numbers)")->capture_default_str();
  sub->add_option("--fps", *fps, "Frame rate, e.g. 30 or 30000/1001")->capture_default_str();
  sub->add_option("--frames", opt->frames, "Number of frames")->capture_default_str();
  sub->add_option("--seed", opt->scene.seed, "Random seed; the same seed gives the same bytes")->capture_default_str();
  sub->add_option("--noise", opt->scene.noise_sigma, "Sensor noise std-dev in 8-bit units (-1 = the preset's)")
      ->capture_default_str();
  sub->add_option("--activity", opt->scene.activity, "Multiplier of the spawn rates of vehicles and people")
      ->capture_default_str();
  sub->add_option("--video-qp", opt->video_qp, "Constant QP of the H.264 video (0 = lossless)")->capture_default_str();
  sub->add_option("--x264-preset", opt->x264_preset, "x264 preset for the video")->capture_default_str();
  sub->add_option("--threads", opt->threads, "x264 threads (0 = 1.5 per core of the thread budget)")
      ->capture_default_str();
  sub->add_option("--segment", opt->segment_frames, "Keyframe interval in frames")->capture_default_str();
  sub->add_option("--preview-every", opt->preview_every,
                  "Write preview/NNNNNN.png (frame | labels + boxes) every K frames (0 = none)")
      ->capture_default_str();
  sub->add_flag("--force", opt->force, "Replace an existing output directory");
}

}  // namespace vssoff::tools
