#include "react/fuse.h"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "core/csv.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/threads.h"
#include "video/picture.h"
#include "video/reader.h"

namespace vssoff::react {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

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

enum Mode { kReact, kEdgeOnly, kCloudOnly };

// A bounded queue of decoded frames from the decoding thread to one worker.
class FrameQueue {
 public:
  using Item = std::pair<int64_t, std::shared_ptr<const TrackImage>>;
  // Blocks while full; false once aborted (a worker failed).
  bool push(Item item) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return aborted_ || items_.size() < static_cast<size_t>(kQueueFrames); });
    if (aborted_) return false;
    items_.push_back(std::move(item));
    changed_.notify_all();
    return true;
  }
  // Blocks while empty; false at the end (closed and drained) or once aborted.
  bool pop(Item& item) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return aborted_ || closed_ || !items_.empty(); });
    if (aborted_ || items_.empty()) return false;
    item = std::move(items_.front());
    items_.pop_front();
    changed_.notify_all();
    return true;
  }
  void close() { set(closed_); }
  void abort() { set(aborted_); }

 private:
  void set(bool& flag) {
    std::lock_guard lock(mutex_);
    flag = true;
    changed_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Item> items_;
  bool closed_ = false, aborted_ = false;
};

// What every mode reads (immutable during the loop, so shared by the workers).
struct LoopInputs {
  const FuseOptions& opt;
  const DetectionsArtefact& edge;
  const DetectionsArtefact& cloud;
  const std::map<int64_t, std::vector<int64_t>>& arrivals;
  const std::vector<coco::Category>& categories;
  std::string overlay_dir;  // empty: none
};

struct ModeRun {
  Mode mode;
  std::unique_ptr<Fusion> fusion;
  std::map<int64_t, std::vector<Detection>> results;
};

// Some modes over their own buffer of the shared frames, frame by frame.
class Worker {
 public:
  Worker(const LoopInputs& in) : in_(in), buffer_(in.opt.fusion.buffer_frames) {}
  void add(Mode mode) { runs_.push_back({mode, std::make_unique<Fusion>(in_.opt.fusion, buffer_), {}}); }
  std::vector<ModeRun>& runs() { return runs_; }

  void process(std::shared_ptr<const TrackImage> frame, int64_t t) {
    buffer_.push(std::move(frame), t);
    for (ModeRun& r : runs_) {
      Fusion& f = *r.fusion;
      f.track(t);
      if (r.mode != kCloudOnly)
        if (auto it = in_.edge.frames.find(t); it != in_.edge.frames.end()) f.edge(t, it->second);
      if (r.mode != kEdgeOnly)
        if (auto it = in_.arrivals.find(t); it != in_.arrivals.end())
          for (int64_t s : it->second) f.cloud(s, in_.cloud.frames.at(s));
      r.results[t] = f.output();
      if (r.mode == kReact && !in_.overlay_dir.empty() && t % in_.opt.overlay_every == 0)
        write_overlay((fs::path(in_.overlay_dir) / video::frame_file_name(t)).string(), buffer_.at(t).rgb(), f,
                      in_.categories);
    }
  }

  // The thread's body: frames from the queue until it ends; an error aborts the queue.
  void run() {
    try {
      FrameQueue::Item item;
      while (queue_.pop(item)) process(std::move(item.second), item.first);
    } catch (...) {
      error_ = std::current_exception();
      queue_.abort();
    }
  }
  FrameQueue& queue() { return queue_; }
  std::exception_ptr error() const { return error_; }

 private:
  const LoopInputs& in_;
  FrameBuffer buffer_;
  std::vector<ModeRun> runs_;
  FrameQueue queue_;
  std::exception_ptr error_;
};

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
  vssoff::check<UsageError>(threads >= 0, "threads must be >= 0 (got ", threads, ")");
  vssoff::check<UsageError>(!methods.empty(), "methods must name at least one of react, edge-only, cloud-only");
  for (size_t i = 0; i < methods.size(); ++i) {
    vssoff::check<UsageError>(
        std::find(std::begin(kFuseMethods), std::end(kFuseMethods), methods[i]) != std::end(kFuseMethods),
        "unknown method '", methods[i], "' in methods (known: react, edge-only, cloud-only)");
    vssoff::check<UsageError>(std::find(methods.begin(), methods.begin() + i, methods[i]) == methods.begin() + i,
                              "method '", methods[i], "' listed twice in methods");
  }
  vssoff::check<UsageError>(overlay_every == 0 || std::find(methods.begin(), methods.end(), "react") != methods.end(),
                            "overlay-every draws react's boxes: methods must include react");
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
  std::vector<Mode> selected;  // in kFuseMethods order
  for (int k = 0; k < 3; ++k)
    if (std::find(opt.methods.begin(), opt.methods.end(), kFuseMethods[k]) != opt.methods.end())
      selected.push_back(static_cast<Mode>(k));
  LoopInputs in{opt, edge, cloud, arrivals, categories, ""};
  if (opt.overlay_every > 0) {
    in.overlay_dir = (fs::path(out.temp_path()) / "overlay").string();
    make_directories(in.overlay_dir);
  }
  const int budget = resolve_threads(opt.threads);
  const int threads = std::min(static_cast<int>(selected.size()), budget);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int w = 0; w < threads; ++w) workers.push_back(std::make_unique<Worker>(in));
  for (size_t k = 0; k < selected.size(); ++k) workers[k % threads]->add(selected[k]);

  Progress progress("fused", frames);
  const auto t_loop = Clock::now();
  int64_t t = 0;
  if (budget == 1) {
    for (video::Frame frame; t < frames && reader.read(&frame); ++t) {
      workers[0]->process(std::make_shared<const TrackImage>(std::move(frame), input), t);
      frame = video::Frame();
      progress.update(t + 1);
    }
  } else {
    std::vector<std::thread> pool;
    // Ends the workers however the loop ends: closed queues drain, aborted ones stop.
    struct Join {
      std::vector<std::unique_ptr<Worker>>& workers;
      std::vector<std::thread>& pool;
      bool aborted = true;
      ~Join() {
        for (auto& w : workers) aborted ? w->queue().abort() : w->queue().close();
        for (std::thread& th : pool) th.join();
      }
    } join{workers, pool};
    for (auto& w : workers) pool.emplace_back([&w] { w->run(); });
    bool failed = false;
    for (video::Frame frame; !failed && t < frames && reader.read(&frame); ++t) {
      auto image = std::make_shared<const TrackImage>(std::move(frame), input);
      frame = video::Frame();
      for (auto& w : workers) failed = !w->queue().push({t, image}) || failed;
      progress.update(t + 1);
    }
    join.aborted = false;
    for (auto& w : workers) w->queue().close();
    for (std::thread& th : pool) th.join();
    pool.clear();
    for (auto& w : workers)
      if (w->error()) std::rethrow_exception(w->error());
  }
  progress.finish();
  const double loop_s = std::chrono::duration<double>(Clock::now() - t_loop).count();
  if (t < frames) {
    log_warn(opt.video, ": decoded ", t, " frames, the detections say ", frames, "; fused the ", t, " decoded");
    for (auto& [a, list] : arrivals)
      if (a >= t) dropped += static_cast<int64_t>(list.size());
  }
  std::vector<ModeRun*> runs;  // in kFuseMethods order
  for (Mode mode : selected)
    for (auto& w : workers)
      for (ModeRun& run : w->runs())
        if (run.mode == mode) runs.push_back(&run);

  FuseResult r;
  r.frames = t;
  r.threads = budget == 1 ? 1 : threads + 1;
  r.cloud_dropped = dropped;
  r.cloud_arrived = static_cast<int64_t>(cloud.frames.size()) - dropped;
  const Json video_json = {
      {"width", info.width}, {"height", info.height}, {"frames", t}, {"fps", {edge.fps.num, edge.fps.den}}};
  for (const ModeRun* run : runs) {
    const int k = run->mode;
    ModeSummary s{kFuseMethods[k], 0, run->fusion->stats()};
    for (const auto& [f, dets] : run->results) s.boxes += static_cast<int64_t>(dets.size());
    r.tracker_s += s.stats.tracker_s;
    r.modes.push_back(s);

    Json dm = new_manifest("detections", kDetectionsVersion);
    const std::string name = k == 0   ? cat("react(", edge.model_name, "+", cloud.model_name, ")")
                             : k == 1 ? cat("edge-only(", edge.model_name, ")")
                                      : cat("cloud-only(", cloud.model_name, ")");
    dm["params"] = {{"model", ""},
                    {"model_name", name},
                    {"mode", kFuseMethods[k]},
                    {"every", 1},
                    {"first", 0},
                    {"last", t - 1},
                    {"score_threshold", opt.fusion.min_score},
                    {"fusion", "../manifest.json"}};
    dm["inputs"] = m["inputs"];
    dm["video"] = video_json;
    dm["categories"] = categories_json(categories);
    const std::string dir = (fs::path(out.temp_path()) / kFuseMethods[k]).string();
    make_directories(dir);
    write_detections(dir, dm, run->results);
  }

  Json delay = opt.delays.empty() ? Json(opt.delay_frames) : Json(nullptr);
  Json methods = Json::array(), modes = Json::object(), tracker_s_per_mode = Json::object();
  for (const ModeSummary& s : r.modes) {
    methods.push_back(s.mode);
    modes[s.mode] = s.mode;
    tracker_s_per_mode[s.mode] = s.stats.tracker_s;
  }
  m["params"] = {{"methods", methods},
                 {"edge", opt.edge},
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
                 {"keep_unconfirmed", opt.fusion.keep_unconfirmed},
                 {"matched_score", opt.fusion.matched_score},
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
  m["modes"] = modes;
  r.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  r.frames_per_s = loop_s > 0 ? t / loop_s : 0;
  m["timing"] = {{"seconds", r.seconds},
                 {"loop_s", loop_s},
                 {"frames_per_s", r.frames_per_s},
                 {"tracker_s", r.tracker_s},
                 {"tracker_s_per_mode", tracker_s_per_mode},
                 {"threads", budget},
                 {"worker_threads", budget == 1 ? 0 : threads}};
  write_manifest((fs::path(out.temp_path()) / "manifest.json").string(), m, false);
  out.commit();
  r.manifest = m;
  std::string boxes;
  for (const ModeSummary& s : r.modes) boxes += cat(boxes.empty() ? "" : ", ", s.mode, " ", s.boxes);
  log_info("fused ", t, " frames at ", std::lround(r.frames_per_s), " frames/s (", opt.fusion.tracker, ", ", r.threads,
           " thread", r.threads == 1 ? "" : "s", ", tracker ", r.tracker_s, " s); ", boxes, " boxes; ", r.cloud_dropped,
           " cloud results after the last frame");
  return r;
}

}  // namespace vssoff::react
