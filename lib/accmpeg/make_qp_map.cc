#include "accmpeg/make_qp_map.h"

#include <algorithm>
#include <filesystem>

#include "accmpeg/accgrad.h"
#include "accmpeg/cheap_model.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/plugin.h"
#include "nn/model_card.h"
#include "video/picture.h"
#include "video/reader.h"

namespace fs = std::filesystem;

namespace vssoff::accmpeg {
namespace {

// sha256 of a server model's weights: the card's weights file, or the TorchScript file.
std::string server_weights_sha(const std::string& model) {
  std::string weights = model;
  if (fs::path(model).extension() == ".json") weights = nn::read_model_card(model).weights_path();
  check_input_file(weights, "server model weights");
  return sha256_file(weights);
}

}  // namespace

void MakeQpMapOptions::check() const {
  vssoff::check<UsageError>(!input.empty() && !output.empty(), "give the input video and the output (-o)");
  const int sources = !cheap_model.empty() + !importance.empty() + !boxes.empty();
  vssoff::check<UsageError>(sources == 1, "give exactly one of --cheap-model, --importance and --boxes (got ", sources,
                            ")");
  vssoff::check<UsageError>(params.graded == 0 || boxes.empty(),
                            "--graded needs importance (--cheap-model or --importance), not --boxes");
  vssoff::check<UsageError>(params.graded == 0 || (params.dilate == 0 && params.threshold < 0 && params.clean),
                            "--dilate, --threshold and --no-clean shape two-level maps and do not apply with --graded");
  params.check();
  vssoff::check<UsageError>(sample == "ends" || sample == "first" || sample == "all",
                            "sample must be ends, first or all (got ", sample, ")");
  vssoff::check<UsageError>(box_margin >= 0, "box margin must be >= 0 (got ", box_margin, ")");
  vssoff::check<UsageError>(threads >= 0 && threads <= 256, "threads must be in [0, 256] (got ", threads, ")");
  vssoff::check<UsageError>(fs::path(output).extension() == ".npy", "output must end in .npy (got ", output, ")");
  vssoff::check<UsageError>(importance_heatmap.empty() || boxes.empty(),
                            "--importance-heatmap needs --cheap-model or --importance");
  vssoff::check<UsageError>(heatmap_segment >= 0, "heatmap segment must be >= 0 (got ", heatmap_segment, ")");
}

MakeQpMapResult make_qp_map(const MakeQpMapOptions& opt) {
  opt.check();
  const QpMapParams& params = opt.params;
  check_output_path(opt.output, opt.force);
  check_output_path(manifest_path_for(opt.output), opt.force);
  if (!opt.heatmap.empty()) check_output_path(opt.heatmap, opt.force);
  if (!opt.importance_heatmap.empty()) check_output_path(opt.importance_heatmap, opt.force);
  check_input_file(opt.input, "video");

  video::ReaderOptions ro;
  ro.format = video::PixelFormat::kRgb24;
  ro.strict_frame_count = opt.strict_length;
  // A header may be absent or claim more frames than decode: the maps cover what decodes.
  video::ReaderOptions count_ro = ro;
  count_ro.format = video::PixelFormat::kGray8;
  video::VideoReader reader(opt.input, count_ro);
  const int width = reader.info().width, height = reader.info().height;
  // The cheap model decodes the video anyway and counts its frames; the other sources
  // count them here.
  int64_t total = 0;
  if (opt.cheap_model.empty())
    for (video::Frame f; reader.read(&f);) ++total;
  const bool heatmaps = !opt.heatmap.empty() || !opt.importance_heatmap.empty();
  auto check_heatmap_segment = [&] {
    if (!heatmaps) return;
    const int64_t segments = (total + params.segment_frames - 1) / params.segment_frames;
    check<UsageError>(opt.heatmap_segment < segments, "heatmap segment must be in [0, ", segments - 1, "] (got ",
                      opt.heatmap_segment, "): ", opt.input, " has ", segments, " segments of ", params.segment_frames,
                      " frames");
  };
  if (opt.cheap_model.empty()) check_heatmap_segment();

  Json extra = {{"accmpeg", params.to_json()}};
  extra["inputs"] = Json::array();
  extra["inputs"].push_back({{"role", "video"}, {"path", opt.input}, {"sha256", sha256_file(opt.input)}});
  MakeQpMapResult res;
  codec::QpMap& map = res.map;
  std::vector<float> seg_importance;
  if (!opt.cheap_model.empty()) {
    const nn::ModelCard cheap_card = nn::read_model_card(opt.cheap_model);
    check<InputError>(cheap_card.produced_by.contains("server_model"), opt.cheap_model,
                      ": not a cheap model (no produced_by.server_model); train one with train-cheap-model");
    const Json server = cheap_card.produced_by["server_model"];
    const auto [server_name, server_sha] = read_artefact(opt.cheap_model, [&] {
      return std::make_pair(server.at("name").get<std::string>(), server.at("weights_sha256").get<std::string>());
    });
    if (!opt.server_model.empty()) {
      const std::string sha = server_weights_sha(opt.server_model);
      check<InputError>(server_sha == sha, opt.cheap_model, ": trained for server model ", server_name,
                        " (weights sha256 ", server_sha.substr(0, 12), "), not for ", opt.server_model, " (",
                        sha.substr(0, 12), "); retrain it with train-cheap-model");
    }
    ImportanceOptions io;
    io.input = opt.input;
    io.model = opt.cheap_model;
    io.sample = opt.sample;
    io.segment_frames = params.segment_frames;
    io.strict_length = opt.strict_length;
    io.threads = opt.threads;
    ImportanceResult r = VSSOFF_PLUGIN_CALL(vssoff::accmpeg::predict_importance)(io);
    total = r.frames_decoded;
    check_heatmap_segment();
    // A graded map needs how much each macroblock matters: the model's log-importance channel.
    check<InputError>(
        params.graded == 0 || !r.relative.empty(), opt.cheap_model,
        ": has no log-importance output, which --graded needs; retrain it with this vssoff's train-cheap-model");
    map = qp_map_from_importance(r.frames, params.graded > 0 ? r.relative : r.importance, r.rows, r.cols, width, height,
                                 total, params, &seg_importance);
    res.frames_scored = static_cast<int64_t>(r.frames.size());
    res.model_fps = r.frames.size() / r.model_seconds;
    extra["source"] = {{"kind", "cheap-model"},
                       {"sample", opt.sample},
                       {"frames_scored", r.frames.size()},
                       {"model_fps", res.model_fps},
                       {"seconds", r.seconds}};
    extra["cheap_model"] = {{"card", opt.cheap_model}, {"name", r.card.at("name")}};
    extra["server_model"] = server;
    extra["inputs"].push_back(
        {{"role", "cheap-model"}, {"path", opt.cheap_model}, {"sha256", sha256_file(opt.cheap_model)}});
    log_info("cheap model: ", r.frames.size(), " frames at ", res.model_fps, " frames/s (network only)");
  } else if (!opt.importance.empty()) {
    AccGrad g = read_accgrad(opt.importance);
    check<InputError>(g.width == width && g.height == height, opt.importance, ": gradients of ", g.width, "x", g.height,
                      " frames, but ", opt.input, " is ", width, "x", height);
    if (!opt.server_model.empty())
      check<InputError>(g.server_weights_sha256 == server_weights_sha(opt.server_model), opt.importance,
                        ": gradients of server model ", g.server_model_name, ", not of ", opt.server_model);
    map = qp_map_from_importance(g.frame_indices, g.values, g.rows, g.cols, width, height, total, params,
                                 &seg_importance);
    extra["source"] = {{"kind", "accgrad"}, {"mode", g.mode}};
    extra["server_model"] = g.manifest["server_model"];
    extra["inputs"].push_back({{"role", "accgrad"}, {"path", opt.importance}});
  } else {
    map = qp_map_from_boxes(opt.boxes, width, height, total, params, opt.box_margin);
    extra["source"] = {{"kind", "boxes"}, {"margin", opt.box_margin}};
    extra["inputs"].push_back({{"role", "boxes"}, {"path", opt.boxes}, {"sha256", sha256_file(opt.boxes)}});
  }
  const size_t cells = static_cast<size_t>(map.rows) * map.cols;
  size_t hi = 0;
  double qp_sum = 0;
  for (uint8_t q : map.qp) hi += q == params.qp_hi, qp_sum += q;
  res.high_share = double(hi) / map.qp.size();
  res.mean_qp = qp_sum / map.qp.size();
  extra["summary_high_share"] = res.high_share;
  extra["summary_mean_qp"] = res.mean_qp;

  // The heatmaps' background, read before anything is written.
  video::Frame bg;
  if (heatmaps) {
    check<RuntimeError>(opt.heatmap_segment < map.count, "make_qp_map: ", map.count, " maps for ",
                        opt.heatmap_segment + 1, " segments or more");
    video::VideoReader bg_reader(opt.input, ro);
    bg_reader.seek(int64_t(opt.heatmap_segment) * params.segment_frames);
    check<InputError>(bg_reader.read(&bg), opt.input, ": cannot read the heatmap frame");
  }

  write_qp_map(opt.output, map, opt.force, extra);
  const size_t off = static_cast<size_t>(opt.heatmap_segment) * cells;
  if (!opt.heatmap.empty()) {
    std::vector<double> grid(map.qp.begin() + off, map.qp.begin() + off + cells);
    video::HeatmapStyle style;
    style.title = "QP";
    video::write_grid_heatmap(opt.heatmap, bg, grid, map.rows, map.cols, style, opt.force);
  }
  if (!opt.importance_heatmap.empty()) {
    std::vector<double> grid(seg_importance.begin() + off, seg_importance.begin() + off + cells);
    video::HeatmapStyle style;
    style.title = "importance";
    style.low_is_hot = false;
    style.vmin = 0;
    style.vmax = std::max(1e-12, *std::max_element(grid.begin(), grid.end()));
    video::write_grid_heatmap(opt.importance_heatmap, bg, grid, map.rows, map.cols, style, opt.force);
  }
  return res;
}

}  // namespace vssoff::accmpeg
