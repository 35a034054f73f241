#include "cbo/offload_profile.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cbo/calibrator.h"
#include "codec/round_trip.h"
#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/plugin.h"
#include "metrics/evaluate_segmentation.h"
#include "metrics/segmentation.h"
#include "nn/segmenter.h"
#include "video/picture.h"
#include "video/reader.h"
#include "video/scaler.h"

namespace vssoff::cbo {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double frame_miou(const std::vector<uint8_t>& pred, const std::vector<uint8_t>& ref, int C) {
  metrics::ConfusionMatrix cm(C);
  cm.add(pred.data(), ref.data(), pred.size());
  return cm.mean_iou();
}

std::string model_sha(const nn::ModelCard& card) {
  const std::string w = card.weights_path();
  return w.empty() ? "" : sha256_file(w);
}

}  // namespace

std::string scale_name(double scale) { return csv_number(scale); }

bool is_offload_profile(const std::string& path) {
  std::error_code ec;
  const std::string m = manifest_path_for(path);
  if (!std::filesystem::is_regular_file(m, ec)) return false;
  const Json j = Json::parse(read_file(m), nullptr, false);
  return j.is_object() && j.value("format", "") == "vssoff.offload-profile";
}

void OffloadProfileOptions::check() const {
  vssoff::check<UsageError>(!input.empty() && !output.empty(), "give the video and the output table (-o)");
  vssoff::check<UsageError>(!edge_model.empty() && !server_model.empty(), "give --edge-model and --server-model");
  vssoff::check<UsageError>(ground_truth.empty() != reference_model.empty(),
                            "give exactly one of --ground-truth and --reference-model");
  vssoff::check<UsageError>(!scales.empty(), "give at least one offload scale");
  for (size_t i = 0; i < scales.size(); ++i) {
    vssoff::check<UsageError>(scales[i] > 0 && scales[i] <= 1, "scale ", scales[i], " is not in (0, 1]");
    for (size_t j = 0; j < i; ++j) vssoff::check<UsageError>(scales[j] != scales[i], "scale ", scales[i], " twice");
  }
  vssoff::check<UsageError>(qp >= 1 && qp <= 51, "--qp must be in [1, 51] (got ", qp, ")");
  vssoff::check<UsageError>(start >= 0 && (frames == -1 || frames >= 1), "--start must be >= 0 and --frames >= 1");
  vssoff::check<UsageError>(threads >= 0, "--threads must be >= 0");
}

void offload_profile(const OffloadProfileOptions& opt) {
  opt.check();
  check_output_path(opt.output, opt.force);
  check_output_path(manifest_path_for(opt.output), opt.force);
  hash_input_in_background(opt.input);

  nn::SegmenterOptions edge_opt, server_opt;
  edge_opt.threads = server_opt.threads = opt.threads;
  std::string calibrator_sha;
  if (!opt.calibrator.empty()) {
    edge_opt.calibration = read_calibrator(opt.calibrator).for_segmenter();
    calibrator_sha = sha256_file(opt.calibrator);
  }
  auto open = VSSOFF_PLUGIN_CALL(vssoff::nn::open_segmentation_model);
  std::unique_ptr<nn::SegmentationModel> edge = open(opt.edge_model, edge_opt);
  std::unique_ptr<nn::SegmentationModel> server = open(opt.server_model, server_opt);
  std::unique_ptr<nn::SegmentationModel> reference;
  if (!opt.reference_model.empty()) reference = open(opt.reference_model, server_opt);
  const int C = static_cast<int>(edge->card().classes.size());
  check<InputError>(server->card().classes == edge->card().classes, opt.server_model, ": classes differ from ",
                    opt.edge_model, "'s");
  metrics::LabelSet truth;
  if (!opt.ground_truth.empty()) truth = metrics::open_label_set(opt.ground_truth);

  video::VideoReader reader(opt.input);
  const video::VideoInfo& info = reader.info();
  if (opt.start > 0) reader.seek(opt.start);
  const int W = info.width, H = info.height;
  int64_t expected = info.frame_count > 0 ? info.frame_count - opt.start : -1;
  if (opt.frames > 0) expected = expected < 0 ? opt.frames : std::min(expected, opt.frames);

  std::vector<std::string> columns = {"frame", "time_s", "edge_ms", "local_miou", "raw_mean_max_prob"};
  for (const std::string& c : nn::softmax_stat_columns()) columns.push_back(c);
  for (double s : opt.scales)
    for (const char* k : {"bytes@", "encode_ms@", "server_ms@", "server_miou@"}) columns.push_back(k + scale_name(s));
  CsvWriter table(columns);

  video::Scaler scaler;
  video::Frame yuv, rgb;
  Progress progress("profiled", expected);
  int64_t done = 0;
  while ((opt.frames < 0 || done < opt.frames) && reader.read(&yuv)) {
    scaler.convert(yuv, W, H, video::PixelFormat::kRgb24, &rgb);
    std::vector<uint8_t> ref;
    if (reference) {
      ref = reference->run({&rgb}, W, H)[0].labels;
    } else {
      auto it = truth.files.find(yuv.index);
      check<InputError>(it != truth.files.end(), opt.ground_truth, ": no labels for frame ", yuv.index);
      video::Frame g = video::read_image(it->second, video::PixelFormat::kGray8);
      check<InputError>(g.width == W && g.height == H, it->second, ": labels are ", g.width, "x", g.height,
                        ", the video is ", W, "x", H);
      ref.assign(g.data.begin(), g.data.begin() + size_t(W) * H);
    }
    if (done == 0) {  // warm-up, untimed: a model's first run compiles and allocates
      edge->run({&rgb}, W, H);
      server->run({&rgb}, W, H);
    }
    auto t0 = std::chrono::steady_clock::now();
    nn::Segmentation local = std::move(edge->run({&rgb}, W, H)[0]);
    const double edge_ms = ms_since(t0) - local.raw_stats_ms;  // the raw statistics are the profile's, not the device's
    const nn::SoftmaxStats& st = local.stats;
    const double raw = opt.calibrator.empty() ? st.mean_max_prob : local.raw_stats.mean_max_prob;
    std::vector<std::string> row = {std::to_string(yuv.index), csv_number(yuv.time_s), csv_number(edge_ms),
                                    csv_number(frame_miou(local.labels, ref, C)), csv_number(raw)};
    for (double v : nn::stat_values(st)) row.push_back(csv_number(v));
    for (double s : opt.scales) {
      codec::RoundTripOptions ro;
      ro.qp = opt.qp, ro.scale = s, ro.preset = opt.preset, ro.gop_frames = 1, ro.fps = info.fps, ro.decode = true;
      auto te = std::chrono::steady_clock::now();
      codec::RoundTripResult rt = codec::round_trip({yuv}, ro, &scaler);
      const double encode_ms = ms_since(te);
      auto ts = std::chrono::steady_clock::now();
      nn::Segmentation served = std::move(server->run({&rt.decoded[0]}, W, H)[0]);
      const double server_ms = ms_since(ts);
      for (double v : {double(rt.total_bytes), encode_ms, server_ms, frame_miou(served.labels, ref, C)})
        row.push_back(csv_number(v));
    }
    table.add_row(row);
    progress.update(++done);
  }
  check<InputError>(done > 0, opt.input, ": no frames from frame ", opt.start);
  progress.finish();

  Json m = new_manifest("offload-profile", kOffloadProfileVersion);
  m["edge_model"] = {{"name", edge->card().name}, {"weights_sha256", model_sha(edge->card())}};
  m["server_model"] = {{"name", server->card().name}, {"weights_sha256", model_sha(server->card())}};
  m["calibrator_sha256"] = calibrator_sha;
  m["scales"] = opt.scales;
  m["qp"] = opt.qp;
  m["preset"] = opt.preset;
  m["encode"] = "each frame one IDR frame (x264, constant QP), bytes with the SPS/PPS";
  m["fps"] = info.fps.value();
  m["width"] = W, m["height"] = H;
  m["frames"] = done;
  m["classes"] = edge->card().classes;
  m["reference"] = opt.ground_truth.empty() ? "model " + reference->card().name : "ground truth";
  add_input(m, "video", opt.input);
  if (!opt.calibrator.empty()) add_input(m, "calibrator", opt.calibrator);
  if (!opt.ground_truth.empty()) m["ground_truth"] = opt.ground_truth;
  table.write(opt.output, opt.force);
  write_manifest(manifest_path_for(opt.output), m, opt.force);
}

OffloadProfile read_offload_profile(const std::string& path) {
  OffloadProfile p;
  p.path = path;
  read_artefact(manifest_path_for(path), [&] {
    const std::string mp = manifest_path_for(path);
    p.manifest = read_manifest(mp, "offload-profile", kOffloadProfileVersion);
    const Json& m = p.manifest;
    p.edge_name = m.at("edge_model").at("name").get<std::string>();
    p.edge_sha256 = m.at("edge_model").at("weights_sha256").get<std::string>();
    p.server_name = m.at("server_model").at("name").get<std::string>();
    p.server_sha256 = m.at("server_model").at("weights_sha256").get<std::string>();
    p.calibrator_sha256 = json_get<std::string>(m, "calibrator_sha256", mp);
    p.scales = json_array_as<double>(m.at("scales"), "scales", mp);
    p.qp = json_get<int>(m, "qp", mp);
    p.fps = json_get<double>(m, "fps", mp);
    p.width = json_get<int>(m, "width", mp), p.height = json_get<int>(m, "height", mp);
    check<InputError>(!p.scales.empty() && p.fps > 0, mp, ": no scales, or fps ", p.fps);
  });
  const CsvTable t = read_csv(path);
  auto num = [&](size_t r, const std::string& col) {
    const double v = t.number(r, col);
    check<InputError>(std::isfinite(v), path, ": row ", r + 1, ", column ", col, " is ", v);
    return v;
  };
  for (size_t r = 0; r < t.rows.size(); ++r) {
    OffloadFrame f;
    f.frame = t.integer(r, "frame");
    f.time_s = num(r, "time_s"), f.edge_ms = num(r, "edge_ms"), f.local_miou = num(r, "local_miou");
    f.raw_confidence = num(r, "raw_mean_max_prob");
    for (const std::string& c : nn::softmax_stat_columns()) f.stats.push_back(num(r, c));
    for (double s : p.scales) {
      const std::string n = scale_name(s);
      f.bytes.push_back(num(r, "bytes@" + n)), f.encode_ms.push_back(num(r, "encode_ms@" + n));
      f.server_ms.push_back(num(r, "server_ms@" + n)), f.server_miou.push_back(num(r, "server_miou@" + n));
      check<InputError>(f.bytes.back() > 0, path, ": row ", r + 1, ": bytes@", n, " is not positive");
    }
    check<InputError>(p.frames.empty() || f.frame > p.frames.back().frame, path, ": row ", r + 1, ": frame ", f.frame,
                      " does not follow ", p.frames.empty() ? 0 : p.frames.back().frame);
    p.frames.push_back(std::move(f));
  }
  check<InputError>(!p.frames.empty(), path, ": no frames");
  return p;
}

}  // namespace vssoff::cbo
