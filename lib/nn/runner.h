// One model runner for every task: a model card (or a bare TorchScript file) in, a loaded
// model that runs with an explicit thread count, precision, layout and device out. Task
// heads sit on top (nn/segmenter.h for segmentation; detection and feature split next) and
// systems use it directly (AccMPEG's gradients, its cheap model).
//
// Loading: a registry of loaders by the card's "architecture". Built-in architectures are
// registered by the domain that owns them, in their own file (segnet by nn, cheapnet by
// accmpeg), with VSSOFF_REGISTER_LOADER; "torchscript" loads a file saved by
// torch.jit.trace or torch.jit.script, frozen and optimised for inference unless the runner
// is differentiable (a model that does not survive freezing runs unfrozen).
//
// Outputs: forward() returns what the model returns (a Tensor, a tuple, a dict such as
// torchvision's {"out": ...}, or a list of dicts such as torchvision's detectors); the
// unpacking helpers below turn it into what a task needs, with errors that name the model.
// Inputs are RGB in [0, 1], [N, 3, H, W] float, on the CPU; outputs come back on the CPU.
//
// Not thread-safe: one runner per thread. Errors: InputError for a model that cannot be
// loaded or that fails on its input (naming the weights and the reason), UsageError for
// a device that is not there.
// Internal to LibTorch code (includes LibTorch).
#pragma once

#include <torch/script.h>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "nn/model_card.h"
#include "nn/runner_options.h"

namespace vssoff::nn {

// A model as loaded by a loader.
class LoadedModel {
 public:
  virtual ~LoadedModel() = default;
  virtual torch::IValue forward(const torch::Tensor& x) = 0;
  virtual std::vector<torch::Tensor> parameters() = 0;
  virtual void to(torch::Device device, torch::Dtype dtype) = 0;
  virtual void to_channels_last() {}  // weights in NHWC where the model allows it
  virtual void optimise_for_inference() {}
  virtual bool optimised() const { return false; }  // runs frozen and optimised
};

// Makes a model from a card (weights at card.weights_path(), checked to exist).
using Loader = std::function<std::unique_ptr<LoadedModel>(const ModelCard& card)>;
bool register_loader(const std::string& architecture, Loader loader);
std::vector<std::string> loader_names();

#define VSSOFF_LOADER_CONCAT2(a, b) a##b
#define VSSOFF_LOADER_CONCAT(a, b) VSSOFF_LOADER_CONCAT2(a, b)
#define VSSOFF_REGISTER_LOADER(architecture, loader)                                  \
  [[maybe_unused]] static const bool VSSOFF_LOADER_CONCAT(vssoff_loader_, __LINE__) = \
      ::vssoff::nn::register_loader(architecture, loader)

// A built-in module as TorchScript, for inference: its parameters and buffers become
// attributes (a dotted name such as "stage4.0.dw.weight" is self.stage4_0_dw_weight) and
// `forward_source` (TorchScript source of `def forward(self, x):`, nn/script_source.h writes
// it) their computation; the result is frozen and optimised (optimize_for_inference: batch
// norm folded into the convolutions, oneDNN layouts), as TorchScript files are. Eager
// LibTorch modules get none of that: cheapnet's forward pass took 6.2 ms eager and 1.3 ms
// so at 640x360 (2 threads). RuntimeError if the source does not compile.
torch::jit::Module script_for_inference(const torch::nn::Module& module, const std::string& forward_source);

// A LoadedModel around a libtorch C++ module (built-in architectures). With a TorchScript
// source of its forward, optimise_for_inference() runs it as script_for_inference() makes
// it (eager if that fails, logged at debug level).
template <typename ModuleHolder>
class ModuleModel : public LoadedModel {
 public:
  explicit ModuleModel(ModuleHolder module, std::string forward_source = "")
      : module_(std::move(module)), source_(std::move(forward_source)) {}
  torch::IValue forward(const torch::Tensor& x) override {
    if (script_) return script_->forward({x});
    return module_->forward(x);
  }
  std::vector<torch::Tensor> parameters() override { return module_->parameters(); }
  void to(torch::Device device, torch::Dtype dtype) override { module_->to(device, dtype); }
  void to_channels_last() override {
    if (script_) return;  // the optimised script chose its own layouts
    torch::NoGradGuard no_grad;
    for (auto& p : module_->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  }
  void optimise_for_inference() override {
    if (source_.empty()) return;
    try {
      script_ = script_for_inference(*module_, source_);
    } catch (const std::exception& e) {
      log_debug("built-in model runs eager (TorchScript form failed: ", e.what(), ")");
    }
  }
  bool optimised() const override { return script_.has_value(); }
  ModuleHolder& module() { return module_; }

 private:
  ModuleHolder module_;
  std::string source_;
  std::optional<torch::jit::Module> script_;
};

// Loads libtorch weights saved by torch::save into `module` (eval mode). InputError naming
// the card and the weights when they cannot be read, or when a tensor's shape differs from
// the one the card's architecture parameters build (torch::load would accept it and the
// first forward pass fail deep inside LibTorch).
template <typename ModuleHolder>
std::unique_ptr<LoadedModel> load_module(ModuleHolder module, const ModelCard& card, std::string forward_source = "") {
  std::vector<std::pair<std::string, std::vector<int64_t>>> built;
  for (const auto& p : module->named_parameters()) built.emplace_back(p.key(), p.value().sizes().vec());
  for (const auto& b : module->named_buffers()) built.emplace_back(b.key(), b.value().sizes().vec());
  try {
    torch::load(module, card.weights_path());
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    throw InputError(cat(card.weights_path(), ": cannot load the model of ", card.card_path,
                         " (do the weights fit its architecture parameters ", card.arch_params.dump(),
                         "?): ", what.substr(0, what.find('\n'))));
  }
  auto shape = [](const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
  };
  auto params = module->named_parameters();
  auto buffers = module->named_buffers();
  for (const auto& [name, sizes] : built) {
    const torch::Tensor* t = params.find(name);
    if (!t) t = buffers.find(name);
    if (t && t->sizes().vec() != sizes)
      throw InputError(cat("the weights ", card.weights_path(), " do not fit the architecture parameters ",
                           card.arch_params.dump(), " of the card ", card.card_path, ": ", name, " is ",
                           shape(t->sizes().vec()), " in the weights, ", shape(sizes), " for the card"));
  }
  module->eval();
  return std::make_unique<ModuleModel<ModuleHolder>>(std::move(module), std::move(forward_source));
}

class ModelRunner {
 public:
  // model: a card (.json), or a TorchScript file (its card beside it as FILE.json if any;
  // without one, assumed_card() and a warning).
  ModelRunner(const std::string& model, const RunnerOptions& options);
  ModelRunner(const ModelCard& card, const RunnerOptions& options);
  ~ModelRunner();
  ModelRunner(const ModelRunner&) = delete;
  ModelRunner& operator=(const ModelRunner&) = delete;

  ModelCard& card();  // a bare TorchScript model's classes are filled in by its head
  const RunnerOptions& options() const;
  bool using_bf16() const;
  torch::Device device() const;
  // Whether the model runs frozen and optimised for inference (TorchScript files, and the
  // built-in architectures through their TorchScript form), not eager.
  bool optimised() const;

  // The model on an input already prepared (normalised, on the runner's device and dtype).
  torch::IValue forward(const torch::Tensor& x);
  // Frames as RGB in [0, 1] ([N, 3, H, W] float, CPU): resized to the card's input size (or
  // rounded up to its stride) unless resize is false, normalised as the card says, in the
  // runner's layout, precision and device, then run. Differentiable with respect to rgb01
  // when the runner is. Failures become InputError naming the model and the input size.
  torch::IValue forward_frames(torch::Tensor rgb01, bool resize = true);

 private:
  void load(const RunnerOptions& options);
  ModelCard card_;
  RunnerOptions options_;
  std::unique_ptr<LoadedModel> model_;
  torch::Device device_{torch::kCPU};
  bool bf16_ = false;
};

// A dense output [N, C, H, W] as float on the CPU: a Tensor, the first element of a tuple,
// or the "out" entry of a dict. `where` names the model in errors; n: the batch size.
torch::Tensor dense_output(const torch::IValue& out, int64_t n, const std::string& where);

// Detections per image: boxes [K, 4] (x1, y1, x2, y2, pixels of the model's input), scores
// [K], labels [K] (int64), on the CPU. From a list of dicts with "boxes", "scores" and
// "labels" (torchvision's detectors), a tuple whose last element is such a list (their
// scripted form returns (losses, detections)), or a tuple (boxes, scores, labels) of one image.
struct Detections {
  torch::Tensor boxes, scores, labels;
};
std::vector<Detections> detection_output(const torch::IValue& out, const std::string& where);

}  // namespace vssoff::nn
