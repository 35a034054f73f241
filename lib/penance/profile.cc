#include "penance/profile.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
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
#include "penance/features.h"
#include "penance/table.h"
#include "video/picture.h"
#include "video/reader.h"
#include "video/scaler.h"

namespace fs = std::filesystem;

namespace vssoff::penance {
namespace {

std::string fmt(double v) { return std::isnan(v) ? "" : csv_number(v); }

// The server side: the models compared and what their accuracy is measured against.
struct Server {
  std::vector<std::unique_ptr<nn::Segmenter>> models;  // cheapest first, as given
  std::vector<std::string> names;                      // their cards' names, distinct
  std::unique_ptr<nn::Segmenter> reference_owner;      // a --reference-model of its own
  nn::Segmenter* reference = nullptr;                  // labels from this model, or else
  metrics::LabelSet truth;                             // from the ground truth
};

// Loads the models and the reference; UsageError when two models share a name.
Server open_server(const ProfileOptions& opt) {
  nn::SegmenterOptions so;
  so.threads = opt.threads;
  Server s;
  for (const std::string& m : opt.models) {
    s.models.push_back(std::make_unique<nn::Segmenter>(m, so));
    s.names.push_back(s.models.back()->card().name);
  }
  check<UsageError>(std::set<std::string>(s.names.begin(), s.names.end()).size() == s.names.size(),
                    "two models have the same name");
  if (!opt.ground_truth.empty()) {
    s.truth = metrics::open_label_set(opt.ground_truth);
  } else if (!opt.reference_model.empty()) {
    s.reference_owner = std::make_unique<nn::Segmenter>(opt.reference_model, so);
    s.reference = s.reference_owner.get();
  } else {
    s.reference = s.models.back().get();
  }
  return s;
}

// The class count the models share; InputError when they differ.
int shared_class_count(const Server& server) {
  const auto& models = server.models;
  const int C = static_cast<int>(models[0]->card().classes.size());
  for (const auto& m : models)
    check<InputError>(static_cast<int>(m->card().classes.size()) == C, m->card().card_path, ": ",
                      m->card().classes.size(), " classes, ", models[0]->card().card_path, " has ", C,
                      "; profile compares models of one label set");
  return C;
}

// The table's columns for C classes (profile.h).
std::vector<std::string> table_header(int C) {
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
                                     "probe_bytes_qp38"};
  for (const std::string& c : nn::softmax_stat_columns()) header.push_back(c);
  for (int k = 0; k < C; ++k) header.push_back("share_" + std::to_string(k));
  for (int k = 0; k < C; ++k) header.push_back("conf_" + std::to_string(k));
  return header;
}

// What makes rows of two runs interchangeable; kept beside OUT.partial so that --resume
// cannot mix rows made with other settings.
Json run_key(const ProfileOptions& opt, const std::vector<std::string>& weights_sha) {
  return {{"video", fs::absolute(opt.input).string()},
          {"qps", opt.qps},
          {"scales", opt.scales},
          {"segment_frames", opt.segment_frames},
          {"acc_frames", opt.acc_frames},
          {"preset", opt.preset},
          {"server_input", opt.server_input},
          {"ground_truth", opt.ground_truth},
          {"reference_model", opt.reference_model},
          {"shard", {opt.shard_index, opt.shard_count}},
          {"models", weights_sha}};
}

// One segment's frames and what every action of it shares.
struct Segment {
  int64_t index = 0, first = 0;           // segment index; its first frame in the video
  std::vector<video::Frame> frames;       // kYuv420p, index = position in the segment (pts within the GOP)
  std::vector<int> scored;                // positions whose accuracy and statistics are measured
  std::vector<std::vector<uint8_t>> ref;  // [scored] reference labels at the video's size
  double intra = 0, inter = 0;            // complexities (see above)
  double probe_lo = 0, probe_hi = 0;      // probe bytes at QP 26 and 38
};

// The frames of segment s; InputError when there are none.
void read_segment(video::VideoReader* reader, const ProfileOptions& opt, int64_t s, Segment* seg) {
  seg->index = s;
  seg->first = s * opt.segment_frames;
  seg->frames.clear();
  reader->seek(seg->first);
  video::Frame f;
  while (static_cast<int>(seg->frames.size()) < opt.segment_frames && reader->read(&f)) seg->frames.push_back(f);
  check<InputError>(!seg->frames.empty(), opt.input, ": no frames at segment ", s);
  for (size_t i = 0; i < seg->frames.size(); ++i) seg->frames[i].index = static_cast<int64_t>(i);
}

// acc_frames evenly spaced positions of n (all when acc_frames is 0 or >= n).
std::vector<int> scored_positions(int n, int acc_frames) {
  std::vector<int> acc;
  if (acc_frames == 0 || acc_frames >= n)
    for (int i = 0; i < n; ++i) acc.push_back(i);
  else
    for (int j = 0; j < acc_frames; ++j) acc.push_back(static_cast<int>((j + 0.5) * n / acc_frames));
  return acc;
}

// Reference labels of the scored frames: the reference model on the original frames, or
// the ground truth (InputError when a frame's labels are missing or of another size).
std::vector<std::vector<uint8_t>> reference_labels(const Server& server, const ProfileOptions& opt, const Segment& seg,
                                                   int W, int H, video::Scaler* scaler) {
  std::vector<std::vector<uint8_t>> ref(seg.scored.size());
  for (size_t j = 0; j < seg.scored.size(); ++j) {
    const int64_t index = seg.first + seg.scored[j];
    if (server.reference) {
      video::Frame rgb;
      scaler->convert(seg.frames[seg.scored[j]], W, H, video::PixelFormat::kRgb24, &rgb);
      ref[j] = server.reference->run({&rgb})[0].labels;
    } else {
      auto it = server.truth.files.find(index);
      check<InputError>(it != server.truth.files.end(), opt.ground_truth, ": no labels for frame ", index);
      video::Frame g = video::read_image(it->second, video::PixelFormat::kGray8);
      check<InputError>(g.width == W && g.height == H, it->second, ": labels are ", g.width, "x", g.height,
                        ", the video ", W, "x", H);
      ref[j].assign(g.plane(0), g.plane(0) + size_t(W) * H);
    }
  }
  return ref;
}

// Inference time per model and scale (the manifest's measured ms per frame).
struct ModelTime {
  std::vector<std::vector<double>> seconds;  // [model][scale]
  std::vector<std::vector<int64_t>> frames;  // [model][scale]
};

// The encoded segment at one (qp, scale), as the table states it.
struct Encoded {
  int qp = 0;
  double scale = 1;
  int width = 0, height = 0;  // encoded size
  int64_t bytes = 0;          // headers included
  double kbps = 0;
};

// One row: model m on the served frames of an encoded segment, scored against the reference.
std::vector<std::string> score_model(const Server& server, size_t m, const Segment& seg, const Encoded& enc,
                                     const std::vector<const video::Frame*>& served, int served_w, int served_h, int C,
                                     int W, int H, double* seconds) {
  auto tm = std::chrono::steady_clock::now();
  std::vector<nn::Segmentation> out_m = server.models[m]->run(served, {}, W, H);  // labels at the original size
  *seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - tm).count();
  const size_t n_acc = seg.scored.size();
  metrics::ConfusionMatrix cm(C);
  std::vector<const nn::SoftmaxStats*> frame_stats;
  for (size_t j = 0; j < n_acc; ++j) {
    cm.add(out_m[j].labels.data(), seg.ref[j].data(), seg.ref[j].size());
    frame_stats.push_back(&out_m[j].stats);
  }
  const std::vector<double> st = nn::pooled_stats(frame_stats, C);
  std::vector<std::string> row = {std::to_string(seg.index),
                                  std::to_string(seg.first),
                                  std::to_string(seg.frames.size()),
                                  server.names[m],
                                  std::to_string(enc.qp),
                                  csv_number(enc.scale),
                                  std::to_string(enc.width),
                                  std::to_string(enc.height),
                                  std::to_string(enc.bytes),
                                  fmt(enc.kbps),
                                  fmt(cm.mean_iou()),
                                  fmt(cm.pixel_accuracy()),
                                  fmt(server.models[m]->card().gflops_at(served_w, served_h)),
                                  fmt(seg.intra),
                                  fmt(seg.inter),
                                  fmt(seg.probe_lo),
                                  fmt(seg.probe_hi)};
  for (double v : st) row.push_back(fmt(v));
  return row;
}

// Every action of a segment: one round trip per (scale, qp), whose decoded frames serve
// every model. Rows in scale, qp, model order; adds inference time to *time.
std::vector<std::vector<std::string>> profile_segment(const Server& server, const ProfileOptions& opt,
                                                      const Segment& seg, int C, int W, int H, video::Rational fps,
                                                      video::Scaler* scaler, ModelTime* time) {
  const bool as_sent = opt.server_input == "sent";
  const int n = static_cast<int>(seg.frames.size());
  std::vector<std::vector<std::string>> rows;
  for (size_t si = 0; si < opt.scales.size(); ++si) {
    for (int qp : opt.qps) {
      codec::RoundTripOptions o;
      o.qp = qp;
      o.scale = opt.scales[si];
      o.preset = opt.preset;
      o.gop_frames = opt.segment_frames;
      o.fps = fps;
      o.decode = true;
      o.decode_format = video::PixelFormat::kRgb24;
      o.decode_at_input_size = !as_sent;  // the frames as the server runs them
      const codec::RoundTripResult rt = codec::round_trip(seg.frames, o, scaler);
      std::vector<const video::Frame*> served;
      for (int i : seg.scored) served.push_back(&rt.decoded[i]);
      Encoded enc{qp, o.scale, rt.width, rt.height, rt.total_bytes, rt.total_bytes * 8.0 / (n / fps.value()) / 1000};
      const int served_w = as_sent ? rt.width : W, served_h = as_sent ? rt.height : H;
      for (size_t m = 0; m < server.models.size(); ++m) {
        rows.push_back(score_model(server, m, seg, enc, served, served_w, served_h, C, W, H, &time->seconds[m][si]));
        time->frames[m][si] += static_cast<int64_t>(served.size());
      }
    }
  }
  return rows;
}

// Appends a segment's rows to the partial table, so that a crash keeps them.
void append_rows(const std::string& partial, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  CsvWriter w(header);
  for (const auto& r : rows) w.add_row(r);
  const std::string& text = w.text();
  OutputFile app(partial, /*append=*/true);
  app.write(std::string_view(text).substr(text.find('\n') + 1));
  app.close();
}

// The manifest's models: card, weights and measured ms per frame (overall and per scale).
Json model_entries(const Server& server, const std::vector<std::string>& weights_sha, const ModelTime& time) {
  Json model_list = Json::array();
  for (size_t i = 0; i < server.models.size(); ++i) {
    const nn::ModelCard& c = server.models[i]->card();
    double seconds = 0;
    int64_t frames_run = 0;
    Json by_scale = Json::array();
    for (size_t si = 0; si < time.seconds[i].size(); ++si) {
      seconds += time.seconds[i][si];
      frames_run += time.frames[i][si];
      by_scale.push_back(time.frames[i][si] ? Json(1000 * time.seconds[i][si] / time.frames[i][si]) : Json(nullptr));
    }
    model_list.push_back({{"name", server.names[i]},
                          {"card", c.card_path},
                          {"gflops", c.gflops},
                          {"weights_sha256", weights_sha[i]},
                          {"ms_per_frame", frames_run ? Json(1000 * seconds / frames_run) : Json(nullptr)},
                          {"ms_per_frame_by_scale", by_scale}});
  }
  return model_list;
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
  const Server server = open_server(opt);

  video::ReaderOptions ro;
  ro.format = video::PixelFormat::kYuv420p;
  video::VideoReader reader(opt.input, ro);
  const video::VideoInfo info = reader.info();
  const int W = info.width, H = info.height;
  check<InputError>(info.frame_count > 0, opt.input, ": the container does not state its frame count; remux it to mp4");
  const int64_t segments = (info.frame_count + opt.segment_frames - 1) / opt.segment_frames;
  const video::Rational fps = info.fps.valid() ? info.fps : video::Rational{30, 1};
  const int C = shared_class_count(server);
  const std::vector<std::string> header = table_header(C);

  std::vector<std::string> weights_sha;
  for (const auto& m : server.models) weights_sha.push_back(sha256_file(m->card().weights_path()));
  const Json key = run_key(opt, weights_sha);
  std::vector<std::vector<std::string>> rows;
  std::set<int64_t> done;
  if (opt.resume && fs::exists(partial)) {
    done =
        read_complete_segments(partial, key, header, server.models.size() * opt.qps.size() * opt.scales.size(), &rows);
    log_info("resuming: ", done.size(), " segment(s) already in ", partial);
  }
  write_rows(partial, header, rows);  // the partial file restarts from its complete segments
  write_file_atomic(partial + ".json", key.dump(2) + "\n", true);

  ModelTime time{std::vector<std::vector<double>>(server.models.size(), std::vector<double>(opt.scales.size(), 0.0)),
                 std::vector<std::vector<int64_t>>(server.models.size(), std::vector<int64_t>(opt.scales.size(), 0))};
  std::vector<int64_t> mine;
  for (int64_t s = opt.shard_index; s < segments; s += opt.shard_count) mine.push_back(s);
  Progress progress("profiled", static_cast<int64_t>(mine.size()), "segments");
  int64_t processed = 0, skipped = 0;
  video::Scaler scaler;
  Segment seg;
  for (int64_t s : mine) {
    if (done.count(s)) {
      ++skipped;
      progress.update(++processed);
      continue;
    }
    read_segment(&reader, opt, s, &seg);
    seg.scored = scored_positions(static_cast<int>(seg.frames.size()), opt.acc_frames);
    seg.ref = reference_labels(server, opt, seg, W, H, &scaler);
    seg.intra = intra_complexity(seg.frames[0]);
    seg.inter = inter_complexity(seg.frames);
    seg.probe_lo = probe_bytes(seg.frames, fps, 26, &scaler);
    seg.probe_hi = probe_bytes(seg.frames, fps, 38, &scaler);
    std::vector<std::vector<std::string>> seg_rows = profile_segment(server, opt, seg, C, W, H, fps, &scaler, &time);
    rows.insert(rows.end(), seg_rows.begin(), seg_rows.end());
    append_rows(partial, header, seg_rows);
    progress.update(++processed);
  }
  progress.finish();

  sort_rows(&rows, server.names);
  Json m = new_manifest("profile", kProfileVersion);
  m["params"] = {{"models", model_entries(server, weights_sha, time)},
                 {"qps", opt.qps},
                 {"scales", opt.scales},
                 {"segment_frames", opt.segment_frames},
                 {"acc_frames", opt.acc_frames},
                 {"reference", server.reference ? "model:" + (server.reference_owner ? server.reference->card().name
                                                                                     : server.names.back())
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
  fs::remove(partial + ".json");

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
