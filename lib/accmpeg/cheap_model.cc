#include "accmpeg/cheap_model.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>
#include <thread>

#include "accmpeg/accgrad.h"
#include "accmpeg/qp_maps.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/manifest.h"
#include "core/plugin.h"
#include "core/threads.h"
#include "nn/model_card.h"
#include "nn/runner.h"
#include "nn/script_source.h"
#include "nn/segnet.h"
#include "video/prefetch.h"
#include "video/reader.h"

namespace fs = std::filesystem;

namespace vssoff::accmpeg {
namespace {

constexpr std::array<float, 3> kMean{0.5f, 0.5f, 0.5f}, kStd{0.25f, 0.25f, 0.25f};
// Weight of the log-importance regression next to the cross-entropy: the two losses are of
// similar size then (cross-entropy ~0.3-0.6, smooth L1 on log2 ratios ~1-2).
constexpr double kRegressionWeight = 0.25;

// Head outputs: 2 class logits, then (models trained by this vssoff) the log2 of the
// macroblock's gradient relative to the frame's mean gradient.
struct CheapNetImpl : torch::nn::Module {
  CheapNetImpl(int w, int outputs) {
    auto conv = torch::nn::Conv2dOptions(3, w, 3).stride(2).padding(1).bias(false);
    stem = register_module(
        "stem", torch::nn::Sequential(torch::nn::Conv2d(conv), torch::nn::BatchNorm2d(w), torch::nn::ReLU()));
    body = register_module(
        "body", torch::nn::Sequential(nn::DSConv(w, 2 * w, 2), nn::DSConv(2 * w, 4 * w, 2), nn::DSConv(4 * w, 8 * w, 2),
                                      nn::DSConv(8 * w, 8 * w, 1), nn::DSConv(8 * w, 8 * w, 1)));
    head = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(8 * w, outputs, 1)));
  }
  torch::Tensor forward(torch::Tensor x) { return head(body->forward(stem->forward(x))); }
  torch::nn::Sequential stem{nullptr}, body{nullptr};
  torch::nn::Conv2d head{nullptr};
};
TORCH_MODULE(CheapNet);

double cheapnet_gflops(int w, int height, int width) {
  auto half = [](int s) { return (s + 1) / 2; };
  int H = half(height), W = half(width);
  double macs = double(H) * W * w * 27;
  const int outs[] = {2 * w, 4 * w, 8 * w, 8 * w, 8 * w}, strides[] = {2, 2, 2, 1, 1};
  int in = w;
  for (int i = 0; i < 5; ++i) {
    if (strides[i] == 2) H = half(H), W = half(W);
    macs += double(H) * W * in * (9 + outs[i]);  // depthwise 3x3 + pointwise
    in = outs[i];
  }
  macs += double(H) * W * in * 3;
  return 2 * macs / 1e9;
}

torch::Tensor normalise(torch::Tensor rgb_u8) {  // [N,3,H,W] uint8 -> normalised float
  torch::Tensor mean = torch::tensor({kMean[0], kMean[1], kMean[2]}).view({1, 3, 1, 1});
  torch::Tensor stdv = torch::tensor({kStd[0], kStd[1], kStd[2]}).view({1, 3, 1, 1});
  return (rgb_u8.to(torch::kFloat32).div(255.0f) - mean) / stdv;
}

torch::Tensor frame_tensor(const video::Frame& f) {  // [3,H,W] uint8 (a copy)
  return torch::from_blob(const_cast<uint8_t*>(f.plane(0)), {f.height, f.width, 3}, torch::kUInt8)
      .permute({2, 0, 1})
      .clone();
}

int set_threads(int threads) {
  int n = resolve_threads(threads);
  torch::set_num_threads(n);
  return n;
}

struct Clip {
  std::string source;
  std::vector<torch::Tensor> frames, labels, rel;  // [3,H,W] uint8, [rows,cols] long, [rows,cols] float
  size_t val_begin = 0;                            // frames [val_begin, end) are held out
};

struct Metrics {
  double auc = NAN, precision = 0, recall = 0, loss = 0, rel_mae = 0;
};

torch::Tensor loss_of(torch::Tensor out, torch::Tensor labels, torch::Tensor rel, torch::Tensor weights) {
  namespace F = torch::nn::functional;
  return F::cross_entropy(out.narrow(1, 0, 2), labels, F::CrossEntropyFuncOptions().weight(weights)) +
         kRegressionWeight * F::smooth_l1_loss(out.select(1, 2), rel);
}

// AUC over all held-out macroblocks; precision and recall of the same rule as the labels
// applied to the predicted importance (top-k% per frame, or importance >= 0.5).
Metrics validate(CheapNet& net, const std::vector<Clip>& clips, const TrainCheapOptions& opt, torch::Tensor weights) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<float> scores;
  std::vector<uint8_t> labels;
  double tp = 0, fp = 0, fn = 0, loss = 0, rel_err = 0;
  int64_t rel_n = 0;
  int n = 0;
  for (const Clip& c : clips)
    for (size_t i = c.val_begin; i < c.frames.size(); ++i) {
      torch::Tensor out = net->forward(normalise(c.frames[i].unsqueeze(0)));
      loss += loss_of(out, c.labels[i].unsqueeze(0), c.rel[i].unsqueeze(0), weights).item<double>();
      rel_err += (out[0][2] - c.rel[i]).abs().sum().item<double>();
      rel_n += c.rel[i].numel();
      ++n;
      torch::Tensor p = torch::softmax(out.narrow(1, 0, 2), 1)[0][1].contiguous();
      std::vector<float> s(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
      std::vector<uint8_t> pred =
          opt.threshold >= 0 ? std::vector<uint8_t>() : importance_labels(s.data(), int(s.size()), opt.top_percent, -1);
      if (opt.threshold >= 0)
        for (float v : s) pred.push_back(v >= 0.5f);
      torch::Tensor t = c.labels[i].to(torch::kUInt8).contiguous();
      const std::vector<uint8_t> truth(t.data_ptr<uint8_t>(), t.data_ptr<uint8_t>() + t.numel());
      for (size_t k = 0; k < s.size(); ++k) {
        tp += pred[k] && truth[k];
        fp += pred[k] && !truth[k];
        fn += !pred[k] && truth[k];
      }
      scores.insert(scores.end(), s.begin(), s.end());
      labels.insert(labels.end(), truth.begin(), truth.end());
    }
  net->train();
  Metrics m;
  m.auc = roc_auc(scores, labels);
  m.precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  m.recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  m.loss = n ? loss / n : 0;
  m.rel_mae = rel_n ? rel_err / rel_n : 0;
  return m;
}

}  // namespace

void TrainCheapOptions::check() const {
  vssoff::check<UsageError>(!accgrad.empty(), "give at least one accgrad output to train on");
  vssoff::check<UsageError>(fs::path(output).extension() == ".json",
                            "the output is a model card and must end in .json (got ", output, ")");
  vssoff::check<UsageError>(width >= 2 && width <= 64, "width must be in [2, 64] (got ", width, ")");
  vssoff::check<UsageError>(top_percent > 0 && top_percent < 100, "top percent must be in (0, 100) (got ", top_percent,
                            ")");
  vssoff::check<UsageError>(pos_weight > 0, "pos-weight must be > 0 (got ", pos_weight, ")");
  vssoff::check<UsageError>(epochs >= 1 && patience >= 1 && batch >= 1 && batch <= 256,
                            "epochs, patience and batch must be >= 1");
  vssoff::check<UsageError>(lr > 0 && lr < 1, "lr must be in (0, 1) (got ", lr, ")");
  vssoff::check<UsageError>(val_share > 0 && val_share < 1, "val share must be in (0, 1) (got ", val_share, ")");
  vssoff::check<UsageError>(threads >= 0 && threads <= 256, "threads must be in [0, 256] (got ", threads, ")");
}

TrainCheapResult train_cheap_model(const TrainCheapOptions& opt) {
  opt.check();
  auto t0 = std::chrono::steady_clock::now();
  const std::string weights_path =
      (fs::path(opt.output).parent_path() / (fs::path(opt.output).stem().string() + ".pt")).string();
  check_output_path(opt.output, opt.force);
  check_output_path(weights_path, opt.force);
  set_threads(opt.threads);
  torch::manual_seed(opt.seed);

  // Load every sampled frame with its labels; all inputs must come from one server model and grid.
  std::vector<Clip> clips;
  Json server, inputs = Json::array();
  std::string server_from, server_name, server_sha;
  int64_t positives = 0, cells = 0, train_frames = 0, val_frames = 0;
  for (const std::string& path : opt.accgrad) {
    AccGrad g = read_accgrad(path);
    if (server.is_null()) {
      server = g.manifest["server_model"];  // read_accgrad checked its name and weights_sha256
      server_from = path;
      server_name = g.server_model_name;
      server_sha = g.server_weights_sha256;
    }
    check<InputError>(g.server_weights_sha256 == server_sha, path, ": accuracy gradients of server model ",
                      g.server_model_name, ", but ", server_from, " has ", server_name,
                      " (different weights): train one cheap model per server model");
    check<InputError>(g.macroblock == kMacroblock, path, ": macroblock ", g.macroblock, ", this vssoff uses ",
                      kMacroblock);
    // The video as recorded, unchanged since the gradients were computed on it.
    g.video_path = read_artefact(g.manifest_path, [&] { return recorded_input(g.manifest, g.manifest_path, "video"); });
    Clip clip;
    clip.source = path;
    video::ReaderOptions ro;
    ro.format = video::PixelFormat::kRgb24;
    video::VideoReader reader(g.video_path, ro);
    check<InputError>(reader.info().width == g.width && reader.info().height == g.height, g.video_path, ": ",
                      reader.info().width, "x", reader.info().height, ", but ", path, " was computed at ", g.width, "x",
                      g.height);
    video::Frame f;
    size_t next = 0;
    const int per_frame = g.rows * g.cols;
    for (int64_t i = 0; next < g.frame_indices.size() && reader.read(&f); ++i) {
      if (i != g.frame_indices[next]) continue;
      const float* grad = g.values.data() + next * per_frame;
      std::vector<uint8_t> lab = importance_labels(grad, per_frame, opt.top_percent, opt.threshold);
      clip.rel.push_back(torch::tensor(relative_log2_importance(grad, per_frame)).view({g.rows, g.cols}));
      for (uint8_t v : lab) positives += v;
      cells += per_frame;
      clip.frames.push_back(frame_tensor(f));
      clip.labels.push_back(
          torch::tensor(std::vector<int64_t>(lab.begin(), lab.end()), torch::kLong).view({g.rows, g.cols}));
      ++next;
    }
    check<InputError>(next == g.frame_indices.size(), g.video_path, ": ended before frame ", g.frame_indices[next],
                      " that ", path, " has gradients for");
    clip.val_begin = clip.frames.size() - std::max<size_t>(1, std::lround(clip.frames.size() * opt.val_share));
    check<InputError>(clip.val_begin > 0, path, ": ", clip.frames.size(),
                      " sampled frame(s) cannot be split into training and validation");
    train_frames += clip.val_begin;
    val_frames += clip.frames.size() - clip.val_begin;
    inputs.push_back({{"accgrad", path}, {"video", g.video_path}, {"frames", clip.frames.size()}});
    clips.push_back(std::move(clip));
  }
  check<InputError>(positives > 0, "degenerate training set: no macroblock of ", cells,
                    " is labelled important (all gradients zero, or a threshold above every gradient)");
  check<InputError>(positives < cells,
                    "degenerate training set: every macroblock is labelled important (threshold too low?)");
  log_info(train_frames, " training and ", val_frames, " validation frames from ", clips.size(), " clip(s); ",
           std::round(1000.0 * positives / cells) / 10, "% of macroblocks important");

  CheapNet net(opt.width, 3);
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(opt.lr).weight_decay(1e-4));
  torch::Tensor class_weights = torch::tensor({1.0f, static_cast<float>(opt.pos_weight)});
  std::mt19937_64 rng(opt.seed);
  // Frames of one size may share a batch; clips of different sizes never do. Each epoch
  // shuffles the frames within each size, cuts them into batches and shuffles the batches, so
  // that no clip comes last in every epoch.
  using Item = std::pair<size_t, size_t>;  // (clip, frame)
  std::map<std::pair<int64_t, int64_t>, std::vector<Item>> by_size;
  for (size_t c = 0; c < clips.size(); ++c)
    for (size_t i = 0; i < clips[c].val_begin; ++i)
      by_size[{clips[c].frames[i].size(1), clips[c].frames[i].size(2)}].emplace_back(c, i);
  Metrics best;
  best.auc = -1;
  int epoch = 0, stale = 0;
  Progress progress("trained", opt.epochs, "epochs");
  for (epoch = 1; epoch <= opt.epochs && stale < opt.patience; ++epoch) {
    std::vector<std::vector<Item>> plan;
    for (auto& [size, items] : by_size) {
      std::shuffle(items.begin(), items.end(), rng);
      for (size_t b = 0; b < items.size(); b += opt.batch)
        plan.emplace_back(items.begin() + b, items.begin() + std::min(items.size(), b + opt.batch));
    }
    std::shuffle(plan.begin(), plan.end(), rng);
    double loss_sum = 0;
    int batches = 0;
    for (const std::vector<Item>& batch : plan) {
      std::vector<torch::Tensor> xs, ys, rs;
      // Half the batches are random crops on the macroblock grid (whole macroblocks only, a
      // few rows and columns smaller), so the network cannot learn fixed positions.
      const torch::Tensor& first = clips[batch[0].first].frames[batch[0].second];
      const int64_t full_rows = first.size(1) / kMacroblock, full_cols = first.size(2) / kMacroblock;
      const bool crop = (rng() & 1) && full_rows > 6 && full_cols > 8;
      const int64_t crop_rows = full_rows - 3, crop_cols = full_cols - 4;
      for (const auto& [c, i] : batch) {
        torch::Tensor x = clips[c].frames[i], y = clips[c].labels[i], rel = clips[c].rel[i];
        if (crop) {
          int64_t r0 = static_cast<int64_t>(rng() % (full_rows - crop_rows + 1));
          int64_t c0 = static_cast<int64_t>(rng() % (full_cols - crop_cols + 1));
          x = x.narrow(1, r0 * kMacroblock, crop_rows * kMacroblock)
                  .narrow(2, c0 * kMacroblock, crop_cols * kMacroblock);
          y = y.narrow(0, r0, crop_rows).narrow(1, c0, crop_cols);
          rel = rel.narrow(0, r0, crop_rows).narrow(1, c0, crop_cols);
        }
        if (rng() & 1) x = x.flip({2}), y = y.flip({1}), rel = rel.flip({1});
        xs.push_back(x);
        ys.push_back(y);
        rs.push_back(rel);
      }
      torch::Tensor x = normalise(torch::stack(xs));
      torch::Tensor gain = torch::empty({x.size(0), 3, 1, 1}).uniform_(0.8, 1.2);
      torch::Tensor bias = torch::empty({x.size(0), 3, 1, 1}).uniform_(-0.2, 0.2);
      x = x * gain + bias;
      adam.zero_grad();
      torch::Tensor loss = loss_of(net->forward(x), torch::stack(ys), torch::stack(rs), class_weights);
      loss.backward();
      adam.step();
      loss_sum += loss.item<double>();
      ++batches;
    }
    Metrics m = validate(net, clips, opt, class_weights);
    bool better = m.auc > best.auc;
    log_info("epoch ", epoch, ": train loss ", loss_sum / std::max(1, batches), ", validation loss ", m.loss, ", AUC ",
             m.auc, ", precision ", m.precision, ", recall ", m.recall, ", log2-importance MAE ", m.rel_mae,
             better ? " (best so far)" : "");
    if (better) {
      best = m;
      stale = 0;
      write_file_atomic_with(weights_path, true, [&](const std::string& tmp) { torch::save(net, tmp); });
    } else {
      ++stale;
    }
    progress.set_detail(cat("best validation AUC ", std::round(best.auc * 1000) / 1000));
    progress.update(epoch);
  }
  progress.finish();
  const int epochs_run = epoch - 1;
  if (stale >= opt.patience)
    log_info("stopped early after ", epochs_run, " epochs: no better validation AUC in ", opt.patience);

  nn::ModelCard card;
  card.name = fs::path(opt.output).stem().string();
  card.task = "mb-importance";
  card.architecture = "cheapnet";
  card.arch_params = {{"width", opt.width}, {"macroblock", kMacroblock}, {"log_importance", true}};
  card.classes = {"other", "important"};
  card.mean = kMean;
  card.std = kStd;
  card.stride = kMacroblock;
  card.gflops = cheapnet_gflops(opt.width, 360, 640);
  card.weights = fs::path(weights_path).filename().string();
  card.produced_by = {
      {"command", "train-cheap-model"},
      {"server_model", server},
      {"inputs", inputs},
      {"labels", opt.threshold >= 0 ? Json{{"threshold", opt.threshold}} : Json{{"top_percent", opt.top_percent}}},
      {"pos_weight", opt.pos_weight},
      {"epochs", epochs_run},
      {"batch", opt.batch},
      {"lr", opt.lr},
      {"val_share", opt.val_share},
      {"seed", opt.seed}};
  card.metrics = {{"val_auc", best.auc},     {"val_precision", best.precision},         {"val_recall", best.recall},
                  {"val_loss", best.loss},   {"val_log2_importance_mae", best.rel_mae}, {"train_frames", train_frames},
                  {"val_frames", val_frames}};
  write_model_card(opt.output, card, true);

  TrainCheapResult r;
  r.epochs = epochs_run;
  r.val_auc = best.auc;
  r.val_precision = best.precision;
  r.val_recall = best.recall;
  r.train_frames = train_frames;
  r.val_frames = val_frames;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.card = read_manifest(opt.output, "modelcard", nn::kModelCardVersion);
  return r;
}

namespace {

// The cheap model on one kRgb24 frame at a time: importance (and relative gradient) per macroblock.
class CheapModel : public ImportanceModel {
 public:
  CheapModel(const std::string& model, int threads) : card_(nn::read_model_card(model)) {
    check<InputError>(card_.task == "mb-importance" && card_.architecture == "cheapnet", model,
                      ": not a cheap model (task \"", card_.task, "\", architecture \"", card_.architecture,
                      "\"); train one with train-cheap-model");
    const int macroblock = json_get<int>(card_.arch_params, "macroblock", model, 0);
    check<InputError>(macroblock == kMacroblock, model, ": trained for ", macroblock,
                      "-pixel macroblocks, this vssoff uses ", kMacroblock);
    has_rel_ = card_.arch_params.value("log_importance", false);
    nn::RunnerOptions runner_options;
    runner_options.threads = threads;
    net_ = std::make_unique<nn::ModelRunner>(card_, runner_options);
  }
  const nn::ModelCard& card() const override { return card_; }
  bool has_relative() const override { return has_rel_; }

  double score(const video::Frame& f, std::vector<float>* importance, std::vector<float>* relative) override {
    torch::InferenceMode guard;
    auto tm = std::chrono::steady_clock::now();
    torch::Tensor x = torch::from_blob(const_cast<uint8_t*>(f.plane(0)), {1, f.height, f.width, 3}, torch::kUInt8)
                          .permute({0, 3, 1, 2})
                          .to(torch::kFloat32)
                          .div(255.0f);
    // The network runs on the frame as it is: its stride-2 layers round the grid up.
    torch::Tensor out = nn::dense_output(net_->forward_frames(x, /*resize=*/false), 1, card_.weights_path());
    torch::Tensor p = torch::softmax(out.narrow(1, 0, 2), 1)[0][1].contiguous();
    const int rows = video::mb_rows_for(f.height), cols = video::mb_cols_for(f.width);
    check<RuntimeError>(p.size(0) == rows && p.size(1) == cols, "cheap model grid ", p.size(0), "x", p.size(1),
                        " differs from the macroblock grid ", rows, "x", cols);
    if (has_rel_ && relative) {
      torch::Tensor rel = torch::exp2(out[0][2]).contiguous();
      relative->insert(relative->end(), rel.data_ptr<float>(), rel.data_ptr<float>() + rel.numel());
    }
    importance->insert(importance->end(), p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - tm).count();
  }

 private:
  nn::ModelCard card_;
  bool has_rel_ = false;
  std::unique_ptr<nn::ModelRunner> net_;
};

}  // namespace

std::unique_ptr<ImportanceModel> open_importance_model(const std::string& model, int threads) {
  return std::make_unique<CheapModel>(model, threads);
}

ImportanceResult predict_importance(const ImportanceOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  check<UsageError>(opt.sample.empty() || opt.segment_frames >= 1, "sampling by segment needs segment_frames >= 1");
  if (!opt.sample.empty()) is_sampled(0, false, opt.segment_frames, opt.sample);  // checks the rule
  // The cheap model costs about what decoding costs (it is built to run on the camera), so
  // by default the two split the thread budget and run as a pipeline, each stage on its own
  // cores, neither preempting the other's OpenMP workers (B4's clip: 1.78 s against 2.26 s
  // with both stages on both cores). A server model costs many decodes and gets the whole
  // budget (nn/segment_video.cc). With --threads, the decoder gets the budget.
  const int budget = thread_budget();
  const int net_threads = opt.threads > 0 ? opt.threads : std::max(1, budget / 2);
  CheapModel net(opt.model, net_threads);
  video::ReaderOptions ro;
  ro.format = video::PixelFormat::kRgb24;
  ro.strict_frame_count = opt.strict_length;
  ro.threads = opt.threads > 0 ? 0 : std::max(1, budget - net_threads);
  auto reader = std::make_unique<video::VideoReader>(opt.input, ro);
  ImportanceResult r;
  r.width = reader->info().width;
  r.height = reader->info().height;
  r.rows = (r.height + kMacroblock - 1) / kMacroblock;
  r.cols = (r.width + kMacroblock - 1) / kMacroblock;
  // Frames to score, for the progress line (the header's count; -1 when it has none).
  int64_t total = opt.frames.empty() ? reader->info().frame_count : static_cast<int64_t>(opt.frames.size());
  if (!opt.sample.empty() && total > 0) total = sampled_frames(total, opt.segment_frames, opt.sample).size();
  video::FrameRange range;  // all frames up to the last one asked for
  if (opt.sample.empty() && !opt.frames.empty()) range.count = opt.frames.back() + 1;
  video::FramePrefetcher frames(std::move(reader), 4, range);
  Progress progress("scored", total);
  auto score = [&](video::Frame& f) {
    r.model_seconds += net.score(f, &r.importance, &r.relative);
    r.frames.push_back(f.index);
    progress.update(static_cast<int64_t>(r.frames.size()));
  };
  size_t next = 0;
  video::Frame f, pending;
  bool have_pending = false;
  while (frames.next(&f)) {
    ++r.frames_decoded;
    if (!opt.sample.empty()) {  // decide on the frame before, now that it is known not to be the last
      if (have_pending && is_sampled(pending.index, false, opt.segment_frames, opt.sample)) score(pending);
      std::swap(f, pending);
      have_pending = true;
      continue;
    }
    if (!opt.frames.empty()) {
      if (next >= opt.frames.size()) break;
      if (f.index != opt.frames[next]) continue;
      ++next;
    }
    score(f);
  }
  if (have_pending && is_sampled(pending.index, true, opt.segment_frames, opt.sample)) score(pending);
  progress.finish();
  check<InputError>(opt.frames.empty() || next == opt.frames.size(), opt.input, ": ended before frame ",
                    opt.frames.empty() ? 0 : opt.frames[std::min(next, opt.frames.size() - 1)]);
  check<InputError>(!r.frames.empty(), opt.input, ": no frames");
  r.card = read_manifest(opt.model, "modelcard", nn::kModelCardVersion);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

namespace {

// CheapNetImpl::forward in TorchScript, for the optimised inference path (nn/runner.h).
std::string cheapnet_script(int w) {
  using namespace nn::script;
  std::string y = stem("x", "stem", 2);
  const int in[] = {w, 2 * w, 4 * w, 8 * w, 8 * w}, stride[] = {2, 2, 2, 1, 1};
  for (int i = 0; i < 5; ++i) y = dsconv(y, cat("body.", i), in[i], stride[i]);
  return cat("def forward(self, x):\n    return ", conv(y, "head", 1, 0, 1, true), "\n");
}

std::unique_ptr<nn::LoadedModel> load_cheapnet(const nn::ModelCard& card) {
  const int width = json_get<int>(card.arch_params, "width", card.card_path, 0);
  check<InputError>(width >= 2 && width <= 64, card.card_path, ": cheapnet needs arch_params.width in [2, 64]");
  return nn::load_module(CheapNet(width, card.arch_params.value("log_importance", false) ? 3 : 2), card,
                         cheapnet_script(width));
}

}  // namespace

VSSOFF_REGISTER_LOADER("cheapnet", load_cheapnet);
VSSOFF_PLUGIN_ENTRY(vssoff::accmpeg::train_cheap_model);
VSSOFF_PLUGIN_ENTRY(vssoff::accmpeg::predict_importance);
VSSOFF_PLUGIN_ENTRY(vssoff::accmpeg::open_importance_model);

}  // namespace vssoff::accmpeg
