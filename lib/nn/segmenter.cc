#include "nn/segmenter.h"

#include <ATen/Parallel.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/plugin.h"
#include "nn/runner.h"

namespace vssoff::nn {

void SegmenterOptions::check() const {
  RunnerOptions::check();
  for (float v : calibration.inv_temperature)
    vssoff::check<UsageError>(std::isfinite(v) && v > 0, "calibration: inverse temperature ", v, " is not positive");
  vssoff::check<UsageError>(calibration.top1_map.size() != 1, "calibration: a confidence map needs 2 points or more");
}

struct Segmenter::Impl {
  Impl(const std::string& model, const SegmenterOptions& options) : runner(model, options), opt(options) {}
  ModelRunner runner;
  SegmenterOptions opt;
  int classes = 0;

  void check_classes(const torch::Tensor& logits) {
    ModelCard& card = runner.card();
    if (classes == 0) {  // a bare TorchScript model: the output says how many classes
      classes = static_cast<int>(logits.size(1));
      for (int k = 0; k < classes; ++k) card.classes.push_back(std::to_string(k));
    }
    check<InputError>(logits.size(1) == classes, card.weights_path(), ": the model outputs ", logits.size(1),
                      " classes, its card lists ", classes);
    check<InputError>(classes <= 255, card.weights_path(), ": ", classes, " classes do not fit 8-bit labels");
  }

  // NaN or infinite logits would turn into label 0 everywhere (every comparison false)
  // and NaN statistics: refuse them, naming the model, the frame and how many values.
  void check_finite(const torch::Tensor& logits, const std::vector<const video::Frame*>& frames) {
    // The sum is finite when every logit is (2.8 ms less a frame than isfinite().all());
    // otherwise, or if the sum overflowed, look frame by frame.
    if (std::isfinite(logits.sum().item<float>())) return;
    for (int64_t i = 0; i < logits.size(0); ++i) {
      torch::Tensor bad = torch::logical_not(torch::isfinite(logits[i]));
      int64_t n = bad.sum().item<int64_t>();
      if (n == 0) continue;
      int64_t nan = torch::isnan(logits[i]).sum().item<int64_t>();
      int64_t index = frames[i]->index;
      throw InputError(cat(runner.card().weights_path(), ": the model returned ", n, " non-finite logits (", nan,
                           " NaN, ", n - nan, " infinite) of ", logits[i].numel(), " for ",
                           index >= 0 ? cat("frame ", index) : cat("frame ", i, " of the batch"),
                           "; its labels would be meaningless"));
    }
  }

  // [N,3,H,W] RGB in [0, 1] -> logits [N,C,h,w] at the model's input size.
  torch::Tensor forward_frames(const torch::Tensor& x) {
    return dense_output(runner.forward_frames(x), x.size(0), runner.card().weights_path());
  }
};

Segmenter::Segmenter(const std::string& model, const SegmenterOptions& options)
    : impl_(std::make_unique<Impl>(model, options)) {
  const ModelCard& card = impl_->runner.card();
  check<InputError>(card.task == "segmentation", card.card_path, ": a \"", card.task,
                    "\" model, not a segmentation model");
  impl_->classes = static_cast<int>(card.classes.size());  // 0 for a bare file: the output tells
  const ConfidenceCalibration& cal = options.calibration;
  if (!cal.empty()) {
    const std::string sha = sha256_file(card.weights_path());
    check<InputError>(cal.model_name == card.name && cal.model_sha256 == sha, cal.source, ": fitted for model \"",
                      cal.model_name, "\" (weights ", cal.model_sha256.substr(0, 12), "), not for \"", card.name,
                      "\" (weights ", sha.substr(0, 12), ")");
    const size_t n = cal.inv_temperature.size();
    check<InputError>(n <= 1 || impl_->classes == 0 || n == size_t(impl_->classes), cal.source, ": ", n,
                      " per-class temperatures for a model of ", impl_->classes, " classes");
  }
}

Segmenter::~Segmenter() = default;
const ModelCard& Segmenter::card() const { return impl_->runner.card(); }
int Segmenter::num_classes() const { return impl_->classes; }
bool Segmenter::using_bf16() const { return impl_->runner.using_bf16(); }

// One pass over the logits of a frame ([C, H, W], contiguous): labels, top-1 probability
// and the softmax statistics, without materialising the probabilities. Rows are summed in
// parallel into per-row partial sums, then added in row order, so the result does not
// depend on the thread count. With z = l - max and S = sum(exp(z)): top-1 probability 1/S,
// entropy log S - sum(exp(z) z) / S.
void softmax_stats(const float* logits, int C, int H, int W, uint8_t* labels, uint8_t* confidence, SoftmaxStats* st,
                   const ConfidenceCalibration* cal) {
  const bool mapped = cal && !cal->top1_map.empty();
  const int64_t HW = int64_t(H) * W;
  constexpr int kSums = 6;  // max prob, entropy, margin, below 0.5 / 0.7 / 0.9
  std::vector<double> rows(static_cast<size_t>(H) * (kSums + 2 * C), 0.0);
  const double inv_log_c = C > 1 ? 1.0 / std::log(double(C)) : 0.0;
  at::parallel_for(0, H, 1, [&](int64_t y0, int64_t y1) {
    std::vector<float> best(W), second(W), sum(W), dot(W);
    std::vector<uint8_t> arg(W);
    for (int64_t y = y0; y < y1; ++y) {
      const float* row = logits + y * W;
      std::copy(row, row + W, best.begin());
      std::fill(second.begin(), second.end(), -INFINITY);
      std::fill(arg.begin(), arg.end(), 0);
      for (int c = 1; c < C; ++c) {
        const float* l = row + c * HW;
        for (int x = 0; x < W; ++x) {
          float v = l[x];
          if (v > best[x]) {
            second[x] = best[x];
            best[x] = v;
            arg[x] = static_cast<uint8_t>(c);
          } else if (v > second[x])
            second[x] = v;
        }
      }
      std::fill(sum.begin(), sum.end(), 0.0f);
      std::fill(dot.begin(), dot.end(), 0.0f);
      for (int c = 0; c < C; ++c) {
        const float* l = row + c * HW;
        for (int x = 0; x < W; ++x) {
          float z = l[x] - best[x], e = std::exp(z);
          sum[x] += e;
          dot[x] += e * z;
        }
      }
      double* acc = rows.data() + y * (kSums + 2 * C);
      double* share = acc + kSums;
      double* conf = share + C;
      for (int x = 0; x < W; ++x) {
        float p = 1.0f / sum[x];
        float p2 = C > 1 ? std::exp(second[x] - best[x]) * p : 0.0f;
        acc[1] += (std::log(sum[x]) - dot[x] * p) * inv_log_c;
        acc[2] += C > 1 ? p - p2 : 1.0f;
        if (mapped) p = cal->map(p);
        acc[0] += p;
        acc[3] += p < 0.5f;
        acc[4] += p < 0.7f;
        acc[5] += p < 0.9f;
        share[arg[x]] += 1;
        conf[arg[x]] += p;
        labels[y * W + x] = arg[x];
        if (confidence) confidence[y * W + x] = static_cast<uint8_t>(std::lround(std::clamp(p * 255.0f, 0.0f, 255.0f)));
      }
    }
  });
  std::vector<double> total(kSums + 2 * C, 0.0);
  for (int y = 0; y < H; ++y)
    for (size_t k = 0; k < total.size(); ++k) total[k] += rows[y * total.size() + k];
  const double pixels = double(HW);
  st->mean_max_prob = total[0] / pixels;
  st->mean_norm_entropy = C > 1 ? total[1] / pixels : 0.0;
  st->mean_margin = total[2] / pixels;
  st->frac_below_050 = total[3] / pixels;
  st->frac_below_070 = total[4] / pixels;
  st->frac_below_090 = total[5] / pixels;
  st->class_share.assign(C, 0.0);
  st->class_confidence.assign(C, NAN);
  for (int k = 0; k < C; ++k) {
    double n = total[kSums + k];
    st->class_share[k] = n / pixels;
    if (n > 0) st->class_confidence[k] = total[kSums + C + k] / n;
  }
}

std::vector<Segmentation> Segmenter::run(const std::vector<const video::Frame*>& frames,
                                         const std::vector<int64_t>& sample_pixels, int out_width, int out_height) {
  Impl& m = *impl_;
  check<RuntimeError>(!frames.empty(), "Segmenter::run: no frames");
  const int FH = frames[0]->height, FW = frames[0]->width, N = static_cast<int>(frames.size());
  for (const video::Frame* f : frames)
    check<RuntimeError>(f->format == video::PixelFormat::kRgb24 && f->width == FW && f->height == FH,
                        "Segmenter::run: frames of a batch must be RGB of one size");
  check<RuntimeError>(out_width >= 0 && out_height >= 0 && (out_width > 0) == (out_height > 0),
                      "Segmenter::run: give both output dimensions or neither");
  const int H = out_height > 0 ? out_height : FH, W = out_width > 0 ? out_width : FW;
  torch::InferenceMode guard;
  torch::Tensor batch = torch::empty({N, FH, FW, 3}, torch::kUInt8);
  for (int i = 0; i < N; ++i) std::memcpy(batch[i].data_ptr(), frames[i]->plane(0), static_cast<size_t>(FH) * FW * 3);
  torch::Tensor logits = m.forward_frames(batch.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0f));
  m.check_classes(logits);
  m.check_finite(logits, frames);
  if (logits.size(2) != H || logits.size(3) != W) logits = torch::upsample_bilinear2d(logits, {H, W}, false);
  logits = logits.contiguous();

  const int C = m.classes;
  std::vector<Segmentation> out(N);
  for (int i = 0; i < N; ++i) {
    Segmentation& s = out[i];
    s.labels.resize(static_cast<size_t>(H) * W);
    if (m.opt.confidence_map) s.confidence.resize(s.labels.size());
    const ConfidenceCalibration& cal = m.opt.calibration;
    if (!sample_pixels.empty()) {
      torch::Tensor idx = torch::tensor(sample_pixels, torch::kLong);
      torch::Tensor l = logits[i].reshape({C, H * W}).index_select(1, idx).contiguous();
      s.logits.assign(l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
    }
    torch::Tensor frame_logits = logits[i];
    if (!cal.empty()) {
      if (cal.keep_raw) {
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<uint8_t> raw_labels(s.labels.size());
        softmax_stats(frame_logits.data_ptr<float>(), C, H, W, raw_labels.data(), nullptr, &s.raw_stats);
        s.raw_stats_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      }
      if (!cal.inv_temperature.empty()) {
        torch::Tensor t = torch::tensor(cal.inv_temperature, torch::kFloat32);
        if (t.numel() == 1) t = t.expand({C});
        frame_logits = (frame_logits * t.view({C, 1, 1})).contiguous();
      }
    }
    softmax_stats(frame_logits.data_ptr<float>(), C, H, W, s.labels.data(),
                  m.opt.confidence_map ? s.confidence.data() : nullptr, &s.stats, cal.empty() ? nullptr : &cal);
  }
  return out;
}

namespace {
class LoadedSegmenter : public SegmentationModel {
 public:
  LoadedSegmenter(const std::string& model, const SegmenterOptions& options) : s_(model, options) {}
  const ModelCard& card() const override { return s_.card(); }
  std::vector<Segmentation> run(const std::vector<const video::Frame*>& frames, int out_width,
                                int out_height) override {
    return s_.run(frames, {}, out_width, out_height);
  }

 private:
  Segmenter s_;
};
}  // namespace

std::unique_ptr<SegmentationModel> open_segmentation_model(const std::string& model, const SegmenterOptions& options) {
  return std::make_unique<LoadedSegmenter>(model, options);
}
VSSOFF_PLUGIN_ENTRY(vssoff::nn::open_segmentation_model);

}  // namespace vssoff::nn
