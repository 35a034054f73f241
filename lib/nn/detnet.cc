#include "nn/detnet.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/manifest.h"
#include "nn/runner.h"
#include "nn/script_source.h"

namespace vssoff::nn {
namespace {
torch::nn::Conv2dOptions conv(int in, int out, int k, int stride, int groups = 1) {
  return torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).groups(groups).bias(false);
}
torch::nn::Conv2dOptions conv_bias(int in, int out, int k, int groups = 1) {
  return torch::nn::Conv2dOptions(in, out, k).padding(k / 2).groups(groups).bias(true);
}
}  // namespace

DetNetImpl::DetNetImpl(int w, int c) : width(w), classes(c) {
  stem = register_module(
      "stem", torch::nn::Sequential(torch::nn::Conv2d(conv(3, w, 3, 2)), torch::nn::BatchNorm2d(w), torch::nn::ReLU()));
  stage4 = register_module("stage4", torch::nn::Sequential(DSConv(w, 2 * w, 2), DSConv(2 * w, 2 * w, 1)));
  stage8 = register_module("stage8", torch::nn::Sequential(DSConv(2 * w, 4 * w, 2), DSConv(4 * w, 4 * w, 1)));
  stage16 = register_module("stage16", torch::nn::Sequential(DSConv(4 * w, 8 * w, 2), DSConv(8 * w, 8 * w, 1),
                                                             DSConv(8 * w, 8 * w, 1), DSConv(8 * w, 8 * w, 1)));
  lateral = register_module("lateral", torch::nn::Conv2d(torch::nn::Conv2dOptions(2 * w, 2 * w, 1)));
  fuse = register_module("fuse", DSConv(10 * w, 4 * w, 1));
  heat_dw = register_module("heat_dw", torch::nn::Conv2d(conv_bias(4 * w, 4 * w, 3, 4 * w)));
  heat_pw = register_module("heat_pw", torch::nn::Conv2d(conv_bias(4 * w, 4 * w, 1)));
  heat = register_module("heat", torch::nn::Conv2d(conv_bias(4 * w, c, 1)));
  reg_dw = register_module("reg_dw", torch::nn::Conv2d(conv_bias(4 * w, 4 * w, 3, 4 * w)));
  reg_pw = register_module("reg_pw", torch::nn::Conv2d(conv_bias(4 * w, 4 * w, 1)));
  reg = register_module("reg", torch::nn::Conv2d(conv_bias(4 * w, 4, 1)));
  // Focal loss starts from a prior of 0.1 per cell and class (CenterNet's -2.19).
  torch::NoGradGuard no_grad;
  heat->bias.fill_(-std::log((1 - 0.1) / 0.1));
}

torch::Tensor DetNetImpl::forward(torch::Tensor x) {
  torch::Tensor f4 = stage4->forward(stem->forward(x));
  torch::Tensor f16 = stage16->forward(stage8->forward(f4));
  torch::Tensor up = torch::upsample_bilinear2d(f16, {f4.size(2), f4.size(3)}, false);
  torch::Tensor y = fuse(torch::cat({up, lateral(f4)}, 1));
  torch::Tensor h = heat(torch::relu(heat_pw(torch::relu(heat_dw(y)))));
  torch::Tensor r = reg(torch::relu(reg_pw(torch::relu(reg_dw(y)))));
  return torch::cat({h, r}, 1);
}

double DetNetImpl::gflops(int h, int w) const {
  auto out = [](int s, int stride) { return (s + stride - 1) / stride; };
  double macs = 0;
  int H = out(h, 2), W = out(w, 2);
  macs += double(H) * W * width * 3 * 9;  // stem
  auto ds = [&](int in, int o, int stride) {
    H = out(H, stride);
    W = out(W, stride);
    macs += double(H) * W * in * 9 + double(H) * W * in * o;
  };
  ds(width, 2 * width, 2);
  ds(2 * width, 2 * width, 1);
  const double cells = double(H) * W;  // the 1/4 grid
  ds(2 * width, 4 * width, 2);
  ds(4 * width, 4 * width, 1);
  ds(4 * width, 8 * width, 2);
  for (int i = 0; i < 3; ++i) ds(8 * width, 8 * width, 1);
  const double w4 = 4.0 * width;
  macs += cells * (2 * width) * (2 * width);                            // lateral
  macs += cells * (10 * width) * 9 + cells * 10 * width * w4;           // fuse
  macs += 2 * cells * (w4 * 9 + w4 * w4) + cells * w4 * (classes + 4);  // heads: dw 3x3, pw, output
  return 2 * macs / 1e9;
}

// A cell is a positive of an object when its Gaussian there is at least this (within one
// sigma of the centre). CenterNet's single centre cell (and its smaller sigma, 0.54 x side / 6)
// left large vehicles unlearnt by this network: their channel stayed at the prior after 1000
// steps, while people were learnt.
constexpr float kPositiveHeat = 0.6f;

// channel[class_id] = heatmap channel, -1 for classes the detector does not report. Boxes
// are drawn largest first, so that a cell two objects claim regresses the smaller one.
DetNetTargets detnet_targets(const std::vector<std::vector<train_data::Box>>& boxes, const std::vector<int>& channel,
                             int C, int64_t h, int64_t w) {
  const int64_t B = static_cast<int64_t>(boxes.size());
  DetNetTargets t;
  t.heat = torch::zeros({B, C, h, w});
  t.reg = torch::zeros({B, 4, h, w});
  t.mask = torch::zeros({B, 1, h, w});
  auto heat = t.heat.accessor<float, 4>();
  auto reg = t.reg.accessor<float, 4>();
  auto mask = t.mask.accessor<float, 4>();
  const float s = kDetNetStride;
  for (int64_t b = 0; b < B; ++b) {
    std::vector<train_data::Box> order = boxes[b];
    std::stable_sort(order.begin(), order.end(),
                     [](const train_data::Box& p, const train_data::Box& q) { return p.w * p.h > q.w * q.h; });
    for (const train_data::Box& box : order) {
      if (box.class_id < 0 || box.class_id >= static_cast<int>(channel.size()) || channel[box.class_id] < 0) continue;
      const int c = channel[box.class_id];
      const float cx = (box.x + box.w / 2) / s, cy = (box.y + box.h / 2) / s;  // in cells
      const int64_t ix = std::clamp<int64_t>(static_cast<int64_t>(cx), 0, w - 1);
      const int64_t iy = std::clamp<int64_t>(static_cast<int64_t>(cy), 0, h - 1);
      const float sgx = std::max(0.5f, box.w / s / 6), sgy = std::max(0.5f, box.h / s / 6);
      const int64_t rx = static_cast<int64_t>(std::ceil(3 * sgx)), ry = static_cast<int64_t>(std::ceil(3 * sgy));
      for (int64_t y = std::max<int64_t>(0, iy - ry); y <= std::min(h - 1, iy + ry); ++y)
        for (int64_t x = std::max<int64_t>(0, ix - rx); x <= std::min(w - 1, ix + rx); ++x) {
          const float dx = float(x - ix) / sgx, dy = float(y - iy) / sgy;
          const float g = std::exp(-0.5f * (dx * dx + dy * dy));
          const bool positive = g >= kPositiveHeat;  // the centre cell always is
          heat[b][c][y][x] = positive ? 1.0f : std::max(heat[b][c][y][x], g);
          if (!positive) continue;
          const float px = x + 0.5f, py = y + 0.5f;  // the cell's centre, in cells
          reg[b][0][y][x] = std::log(std::max(px - box.x / s, 0.1f));
          reg[b][1][y][x] = std::log(std::max(py - box.y / s, 0.1f));
          reg[b][2][y][x] = std::log(std::max((box.x + box.w) / s - px, 0.1f));
          reg[b][3][y][x] = std::log(std::max((box.y + box.h) / s - py, 0.1f));
          if (mask[b][0][y][x] == 0) ++t.objects;
          mask[b][0][y][x] = 1;
        }
    }
  }
  return t;
}

Detections decode_detnet(const torch::Tensor& out, int C, double threshold, int max_dets) {
  torch::Tensor heat = torch::sigmoid(out[0].narrow(0, 0, C));
  torch::Tensor peak = torch::max_pool2d(heat.unsqueeze(0), 3, 1, 1)[0].eq(heat);
  torch::Tensor score = (heat * peak).flatten();
  const int64_t h = out.size(2), w = out.size(3);
  const int64_t k = std::min<int64_t>(max_dets, score.numel());
  auto [top, index] = score.topk(k);
  torch::Tensor keep = top.ge(threshold);
  top = top.masked_select(keep);
  index = index.masked_select(keep);
  torch::Tensor c = index.div(h * w, "floor"), cell = index.remainder(h * w);
  torch::Tensor y = cell.div(w, "floor"), x = cell.remainder(w);
  torch::Tensor reg = torch::exp(out[0].narrow(0, C, 4).flatten(1).index_select(1, cell).clamp(-5, 8));  // [4, K]
  const float s = kDetNetStride;
  torch::Tensor px = x.to(torch::kFloat32) + 0.5f, py = y.to(torch::kFloat32) + 0.5f;
  torch::Tensor boxes = torch::stack({(px - reg[0]) * s, (py - reg[1]) * s, (px + reg[2]) * s, (py + reg[3]) * s}, 1);
  return {boxes, top, c};
}

namespace {

// DetNetImpl::forward in TorchScript, for the optimised inference path (nn/runner.h).
std::string detnet_script(int w) {
  using namespace script;
  std::string f4 = dsconv(dsconv(stem("x", "stem", 2), "stage4.0", w, 2), "stage4.1", 2 * w, 1);
  std::string f16 = dsconv(
      dsconv(dsconv(dsconv(dsconv(dsconv("f4", "stage8.0", 2 * w, 2), "stage8.1", 4 * w, 1), "stage16.0", 4 * w, 2),
                    "stage16.1", 8 * w, 1),
             "stage16.2", 8 * w, 1),
      "stage16.3", 8 * w, 1);
  auto head = [&](const std::string& name) {
    std::string dw = relu(script::conv("y", name + "_dw", 1, 1, 4 * w, true));
    return script::conv(relu(script::conv(dw, name + "_pw", 1, 0, 1, true)), name, 1, 0, 1, true);
  };
  return cat("def forward(self, x):\n",  //
             "    f4 = ", f4, "\n",      //
             "    f16 = ", f16, "\n",    //
             "    up = torch.upsample_bilinear2d(f16, [f4.size(2), f4.size(3)], False, None, None)\n", "    y = ",
             dsconv(cat("torch.cat([up, ", script::conv("f4", "lateral", 1, 0, 1, true), "], 1)"), "fuse", 10 * w, 1),
             "\n",                            //
             "    h = ", head("heat"), "\n",  //
             "    r = ", head("reg"), "\n",   //
             "    return torch.cat([h, r], 1)\n");
}

std::unique_ptr<LoadedModel> load_detnet(const ModelCard& card) {
  const int width = json_get<int>(card.arch_params, "width", card.card_path, 0);
  check<InputError>(width >= 4 && width <= 256, card.card_path, ": detnet needs arch_params.width in [4, 256]");
  const int classes = json_get<int>(card.arch_params, "heat_channels", card.card_path, 0);
  check<InputError>(classes >= 1 && classes <= 254, card.card_path,
                    ": detnet needs arch_params.heat_channels in [1, 254]");
  return load_module(DetNet(width, classes), card, detnet_script(width));
}

}  // namespace

VSSOFF_REGISTER_LOADER("detnet", load_detnet);

}  // namespace vssoff::nn
