#include "metrics/evaluate_detection.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>

#include "core/csv.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "metrics/evaluate_segmentation.h"

namespace fs = std::filesystem;

namespace vssoff::metrics {
namespace {

// -1 (pycocotools' "undefined") and NaN as null.
Json defined(double v) { return std::isnan(v) || v <= -1 ? Json(nullptr) : Json(v); }
std::string csv_defined(double v) { return std::isnan(v) || v <= -1 ? "" : csv_number(v); }
std::string table_number(double v, int digits) {
  if (std::isnan(v) || v <= -1) return "-";
  char s[32];
  std::snprintf(s, sizeof s, "%.*f", digits, v);
  return s;
}

std::string box_text(const coco::Box& b) { return cat("[", b.x, ", ", b.y, ", ", b.w, ", ", b.h, "]"); }

void check_box(const coco::Box& b, const coco::Image& im, const std::string& file) {
  check<InputError>(b.w >= 0 && b.h >= 0, file, ": image ", b.image_id, ": box ", box_text(b), " has a negative size");
  if (im.width > 0 && im.height > 0)
    check<InputError>(b.x >= -1 && b.y >= -1 && b.x + b.w <= im.width + 1 && b.y + b.h <= im.height + 1, file,
                      ": image ", b.image_id, ": box ", box_text(b), " is outside the image (", im.width, "x",
                      im.height, ")");
}

Json counts_json(const MatchCounts& c) {
  return {{"tp", c.tp},
          {"fp", c.fp},
          {"fn", c.fn},
          {"precision", defined(c.precision())},
          {"recall", defined(c.recall())},
          {"f1", defined(c.f1())}};
}

}  // namespace

bool is_detection_input(const std::string& predicted) {
  std::error_code ec;
  return fs::is_regular_file(predicted, ec) || fs::is_regular_file(fs::path(predicted) / "detections.json", ec);
}

void DetEvalOptions::check() const {
  vssoff::check<UsageError>(!predicted.empty() && !reference.empty(), "give the predicted and the reference boxes");
  vssoff::check<UsageError>(std::isfinite(score_threshold), "score threshold must be a finite number (got ",
                            score_threshold, ")");
  vssoff::check<UsageError>(max_dets >= 1, "max dets must be >= 1 (got ", max_dets, ")");
}

DetEvalResult evaluate_detection(const DetEvalOptions& opt) {
  opt.check();
  for (const std::string& out : {opt.output, opt.frames_csv, opt.pr_curve})
    if (!out.empty()) check_output_path(out, opt.force);

  // The files: results (or an artefact's detections.json and manifest) and the dataset.
  std::error_code ec;
  std::string results_path = opt.predicted, manifest_path;
  if (fs::is_directory(opt.predicted, ec)) {
    results_path = (fs::path(opt.predicted) / "detections.json").string();
    manifest_path = (fs::path(opt.predicted) / "manifest.json").string();
    if (!fs::exists(manifest_path, ec)) manifest_path.clear();
  }
  std::string reference_path = opt.reference;
  if (fs::is_directory(opt.reference, ec)) {
    reference_path = (fs::path(opt.reference) / "boxes.json").string();
    check<InputError>(fs::is_regular_file(reference_path, ec), opt.reference,
                      " is a directory without boxes.json (give a COCO dataset JSON or a synth output)");
  }
  const coco::Dataset truth = coco::read_dataset(reference_path);
  const std::vector<coco::Box> detections = coco::read_results(results_path);
  check<InputError>(!truth.images.empty(), reference_path, ": lists no \"images\" (the images to evaluate)");

  // Categories and images of the ground truth; every box checked against them.
  std::vector<int> category_ids;
  std::vector<std::string> class_names;
  for (const coco::Category& c : truth.categories) category_ids.push_back(c.id), class_names.push_back(c.name);
  if (category_ids.empty()) {
    std::set<int> ids;
    for (const coco::Box& b : truth.annotations) ids.insert(b.category_id);
    category_ids.assign(ids.begin(), ids.end());
    class_names.assign(category_ids.size(), "");
  }
  for (size_t k = 0; k < class_names.size(); ++k)
    if (class_names[k].empty()) class_names[k] = std::to_string(category_ids[k]);
  const std::set<int> categories(category_ids.begin(), category_ids.end());
  std::unordered_map<int64_t, const coco::Image*> images;
  for (const coco::Image& im : truth.images) images.emplace(im.id, &im);
  for (const coco::Box& b : truth.annotations) {
    check<InputError>(categories.count(b.category_id), reference_path, ": annotation ", b.id, ": category_id ",
                      b.category_id, " is not among the file's categories");
    check_box(b, *images.at(b.image_id), reference_path);
  }
  for (const coco::Box& d : detections) {
    auto it = images.find(d.image_id);
    check<InputError>(it != images.end(), results_path, ": image_id ", d.image_id, " is not an image of ",
                      reference_path);
    check<InputError>(categories.count(d.category_id), results_path, ": image ", d.image_id, ": category_id ",
                      d.category_id, " is not a category of ", reference_path);
    check_box(d, *it->second, results_path);
  }

  // Which images: the manifest's frames, the images with detections (subset), or all.
  std::vector<int64_t> image_ids;
  std::string images_from = "ground truth";
  if (!manifest_path.empty()) {
    const Json m = read_manifest(manifest_path, "detections", kDetectionsVersion);
    read_artefact(manifest_path, [&] {
      if (m.contains("video") && m["video"].contains("width") && m["video"].contains("height")) {
        const int w = json_get<int>(m["video"], "width", manifest_path);
        const int h = json_get<int>(m["video"], "height", manifest_path);
        for (const coco::Image& im : truth.images)
          check<InputError>(im.width <= 0 || (im.width == w && im.height == h), manifest_path, ": the video is ", w,
                            "x", h, " but image ", im.id, " of ", reference_path, " is ", im.width, "x", im.height);
      }
      if (!m.contains("frames")) return;
      std::unordered_map<int64_t, int64_t> image_of_frame;
      for (const coco::Image& im : truth.images) image_of_frame.emplace(im.frame(), im.id);
      for (int64_t f : json_array_as<int64_t>(m["frames"], "frames", manifest_path)) {
        auto it = image_of_frame.find(f);
        check<InputError>(it != image_of_frame.end(), manifest_path, ": frame ", f, " has no image in ",
                          reference_path);
        image_ids.push_back(it->second);
      }
      images_from = "manifest frames";
      const std::set<int64_t> listed(image_ids.begin(), image_ids.end());
      for (const coco::Box& d : detections)
        check<InputError>(listed.count(d.image_id), results_path, ": a detection on image ", d.image_id, " (frame ",
                          truth.frame_of(d.image_id), "), which \"frames\" of ", manifest_path, " does not list");
    });
  }
  if (images_from == "ground truth" && opt.subset) {
    images_from = "images with detections";
    for (const coco::Box& d : detections) image_ids.push_back(d.image_id);
  }
  if (images_from == "ground truth")
    for (const coco::Image& im : truth.images) image_ids.push_back(im.id);
  std::sort(image_ids.begin(), image_ids.end());
  image_ids.erase(std::unique(image_ids.begin(), image_ids.end()), image_ids.end());

  DetEvalResult r;
  r.coco = coco_evaluate(image_ids, category_ids, truth.annotations, detections, opt.max_dets);
  r.summary = summarize(r.coco);
  r.at_threshold = match_at_score(image_ids, category_ids, truth.annotations, detections, opt.score_threshold);
  r.images = static_cast<int64_t>(image_ids.size());
  const CocoEval& e = r.coco;
  const CocoSummary& s = r.summary;
  const int last = e.last_max_dets();

  std::map<int64_t, int64_t> truths_on;  // non-crowd ground truth per image
  for (const coco::Box& b : truth.annotations) truths_on[b.image_id] += !b.iscrowd;
  Json classes = Json::array();
  int64_t total_truths = 0, total_detections = 0;
  for (size_t k = 0; k < category_ids.size(); ++k) {
    const int kk = static_cast<int>(k);
    Json pr = nullptr;
    if (e.precision_at(0, 0, kk, 0, last) > -1) {
      pr = Json::array();
      for (int q = 0; q < kCocoRecallPoints; ++q) pr.push_back(e.precision_at(0, q, kk, 0, last));
    }
    classes.push_back({{"id", category_ids[k]},
                       {"name", class_names[k]},
                       {"ground_truth", e.truths[k]},
                       {"detections", e.detections[k]},
                       {"ap", defined(e.ap(-1, 0, last, kk))},
                       {"ap_50", defined(e.ap(0, 0, last, kk))},
                       {"ap_75", defined(e.ap(5, 0, last, kk))},
                       {"ar", defined(e.ar(0, last, kk))},
                       {"precision_50", pr},
                       {"at_threshold", counts_json(r.at_threshold.per_category.at(category_ids[k]))}});
    total_truths += e.truths[k], total_detections += e.detections[k];
  }
  Json at_threshold = counts_json(r.at_threshold.overall);
  at_threshold["score_threshold"] = opt.score_threshold;
  at_threshold["iou"] = 0.5;
  Json frames = Json::array();
  CsvWriter frames_csv(
      {"frame", "image_id", "ground_truth", "detections", "tp", "fp", "fn", "precision", "recall", "f1"});
  for (int64_t id : image_ids) {
    const MatchCounts& c = r.at_threshold.per_image.at(id);
    const int64_t frame = images.at(id)->frame(), kept = r.at_threshold.detections_kept.at(id);
    Json f = counts_json(c);
    f["frame"] = frame, f["image_id"] = id, f["ground_truth"] = truths_on[id], f["detections"] = kept;
    frames.push_back(f);
    frames_csv.add_row({std::to_string(frame), std::to_string(id), std::to_string(truths_on[id]), std::to_string(kept),
                        std::to_string(c.tp), std::to_string(c.fp), std::to_string(c.fn), csv_defined(c.precision()),
                        csv_defined(c.recall()), csv_defined(c.f1())});
  }

  Json m = new_manifest("evaluation", kEvaluationVersion);
  Json areas = Json::object();
  for (const AreaRange& a : kCocoAreaRanges) areas[a.name] = {a.lo, a.hi};
  m["params"] = {{"task", "detection"},
                 {"iou_type", "bbox"},
                 {"max_dets", e.max_dets},
                 {"iou_thresholds", e.iou_thresholds},
                 {"recall_points", kCocoRecallPoints},
                 {"area_ranges", areas},
                 {"score_threshold", opt.score_threshold},
                 {"subset", opt.subset},
                 {"images_from", images_from}};
  add_input(m, "predicted", results_path);
  add_input(m, "reference", reference_path);
  m["frames_evaluated"] = r.images;
  m["detection"] = {{"map", defined(s.map)},
                    {"map_50", defined(s.map_50)},
                    {"map_75", defined(s.map_75)},
                    {"map_small", defined(s.map_small)},
                    {"map_medium", defined(s.map_medium)},
                    {"map_large", defined(s.map_large)},
                    {"ar_1", defined(s.ar_1)},
                    {"ar_10", defined(s.ar_10)},
                    {"ar_max", defined(s.ar_max)},
                    {"ar_small", defined(s.ar_small)},
                    {"ar_medium", defined(s.ar_medium)},
                    {"ar_large", defined(s.ar_large)},
                    {"max_dets", e.max_dets.back()},
                    {"ground_truth", total_truths},
                    {"detections", total_detections},
                    {"classes", classes},
                    {"at_threshold", at_threshold}};
  m["frames"] = frames;
  r.report = m;

  // The table a person reads.
  const std::string st = table_number(opt.score_threshold, 2);
  log_info(cat("evaluated ", r.images, " images (", images_from, "), ", category_ids.size(),
               " classes: ", total_detections, " detections (at most ", e.max_dets.back(), " per image), ",
               total_truths, " ground-truth boxes"));
  char line[256];
  std::snprintf(line, sizeof line, "  %-14s %7s %7s %7s %12s %8s %8s %7s", "class", "GT", "dets", "AP@.5",
                "AP@[.5:.95]", ("P@" + st).c_str(), ("R@" + st).c_str(), "F1");
  log_info(line);
  for (size_t k = 0; k < category_ids.size(); ++k) {
    const int kk = static_cast<int>(k);
    const MatchCounts& c = r.at_threshold.per_category.at(category_ids[k]);
    std::snprintf(line, sizeof line, "  %-14s %7lld %7lld %7s %12s %8s %8s %7s", class_names[k].c_str(),
                  static_cast<long long>(e.truths[k]), static_cast<long long>(e.detections[k]),
                  table_number(e.ap(0, 0, last, kk), 3).c_str(), table_number(e.ap(-1, 0, last, kk), 3).c_str(),
                  table_number(c.precision(), 3).c_str(), table_number(c.recall(), 3).c_str(),
                  table_number(c.f1(), 3).c_str());
    log_info(line);
  }
  log_info(cat("  mAP@[.5:.95] ", table_number(s.map, 4), "   mAP@.5 ", table_number(s.map_50, 4), "   mAP@.75 ",
               table_number(s.map_75, 4)));
  log_info(cat("  AP small ", table_number(s.map_small, 4), "  medium ", table_number(s.map_medium, 4), "  large ",
               table_number(s.map_large, 4), "   AR@1 ", table_number(s.ar_1, 4), "  AR@",
               std::min(10, e.max_dets.back()), " ", table_number(s.ar_10, 4), "  AR@", e.max_dets.back(), " ",
               table_number(s.ar_max, 4)));
  const MatchCounts& o = r.at_threshold.overall;
  log_info(cat("  at score >= ", opt.score_threshold, ", IoU 0.5: precision ", table_number(o.precision(), 4),
               "  recall ", table_number(o.recall(), 4), "  F1 ", table_number(o.f1(), 4), "  (TP ", o.tp, ", FP ",
               o.fp, ", FN ", o.fn, ")"));

  if (!opt.output.empty()) write_manifest(opt.output, m, opt.force);
  if (!opt.frames_csv.empty()) frames_csv.write(opt.frames_csv, opt.force);
  if (!opt.pr_curve.empty())
    write_pr_curve(opt.pr_curve, "precision-recall at IoU 0.5 of " + opt.predicted, e, class_names, opt.force);
  return r;
}

}  // namespace vssoff::metrics
