#include "penance/profile.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "codec/round_trip.h"
#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/plugin.h"
#include "metrics/evaluate_segmentation.h"
#include "metrics/segmentation.h"
#include "nn/segmenter.h"
#include "penance/table.h"
#include "video/picture.h"
#include "video/reader.h"
#include "video/scaler.h"

namespace fs = std::filesystem;

namespace vssoff::penance {
namespace {

std::string fmt(double v) { return std::isnan(v) ? "" : csv_number(v); }

// Mean |horizontal| + |vertical| luma gradient of a frame (intra complexity) and mean
// |luma difference| between consecutive frames (inter complexity), in 8-bit units.
double intra_complexity(const video::Frame& f) {
  const uint8_t* y = f.plane(0);
  double sum = 0;
  for (int r = 0; r + 1 < f.height; ++r)
    for (int c = 0; c + 1 < f.width; ++c) {
      const uint8_t* p = y + r * f.stride(0) + c;
      sum += std::abs(p[1] - p[0]) + std::abs(p[f.stride(0)] - p[0]);
    }
  return sum / (double(f.width - 1) * (f.height - 1));
}

double inter_complexity(const std::vector<video::Frame>& frames) {
  if (frames.size() < 2) return 0;
  double sum = 0;
  for (size_t i = 1; i < frames.size(); ++i) {
    const uint8_t *a = frames[i - 1].plane(0), *b = frames[i].plane(0);
    for (int r = 0; r < frames[i].height; ++r)
      for (int c = 0; c < frames[i].width; ++c)
        sum += std::abs(a[r * frames[i].stride(0) + c] - b[r * frames[i].stride(0) + c]);
  }
  return sum / (double(frames[0].width) * frames[0].height * (frames.size() - 1));
}

// Bytes of a quick probe encode: the segment at half the size (each side), x264 ultrafast
// at `qp`. The camera can afford two for every segment (a sixteenth of the work of one
// full-size veryfast encode each), and they see what H.264 sees (motion-compensated
// residuals), which a frame difference does not; two QPs give the segment's rate slope.
// Headers are not counted (tables made so far did not).
double probe_bytes(const std::vector<video::Frame>& frames, video::Rational fps, int qp, video::Scaler* scaler) {
  codec::RoundTripOptions o;
  o.width = std::max(16, frames[0].width / 2 / 2 * 2);  // not scaled_size(): the rule the tables were made with
  o.height = std::max(16, frames[0].height / 2 / 2 * 2);
  o.preset = "ultrafast";
  o.qp = qp;
  o.threads = 1;
  o.gop_frames = static_cast<int>(frames.size());
  o.fps = fps;
  const codec::RoundTripResult r = codec::round_trip(frames, o, scaler);
  return static_cast<double>(r.total_bytes - r.header_bytes);
}

// GFLOPs of one frame: the card's figure scaled to the pixels the model runs on, which are
// the card's fixed input size when it has one.
double server_gflops(const nn::ModelCard& c, double frame_pixels) {
  const double pixels = c.input_width > 0 ? double(c.input_width) * c.input_height : frame_pixels;
  return c.gflops * pixels / (double(c.cost_width) * c.cost_height);
}

}  // namespace

void ProfileOptions::check() const {
  vssoff::check<UsageError>(!input.empty() && !output.empty(), "give the input video and the output table (-o)");
  vssoff::check<UsageError>(fs::path(output).extension() == ".csv", "output must end in .csv (got ", output, ")");
  vssoff::check<UsageError>(!models.empty(), "give at least one server model (--models)");
  vssoff::check<UsageError>(!qps.empty() && !scales.empty(), "give at least one QP and one scale");
  for (int q : qps) vssoff::check<UsageError>(q >= 0 && q <= 51, "QPs must be in [0, 51] (got ", q, ")");
  for (double s : scales) vssoff::check<UsageError>(s > 0 && s <= 1, "scales must be in (0, 1] (got ", s, ")");
  vssoff::check<UsageError>(std::set<int>(qps.begin(), qps.end()).size() == qps.size(), "a QP is listed twice");
  vssoff::check<UsageError>(std::set<double>(scales.begin(), scales.end()).size() == scales.size(),
                            "a scale is listed twice");
  vssoff::check<UsageError>(segment_frames >= 1, "segment frames must be >= 1 (got ", segment_frames, ")");
  vssoff::check<UsageError>(acc_frames >= 0, "acc frames must be >= 0 (got ", acc_frames, ")");
  vssoff::check<UsageError>(server_input == "sent" || server_input == "original",
                            "server input must be sent or original (got ", server_input, ")");
  vssoff::check<UsageError>(shard_count >= 1 && shard_index >= 0 && shard_index < shard_count, "bad shard ",
                            shard_index, "/", shard_count);
}

ProfileResult profile(const ProfileOptions& opt) {
  opt.check();
  auto t0 = std::chrono::steady_clock::now();
  check_input_file(opt.input, "video");
  const std::string partial = opt.output + ".partial", manifest_path = manifest_path_for(opt.output);
  check_output_path(opt.output, opt.force);
  check_output_path(manifest_path, opt.force);
  if (!opt.resume) {
    check<InputError>(opt.force || !fs::exists(partial), partial, " exists from an interrupted run: pass --resume to ",
                      "continue it or --force to start over");
  }

  // Models, cheapest first as given; the reference model for accuracy without ground truth.
  nn::SegmenterOptions so;
  so.threads = opt.threads;
  std::vector<std::unique_ptr<nn::Segmenter>> models;
  std::vector<std::string> names;
  for (const std::string& m : opt.models) {
    models.push_back(std::make_unique<nn::Segmenter>(m, so));
    names.push_back(models.back()->card().name);
  }
  check<UsageError>(std::set<std::string>(names.begin(), names.end()).size() == names.size(),
                    "two models have the same name");
  std::unique_ptr<nn::Segmenter> reference_owner;
  nn::Segmenter* reference = nullptr;
  metrics::LabelSet truth;
  if (!opt.ground_truth.empty()) {
    truth = metrics::open_label_set(opt.ground_truth);
  } else if (!opt.reference_model.empty()) {
    reference_owner = std::make_unique<nn::Segmenter>(opt.reference_model, so);
    reference = reference_owner.get();
  } else {
    reference = models.back().get();
  }

  video::ReaderOptions ro;
  ro.format = video::PixelFormat::kYuv420p;
  video::VideoReader reader(opt.input, ro);
  const video::VideoInfo info = reader.info();
  const int W = info.width, H = info.height;
  check<InputError>(info.frame_count > 0, opt.input, ": the container does not state its frame count; remux it to mp4");
  const int64_t segments = (info.frame_count + opt.segment_frames - 1) / opt.segment_frames;
  const video::Rational fps = info.fps.valid() ? info.fps : video::Rational{30, 1};

  std::vector<std::string> header = {"segment",
                                     "first_frame",
                                     "frames",
                                     "model",
                                     "qp",
                                     "scale",
                                     "width",
                                     "height",
                                     "bytes",
                                     "kbps",
                                     "miou",
                                     "pixel_accuracy",
                                     "gflops",
                                     "intra_complexity",
                                     "inter_complexity",
                                     "probe_bytes_qp26",
                                     "probe_bytes_qp38",
                                     "mean_max_prob",
                                     "mean_norm_entropy",
                                     "mean_margin",
                                     "frac_maxprob_below_0.5",
                                     "frac_maxprob_below_0.7",
                                     "frac_maxprob_below_0.9"};
  const int C = static_cast<int>(models[0]->card().classes.size());
  for (const auto& m : models)
    check<InputError>(static_cast<int>(m->card().classes.size()) == C, m->card().card_path, ": ",
                      m->card().classes.size(), " classes, ", models[0]->card().card_path, " has ", C,
                      "; profile compares models of one label set");
  for (int k = 0; k < C; ++k) header.push_back("share_" + std::to_string(k));
  for (int k = 0; k < C; ++k) header.push_back("conf_" + std::to_string(k));

  // What makes rows of two runs interchangeable; kept beside OUT.partial so that --resume
  // cannot mix rows made with other settings.
  Json run_key = {{"video", fs::absolute(opt.input).string()},
                  {"qps", opt.qps},
                  {"scales", opt.scales},
                  {"segment_frames", opt.segment_frames},
                  {"acc_frames", opt.acc_frames},
                  {"preset", opt.preset},
                  {"server_input", opt.server_input},
                  {"ground_truth", opt.ground_truth},
                  {"reference_model", opt.reference_model},
                  {"shard", {opt.shard_index, opt.shard_count}},
                  {"models", nullptr}};
  std::vector<std::string> weights_sha;
  for (const auto& m : models) weights_sha.push_back(sha256_file(m->card().weights_path()));
  run_key["models"] = weights_sha;
  const std::string partial_key = partial + ".json";

  // Resume: segments whose every row is already in OUT.partial.
  std::vector<std::vector<std::string>> rows;
  std::set<int64_t> done;
  const size_t actions = models.size() * opt.qps.size() * opt.scales.size();
  if (opt.resume && fs::exists(partial)) {
    if (fs::exists(partial_key)) {
      Json before = Json::parse(read_file(partial_key), nullptr, false);
      check<InputError>(before.is_object(), partial_key,
                        ": not a settings record; delete it and the partial table, or pass --force");
      for (auto& [k, v] : run_key.items())
        check<InputError>(before.value(k, Json()) == v, partial, ": made with another ", k, " (",
                          before.value(k, Json()).dump(), ", this run ", v.dump(),
                          "); run with those settings, or pass --force to start over");
    }
    Table t = read_table(partial);  // segment, qp and scale checked to be numbers
    check<InputError>(t.header == header, partial, ": its columns differ from this run's (other models or classes?)");
    std::map<int64_t, size_t> per_segment;
    read_artefact(partial, [&] {
      for (auto& r : t.rows) ++per_segment[std::stoll(r[0])];
      for (auto& r : t.rows)
        if (per_segment[std::stoll(r[0])] == actions) rows.push_back(r);
    });
    for (auto [s, n] : per_segment)
      if (n == actions) done.insert(s);
    log_info("resuming: ", done.size(), " segment(s) already in ", partial);
  }
  write_rows(partial, header, rows);  // the partial file restarts from its complete segments
  write_file_atomic(partial_key, run_key.dump(2) + "\n", true);

  // Inference time per model and scale (the manifest's measured ms per frame).
  std::vector<std::vector<double>> model_seconds(models.size(), std::vector<double>(opt.scales.size(), 0.0));
  std::vector<std::vector<int64_t>> model_frames(models.size(), std::vector<int64_t>(opt.scales.size(), 0));
  std::vector<int64_t> mine;
  for (int64_t s = opt.shard_index; s < segments; s += opt.shard_count) mine.push_back(s);
  const bool as_sent = opt.server_input == "sent";
  Progress progress("profiled", static_cast<int64_t>(mine.size()), "segments");
  int64_t processed = 0, skipped = 0;
  video::Scaler scaler;
  for (int64_t s : mine) {
    if (done.count(s)) {
      ++skipped;
      progress.update(++processed);
      continue;
    }
    const int64_t first = s * opt.segment_frames;
    std::vector<video::Frame> frames;
    reader.seek(first);
    video::Frame f;
    while (static_cast<int>(frames.size()) < opt.segment_frames && reader.read(&f)) frames.push_back(f);
    check<InputError>(!frames.empty(), opt.input, ": no frames at segment ", s);
    for (size_t i = 0; i < frames.size(); ++i) frames[i].index = static_cast<int64_t>(i);  // pts within the GOP
    const int n = static_cast<int>(frames.size());
    std::vector<int> acc;  // positions in the segment that are scored
    if (opt.acc_frames == 0 || opt.acc_frames >= n)
      for (int i = 0; i < n; ++i) acc.push_back(i);
    else
      for (int j = 0; j < opt.acc_frames; ++j) acc.push_back(static_cast<int>((j + 0.5) * n / opt.acc_frames));

    // Reference labels of the scored frames.
    std::vector<std::vector<uint8_t>> ref(acc.size());
    for (size_t j = 0; j < acc.size(); ++j) {
      const int64_t index = first + acc[j];
      if (reference) {
        video::Frame rgb;
        scaler.convert(frames[acc[j]], W, H, video::PixelFormat::kRgb24, &rgb);
        ref[j] = reference->run({&rgb})[0].labels;
      } else {
        auto it = truth.files.find(index);
        check<InputError>(it != truth.files.end(), opt.ground_truth, ": no labels for frame ", index);
        video::Frame g = video::read_image(it->second, video::PixelFormat::kGray8);
        check<InputError>(g.width == W && g.height == H, it->second, ": labels are ", g.width, "x", g.height,
                          ", the video ", W, "x", H);
        ref[j].assign(g.plane(0), g.plane(0) + size_t(W) * H);
      }
    }
    const double intra = intra_complexity(frames[0]), inter = inter_complexity(frames);
    const double probe_lo = probe_bytes(frames, fps, 26, &scaler), probe_hi = probe_bytes(frames, fps, 38, &scaler);

    std::vector<std::vector<std::string>> seg_rows;
    for (size_t si = 0; si < opt.scales.size(); ++si) {
      const double scale = opt.scales[si];
      for (int qp : opt.qps) {
        codec::RoundTripOptions o;
        o.qp = qp;
        o.scale = scale;
        o.preset = opt.preset;
        o.gop_frames = opt.segment_frames;
        o.fps = fps;
        o.decode = true;
        o.decode_format = video::PixelFormat::kRgb24;
        o.decode_at_input_size = !as_sent;  // the frames as the server runs them
        const codec::RoundTripResult rt = codec::round_trip(frames, o, &scaler);
        const int sw = rt.width, sh = rt.height;
        const int64_t bytes = rt.total_bytes;
        std::vector<const video::Frame*> ptrs;
        for (int i : acc) ptrs.push_back(&rt.decoded[i]);
        const double served_pixels = as_sent ? double(sw) * sh : double(W) * H;
        const double kbps = bytes * 8.0 / (n / fps.value()) / 1000;
        for (size_t m = 0; m < models.size(); ++m) {
          auto tm = std::chrono::steady_clock::now();
          std::vector<nn::Segmentation> out_m = models[m]->run(ptrs, {}, W, H);  // labels at the original size
          model_seconds[m][si] += std::chrono::duration<double>(std::chrono::steady_clock::now() - tm).count();
          model_frames[m][si] += static_cast<int64_t>(ptrs.size());
          metrics::ConfusionMatrix cm(C);
          std::vector<double> st(6 + 2 * C, 0.0), conf_n(C, 0.0);
          for (size_t j = 0; j < acc.size(); ++j) {
            cm.add(out_m[j].labels.data(), ref[j].data(), ref[j].size());
            const nn::SoftmaxStats& x = out_m[j].stats;
            double v[6] = {x.mean_max_prob,  x.mean_norm_entropy, x.mean_margin,
                           x.frac_below_050, x.frac_below_070,    x.frac_below_090};
            for (int k = 0; k < 6; ++k) st[k] += v[k] / acc.size();
            for (int k = 0; k < C; ++k) {
              st[6 + k] += x.class_share[k] / acc.size();
              if (!std::isnan(x.class_confidence[k])) st[6 + C + k] += x.class_confidence[k], conf_n[k] += 1;
            }
          }
          std::vector<std::string> row = {std::to_string(s),
                                          std::to_string(first),
                                          std::to_string(n),
                                          names[m],
                                          std::to_string(qp),
                                          csv_number(scale),
                                          std::to_string(sw),
                                          std::to_string(sh),
                                          std::to_string(bytes),
                                          fmt(kbps),
                                          fmt(cm.mean_iou()),
                                          fmt(cm.pixel_accuracy()),
                                          fmt(server_gflops(models[m]->card(), served_pixels)),
                                          fmt(intra),
                                          fmt(inter),
                                          fmt(probe_lo),
                                          fmt(probe_hi)};
          for (int k = 0; k < 6 + C; ++k) row.push_back(fmt(st[k]));
          for (int k = 0; k < C; ++k) row.push_back(conf_n[k] > 0 ? fmt(st[6 + C + k] / conf_n[k]) : "");
          seg_rows.push_back(std::move(row));
        }
      }
    }
    rows.insert(rows.end(), seg_rows.begin(), seg_rows.end());
    {  // append this segment's rows, so that a crash keeps them
      std::ofstream app(partial, std::ios::app);
      CsvWriter w(header);
      for (const auto& r : seg_rows) w.add_row(r);
      const std::string& text = w.text();
      app << text.substr(text.find('\n') + 1);
      app.flush();
      check<InputError>(static_cast<bool>(app), partial, ": write failed");
    }
    progress.update(++processed);
  }
  progress.finish();

  sort_rows(&rows, names);
  Json m = new_manifest("profile", kProfileVersion);
  Json model_list = Json::array();
  for (size_t i = 0; i < models.size(); ++i) {
    const nn::ModelCard& c = models[i]->card();
    double seconds = 0;
    int64_t frames_run = 0;
    Json by_scale = Json::array();
    for (size_t si = 0; si < opt.scales.size(); ++si) {
      seconds += model_seconds[i][si];
      frames_run += model_frames[i][si];
      by_scale.push_back(model_frames[i][si] ? Json(1000 * model_seconds[i][si] / model_frames[i][si]) : Json(nullptr));
    }
    model_list.push_back({{"name", names[i]},
                          {"card", c.card_path},
                          {"gflops", c.gflops},
                          {"weights_sha256", weights_sha[i]},
                          {"ms_per_frame", frames_run ? Json(1000 * seconds / frames_run) : Json(nullptr)},
                          {"ms_per_frame_by_scale", by_scale}});
  }
  m["params"] = {{"models", model_list},
                 {"qps", opt.qps},
                 {"scales", opt.scales},
                 {"segment_frames", opt.segment_frames},
                 {"acc_frames", opt.acc_frames},
                 {"reference", reference ? "model:" + (reference_owner ? reference->card().name : names.back())
                                         : std::string("ground-truth")},
                 {"preset", opt.preset},
                 {"server_input", opt.server_input},
                 {"width", W},
                 {"height", H},
                 {"fps", fps.value()},
                 {"frame_count", info.frame_count},
                 {"segments", segments},
                 {"classes", C}};
  m["shard"] = {{"index", opt.shard_index}, {"count", opt.shard_count}, {"segments", Json(mine)}};
  add_input(m, "video", fs::absolute(opt.input).string());
  if (!opt.ground_truth.empty()) add_input(m, "ground_truth", opt.ground_truth);
  write_rows(opt.output, header, rows);  // atomic
  add_sidecar(m, "table", manifest_path, opt.output);
  write_manifest(manifest_path, m, true);
  fs::remove(partial);
  fs::remove(partial_key);

  ProfileResult r;
  r.segments = static_cast<int64_t>(mine.size());
  r.skipped_segments = skipped;
  r.rows = static_cast<int64_t>(rows.size());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.manifest = m;
  return r;
}

VSSOFF_PLUGIN_ENTRY(vssoff::penance::profile);

}  // namespace vssoff::penance
