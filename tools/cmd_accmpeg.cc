// AccMPEG: vssoff accgrad, train-cheap-model and qpmap.
#include "cmd_accmpeg.h"

#include <filesystem>
#include <memory>

#include "accmpeg/accgrad.h"
#include "accmpeg/cheap_model.h"
#include "accmpeg/qp_maps.h"
#include "codec/qp_map.h"
#include "common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/plugin.h"
#include "video/picture.h"
#include "video/reader.h"

namespace fs = std::filesystem;

namespace vssoff::tools {

void setup_accgrad(CLI::App& app) {
  auto opt = std::make_shared<accmpeg::AccGradOptions>();
  CLI::App* sub =
      add_subcommand(app, "accgrad", "AccMPEG ground truth: per-macroblock accuracy gradients of a server model", [=] {
        accmpeg::AccGradResult r = VSSOFF_PLUGIN_CALL(vssoff::accmpeg::accgrad)(*opt);
        log_info("wrote ", opt->output, ": ", r.frames, " frames x ", r.rows, "x", r.cols, " macroblocks in ",
                 r.seconds, " s");
      });
  sub->add_option("input", opt->input, "Input video (the high-quality original)")->required();
  sub->add_option("-o,--output", opt->output, "Gradients to write (.npy; manifest OUTPUT.json)")->required();
  sub->add_option("--model", opt->model, "Server model: card (.json) or TorchScript file")->required();
  sub->add_option("--mode", opt->mode,
                  "grad (gradient at the frame) or taylor (gradient at the QP_lo frame x |high - low|)")
      ->capture_default_str();
  sub->add_option("--qp-lo", opt->qp_lo, "taylor: QP of the low-quality encode")->capture_default_str();
  sub->add_option("--classes", opt->classes,
                  "Proxy over pixels of these reference classes only, e.g. 5,6 (default: all)")
      ->delimiter(',');
  sub->add_option("--start", opt->start, "First frame index")->capture_default_str();
  sub->add_option("--frames", opt->frames, "Number of frames from --start (-1 = to the end)")->capture_default_str();
  sub->add_option("--every", opt->every, "Differentiate every k-th frame")->capture_default_str();
  sub->add_option("--threads", opt->threads, "Threads (0 = one per core)")->capture_default_str();
  sub->add_option("--heatmap", opt->heatmap, "Write a PNG of the first sampled frame's gradients");
  sub->add_flag("--force", opt->force, "Overwrite existing outputs");
}

void setup_train_cheap_model(CLI::App& app) {
  auto opt = std::make_shared<accmpeg::TrainCheapOptions>();
  CLI::App* sub =
      add_subcommand(app, "train-cheap-model", "Train AccMPEG's camera-side cheap model on accgrad outputs", [=] {
        accmpeg::TrainCheapResult r = VSSOFF_PLUGIN_CALL(vssoff::accmpeg::train_cheap_model)(*opt);
        log_info("wrote ", opt->output, ": ", r.epochs, " epochs in ", r.seconds, " s; held-out AUC ", r.val_auc,
                 ", precision ", r.val_precision, ", recall ", r.val_recall, " (", r.val_frames, " frames)");
      });
  sub->add_option("accgrad", opt->accgrad, "accgrad outputs (.npy); each names the video it was computed on")
      ->required();
  sub->add_option("-o,--output", opt->output, "Model card to write (.json); weights beside it (.pt)")->required();
  sub->add_option("--width", opt->width, "Network width")->capture_default_str();
  sub->add_option("--top", opt->top_percent, "Label the top k% of each frame's macroblocks important")
      ->capture_default_str();
  sub->add_option("--threshold", opt->threshold, "Instead of --top: label gradients above this important");
  sub->add_option("--pos-weight", opt->pos_weight, "Loss weight of the important class")->capture_default_str();
  sub->add_option("--epochs", opt->epochs, "Most epochs")->capture_default_str();
  sub->add_option("--patience", opt->patience, "Stop after this many epochs without a better validation AUC")
      ->capture_default_str();
  sub->add_option("--batch", opt->batch, "Frames per step")->capture_default_str();
  sub->add_option("--lr", opt->lr, "Adam learning rate")->capture_default_str();
  sub->add_option("--val-share", opt->val_share, "Last share of each clip's frames held out for validation")
      ->capture_default_str();
  sub->add_option("--seed", opt->seed, "Seed")->capture_default_str();
  sub->add_option("--threads", opt->threads, "Threads (0 = one per core)")->capture_default_str();
  sub->add_flag("--force", opt->force, "Overwrite an existing card and weights");
}

namespace {

struct QpMapCommand {
  std::string input, output, cheap_model, importance, boxes, server_model, sample = "ends", heatmap, importance_heatmap;
  accmpeg::QpMapParams params;
  double margin = 8;
  int threads = 0, heatmap_segment = 0;
  bool no_clean = false, force = false;
};

// sha256 of a server model's weights: the card's weights file, or the TorchScript file.
std::string server_weights_sha(const std::string& model) {
  std::string weights = model;
  if (fs::path(model).extension() == ".json") {
    Json card = read_manifest(model, "modelcard", 1);
    fs::path w = json_get<std::string>(card, "weights", model);
    weights = (w.is_relative() ? fs::path(model).parent_path() / w : w).string();
  }
  check_input_file(weights, "server model weights");
  return sha256_file(weights);
}

void run_qpmap(const QpMapCommand& c) {
  int sources = !c.cheap_model.empty() + !c.importance.empty() + !c.boxes.empty();
  check<UsageError>(sources == 1, "give exactly one of --cheap-model, --importance and --boxes (got ", sources, ")");
  check<UsageError>(c.params.graded == 0 || c.boxes.empty(),
                    "--graded needs importance (--cheap-model or --importance), not --boxes");
  check<UsageError>(c.params.graded == 0 || (c.params.dilate == 0 && c.params.threshold < 0 && !c.no_clean),
                    "--dilate, --threshold and --no-clean shape two-level maps and do not apply with --graded");
  accmpeg::QpMapParams params = c.params;
  params.clean = !c.no_clean;
  params.check();
  check<UsageError>(fs::path(c.output).extension() == ".npy", "output must end in .npy (got ", c.output, ")");
  check_output_path(c.output, c.force);
  check_output_path(manifest_path_for(c.output), c.force);
  check_input_file(c.input, "video");

  video::ReaderOptions ro;
  ro.format = video::PixelFormat::kRgb24;
  video::VideoReader reader(c.input, ro);
  const int width = reader.info().width, height = reader.info().height;
  int64_t total = reader.info().frame_count;
  if (total < 0) {  // the container does not say: count
    video::Frame f;
    for (total = 0; reader.read(&f);) ++total;
  }
  Json extra = {{"accmpeg", params.to_json()}};
  extra["inputs"] = Json::array();
  extra["inputs"].push_back({{"role", "video"}, {"path", c.input}, {"sha256", sha256_file(c.input)}});
  codec::QpMap map;
  std::vector<float> seg_importance;
  if (!c.cheap_model.empty()) {
    accmpeg::ImportanceOptions io;
    io.input = c.input;
    io.model = c.cheap_model;
    io.frames = accmpeg::sampled_frames(total, params.segment_frames, c.sample);
    io.threads = c.threads;
    const Json cheap_card = read_manifest(c.cheap_model, "modelcard", 1);
    check<InputError>(cheap_card.contains("produced_by") && cheap_card["produced_by"].contains("server_model"),
                      c.cheap_model,
                      ": not a cheap model (no produced_by.server_model); train one with train-cheap-model");
    const Json server = cheap_card["produced_by"]["server_model"];
    if (!c.server_model.empty()) {
      std::string sha = server_weights_sha(c.server_model);
      check<InputError>(server.at("weights_sha256") == sha, c.cheap_model, ": trained for server model ",
                        server.at("name").get<std::string>(), " (weights sha256 ",
                        server.at("weights_sha256").get<std::string>().substr(0, 12), "), not for ", c.server_model,
                        " (", sha.substr(0, 12), "); retrain it with train-cheap-model");
    }
    accmpeg::ImportanceResult r = VSSOFF_PLUGIN_CALL(vssoff::accmpeg::predict_importance)(io);
    // A graded map needs how much each macroblock matters: the model's log-importance channel.
    check<InputError>(
        params.graded == 0 || !r.relative.empty(), c.cheap_model,
        ": has no log-importance output, which --graded needs; retrain it with this vssoff's train-cheap-model");
    map = accmpeg::qp_map_from_importance(r.frames, params.graded > 0 ? r.relative : r.importance, r.rows, r.cols,
                                          width, height, total, params, &seg_importance);
    const double fps = r.frames.size() / r.model_seconds;
    extra["source"] = {{"kind", "cheap-model"},
                       {"sample", c.sample},
                       {"frames_scored", r.frames.size()},
                       {"model_fps", fps},
                       {"seconds", r.seconds}};
    extra["cheap_model"] = {{"card", c.cheap_model}, {"name", r.card.at("name")}};
    extra["server_model"] = server;
    extra["inputs"].push_back(
        {{"role", "cheap-model"}, {"path", c.cheap_model}, {"sha256", sha256_file(c.cheap_model)}});
    log_info("cheap model: ", r.frames.size(), " frames at ", fps, " frames/s (network only)");
  } else if (!c.importance.empty()) {
    accmpeg::AccGrad g = accmpeg::read_accgrad(c.importance);
    check<InputError>(g.width == width && g.height == height, c.importance, ": gradients of ", g.width, "x", g.height,
                      " frames, but ", c.input, " is ", width, "x", height);
    if (!c.server_model.empty())
      check<InputError>(g.manifest.at("server_model").at("weights_sha256") == server_weights_sha(c.server_model),
                        c.importance, ": gradients of server model ",
                        g.manifest.at("server_model").at("name").get<std::string>(), ", not of ", c.server_model);
    map = accmpeg::qp_map_from_importance(g.frame_indices, g.values, g.rows, g.cols, width, height, total, params,
                                          &seg_importance);
    extra["source"] = {{"kind", "accgrad"}, {"mode", g.manifest.at("params").at("mode")}};
    extra["server_model"] = g.manifest.at("server_model");
    extra["inputs"].push_back({{"role", "accgrad"}, {"path", c.importance}});
  } else {
    map = accmpeg::qp_map_from_boxes(c.boxes, width, height, total, params, c.margin);
    extra["source"] = {{"kind", "boxes"}, {"margin", c.margin}};
    extra["inputs"].push_back({{"role", "boxes"}, {"path", c.boxes}, {"sha256", sha256_file(c.boxes)}});
  }
  size_t cells = static_cast<size_t>(map.rows) * map.cols, hi = 0;
  double qp_sum = 0;
  for (uint8_t q : map.qp) hi += q == params.qp_hi, qp_sum += q;
  extra["summary_high_share"] = double(hi) / map.qp.size();
  extra["summary_mean_qp"] = qp_sum / map.qp.size();
  write_qp_map(c.output, map, c.force, extra);
  log_info("wrote ", c.output, ": ", map.count, " segments of ", params.segment_frames, " frames, ",
           std::round(1000.0 * hi / map.qp.size()) / 10, "% of macroblocks at QP ", params.qp_hi, ", mean QP ",
           std::round(10 * qp_sum / map.qp.size()) / 10);

  if (!c.heatmap.empty() || !c.importance_heatmap.empty()) {
    check<UsageError>(c.heatmap_segment >= 0 && c.heatmap_segment < map.count, "heatmap segment must be in [0, ",
                      map.count - 1, "] (got ", c.heatmap_segment, ")");
    video::VideoReader bg_reader(c.input, ro);
    bg_reader.seek(int64_t(c.heatmap_segment) * params.segment_frames);
    video::Frame bg;
    check<InputError>(bg_reader.read(&bg), c.input, ": cannot read the heatmap frame");
    const size_t off = c.heatmap_segment * cells;
    if (!c.heatmap.empty()) {
      std::vector<double> grid(map.qp.begin() + off, map.qp.begin() + off + cells);
      video::HeatmapStyle style;
      style.title = "QP";
      video::write_grid_heatmap(c.heatmap, bg, grid, map.rows, map.cols, style, c.force);
    }
    if (!c.importance_heatmap.empty()) {
      check<UsageError>(!seg_importance.empty(), "--importance-heatmap needs --cheap-model or --importance");
      std::vector<double> grid(seg_importance.begin() + off, seg_importance.begin() + off + cells);
      video::HeatmapStyle style;
      style.title = "importance";
      style.low_is_hot = false;
      style.vmin = 0;
      style.vmax = std::max(1e-12, *std::max_element(grid.begin(), grid.end()));
      video::write_grid_heatmap(c.importance_heatmap, bg, grid, map.rows, map.cols, style, c.force);
    }
  }
}

}  // namespace

void setup_qpmap(CLI::App& app) {
  auto c = std::make_shared<QpMapCommand>();
  CLI::App* sub =
      add_subcommand(app, "qpmap", "Per-segment QP maps for encode-roi: AccMPEG (cheap model or accgrad) or boxes",
                     [=] { run_qpmap(*c); });
  sub->add_option("input", c->input, "Input video (the maps fit its size)")->required();
  sub->add_option("-o,--output", c->output, "QP map to write (.npy; manifest OUTPUT.json)")->required();
  sub->add_option("--cheap-model", c->cheap_model, "Importance from this cheap model (train-cheap-model card)");
  sub->add_option("--importance", c->importance, "Importance from these accgrad gradients (oracle AccMPEG)");
  sub->add_option("--boxes", c->boxes, "High quality inside these boxes (COCO JSON; EAAR- and Vigil-like)");
  sub->add_option("--server-model", c->server_model, "Refuse a cheap model or gradients made for another server model");
  sub->add_option("--segment-frames", c->params.segment_frames, "Frames per segment (= encode-roi's)")
      ->capture_default_str();
  sub->add_option("--sample", c->sample, "Frames of a segment the cheap model scores: ends, first or all")
      ->capture_default_str();
  sub->add_option("--top", c->params.top_percent, "Share of macroblocks (%) at --qp-hi")->capture_default_str();
  sub->add_option("--threshold", c->params.threshold, "Instead of --top: importance above this gets --qp-hi");
  sub->add_option("--dilate", c->params.dilate, "Grow important regions by this many macroblocks")
      ->capture_default_str();
  sub->add_flag("--no-clean", c->no_clean, "Skip the 3x3 opening and closing");
  sub->add_option("--qp-hi", c->params.qp_hi, "QP of important macroblocks")->capture_default_str();
  sub->add_option("--qp-lo", c->params.qp_lo, "QP of the rest")->capture_default_str();
  sub->add_option("--graded", c->params.graded,
                  "Graded map: QP steps per doubling of importance (0 = two levels, AccMPEG's)")
      ->capture_default_str();
  sub->add_option("--qp-mean", c->params.qp_mean, "Graded map: QP at the segment's mean importance")
      ->capture_default_str();
  sub->add_option("--box-margin", c->margin, "Pixels added around each box")->capture_default_str();
  sub->add_option("--threads", c->threads, "Cheap-model threads (0 = one per core)")->capture_default_str();
  sub->add_option("--heatmap", c->heatmap, "Write a PNG of a segment's QP map over its first frame");
  sub->add_option("--importance-heatmap", c->importance_heatmap,
                  "Write a PNG of a segment's importance over its first frame");
  sub->add_option("--heatmap-segment", c->heatmap_segment, "Segment shown by the heatmaps")->capture_default_str();
  sub->add_flag("--force", c->force, "Overwrite existing outputs");
}

}  // namespace vssoff::tools
