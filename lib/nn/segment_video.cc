#include "nn/segment_video.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "core/plugin.h"
#include "video/picture.h"
#include "video/prefetch.h"

namespace fs = std::filesystem;

namespace vssoff::nn {
namespace {

std::string frame_png(const std::string& dir, int64_t i) {
  return (fs::path(dir) / video::frame_file_name(i)).string();
}

std::string column_name(const std::string& name) {
  std::string s;
  for (char c : name) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return s;
}

std::string num(double v) { return std::isnan(v) ? "" : csv_number(v); }

}  // namespace

void SegmentOptions::check() const {
  segmenter.check();
  vssoff::check<UsageError>(!input.empty() && !output_dir.empty() && !model.empty(),
                            "give the input video, the output directory (-o) and the model (--model)");
  vssoff::check<UsageError>(batch >= 1 && batch <= 64, "batch must be in [1, 64] (got ", batch, ")");
  range().check();
  vssoff::check<UsageError>(overlay_every >= 0, "overlay interval must be >= 0 (got ", overlay_every, ")");
  vssoff::check<UsageError>(logit_samples >= 0 && logit_samples <= 1'000'000,
                            "logit samples per frame must be in [0, 1e6]");
}

SegmentResult segment_video(const SegmentOptions& opt) {
  opt.check();
  auto t0 = std::chrono::steady_clock::now();
  AtomicOutput dir(opt.output_dir, opt.force, /*is_dir=*/true);
  hash_input_in_background(opt.input);  // for the manifest, beside the inference
  const std::string tmp = dir.temp_path();
  make_directories(tmp + "/labels");
  if (opt.segmenter.confidence_map) make_directories(tmp + "/confidence");
  if (opt.overlay_every > 0) make_directories(tmp + "/overlay");

  Segmenter seg(opt.model, opt.segmenter);
  video::ReaderOptions ro;
  ro.format = video::PixelFormat::kRgb24;
  ro.threads = opt.decode_threads;
  ro.strict_frame_count = opt.strict_length;
  auto reader = std::make_unique<video::VideoReader>(opt.input, ro);
  const video::VideoInfo info = reader->info();
  const video::FrameRange range = opt.range();
  int64_t expected = -1;
  if (info.frame_count > 0) {
    expected = range.selected(info.frame_count);
    check<InputError>(expected > 0, opt.input, ": start frame ", opt.start, " is past the end (", info.frame_count,
                      " frames)");
  }
  video::FramePrefetcher frames(std::move(reader), static_cast<size_t>(2 * opt.batch), range);

  std::vector<std::string> columns = {"frame", "time_s"};
  for (const std::string& c : softmax_stat_columns()) columns.push_back(c);
  std::unique_ptr<CsvWriter> stats;
  // Logit samples go to disk frame by frame: held until the end, they grew without bound
  // (20000 samples a frame are 0.9 MB of it).
  std::unique_ptr<NpyStreamWriter> logits_npy, samples_npy;
  if (opt.logit_samples > 0) {
    logits_npy = std::make_unique<NpyStreamWriter>(tmp + "/logits.npy", DType::kF32,
                                                   std::vector<int64_t>{seg.num_classes()}, false);
    samples_npy = std::make_unique<NpyStreamWriter>(tmp + "/samples.npy", DType::kI32, std::vector<int64_t>{3}, false);
  }
  std::vector<float> logits;
  std::vector<int32_t> positions;
  std::mt19937_64 rng(opt.seed);
  double inference_s = 0;
  int64_t done = 0;
  Progress progress("segmented", expected);
  std::vector<video::Frame> batch;
  const bool calibrated = !opt.segmenter.calibration.empty();
  auto flush = [&] {
    if (batch.empty()) return;
    std::vector<const video::Frame*> ptrs;
    for (const auto& f : batch) ptrs.push_back(&f);
    std::vector<int64_t> sample;
    const int64_t pixels = int64_t(batch[0].width) * batch[0].height;
    for (int k = 0; k < opt.logit_samples; ++k) sample.push_back(static_cast<int64_t>(rng() % pixels));
    auto ti = std::chrono::steady_clock::now();
    std::vector<Segmentation> out = seg.run(ptrs, sample);
    inference_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - ti).count();
    const int C = seg.num_classes();
    if (!stats) {
      for (int k = 0; k < C; ++k) columns.push_back("share_" + column_name(seg.card().classes[k]));
      for (int k = 0; k < C; ++k) columns.push_back("conf_" + column_name(seg.card().classes[k]));
      if (calibrated) columns.push_back("raw_mean_max_prob");
      stats = std::make_unique<CsvWriter>(columns);
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      const video::Frame& f = batch[i];
      const Segmentation& s = out[i];
      video::Frame labels;
      labels.allocate(f.width, f.height, video::PixelFormat::kGray8);
      std::copy(s.labels.begin(), s.labels.end(), labels.data.begin());
      video::write_png(frame_png(tmp + "/labels", f.index), labels, false, 1);
      if (!s.confidence.empty()) {
        std::copy(s.confidence.begin(), s.confidence.end(), labels.data.begin());
        video::write_png(frame_png(tmp + "/confidence", f.index), labels, false, 1);
      }
      if (opt.overlay_every > 0 && (done % opt.overlay_every) == 0)
        video::write_label_overlay(frame_png(tmp + "/overlay", f.index), f, s.labels.data(), 0.5, false);
      const SoftmaxStats& st = s.stats;
      std::vector<std::string> row = {std::to_string(f.index),   csv_number(f.time_s),  num(st.mean_max_prob),
                                      num(st.mean_norm_entropy), num(st.mean_margin),   num(st.frac_below_050),
                                      num(st.frac_below_070),    num(st.frac_below_090)};
      for (double v : st.class_share) row.push_back(num(v));
      for (double v : st.class_confidence) row.push_back(num(v));
      if (calibrated) row.push_back(num(s.raw_stats.mean_max_prob));
      stats->add_row(row);
      if (!sample.empty()) {
        logits.clear();
        positions.clear();
        for (size_t k = 0; k < sample.size(); ++k) {
          for (int c = 0; c < C; ++c) logits.push_back(s.logits[c * sample.size() + k]);
          positions.insert(positions.end(), {static_cast<int32_t>(f.index), static_cast<int32_t>(sample[k] / f.width),
                                             static_cast<int32_t>(sample[k] % f.width)});
        }
        logits_npy->append(logits);
        samples_npy->append(positions);
      }
      ++done;
    }
    progress.update(done);
    batch.clear();
  };
  video::Frame f;
  while (frames.next(&f)) {
    if (!batch.empty() && (f.width != batch[0].width || f.height != batch[0].height)) flush();
    batch.push_back(std::move(f));
    if (static_cast<int>(batch.size()) == opt.batch) flush();
  }
  flush();
  progress.finish();
  check<InputError>(done > 0, opt.input, ": no frames to segment in the range asked for");

  const int C = seg.num_classes();
  stats->write((fs::path(tmp) / "stats.csv").string(), false);
  std::string manifest_path = (fs::path(tmp) / "manifest.json").string();
  Json m = new_manifest("segmentation", kSegmentationVersion);
  if (opt.logit_samples > 0) {
    logits_npy->finish();
    samples_npy->finish();
    add_sidecar(m, "logits", manifest_path, (fs::path(tmp) / "logits.npy").string());
    add_sidecar(m, "samples", manifest_path, (fs::path(tmp) / "samples.npy").string());
  }
  const ModelCard& card = seg.card();
  m["params"] = {{"start", opt.start},
                 {"frames", opt.frames},
                 {"every", opt.every},
                 {"batch", opt.batch},
                 {"threads", opt.segmenter.threads},
                 {"channels_last", opt.segmenter.channels_last},
                 {"device", opt.segmenter.device},
                 {"bf16", seg.using_bf16()},
                 {"logit_samples", opt.logit_samples},
                 {"seed", opt.seed}};
  m["model"] = {{"name", card.name},      {"architecture", card.architecture},
                {"card", card.card_path}, {"weights", card.weights_path()},
                {"gflops", card.gflops},  {"classes", C}};
  add_input(m, "video", opt.input);
  add_input(m, "model", card.weights_path());
  if (calibrated) add_input(m, "calibrator", opt.segmenter.calibration.source);
  Json legend = Json::array();
  for (int k = 0; k < C; ++k) {
    auto col = video::label_color(k);
    legend.push_back({{"id", k}, {"name", card.classes[k]}, {"color", {col[0], col[1], col[2]}}});
  }
  m["legend"] = legend;
  m["labels_pattern"] = "labels/%06d.png";
  m["frames_segmented"] = done;
  m["width"] = info.width;
  m["height"] = info.height;
  m["inference_fps"] = done / inference_s;
  add_sidecar(m, "stats", manifest_path, (fs::path(tmp) / "stats.csv").string());
  write_manifest(manifest_path, m, false);
  dir.commit();

  SegmentResult r;
  r.frames = done;
  r.inference_seconds = inference_s;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.manifest = m;
  return r;
}

VSSOFF_PLUGIN_ENTRY(vssoff::nn::segment_video);

}  // namespace vssoff::nn
