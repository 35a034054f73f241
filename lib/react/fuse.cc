#include "react/fuse.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "core/csv.h"
#include "core/fs.h"
#include "core/log.h"
#include "video/picture.h"
#include "video/reader.h"

namespace vssoff::react {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

const char* const kModes[] = {"react", "edge-only", "cloud-only"};

// Edge, cloud and the video must be the same video; names both values on a mismatch.
void check_same_video(const DetectionsArtefact& edge, const DetectionsArtefact& cloud) {
  check<InputError>(edge.video_sha256 == cloud.video_sha256,
                    "edge and cloud detections are of different videos: ", edge.manifest_path, " records ",
                    edge.video_path, " (sha256 ", edge.video_sha256, "), ", cloud.manifest_path, " records ",
                    cloud.video_path, " (sha256 ", cloud.video_sha256, ")");
  check<InputError>(edge.width == cloud.width && edge.height == cloud.height && edge.video_frames == cloud.video_frames,
                    "edge and cloud detections disagree on the video: ", edge.manifest_path, " says ", edge.width, "x",
                    edge.height, ", ", edge.video_frames, " frames; ", cloud.manifest_path, " says ", cloud.width, "x",
                    cloud.height, ", ", cloud.video_frames, " frames");
}

std::vector<coco::Category> merge_categories(const DetectionsArtefact& edge, const DetectionsArtefact& cloud) {
  std::vector<coco::Category> all = edge.categories;
  for (const coco::Category& c : cloud.categories) {
    auto it = std::find_if(all.begin(), all.end(), [&](const coco::Category& e) { return e.id == c.id; });
    if (it == all.end())
      all.push_back(c);
    else
      check<InputError>(it->name == c.name, "category ", c.id, " is '", it->name, "' in ", edge.manifest_path, " but '",
                        c.name, "' in ", cloud.manifest_path);
  }
  return all;
}

Json categories_json(const std::vector<coco::Category>& categories) {
  Json j = Json::array();
  for (const coco::Category& c : categories) j.push_back({{"id", c.id}, {"name", c.name}});
  return j;
}

const std::string& category_name(const std::vector<coco::Category>& categories, int id) {
  static const std::string unknown = "?";
  for (const coco::Category& c : categories)
    if (c.id == id) return c.name;
  return unknown;
}

void write_overlay(const std::string& path, const video::Frame& rgb, const Fusion& react,
                   const std::vector<coco::Category>& categories) {
  video::Frame out = rgb;
  cv::Mat img(out.height, out.width, CV_8UC3, out.plane(0), out.stride(0));
  for (const FusedObject& o : react.objects()) {
    const cv::Scalar colour = o.cloud_class ? cv::Scalar(255, 140, 0) : cv::Scalar(0, 200, 255);  // RGB
    const Rect& b = o.det.box;
    cv::rectangle(img, cv::Rect(cvRound(b.x), cvRound(b.y), cvRound(b.w), cvRound(b.h)), colour, 2);
    const std::string label = cat(category_name(categories, o.det.category_id), " ", std::lround(o.det.score * 100));
    cv::putText(img, label, {cvRound(b.x), std::max(10, cvRound(b.y) - 3)}, cv::FONT_HERSHEY_SIMPLEX, 0.4, colour, 1,
                cv::LINE_AA);
  }
  video::write_png(path, out, false);
}

Json stats_json(const ModeSummary& s) {
  const FusionStats& f = s.stats;
  return {{"boxes", s.boxes},
          {"objects_created", f.objects_created},
          {"edge_results", f.edge_results},
          {"empty_edge_results", f.empty_edge_results},
          {"cloud_results", f.cloud_results},
          {"cloud_out_of_order", f.cloud_out_of_order},
          {"short_buffer_fast_forwards", f.short_buffer},
          {"tracker_inits", f.tracker_inits},
          {"tracker_updates", f.tracker_updates},
          {"tracker_failures", f.tracker_failures},
          {"tracker_s", f.tracker_s}};
}

}  // namespace

void FuseOptions::check() const {
  vssoff::check<UsageError>(!edge.empty() && !cloud.empty() && !video.empty() && !output.empty(),
                            "--edge, --cloud, --video and -o are required");
  vssoff::check<UsageError>((delay_frames >= 0) != !delays.empty(),
                            "give one of --delay (frames, >= 0) and --delays (CSV)");
  vssoff::check<UsageError>(overlay_every >= 0, "overlay-every must be >= 0 (got ", overlay_every, ")");
  fusion.check();
}

std::map<int64_t, int64_t> read_delays(const std::string& path, double fps) {
  const CsvTable t = read_csv(path);
  const bool frames = std::find(t.columns.begin(), t.columns.end(), "delay_frames") != t.columns.end();
  const bool secs = std::find(t.columns.begin(), t.columns.end(), "delay_s") != t.columns.end();
  check<InputError>(frames != secs, path, ": expected the columns frame,delay_frames or frame,delay_s");
  std::map<int64_t, int64_t> out;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const int64_t f = t.integer(r, "frame");
    int64_t d = 0;
    if (frames) {
      d = t.integer(r, "delay_frames");
    } else {
      const double s = t.number(r, "delay_s");
      check<InputError>(std::isfinite(s), path, ": row ", r + 1, ": delay_s is not finite");
      d = static_cast<int64_t>(std::ceil(s * fps - 1e-9));
    }
    check<InputError>(f >= 0 && d >= 0, path, ": row ", r + 1, ": frame and delay must be >= 0 (got ", f, ", ", d, ")");
    check<InputError>(out.emplace(f, d).second, path, ": frame ", f, " listed twice");
  }
  return out;
}

FuseResult fuse(const FuseOptions& opt) {
  opt.check();
  const auto t_start = Clock::now();
  AtomicOutput out(opt.output, opt.force, /*is_dir=*/true);
  const DetectionsArtefact edge = read_detections(opt.edge);
  const DetectionsArtefact cloud = read_detections(opt.cloud);
  check_same_video(edge, cloud);
  const std::vector<coco::Category> categories = merge_categories(edge, cloud);

  check_input_file(opt.video, "video");
  Json m = new_manifest("fusion", kFusionVersion);
  add_input(m, "video", opt.video);
  const std::string video_sha = m["inputs"].back().value("sha256", "");
  check<InputError>(video_sha == edge.video_sha256, opt.video, " is not the video of the detections (sha256 ",
                    video_sha, "; ", edge.manifest_path, " records ", edge.video_path, ", sha256 ", edge.video_sha256,
                    ")");
  add_input(m, "edge", edge.results_path);
  add_input(m, "cloud", cloud.results_path);
  if (!opt.delays.empty()) add_input(m, "delays", opt.delays);

  video::ReaderOptions ro;
  ro.format = video::PixelFormat::kRgb24;
  video::VideoReader reader(opt.video, ro);
  const video::VideoInfo& info = reader.info();
  check<InputError>(info.width == edge.width && info.height == edge.height, opt.video, " is ", info.width, "x",
                    info.height, " but ", edge.manifest_path, " says ", edge.width, "x", edge.height);
  const int64_t frames = edge.video_frames;
  if (info.frame_count >= 0 && info.frame_count != frames)
    log_warn(opt.video, ": the header says ", info.frame_count, " frames, ", edge.manifest_path, " says ", frames);
  const double fps = edge.fps.value();

  // When each cloud result arrives: frame s + delay.
  std::map<int64_t, int64_t> delay_of;
  if (!opt.delays.empty()) delay_of = read_delays(opt.delays, fps);
  std::map<int64_t, std::vector<int64_t>> arrivals;  // arrival frame -> cloud frames, in order
  int64_t dropped = 0, max_delay = 0;
  for (const auto& [s, boxes] : cloud.frames) {
    int64_t d = opt.delay_frames;
    if (d < 0) {
      auto it = delay_of.find(s);
      check<InputError>(it != delay_of.end(), opt.delays, ": no delay for cloud frame ", s, " (", cloud.manifest_path,
                        ")");
      d = it->second;
    }
    check<UsageError>(d < opt.fusion.buffer_frames || opt.fusion.allow_short_buffer, "a cloud delay of ", d,
                      " frames (frame ", s, ") does not fit the frame buffer of ", opt.fusion.buffer_frames,
                      " frames (--buffer; it needs delay + 1): raise it, or pass --allow-short-buffer");
    max_delay = std::max(max_delay, d);
    if (s + d < frames)
      arrivals[s + d].push_back(s);
    else
      ++dropped;
  }
  for (auto& [t, list] : arrivals) std::sort(list.begin(), list.end());

  const TrackerInput input = tracker_info(opt.fusion.tracker).input;
  FrameBuffer buffer(opt.fusion.buffer_frames);
  Fusion react(opt.fusion, buffer), edge_only(opt.fusion, buffer), cloud_only(opt.fusion, buffer);
  Fusion* const modes[] = {&react, &edge_only, &cloud_only};
  std::map<int64_t, std::vector<Detection>> results[3];
  if (opt.overlay_every > 0) make_directories((fs::path(out.temp_path()) / "overlay").string());

  Progress progress("fused", frames);
  const auto t_loop = Clock::now();
  int64_t t = 0;
  for (video::Frame frame; t < frames && reader.read(&frame); ++t) {
    buffer.push(TrackImage(std::move(frame), input), t);
    frame = video::Frame();
    for (Fusion* f : modes) f->track(t);
    if (auto it = edge.frames.find(t); it != edge.frames.end()) {
      react.edge(t, it->second);
      edge_only.edge(t, it->second);
    }
    if (auto it = arrivals.find(t); it != arrivals.end())
      for (int64_t s : it->second) {
        react.cloud(s, cloud.frames.at(s));
        cloud_only.cloud(s, cloud.frames.at(s));
      }
    for (int k = 0; k < 3; ++k) results[k][t] = modes[k]->output();
    if (opt.overlay_every > 0 && t % opt.overlay_every == 0)
      write_overlay((fs::path(out.temp_path()) / "overlay" / video::frame_file_name(t)).string(), buffer.at(t).rgb(),
                    react, categories);
    progress.update(t + 1);
  }
  progress.finish();
  const double loop_s = std::chrono::duration<double>(Clock::now() - t_loop).count();
  if (t < frames) {
    log_warn(opt.video, ": decoded ", t, " frames, the detections say ", frames, "; fused the ", t, " decoded");
    for (auto& [a, list] : arrivals)
      if (a >= t) dropped += static_cast<int64_t>(list.size());
  }

  FuseResult r;
  r.frames = t;
  r.cloud_dropped = dropped;
  r.cloud_arrived = static_cast<int64_t>(cloud.frames.size()) - dropped;
  const Json video_json = {
      {"width", info.width}, {"height", info.height}, {"frames", t}, {"fps", {edge.fps.num, edge.fps.den}}};
  for (int k = 0; k < 3; ++k) {
    ModeSummary s{kModes[k], 0, modes[k]->stats()};
    for (const auto& [f, dets] : results[k]) s.boxes += static_cast<int64_t>(dets.size());
    r.tracker_s += s.stats.tracker_s;
    r.modes.push_back(s);

    Json dm = new_manifest("detections", kDetectionsVersion);
    const std::string name = k == 0   ? cat("react(", edge.model_name, "+", cloud.model_name, ")")
                             : k == 1 ? cat("edge-only(", edge.model_name, ")")
                                      : cat("cloud-only(", cloud.model_name, ")");
    dm["params"] = {{"model", ""},
                    {"model_name", name},
                    {"mode", kModes[k]},
                    {"every", 1},
                    {"first", 0},
                    {"last", t - 1},
                    {"score_threshold", opt.fusion.min_score},
                    {"fusion", "../manifest.json"}};
    dm["inputs"] = m["inputs"];
    dm["video"] = video_json;
    dm["categories"] = categories_json(categories);
    const std::string dir = (fs::path(out.temp_path()) / kModes[k]).string();
    make_directories(dir);
    write_detections(dir, dm, results[k]);
  }

  Json delay = opt.delays.empty() ? Json(opt.delay_frames) : Json(nullptr);
  m["params"] = {{"edge", opt.edge},
                 {"cloud", opt.cloud},
                 {"video", opt.video},
                 {"k", edge.every},
                 {"m", cloud.every},
                 {"edge_model", edge.model_name},
                 {"cloud_model", cloud.model_name},
                 {"delay_frames", delay},
                 {"delays", opt.delays.empty() ? Json(nullptr) : Json(opt.delays)},
                 {"max_delay_frames", max_delay},
                 {"tracker", opt.fusion.tracker},
                 {"iou_threshold", opt.fusion.iou_threshold},
                 {"decay", opt.fusion.decay},
                 {"min_score", opt.fusion.min_score},
                 {"buffer_frames", opt.fusion.buffer_frames},
                 {"allow_short_buffer", opt.fusion.allow_short_buffer},
                 {"overlay_every", opt.overlay_every}};
  m["video"] = video_json;
  m["categories"] = categories_json(categories);
  Json counts = {{"frames", t},
                 {"edge_frames", edge.frames.size()},
                 {"cloud_frames", cloud.frames.size()},
                 {"cloud_arrived", r.cloud_arrived},
                 {"cloud_dropped_after_last_frame", r.cloud_dropped}};
  for (const ModeSummary& s : r.modes) counts[s.mode] = stats_json(s);
  m["counts"] = counts;
  m["modes"] = {{"react", "react"}, {"edge-only", "edge-only"}, {"cloud-only", "cloud-only"}};
  r.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  r.frames_per_s = loop_s > 0 ? t / loop_s : 0;
  m["timing"] = {{"seconds", r.seconds},
                 {"loop_s", loop_s},
                 {"frames_per_s", r.frames_per_s},
                 {"tracker_s", r.tracker_s},
                 {"tracker_s_per_mode",
                  {{"react", r.modes[0].stats.tracker_s},
                   {"edge-only", r.modes[1].stats.tracker_s},
                   {"cloud-only", r.modes[2].stats.tracker_s}}}};
  write_manifest((fs::path(out.temp_path()) / "manifest.json").string(), m, false);
  out.commit();
  r.manifest = m;
  log_info("fused ", t, " frames at ", std::lround(r.frames_per_s), " frames/s (", opt.fusion.tracker, ", tracker ",
           r.tracker_s, " s); react ", r.modes[0].boxes, ", edge-only ", r.modes[1].boxes, ", cloud-only ",
           r.modes[2].boxes, " boxes; ", r.cloud_dropped, " cloud results after the last frame");
  return r;
}

}  // namespace vssoff::react
