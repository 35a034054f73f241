#include "nn/runner.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/threads.h"
#include "nn/script_source.h"

namespace fs = std::filesystem;

namespace vssoff::nn {
namespace {

std::map<std::string, Loader>& loaders() {
  static std::map<std::string, Loader> registry;
  return registry;
}

class ScriptModel : public LoadedModel {
 public:
  explicit ScriptModel(torch::jit::Module module) : module_(std::move(module)) {
    module_.eval();
    // torchvision's detectors take a list of images [3, H, W], not a batch.
    const auto& args = module_.get_method("forward").function().getSchema().arguments();
    if (args.size() >= 2) {
      const auto list = args[1].type()->cast<c10::ListType>();
      takes_list_ = list && list->getElementType()->kind() == c10::TypeKind::TensorType;
    }
  }
  torch::IValue forward(const torch::Tensor& x) override {
    if (!takes_list_) return module_.forward({x});
    c10::List<torch::Tensor> images;
    for (int64_t i = 0; i < x.size(0); ++i) images.push_back(x[i]);
    return module_.forward({images});
  }
  std::vector<torch::Tensor> parameters() override {
    std::vector<torch::Tensor> p;
    for (at::Tensor t : module_.parameters()) p.push_back(t);
    return p;
  }
  void to(torch::Device device, torch::Dtype dtype) override { module_.to(device, dtype); }
  // Constant-folds the weights and fuses conv + BN; not every model survives freezing.
  void optimise_for_inference() override {
    try {
      module_ = torch::jit::optimize_for_inference(module_);
      optimised_ = true;
    } catch (const std::exception& e) {
      log_debug("optimize_for_inference failed, running unfrozen: ", e.what());
    }
  }
  bool optimised() const override { return optimised_; }

 private:
  torch::jit::Module module_;
  bool optimised_ = false, takes_list_ = false;
};

std::string last_line(const std::exception& e) {
  std::string what = e.what();
  while (!what.empty() && what.back() == '\n') what.pop_back();
  return what.substr(what.rfind('\n') + 1);
}

// torchvision's detectors call its operators (torchvision::nms, roi_align): they live in the
// library of Debian's python3-torchvision, which needs no Python, only LibTorch. Loaded once,
// the first time a model asks for them ($VSSOFF_TORCHVISION_OPS names another copy).
bool load_torchvision_ops() {
  static const bool loaded = [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("VSSOFF_TORCHVISION_OPS")) candidates.push_back(env);
    std::error_code ec;
    for (const char* dir :
         {"/usr/lib/python3/dist-packages/torchvision", "/usr/local/lib/python3/dist-packages/torchvision"})
      for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.path().filename().string().rfind("_C.", 0) == 0 && entry.path().extension() == ".so")
          candidates.push_back(entry.path().string());
    for (const std::string& path : candidates) {
      if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
        log_debug("loaded torchvision's operators from ", path);
        return true;
      }
      log_debug("cannot load torchvision's operators from ", path, ": ", dlerror());
    }
    return false;
  }();
  return loaded;
}

std::unique_ptr<LoadedModel> load_torchscript(const ModelCard& card) {
  for (int attempt = 0;; ++attempt) {
    try {
      return std::make_unique<ScriptModel>(torch::jit::load(card.weights_path()));
    } catch (const std::exception& e) {  // c10::Error, or the TorchScript compiler's ErrorReport
      const std::string what = e.what();
      const bool torchvision = what.find("torchvision::") != std::string::npos;
      if (attempt == 0 && torchvision && load_torchvision_ops()) continue;
      std::string why = what.substr(0, what.find('\n'));
      if (why.empty()) why = last_line(e);
      if (torchvision)
        why += " (install python3-torchvision, whose operator library vssoff loads, or set VSSOFF_TORCHVISION_OPS)";
      throw InputError(cat(card.weights_path(), ": cannot load the model: ", why));
    }
  }
}

VSSOFF_REGISTER_LOADER("torchscript", load_torchscript);

ModelCard card_for(const std::string& model) {
  if (fs::path(model).extension() == ".json") return read_model_card(model);
  if (fs::exists(model + ".json")) return read_model_card(model + ".json");
  check_input_file(model, "model");
  log_warn(model, ": no model card (", model,
           ".json); assuming RGB in [0, 1] normalised with the ImageNet mean and "
           "std, any input size rounded to a multiple of 32, and logits [N, C, H, W] out");
  return assumed_card(model);
}

// LibTorch's own warnings (deprecations, a model's warnings.warn) go through vssoff's log as
// info lines: -q hides them, and each distinct message shows once, not once per frame.
// (They are about the library, not the user's data; vssoff's own warnings stay warnings.)
class LogTorchWarnings : public c10::WarningHandler {
 public:
  void process(const c10::SourceLocation&, const std::string& msg, bool) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (seen_.insert(msg).second) log_info("LibTorch: ", msg);
  }

 private:
  std::mutex mutex_;
  std::set<std::string> seen_;
};

void route_torch_warnings() {
  static LogTorchWarnings handler;
  static const bool installed = (c10::Warning::set_warning_handler(&handler), true);
  (void)installed;
}

// The last line of a c10::Error or TorchScript interpreter message says why.
}  // namespace

bool cpu_has_bf16() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("flags", 0) == 0)
      return line.find(" avx512_bf16") != std::string::npos || line.find(" amx_bf16") != std::string::npos;
  return false;
}

void RunnerOptions::check() const {
  vssoff::check<UsageError>(threads >= 0 && threads <= 256, "threads must be in [0, 256] (got ", threads, ")");
  vssoff::check<UsageError>(device == "cpu" || device == "cuda" || device == "auto",
                            "device must be cpu, cuda or auto (got ", device, ")");
}

bool register_loader(const std::string& architecture, Loader loader) {
  loaders()[architecture] = std::move(loader);
  return true;
}

std::vector<std::string> loader_names() {
  std::vector<std::string> names;
  for (const auto& [name, loader] : loaders()) names.push_back(name);
  return names;
}

namespace {
std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}
}  // namespace

torch::jit::Module script_for_inference(const torch::nn::Module& module, const std::string& forward_source) {
  torch::jit::Module m("vssoff_builtin");
  for (const auto& p : module.named_parameters())
    m.register_parameter(script::attribute(p.key()), p.value().detach(), false);
  for (const auto& b : module.named_buffers()) m.register_buffer(script::attribute(b.key()), b.value());
  m.register_attribute("training", c10::BoolType::get(), false);
  try {
    m.define(forward_source);
  } catch (const c10::Error& e) {
    throw RuntimeError(cat("the TorchScript form of a built-in model does not compile: ", e.what_without_backtrace()));
  }
  m.eval();
  return torch::jit::optimize_for_inference(m);
}

ModelRunner::ModelRunner(const std::string& model, const RunnerOptions& options) : card_(card_for(model)) {
  load(options);
}

ModelRunner::ModelRunner(const ModelCard& card, const RunnerOptions& options) : card_(card) { load(options); }

ModelRunner::~ModelRunner() = default;

void ModelRunner::load(const RunnerOptions& options) {
  options.check();
  route_torch_warnings();
  options_ = options;
  at::set_num_threads(resolve_threads(options.threads));
  const bool cuda = torch::cuda::is_available();
  check<UsageError>(options.device != "cuda" || cuda,
                    "device cuda: this LibTorch sees no CUDA device (built without CUDA, or no GPU); use cpu");
  device_ = options.device == "cpu" || !cuda ? torch::Device(torch::kCPU) : torch::Device(torch::kCUDA);

  auto it = loaders().find(card_.architecture);
  check<InputError>(it != loaders().end(), card_.card_path.empty() ? card_.weights : card_.card_path,
                    ": unknown architecture \"", card_.architecture, "\" (this vssoff has: ", joined(loader_names()),
                    ")");
  check_input_file(card_.weights_path(), "model weights");
  model_ = it->second(card_);
  if (options.bf16) {
    if (!cpu_has_bf16() && device_.is_cpu()) {
      log_warn("this CPU has no native bfloat16 (AVX512-BF16 or AMX): running in float32");
    } else {
      bf16_ = true;
    }
  }
  // Device and dtype first: freezing a TorchScript model folds its weights into constants
  // that a later to() no longer reaches (bf16 input, float32 weights).
  if (bf16_ || !device_.is_cpu()) model_->to(device_, bf16_ ? torch::kBFloat16 : torch::kFloat32);
  if (options.differentiable) {  // gradients flow to the input only
    for (torch::Tensor p : model_->parameters()) p.requires_grad_(false);
  } else {
    model_->optimise_for_inference();
  }
  if (options.channels_last) model_->to_channels_last();
}

ModelCard& ModelRunner::card() { return card_; }
const RunnerOptions& ModelRunner::options() const { return options_; }
bool ModelRunner::using_bf16() const { return bf16_; }
bool ModelRunner::optimised() const { return model_->optimised(); }
torch::Device ModelRunner::device() const { return device_; }

torch::IValue ModelRunner::forward(const torch::Tensor& x) { return model_->forward(x); }

torch::IValue ModelRunner::forward_frames(torch::Tensor x, bool resize) {
  const ModelCard& c = card_;
  const int64_t H = x.size(2), W = x.size(3);
  int64_t ih = c.input_height > 0 ? c.input_height : (H + c.stride - 1) / c.stride * c.stride;
  int64_t iw = c.input_width > 0 ? c.input_width : (W + c.stride - 1) / c.stride * c.stride;
  if (!resize) ih = H, iw = W;
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
  if (options_.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  if (!device_.is_cpu()) x = x.to(device_);
  if (bf16_) x = x.to(torch::kBFloat16);
  try {
    return model_->forward(x);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // c10::Error, or the TorchScript interpreter's runtime_error
    const std::string why = last_line(e);
    auto mentions = [&](const char* word) { return why.find(word) != std::string::npos; };
    std::string hint;  // only where the message points at a cause we can name
    if (bf16_ && (mentions("BFloat16") || mentions("dtype") || mentions("scalar type")))
      hint = " (the model does not run in bfloat16; drop --bf16)";
    else if (c.input_width == 0 && (mentions("size") || mentions("shape")))
      hint = " (does it need a fixed input size? set input.width and input.height in its card)";
    throw InputError(cat(c.weights_path(), ": the model failed on a ", iw, "x", ih, " input", hint, ": ", why));
  }
}

torch::Tensor dense_output(const torch::IValue& value, int64_t n, const std::string& where) {
  torch::IValue out = value;
  if (out.isTuple()) {
    out = out.toTupleRef().elements().at(0);
  } else if (out.isGenericDict()) {
    auto dict = out.toGenericDict();
    check<InputError>(dict.contains("out"), where, ": forward() returned a dict without \"out\"");
    out = dict.at("out");
  }
  check<InputError>(out.isTensor(), where, ": forward() returned ", out.tagKind(), ", not a dense tensor");
  torch::Tensor t = out.toTensor();
  check<InputError>(t.dim() == 4 && t.size(0) == n, where, ": forward() returned a tensor of shape ", t.sizes(),
                    ", expected [N, C, H, W] with N = ", n);
  return t.to(torch::kCPU, torch::kFloat32);
}

std::vector<Detections> detection_output(const torch::IValue& value, const std::string& where) {
  torch::IValue out = value;
  auto tensor = [&](const torch::IValue& v, const char* what) {
    check<InputError>(v.isTensor(), where, ": detection output \"", what, "\" is ", v.tagKind(), ", not a tensor");
    return v.toTensor().to(torch::kCPU);
  };
  std::vector<Detections> result;
  if (out.isTuple()) {
    const auto& items = out.toTupleRef().elements();
    if (items.size() == 3 && items[0].isTensor()) {  // (boxes, scores, labels) of one image
      result.push_back({tensor(items[0], "boxes").to(torch::kFloat32), tensor(items[1], "scores").to(torch::kFloat32),
                        tensor(items[2], "labels").to(torch::kLong)});
    } else {
      check<InputError>(!items.empty(), where, ": forward() returned an empty tuple");
      out = items.back();  // torchvision's scripted detectors: (losses, detections)
    }
  }
  if (result.empty()) {
    check<InputError>(out.isList(), where, ": forward() returned ", out.tagKind(),
                      ", not detections (a list of dicts with boxes, scores and labels, or a tuple of three tensors)");
    for (const torch::IValue& item : out.toListRef()) {
      check<InputError>(item.isGenericDict(), where, ": a detection list element is ", item.tagKind(), ", not a dict");
      auto dict = item.toGenericDict();
      for (const char* key : {"boxes", "scores", "labels"})
        check<InputError>(dict.contains(key), where, ": a detection dict has no \"", key, "\"");
      result.push_back({tensor(dict.at("boxes"), "boxes").to(torch::kFloat32),
                        tensor(dict.at("scores"), "scores").to(torch::kFloat32),
                        tensor(dict.at("labels"), "labels").to(torch::kLong)});
    }
  }
  for (const Detections& d : result) {
    const int64_t k = d.scores.numel();
    check<InputError>(d.boxes.dim() == 2 && d.boxes.size(0) == k && d.boxes.size(1) == 4 && d.labels.numel() == k,
                      where, ": detections of shapes boxes ", d.boxes.sizes(), ", scores ", d.scores.sizes(),
                      ", labels ", d.labels.sizes(), " (expected [K, 4], [K], [K])");
  }
  return result;
}

}  // namespace vssoff::nn
