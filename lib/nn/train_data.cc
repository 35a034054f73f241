#include "nn/train_data.h"

#include <algorithm>
#include <cmath>

#include "codec/round_trip.h"

namespace vssoff::nn::train_data {
namespace {

// One x264 intra round trip of an RGB frame at `qp` (compression augmentation).
void compress(video::Frame* rgb, int qp) {
  codec::RoundTripOptions o;
  o.qp = qp;
  o.preset = "ultrafast";
  o.threads = 1;
  o.gop_frames = 1;
  o.decode = true;
  o.decode_format = video::PixelFormat::kRgb24;
  *rgb = std::move(codec::round_trip({*rgb}, o).decoded[0]);
}

Box box_of(const synth::ObjectBox& b) { return {b.class_id, float(b.x), float(b.y), float(b.w), float(b.h)}; }

}  // namespace

torch::Tensor to_input(const video::Frame& rgb) {
  torch::Tensor t = torch::from_blob(const_cast<uint8_t*>(rgb.plane(0)), {rgb.height, rgb.width, 3}, torch::kUInt8);
  return t.permute({2, 0, 1}).to(torch::kFloat32).div(255.0f);
}

torch::Tensor normalise(torch::Tensor x) {
  torch::Tensor mean = torch::tensor({kMean[0], kMean[1], kMean[2]}).view({1, 3, 1, 1});
  torch::Tensor stdv = torch::tensor({kStd[0], kStd[1], kStd[2]}).view({1, 3, 1, 1});
  return (x - mean) / stdv;
}

torch::Tensor to_labels(const video::Frame& labels) {
  return torch::from_blob(const_cast<uint8_t*>(labels.plane(0)), {labels.height, labels.width}, torch::kUInt8)
      .to(torch::kLong);
}

Sampler::Sampler(const TrainOptions& o, uint64_t seed) : opt_(o), rng_(seed) {
  for (size_t i = 0; i < o.presets.size(); ++i) {
    synth::SceneOptions so;
    so.preset = o.presets[i];
    so.width = o.render_width;
    so.height = o.render_height;
    so.seed = seed * 1000 + i;
    scenes_.push_back(std::make_unique<synth::SceneRenderer>(so));
  }
}

Sample Sampler::sample() {
  auto& scene = *scenes_[rng_() % scenes_.size()];
  int skip = 1 + static_cast<int>(rng_() % 4);  // consecutive frames are alike: skip a few
  for (int k = 0; k < skip; ++k) scene.render(&rgb_, &labels_, &boxes_);
  if (opt_.compress_prob > 0 && uniform(0, 1) < opt_.compress_prob)
    compress(&rgb_, opt_.qp_min + static_cast<int>(rng_() % (opt_.qp_max - opt_.qp_min + 1)));
  torch::Tensor x = to_input(rgb_).unsqueeze(0);
  torch::Tensor y = to_labels(labels_).unsqueeze(0).unsqueeze(0).to(torch::kFloat32);
  double s = uniform(opt_.scale_min, opt_.scale_max);
  int h = std::max(opt_.crop_height, static_cast<int>(std::lround(rgb_.height * s)));
  int w = std::max(opt_.crop_width, static_cast<int>(std::lround(rgb_.width * s)));
  namespace F = torch::nn::functional;
  x = F::interpolate(x, F::InterpolateFuncOptions()
                            .size(std::vector<int64_t>{h, w})
                            .mode(torch::kBilinear)
                            .align_corners(false)
                            .antialias(true));
  y = F::interpolate(y, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kNearest));
  int top = static_cast<int>(rng_() % (h - opt_.crop_height + 1)),
      left = static_cast<int>(rng_() % (w - opt_.crop_width + 1));
  Sample out;
  out.x = x.narrow(2, top, opt_.crop_height).narrow(3, left, opt_.crop_width)[0];
  out.labels = y.narrow(2, top, opt_.crop_height).narrow(3, left, opt_.crop_width)[0][0].to(torch::kLong);
  const bool flip = rng_() & 1;
  if (flip) {
    out.x = out.x.flip({2});
    out.labels = out.labels.flip({1});
  }
  // Boxes follow the rescale and crop; one cut to under half its width or height is dropped
  // (its centre may be outside the crop).
  const float sx = float(w) / rgb_.width, sy = float(h) / rgb_.height;
  const float cw = float(opt_.crop_width), ch = float(opt_.crop_height);
  for (const synth::ObjectBox& ob : boxes_) {
    Box b = box_of(ob);
    float x0 = b.x * sx - left, y0 = b.y * sy - top, x1 = x0 + b.w * sx, y1 = y0 + b.h * sy;
    float cx0 = std::max(0.f, x0), cy0 = std::max(0.f, y0), cx1 = std::min(cw, x1), cy1 = std::min(ch, y1);
    if (cx1 - cx0 < 0.5f * (x1 - x0) || cy1 - cy0 < 0.5f * (y1 - y0) || cx1 - cx0 < 1 || cy1 - cy0 < 1) continue;
    b.x = flip ? cw - cx1 : cx0;
    b.y = cy0;
    b.w = cx1 - cx0;
    b.h = cy1 - cy0;
    out.boxes.push_back(b);
  }
  torch::Tensor gain = torch::empty({3, 1, 1}).uniform_(1 - opt_.color_jitter, 1 + opt_.color_jitter);
  torch::Tensor bias = torch::empty({3, 1, 1}).uniform_(-opt_.color_jitter / 4, opt_.color_jitter / 4);
  out.x = out.x * gain + bias;
  double sigma = uniform(0, opt_.noise_sigma) / 255.0;
  if (sigma > 0) out.x = out.x + torch::randn_like(out.x) * sigma;
  out.x = out.x.clamp(0, 1);
  return out;
}

ValSet make_val_set(const TrainOptions& opt) {
  ValSet v;
  for (size_t i = 0; i < opt.presets.size(); ++i) {
    synth::SceneOptions so;
    so.preset = opt.presets[i];
    so.width = opt.render_width;
    so.height = opt.render_height;
    so.seed = 0x7a11da7eull + i;  // never a training seed (those are seed * 1000 + i)
    synth::SceneRenderer scene(so);
    video::Frame rgb, labels;
    std::vector<synth::ObjectBox> boxes;
    for (int f = 0; f < opt.val_frames; ++f) {
      for (int k = 0; k < 5; ++k) scene.render(&rgb, &labels, &boxes);
      v.inputs.push_back(normalise(to_input(rgb).unsqueeze(0)).clone());
      v.labels.push_back(to_labels(labels).clone());
      std::vector<Box> bs;
      for (const auto& b : boxes) bs.push_back(box_of(b));
      v.boxes.push_back(std::move(bs));
    }
  }
  return v;
}

}  // namespace vssoff::nn::train_data
