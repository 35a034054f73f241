#include "nn/segnet.h"

#include "core/error.h"
#include "core/manifest.h"
#include "nn/runner.h"
#include "nn/script_source.h"

namespace vssoff::nn {
namespace {
torch::nn::Conv2dOptions conv(int in, int out, int k, int stride, int groups = 1) {
  return torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).groups(groups).bias(false);
}
}  // namespace

DSConvImpl::DSConvImpl(int in, int out, int stride) {
  dw = register_module("dw", torch::nn::Conv2d(conv(in, in, 3, stride, in)));
  bn_dw = register_module("bn_dw", torch::nn::BatchNorm2d(in));
  pw = register_module("pw", torch::nn::Conv2d(conv(in, out, 1, 1)));
  bn_pw = register_module("bn_pw", torch::nn::BatchNorm2d(out));
}

torch::Tensor DSConvImpl::forward(torch::Tensor x) {
  x = torch::relu(bn_dw(dw(x)));
  return torch::relu(bn_pw(pw(x)));
}

SegNetImpl::SegNetImpl(int w, int c) : width(w), classes(c) {
  stem = register_module(
      "stem", torch::nn::Sequential(torch::nn::Conv2d(conv(3, w, 3, 2)), torch::nn::BatchNorm2d(w), torch::nn::ReLU()));
  stage4 = register_module("stage4", torch::nn::Sequential(DSConv(w, 2 * w, 2), DSConv(2 * w, 2 * w, 1)));
  stage8 = register_module("stage8", torch::nn::Sequential(DSConv(2 * w, 4 * w, 2), DSConv(4 * w, 4 * w, 1)));
  stage16 = register_module("stage16", torch::nn::Sequential(DSConv(4 * w, 8 * w, 2), DSConv(8 * w, 8 * w, 1),
                                                             DSConv(8 * w, 8 * w, 1), DSConv(8 * w, 8 * w, 1)));
  lateral = register_module("lateral", torch::nn::Conv2d(torch::nn::Conv2dOptions(2 * w, 2 * w, 1)));
  fuse = register_module("fuse", DSConv(10 * w, 4 * w, 1));
  head = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(4 * w, c, 1)));
}

torch::Tensor SegNetImpl::forward(torch::Tensor x) {
  int64_t h = x.size(2), wd = x.size(3);
  torch::Tensor f4 = stage4->forward(stem->forward(x));
  torch::Tensor f16 = stage16->forward(stage8->forward(f4));
  torch::Tensor up = torch::upsample_bilinear2d(f16, {f4.size(2), f4.size(3)}, false);
  torch::Tensor y = fuse(torch::cat({up, lateral(f4)}, 1));
  return torch::upsample_bilinear2d(head(y), {h, wd}, false);
}

double SegNetImpl::gflops(int h, int w) const {
  // Count MACs layer by layer (convolutions dominate; BN, ReLU and resizing are ignored).
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
  int H4 = H, W4 = W;
  ds(2 * width, 4 * width, 2);
  ds(4 * width, 4 * width, 1);
  ds(4 * width, 8 * width, 2);
  for (int i = 0; i < 3; ++i) ds(8 * width, 8 * width, 1);
  macs += double(H4) * W4 * (2 * width) * (2 * width);                                    // lateral
  macs += double(H4) * W4 * (10 * width) * 9 + double(H4) * W4 * 10 * width * 4 * width;  // fuse
  macs += double(H4) * W4 * 4 * width * classes;                                          // head
  return 2 * macs / 1e9;
}

}  // namespace vssoff::nn

namespace vssoff::nn {
namespace {

// SegNetImpl::forward in TorchScript, for the optimised inference path (nn/runner.h).
std::string segnet_script(int w) {
  using namespace script;
  std::string f4 = dsconv(dsconv(stem("x", "stem", 2), "stage4.0", w, 2), "stage4.1", 2 * w, 1);
  std::string f16 = dsconv(
      dsconv(dsconv(dsconv(dsconv(dsconv("f4", "stage8.0", 2 * w, 2), "stage8.1", 4 * w, 1), "stage16.0", 4 * w, 2),
                    "stage16.1", 8 * w, 1),
             "stage16.2", 8 * w, 1),
      "stage16.3", 8 * w, 1);
  return cat("def forward(self, x):\n",  //
             "    f4 = ", f4, "\n",      //
             "    f16 = ", f16, "\n",    //
             "    up = torch.upsample_bilinear2d(f16, [f4.size(2), f4.size(3)], False, None, None)\n", "    y = ",
             dsconv(cat("torch.cat([up, ", script::conv("f4", "lateral", 1, 0, 1, true), "], 1)"), "fuse", 10 * w, 1),
             "\n",                                                        //
             "    y = ", script::conv("y", "head", 1, 0, 1, true), "\n",  //
             "    return torch.upsample_bilinear2d(y, [x.size(2), x.size(3)], False, None, None)\n");
}

std::unique_ptr<LoadedModel> load_segnet(const ModelCard& card) {
  const int width = json_get<int>(card.arch_params, "width", card.card_path, 0);
  check<InputError>(width >= 4 && width <= 256, card.card_path, ": segnet needs arch_params.width in [4, 256]");
  check<InputError>(!card.classes.empty(), card.card_path, ": segnet needs its classes");
  return load_module(SegNet(width, static_cast<int>(card.classes.size())), card, segnet_script(width));
}

}  // namespace

VSSOFF_REGISTER_LOADER("segnet", load_segnet);

}  // namespace vssoff::nn
