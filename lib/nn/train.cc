#include "nn/train.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/plugin.h"
#include "core/threads.h"
#include "nn/model_card.h"
#include "nn/segnet.h"
#include "nn/train_data.h"
#include "synth/scene.h"

namespace fs = std::filesystem;

namespace vssoff::nn {
namespace {

using namespace train_data;

// Dataset-level mIoU and per-class IoU over the validation frames.
std::pair<double, std::vector<double>> validate(SegNet& net, const ValSet& v, int classes) {
  torch::NoGradGuard no_grad;
  net->eval();
  torch::Tensor cm = torch::zeros({classes * classes}, torch::kLong);
  for (size_t i = 0; i < v.inputs.size(); ++i) {
    torch::Tensor pred = net->forward(v.inputs[i]).argmax(1)[0];
    cm += torch::bincount((v.labels[i] * classes + pred).flatten(), {}, classes * classes);
  }
  net->train();
  cm = cm.view({classes, classes}).to(torch::kDouble);
  torch::Tensor tp = cm.diag(), uni = cm.sum(0) + cm.sum(1) - tp;
  std::vector<double> iou(classes);
  double sum = 0;
  int n = 0;
  for (int c = 0; c < classes; ++c) {
    double u = uni[c].item<double>();
    iou[c] = u > 0 ? tp[c].item<double>() / u : NAN;
    if (u > 0) sum += iou[c], ++n;
  }
  return {n ? sum / n : 0.0, iou};
}

}  // namespace

void TrainOptions::check() const {
  vssoff::check<UsageError>(fs::path(output).extension() == ".json",
                            "the output is a model card and must end in .json (got ", output, ")");
  vssoff::check<UsageError>(task == "segment" || task == "detect", "task must be segment or detect (got ", task, ")");
  vssoff::check<UsageError>(width >= 4 && width <= 256, "width must be in [4, 256] (got ", width, ")");
  vssoff::check<UsageError>(steps >= 1, "steps must be >= 1 (got ", steps, ")");
  vssoff::check<UsageError>(batch >= 1 && batch <= 256, "batch must be in [1, 256] (got ", batch, ")");
  vssoff::check<UsageError>(lr > 0 && lr < 1, "lr must be in (0, 1) (got ", lr, ")");
  vssoff::check<UsageError>(
      crop_width >= 32 && crop_height >= 32 && crop_width <= render_width && crop_height <= render_height, "crop ",
      crop_width, "x", crop_height, " must be at least 32x32 and fit the rendered ", render_width, "x", render_height);
  vssoff::check<UsageError>(scale_min > 0 && scale_min <= scale_max && scale_max <= 2,
                            "scale range must satisfy 0 < min <= max <= 2");
  vssoff::check<UsageError>(compress_prob >= 0 && compress_prob <= 1, "compress probability must be in [0, 1]");
  vssoff::check<UsageError>(qp_min >= 0 && qp_min <= qp_max && qp_max <= 51,
                            "QP range must satisfy 0 <= min <= max <= 51");
  vssoff::check<UsageError>(!presets.empty(), "no presets to train on");
  vssoff::check<UsageError>(val_every >= 1 && val_frames >= 1, "val_every and val_frames must be >= 1");
  vssoff::check<UsageError>(render_width % 2 == 0 && render_height % 2 == 0, "render size must be even");
}

TrainResult train_model(const TrainOptions& opt) {
  opt.check();
  if (opt.task == "detect") return train_detector(opt);
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
  int threads = resolve_threads(opt.threads);
  torch::set_num_threads(threads);
  torch::manual_seed(opt.seed);

  const auto& legend = synth::class_legend();
  const int classes = static_cast<int>(legend.size());
  SegNet net(opt.width, classes);
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(opt.lr).weight_decay(1e-5));
  int64_t step = 0;
  double best = -1;
  std::vector<double> best_iou;
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
    log_info("resuming from ", ckpt, " at step ", step, " (best validation mIoU ", best, ")");
  }
  net->train();

  log_info("segnet width ", opt.width, ": ", net->gflops(360, 640), " GFLOPs at 640x360; rendering validation clips");
  ValSet val = make_val_set(opt);
  Sampler sampler(opt, opt.seed + static_cast<uint64_t>(step) * 7919);  // a resumed run sees fresh samples
  Progress progress("trained", opt.steps, "steps");
  double loss_avg = 0;
  auto save_checkpoint = [&] {
    torch::serialize::OutputArchive out, opt_out;
    net->save(out);
    adam.save(opt_out);
    out.write("optimizer", opt_out);
    out.write("meta", torch::tensor({static_cast<double>(step), best}, torch::kDouble));
    write_file_atomic_with(ckpt, true, [&](const std::string& tmp) { out.save_to(tmp); });
  };
  while (step < opt.steps) {
    std::vector<torch::Tensor> xs, ys;
    for (int b = 0; b < opt.batch; ++b) {
      Sample s = sampler.sample();
      xs.push_back(s.x);
      ys.push_back(s.labels);
    }
    torch::Tensor x = normalise(torch::stack(xs)), y = torch::stack(ys);
    double lr = opt.lr * (0.02 + 0.98 * 0.5 * (1 + std::cos(M_PI * step / opt.steps)));
    for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    adam.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(
        net->forward(x), y, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(255));
    loss.backward();
    adam.step();
    ++step;
    double l = loss.item<double>();
    loss_avg = step == 1 ? l : 0.95 * loss_avg + 0.05 * l;
    progress.set_detail(cat("loss ", std::round(loss_avg * 1000) / 1000, ", lr ", lr,
                            best >= 0 ? cat(", best val mIoU ", std::round(best * 1000) / 1000) : std::string()));
    progress.update(step);
    if (step % opt.val_every == 0 || step == opt.steps) {
      auto [miou, iou] = validate(net, val, classes);
      log_info("step ", step, ": validation mIoU ", miou, best >= 0 && miou <= best ? "" : " (best so far)");
      if (miou > best) {
        best = miou;
        best_iou = iou;
        write_file_atomic_with(weights, true, [&](const std::string& tmp) { torch::save(net, tmp); });
      }
      save_checkpoint();
      progress.set_detail(
          cat("loss ", std::round(loss_avg * 1000) / 1000, ", best val mIoU ", std::round(best * 1000) / 1000));
    }
  }
  progress.finish();

  ModelCard card;
  card.name = opt.name.empty() ? fs::path(opt.output).stem().string() : opt.name;
  card.architecture = "segnet";
  card.arch_params = {{"width", opt.width}};
  for (const auto& c : legend) card.classes.push_back(c.name);
  card.mean = kMean;
  card.std = kStd;
  card.stride = 16;
  card.gflops = net->gflops(360, 640);
  card.weights = fs::path(weights).filename().string();
  card.produced_by = {{"command", "train-model"},
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
                      {"data", "synth scenes rendered on the fly; validation seeds held out"}};
  Json per_class = Json::object();
  for (int c = 0; c < classes && c < static_cast<int>(best_iou.size()); ++c)
    per_class[legend[c].name] = std::isnan(best_iou[c]) ? Json(nullptr) : Json(best_iou[c]);
  card.metrics = {{"val_miou", best}, {"val_iou", per_class}, {"val_frames", opt.val_frames * opt.presets.size()}};
  write_model_card(opt.output, card, true);

  TrainResult r;
  r.steps = step;
  r.best_val_miou = best;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.card = read_manifest(opt.output, "modelcard", kModelCardVersion);
  return r;
}

VSSOFF_PLUGIN_ENTRY(vssoff::nn::train_model);

}  // namespace vssoff::nn
