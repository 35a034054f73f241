// train-model --task detect: detnet (nn/detnet.h) trained as CenterNet is, on synth scenes.
//
// Targets at output stride 4: per class a heatmap with an elliptical Gaussian at every box
// centre (sigma = 0.54 x the box side / 6 per axis, as TTFNet sets it, at least 0.5 cells;
// overlapping Gaussians take the maximum) whose cells within one sigma of the centre are
// positives (1), and at each positive cell the log distances from the cell's centre to the
// box's four sides, in cells (as FCOS regresses them). Loss: CenterNet's penalty-reduced
// focal loss on the heatmap (alpha 2, beta 4) plus the L1 of the log distances at the
// positives, each divided by the number of positive cells. Validation: the same loss on held-out frames at full
// resolution; the best weights are kept. mAP is measured afterwards with detect + evaluate.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/threads.h"
#include "nn/detnet.h"
#include "nn/model_card.h"
#include "nn/train.h"
#include "nn/train_data.h"
#include "synth/scene.h"

namespace fs = std::filesystem;

namespace vssoff::nn {
namespace {

using namespace train_data;

// Focal loss on the heatmap, L1 on the log distances; each over the number of positive cells.
torch::Tensor detection_loss(const torch::Tensor& out, const DetNetTargets& t, int C) {
  torch::Tensor p = torch::sigmoid(out.narrow(1, 0, C)).clamp(1e-4, 1 - 1e-4);
  torch::Tensor pos = t.heat.eq(1).to(torch::kFloat32);
  torch::Tensor pos_loss = torch::log(p) * (1 - p).pow(2) * pos;
  torch::Tensor neg_loss = torch::log(1 - p) * p.pow(2) * (1 - t.heat).pow(4) * (1 - pos);
  const double n = std::max<int64_t>(1, t.objects);
  torch::Tensor focal = -(pos_loss.sum() + neg_loss.sum()) / n;
  torch::Tensor reg = out.narrow(1, C, 4);
  torch::Tensor l1 = (torch::abs(reg - t.reg) * t.mask).sum() / n;
  return focal + l1;
}

}  // namespace

TrainResult train_detector(const TrainOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  const std::string weights =
      (fs::path(opt.output).parent_path() / (fs::path(opt.output).stem().string() + ".pt")).string();
  const std::string ckpt = opt.output + ".ckpt";
  if (!opt.resume) {
    check_output_path(opt.output, opt.force);
    check_output_path(weights, opt.force);
  } else {
    check_input_file(ckpt, "checkpoint");
  }
  torch::set_num_threads(resolve_threads(opt.threads));
  torch::manual_seed(opt.seed);

  // The detector reports synth's objects: vehicle and person, under their class ids.
  const std::vector<int> category_ids = {synth::kVehicle, synth::kPerson};
  const int C = static_cast<int>(category_ids.size());
  std::vector<int> channel(256, -1);
  for (int c = 0; c < C; ++c) channel[category_ids[c]] = c;

  DetNet net(opt.width, C);
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(opt.lr).weight_decay(1e-5));
  int64_t step = 0;
  double best = INFINITY;
  if (opt.resume) {
    torch::serialize::InputArchive in;
    in.load_from(ckpt);
    net->load(in);
    torch::serialize::InputArchive opt_in;
    in.read("optimizer", opt_in);
    adam.load(opt_in);
    torch::Tensor meta;
    in.read("meta", meta);
    step = meta[0].item<int64_t>();
    best = meta[1].item<double>();
    check<InputError>(step <= opt.steps, ckpt, ": checkpoint is at step ", step, ", past --steps ", opt.steps);
    log_info("resuming from ", ckpt, " at step ", step, " (best validation loss ", best, ")");
  }
  net->train();
  log_info("detnet width ", opt.width, ": ", net->gflops(360, 640), " GFLOPs at 640x360; rendering validation clips");
  ValSet val = make_val_set(opt);
  auto validate = [&] {
    torch::NoGradGuard no_grad;
    net->eval();
    double sum = 0;
    for (size_t i = 0; i < val.inputs.size(); ++i) {
      torch::Tensor out = net->forward(val.inputs[i]);
      DetNetTargets t = detnet_targets({val.boxes[i]}, channel, C, out.size(2), out.size(3));
      sum += detection_loss(out, t, C).item<double>();
    }
    net->train();
    return sum / static_cast<double>(val.inputs.size());
  };
  auto save_checkpoint = [&] {
    torch::serialize::OutputArchive out, opt_out;
    net->save(out);
    adam.save(opt_out);
    out.write("optimizer", opt_out);
    out.write("meta", torch::tensor({static_cast<double>(step), best}, torch::kDouble));
    write_file_atomic_with(ckpt, true, [&](const std::string& tmp) { out.save_to(tmp); });
  };
  auto r3 = [](double v) { return std::round(v * 1000) / 1000; };
  Sampler sampler(opt, opt.seed + static_cast<uint64_t>(step) * 7919);  // a resumed run sees fresh samples
  Progress progress("trained", opt.steps, "steps");
  double loss_avg = 0;
  while (step < opt.steps) {
    std::vector<torch::Tensor> xs;
    std::vector<std::vector<Box>> boxes;
    for (int b = 0; b < opt.batch; ++b) {
      Sample s = sampler.sample();
      xs.push_back(s.x);
      boxes.push_back(std::move(s.boxes));
    }
    torch::Tensor x = normalise(torch::stack(xs));
    double lr = opt.lr * (0.02 + 0.98 * 0.5 * (1 + std::cos(M_PI * step / opt.steps)));
    for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    adam.zero_grad();
    torch::Tensor out = net->forward(x);
    DetNetTargets t = detnet_targets(boxes, channel, C, out.size(2), out.size(3));
    torch::Tensor loss = detection_loss(out, t, C);
    loss.backward();
    adam.step();
    ++step;
    double l = loss.item<double>();
    loss_avg = step == 1 ? l : 0.95 * loss_avg + 0.05 * l;
    progress.set_detail(cat("loss ", r3(loss_avg), ", lr ", lr,
                            std::isfinite(best) ? cat(", best val loss ", r3(best)) : std::string()));
    progress.update(step);
    if (step % opt.val_every == 0 || step == opt.steps) {
      double v = validate();
      log_info("step ", step, ": validation loss ", v, v < best ? " (best so far)" : "");
      if (v < best) {
        best = v;
        write_file_atomic_with(weights, true, [&](const std::string& tmp) { torch::save(net, tmp); });
      }
      save_checkpoint();
    }
  }
  progress.finish();

  ModelCard card;
  card.name = opt.name.empty() ? fs::path(opt.output).stem().string() : opt.name;
  card.task = "detection";
  card.architecture = "detnet";
  card.output = "centernet";
  card.arch_params = {{"width", opt.width}, {"heat_channels", C}};
  const auto& legend = synth::class_legend();
  card.classes.resize(*std::max_element(category_ids.begin(), category_ids.end()) + 1);
  for (int id : category_ids) card.classes[id] = legend[id].name;
  card.mean = kMean;
  card.std = kStd;
  card.stride = 16;
  card.gflops = net->gflops(360, 640);
  card.weights = fs::path(weights).filename().string();
  card.produced_by = {{"command", "train-model --task detect"},
                      {"steps", opt.steps},
                      {"batch", opt.batch},
                      {"lr", opt.lr},
                      {"crop", {opt.crop_width, opt.crop_height}},
                      {"scale", {opt.scale_min, opt.scale_max}},
                      {"compress_prob", opt.compress_prob},
                      {"qp_range", {opt.qp_min, opt.qp_max}},
                      {"presets", opt.presets},
                      {"render", {opt.render_width, opt.render_height}},
                      {"seed", opt.seed},
                      {"data", "synth scenes rendered on the fly (their visible boxes); validation seeds held out"}};
  card.metrics = {{"val_loss", best}, {"val_frames", opt.val_frames * opt.presets.size()}};
  write_model_card(opt.output, card, true);

  TrainResult r;
  r.steps = step;
  r.best_val_loss = best;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.card = read_manifest(opt.output, "modelcard", kModelCardVersion);
  return r;
}

}  // namespace vssoff::nn
