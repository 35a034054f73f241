#include "accmpeg/accgrad.h"

#include <chrono>
#include <filesystem>

#include "codec/encode_roi.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/npy.h"
#include "core/plugin.h"
#include "nn/runner.h"
#include "video/picture.h"
#include "video/reader.h"

namespace fs = std::filesystem;

namespace vssoff::accmpeg {
namespace {

torch::Tensor rgb_tensor(const video::Frame& f) {  // [1,3,H,W] float in [0, 1]
  check<RuntimeError>(f.format == video::PixelFormat::kRgb24, "accuracy_gradient: frames must be RGB");
  torch::Tensor t = torch::from_blob(const_cast<uint8_t*>(f.plane(0)), {1, f.height, f.width, 3}, torch::kUInt8);
  return t.permute({0, 3, 1, 2}).to(torch::kFloat32).div_(255.0f);
}

}  // namespace

std::vector<float> accuracy_gradient(nn::ModelRunner& model, const video::Frame& high, const video::Frame* low, int mb,
                                     const std::vector<int>& classes, int* num_classes) {
  check<RuntimeError>(model.options().differentiable, "accuracy_gradient needs a differentiable model runner");
  check<RuntimeError>(!low || (low->width == high.width && low->height == high.height),
                      "accuracy_gradient: the two frames differ in size");
  const std::string& where = model.card().weights_path();
  torch::Tensor hq = rgb_tensor(high);
  torch::Tensor reference;
  {
    torch::NoGradGuard no_grad;
    torch::Tensor logits = nn::dense_output(model.forward_frames(hq), 1, where);
    const size_t card_classes = model.card().classes.size();
    check<InputError>(card_classes == 0 || logits.size(1) == static_cast<int64_t>(card_classes), where,
                      ": the model outputs ", logits.size(1), " classes, its card lists ", card_classes);
    if (num_classes) *num_classes = static_cast<int>(logits.size(1));
    reference = logits.argmax(1, /*keepdim=*/true);  // at the model's resolution
  }
  torch::Tensor x = (low ? rgb_tensor(*low) : hq.clone()).requires_grad_(true);
  torch::Tensor logits = nn::dense_output(model.forward_frames(x), 1, where);
  torch::Tensor logp = torch::log_softmax(logits, 1).gather(1, reference);
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

void AccGradOptions::check() const {
  vssoff::check<UsageError>(!input.empty() && !model.empty() && !output.empty(),
                            "give the input video, the server model (--model) and the output (-o)");
  vssoff::check<UsageError>(fs::path(output).extension() == ".npy", "output must end in .npy (got ", output, ")");
  vssoff::check<UsageError>(mode == "grad" || mode == "taylor", "mode must be grad or taylor (got ", mode, ")");
  vssoff::check<UsageError>(qp_lo >= 0 && qp_lo <= 51, "qp-lo must be in [0, 51] (got ", qp_lo, ")");
  range().check();
  for (int c : classes) vssoff::check<UsageError>(c >= 0 && c < 255, "classes must be in [0, 254] (got ", c, ")");
  vssoff::check<UsageError>(threads >= 0 && threads <= 256, "threads must be in [0, 256] (got ", threads, ")");
}

AccGradResult accgrad(const AccGradOptions& opt) {
  opt.check();
  auto t0 = std::chrono::steady_clock::now();
  check_input_file(opt.input, "video");
  check_output_path(opt.output, opt.force);
  const std::string manifest_path = manifest_path_for(opt.output);
  check_output_path(manifest_path, opt.force);

  nn::RunnerOptions ro_model;
  ro_model.threads = opt.threads;
  ro_model.differentiable = true;
  nn::ModelRunner model(opt.model, ro_model);
  const nn::ModelCard& card = model.card();
  check<InputError>(card.task == "segmentation", card.card_path, ": a \"", card.task,
                    "\" model; accuracy gradients need a segmentation model");

  video::ReaderOptions ro;
  ro.format = video::PixelFormat::kRgb24;
  video::VideoReader high(opt.input, ro);
  const video::VideoInfo info = high.info();
  const int rows = (info.height + kMacroblock - 1) / kMacroblock, cols = (info.width + kMacroblock - 1) / kMacroblock;

  // Taylor: the low-quality version of the whole video, decoded in step with the original.
  std::unique_ptr<video::VideoReader> low;
  std::string low_path;
  if (opt.mode == "taylor") {
    low_path = opt.output + ".qp" + std::to_string(opt.qp_lo) + ".tmp.mp4";
    codec::EncodeRoiOptions eo;
    eo.input = opt.input;
    eo.output = low_path;
    eo.qp = opt.qp_lo;
    eo.force = true;
    if (opt.range().end() >= 0) eo.max_frames = opt.range().end();
    log_info("encoding the low-quality reference at QP ", opt.qp_lo);
    codec::encode_roi(eo);
    low = std::make_unique<video::VideoReader>(low_path, ro);
  }
  struct RemoveTemp {
    std::string path;
    ~RemoveTemp() {
      std::error_code ec;
      if (!path.empty()) fs::remove(path, ec), fs::remove(manifest_path_for(path), ec);
    }
  } remove_temp{low_path};

  const video::FrameRange range = opt.range();
  const int64_t end = range.end();
  int64_t expected = -1;
  if (info.frame_count > 0) {
    expected = range.selected(info.frame_count);
    check<InputError>(expected > 0, opt.input, ": start frame ", opt.start, " is past the end (", info.frame_count,
                      " frames)");
  }
  std::vector<float> values;
  std::vector<int64_t> indices;
  int num_classes = 0;
  Progress progress("differentiated", expected, "frames");
  video::Frame hq, lq, first;
  for (int64_t i = 0; (end < 0 || i < end) && high.read(&hq); ++i) {
    if (low) check<InputError>(low->read(&lq), low_path, ": the low-quality encode ended at frame ", i);
    if (!range.contains(i)) continue;
    std::vector<float> g = accuracy_gradient(model, hq, low ? &lq : nullptr, kMacroblock, opt.classes, &num_classes);
    values.insert(values.end(), g.begin(), g.end());
    indices.push_back(i);
    if (indices.size() == 1) first = hq;
    progress.update(static_cast<int64_t>(indices.size()));
  }
  progress.finish();
  check<InputError>(!indices.empty(), opt.input, ": no frames in the range asked for");

  const int64_t n = static_cast<int64_t>(indices.size());
  Json m = new_manifest("accgrad", kAccGradVersion);
  m["params"] = {{"mode", opt.mode},
                 {"qp_lo", opt.mode == "taylor" ? Json(opt.qp_lo) : Json(nullptr)},
                 {"start", opt.start},
                 {"frames", opt.frames},
                 {"every", opt.every},
                 {"macroblock", kMacroblock},
                 {"width", info.width},
                 {"height", info.height},
                 {"mb_rows", rows},
                 {"mb_cols", cols},
                 {"classes", opt.classes},
                 {"proxy", "sum of log-probabilities of the model's own labels on the high-quality frame"}};
  m["server_model"] = {{"name", card.name},
                       {"weights_sha256", sha256_file(card.weights_path())},
                       {"card", card.card_path},
                       {"classes", num_classes}};
  m["frames"] = indices;
  add_input(m, "video", fs::absolute(opt.input).string());
  add_input(m, "model", card.weights_path());
  write_npy(opt.output, NpyArray::from<float>({n, rows, cols}, values), opt.force);
  add_sidecar(m, "accgrad", manifest_path, opt.output);
  write_manifest(manifest_path, m, opt.force);

  if (!opt.heatmap.empty()) {
    std::vector<double> grid(values.begin(), values.begin() + rows * cols);
    video::HeatmapStyle style;
    style.vmin = 0;
    style.vmax = *std::max_element(grid.begin(), grid.end());
    style.title = "gradient";
    style.low_is_hot = false;
    video::write_grid_heatmap(opt.heatmap, first, grid, rows, cols, style, opt.force);
  }
  AccGradResult r;
  r.frames = n;
  r.rows = rows;
  r.cols = cols;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.manifest = m;
  return r;
}

VSSOFF_PLUGIN_ENTRY(vssoff::accmpeg::accgrad);

}  // namespace vssoff::accmpeg
