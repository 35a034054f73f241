#include "metrics/evaluate_segmentation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "metrics/calibration.h"
#include "video/picture.h"

namespace fs = std::filesystem;

namespace vssoff::metrics {
namespace {

// Frame index from the digits at the end of a file stem; -1 if there are none.
int64_t frame_index_of(const std::string& stem) {
  size_t end = stem.size(), begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(stem[begin - 1]))) --begin;
  if (begin == end || end - begin > 15) return -1;
  return std::stoll(stem.substr(begin));
}

Json number_or_null(double v) { return std::isnan(v) ? Json(nullptr) : Json(v); }
std::string csv_or_empty(double v) { return std::isnan(v) ? "" : csv_number(v); }

struct Accumulator {
  ConfusionMatrix cm;
  ForegroundAccuracy fg;
  int64_t frames = 0;
};

}  // namespace

LabelSet open_label_set(const std::string& path) {
  LabelSet set;
  set.path = path;
  std::error_code ec;
  check<InputError>(fs::is_directory(path, ec), "label set is not a directory: ", path);
  fs::path dir = path;
  fs::path manifest = fs::path(path) / "manifest.json";
  if (fs::exists(manifest))
    read_artefact(manifest.string(), [&] {
      Json m = Json::parse(read_file(manifest.string()), nullptr, false);
      if (m.is_object() && m.contains("labels_pattern")) {
        dir = (fs::path(path) / m["labels_pattern"].get<std::string>()).parent_path();
        if (m.contains("legend"))
          for (const Json& c : m["legend"]) {
            const int id = json_get<int>(c, "id", manifest.string());
            check<InputError>(id >= 0 && id < 255, manifest.string(), ": class id ", id,
                              " in \"legend\" is not a label value in [0, 254]");
            if (set.class_names.size() <= static_cast<size_t>(id)) set.class_names.resize(id + 1);
            set.class_names[id] = c.at("name").get<std::string>();
          }
      }
    });
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".png") continue;
    int64_t idx = frame_index_of(entry.path().stem().string());
    if (idx < 0) continue;
    auto [it, inserted] = set.files.emplace(idx, entry.path().string());
    check<InputError>(inserted, "two label files for frame ", idx, ": ", it->second, " and ", entry.path().string());
  }
  check<InputError>(!set.files.empty(), "no label PNGs (named by frame index, e.g. 000012.png) in ", dir.string());
  return set;
}

void SegEvalOptions::check() const {
  vssoff::check<UsageError>(!predicted.empty() && !reference.empty(), "give the predicted and the reference labels");
  vssoff::check<UsageError>(num_classes >= 0 && num_classes <= 255, "classes must be in [1, 255] (got ", num_classes,
                            ")");
  vssoff::check<UsageError>(segment_frames >= 1, "segment length must be >= 1 (got ", segment_frames, ")");
  for (int c : foreground)
    vssoff::check<UsageError>(c >= 0 && c < 255, "foreground class ", c, " is not a label value in [0, 254]");
}

SegEvalResult evaluate_segmentation(const SegEvalOptions& opt) {
  opt.check();
  for (const std::string& out : {opt.output, opt.frames_csv, opt.segments_csv, opt.reliability})
    if (!out.empty()) check_output_path(out, opt.force);
  // A segment run with sampled logits (--logit-samples) is also scored for calibration.
  const fs::path run_manifest = fs::path(opt.predicted) / "manifest.json";
  bool has_logits = false;
  if (fs::exists(run_manifest)) {
    const Json pm = Json::parse(read_file(run_manifest.string()), nullptr, false);
    has_logits = pm.is_object() && pm.contains("sidecars") && pm["sidecars"].contains("logits");
  }
  check<UsageError>(has_logits || opt.reliability.empty(), opt.predicted,
                    ": has no logits samples for --reliability (segment --logit-samples N)");
  LabelSet pred = open_label_set(opt.predicted), ref = open_label_set(opt.reference);
  std::vector<std::string> names = !ref.class_names.empty() ? ref.class_names : pred.class_names;
  int classes = opt.num_classes > 0 ? opt.num_classes : static_cast<int>(names.size());
  check<UsageError>(classes > 0, "cannot tell the number of classes (no legend in ", opt.predicted, " or ",
                    opt.reference, "): give --classes");

  // Frames: every predicted frame needs a reference; all reference frames need a
  // prediction unless the prediction is a declared subset (every k-th frame).
  for (const auto& [idx, file] : pred.files)
    check<InputError>(ref.files.count(idx), "frame ", idx, " is predicted (", file, ") but has no reference in ",
                      opt.reference);
  if (!opt.subset)
    check<InputError>(pred.files.size() == ref.files.size(), opt.predicted, " has ", pred.files.size(), " frames, ",
                      opt.reference, " has ", ref.files.size(),
                      " (use --subset when the prediction covers only some frames)");

  std::vector<bool> is_fg(256, false);
  for (int c : opt.foreground) is_fg[c] = true;

  SegEvalResult r;
  r.overall = ConfusionMatrix(classes);
  std::map<int64_t, Accumulator> segments;
  Json frames = Json::array();
  CsvWriter frames_csv({"frame", "segment", "miou", "pixel_accuracy", "foreground_accuracy", "pixels"});
  Progress progress("evaluated", static_cast<int64_t>(pred.files.size()));
  for (const auto& [idx, file] : pred.files) {
    video::Frame p = video::read_image(file, video::PixelFormat::kGray8);
    video::Frame g = video::read_image(ref.files[idx], video::PixelFormat::kGray8);
    check<InputError>(p.width == g.width && p.height == g.height, "frame ", idx, ": predicted ", file, " is ", p.width,
                      "x", p.height, ", reference ", ref.files[idx], " is ", g.width, "x", g.height);
    ConfusionMatrix cm(classes);
    ForegroundAccuracy fg;
    try {
      cm.add(p.plane(0), g.plane(0), p.data.size());
    } catch (const InputError& e) {
      throw InputError(cat(ref.files[idx], ": ", e.what()));
    }
    fg.add(p.plane(0), g.plane(0), p.data.size(), is_fg);
    int64_t seg = idx / opt.segment_frames;
    auto it = segments.try_emplace(seg, Accumulator{ConfusionMatrix(classes), {}, 0}).first;
    it->second.cm.merge(cm);
    it->second.fg.correct += fg.correct;
    it->second.fg.total += fg.total;
    ++it->second.frames;
    r.overall.merge(cm);
    r.foreground.correct += fg.correct;
    r.foreground.total += fg.total;
    ++r.frames;
    frames.push_back({{"frame", idx},
                      {"segment", seg},
                      {"miou", number_or_null(cm.mean_iou())},
                      {"pixel_accuracy", number_or_null(cm.pixel_accuracy())},
                      {"foreground_accuracy", number_or_null(fg.value())}});
    frames_csv.add_row({std::to_string(idx), std::to_string(seg), csv_or_empty(cm.mean_iou()),
                        csv_or_empty(cm.pixel_accuracy()), csv_or_empty(fg.value()), std::to_string(cm.pixels())});
    progress.update(r.frames);
  }
  progress.finish();

  Json seg_json = Json::array();
  CsvWriter segments_csv({"segment", "frames", "miou", "pixel_accuracy", "foreground_accuracy"});
  for (const auto& [seg, acc] : segments) {
    seg_json.push_back({{"segment", seg},
                        {"frames", acc.frames},
                        {"miou", number_or_null(acc.cm.mean_iou())},
                        {"pixel_accuracy", number_or_null(acc.cm.pixel_accuracy())},
                        {"foreground_accuracy", number_or_null(acc.fg.value())}});
    segments_csv.add_row({std::to_string(seg), std::to_string(acc.frames), csv_or_empty(acc.cm.mean_iou()),
                          csv_or_empty(acc.cm.pixel_accuracy()), csv_or_empty(acc.fg.value())});
  }

  Json m = new_manifest("evaluation", kEvaluationVersion);
  m["params"] = {{"task", "segmentation"},
                 {"num_classes", classes},
                 {"foreground_classes", opt.foreground},
                 {"segment_frames", opt.segment_frames},
                 {"subset", opt.subset},
                 {"ignore_label", kIgnoreLabel}};
  add_input(m, "predicted", opt.predicted);
  add_input(m, "reference", opt.reference);
  m["frames_evaluated"] = r.frames;
  m["overall"] = r.overall.to_json(names);
  m["overall"]["foreground_accuracy"] = number_or_null(r.foreground.value());
  m["segments"] = seg_json;
  m["frames"] = frames;
  r.report = m;

  // The table a person reads.
  log_info(cat("evaluated ", r.frames, " frames, ", classes, " classes"));
  log_info("  class                IoU   reference pixels");
  for (int c = 0; c < classes; ++c) {
    char line[128];
    std::string name = c < static_cast<int>(names.size()) && !names[c].empty() ? names[c] : std::to_string(c);
    double iou = r.overall.iou(c);
    int64_t ref_px = 0;
    for (int p = 0; p <= classes; ++p) ref_px += r.overall.count(c, p);
    std::snprintf(line, sizeof line, "  %-16s %7s   %lld", name.c_str(),
                  std::isnan(iou) ? "-" : cat(std::round(iou * 1000) / 1000).c_str(), static_cast<long long>(ref_px));
    log_info(line);
  }
  char summary[160];
  std::snprintf(summary, sizeof summary, "  mIoU %.4f   pixel accuracy %.4f   foreground accuracy %.4f",
                r.overall.mean_iou(), r.overall.pixel_accuracy(), r.foreground.value());
  log_info(summary);

  if (has_logits) {  // the calibration of the run's sampled pixels
    const LabelledLogits d = read_labelled_logits(opt.predicted, opt.reference);
    const std::vector<float> p = softmax_rows(d.logits, d.classes, {});
    std::vector<double> conf, correct;
    top_label(p, p, d.classes, d.labels, &conf, &correct);
    const Reliability rel = reliability(conf, correct, opt.predicted + " (sampled pixels)");
    const ProperScores ps = proper_scores(p, d.labels, d.classes);
    m["calibration"] = {{"of", "the raw logits of logits.npy (a calibrator the run applied is not)"},
                        {"samples", d.size()},
                        {"ece", rel.ece},
                        {"ece_equal_mass", rel.ece_mass},
                        {"mce", rel.mce},
                        {"nll", ps.nll},
                        {"brier", ps.brier},
                        {"accuracy", ps.accuracy},
                        {"reliability", rel.to_json()}};
    r.report = m;
    char line[200];
    std::snprintf(
        line, sizeof line,
        "  calibration of %lld sampled pixels (raw logits): ECE %.4f (equal mass %.4f), MCE %.3f, NLL %.4f, Brier %.4f",
        static_cast<long long>(d.size()), rel.ece, rel.ece_mass, rel.mce, ps.nll, ps.brier);
    log_info(line);
    if (!opt.reliability.empty())
      write_reliability_diagram(opt.reliability, "sampled pixels of " + opt.predicted, rel, opt.force);
  }

  if (!opt.output.empty()) write_manifest(opt.output, m, opt.force);
  if (!opt.frames_csv.empty()) frames_csv.write(opt.frames_csv, opt.force);
  if (!opt.segments_csv.empty()) segments_csv.write(opt.segments_csv, opt.force);
  return r;
}

}  // namespace vssoff::metrics
