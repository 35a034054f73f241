// vssoff train-model: train a built-in segmentation network on synthetic scenes.
#include <memory>

#include "commands.h"
#include "common.h"
#include "core/log.h"
#include "core/plugin.h"
#include "nn/train.h"

namespace vssoff::tools {

void setup_train_model(CLI::App& app) {
  auto opt = std::make_shared<nn::TrainOptions>();
  CLI::App* sub = add_subcommand(app, "train-model",
                                 "Train a built-in segmentation model or detector on synthetic street scenes", [=] {
                                   nn::TrainResult r = VSSOFF_PLUGIN_CALL(vssoff::nn::train_model)(*opt);
                                   if (opt->task == "detect")
                                     log_info("wrote ", opt->output, ": ", r.steps, " steps in ", r.seconds,
                                              " s, best validation loss ", r.best_val_loss);
                                   else
                                     log_info("wrote ", opt->output, ": ", r.steps, " steps in ", r.seconds,
                                              " s, best validation mIoU ", r.best_val_miou);
                                 });
  sub->add_option("-o,--output", opt->output,
                  "Model card to write (.json); weights beside it (.pt), checkpoint OUTPUT.ckpt")
      ->required();
  sub->add_option("--name", opt->name, "Model name (default: the card's file stem)");
  sub->add_option("--task", opt->task, "segment (segnet) or detect (detnet, a centre-point detector)")
      ->check(CLI::IsMember({"segment", "detect"}))
      ->capture_default_str();
  sub->add_option("--width", opt->width, "Network width; cost grows with its square")->capture_default_str();
  sub->add_option("--steps", opt->steps, "Optimisation steps")->capture_default_str();
  sub->add_option("--batch", opt->batch, "Frames per step")->capture_default_str();
  sub->add_option("--lr", opt->lr, "Initial Adam learning rate (cosine decay)")->capture_default_str();
  sub->add_option("--crop-width", opt->crop_width, "Training crop width, pixels")->capture_default_str();
  sub->add_option("--crop-height", opt->crop_height, "Training crop height, pixels")->capture_default_str();
  sub->add_option("--scale-min", opt->scale_min, "Smallest random rescale before cropping")->capture_default_str();
  sub->add_option("--scale-max", opt->scale_max, "Largest random rescale before cropping")->capture_default_str();
  sub->add_option("--color-jitter", opt->color_jitter, "Largest relative brightness/contrast change per channel")
      ->capture_default_str();
  sub->add_option("--noise", opt->noise_sigma, "Largest added noise std-dev, 8-bit units")->capture_default_str();
  sub->add_option("--compress-prob", opt->compress_prob, "Share of samples passed through x264 at a random QP")
      ->capture_default_str();
  sub->add_option("--qp-min", opt->qp_min, "Lowest QP of that augmentation")->capture_default_str();
  sub->add_option("--qp-max", opt->qp_max, "Highest QP of that augmentation")->capture_default_str();
  sub->add_option("--presets", opt->presets, "Synth presets to train on, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--render-width", opt->render_width, "Width of the rendered scenes")->capture_default_str();
  sub->add_option("--render-height", opt->render_height, "Height of the rendered scenes")->capture_default_str();
  sub->add_option("--seed", opt->seed, "Seed of the training scenes and initialisation")->capture_default_str();
  sub->add_option("--val-every", opt->val_every, "Steps between validations and checkpoints")->capture_default_str();
  sub->add_option("--val-frames", opt->val_frames, "Held-out validation frames per preset")->capture_default_str();
  sub->add_flag("--resume", opt->resume, "Continue from OUTPUT.ckpt");
  sub->add_option("--threads", opt->threads, "Training threads (0 = the thread budget)")->capture_default_str();
  sub->add_flag("--force", opt->force, "Overwrite an existing card and weights");
}

}  // namespace vssoff::tools
