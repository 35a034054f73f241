#include "nn/segmenter.h"

#include <ATen/Parallel.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "nn/segnet.h"

namespace vssoff::nn {

bool cpu_has_bf16() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("flags", 0) == 0)
      return line.find(" avx512_bf16") != std::string::npos || line.find(" amx_bf16") != std::string::npos;
  return false;
}

void SegmenterOptions::check() const {
  vssoff::check<UsageError>(threads >= 0 && threads <= 256, "threads must be in [0, 256] (got ", threads, ")");
}

struct Segmenter::Impl {
  ModelCard card;
  SegmenterOptions opt;
  SegNet builtin{nullptr};
  torch::jit::Module script;
  bool is_script = false, bf16 = false;
  int classes = 0;

  torch::Tensor forward(const torch::Tensor& x) {
    if (!is_script) return builtin->forward(x);
    torch::IValue out = script.forward({x});
    const std::string& where = card.weights_path();
    if (out.isTuple())
      out = out.toTupleRef().elements().at(0);
    else if (out.isGenericDict()) {
      auto dict = out.toGenericDict();
      check<InputError>(dict.contains("out"), where, ": forward() returned a dict without \"out\"");
      out = dict.at("out");
    }
    check<InputError>(out.isTensor(), where, ": forward() returned ", out.tagKind(), ", not a segmentation tensor");
    torch::Tensor t = out.toTensor();
    check<InputError>(t.dim() == 4 && t.size(0) == x.size(0), where, ": forward() returned a tensor of shape ",
                      t.sizes(), ", expected [N, C, H, W] with N = ", x.size(0));
    return t;
  }

  void check_classes(const torch::Tensor& logits) {
    if (classes == 0) {  // a bare TorchScript model: the output says how many classes
      classes = static_cast<int>(logits.size(1));
      for (int k = 0; k < classes; ++k) card.classes.push_back(std::to_string(k));
    }
    check<InputError>(logits.size(1) == classes, card.weights_path(), ": the model outputs ", logits.size(1),
                      " classes, its card lists ", classes);
    check<InputError>(classes <= 255, card.weights_path(), ": ", classes, " classes do not fit 8-bit labels");
  }

  // [N,3,H,W] RGB in [0, 1] -> logits [N,C,h,w] at the model's input size (differentiable).
  torch::Tensor forward_frames(torch::Tensor x) {
    const ModelCard& c = card;
    const int64_t H = x.size(2), W = x.size(3);
    int64_t ih = c.input_height > 0 ? c.input_height : (H + c.stride - 1) / c.stride * c.stride;
    int64_t iw = c.input_width > 0 ? c.input_width : (W + c.stride - 1) / c.stride * c.stride;
    if (ih != H || iw != W) {
      namespace F = torch::nn::functional;
      x = F::interpolate(x, F::InterpolateFuncOptions()
                                .size(std::vector<int64_t>{ih, iw})
                                .mode(torch::kBilinear)
                                .align_corners(false)
                                .antialias(ih < H || iw < W));
    }
    torch::Tensor mean = torch::tensor({c.mean[0], c.mean[1], c.mean[2]}).view({1, 3, 1, 1});
    torch::Tensor stdv = torch::tensor({c.std[0], c.std[1], c.std[2]}).view({1, 3, 1, 1});
    x = (x - mean) / stdv;
    if (opt.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    if (bf16) x = x.to(torch::kBFloat16);
    try {
      return forward(x).to(torch::kFloat32);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {  // c10::Error, or the TorchScript interpreter's runtime_error
      std::string what = e.what();
      while (!what.empty() && what.back() == '\n') what.pop_back();
      std::string reason = what.substr(what.rfind('\n') + 1);  // the last line says why
      throw InputError(
          cat(c.weights_path(), ": the model failed on a ", iw, "x", ih,
              " input (does it need a fixed input size? set input.width and input.height in its card): ", reason));
    }
  }
};

Segmenter::Segmenter(const std::string& model, const SegmenterOptions& options) : impl_(std::make_unique<Impl>()) {
  options.check();
  Impl& m = *impl_;
  m.opt = options;
  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);

  namespace fs = std::filesystem;
  bool is_card = fs::path(model).extension() == ".json";
  if (is_card)
    m.card = read_model_card(model);
  else if (fs::exists(model + ".json"))
    m.card = read_model_card(model + ".json");
  else {
    check_input_file(model, "model");
    m.card = assumed_card(model);
    log_warn(model, ": no model card (", model,
             ".json); assuming RGB in [0, 1] normalised with the ImageNet mean and "
             "std, any input size rounded to a multiple of 32, and logits [N, C, H, W] out");
  }
  check<InputError>(m.card.task == "segmentation", m.card.card_path, ": a \"", m.card.task,
                    "\" model, not a segmentation model");
  const std::string weights = m.card.weights_path();
  check_input_file(weights, "model weights");
  try {
    if (m.card.architecture == "segnet") {
      int width = m.card.arch_params.value("width", 0);
      check<InputError>(width >= 4 && width <= 256, m.card.card_path, ": segnet needs arch_params.width in [4, 256]");
      m.builtin = SegNet(width, static_cast<int>(m.card.classes.size()));
      torch::load(m.builtin, weights);
      m.builtin->eval();
      m.classes = static_cast<int>(m.card.classes.size());
    } else {
      m.script = torch::jit::load(weights);
      m.script.eval();
      m.is_script = true;
      m.classes = static_cast<int>(m.card.classes.size());  // 0 for a bare file: the output tells
      if (!options.differentiable)
        try {  // constant-fold the weights and fuse conv + BN; not every model survives freezing
          m.script = torch::jit::optimize_for_inference(m.script);
        } catch (const std::exception& e) {
          log_debug(weights, ": optimize_for_inference failed, running unfrozen: ", e.what());
        }
    }
  } catch (const c10::Error& e) {
    throw InputError(cat(weights, ": cannot load the model: ", e.what_without_backtrace()));
  }
  if (options.differentiable) {  // gradients flow to the input only
    if (m.is_script)
      for (at::Tensor p : m.script.parameters()) p.requires_grad_(false);
    else
      for (at::Tensor& p : m.builtin->parameters()) p.requires_grad_(false);
  }
  if (options.bf16) {
    if (!cpu_has_bf16()) {
      log_warn("this CPU has no native bfloat16 (AVX512-BF16 or AMX): running in float32");
    } else {
      m.bf16 = true;
      if (m.is_script)
        m.script.to(torch::kBFloat16);
      else
        m.builtin->to(torch::kBFloat16);
    }
  }
  if (options.channels_last && !m.is_script) {
    torch::NoGradGuard no_grad;
    for (auto& p : m.builtin->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

Segmenter::~Segmenter() = default;
const ModelCard& Segmenter::card() const { return impl_->card; }
int Segmenter::num_classes() const { return impl_->classes; }
bool Segmenter::using_bf16() const { return impl_->bf16; }

// One pass over the logits of a frame ([C, H, W], contiguous): labels, top-1 probability
// and the softmax statistics, without materialising the probabilities. Rows are summed in
// parallel into per-row partial sums, then added in row order, so the result does not
// depend on the thread count. With z = l - max and S = sum(exp(z)): top-1 probability 1/S,
// entropy log S - sum(exp(z) z) / S.
void softmax_stats(const float* logits, int C, int H, int W, uint8_t* labels, uint8_t* confidence, SoftmaxStats* st) {
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
        acc[0] += p;
        acc[1] += (std::log(sum[x]) - dot[x] * p) * inv_log_c;
        acc[2] += C > 1 ? p - p2 : 1.0f;
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
  if (logits.size(2) != H || logits.size(3) != W) logits = torch::upsample_bilinear2d(logits, {H, W}, false);
  logits = logits.contiguous();

  const int C = m.classes;
  std::vector<Segmentation> out(N);
  for (int i = 0; i < N; ++i) {
    Segmentation& s = out[i];
    s.labels.resize(static_cast<size_t>(H) * W);
    if (m.opt.confidence_map) s.confidence.resize(s.labels.size());
    softmax_stats(logits[i].data_ptr<float>(), C, H, W, s.labels.data(),
                  m.opt.confidence_map ? s.confidence.data() : nullptr, &s.stats);
    if (!sample_pixels.empty()) {
      torch::Tensor idx = torch::tensor(sample_pixels, torch::kLong);
      torch::Tensor l = logits[i].reshape({C, H * W}).index_select(1, idx).contiguous();
      s.logits.assign(l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
    }
  }
  return out;
}

namespace {
torch::Tensor rgb_tensor(const video::Frame& f) {  // [1,3,H,W] float in [0, 1]
  check<RuntimeError>(f.format == video::PixelFormat::kRgb24, "accuracy_gradient: frames must be RGB");
  torch::Tensor t = torch::from_blob(const_cast<uint8_t*>(f.plane(0)), {1, f.height, f.width, 3}, torch::kUInt8);
  return t.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0f);
}
}  // namespace

std::vector<float> Segmenter::accuracy_gradient(const video::Frame& high, const video::Frame* low, int mb,
                                                const std::vector<int>& classes) {
  Impl& m = *impl_;
  check<RuntimeError>(m.opt.differentiable, "accuracy_gradient needs a Segmenter made with differentiable = true");
  check<RuntimeError>(!low || (low->width == high.width && low->height == high.height),
                      "accuracy_gradient: the two frames differ in size");
  torch::Tensor hq = rgb_tensor(high);
  torch::Tensor reference;
  {
    torch::NoGradGuard no_grad;
    torch::Tensor logits = m.forward_frames(hq);
    m.check_classes(logits);
    reference = logits.argmax(1, /*keepdim=*/true);  // [1,1,h,w] at the model's resolution
  }
  torch::Tensor x = (low ? rgb_tensor(*low) : hq.clone()).requires_grad_(true);
  torch::Tensor logp = torch::log_softmax(m.forward_frames(x), 1).gather(1, reference);
  if (!classes.empty()) {
    torch::Tensor keep = torch::zeros_like(reference, torch::kBool);
    for (int c : classes) keep |= reference == c;
    logp = logp * keep;
  }
  logp.sum().backward();
  torch::Tensor g = x.grad().abs();          // [1,3,H,W]
  if (low) g = g * (hq - x.detach()).abs();  // Taylor: |gradient| x |high - low|
  g = g.sum(1, /*keepdim=*/true);            // L1 over RGB
  const int64_t rows = (high.height + mb - 1) / mb, cols = (high.width + mb - 1) / mb;
  g = torch::constant_pad_nd(g, {0, cols * mb - high.width, 0, rows * mb - high.height});
  g = g.view({rows, mb, cols, mb}).sum({1, 3}).contiguous();
  return std::vector<float>(g.data_ptr<float>(), g.data_ptr<float>() + g.numel());
}

}  // namespace vssoff::nn
