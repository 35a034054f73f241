#include "penance/bitrate_cnn.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/plugin.h"
#include "core/threads.h"
#include "video/reader.h"
#include "video/scaler.h"

namespace vssoff::penance {
namespace {

struct BitrateNetImpl : torch::nn::Module {
  explicit BitrateNetImpl(int outputs) {
    auto conv = [](int in, int out) { return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)); };
    c1 = register_module("c1", conv(2, 16));
    c2 = register_module("c2", conv(16, 32));
    c3 = register_module("c3", conv(32, 32));
    f1 = register_module("f1", torch::nn::Linear(36, 64));
    f2 = register_module("f2", torch::nn::Linear(64, outputs));
  }
  torch::Tensor forward(torch::Tensor img, torch::Tensor feat) {
    torch::Tensor x = torch::max_pool2d(torch::relu(c1(img)), 2);
    x = torch::max_pool2d(torch::relu(c2(x)), 2);
    x = torch::relu(c3(x)).mean({2, 3});
    return f2(torch::relu(f1(torch::cat({x, feat}, 1))));
  }
  torch::nn::Conv2d c1{nullptr}, c2{nullptr}, c3{nullptr};
  torch::nn::Linear f1{nullptr}, f2{nullptr};
};
TORCH_MODULE(BitrateNet);

void set_threads(int threads) { torch::set_num_threads(resolve_threads(threads)); }

torch::Tensor images(const BitrateSamples& s) {
  return torch::from_blob(const_cast<float*>(s.images.data()), {s.n, 2, kCnnHeight, kCnnWidth}).clone();
}
torch::Tensor features(const BitrateSamples& s) {
  return torch::from_blob(const_cast<float*>(s.features.data()), {s.n, 4}).clone();
}

double mdape(const torch::Tensor& pred_log, const torch::Tensor& true_log) {
  torch::Tensor ape = ((pred_log - true_log).exp() - 1).abs().flatten();
  return ape.numel() ? ape.median().item<double>() : NAN;
}

}  // namespace

BitrateSamples bitrate_cnn_inputs(const std::string& video, int segment_frames, int64_t segments,
                                  const std::vector<double>& intra, const std::vector<double>& inter,
                                  const std::vector<double>& probe26, const std::vector<double>& probe38) {
  check_input_file(video, "video of the profile table");
  video::ReaderOptions ro;
  ro.format = video::PixelFormat::kGray8;
  video::VideoReader reader(video, ro);
  video::Scaler scaler;
  BitrateSamples s;
  s.n = segments;
  const size_t plane = size_t(kCnnWidth) * kCnnHeight;
  s.images.assign(segments * 2 * plane, 0.0f);
  video::Frame f, small, prev;
  std::vector<float> diff(plane);
  int64_t index = 0;
  for (int64_t seg = 0; seg < segments; ++seg) {
    std::fill(diff.begin(), diff.end(), 0.0f);
    int n = 0;
    for (; n < segment_frames && reader.read(&f); ++n, ++index) {
      scaler.convert(f, kCnnWidth, kCnnHeight, video::PixelFormat::kGray8, &small);
      const uint8_t* p = small.plane(0);
      if (n == 0)
        for (size_t k = 0; k < plane; ++k) s.images[(seg * 2) * plane + k] = (p[k] / 255.0f - 0.5f) * 4;
      else
        for (size_t k = 0; k < plane; ++k) diff[k] += std::abs(int(p[k]) - int(prev.plane(0)[k]));
      std::swap(prev, small);
    }
    check<InputError>(n > 0, video, ": ended before segment ", seg);
    for (size_t k = 0; k < plane; ++k) s.images[(seg * 2 + 1) * plane + k] = n > 1 ? diff[k] / (n - 1) / 16.0f : 0.0f;
    s.features.push_back(static_cast<float>(std::log1p(intra[seg])));
    s.features.push_back(static_cast<float>(std::log1p(inter[seg])));
    s.features.push_back(static_cast<float>(std::log(std::max(1.0, probe26[seg])) - 10));
    s.features.push_back(static_cast<float>(std::log(std::max(1.0, probe38[seg])) - 8));
  }
  return s;
}

BitrateCnnResult train_bitrate_cnn(const BitrateSamples& train, const BitrateSamples& holdout, int outputs,
                                   const std::string& weights_path, uint64_t seed, int threads) {
  set_threads(threads);
  torch::manual_seed(seed);
  BitrateNet net(outputs);
  torch::Tensor x = images(train), f = features(train);
  torch::Tensor y = torch::from_blob(const_cast<float*>(train.log_bytes.data()), {train.n, outputs}).clone();
  {  // start the output bias at the mean log-bytes of each setting
    torch::NoGradGuard ng;
    net->f2->bias.copy_(y.mean(0));
  }
  const bool has_holdout = holdout.n > 0;
  torch::Tensor hx, hf, hy;
  if (has_holdout) {
    hx = images(holdout);
    hf = features(holdout);
    hy = torch::from_blob(const_cast<float*>(holdout.log_bytes.data()), {holdout.n, outputs}).clone();
  }
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(3e-3).weight_decay(1e-3));
  BitrateCnnResult r;
  const int epochs = 600;  // fixed: the held-out tables only measure, they never choose
  Progress progress("trained the bitrate CNN", epochs, "epochs");
  for (int e = 1; e <= epochs; ++e) {
    net->train();
    torch::Tensor xi = e % 2 ? x.flip({3}) : x;  // bytes do not change with a mirrored picture
    adam.zero_grad();
    torch::Tensor loss = torch::mse_loss(net->forward(xi, f), y);
    loss.backward();
    adam.step();
    if (e % 50 == 0) progress.set_detail(cat("loss ", std::round(loss.item<double>() * 1e4) / 1e4));
    progress.update(e);
  }
  torch::NoGradGuard ng;
  net->eval();
  r.epochs = epochs;
  r.train_mdape = mdape(net->forward(x, f), y);
  r.holdout_mdape = has_holdout ? mdape(net->forward(hx, hf), hy) : NAN;
  write_file_atomic_with(weights_path, true, [&](const std::string& tmp) { torch::save(net, tmp); });
  progress.finish();
  return r;
}

std::vector<double> predict_bitrate_cnn(const std::string& weights_path, const BitrateSamples& s, int outputs,
                                        int threads) {
  set_threads(threads);
  check_input_file(weights_path, "bitrate CNN weights");
  BitrateNet net(outputs);
  try {
    torch::load(net, weights_path);
  } catch (const c10::Error& e) {
    throw InputError(cat(weights_path, ": cannot load the bitrate CNN: ", e.what_without_backtrace()));
  }
  net->eval();
  torch::InferenceMode guard;
  torch::Tensor p = net->forward(images(s), features(s)).exp().to(torch::kDouble).contiguous();
  return std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
}

VSSOFF_PLUGIN_ENTRY(vssoff::penance::bitrate_cnn_inputs);
VSSOFF_PLUGIN_ENTRY(vssoff::penance::train_bitrate_cnn);
VSSOFF_PLUGIN_ENTRY(vssoff::penance::predict_bitrate_cnn);

}  // namespace vssoff::penance
