#include "link/segment_service.h"

#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>

#include "core/fs.h"
#include "core/log.h"
#include "core/plugin.h"
#include "video/decoder.h"
#include "video/picture.h"

namespace vssoff::link {

namespace {
double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

SegmentService::SegmentService(const std::vector<std::string>& models, const nn::SegmenterOptions& options,
                               const std::string& model_dir)
    : options_(options), model_dir_(model_dir) {
  check<UsageError>(!models.empty() || !model_dir.empty(), "serve: give a --model, or a --model-dir");
  if (!model_dir.empty())
    check<InputError>(std::filesystem::is_directory(model_dir), "--model-dir ", model_dir, ": not a directory");
  for (const std::string& m : models) load(m);
  check<UsageError>(std::set<std::string>(names_.begin(), names_.end()).size() == names_.size(),
                    "serve: two models have the same name");
}

void SegmentService::load(const std::string& path) const {
  std::unique_ptr<nn::SegmentationModel> model =
      VSSOFF_PLUGIN_CALL(vssoff::nn::open_segmentation_model)(path, options_);
  const nn::ModelCard& card = model->card();
  const std::string weights = card.weights_path();
  const std::string sha = weights.empty() ? "" : sha256_file(weights);
  log_info("model ", card.name, " (", path, "), ", card.classes.size(), " classes");
  std::lock_guard<std::mutex> lock(mutex_);
  names_.push_back(card.name);
  weights_sha_.push_back(sha);
  models_.push_back(std::move(model));
}

SegmentService::~SegmentService() = default;

Json SegmentService::describe() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Json models = Json::array();
  for (size_t i = 0; i < models_.size(); ++i) {
    const nn::ModelCard& c = models_[i]->card();
    models.push_back({{"name", c.name},
                      {"weights_sha256", weights_sha_[i]},
                      {"classes", c.classes},
                      {"gflops", c.gflops},
                      {"cost_width", c.cost_width},
                      {"cost_height", c.cost_height},
                      {"input_width", c.input_width},
                      {"input_height", c.input_height}});
  }
  return {{"service", "segmentation"}, {"models", models}};
}

std::string SegmentService::check_hello(const Json& hello) const {
  if (hello.value("protocol", -1) != kProtocolVersion)
    return cat("the edge speaks protocol ", hello.value("protocol", -1), ", this server ", kProtocolVersion);
  auto wanted = hello.find("models");
  if (wanted == hello.end()) return "";
  if (!wanted->is_array()) return "\"models\" is not a list";
  for (const Json& m : *wanted) {
    if (!m.is_string()) return "\"models\" holds a non-string";
    const std::string name = m.get<std::string>();
    std::vector<std::string> have;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      have = names_;
    }
    if (std::find(have.begin(), have.end(), name) != have.end()) continue;
    const bool plain = !name.empty() && name[0] != '.' && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
    const std::string card = model_dir_ + "/" + name + ".json";
    if (model_dir_.empty() || !plain || !std::filesystem::is_regular_file(card))
      return cat("no model \"", name, "\" here (this server has ", Json(have).dump(),
                 model_dir_.empty() ? "" : cat(", and none of that name in ", model_dir_), ")");
    try {
      load(card);
    } catch (const std::exception& e) {
      return cat("cannot load ", card, ": ", e.what());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (names_.back() != name) {  // a card under another name: not what was asked for
      const std::string got = names_.back();
      names_.pop_back(), weights_sha_.pop_back(), models_.pop_back();
      return cat(card, " is the card of \"", got, "\", not of \"", name, "\"");
    }
  }
  return "";
}

Message SegmentService::serve(const Message& req) {
  if (req.kind != MessageKind::kSegment) throw ProtocolError(cat("cannot serve a ", kind_name(req.kind), " request"));
  const std::string model = meta_get<std::string>(req, "model");
  nn::SegmentationModel* found = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = std::find(names_.begin(), names_.end(), model);
    if (it != names_.end()) found = models_[it - names_.begin()].get();
  }
  check<InputError>(found != nullptr, "no model \"", model, "\" on this server");
  nn::SegmentationModel& net = *found;
  const int64_t segment = meta_get<int64_t>(req, "segment");
  const std::vector<int64_t> packets = meta_get<std::vector<int64_t>>(req, "packets");
  std::vector<int64_t> score =
      req.meta.contains("score") ? meta_get<std::vector<int64_t>>(req, "score") : std::vector<int64_t>{};
  const int out_w = req.meta.value("out_width", 0), out_h = req.meta.value("out_height", 0);
  check<InputError>(out_w >= 0 && out_h >= 0 && out_w <= 4096 && out_h <= 4096, "segment ", segment, ": labels size ",
                    out_w, "x", out_h, " out of range (at most 4096 a side)");
  const bool want_labels = req.meta.value("labels", true);

  // Decode every access unit (P-frames need the ones before); keep RGB frames to score.
  auto t0 = std::chrono::steady_clock::now();
  size_t offset = 0;
  for (int64_t n : packets)
    check<InputError>(n > 0 && offset + size_t(n) <= req.data.size() && (offset += size_t(n), true), "segment ",
                      segment, ": packet sizes add up to more than the ", req.data.size(), " bytes sent");
  check<InputError>(offset == req.data.size(), "segment ", segment, ": ", req.data.size() - offset,
                    " bytes after the last packet");
  video::H264Decoder decoder(/*export_qp=*/false, video::PixelFormat::kRgb24);
  std::vector<video::Frame> frames;
  video::Frame f;
  offset = 0;
  for (size_t i = 0; i < packets.size(); ++i) {
    decoder.send(reinterpret_cast<const uint8_t*>(req.data.data()) + offset, size_t(packets[i]), int64_t(i));
    offset += size_t(packets[i]);
    while (decoder.receive(&f)) frames.push_back(f);
  }
  decoder.send_end();
  while (decoder.receive(&f)) frames.push_back(f);
  check<InputError>(!frames.empty(), "segment ", segment, ": no frame decoded from ", packets.size(), " packets");
  const double decode_ms = ms_since(t0);
  if (score.empty())
    for (size_t i = 0; i < frames.size(); ++i) score.push_back(int64_t(i));
  check<InputError>(std::adjacent_find(score.begin(), score.end(), std::greater_equal<int64_t>()) == score.end(),
                    "segment ", segment, ": the frames to score must ascend, each once");
  std::vector<const video::Frame*> served;
  for (int64_t p : score) {
    check<InputError>(p >= 0 && p < int64_t(frames.size()), "segment ", segment, ": frame ", p, " to score, but ",
                      frames.size(), " decoded");
    served.push_back(&frames[size_t(p)]);
  }
  auto t1 = std::chrono::steady_clock::now();
  const std::vector<nn::Segmentation> out = net.run(served, out_w, out_h);
  const double infer_ms = ms_since(t1);

  Message reply;
  reply.kind = MessageKind::kResult;
  std::vector<const nn::SoftmaxStats*> stats;
  std::vector<int64_t> label_bytes;
  const int W = out_w > 0 ? out_w : frames[0].width, H = out_h > 0 ? out_h : frames[0].height;
  for (const nn::Segmentation& s : out) {
    stats.push_back(&s.stats);
    if (!want_labels) continue;
    video::Frame labels;
    labels.allocate(W, H, video::PixelFormat::kGray8);
    std::copy(s.labels.begin(), s.labels.end(), labels.plane(0));
    const std::string png = video::encode_png(labels, 1);
    label_bytes.push_back(int64_t(png.size()));
    reply.data += png;
  }
  const int C = static_cast<int>(net.card().classes.size());
  Json pooled = Json::array();
  for (double v : nn::pooled_stats(stats, C)) pooled.push_back(std::isnan(v) ? Json(nullptr) : Json(v));
  std::vector<std::string> names = nn::softmax_stat_columns();
  for (int k = 0; k < C; ++k) names.push_back("share_" + std::to_string(k));  // the profile table's names
  for (int k = 0; k < C; ++k) names.push_back("conf_" + std::to_string(k));
  reply.meta = {{"segment", segment},
                {"model", model},
                {"frames", frames.size()},
                {"scored", score},
                {"stats", pooled},
                {"stat_names", names},
                {"labels_bytes", label_bytes},
                {"gflops_per_frame", net.card().gflops_at(frames[0].width, frames[0].height)},
                {"decode_ms", decode_ms},
                {"infer_ms", infer_ms}};
  return reply;
}

}  // namespace vssoff::link
